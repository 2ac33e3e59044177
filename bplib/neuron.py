"""One sigmoid neuron, ``a = σ(w x + b)``, with its loss and gradients written out by the chain rule.

``a`` is the neuron's output (its guess ŷ for the target ``y``). Over N examples the loss is the
mean of the per-example losses, either half the squared error (``loss="mse"``, the default)

    ℓ = ½ (a - y)²,   ∂ℓ/∂a = a - y,   ∂a/∂z = σ'(z) = a (1 - a),   so ∂ℓ/∂z = (a - y) a (1 - a),

or the binary cross-entropy (``loss="bce"``)

    ℓ = -[y log a + (1 - y) log(1 - a)],   ∂ℓ/∂a = (a - y) / (a (1 - a)),   so ∂ℓ/∂z = a - y.

Then ∂z/∂w = x and ∂z/∂b = 1, and the batch gradient is the average of the per-example products.
``w`` may also be an array of M candidate weights: the results then have shape (M,), one per
weight (handy for plots).
"""

from __future__ import annotations

import numpy as np

from bplib._validate import as_float_array
from bplib.functional import sigmoid

LOSSES = ("mse", "bce")


def _check_loss(loss: str, where: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"{where}: loss must be 'mse' (half the squared error) or 'bce' "
                         f"(binary cross-entropy), got {loss!r}.")
    return loss


def _check_neuron(x, w, b, where: str) -> np.ndarray:
    """x as a float array of at most one axis; w a number or a 1-D array of candidates; b a number."""
    x = as_float_array(x, "x", where)
    if x.ndim > 1:
        raise ValueError(f"{where}: x must be one number or a 1-D array of N inputs (one neuron, one "
                         f"input each), got shape {x.shape}.")
    if as_float_array(w, "w", where).ndim > 1:
        raise ValueError(f"{where}: w must be one weight or a 1-D array of M candidate weights, "
                         f"got shape {np.shape(w)}.")
    if as_float_array(b, "b", where).ndim != 0:
        raise ValueError(f"{where}: b must be one number (the neuron's bias), got shape {np.shape(b)}.")
    return x


def _check_targets(x: np.ndarray, y, where: str) -> np.ndarray:
    y = np.atleast_1d(as_float_array(y, "y", where))
    if y.shape != x.shape:
        raise ValueError(f"{where}: y has shape {y.shape} but x has shape {x.shape}; give one target "
                         "per input.")
    return y


def neuron_output(x, w, b: float) -> np.ndarray:
    """``a = σ(w x + b)``; x: scalar or (N,), w: scalar or (M,) -> a: shape w.shape + x.shape."""
    x = _check_neuron(x, w, b, "neuron_output")
    return sigmoid(np.multiply.outer(w, np.asarray(x, dtype=float)) + b)


def neuron_loss(x, y, w, b: float, loss: str = "mse"):
    """Mean loss over the examples x, y (scalars or (N,)): a float, or (M,) for an array of weights.

    loss="mse": ``mean(½ (a - y)²)``; loss="bce": ``mean(-[y log a + (1 - y) log(1 - a)])``.
    """
    _check_loss(loss, "neuron_loss")
    x = np.atleast_1d(np.asarray(_check_neuron(x, w, b, "neuron_loss"), dtype=float))
    y = _check_targets(x, y, "neuron_loss")
    if loss == "bce" and np.any((y < 0) | (y > 1)):
        raise ValueError(f"neuron_loss: with loss='bce' the targets y must be in [0, 1], got values from "
                         f"{y.min():g} to {y.max():g}.")
    if loss == "mse":
        per_example = 0.5 * (neuron_output(x, w, b) - y) ** 2
    else:  # log σ(z) = -log(1 + e^{-z}) and log(1 - σ(z)) = -log(1 + e^{z}), finite for any z
        z = np.multiply.outer(w, x) + b
        per_example = y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)
    result = np.mean(per_example, axis=-1)
    return float(result) if np.ndim(result) == 0 else result


def neuron_gradients(x, y, w, b: float, loss: str = "mse"):
    """``(∂L/∂w, ∂L/∂b)`` by the chain rule; x, y: scalars or (N,); loss: "mse" or "bce"."""
    _check_loss(loss, "neuron_gradients")
    x = np.atleast_1d(np.asarray(_check_neuron(x, w, b, "neuron_gradients"), dtype=float))
    y = _check_targets(x, y, "neuron_gradients")
    a = neuron_output(x, w, b)
    dL_dz = (a - y) * a * (1 - a) if loss == "mse" else a - y  # ∂ℓ/∂a · ∂a/∂z
    dL_dz = dL_dz / x.size  # the mean over the batch
    dw, db = np.sum(dL_dz * x, axis=-1), np.sum(dL_dz, axis=-1)
    return (float(dw), float(db)) if np.ndim(dw) == 0 else (dw, db)
