"""Training explorers: a small network epoch by epoch (ch. 2), the 1986 network (ch. 9)."""

from __future__ import annotations

from functools import lru_cache

from matplotlib.figure import Figure

from bplib.data.classification import moons, symmetry_1986
from bplib.history import SumSquaredError, network_1986
from bplib.layers import MLP, CrossEntropyLoss
from bplib.optim import SGD
from bplib.plots.training import boundary_and_loss, symmetry_weights
from bplib.train import History, fit
from bplib.widgets.explorer import Choice, Explorer, Slider

__all__ = ["TRAINING_LRS", "training_data", "training_run", "render_training", "training_explorer",
           "symmetry_run", "render_symmetry", "symmetry_explorer"]

TRAINING_LRS = (0.01, 1.0, 10.0)  # too small, about right, too large for this problem
TRAINING_EPOCHS = 80


def training_data():
    """The chapter's problem: 200 noisy points on two interleaved moons (x (200, 2), y (200,))."""
    return moons(200, noise=0.15, seed=0)


def _model() -> MLP:
    return MLP([2, 16, 2], activation="tanh", seed=0)


@lru_cache(maxsize=len(TRAINING_LRS))
def training_run(lr: float) -> tuple[MLP, History]:
    """Train the chapter's 2-16-2 tanh network with plain SGD (batches of 20) at rate ``lr``.

    Snapshots of the weights are kept every 10 epochs; the result is cached per ``lr``.
    """
    x, y = training_data()
    model = _model()
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=lr), x, y,
                  epochs=TRAINING_EPOCHS, batch_size=20, seed=0, progress=False,
                  snapshot_epochs=range(0, TRAINING_EPOCHS + 1, 10))
    return model, history


def render_training(epoch: int = 0, lr: float = 1.0) -> Figure:
    """Decision regions after ``epoch`` epochs of SGD at rate ``lr``, beside the loss curve."""
    _, history = training_run(lr)
    if epoch not in history.snapshots:
        raise ValueError(f"render_training: epoch must be one of the stored epochs {sorted(history.snapshots)}, "
                         f"got {epoch!r}.")
    model = history.restore(_model(), epoch)
    x, y = training_data()
    return boundary_and_loss(model, x, y, history, epoch)


def training_explorer() -> Explorer:
    """Slider over epochs, choice of learning rate."""
    return Explorer(
        render_training,
        [Slider("epoch", 0, TRAINING_EPOCHS, 10, value=0, label="epoch"),
         Choice("lr", list(TRAINING_LRS), value=1.0, label="learning rate")],
        alt="Left: the regions of the plane a small network assigns to each class of the two-moons "
            "data after the chosen number of epochs. Right: the training loss per epoch on a log "
            "scale, with the chosen epoch marked.",
    )


SYMMETRY_SEEDS = (1, 3)  # two random starts that find the two kinds of solution we observe
SYMMETRY_SWEEPS = 2000


@lru_cache(maxsize=len(SYMMETRY_SEEDS))
def symmetry_run(seed: int) -> History:
    """The paper's 6-2-1 network trained for 2000 sweeps (η = 0.1, μ = 0.9), snapshots every 250."""
    x, y = symmetry_1986()
    model = network_1986(seed=seed)
    return fit(model, SumSquaredError(), SGD(model.parameters(), lr=0.1, momentum=0.9), x,
               y[:, None].astype(float), epochs=SYMMETRY_SWEEPS, shuffle=False, progress=False,
               snapshot_epochs=range(0, SYMMETRY_SWEEPS + 1, 250))


def render_symmetry(sweep: int = 0, seed: int = 1) -> Figure:
    """Weights of the symmetry network from random start ``seed`` after ``sweep`` sweeps."""
    model = symmetry_run(seed).restore(network_1986(seed=seed), sweep)
    x, y = symmetry_1986()
    error = SumSquaredError()(model(x), y[:, None].astype(float))
    return symmetry_weights(model[0].W.data, model[0].b.data, model[2].W.data, model[2].b.data,
                            title=f"Start {seed}, after {sweep} sweeps (L = {error:.2f})")


def symmetry_explorer() -> Explorer:
    """Slider over sweeps, choice of random start."""
    return Explorer(
        render_symmetry,
        [Slider("sweep", 0, SYMMETRY_SWEEPS, 250, value=0, label="sweeps"),
         Choice("seed", list(SYMMETRY_SEEDS), value=1, label="random start")],
        alt="Bar charts of the six input weights of each of the two hidden units of the 1986 "
            "symmetry network after the chosen number of sweeps; as training goes on, weights in "
            "mirror positions become equal in size and opposite in sign.",
    )
