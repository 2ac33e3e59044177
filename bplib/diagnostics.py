"""Look inside a deep network: per-layer activation statistics and gradient norms for one pass.

``deep_mlp`` builds the networks of the vanishing/exploding-gradient experiments (depth x
activation x initialisation x plain/residual/batch-norm); ``record_pass`` runs one forward and
backward pass and keeps, for every hidden layer, its activations and the norm of ``dL/dW``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bplib import init as initialisers
from bplib._validate import check_instance, check_positive_int, generator
from bplib.layers.activations import make_activation
from bplib.layers.containers import Sequential
from bplib.layers.linear import Linear
from bplib.layers.losses import Loss, MSELoss
from bplib.layers.module import Module
from bplib.layers.normalization import BatchNorm1d
from bplib.layers.residual import Residual


def naive_init(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """"Small random numbers": ``N(0, 0.01^2)`` whatever the layer size (the pre-2010 habit)."""
    return initialisers.normal(shape, rng, 0.0, 0.01, dtype)


def large_init(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """``N(0, 1)`` whatever the layer size: too large for any wide layer."""
    return initialisers.normal(shape, rng, 0.0, 1.0, dtype)


# Initialisations of the experiments, by the names the chapters use.
INITS = {
    "naive": naive_init,
    "large": large_init,
    "xavier": initialisers.xavier_normal,
    "he": initialisers.he_normal,
}
ARCHITECTURES = ("plain", "residual", "batchnorm")


def _init_scheme(init):
    if callable(init):
        return init
    if init in INITS:
        return INITS[init]
    return initialisers.get_scheme(init)


def _block(fan_in: int, width: int, activation, init, architecture: str, rng, dtype) -> Module:
    # Batch norm subtracts the batch mean, so a bias before it would do nothing: beta replaces it.
    linear = Linear(fan_in, width, bias=architecture != "batchnorm", init=init, rng=rng,
                    dtype=dtype)
    if architecture == "residual" and fan_in == width:
        # Activation first, then Linear: h + W act(h) adds no constant offset per block (sigmoid's
        # outputs average 1/2), so the skip path stays the dominant route in both directions.
        return Residual(Sequential(make_activation(activation), linear))
    layers: list[Module] = [linear]
    if architecture == "batchnorm":
        layers.append(BatchNorm1d(width, dtype=dtype))
    layers.append(make_activation(activation))
    return Sequential(*layers)


def deep_mlp(depth: int, width: int = 32, activation="sigmoid", init="naive",
             architecture: str = "plain", in_features: int | None = None, out_features: int = 1,
             rng: np.random.Generator | None = None, seed: int | None = None, dtype=np.float64):
    """A network with ``depth`` Linear layers: ``depth - 1`` hidden blocks, then a Linear output.

    x: (N, in_features) -> (N, out_features); ``in_features`` defaults to ``width`` so every hidden
    block can be residual. A hidden block is Linear -> activation, Linear (no bias) ->
    BatchNorm1d -> activation with ``architecture='batchnorm'``, or with
    ``architecture='residual'`` ``h + Linear(activation(h))`` (the first block too when
    ``in_features == width``). ``init`` is 'naive' (N(0, 0.01^2)), 'large'
    (N(0, 1)), 'xavier', 'he', any name from ``bplib.init.SCHEMES``, or a function.
    """
    where = "deep_mlp"
    depth = check_positive_int(depth, "depth", where)
    width = check_positive_int(width, "width", where)
    if architecture not in ARCHITECTURES:
        raise ValueError(f"{where}: architecture must be one of {ARCHITECTURES}, "
                         f"got {architecture!r}.")
    in_features = width if in_features is None else check_positive_int(in_features, "in_features",
                                                                        where)
    rng = generator(rng, seed, where)
    scheme = _init_scheme(init)
    make_activation(activation)  # fail early on an unknown activation name
    blocks = [_block(in_features if i == 0 else width, width, activation, scheme, architecture,
                     rng, dtype) for i in range(depth - 1)]
    last_in = in_features if depth == 1 else width
    blocks.append(Linear(last_in, out_features, init=scheme, rng=rng, dtype=dtype))
    return Sequential(*blocks)


def linear_layers(model: Module) -> list[Linear]:
    """Every Linear layer inside ``model``, first to last (depth-first, in attribute order)."""
    if not isinstance(model, Module):
        raise TypeError(f"expected a bplib Module such as bp.MLP(...), got {type(model).__name__}.")
    found: list[Linear] = []

    def visit(module: Module) -> None:
        if isinstance(module, Linear):
            found.append(module)
        for _, child in module.children():
            visit(child)

    visit(model)
    return found


def weight_norms(model: Module) -> np.ndarray:
    """Frobenius norm ``||W||`` of each Linear layer's weight: shape (number of Linear layers,)."""
    return np.array([np.linalg.norm(layer.W.data) for layer in linear_layers(model)])


