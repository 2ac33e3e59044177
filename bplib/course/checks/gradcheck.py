"""Checks for chapter 5b (Gradient checking): the relative error, a sampled central difference,
a backward pass with a planted bug, a prediction of a one-sided difference's error, and the
backward pass of row-wise L2 normalisation."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import call_student, expect_close, expect_tuple, passed

__all__ = ["check_rel_error", "check_central_gradient_at", "check_tanh_layer_backward",
           "check_one_sided_error_prediction", "check_normalize_backward"]


# ------------------------------------------------------------------ exercise 1
def _reference_rel_error(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _slips(a, b) -> dict[str, float]:
    """What the usual slips give for ``rel_error(a, b)``, keyed by the hint that names them."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = np.abs(a - b)
    return {
        "This is the absolute error max|a - b|: divide by |a| + |b| so that the size of the "
        "numbers does not decide the verdict.": np.max(diff),
        "This is the mean of the elementwise errors: take the largest (np.max), since one wrong "
        "entry is enough for a wrong gradient.": np.mean(diff / np.maximum(1e-8, np.abs(a) + np.abs(b))),
        "You divide by |a| only: divide by |a| + |b|, so that rel_error(a, b) == rel_error(b, a).":
            np.max(diff / np.maximum(1e-8, np.abs(a))),
        "You divide by max(|a|, |b|): the formula divides by their sum, |a| + |b|.":
            np.max(diff / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b)))),
        "You divide by |a + b| instead of |a| + |b|: the two agree only while a and b have the same "
        "sign; with opposite signs a + b can be 0 or nearly so, and the ratio explodes.":
            np.max(diff / np.maximum(1e-8, np.abs(a + b))),
    }


def _rel_error_hint(cases, answers) -> str:
    """The slip that gives every one of the student's ``answers``, or ''."""
    for hint in _slips(*cases[0]):
        if all(np.isclose(got, _slips(a, b)[hint], rtol=1e-6, atol=0) for (a, b), got in zip(cases, answers)):
            return " " + hint
    return ""


def check_rel_error(rel_error) -> None:
    """``rel_error(a, b)`` = max |a - b| / max(1e-8, |a| + |b|), one number."""
    cases = [
        (np.array([1.0, -2.0, 3.0]), np.array([1.1, -2.0, 2.0])),
        (np.array([[1e-3, 5.0], [2.0, -4.0]]), np.array([[1.2e-3, 5.0], [2.0, -4.4]])),
        (np.array([200.0, 100.0]), np.array([201.0, 100.5])),
        (np.array([1.0, 0.5]), np.array([-1.0, 0.5])),       # opposite signs: 2 / (1 + 1) = 1
    ]
    answers = []
    for a, b in cases:
        got = call_student(rel_error, a, b)
        if np.ndim(got) != 0:
            raise AssertionError(f"rel_error returned an array of shape {np.shape(got)}; return one number, "
                                 "the largest elementwise error (np.max).")
        answers.append(float(got))
    for (a, b), got in zip(cases, answers):
        expected = _reference_rel_error(a, b)
        if not np.isclose(got, expected, rtol=1e-6, atol=1e-15):
            raise AssertionError(f"rel_error({a.tolist()}, {b.tolist()}) is wrong: expected {expected:.6g}, "
                                 f"got {got:.6g}." + _rel_error_hint(cases, answers))
    zeros = call_student(rel_error, np.zeros(3), np.zeros(3))
    if not np.isfinite(zeros) or float(zeros) != 0.0:
        raise AssertionError(f"rel_error(zeros, zeros) gave {zeros}, expected 0: when both gradients are 0 "
                             "you divide 0 by 0. Keep the floor, max(1e-8, |a| + |b|).")
    tiny = call_student(rel_error, np.array([0.0]), np.array([1e-10]))
    expect_close("rel_error([0], [1e-10]) (the 1e-8 floor)", tiny, 1e-2, atol=1e-12, rtol=1e-6)
    passed("rel_error is |a - b| / max(1e-8, |a| + |b|), largest over the entries, and 0 for two zeros.")


# ------------------------------------------------------------------ exercise 2
def _cubic(x: np.ndarray) -> float:
    return float(np.sum(x**3) + x[0, 1] * x[1, 2])


def _differences(x: np.ndarray, indices, h: float, one_sided: bool = False) -> np.ndarray:
    values = []
    for i in indices:
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        if not one_sided:
            minus[i] -= h
        values.append((_cubic(plus) - _cubic(minus)) / (h if one_sided else 2 * h))
    return np.array(values)


