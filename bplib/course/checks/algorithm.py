"""Checks for chapter 5 (The algorithm): the four steps in column form, the batch linear backward,
a maxout layer's backward pass, a prediction of the exact zeros of dW, and a two-layer backward
pass with a planted bug."""

from __future__ import annotations

import numpy as np

from bplib import algorithm
from bplib import functional as F
from bplib.course.feedback import call_student, expect_close, expect_tuple, passed

__all__ = ["check_output_delta", "check_hidden_delta", "check_layer_gradients", "check_linear_backward",
           "check_maxout_backward", "check_relu_zero_gradients_prediction", "check_two_layer_backward"]


def _network(seed: int = 7, sizes=(3, 4, 2), examples: int = 5):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    x, y = rng.normal(size=(sizes[0], examples)), rng.uniform(size=(sizes[-1], examples))
    return weights, biases, x, y, algorithm.backprop(weights, biases, x, y, activation="sigmoid")


def _name_sigma_mistake(name: str, got, without, z, factor: str) -> None:
    """Name the mistake if ``got`` is the answer ``without`` its σ'(z) factor, with σ(z) or σ'(σ(z)) in its place."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return  # expect_close explains what is wrong with the type
    if got.shape != without.shape:
        return
    s = F.sigmoid(z)
    if np.allclose(got, without, rtol=1e-5, atol=1e-8):
        raise AssertionError(f"{name} is missing the factor {factor}: multiply elementwise by the "
                             "derivative of this layer's sigmoid, σ'(z) = σ(z)(1 − σ(z)).")
    if np.allclose(got, without * s, rtol=1e-5, atol=1e-8):
        raise AssertionError(f"{name} is multiplied by σ(z) instead of its derivative {factor}: "
                             "use σ'(z) = σ(z)(1 − σ(z)).")
    sa = F.sigmoid(s)
    if np.allclose(got, without * sa * (1 - sa), rtol=1e-5, atol=1e-8):
        raise AssertionError(f"{name} takes the sigmoid's slope at the activation a = σ(z) instead of at "
                             f"z: {factor} = σ(z)(1 − σ(z)) = a(1 − a), not σ(a)(1 − σ(a)).")


def check_output_delta(output_delta) -> None:
    """``output_delta(a_K, z_K, y)``: δ[K] = (a[K] - y) ⊙ σ'(z[K]) for L = ½Σ(a - y)²."""
    _, _, _, y, trace = _network()
    got = call_student(output_delta, trace.a[-1], trace.z[-1], y)
    _name_sigma_mistake("delta[K]", got, trace.a[-1] - y, trace.z[-1], "σ'(z[K])")
    expect_close("delta[K]", got, trace.delta[-1])
    passed("δ[K] = ∂L/∂a[K] ⊙ σ'(z[K]) is right, column by column.")


def check_hidden_delta(hidden_delta) -> None:
    """``hidden_delta(W_next, delta_next, z)``: δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ σ'(z[l])."""
    weights, _, _, _, trace = _network(sizes=(3, 4, 2))
    got = call_student(hidden_delta, weights[1], trace.delta[2], trace.z[1])
    _name_sigma_mistake("delta[1]", got, weights[1].T @ trace.delta[2], trace.z[1], "σ'(z[1])")
    expect_close("delta[1]", got, trace.delta[1])
    passed("δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ σ'(z[l]): the error flows back through the transposed weights.")


def check_layer_gradients(layer_gradients) -> None:
    """``layer_gradients(delta, a_prev) -> (dW, db)`` with db summed over the example columns."""
    _, _, _, _, trace = _network()
    dW, db = expect_tuple("layer_gradients", call_student(layer_gradients, trace.delta[1], trace.a[0]), 2)
    expect_close("dW[1]", dW, trace.dW[1])
    expect_close("db[1]", db, trace.db[1])
    passed("∂L/∂W[l] = δ[l] a[l−1]ᵀ and ∂L/∂b[l] = δ[l] summed over examples.")


