"""Chapter 12 explorer: hidden size and learning rate of the 64-h-10 digits network.

Nine short runs (3 hidden sizes × 3 learning rates, 15 epochs of SGD on batches of 32, with
``bp.MLP`` and ``bp.fit``) are trained once and cached; each frame shows one run's loss curves
beside the test accuracy of all nine.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bplib.data.digits import digits
from bplib.layers import MLP, CrossEntropyLoss
from bplib.optim import SGD
from bplib.plots.style import BLUE, VERMILION, new_figure
from bplib.train import History, TrainingDiverged, fit
from bplib.widgets.explorer import Choice, Explorer

__all__ = ["DIGITS_HIDDEN", "DIGITS_LRS", "DIGITS_EPOCHS", "digits_run", "digits_accuracy_grid",
           "render_digits_training", "digits_explorer"]

DIGITS_HIDDEN = (8, 32, 128)
DIGITS_LRS = (0.05, 0.5, 2.0)   # slow, about right, too large
DIGITS_EPOCHS = 15
_BATCH = 32
_LOSS_RANGE = (5e-3, 5.0)


@lru_cache(maxsize=len(DIGITS_HIDDEN) * len(DIGITS_LRS))
def digits_run(hidden: int, lr: float) -> tuple[MLP, History, float]:
    """Train a 64-``hidden``-10 ReLU network with SGD at rate ``lr``: (model, history, test accuracy).

    The history holds the training loss per epoch and, as ``val_loss``, the test loss per epoch.
    A run that blows up keeps the epochs before it (``fit`` raises TrainingDiverged).
    """
    x_train, y_train, x_test, y_test = digits()
    model = MLP([64, hidden, 10], seed=0)
    try:
        history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=lr), x_train, y_train,
                      epochs=DIGITS_EPOCHS, batch_size=_BATCH, seed=0, progress=False,
                      validation=(x_test, y_test))
    except TrainingDiverged as err:
        history = err.history
    accuracy = history.val_accuracy[-1] if history.val_accuracy else float("nan")
    return model, history, float(accuracy)


def digits_accuracy_grid() -> np.ndarray:
    """Test accuracy after training, (len(DIGITS_HIDDEN), len(DIGITS_LRS)): rows hidden sizes."""
    return np.array([[digits_run(h, lr)[2] for lr in DIGITS_LRS] for h in DIGITS_HIDDEN])


def render_digits_training(hidden: int = 32, lr: float = 0.5) -> Figure:
    """Left: training and test loss per epoch of one run; right: test accuracy of all nine runs."""
    _, history, accuracy = digits_run(hidden, lr)
    grid = digits_accuracy_grid()
    fig, (left, right) = new_figure(9.0, 3.8, ncols=2, layout="fixed", margins={"top": 0.6},
                                    gridspec_kw={"width_ratios": [1.5, 1]})
    epochs = np.arange(1, len(history.epoch_loss) + 1)
    left.plot(epochs, np.clip(history.epoch_loss, *_LOSS_RANGE), color=BLUE, label="training loss")
    left.plot(epochs, np.clip(history.val_loss, *_LOSS_RANGE), "--", color=VERMILION, label="test loss")
    left.axhline(np.log(10), color="grey", linewidth=0.8, linestyle=":")
    left.text(DIGITS_EPOCHS, np.log(10) * 1.12, "ln 10: guessing", fontsize=8, color="grey", ha="right")
    left.set_yscale("log")
    left.set_ylim(*_LOSS_RANGE)
    left.set_xlim(1, DIGITS_EPOCHS)
    left.set_xticks(range(1, DIGITS_EPOCHS + 1, 2))
    left.set_xlabel("epoch")
    left.set_ylabel("loss L (mean cross-entropy)")
    # plain-text titles: mathtext would be typeset anew for every frame
    left.set_title(f"{hidden} hidden units, η = {lr:g}: test accuracy {accuracy:.1%}")
    left.legend(fontsize=8, loc="lower left")
    left.grid(alpha=0.3)

    right.imshow(grid, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(len(DIGITS_HIDDEN)):
        for j in range(len(DIGITS_LRS)):
            right.text(j, i, f"{grid[i, j]:.1%}", ha="center", va="center", fontsize=9,
                       color="white" if grid[i, j] > 0.6 else "black")
    i, j = DIGITS_HIDDEN.index(hidden), DIGITS_LRS.index(lr)
    right.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=VERMILION, linewidth=3))
    right.set_xticks(range(len(DIGITS_LRS)), [f"{v:g}" for v in DIGITS_LRS])
    right.set_yticks(range(len(DIGITS_HIDDEN)), [str(h) for h in DIGITS_HIDDEN])
    right.set_xlabel("learning rate η")
    right.set_ylabel("hidden units")
    right.set_title(f"test accuracy after {DIGITS_EPOCHS} epochs")
    return fig


def digits_explorer() -> Explorer:
    """Hidden size (3 options) × learning rate (3 options): 9 frames."""
    return Explorer(
        render_digits_training,
        [Choice("hidden", list(DIGITS_HIDDEN), value=32, label="hidden units"),
         Choice("lr", list(DIGITS_LRS), value=0.5, label="learning rate η")],
        alt="Left: the training loss and the test loss per epoch, on a log scale, of a 64-h-10 "
            "network on handwritten digits for the chosen hidden size and learning rate, with the "
            "loss of guessing, ln 10, dotted. Right: a 3 by 3 grid of the test accuracy of all "
            "nine combinations, the chosen one outlined.",
        title="Hidden size and learning rate of the digits network",
    )