def gradient_norms(model: Module) -> np.ndarray:
    """Frobenius norm ``||dL/dW||`` of each Linear layer's weight gradient, first to last."""
    return np.array([np.linalg.norm(layer.W.grad) for layer in linear_layers(model)])


@dataclass
class PassRecord:
    """What one forward/backward pass looked like, layer by layer.

    activations: the output of each top-level hidden layer (arrays (N, width)), first to last;
    grad_norms: ``||dL/dW||`` per Linear layer (K,); weight_norms: ``||W||`` per Linear layer (K,);
    signal_norms: ``||dL/da||`` for the input x and each entry of ``activations`` (layers + 1,).
    """

    loss: float
    activations: list[np.ndarray]
    grad_norms: np.ndarray
    weight_norms: np.ndarray
    signal_norms: np.ndarray

    @property
    def activation_mean(self) -> np.ndarray:
        """Mean activation per hidden layer."""
        return np.array([a.mean() for a in self.activations])

    @property
    def activation_std(self) -> np.ndarray:
        """Standard deviation of the activations per hidden layer."""
        return np.array([a.std() for a in self.activations])

    @property
    def ratio(self) -> float:
        """``||dL/dW||`` of the first Linear layer divided by that of the last (1 = balanced)."""
        return float(self.grad_norms[0] / self.grad_norms[-1])

    @property
    def layer_gains(self) -> np.ndarray:
        """How much the backward pass multiplies the gradient ∂L/∂a per hidden block, first first.

        ``signal_norms[i] / signal_norms[i + 1]``: ``||dL/da||`` arriving at a block's input divided
        by ``||dL/da||`` arriving at its output. Their product is the first/last ratio of those gradients.
        """
        return self.signal_norms[:-1] / self.signal_norms[1:]


_SLOPE_FROM_OUTPUT = {"sigmoid": lambda a: a * (1.0 - a), "tanh": lambda a: 1.0 - a * a}
_SLOPE_PEAK = {"sigmoid": 0.25, "tanh": 1.0}


def saturated_fraction(record: PassRecord, activation: str, level: float = 0.05) -> np.ndarray:
    """Per hidden layer, the fraction of (example, unit) pairs whose slope f'(z) is below
    ``level`` times its peak (sigmoid 1/4, tanh 1): units on the flat tails of their curve.

    activation: 'sigmoid' or 'tanh' (f' is computed from the stored outputs a); returns (layers,).
    """
    if activation not in _SLOPE_FROM_OUTPUT:
        raise ValueError(f"saturated_fraction: activation must be 'sigmoid' or 'tanh' (the curves "
                         f"that flatten out), got {activation!r}.")
    if not 0 < level < 1:
        raise ValueError(f"saturated_fraction: level must be between 0 and 1 (a fraction of the "
                         f"peak slope), got {level!r}.")
    slope, peak = _SLOPE_FROM_OUTPUT[activation], _SLOPE_PEAK[activation]
    return np.array([np.mean(slope(a) < level * peak) for a in record.activations])


def inactive_fraction(record: PassRecord) -> np.ndarray:
    """Per hidden layer, the fraction of units whose output is <= 0 for every example of the pass.

    For ReLU such a unit is dead on this data: its gradient is zero for every example, so no step
    of gradient descent on this data can bring it back. Returns (layers,).
    """
    if not isinstance(record, PassRecord):
        raise TypeError(f"inactive_fraction: record must be the PassRecord that record_pass returns, "
                        f"got {type(record).__name__}.")
    return np.array([np.mean(np.all(a <= 0, axis=0)) for a in record.activations])


