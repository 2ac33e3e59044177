"""Specific feedback for exercise checks: what is wrong, where, and a likely reason.

``expect_close`` compares a student's array with the reference and raises ``AssertionError``
with a message such as::

    dW wrong at [2, 1]: expected 0.3100, got -0.3100. Every entry has the opposite sign:
    check the sign of the upstream gradient.

``passed`` prints the success line. Check functions in ``bplib.course.checks`` use both.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bplib.course.replay import Recorder
from bplib.course.replay import current as current_session

OK_MARK = "\u2714"  # heavy check mark


def passed(message: str) -> None:
    """Print the success line of a check (the judge collects it as the verdict message)."""
    session = current_session()
    if session is not None and not isinstance(session, Recorder):
        session.messages.append(f"{OK_MARK} {message}\n")
        return
    print(f"{OK_MARK} {message}")


def call_student(fn: Callable, *args, name: str | None = None):
    """Call the student's ``fn``; an exception gets a note saying which check input caused it.

    Every check calls the student's function only through here: that is the seam grading uses
    to record answers in the sandbox and replay them outside (``bplib.course.replay``).
    """
    if not callable(fn):
        raise AssertionError(f"expected a function, got {type(fn).__name__}; pass the function itself, "
                             "without calling it (no parentheses).")
    session = current_session()
    try:
        # in grading, a session records the call (sandbox) or answers it from the record (judge)
        return fn(*args) if session is None else session.call(fn, args, {}, name)
    except NotImplementedError:
        raise
    except Exception as exc:
        shapes = ", ".join(_describe(a) for a in args)
        exc.add_note(f"(raised inside your {name or getattr(fn, '__name__', 'function')} when the check "
                     f"called it with: {shapes})")
        raise


def _describe(arg) -> str:
    """How a check input looks in a message: arrays by type and shape, numbers by value."""
    try:
        return f"{type(arg).__name__} {np.shape(arg)}" if np.ndim(arg) else repr(arg)[:80]
    except (ValueError, TypeError):  # a model, a ragged list: name the type only
        return type(arg).__name__


def _as_array(name: str, got) -> np.ndarray:
    if got is None:
        raise AssertionError(f"{name} is None: make sure your function returns it.")
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} should be a number or an array of numbers, got {type(got).__name__}.") from None
    return arr


def _shape_hint(got: np.ndarray, expected: np.ndarray) -> str:
    if got.ndim == 2 and got.T.shape == expected.shape:
        return " It looks transposed: check the order of the factors in your matrix product (or add .T)."
    if got.shape == (1, *expected.shape):
        return (" It has an extra axis of length 1: drop keepdims=True (or reshape it to "
                f"{expected.shape}).")
    if got.ndim == expected.ndim + 1 and got.shape[1:] == expected.shape:
        return " It has an extra leading (batch) axis: did you forget to sum over the batch, .sum(axis=0)?"
    if got.size == expected.size:
        return f" Same number of entries: reshape it to {expected.shape}."
    return ""


def _value_hint(got: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> str:
    subject = "It" if expected.ndim == 0 else "Every entry"
    if np.allclose(got, -expected, atol=atol, rtol=rtol):
        return (f" {subject} has the opposite sign: check the sign of the upstream gradient "
                "(or whether you subtract in the right order).")
    if got.ndim == 2 and got.shape[0] == got.shape[1] and np.allclose(got.T, expected, atol=atol, rtol=rtol):
        return " It equals the transpose of the expected array: check the order of the factors."
    mask = np.abs(expected) > atol
    if mask.any():
        ratios = got[mask] / expected[mask]
        k = float(np.median(ratios))
        # k close to 1 is an inaccuracy, not a missing factor: "1 times the expected one" misleads.
        # One number always has "a constant ratio": name a factor only if it looks like one, a
        # round number or its inverse (8 = N, 1/6 = 1/P, 2, 1.5 = x), not 1.223 or -4.152.
        if mask.sum() < 2 and not _round_factor(k):
            return ""
        if np.allclose(ratios, k, rtol=1e-6) and abs(k) > 1e-12 and not np.isclose(k, 1.0, rtol=1e-3):
            return (f" {subject} is {k:.4g} times the expected value: a missing or extra factor "
                    "(a 1/N from averaging over the batch, a 2 from the square, a local derivative?).")
    return ""


def _round_factor(k: float) -> bool:
    """True when k or 1/k is a multiple of 1/2 (up to 64): what a missing factor looks like."""
    return any(abs(v) <= 64 and np.isclose(2 * v, round(2 * v), rtol=0, atol=1e-6 * max(1.0, abs(v)))
               for v in (k, 1 / k) if abs(v) >= 1)


def _decimals(expected: float, got: float) -> int:
    """Decimals needed to show that two different numbers differ (4 unless they agree to 4)."""
    for digits in range(4, 13):
        if f"{expected:.{digits}f}" != f"{got:.{digits}f}":
            return digits
    return 12


def expect_close(name: str, got, expected, *, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Raise ``AssertionError`` with a specific message unless ``got`` matches ``expected``."""
    expected = np.asarray(expected, dtype=float)
    got = _as_array(name, got)
    if got.shape != expected.shape:
        raise AssertionError(f"{name} has shape {got.shape}, expected {expected.shape}."
                             + _shape_hint(got, expected))
    if not np.all(np.isfinite(got)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        raise AssertionError(f"{name} contains {got[where]} at {list(where)}: look for a division by zero "
                             "or an exp that overflows.")
    close = np.isclose(got, expected, atol=atol, rtol=rtol)
    if close.all():
        return
    if expected.ndim == 0:
        d = _decimals(float(expected), float(got))
        raise AssertionError(f"{name} is wrong: expected {float(expected):.{d}f}, got {float(got):.{d}f}."
                             + _value_hint(got, expected, atol, rtol))
    where = tuple(int(i) for i in np.argwhere(~close)[0])
    d = _decimals(float(expected[where]), float(got[where]))
    raise AssertionError(
        f"{name} wrong at {list(where)}: expected {expected[where]:.{d}f}, got {got[where]:.{d}f} "
        f"({int((~close).sum())} of {close.size} entries differ)." + _value_hint(got, expected, atol, rtol)
    )


def expect_tuple(name: str, result, length: int) -> tuple:
    """Check that a function returned a tuple of ``length`` items and return it."""
    if not isinstance(result, (tuple, list)) or len(result) != length:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        raise AssertionError(f"{name} should return {length} values as a tuple, got {got}.")
    return tuple(result)
