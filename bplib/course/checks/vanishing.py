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
    "check_residual_block_backward", "check_vanishing_factor_prediction",
    "check_clip_by_global_norm", "check_clip_by_value", "check_l2_penalty",
    "check_clip_rows_backward", "check_value_clip_norm_prediction",
]


# ------------------------------------------------------------------ chapter 6
def check_he_init(he_init) -> None:
    """``he_init(shape, rng)``: a weight (out, in) drawn from N(0, 2 / fan_in), fan_in = in."""
    shape = (300, 500)
    W = call_student(he_init, shape, np.random.default_rng(0))
    _no_tuple("he_init", W)
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


def _no_tuple(name: str, got) -> None:
    """Raise when a function returned its array wrapped in a tuple, e.g. ``return dx,``."""
    if isinstance(got, tuple) and len(got) == 1:
        raise AssertionError(f"{name} returned a tuple holding one array: return the array "
                             "itself, not a tuple (look for a trailing comma after return).")


def _first_wrong(name: str, got, expected: np.ndarray) -> str:
    """'dx wrong at [i, j]: expected .., got ..' for the first differing entry, or '' if none."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return ""
    if got.shape != expected.shape:
        return ""
    close = np.isclose(got, expected, atol=1e-10, rtol=1e-8)
    if close.all():
        return ""
    where = tuple(int(i) for i in np.argwhere(~close)[0])
    return (f"{name} wrong at {list(where)}: expected {expected[where]:.4f}, got {got[where]:.4f} "
            f"({int((~close).sum())} of {close.size} entries differ). Likely cause: ")


def _batchnorm_slips(dout, z_hat, gamma, inv_std) -> dict[str, np.ndarray]:
    """What the planted bug and the likely wrong fixes give for dx, keyed by the message."""
    g = dout * gamma
    mean0 = g.mean(axis=0)
    var0 = (g * z_hat).mean(axis=0)
    return {
        "dx still takes the mean of dz_hat over axis=1, the planted bug: that averages the D "
        "features of one example. The batch mean μ is a mean over the N examples, so the path "
        "through it is the mean over axis=0.":
            inv_std * (g - g.mean(axis=1, keepdims=True) - z_hat * var0),
        "both means now run over axis=1, across the features of one example; μ and s² are "
        "statistics of the batch, so both means go over axis=0.":
            inv_std * (g - g.mean(axis=1, keepdims=True)
                       - z_hat * (g * z_hat).mean(axis=1, keepdims=True)),
        "you deleted the term with the wrong axis instead of fixing it: that drops the path "
        "through the batch mean. Keep it, as the mean of dz_hat over axis=0.":
            inv_std * (g - z_hat * var0),
        "dx has no path through the variance: subtract z_hat times the mean over the batch of "
        "dz_hat * z_hat as well.": inv_std * (g - mean0),
        "dx uses dout where it needs dz_hat = gamma * dout: the scale gamma sits between "
        "z_hat and the output.": inv_std * (dout - dout.mean(axis=0) - z_hat * (dout * z_hat).mean(axis=0)),
    }


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
    if dx_arr.shape == ref_dx.shape and not np.allclose(dx_arr, ref_dx):
        for hint, wrong in _batchnorm_slips(dout, x_hat, gamma, inv_std).items():
            if np.allclose(dx_arr, wrong):
                raise AssertionError(_first_wrong("dx", dx_arr, ref_dx) + hint)
    expect_close("dx", dx, ref_dx)
    passed("Your BatchNorm backward includes the paths through the batch mean and variance "
           "(every column of dx sums to zero).")


def check_layer_gradient_norms(layer_gradient_norms) -> None:
    """``layer_gradient_norms(model)``: array of ||dL/dW|| (Frobenius) per Linear layer."""
    rng = np.random.default_rng(12)
    model = diagnostics.deep_mlp(5, width=6, activation="tanh", init="xavier", rng=rng)
    record = diagnostics.record_pass(model, rng.normal(size=(8, 6)), rng.normal(size=(8, 1)))
    got = call_student(layer_gradient_norms, model)
    _no_tuple("layer_gradient_norms", got)
    arr = np.asarray(got, dtype=float) if got is not None else None
    if arr is not None and arr.shape == (10,):
        raise AssertionError("you returned 10 norms for 5 Linear layers: leave the biases out, "
                             "one norm per weight matrix W.")
    if arr is not None and arr.shape == (5,):
        spectral = [np.linalg.norm(lin.W.grad, 2) for lin in diagnostics.linear_layers(model)]
        if np.allclose(arr, spectral) and not np.allclose(arr, record.grad_norms):
            raise AssertionError("these are spectral norms (largest singular value); use the "
                                 "Frobenius norm, np.sqrt(np.sum(g ** 2)) or np.linalg.norm(g).")
    if arr is not None and arr.shape == (5,) and np.allclose(arr, record.grad_norms[::-1]) \
            and not np.allclose(arr, record.grad_norms):
        raise AssertionError("your norms are in reverse order, last layer first: list them first "
                             "layer first, in the order of D.linear_layers(model).")
    expect_close("layer_gradient_norms(model)", got, record.grad_norms, rtol=1e-8, atol=1e-12)
    passed("One Frobenius norm per weight matrix, first layer first: ready to plot on a log scale.")


# -- exercise: the backward pass of a residual block (derive)
def _sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic sigmoid, computed through tanh so that no exp overflows; any shape."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def residual_block_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray):
    """``out = x + z * sigmoid(z)`` with ``z = x @ W.T + b``: a residual block with a gated F.

    x (N, D), W (D, D), b (D,) -> out (N, D), cache (x, W, z) with z = x @ W.T + b (N, D).
    """
    z = x @ W.T + b
    return x + z * _sigmoid(z), (x, W, z)


def _gate_slope(z: np.ndarray) -> np.ndarray:
    """d(z * sigmoid(z))/dz = sigmoid(z) + z * sigmoid'(z), elementwise (N, D)."""
    s = _sigmoid(z)
    return s + z * s * (1.0 - s)