def record_pass(model: Module, x: np.ndarray, y: np.ndarray,
                loss_fn: Loss | None = None) -> PassRecord:
    """One forward and backward pass of a ``Sequential`` model, recording every hidden layer.

    x: (N, in), y: the target for ``loss_fn`` (default ``MSELoss``). Gradients are zeroed first,
    so ``grad_norms`` belong to this pass alone. Activations are the outputs of the top-level
    layers except Linear ones and the last layer.
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"record_pass: model must be a Sequential (or MLP) so its layers can be "
                        f"watched one by one, got {type(model).__name__}.")
    check_instance(loss_fn, "loss_fn", "record_pass", "MSELoss()")
    loss_fn = MSELoss() if loss_fn is None else loss_fn
    model.zero_grad()
    activations = []
    out = np.asarray(x)
    for i, layer in enumerate(layers):
        out = layer(out)
        if i < len(layers) - 1 and not isinstance(layer, Linear):
            activations.append(out)
    loss = float(loss_fn(out, y))
    # Sequential.backward, one layer at a time, to see the error signal between the layers.
    dout, signal = loss_fn.backward(), []
    for i in reversed(range(len(layers))):
        if i < len(layers) - 1 and not isinstance(layers[i], Linear):
            signal.append(np.linalg.norm(dout))  # dL/d(output of hidden layer i)
        dout = layers[i].backward(dout)
    signal.append(np.linalg.norm(dout))  # dL/dx
    return PassRecord(loss, activations, gradient_norms(model), weight_norms(model),
                      np.array(signal[::-1]))


def gradient_profile(depth: int, activation="sigmoid", init="naive", architecture: str = "plain",
                     width: int = 32, batch: int = 64, seed: int = 0) -> PassRecord:
    """Build ``deep_mlp`` and record one pass on seeded data x ~ N(0, 1), y ~ N(0, 1).

    x: (batch, width), y: (batch, 1); returns the ``PassRecord`` (``.grad_norms`` has ``depth``
    entries, first layer first).
    """
    rng = generator(None, seed, "gradient_profile")
    batch = check_positive_int(batch, "batch", "gradient_profile")
    model = deep_mlp(depth, width, activation, init, architecture, rng=rng)
    x = rng.standard_normal((batch, width))
    y = rng.standard_normal((batch, 1))
    return record_pass(model, x, y)


@dataclass
class TrainingRun:
    """Step-by-step record of a full-batch training run (arrays of length ``steps`` completed).

    loss: the loss at each step; grad_norm: the total gradient norm ``||g||`` before any clipping;
    weight_norm: the total ``||θ||`` after each update; diverged_at: the step (1-based) whose loss
    or gradient was no longer finite, or None.
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    weight_norm: np.ndarray
    diverged_at: int | None


def training_run(model: Module, x: np.ndarray, y: np.ndarray, lr: float, steps: int = 100,
                 clip_norm: float | None = None, clip_value: float | None = None,
                 weight_decay: float = 0.0, loss_fn: Loss | None = None) -> TrainingRun:
    """Full-batch SGD on (x, y) for ``steps`` steps, with optional clipping and weight decay.

    Unlike ``bp.fit`` it never raises when training blows up: it stops at the first step whose
    loss or gradient is not finite and reports it in ``diverged_at``, so a chapter can plot the
    failing run next to the fixed ones.
    """
    from bplib import optim

    loss_fn = MSELoss() if loss_fn is None else loss_fn
    params = model.parameters()
    optimizer = optim.SGD(params, lr=lr, weight_decay=weight_decay)
    losses, grad_norms, weight_norms_ = [], [], []
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, check_positive_int(steps, "steps", "training_run") + 1):
            optimizer.zero_grad()
            try:
                loss = float(loss_fn(model(x), y))
            except ValueError:
                # A Linear layer refuses the inf/NaN that the layer before it produced.
                loss = float("inf")
            if not np.isfinite(loss):
                diverged_at = step
                break
            model.backward(loss_fn.backward())
            total = float(np.sqrt(sum(np.sum(p.grad * p.grad) for p in params)))
            if not np.isfinite(total):
                diverged_at = step
                break
            if clip_norm is not None:
                optim.clip_grad_norm_(params, clip_norm)
            if clip_value is not None:
                optim.clip_grad_value_(params, clip_value)
            optimizer.step()
            losses.append(loss)
            grad_norms.append(total)
            weight_norms_.append(float(np.sqrt(sum(np.sum(p.data * p.data) for p in params))))
    return TrainingRun(np.array(losses), np.array(grad_norms), np.array(weight_norms_), diverged_at)


