"""The training loop: forward, loss, backward, update, repeated over mini-batches and epochs.

``fit`` runs it and returns a ``History`` of losses, accuracies and per-parameter gradient norms,
ready for ``bplib.plots``. A step whose loss, gradients or new weights are not finite stops
training with ``TrainingDiverged``, and the parameters are put back as they were before it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from bplib._validate import (
    all_finite,
    as_float_array,
    check_bool,
    check_finite,
    check_instance,
    check_positive_int,
    generator,
)
from bplib.layers.containers import Sequential
from bplib.layers.linear import Linear
from bplib.layers.losses import BCEWithLogitsLoss
from bplib.layers.module import Module
from bplib.optim import Optimizer, clip_grad_norm_

__all__ = ["History", "TrainingDiverged", "fit", "accuracy", "compute_gradients"]


class TrainingDiverged(FloatingPointError):
    """Raised by ``fit`` when a step produces NaN or infinity; ``.history`` holds the run so far."""

    def __init__(self, message: str, step: int, epoch: int, history: History):
        super().__init__(message)
        self.step, self.epoch, self.history = step, epoch, history


@dataclass
class History:
    """What happened during ``fit``.

    step_loss: loss of every mini-batch, in order (length ``steps``);
    epoch_loss: mean training loss of each epoch (weighted by batch size);
    accuracy: accuracy on the whole training set after each epoch (empty if the targets are not
    class labels); grad_norms: ``{parameter name: [L2 norm of its gradient at each step]}``,
    measured before any clipping; val_loss / val_accuracy: per epoch when validation data is given;
    snapshots: ``{epoch: {parameter name: copy of its values}}`` for the requested epochs.
    """

    step_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    snapshots: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """Number of epochs completed."""
        return len(self.epoch_loss)

    @property
    def steps(self) -> int:
        """Number of parameter updates made."""
        return len(self.step_loss)

    def grad_norm_array(self, name: str) -> np.ndarray:
        """Gradient norms of one parameter over the steps, as an array (steps,)."""
        if name not in self.grad_norms:
            raise KeyError(f"History has no gradient norms for {name!r}; "
                           f"known parameters: {sorted(self.grad_norms)}.")
        return np.asarray(self.grad_norms[name])

    def restore(self, model: Module, epoch: int) -> Module:
        """Copy the snapshot taken after ``epoch`` (0 = before training) into ``model``."""
        if epoch not in self.snapshots:
            raise KeyError(f"History has no snapshot of epoch {epoch}; snapshots were kept for "
                           f"epochs {sorted(self.snapshots)} (pass snapshot_epochs= to fit).")
        for name, p in model.named_parameters():
            p.data[...] = self.snapshots[epoch][name]
        return model

    def __repr__(self) -> str:
        last = f", final loss {self.epoch_loss[-1]:.4g}" if self.epoch_loss else ""
        acc = f", accuracy {self.accuracy[-1]:.3f}" if self.accuracy else ""
        return f"History({self.epochs} epochs, {self.steps} steps{last}{acc})"


def accuracy(pred: np.ndarray, y: np.ndarray, logits: bool = False) -> float | None:
    """Fraction of correct predictions, or None when ``y`` does not hold class labels.

    pred (N, C) with integer labels y (N,): argmax; pred (N, 1) with 0/1 targets y (N,) or (N, 1):
    threshold at 0.5 (at 0 when ``logits``).
    """
    logits = check_bool(logits, "logits", "accuracy")
    pred, y = np.asarray(pred), np.asarray(y)
    if pred.size == 0 or y.size == 0:
        raise ValueError(f"accuracy: pred (shape {pred.shape}) and y (shape {y.shape}) must hold at least "
                         "one example; the accuracy of an empty set is undefined.")
    if pred.ndim >= 1 and y.ndim >= 1 and len(pred) != len(y):
        raise ValueError(f"accuracy: pred has {len(pred)} rows but y has {len(y)}; they must match "
                         "row for row.")
    if y.dtype.kind in "iu" and y.ndim == 1 and pred.ndim == 2 and pred.shape[1] > 1:
        return float(np.mean(np.argmax(pred, axis=1) == y))
    if pred.ndim == 2 and pred.shape[1] == 1 and y.size == pred.shape[0]:
        target = y.reshape(-1)
        if np.all((target == 0) | (target == 1)):
            guess = pred[:, 0] > (0.0 if logits else 0.5)
            return float(np.mean(guess == (target == 1)))
    return None


def compute_gradients(model: Module, loss_fn, x, y) -> dict[str, np.ndarray]:
    """Forward, loss and backward on (x, y) without an update: {parameter name: copy of its grad}.

    The parameters' ``.grad`` are zeroed first and hold these gradients afterwards.
    """
    where = "compute_gradients"
    check_instance(model, "model", where, "bp.MLP([2, 16, 1])")
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be a bplib Module (e.g. bp.MLP(...)), got {type(model).__name__}.")
    check_instance(loss_fn, "loss_fn", where, "bp.MSELoss()")
    model.zero_grad()
    loss_fn(model(x), y)
    _backward_from_loss(model, loss_fn.backward())  # x is data: its own gradient is skipped
    return {name: p.grad.copy() for name, p in model.named_parameters()}


def _buffers(model: Module) -> list[np.ndarray]:
    """Non-parameter state updated by forward passes (BatchNorm's running statistics)."""
    found, stack = [], [model]
    while stack:
        module = stack.pop()
        found += [v for k, v in vars(module).items()
                  if k.startswith("running_") and isinstance(v, np.ndarray)]
        stack += [child for _, child in module.children()]
    return found


def _check_loss_and_optimizer(model, loss_fn, optimizer) -> None:
    """Refuse a class where an instance is meant, and an optimiser built on another model."""
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be a bplib Module (e.g. bp.MLP(...)), "
                        f"got {type(model).__name__}.")
    if isinstance(loss_fn, type):
        raise TypeError(f"fit: loss_fn is the class {loss_fn.__name__}, not a loss; create one "
                        f"with parentheses: {loss_fn.__name__}().")
    if not callable(loss_fn) or not callable(getattr(loss_fn, "backward", None)):
        raise TypeError("fit: loss_fn must be a loss with a backward() method, e.g. bp.MSELoss() "
                        f"or bp.CrossEntropyLoss(), got {type(loss_fn).__name__}.")
    if isinstance(optimizer, type):
        raise TypeError(f"fit: optimizer is the class {optimizer.__name__}, not an optimiser; "
                        f"create one: {optimizer.__name__}(model.parameters(), lr=0.1).")
    if not isinstance(optimizer, Optimizer):
        raise TypeError("fit: optimizer must be a bplib.optim optimiser (e.g. "
                        "bp.optim.SGD(model.parameters(), lr=0.1)), "
                        f"got {type(optimizer).__name__}.")
    own = {id(p) for p in model.parameters()}
    stepped = {id(p) for p in optimizer.params}
    if not own & stepped:
        raise ValueError("fit: the optimiser holds none of this model's parameters, so training "
                         "would change nothing; was it built on another model? Build it from this "
                         "one: bp.optim.SGD(model.parameters(), lr=0.1).")
    if stepped - own:
        raise ValueError(f"fit: the optimiser also updates {len(stepped - own)} parameter(s) that "
                         "are not part of this model; build it from model.parameters().")
    if own - stepped:
        warnings.warn(f"fit: the optimiser updates {len(own & stepped)} of the model's {len(own)} "
                      "parameters; the others stay frozen.", stacklevel=3)