def _residual_pieces(dout: np.ndarray, cache, slope: np.ndarray):
    """(dx, dW, db) of the block when F's local slopes are ``slope`` (N, D)."""
    x, W, _ = cache
    dz = dout * slope
    return dout + dz @ W, dz.T @ x, dz.sum(axis=0)


def _residual_case(seed: int):
    rng = np.random.default_rng(seed)
    x, W, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    out, cache = residual_block_forward(x, W, b)
    return rng.normal(size=out.shape), cache


def _slope_slips(z: np.ndarray) -> dict[str, np.ndarray]:
    """Wrong local slopes of F(z) = z * sigmoid(z), keyed by the message that names them."""
    s = _sigmoid(z)
    return {
        "you treated sigmoid(z) in z * sigmoid(z) as a constant, so only the slope sigmoid(z) "
        "is left. Both factors depend on z: the product rule gives sigmoid(z) + z * sigmoid'(z).": s,
        "you kept only z * sigmoid'(z): the product rule has a second term, sigmoid(z) times "
        "the derivative of z, which is 1.": z * s * (1.0 - s),
        "that is the sigmoid's own slope sigmoid'(z) = sigmoid(z)(1 - sigmoid(z)); F multiplies "
        "it by z, so use the product rule: sigmoid(z) + z * sigmoid'(z).": s * (1.0 - s),
        "the second term of the product rule is z * sigmoid'(z): you left out the factor z.":
            s + s * (1.0 - s),
    }


def _residual_slip(dx, dW, dout: np.ndarray, cache) -> str:
    """Name the usual slip that gives the student's (dx, dW), or ''."""
    x, W, z = cache
    slope = _gate_slope(z)
    dx = np.asarray(dx, dtype=float) if dx is not None else None
    dW = np.asarray(dW, dtype=float) if dW is not None else None

    def same(a, b):
        return a is not None and a.shape == b.shape and np.allclose(a, b, atol=1e-9)

    for hint, wrong in _slope_slips(z).items():
        wrong_dx, wrong_dW, _ = _residual_pieces(dout, cache, wrong)
        if same(dx, wrong_dx) or same(dW, wrong_dW):
            return hint
    dz = dout * slope
    if same(dx, dz @ W):
        return ("dx misses the identity path: the block outputs x + F(x), so the gradient reaching "
                "x is dout itself plus the gradient through F.")
    if same(dx, dout * slope + dz @ W):
        return ("you multiplied the identity path by F's slope as well: the skip connection adds x "
                "itself to the output, so it hands dout to x unchanged; the slope belongs only to "
                "the path through F.")
    if same(dx, dout + dz @ W.T):
        return ("dx uses W.T: with a square W the shapes agree, but z = x @ W.T + b gives "
                "dz @ W for the path through F.")
    if same(dx, dout + dz):
        return ("dx = dout + dz skips the weights: the path through F goes through z = x @ W.T + b, "
                "so multiply dz by W.")
    if same(dx, 2 * dout):
        return "dx = 2 dout: the path through F passes through z * sigmoid(z) and W, not straight on."
    return ""


