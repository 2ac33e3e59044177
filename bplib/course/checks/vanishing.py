"""Checks for chapter 6 (vanishing gradients) and chapter 7 (exploding gradients)."""

from __future__ import annotations

import math

import numpy as np

from bplib import diagnostics
from bplib.course.feedback import call_student, expect_close, expect_tuple, passed
from bplib.layers.normalization import batchnorm_backward, batchnorm_forward
from bplib.regularization import l2_penalty

__all__ = [
    "check_he_init", "check_batchnorm_backward", "check_layer_gradient_norms",
    "check_clip_by_global_norm", "check_clip_by_value", "check_l2_penalty",
]


# ------------------------------------------------------------------ chapter 6
def check_he_init(he_init) -> None:
    """``he_init(shape, rng)``: a weight (out, in) drawn from N(0, 2 / fan_in), fan_in = in."""
    shape = (300, 500)
    W = call_student(he_init, shape, np.random.default_rng(0))
    W = np.asarray(W, dtype=float) if W is not None else W
    if W is None:
        raise AssertionError("he_init returned None: return the weight array.")
    if W.shape != shape:
        hint = " It looks transposed: W has shape (out, in)." if W.shape == shape[::-1] else ""
        raise AssertionError(f"he_init{shape} returned shape {W.shape}, expected {shape}.{hint}")
    again = np.asarray(call_student(he_init, shape, np.random.default_rng(0)), dtype=float)
    if not np.array_equal(W, again):
        raise AssertionError("he_init gave different weights for the same seed: draw every number "
                             "from the rng you are given, not from np.random.")
    std, mean = float(W.std()), float(W.mean())
    target = math.sqrt(2.0 / shape[1])
    if abs(mean) > 0.01:
        raise AssertionError(f"the weights have mean {mean:.4f}; He initialisation draws them "
                             "around 0.")
    if abs(std / target - 1.0) > 0.03:
        known = {
            "sqrt(2 / fan_out): you used the number of outputs, but W is (out, in), so fan_in is "
            "shape[1]": math.sqrt(2.0 / shape[0]),
            "sqrt(2 / (fan_in + fan_out)), Xavier's formula; He's has only fan_in in the "
            "denominator": math.sqrt(2.0 / sum(shape)),
            "sqrt(1 / fan_in): the factor 2 that makes up for ReLU zeroing half its inputs is "
            "missing": math.sqrt(1.0 / shape[1]),
            "2 / fan_in: that is the variance; the standard deviation is its square root":
                2.0 / shape[1],
            "1, numpy's default: pass the standard deviation to rng.normal": 1.0,
        }
        hint = next((f" That is {why}." for why, s in known.items() if abs(std / s - 1) < 0.03), "")
        raise AssertionError(f"the weights have standard deviation {std:.4f}, expected "
                             f"sqrt(2 / fan_in) = {target:.4f} for shape {shape}.{hint}")
    passed(f"He initialisation: std {std:.4f} ≈ sqrt(2/{shape[1]}) = {target:.4f}, "
           "so ReLU layers keep the size of their signal.")


def check_batchnorm_backward(batchnorm_backward_fn) -> None:
    """``batchnorm_backward(dout, z_hat, gamma, inv_std) -> (dx, dgamma, dbeta)``, full formula."""
    rng = np.random.default_rng(11)
    x = rng.normal(2.0, 3.0, size=(6, 4))
    gamma, beta = rng.normal(1.0, 0.5, size=4), rng.normal(size=4)
    dout = rng.normal(size=(6, 4))
    _, cache = batchnorm_forward(x, gamma, beta)
    x_hat, _, inv_std = cache
    ref_dx, ref_dgamma, ref_dbeta = batchnorm_backward(dout, cache)
    got = call_student(batchnorm_backward_fn, dout, x_hat, gamma, inv_std)
    dx, dgamma, dbeta = expect_tuple("batchnorm_backward", got, 3)
    expect_close("dbeta", dbeta, ref_dbeta)
    expect_close("dgamma", dgamma, ref_dgamma)
    simplified = dout * gamma * inv_std
    dx_arr = np.asarray(dx, dtype=float)
    if dx_arr.shape == simplified.shape and np.allclose(dx_arr, simplified):
        raise AssertionError(
            "dx equals dout * gamma * inv_std: that treats the batch mean and variance as "
            "constants. In training mode they depend on every row of x, so subtract the two "
            "paths through them: the mean of dz_hat and z_hat times the mean of dz_hat * z_hat.")
    expect_close("dx", dx, ref_dx)
    passed("Your BatchNorm backward includes the paths through the batch mean and variance "
           "(every column of dx sums to zero).")