def check_linear_backward(linear_backward) -> None:
    """``linear_backward(dout, x, W) -> (dx, dW, db)`` in batch-first form (z = x @ W.T + b)."""
    rng = np.random.default_rng(8)
    x, W, b = rng.normal(size=(6, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    dout = rng.normal(size=(6, 3))
    _, cache = F.linear_forward(x, W, b)
    ref_dx, ref_dW, ref_db = F.linear_backward(dout, cache)
    dx, dW, db = expect_tuple("linear_backward", call_student(linear_backward, dout, x, W), 3)
    expect_close("dx", dx, ref_dx)
    expect_close("dW", dW, ref_dW)
    expect_close("db", db, ref_db)
    passed("dx = dout @ W, dW = doutᵀ @ x and db = dout summed over the batch: the batch form agrees.")


# ------------------------------------------------------------------ exercise 5 (derive): maxout
def maxout_forward(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray):
    """``out = max(x @ W1.T + b1, x @ W2.T + b2)`` elementwise; x (N, D), W1, W2 (H, D), b1, b2 (H,)
    -> out (N, H), cache (x, W1, W2, z1, z2)."""
    z1, z2 = x @ W1.T + b1, x @ W2.T + b2
    return np.maximum(z1, z2), (x, W1, W2, z1, z2)


def _maxout_grads(dout, cache, dz1, dz2, both_paths: bool = True):
    x, W1, W2, _, _ = cache
    dx = dz1 @ W1 + dz2 @ W2 if both_paths else dz1 @ W1
    return dx, dz1.T @ x, dz1.sum(axis=0), dz2.T @ x, dz2.sum(axis=0)


def _maxout_slips(dout, cache) -> list[tuple[str, tuple]]:
    """(message, the five gradients that slip gives) for the usual mistakes."""
    first = cache[3] > cache[4]
    win1, win2 = dout * first, dout * ~first
    return [
        ("You send dout to both pieces. The maximum passes its gradient only to the larger of "
         "z1 and z2: nudging the smaller one does not change the output at all.",
         _maxout_grads(dout, cache, dout, dout)),
        ("You split dout in half between the two pieces. Only the larger piece affects the output, "
         "so it gets all of dout and the smaller one gets 0 (a half is what a finite difference "
         "gives at a tie, not elsewhere).",
         _maxout_grads(dout, cache, dout / 2, dout / 2)),
        ("dout goes to the smaller piece: flip the comparison, the gradient belongs to the piece "
         "that won the maximum (z1 > z2 sends it to z1).",
         _maxout_grads(dout, cache, win2, win1)),
        ("dx has only the path through W1. x feeds both linear maps, so its gradient is the sum of "
         "the two paths, dz1 @ W1 + dz2 @ W2.",
         _maxout_grads(dout, cache, win1, win2, both_paths=False)),
        ("dx has only the path through W2. x feeds both linear maps, so its gradient is the sum of "
         "the two paths, dz1 @ W1 + dz2 @ W2.",
         (win2 @ cache[2],) + _maxout_grads(dout, cache, win1, win2)[1:]),
    ]


def _same(got, expected) -> bool:
    """True when ``got`` is an array of ``expected``'s shape and values (never raises)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(expected) and bool(np.allclose(got, expected, rtol=1e-6, atol=1e-9))


def _name_slip(names, got, reference, slips) -> None:
    """Raise the message of the slip whose gradients the student's answer matches where it is wrong."""
    wrong = [i for i, (g, r) in enumerate(zip(got, reference)) if not _same(g, r)]
    for message, grads in slips:
        if wrong and all(_same(got[i], grads[i]) for i in wrong) and \
                any(not _same(grads[i], reference[i]) for i in wrong):
            listed = ", ".join(names[i] for i in wrong)
            raise AssertionError(f"{listed} wrong: {message}")


def check_maxout_backward(maxout_backward) -> None:
    """``maxout_backward(dout, cache) -> (dx, dW1, db1, dW2, db2)`` for ``maxout_forward``;
    dout (N, H), the gradients have the shapes of x (N, D), W1 (H, D), b1 (H,), W2, b2."""
    names = ("dx", "dW1", "db1", "dW2", "db2")
    for seed, (N, D, H) in ((51, (6, 4, 3)), (52, (5, 2, 4))):
        rng = np.random.default_rng(seed)
        x, W1, W2 = rng.normal(size=(N, D)), rng.normal(size=(H, D)), rng.normal(size=(H, D))
        b1, b2 = rng.normal(size=H), rng.normal(size=H)
        out, cache = maxout_forward(x, W1, b1, W2, b2)
        dout = rng.normal(size=out.shape)
        first = cache[3] > cache[4]
        reference = _maxout_grads(dout, cache, dout * first, dout * ~first)
        got = expect_tuple("maxout_backward", call_student(maxout_backward, dout, cache), 5)
        _name_slip(names, got, reference, _maxout_slips(dout, cache))
        for name, value, expected in zip(names, got, reference):
            expect_close(name, value, expected, atol=1e-9, rtol=1e-7)
    passed("The maximum routes dout to the winning piece, and dx adds the paths through W1 and W2.")


# ------------------------------------------------------------------ exercise 6 (predict)
RELU_LAYER_X = np.array([[0.0, 1.2, 0.5],
                         [0.0, 0.3, 0.0],
                         [0.0, 0.8, 1.1],
                         [0.0, 0.0, 0.7]])
RELU_LAYER_W = np.array([[0.4, 0.9, -0.3],
                         [0.2, -0.5, -0.8],
                         [-0.6, 0.7, 0.6],
                         [0.5, 0.5, -2.0],
                         [-0.3, -1.0, 0.8]])
RELU_LAYER_B = np.array([-0.2, 0.1, -0.5, 0.1, -0.2])


def relu_layer_zero_gradients(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where dW of ``relu(x @ W.T + b)`` is exactly 0 for any dout without zeros: (H, D) booleans."""
    active = (x @ W.T + b > 0).astype(float)       # (N, H)
    return (active.T @ (x != 0).astype(float)) == 0  # no example with unit k active and x_j != 0


def check_relu_zero_gradients_prediction(prediction) -> None:
    """``prediction``: how many of the 15 entries of dW (5, 3) are exactly 0 for the chapter's ReLU layer."""
    zeros = relu_layer_zero_gradients(RELU_LAYER_X, RELU_LAYER_W, RELU_LAYER_B)
    truth = int(zeros.sum())
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.integer, np.floating)):
        raise AssertionError(f"prediction should be a whole number of entries, got {type(prediction).__name__} "
                             "(write e.g. prediction = 4).")
    if prediction != int(prediction):
        raise AssertionError(f"prediction = {prediction}: count entries, a whole number between 0 and 15.")
    guess = int(prediction)
    if guess == truth:
        passed("Right: an entry dW[k, j] = sum over n of dz[n, k] x[n, j] is exactly 0 when no example "
               "has unit k active and input j nonzero at the same time.")
        return
    active = RELU_LAYER_X @ RELU_LAYER_W.T + RELU_LAYER_B > 0
    dead_row = int(zeros.all(axis=1).sum()) * zeros.shape[1]
    dead_cols = int(zeros.all(axis=0).sum()) * zeros.shape[0]
    overlap = int(zeros.all(axis=1).sum()) * int(zeros.all(axis=0).sum())
    why = (" dW = dzᵀ x, so dW[k, j] = Σ_n dz[n, k] x[n, j], with dz[n, k] = 0 wherever unit k is "
           "inactive (z ≤ 0). An entry is exactly 0 when every term of its sum is 0: for each example "
           "n, either unit k is inactive or x[n, j] = 0.")
    if guess == int((~active).sum()):
        hint = (f"{guess} is the number of zeros of ReLU'(z), the (N, H) mask, not of dW (H, D): dW sums "
                "over the examples, so one active example is enough to make a row's entries nonzero.")
    elif guess in (dead_row, dead_cols, dead_row + dead_cols, dead_row + dead_cols - overlap):
        hint = (f"{guess} counts whole rows (a unit inactive for every example) and/or whole columns "
                "(an input that is 0 in every example), but not the single entries where the only "
                "examples that activate unit k have x[n, j] = 0.")
    elif guess > truth:
        hint = f"{guess} is too many: a single example with unit k active and x[n, j] ≠ 0 makes dW[k, j] nonzero."
    else:
        hint = f"{guess} is too few."
    raise AssertionError(f"prediction = {guess} is not right. {hint}{why} Go through the 15 (k, j) pairs "
                         "with the table of signs of z and the columns of x.")


# ------------------------------------------------------------------ exercise 7 (debug)
def two_layer_forward(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray):
    """``out = sigmoid(x @ W1.T + b1) @ W2.T + b2``; x (N, D), W1 (H, D), b1 (H,), W2 (C, H), b2 (C,)
    -> out (N, C), cache (x, W1, z1, a1, W2)."""
    z1 = x @ W1.T + b1
    a1 = F.sigmoid(z1)
    return a1 @ W2.T + b2, (x, W1, z1, a1, W2)


def _two_layer_grads(dout, cache, slope):
    x, W1, z1, a1, W2 = cache
    dz1 = (dout @ W2) * slope
    return dz1 @ W1, dz1.T @ x, dz1.sum(axis=0), dout.T @ a1, dout.sum(axis=0)


def check_two_layer_backward(two_layer_backward) -> None:
    """``two_layer_backward(dout, cache) -> (dx, dW1, db1, dW2, db2)`` for ``two_layer_forward``;
    dout (N, C), the gradients have the shapes of x, W1, b1, W2, b2."""
    names = ("dx", "dW1", "db1", "dW2", "db2")
    rng = np.random.default_rng(53)
    x, W1, b1 = rng.normal(size=(6, 4)), rng.normal(size=(5, 4)) * 1.5, rng.normal(size=5)
    W2, b2 = rng.normal(size=(3, 5)), rng.normal(size=3)
    out, cache = two_layer_forward(x, W1, b1, W2, b2)
    dout = rng.normal(size=out.shape)
    a1 = cache[3]
    s_of_a = F.sigmoid(a1)
    reference = _two_layer_grads(dout, cache, a1 * (1 - a1))
    got = expect_tuple("two_layer_backward", call_student(two_layer_backward, dout, cache), 5)
    _name_slip(names, got, reference, [
        ("σ' is still evaluated at the activation a1, the planted bug: a1 is already σ(z1), so "
         "sigmoid(a1) is σ(σ(z1)). Evaluate the derivative at z1: σ'(z1) = σ(z1)(1 − σ(z1)) = a1 * (1 - a1).",
         _two_layer_grads(dout, cache, s_of_a * (1 - s_of_a))),
        ("the factor σ'(z[1]) is missing: dout @ W2 is ∂L/∂a1; multiply it elementwise by "
         "σ'(z1) = a1 * (1 - a1) to get ∂L/∂z1 before using it for dx, dW1 and db1.",
         _two_layer_grads(dout, cache, 1.0)),
        ("dout @ W2 is multiplied by σ(z1) = a1 instead of its derivative σ'(z1) = a1 * (1 - a1).",
         _two_layer_grads(dout, cache, a1)),
        ("1 - a1**2 is the derivative of tanh; this layer is a sigmoid, σ'(z1) = a1 * (1 - a1).",
         _two_layer_grads(dout, cache, 1 - a1**2)),
    ])
    for name, value, expected in zip(names, got, reference):
        expect_close(name, value, expected, atol=1e-9, rtol=1e-7)
    passed("dx, dW1, db1, dW2 and db2 agree: σ' is taken at z1, where the sigmoid was applied.")
