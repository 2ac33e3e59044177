"""Pure forward/backward pairs with explicit caches (the CS231n style).

Every ``*_forward`` returns ``(out, cache)``; the matching ``*_backward(dout, cache)``
returns the gradient of the loss with respect to each input, given ``dout``, the
gradient of the loss with respect to ``out``. The cache holds exactly what the
backward pass needs, so you can print it and see why.

Losses return ``(loss, dpred)`` in one call: the value and its gradient.
Batch-first throughout: ``x`` has shape ``(N, D)``; a weight matrix ``W`` has shape
``(M, D)`` (out, in), so ``out = x @ W.T + b``.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import (
    as_float_array,
    check_finite,
    check_ndim,
    check_nonempty,
    check_number,
    check_reduction,
    check_same_shape,
    class_labels,
)

# --------------------------------------------------------------------------- linear


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray | None):
    """Affine map ``out = x @ W.T + b``.

    x: (N, D), W: (M, D), b: (M,) or None  ->  out: (N, M), cache (x, W, has_bias)
    """
    if not isinstance(x, np.ndarray) or not isinstance(W, np.ndarray):  # lists from a student
        x, W = as_float_array(x, "x", "linear_forward"), as_float_array(W, "W", "linear_forward")
    if b is not None and not isinstance(b, np.ndarray):
        b = as_float_array(b, "b", "linear_forward")
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[1]:
        raise ValueError(
            f"linear_forward: x has shape {x.shape} and W has shape {W.shape}; expected "
            f"x (N, D) and W (M, D) with the same D."
        )
    # One row per example. (The column form of chapter 5, (W @ x.T).T, is the same product but
    # returns a column-major array, which makes every later reshape or elementwise pass strided.)
    out = x @ W.T
    if b is not None:
        try:
            out += b  # in place: out is a new array, and a second (N, M) array would cost a pass
        except ValueError:  # only a wrong b gets here, so the usual call pays nothing for the check
            raise ValueError(f"linear_forward: b has shape {np.shape(b)} but W has shape {W.shape}; "
                             f"expected b of shape ({W.shape[0]},), one bias per output.") from None
    return out, (x, W, b is not None)


def linear_backward(dout: np.ndarray, cache, input_grad: bool = True):
    """Gradients of the affine map.

    dout: (N, M)  ->  dx: (N, D) = dout @ W,  dW: (M, D) = dout.T @ x,  db: (M,) = sum of dout
    over the batch (None when the layer has no bias). ``input_grad=False`` skips dx (returned as
    None): when x is the data, nobody needs its gradient, and that matmul is a third of the work.
    """
    try:
        x, W, has_bias = cache
    except (TypeError, ValueError):
        raise TypeError("linear_backward: cache must be the (x, W, has_bias) that linear_forward returned "
                        f"with its output, got {type(cache).__name__}; run linear_forward first.") from None
    try:
        dx = dout @ W if input_grad else None
        dW = dout.T @ x
    except (ValueError, TypeError, AttributeError):  # the usual call pays nothing for this check
        raise ValueError(f"linear_backward: dout has shape {np.shape(dout)}, expected "
                         f"({x.shape[0]}, {W.shape[0]}), the shape of linear_forward's output.") from None
    db = dout.sum(axis=0) if has_bias else None
    return dx, dW, db


def _retry_as_array(x, where: str) -> np.ndarray:
    """``x`` converted once a numpy operation refused it: lists work, strings get a clear error."""
    return as_float_array(x, "x", where)


def _dout_mismatch(where: str, dout, shape: tuple) -> ValueError:
    return ValueError(f"{where}: dout has shape {np.shape(dout)} but the forward output had shape {shape}; "
                      "dout must have the output's shape.")


# ------------------------------------------------------------------- activations


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow for any x."""
    # exp of a non-positive number never overflows: use exp(-|x|) on both branches.
    try:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    except TypeError:  # a list or a string: never the case in a training loop
        x = _retry_as_array(x, "sigmoid")
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(x: np.ndarray):
    """``out = sigmoid(x)``; any shape. The cache is ``out`` itself: ``σ'(x) = σ(x)(1 - σ(x))``."""
    out = sigmoid(x)
    return out, out


def sigmoid_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dx = dout * out * (1 - out)``; same shape as dout."""
    out = cache
    try:
        return dout * out * (1.0 - out)
    except ValueError:
        raise _dout_mismatch("sigmoid_backward", dout, np.shape(out)) from None


def tanh_forward(x: np.ndarray):
    """``out = tanh(x)``; any shape. The cache is ``out``: ``tanh'(x) = 1 - tanh(x)^2``."""
    try:
        out = np.tanh(x)
    except TypeError:
        out = np.tanh(_retry_as_array(x, "tanh_forward"))
    return out, out