def _check_inputs(model, loss_fn, optimizer, x, y, epochs, batch_size, callbacks, validation,
                  max_grad_norm):
    _check_loss_and_optimizer(model, loss_fn, optimizer)
    x = as_float_array(x, "x", "fit")
    if y is None or np.ndim(y) == 0:
        raise TypeError(f"fit: y must be an array with one target (or label) per row of x, "
                        f"got {y!r}.")
    y = np.asarray(y)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"fit: x must have shape (N, features) with N >= 1, got shape {x.shape}.")
    check_finite(x, "x", "fit")
    if y.dtype.kind == "f":
        check_finite(y, "y", "fit")
    if len(y) != len(x):
        raise ValueError(f"fit: x has {len(x)} examples but y has {len(y)}; "
                         "they must match row for row.")
    if validation is not None and (not isinstance(validation, (tuple, list)) or len(validation) != 2):
        raise TypeError("fit: validation must be a pair (x_val, y_val), got "
                        f"{type(validation).__name__}.")
    if max_grad_norm is not None and (isinstance(max_grad_norm, bool) or
                                      not isinstance(max_grad_norm, (int, float, np.number))
                                      or not math.isfinite(max_grad_norm) or max_grad_norm <= 0):
        raise ValueError(f"fit: max_grad_norm must be a number > 0 (e.g. 1.0), or None for no "
                         f"clipping, got {max_grad_norm!r}.")
    for i, callback in enumerate(callbacks):
        if not callable(callback):
            raise TypeError(f"fit: callbacks[{i}] is {callback!r}, not a function; a callback "
                            "takes the History and returns True to stop training.")
    epochs = check_positive_int(epochs, "epochs", "fit")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size", "fit")
    batch_size = len(x) if batch_size is None else batch_size
    return x, y, epochs, min(batch_size, len(x))


