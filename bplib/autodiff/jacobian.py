"""Whole Jacobians by forward and by reverse mode, counting the passes each needs.

Forward mode needs one pass per input, reverse mode one backward pass per output: for a loss
(many inputs, one output) reverse mode wins, which is why training uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bplib.autodiff.scalar import Dual, Value


def _outputs(result) -> list:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def jacobian_forward(f: Callable, xs: Sequence[float]) -> tuple[np.ndarray, int]:
    """Jacobian (m, n) of ``f: R^n -> R^m`` by forward mode, and the passes it took (n)."""
    columns = []
    for j in range(len(xs)):  # one pass per input, seeding that input's tangent with 1
        outs = _outputs(f([Dual(x, 1.0 if i == j else 0.0) for i, x in enumerate(xs)]))
        columns.append([o.tangent if isinstance(o, Dual) else 0.0 for o in outs])
    return np.array(columns, dtype=float).T, len(xs)


def jacobian_reverse(f: Callable, xs: Sequence[float]) -> tuple[np.ndarray, int]:
    """Jacobian (m, n) of ``f: R^n -> R^m`` by reverse mode, and the backward passes it took (m)."""
    inputs = [Value(x) for x in xs]
    outs = _outputs(f(inputs))
    rows = []
    for out in outs:  # one backward pass per output
        for v in inputs:  # an input that this output does not use keeps a stale grad otherwise
            v.grad = 0.0
        if isinstance(out, Value):
            out.backward()
        rows.append([v.grad if isinstance(out, Value) else 0.0 for v in inputs])
    return np.array(rows, dtype=float), len(outs)
