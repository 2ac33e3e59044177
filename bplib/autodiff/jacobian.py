"""Whole Jacobians by forward and by reverse mode, counting the passes each needs.

Forward mode needs one pass per input, reverse mode one backward pass per output: for a loss
(many inputs, one output) reverse mode wins, which is why training uses it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np

from bplib.autodiff.scalar import Dual, Value


def _outputs(result, kind: type, where: str) -> list:
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    for i, o in enumerate(outs):
        if not isinstance(o, (kind, int, float, np.integer, np.floating)) or isinstance(o, bool):
            raise TypeError(f"{where}: output {i} of f is a {type(o).__name__}; f must return a list of "
                            f"numbers ({kind.__name__}s computed from its inputs, or constants).")
    return outs


def _checked(f, xs, where: str) -> list[float]:
    """The inputs as a list of floats, after checking that f takes them as one list."""
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of one list of inputs, e.g. "
                        f"lambda v: [v[0] * v[1]], got {type(f).__name__}.")
    try:
        inspect.signature(f).bind(list(range(1)))
    except TypeError:
        raise TypeError(f"{where}: f is called with one argument, the list of inputs, so write it as "
                        "lambda v: [v[0] * v[1], ...] rather than lambda a, b: ...") from None
    except ValueError:  # no signature to inspect (a builtin): let the call decide
        pass
    if isinstance(xs, (str, bytes)) or not isinstance(xs, (Sequence, np.ndarray)):
        raise TypeError(f"{where}: xs must be a list of numbers (the point to differentiate at), "
                        f"got {type(xs).__name__}; for one input write [x].")
    try:
        return [float(x) for x in xs]
    except (TypeError, ValueError):
        raise TypeError(f"{where}: xs must hold numbers, got {list(xs)!r}.") from None


def jacobian_forward(f: Callable, xs: Sequence[float]) -> tuple[np.ndarray, int]:
    """Jacobian (m, n) of ``f: R^n -> R^m`` by forward mode, and the passes it took (n)."""
    xs = _checked(f, xs, "jacobian_forward")
    columns = []
    for j in range(len(xs)):  # one pass per input, seeding that input's tangent with 1
        outs = _outputs(f([Dual(x, 1.0 if i == j else 0.0) for i, x in enumerate(xs)]), Dual, "jacobian_forward")
        columns.append([o.tangent if isinstance(o, Dual) else 0.0 for o in outs])
    return np.array(columns, dtype=float).T, len(xs)


def jacobian_reverse(f: Callable, xs: Sequence[float]) -> tuple[np.ndarray, int]:
    """Jacobian (m, n) of ``f: R^n -> R^m`` by reverse mode, and the backward passes it took (m)."""
    inputs = [Value(x) for x in _checked(f, xs, "jacobian_reverse")]
    outs = _outputs(f(inputs), Value, "jacobian_reverse")
    rows = []
    for out in outs:  # one backward pass per output
        for v in inputs:  # an input that this output does not use keeps a stale grad otherwise
            v.grad = 0.0
        if isinstance(out, Value):
            out.backward()
        rows.append([v.grad if isinstance(out, Value) else 0.0 for v in inputs])
    return np.array(rows, dtype=float), len(outs)