def check_residual_block_backward(residual_block_backward) -> None:
    """``residual_block_backward(dout, cache) -> (dx, dW, db)``; dout (N, D), cache (x, W, z)."""
    for seed in (21, 22):
        dout, cache = _residual_case(seed)
        got = call_student(residual_block_backward, dout, cache)
        dx, dW, db = expect_tuple("residual_block_backward", got, 3)
        reference = _residual_pieces(dout, cache, _gate_slope(cache[2]))
        slip = _residual_slip(dx, dW, dout, cache)
        if slip:
            where = _first_wrong("dx", dx, reference[0]) or _first_wrong("dW", dW, reference[1])
            raise AssertionError(where + slip)
        for name, value, expected in zip(("dx", "dW", "db"), (dx, dW, db), reference, strict=True):
            expect_close(name, value, expected, atol=1e-10, rtol=1e-8)
    passed("dx = dout + dz @ W with dz = dout * (sigmoid(z) + z * sigmoid'(z)): the identity path "
           "hands dout straight to x, and the product rule gives the gate's slope on the path "
           "through F.")


# -- exercise: the factor per layer of a wider sigmoid network (predict)
PREDICT_WIDTH = 128


def _per_layer_factor(width: int = PREDICT_WIDTH) -> float:
    """Geometric mean of ||dL/dW[l]|| / ||dL/dW[l+1]|| from layer 2 to layer 10 (naive sigmoid)."""
    g = diagnostics.gradient_profile(10, "sigmoid", "naive", width=width).grad_norms
    return float((g[1] / g[9]) ** (1 / 8))