def check_layer_gradient_norms(layer_gradient_norms) -> None:
    """``layer_gradient_norms(model)``: array of ||dL/dW|| (Frobenius) per Linear layer."""
    rng = np.random.default_rng(12)
    model = diagnostics.deep_mlp(5, width=6, activation="tanh", init="xavier", rng=rng)
    record = diagnostics.record_pass(model, rng.normal(size=(8, 6)), rng.normal(size=(8, 1)))
    got = call_student(layer_gradient_norms, model)
    arr = np.asarray(got, dtype=float) if got is not None else None
    if arr is not None and arr.shape == (10,):
        raise AssertionError("you returned 10 norms for 5 Linear layers: leave the biases out, "
                             "one norm per weight matrix W.")
    if arr is not None and arr.shape == (5,):
        spectral = [np.linalg.norm(lin.W.grad, 2) for lin in diagnostics.linear_layers(model)]
        if np.allclose(arr, spectral) and not np.allclose(arr, record.grad_norms):
            raise AssertionError("these are spectral norms (largest singular value); use the "
                                 "Frobenius norm, np.sqrt(np.sum(g ** 2)) or np.linalg.norm(g).")
    expect_close("layer_gradient_norms(model)", got, record.grad_norms, rtol=1e-8, atol=1e-12)
    passed("One Frobenius norm per weight matrix, first layer first: ready to plot on a log scale.")


# ------------------------------------------------------------------ chapter 7
def _grads(seed: int):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 3.0, size=(4, 3)), rng.normal(0, 3.0, size=(4,)),
            rng.normal(0, 3.0, size=(1, 4))]


def _clip_list(name: str, got, expected: list[np.ndarray]) -> list:
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        raise AssertionError(f"{name} should return a list of {len(expected)} arrays, one per "
                             f"gradient, got {type(got).__name__}.")
    return list(got)


def check_clip_by_global_norm(clip_by_global_norm) -> None:
    """``clip_by_global_norm(grads, max_norm)``: new arrays scaled by min(1, max_norm / ||g||)."""
    grads = _grads(13)
    before = [g.copy() for g in grads]
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    for max_norm in (1.0, 2 * total):
        scale = min(1.0, max_norm / total)
        got = _clip_list("clip_by_global_norm", call_student(clip_by_global_norm, grads, max_norm),
                         grads)
        if not all(np.array_equal(g, b) for g, b in zip(grads, before, strict=True)):
            raise AssertionError("clip_by_global_norm changed the gradients you were given; return "
                                 "new arrays instead.")
        arrays = [np.asarray(g, dtype=float) for g in got]
        if max_norm == 1.0 and all(a.shape == b.shape for a, b in zip(arrays, before, strict=True)):
            each = [b * min(1.0, max_norm / np.linalg.norm(b)) for b in before]
            if all(np.allclose(a, e) for a, e in zip(arrays, each, strict=True)):
                raise AssertionError("each gradient was clipped by its own norm; clip by the "
                                     "global norm over all of them together, so the direction of "
                                     "the whole update is kept.")
        for i, (a, b) in enumerate(zip(got, before, strict=True)):
            expect_close(f"clipped gradient {i} (max_norm={max_norm:g})", a, b * scale, rtol=1e-5)
    passed(f"Global-norm clipping: a gradient of norm {total:.2f} comes out with norm 1, same "
           "direction; a small one passes unchanged.")


def check_clip_by_value(clip_by_value) -> None:
    """``clip_by_value(grads, c)``: new arrays with every entry clamped to [-c, c]."""
    grads = _grads(14)
    before = [g.copy() for g in grads]
    got = _clip_list("clip_by_value", call_student(clip_by_value, grads, 1.5), grads)
    if not all(np.array_equal(g, b) for g, b in zip(grads, before, strict=True)):
        raise AssertionError("clip_by_value changed the gradients you were given; return new "
                             "arrays (np.clip without out=).")
    for i, (a, b) in enumerate(zip(got, before, strict=True)):
        expect_close(f"clipped gradient {i}", a, np.clip(b, -1.5, 1.5), atol=1e-12)
    passed("Value clipping clamps each entry to [-c, c]; unlike norm clipping it can turn the "
           "direction of the update.")


def check_l2_penalty(l2_penalty_fn) -> None:
    """``l2_penalty(weights, weight_decay) -> (value, grads)`` for a list of arrays."""
    from bplib.layers.module import Parameter

    weights = _grads(15)
    value, grads = expect_tuple("l2_penalty", call_student(l2_penalty_fn, weights, 0.1), 2)
    ref_value, ref_grads = l2_penalty([Parameter(w) for w in weights], 0.1)
    expect_close("penalty value", value, ref_value, rtol=1e-9)
    grads = _clip_list("the gradients of l2_penalty", grads, weights)
    for i, (g, r) in enumerate(zip(grads, ref_grads, strict=True)):
        expect_close(f"gradient of the penalty for weight {i}", g, r, rtol=1e-9)
    passed("The penalty λ/2·Σ‖W‖² has gradient λ·W: exactly what SGD's weight_decay adds.")
