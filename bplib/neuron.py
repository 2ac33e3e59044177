"""One sigmoid neuron, ``y = σ(w x + b)``, with its loss and gradients written out by the chain rule.

The loss over N examples is ``L = (1/N) Σ ½ (y_i - t_i)²``. The chain rule gives, per example,

    ∂L/∂y = y - t,   ∂y/∂z = σ'(z) = y (1 - y),   ∂z/∂w = x,   ∂z/∂b = 1,

and the batch gradient is the average of the per-example products. ``w`` may also be an array
of M candidate weights: the results then have shape (M,), one per weight (handy for plots).
"""

from __future__ import annotations

import numpy as np

from bplib.functional import sigmoid


def neuron_output(x, w, b: float) -> np.ndarray:
    """``y = σ(w x + b)``; x: scalar or (N,), w: scalar or (M,) -> y: shape w.shape + x.shape."""
    return sigmoid(np.multiply.outer(w, np.asarray(x, dtype=float)) + b)


def neuron_loss(x, t, w, b: float):
    """``L = mean(½ (y - t)²)`` over the examples; a float, or (M,) for an array of weights."""
    y = neuron_output(np.atleast_1d(x), w, b)
    loss = np.mean(0.5 * (y - np.atleast_1d(t)) ** 2, axis=-1)
    return float(loss) if np.ndim(loss) == 0 else loss


def neuron_gradients(x, t, w, b: float):
    """``(∂L/∂w, ∂L/∂b)`` by the chain rule; x, t: scalars or (N,)."""
    x, t = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(t, dtype=float))
    y = neuron_output(x, w, b)
    dL_dz = (y - t) * y * (1 - y) / x.size  # ∂L/∂y · ∂y/∂z, averaged over the batch
    dw, db = np.sum(dL_dz * x, axis=-1), np.sum(dL_dz, axis=-1)
    return (float(dw), float(db)) if np.ndim(dw) == 0 else (dw, db)