def _one_number(name: str, value, example: str) -> float:
    """``value`` as a float, or an AssertionError saying that a prediction is one plain number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise AssertionError(f"{name} should be one number, such as {name} = {example}, got "
                             f"{type(value).__name__}.")
    if not np.isfinite(value):
        raise AssertionError(f"{name} should be a finite number, got {value}.")
    return float(value)


def check_vanishing_factor_prediction(factor_prediction) -> None:
    """``factor_prediction``: one number, the per-layer factor at width 128, within 20%."""
    guess = _one_number("factor_prediction", factor_prediction, "0.5")
    truth = _per_layer_factor()
    if abs(guess / truth - 1) <= 0.2:
        passed(f"Within 20% of the measured factor: four times the width doubles the gain "
               f"0.01·sqrt(n)·σ'(0), from about 0.014 per layer to {truth:.4f}.")
        return
    n = PREDICT_WIDTH
    why = {
        "That is the factor of the 32-unit network in the chapter: the width is part of the gain, "
        "because a layer adds up n terms, so its weights stretch a vector by about 0.01·sqrt(n).":
            0.01 * math.sqrt(32) / 4,
        "You scaled the factor by the width itself; a sum of n random terms grows like sqrt(n), "
        "so four times the width gives twice the stretch, not four times.": 0.01 * math.sqrt(32),
        "That is σ'(0) = 1/4 alone: the weights, of size 0.01·sqrt(n), multiply the gradient in "
        "every layer as well.": 0.25,
        "That is the stretch of the weights alone, 0.01·sqrt(n): every sigmoid layer also "
        "multiplies by its slope, σ'(0) = 1/4 for these near-zero weighted sums.":
            0.01 * math.sqrt(n),
        "That is the factor squared: the gain of a layer is 0.01·sqrt(n) times σ'(0), not its "
        "square.": (0.01 * math.sqrt(n) / 4) ** 2,
        "That is the variance 0.01² · n times σ'(0): the gain uses the standard deviation, "
        "0.01·sqrt(n), times σ'(0).": 0.01**2 * n / 4,
    }
    hint = next((text for text, value in why.items() if abs(guess / value - 1) <= 0.2), "")
    if not hint:
        side = "too large" if guess > truth else "too small"
        hint = (f"Your factor is {side}. The gain of a layer is (how much its weights stretch a "
                "vector, 0.01·sqrt(n) for n inputs) times (the sigmoid's slope, 1/4 near z = 0).")
    raise AssertionError(f"factor_prediction = {guess:g} is more than 20% away from the measured "
                         f"per-layer factor at width {n}. {hint}")


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
        if max_norm > total and all(a.shape == b.shape for a, b in zip(arrays, before, strict=True)):
            if all(np.allclose(a, b * max_norm / total) for a, b in zip(arrays, before, strict=True)):
                raise AssertionError(
                    f"with max_norm={max_norm:g} above the norm {total:.2f}, you scaled the "
                    "gradients up to norm max_norm: a gradient below the threshold must pass "
                    "unchanged, so scale by min(1, max_norm / ||g||).")
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
    grads = _clip_list("the gradients of l2_penalty", grads, weights)
    arrays = [np.asarray(g, dtype=float) for g in grads]
    number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    if number and all(a.shape == w.shape for a, w in zip(arrays, weights, strict=True)):
        doubled = all(np.allclose(a, 2 * r) for a, r in zip(arrays, ref_grads, strict=True))
        if doubled and np.isclose(float(value), 2 * ref_value, rtol=1e-9):
            raise AssertionError(
                "value and gradients now agree, so gradcheck passes, but for the penalty "
                "λ·Σ‖W‖², twice the chapter's λ/2·Σ‖W‖². SGD's weight_decay=λ adds λ·W to the "
                "gradient: keep the value λ/2·Σ‖W‖² and fix the gradient instead.")
        if doubled and np.isclose(float(value), ref_value, rtol=1e-9):
            raise AssertionError(
                "the gradient of the penalty for weight 0 is still 2 times λ·W, the planted bug: "
                "the derivative of (λ/2)·w² is λ·w, the 1/2 cancels the 2 of w².")
        if all(np.allclose(a, 0.5 * r) for a, r in zip(arrays, ref_grads, strict=True)):
            raise AssertionError(
                "the gradient of the penalty for weight 0 is 0.5 times λ·W: you halved the "
                "gradient instead of removing the extra factor 2; the derivative of (λ/2)·w² is λ·w.")
    expect_close("penalty value", value, ref_value, rtol=1e-9)
    for i, (g, r) in enumerate(zip(arrays, ref_grads, strict=True)):
        expect_close(f"gradient of the penalty for weight {i}", g, r, rtol=1e-9)
    passed("The penalty λ/2·Σ‖W‖² has gradient λ·W: exactly what SGD's weight_decay adds.")


# -- exercise: the backward pass of clipping by norm (derive)
def clip_rows_forward(x: np.ndarray, c: float):
    """Clip the norm of every row of x to c: ``out[n] = x[n] * min(1, c / ||x[n]||)``.

    x (N, D), c > 0 -> out (N, D), cache (x, c).
    """
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x * np.minimum(1.0, c / norms), (x, c)


def _clip_rows_backward(dout: np.ndarray, cache) -> np.ndarray:
    """dx (N, D) of ``clip_rows_forward``: rows longer than c lose the part of dout along x."""
    x, c = cache
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    u = x / norms
    clipped = (c / norms) * (dout - u * np.sum(u * dout, axis=1, keepdims=True))
    return np.where(norms > c, clipped, dout)


def _clip_rows_slips(dout: np.ndarray, cache) -> dict[str, np.ndarray]:
    """dx of the usual slips, keyed by the message that names them."""
    x, c = cache
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    u, long = x / norms, norms > c
    radial = u * np.sum(u * dout, axis=1, keepdims=True)
    return {
        "in the clipped rows you multiplied dout by c/||x|| and stopped: that treats the scale "
        "as a constant, but ||x|| depends on x too. Its derivative removes the part of dout "
        "along x.": np.where(long, (c / norms) * dout, dout),
        "dx = dout everywhere: the rows longer than c are rescaled by c/||x||, which depends "
        "on x, so their gradient changes.": dout,
        "rows with ||x|| <= c are passed through unchanged by the clipping, so their dx is "
        "dout itself; you applied the clipped formula to every row.":
            (c / norms) * (dout - radial),
        "the part of dout along x has the wrong sign: the derivative of 1/||x|| is "
        "-x/||x||³, so subtract it.": np.where(long, (c / norms) * (dout + radial), dout),
        "the clipped rows lack the factor c/||x|| in front: the output is x·c/||x||, so "
        "every path out of it carries that scale.": np.where(long, dout - radial, dout),
    }


def check_clip_rows_backward(clip_rows_backward) -> None:
    """``clip_rows_backward(dout, cache) -> dx`` for ``clip_rows_forward``; dout, dx (N, D)."""
    rng = np.random.default_rng(24)
    for c in (1.0, 2.5):
        x = rng.normal(0.0, 1.2, size=(6, 3))
        x[0] *= 0.2 / np.linalg.norm(x[0])           # one row surely inside, one surely outside
        x[1] *= 4.0 / np.linalg.norm(x[1])
        _, cache = clip_rows_forward(x, c)
        dout = rng.normal(size=x.shape)
        got = call_student(clip_rows_backward, dout, cache)
        _no_tuple("clip_rows_backward", got)
        expected = _clip_rows_backward(dout, cache)
        arr = np.asarray(got, dtype=float) if got is not None and not isinstance(got, tuple) else None
        if arr is not None and arr.shape == expected.shape and not np.allclose(arr, expected, atol=1e-10):
            row = int(np.flatnonzero(~np.all(np.isclose(arr, expected, atol=1e-10), axis=1))[0])
            where = (f"dx wrong in row {row} (||x|| = {np.linalg.norm(x[row]):.2f}, c = {c:g}, "
                     f"{'clipped' if np.linalg.norm(x[row]) > c else 'not clipped'})")
            for hint, slip in _clip_rows_slips(dout, cache).items():
                if np.allclose(arr, slip, atol=1e-10):
                    raise AssertionError(f"{where}: {hint}")
        expect_close(f"dx (c = {c:g})", got, expected, atol=1e-10, rtol=1e-8)
    passed("Clipped rows pass back (c/||x||)·(dout minus its part along x); the others pass dout "
           "unchanged. A clipped row's length is pinned at c, so only a change of direction gets through.")


# -- exercise: the norm after clipping by value (predict)
def _value_clip_setting():
    """The gradient of the prediction exercise: one entry per parameter of the failing run's network."""
    model = diagnostics.deep_mlp(6, activation="tanh", init="xavier", in_features=1, seed=1)
    num_parameters = sum(p.data.size for p in model.parameters())
    g = np.random.default_rng(7).normal(0.0, 1e6, size=num_parameters)
    return g, 0.1