def check_central_gradient_at(central_gradient_at) -> None:
    """``central_gradient_at(f, x, indices, h)`` -> the central differences at ``indices``, x restored."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 4))
    indices = [(0, 1), (2, 3), (1, 2), (0, 0)]
    h = 1e-2  # large enough that a one-sided difference is visibly off
    before = x.copy()
    got = call_student(central_gradient_at, _cubic, x, indices, h)
    if not np.allclose(x, before, rtol=0, atol=1e-12):
        where = [int(i) for i in np.argwhere(~np.isclose(x, before, rtol=0, atol=1e-12))[0]]
        raise AssertionError(f"central_gradient_at left x changed at {where}: put every entry back "
                             "(x[i] = old) after nudging it, or the next check sees a different x.")
    got = np.asarray(got, dtype=float) if got is not None else got
    expected = _differences(before, indices, h)
    if got is not None and np.shape(got) == expected.shape and not np.allclose(got, expected, atol=1e-8):
        if np.allclose(got, _differences(before, indices, h, one_sided=True), atol=1e-8):
            raise AssertionError("These are one-sided differences, (f(x + h) - f(x)) / h: they are only "
                                 "first-order accurate, with an error O(h). Nudge both ways, "
                                 "(f(x + h) - f(x - h)) / 2h, for an error O(h^2).")
        if np.allclose(got, 2 * expected, atol=1e-8):
            raise AssertionError("Every value is twice the central difference: divide f(x + h) - f(x - h) "
                                 "by 2h, the distance between the two points, not by h.")
        moved = x.copy()
        for i in indices:
            moved[i] += h
        whole = (_cubic(moved) - _cubic(2 * before - moved)) / (2 * h)
        if np.allclose(got, whole, atol=1e-8):
            raise AssertionError("Every value is the same: you nudged all the chosen entries at once. "
                                 "Nudge one entry at a time and put it back before the next.")
    expect_close(f"central_gradient_at(f, x, {indices}, h={h})", got, expected, atol=1e-8, rtol=1e-7)
    passed("central_gradient_at nudges one entry at a time, both ways, and leaves x as it was.")


# ------------------------------------------------------------------ exercise 3
def tanh_layer_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray):
    """``out = tanh(x @ W.T + b)``; x (N, D), W (H, D), b (H,) -> out (N, H), cache (x, W, out)."""
    out = np.tanh(x @ W.T + b)
    return out, (x, W, out)


def _tanh_layer_backward(dout: np.ndarray, cache):
    x, W, out = cache
    dz = dout * (1 - out**2)
    return dz @ W, dz.T @ x, dz.sum(axis=0)


def check_tanh_layer_backward(tanh_layer_backward) -> None:
    """``tanh_layer_backward(dout, cache) -> (dx, dW, db)`` for ``tanh_layer_forward``."""
    rng = np.random.default_rng(12)
    x, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    out, cache = tanh_layer_forward(x, W, b)
    dout = rng.normal(size=out.shape)
    got = expect_tuple("tanh_layer_backward", call_student(tanh_layer_backward, dout, cache), 3)
    dz = dout * (1 - out**2)
    if got[0] is not None and np.shape(got[0]) == x.shape and np.allclose(got[0], dz @ W.T):
        raise AssertionError("dx is still dz @ W.T, the planted bug: with a square W the shapes agree, "
                             "but z = x @ W.T + b gives dx = dz @ W.")
    if got[0] is not None and np.shape(got[0]) == x.shape and np.allclose(got[0], (dout * (1 - out)) @ W):
        raise AssertionError("dx uses 1 - out as the derivative of tanh; it is 1 - out**2 (tanh' = 1 - tanh^2).")
    if got[0] is not None and np.shape(got[0]) == x.shape and np.allclose(got[0], dout @ W):
        raise AssertionError("dx is dout @ W: the factor tanh' = 1 - out**2 is missing. Use dz, the gradient "
                             "with respect to z, as dW and db do: dx = dz @ W.")
    for name, value, expected in zip(("dx", "dW", "db"), got, _tanh_layer_backward(dout, cache)):
        expect_close(name, value, expected, atol=1e-10, rtol=1e-8)
    passed("dx, dW and db agree: gradcheck found the bug, and you fixed it.")


# ------------------------------------------------------------------ exercise 4 (predict)
def one_sided_error(w: float = 1.01, h: float = 1e-5) -> float:
    """Relative error of the one-sided difference of L(w) = (w - 1)^2 at ``w`` with step ``h``."""
    x = np.array([w])
    numeric = (((x[0] + h) - 1) ** 2 - (x[0] - 1) ** 2) / h
    return _reference_rel_error(2 * (x[0] - 1), numeric)


def check_one_sided_error_prediction(prediction) -> None:
    """``prediction``: the relative error of the one-sided difference of (w - 1)^2 at w = 1.01,
    h = 1e-5, within a factor of 3."""
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.integer, np.floating)):
        raise AssertionError(f"prediction should be a number such as 3e-4, got {type(prediction).__name__}.")
    guess, truth, h = float(prediction), one_sided_error(), 1e-5
    if not np.isfinite(guess) or guess <= 0:
        raise AssertionError(f"prediction = {guess}: a relative error is a positive number (here not 0: a "
                             "one-sided difference is not exact for a curved function).")
    if truth / 3 <= guess <= truth * 3:
        passed("Right order: the one-sided difference is off by h L''/2 = h, and near the minimum the "
               "gradient 2(w - 1) is small, so the same absolute error is a large relative one.")
        return
    why = (" Work it out: for a quadratic, (L(w + h) - L(w)) / h = L'(w) + h L''/2 exactly, so the "
           "absolute error is h L''/2 with L'' = 2. The relative error divides it by |g| + |g_num|, "
           "about 2|L'(w)|, and L'(w) = 2(w - 1) is small this close to the minimum.")
    if guess < 1e-9:
        hint = ("That is the size of a central difference's error here (only round-off: it is exact "
                "for a quadratic). The one-sided difference keeps the h L''/2 term.")
    elif h / 3 <= guess <= h * 3:
        hint = ("That is about the step h, the absolute error, not the relative one; the relative error "
                "divides by the size of the gradient, which is much smaller than 1 here.")
    elif 2.3e-6 / 2 <= guess <= 2.3e-6 * 2:
        hint = ("That is the chapter's one-sided error for tanh at x = 0.5, where the slope is about 0.79; "
                "here the slope 2(w - 1) is much smaller, and the relative error scales with 1/slope.")
    elif guess > truth:
        hint = "Too large: the absolute error is only h L''/2, and the gradient is not that small."
    else:
        hint = "Too small: remember that the gradient near the minimum is small, which makes the ratio large."
    raise AssertionError(f"prediction = {guess:.1e} is off by more than a factor of 3. {hint}{why}")


# ------------------------------------------------------------------ exercise 5 (derive)
def normalize_forward(x: np.ndarray):
    """Each row divided by its length: x (N, D) -> out (N, D), cache (out, norm) with norm (N, 1)."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    out = x / norm
    return out, (out, norm)