def fit(model: Module, loss_fn, optimizer: Optimizer, x, y, epochs: int = 1,
        batch_size: int | None = None, shuffle: bool = True, rng: np.random.Generator | None = None,
        seed: int | None = None, progress: bool = True,
        callbacks: Iterable[Callable[[History], bool | None]] = (),
        max_grad_norm: float | None = None, validation: tuple | None = None,
        snapshot_epochs: Iterable[int] = ()) -> History:
    """Train ``model`` on (x, y) and return its ``History``.

    x: (N, features); y: what ``loss_fn`` expects (labels (N,) or targets (N, outputs)).
    ``batch_size=None`` uses the whole set (full-batch gradient descent). The order of the examples
    is reshuffled every epoch from ``rng``/``seed``, so the same seed gives the same run.
    After each epoch every callback gets the history; one returning True stops training early.
    ``max_grad_norm`` clips the total gradient norm before each update.
    """
    callbacks = list(callbacks)
    shuffle = check_bool(shuffle, "shuffle", "fit")
    x, y, epochs, batch_size = _check_inputs(model, loss_fn, optimizer, x, y, epochs, batch_size,
                                             callbacks, validation, max_grad_norm)
    rng = generator(rng, seed, "fit")
    named = model.named_parameters()
    history = History(grad_norms={name: [] for name, _ in named})
    keep = set(snapshot_epochs)
    if 0 in keep:
        history.snapshots[0] = {name: p.data.copy() for name, p in named}
    logits = isinstance(loss_fn, BCEWithLogitsLoss)
    stateful = bool(_buffers(model))  # BatchNorm's statistics, saved before each step if any
    undo = [np.empty_like(p.data) for _, p in named]  # each step's parameters, before its update
    bar = _progress_bar(epochs, progress)
    n = len(x)
    try:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n) if shuffle else np.arange(n)
            total = 0.0
            model.train()
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                loss = _step(model, loss_fn, optimizer, x[idx], y[idx], named, history,
                             max_grad_norm, epoch, stateful, undo)
                total += loss * len(idx)
            history.epoch_loss.append(total / n)
            _evaluate(model, loss_fn, x, y, logits, history.accuracy, None)
            if validation is not None:
                _evaluate(model, loss_fn, *validation, logits, history.val_accuracy,
                          history.val_loss)
            if epoch in keep:
                history.snapshots[epoch] = {name: p.data.copy() for name, p in named}
            bar.update(1)
            bar.set_postfix(loss=f"{history.epoch_loss[-1]:.4g}", refresh=False)
            if any(callback(history) for callback in callbacks):
                history.stopped_early = True
                break
    finally:
        bar.close()
        model.train()
    return history