def check_value_clip_norm_prediction(clipped_norm_prediction) -> None:
    """``clipped_norm_prediction``: one number, ||g|| after clipping g by value at c = 0.1, within 10%."""
    guess = _one_number("clipped_norm_prediction", clipped_norm_prediction, "2.5")
    g, c = _value_clip_setting()
    truth = float(np.linalg.norm(np.clip(g, -c, c)))
    if abs(guess / truth - 1) <= 0.1:
        passed(f"Within 10%: almost every entry is clipped to ±{c:g}, so the norm is about "
               f"c·sqrt(P) = {c:g}·sqrt({g.size}), far above c. Value clipping bounds each entry, "
               "not the length.")
        return
    why = {
        "That is what clipping by norm at c gives. Clipping by value caps each entry at c, not "
        "the length of the whole vector: ask how many entries end up at ±c.": c,
        "Clipping by value changes every entry larger than c in size, and with entries of about "
        "a million nearly all of them are: the norm does not stay where it was.":
            float(np.linalg.norm(g)),
        "That adds up the sizes of the entries; the norm is the square root of the sum of their "
        "squares.": c * g.size,
        "That is the sum of the squares; the norm is its square root.": c**2 * g.size,
    }
    hint = next((text for text, value in why.items() if abs(guess / value - 1) <= 0.1), "")
    if not hint:
        side = "too large" if guess > truth else "too small"
        hint = (f"Your value is {side}. Almost every entry ends up at +c or -c; the norm is the "
                "square root of the sum of the squares of all P entries.")
    raise AssertionError(f"clipped_norm_prediction = {guess:g} is more than 10% away from the norm "
                         f"after clipping by value. {hint}")
