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

from bplib.functional import sigmoid

LOSSES = ("mse", "bce")


def _check_loss(loss: str, where: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"{where}: loss must be 'mse' (half the squared error) or 'bce' "
                         f"(binary cross-entropy), got {loss!r}.")
    return loss


def neuron_output(x, w, b: float) -> np.ndarray:
    """``a = σ(w x + b)``; x: scalar or (N,), w: scalar or (M,) -> a: shape w.shape + x.shape."""
    return sigmoid(np.multiply.outer(w, np.asarray(x, dtype=float)) + b)


def neuron_loss(x, y, w, b: float, loss: str = "mse"):
    """Mean loss over the examples x, y (scalars or (N,)): a float, or (M,) for an array of weights.

    loss="mse": ``mean(½ (a - y)²)``; loss="bce": ``mean(-[y log a + (1 - y) log(1 - a)])``.
    """
    _check_loss(loss, "neuron_loss")
    x, y = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
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
    x, y = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    a = neuron_output(x, w, b)
    dL_dz = (a - y) * a * (1 - a) if loss == "mse" else a - y  # ∂ℓ/∂a · ∂a/∂z
    dL_dz = dL_dz / x.size  # the mean over the batch
    dw, db = np.sum(dL_dz * x, axis=-1), np.sum(dL_dz, axis=-1)
    return (float(dw), float(db)) if np.ndim(dw) == 0 else (dw, db)