def _step(model, loss_fn, optimizer, xb, yb, named, history, max_grad_norm, epoch,
          stateful, undo) -> float:
    """One update, the four steps in order; restores the parameters if anything is not finite.

    ``undo``: one array per parameter, overwritten with its values just before the update.
    """
    step = history.steps + 1
    saved_buffers = [b.copy() for b in _buffers(model)] if stateful else []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        optimizer.zero_grad()
        pred = model(xb)                     # 1. forward pass
        if not all_finite(pred):
            _diverged("the network's output is not finite", step, epoch, optimizer, model,
                      saved_buffers, history)
        loss = float(loss_fn(pred, yb))      # 2. loss
        if not math.isfinite(loss):
            _diverged(f"the loss is {loss}", step, epoch, optimizer, model, saved_buffers, history)
        _backward_from_loss(model, loss_fn.backward())  # 3. backward pass: fills every p.grad
        norms = {name: float(np.linalg.norm(p.grad)) for name, p in named}
        bad = [name for name, v in norms.items() if not math.isfinite(v)]
        if bad:
            _diverged(f"the gradient of {bad[0]!r} is not finite", step, epoch, optimizer, model,
                      saved_buffers, history)
        if max_grad_norm is not None:
            clip_grad_norm_(optimizer.params, max_grad_norm)
        for i, (_, p) in enumerate(named):
            if undo[i].shape != p.data.shape or undo[i].dtype != p.data.dtype:  # data was replaced
                undo[i] = np.empty_like(p.data)
            np.copyto(undo[i], p.data)
        optimizer.step()                     # 4. update
        bad = [name for name, p in named if not all_finite(p.data)]
        if bad:
            for (_, p), old in zip(named, undo, strict=True):
                p.data[...] = old
            _diverged(f"the update made {bad[0]!r} overflow to infinity/NaN", step, epoch,
                      optimizer, model, saved_buffers, history)
    history.step_loss.append(loss)
    for name, value in norms.items():
        history.grad_norms[name].append(value)
    return loss


def _backward_from_loss(model: Module, dout: np.ndarray) -> None:
    """The training step's backward pass. Its input is the data, whose own gradient nobody reads:
    containers and linear layers skip computing it (the parameters' gradients are the same)."""
    if isinstance(model, (Sequential, Linear)):
        model.backward(dout, input_grad=False)
    else:
        model.backward(dout)


def _diverged(what, step, epoch, optimizer, model, saved_buffers, history):
    for buffer, old in zip(_buffers(model), saved_buffers, strict=True):
        buffer[...] = old
    raise TrainingDiverged(
        f"fit: training diverged at step {step} (epoch {epoch}): {what}. The parameters are left "
        f"as they were before this step. The updates are too large: try a lower learning rate "
        f"(lr={optimizer.lr:g} now) or clip the gradients (fit(..., max_grad_norm=1.0)).",
        step, epoch, history)


def _evaluate(model, loss_fn, x, y, logits, accuracies: list, losses: list | None) -> None:
    """Append accuracy (and loss) on a whole data set, in eval mode, without touching gradients."""
    model.eval()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        pred = model(as_float_array(x, "x", "fit"))
        if losses is not None:
            losses.append(float(loss_fn(pred, y)))
    acc = accuracy(pred, y, logits=logits)
    if acc is not None:
        accuracies.append(acc)
    model.train()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(epochs: int, progress: bool):
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm

    # delay: runs shorter than two seconds never show a bar
    return tqdm(total=epochs, desc="epochs", unit="epoch", delay=2.0, leave=False)
