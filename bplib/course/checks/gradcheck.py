"""Checks for chapter 5b (Gradient checking): the relative error, a sampled central difference,
and a backward pass with a planted bug."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import call_student, expect_close, expect_tuple, passed

__all__ = ["check_rel_error", "check_central_gradient_at", "check_tanh_layer_backward"]


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
    for name, value, expected in zip(("dx", "dW", "db"), got, _tanh_layer_backward(dout, cache)):
        expect_close(name, value, expected, atol=1e-10, rtol=1e-8)
    passed("dx, dW and db agree: gradcheck found the bug, and you fixed it.")