def tanh_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dx = dout * (1 - out^2)``; same shape as dout."""
    out = cache
    try:
        return dout * (1.0 - out**2)
    except ValueError:
        raise _dout_mismatch("tanh_backward", dout, np.shape(out)) from None


def relu_forward(x: np.ndarray):
    """``out = max(0, x)``; any shape. The cache is the mask ``x > 0``."""
    try:
        mask = x > 0
    except TypeError:
        x = _retry_as_array(x, "relu_forward")
        mask = x > 0
    return x * mask, mask


def relu_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dx = dout`` where the input was positive, 0 elsewhere (we take ReLU'(0) = 0, as PyTorch)."""
    mask = cache
    try:
        return dout * mask
    except ValueError:
        raise _dout_mismatch("relu_backward", dout, np.shape(mask)) from None


def leaky_relu_forward(x: np.ndarray, negative_slope: float = 0.01):
    """``out = x`` where x > 0, ``negative_slope * x`` elsewhere; any shape."""
    try:
        mask = x > 0
        return np.where(mask, x, negative_slope * x), (mask, negative_slope)
    except TypeError:
        x = _retry_as_array(x, "leaky_relu_forward")
        negative_slope = check_number(negative_slope, "negative_slope", "leaky_relu_forward")
        mask = x > 0
        return np.where(mask, x, negative_slope * x), (mask, negative_slope)


def leaky_relu_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dx = dout`` where x > 0, ``negative_slope * dout`` elsewhere."""
    mask, negative_slope = cache
    try:
        return np.where(mask, dout, negative_slope * dout)
    except ValueError:
        raise _dout_mismatch("leaky_relu_backward", dout, np.shape(mask)) from None


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities ``exp(z) / sum(exp(z))`` along ``axis``; shifting by the max keeps exp finite."""
    try:
        shifted = logits - logits.max(axis=axis, keepdims=True)
    except AttributeError:  # a list: converted only when it is not already an array
        logits = as_float_array(logits, "logits", "softmax")
        shifted = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log softmax(z)`` via log-sum-exp: finite even for logits of ±1000."""
    try:
        shifted = logits - logits.max(axis=axis, keepdims=True)
    except AttributeError:
        logits = as_float_array(logits, "logits", "log_softmax")
        shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_forward(logits: np.ndarray):
    """``out = softmax(logits)`` over the last axis; logits (N, C) -> out (N, C)."""
    out = softmax(logits)
    return out, out


def softmax_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Jacobian-vector product of softmax: ``dx = p * (dout - sum(dout * p))`` row by row."""
    p = cache
    try:
        return p * (dout - (dout * p).sum(axis=-1, keepdims=True))
    except ValueError:
        raise _dout_mismatch("softmax_backward", dout, np.shape(p)) from None


# ------------------------------------------------------------------------ losses


def _reduce(per_element: np.ndarray, reduction: str, count: int):
    """Apply a reduction; returns (loss, scale) where scale multiplies the per-element gradient."""
    if reduction == "mean":
        return float(per_element.sum() / count), 1.0 / count
    if reduction == "sum":
        return float(per_element.sum()), 1.0
    return per_element, 1.0


def _upstream(dloss, reduction: str, shape: tuple) -> np.ndarray | float:
    """The gradient arriving at the loss: 1 for a scalar loss, an array for reduction='none'."""
    if reduction != "none":
        if dloss is not None:
            raise ValueError(f"loss backward: dloss is only used with reduction='none' (one upstream "
                             f"gradient per element), but reduction is {reduction!r}; multiply the "
                             "returned gradient by a scalar instead, or use reduction='none'.")
        return 1.0
    if dloss is None:
        return np.ones(shape)
    dloss = np.asarray(dloss, dtype=float)
    if dloss.shape != shape:
        raise ValueError(f"loss backward: dloss has shape {dloss.shape}, expected {shape}.")
    return dloss


def _check_probability_targets(target: np.ndarray, where: str) -> None:
    """Binary cross-entropy compares with a probability: targets must lie in [0, 1]."""
    if np.any((target < 0) | (target > 1)):
        bad = target[(target < 0) | (target > 1)][0]
        raise ValueError(
            f"{where}: targets must be in [0, 1] (a label 0 or 1, or a probability), got {bad:g}. "
            "For more than two classes use softmax_cross_entropy with integer labels."
        )


def _prediction_and_target(pred, target, where: str, check_values: bool = True):
    pred = as_float_array(pred, "pred", where)
    target = as_float_array(target, "target", where, dtype=pred.dtype)
    check_nonempty(pred, "pred", where)
    check_same_shape(pred, target, ("pred", "target"), where)
    if check_values:
        check_finite(pred, "pred", where)
        check_finite(target, "target", where)
    return pred, target