def sine_task(n: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The regression task of the exploding-gradient experiments: x ~ U(-3, 3), y = sin(x).

    x: (n, 1), y: (n, 1).
    """
    rng = generator(None, seed, "sine_task")
    x = rng.uniform(-3.0, 3.0, size=(check_positive_int(n, "n", "sine_task"), 1))
    return x, np.sin(x)


def exploding_experiment(lr: float = 0.3, clip_norm: float | None = None,
                         clip_value: float | None = None, weight_decay: float = 0.0,
                         init="xavier", depth: int = 6, width: int = 32, activation="tanh",
                         steps: int = 200, seed: int = 0) -> TrainingRun:
    """Chapter 7's run: a ``deep_mlp`` (tanh, depth 6, width 32) fitted to ``sine_task`` by SGD.

    With the defaults (lr 0.3, no clipping) the loss blows up to infinity within ``steps``; each
    keyword switches on one fix. Same seed, same network, same data for every variant.
    """
    x, y = sine_task(seed=seed)
    model = deep_mlp(depth, width, activation, init, in_features=1, seed=seed + 1)
    return training_run(model, x, y, lr, steps, clip_norm=clip_norm, clip_value=clip_value,
                        weight_decay=weight_decay)


@dataclass
class ActivityRun:
    """A classifier trained by ``unit_activity_run``: inactive fractions per hidden layer on the
    training data before and after training (layers,), the final loss and the accuracy."""

    inactive_before: np.ndarray
    inactive_after: np.ndarray
    loss: float
    accuracy: float


def unit_activity_run(x: np.ndarray, labels: np.ndarray, activation: str = "relu", lr: float = 0.1,
                      bias: float = 0.0, init="he", depth: int = 4, width: int = 32, steps: int = 300,
                      seed: int = 1) -> ActivityRun:
    """Train a ``deep_mlp`` classifier (cross-entropy, full-batch SGD) whose hidden biases start
    at ``bias``, and count the units that are inactive on every example before and after.

    x: (N, D), labels: (N,) integers; the network has one output per class.
    """
    from bplib.layers.losses import CrossEntropyLoss

    labels = np.asarray(labels)
    model = deep_mlp(depth, width, activation, init, in_features=x.shape[1],
                     out_features=int(labels.max()) + 1, seed=seed)
    for layer in linear_layers(model)[:-1]:
        layer.b.data[:] = bias
    before = inactive_fraction(record_pass(model, x, labels, CrossEntropyLoss()))
    run = training_run(model, x, labels, lr, steps, loss_fn=CrossEntropyLoss())
    after = inactive_fraction(record_pass(model, x, labels, CrossEntropyLoss()))
    accuracy = float(np.mean(model(x).argmax(axis=1) == labels))
    return ActivityRun(before, after, float(run.loss[-1]), accuracy)


def profile_table(configs, depth: int = 10, **kwargs) -> str:
    """One line per (activation, init, architecture): first and last ||dL/dW|| and their ratio.

    configs: a list of 3-tuples for ``gradient_profile``; extra keywords go to it too.
    """
    try:
        configs = [tuple(c) for c in configs]
    except TypeError:
        raise TypeError("profile_table: configs must be a list of (activation, init, architecture) triples, "
                        f"e.g. [('sigmoid', 'naive', 'plain')], got {type(configs).__name__}.") from None
    for i, c in enumerate(configs):
        if len(c) != 3:
            raise ValueError(f"profile_table: configs[{i}] must be (activation, init, architecture), got {c!r}.")
    lines = []
    for activation, init, architecture in configs:
        r = gradient_profile(depth, activation, init, architecture, **kwargs)
        lines.append(f"{activation:>7}, {init:>6} init, {architecture:>9}: "
                     f"first {r.grad_norms[0]:.1e}, last {r.grad_norms[-1]:.1e}, "
                     f"first/last {r.ratio:.1e}")
    return "\n".join(lines)