def _normalize_slips(dout: np.ndarray, out: np.ndarray, norm: np.ndarray) -> list[tuple[str, np.ndarray]]:
    row = np.sum(dout * out, axis=1, keepdims=True)
    return [
        ("dx is dout / norm: you treated the norm as a constant. It depends on x too; the path through "
         "‖x_n‖ adds a second term, along out_n.", dout / norm),
        ("the term along out_n has the wrong sign: making x_n longer makes ‖x_n‖ larger, which makes "
         "every output smaller.", (dout + out * row) / norm),
        ("the sum of dout * out runs over the batch (axis 0); each row is normalised on its own, so sum "
         "over the features of each row, axis=1, keepdims=True.",
         (dout - out * np.sum(dout * out, axis=0, keepdims=True)) / norm),
        ("the sum of dout * out runs over the whole array; each row is normalised on its own, so sum "
         "over the features of each row, axis=1, keepdims=True.", (dout - out * np.sum(dout * out)) / norm),
        ("only dout is divided by the norm; the term along out_n needs the factor 1/‖x_n‖ as well.",
         dout / norm - out * row),
        ("dx is divided by ‖x_n‖ squared; the chain rule gives one factor 1/‖x_n‖ (the other is inside out_n).",
         (dout - out * row) / norm**2),
    ]


def check_normalize_backward(normalize_backward) -> None:
    """``normalize_backward(dout, cache) -> dx`` for ``normalize_forward``; dout, dx (N, D)."""
    cases = [np.random.default_rng(61).normal(size=(4, 5)),
             np.array([[3.0, 4.0, 0.0], [0.1, -0.2, 0.2], [-6.0, 2.0, 3.0]])]
    rng = np.random.default_rng(62)
    for x in cases:
        out, cache = normalize_forward(x)
        dout = rng.normal(size=x.shape)
        row = np.sum(dout * out, axis=1, keepdims=True)
        expected = (dout - out * row) / cache[1]
        got = call_student(normalize_backward, dout, cache)
        if not _close_array(got, expected):
            for message, slip in _normalize_slips(dout, out, cache[1]):
                if _close_array(got, slip):
                    raise AssertionError(f"dx wrong for x of shape {x.shape}: {message}")
        expect_close(f"dx (x of shape {x.shape})", got, expected, atol=1e-9, rtol=1e-7)
    passed("dx = (dout - out (dout · out)) / ‖x‖ row by row: the part of dout along out is removed, "
           "since moving x along itself does not change out.")


def _close_array(got, expected) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-6, atol=1e-9))