def mse(pred, target, reduction: str = "mean", dloss=None):
    """Mean squared error ``mean((pred - target)^2)`` over all elements (as PyTorch).

    pred, target: same shape  ->  loss (float, or array for reduction='none'), dpred: pred's shape.
    For reduction='none', ``dloss`` is the upstream gradient of the per-element losses (default 1s).
    """
    where = "mse"
    check_reduction(reduction, where)
    pred, target = _prediction_and_target(pred, target, where, check_values=False)
    diff = pred - target
    loss, scale = _reduce(diff**2, reduction, diff.size)
    if not np.isfinite(loss).all():  # a NaN or infinity in pred or target shows here: name it
        _prediction_and_target(pred, target, where)
    dpred = diff * (2.0 * scale * _upstream(dloss, reduction, diff.shape))  # one pass over diff
    return loss, dpred


def softmax_cross_entropy(logits, labels, reduction: str = "mean", dloss=None):
    """Cross-entropy of softmax(logits) against integer class labels, averaged over the batch.

    logits: (N, C), labels: (N,) ints in [0, C)  ->  loss, dlogits: (N, C) = (softmax - onehot) / N.
    Uses log-sum-exp, so logits of ±1000 give finite values and no overflow warning.
    """
    where = "softmax_cross_entropy"
    check_reduction(reduction, where)
    logits = as_float_array(logits, "logits", where)
    check_ndim(logits, 2, "logits", where, "(N, C)")
    check_nonempty(logits, "logits", where)
    if not np.isfinite(logits).all():  # the cheap test first: this runs on every training step
        check_finite(logits, "logits", where)
    n, c = logits.shape
    # Usual labels (ints of shape (N,), all in range) pass with two cheap reductions; anything
    # else goes to class_labels, which explains what is wrong.
    if not (isinstance(labels, np.ndarray) and labels.dtype.kind in "iu" and labels.shape == (n,)
            and labels.min() >= 0 and labels.max() < c):
        labels = class_labels(labels, c, n, where)
    # log-sum-exp once, shared by the loss and the gradient: -log p[label] = log(sum e) - shifted[label]
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss, scale = _reduce(np.log(total[:, 0]) - shifted[rows, labels], reduction, n)
    dlogits = e / total  # softmax(logits)
    dlogits[rows, labels] -= 1.0
    upstream = _upstream(dloss, reduction, (n,))
    dlogits *= scale * (upstream[:, None] if reduction == "none" else upstream)
    return loss, dlogits


_LOG_FLOOR = -100.0  # PyTorch's BCELoss clamps log terms at -100 so that log(0) stays finite.


def binary_cross_entropy(pred, target, reduction: str = "mean", dloss=None):
    """Binary cross-entropy of probabilities ``pred`` in [0, 1] against targets in [0, 1].

    ``-(y log p + (1 - y) log(1 - p))``, logs clamped at -100 as in PyTorch's BCELoss.
    pred, target: same shape  ->  loss, dpred: pred's shape. Use ``binary_cross_entropy_with_logits``
    when you have logits: it is exact for any logit, where this one saturates.
    """
    where = "binary_cross_entropy"
    check_reduction(reduction, where)
    pred, target = _prediction_and_target(pred, target, where)
    _check_probability_targets(target, where)
    if np.any((pred < 0) | (pred > 1)):
        raise ValueError(
            f"{where}: pred must be probabilities in [0, 1] (put a Sigmoid before the loss), "
            f"got values from {pred.min():.3g} to {pred.max():.3g}."
        )
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(pred), _LOG_FLOOR)
        log_1mp = np.maximum(np.log1p(-pred), _LOG_FLOOR)
    loss, scale = _reduce(-(target * log_p + (1 - target) * log_1mp), reduction, pred.size)
    # d/dp of the clamped loss; eps keeps p = 0 or 1 finite (PyTorch uses the same 1e-12 floor).
    denom = np.maximum(pred * (1 - pred), 1e-12)
    dpred = (pred - target) / denom * scale * _upstream(dloss, reduction, pred.shape)
    return loss, dpred


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean", dloss=None):
    """Binary cross-entropy applied to ``sigmoid(logits)``, stable for any logit.

    ``loss = max(z, 0) - z y + log(1 + exp(-|z|))``; dlogits = (sigmoid(z) - y) (scaled by the reduction).
    """
    where = "binary_cross_entropy_with_logits"
    check_reduction(reduction, where)
    z, target = _prediction_and_target(logits, target, where)
    _check_probability_targets(target, where)
    per_element = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    loss, scale = _reduce(per_element, reduction, z.size)
    dz = (sigmoid(z) - target) * scale * _upstream(dloss, reduction, z.shape)
    return loss, dz
