"""Gate patterns: the backward rule of add, multiply, max and copy, reusable in any graph.

``gate(name, inputs, upstream)`` runs one gate forward, hands each input its gradient by the
gate's rule, and checks the rule with central differences of ``L = sum(upstream * outputs)``.
Also available as ``bplib.chain.gate``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bplib._validate import check_callable, check_number


def central_difference(f: Callable[[float], float], x: float, h: float = 1e-5) -> float:
    """``(f(x + h) - f(x - h)) / 2h``, the numeric derivative (error O(h^2))."""
    check_callable(f, "f", "central_difference", "lambda u: u * u")
    x = check_number(x, "x", "central_difference")
    if check_number(h, "h", "central_difference") <= 0:
        raise ValueError(f"central_difference: h must be a positive step such as 1e-5, got {h!r}; "
                         "h = 0 divides by zero.")
    return (f(x + h) - f(x - h)) / (2.0 * h)


GATE_RULES: dict[str, str] = {
    "add": "passes the upstream gradient unchanged to both inputs",
    "multiply": "gives each input the upstream gradient times the other input",
    "max": "routes the upstream gradient to the larger input; the other gets 0",
    "copy": "adds up the upstream gradients of its two copies",
}
_ARITY = {"add": (2, 1), "multiply": (2, 1), "max": (2, 1), "copy": (1, 2)}  # (inputs, outputs)


def _gate_args(name: str, inputs: Sequence[float], upstream: Sequence[float] | None = None):
    if name not in GATE_RULES:
        raise ValueError(f"gate: unknown gate {name!r}; choose one of {list(GATE_RULES)}.")
    n_in, n_out = _ARITY[name]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, (Sequence, np.ndarray)):
        raise TypeError(f"gate {name!r}: inputs must be a list of numbers such as [2.0, -3.0], "
                        f"got {type(inputs).__name__}; for one input write [x].")
    inputs = tuple(check_number(v, f"inputs[{i}]", f"gate {name!r}") for i, v in enumerate(inputs))
    if len(inputs) != n_in:
        raise ValueError(f"gate {name!r} takes {n_in} input(s), got {len(inputs)}.")
    if upstream is None:
        return inputs
    if isinstance(upstream, (str, bytes)) or not isinstance(upstream, (Sequence, np.ndarray)):
        raise TypeError(f"gate {name!r}: upstream must be a list of numbers, one per output, "
                        f"got {type(upstream).__name__}; for one output write [g].")
    upstream = tuple(check_number(g, f"upstream[{i}]", f"gate {name!r}") for i, g in enumerate(upstream))
    if len(upstream) != n_out:
        raise ValueError(f"gate {name!r} has {n_out} output(s), so it needs {n_out} upstream "
                         f"gradient(s), got {len(upstream)}.")
    return inputs, upstream


def gate_forward(name: str, inputs: Sequence[float]) -> tuple[float, ...]:
    """The gate's outputs: add, multiply, max map (x, w) to (u,); copy maps (x,) to (x, x)."""
    v = _gate_args(name, inputs)
    return {"add": lambda: (v[0] + v[1],), "multiply": lambda: (v[0] * v[1],),
            "max": lambda: (max(v),), "copy": lambda: (v[0], v[0])}[name]()


def gate_backward(name: str, inputs: Sequence[float], upstream: Sequence[float]) -> tuple[float, ...]:
    """dL/d(input) for each input from dL/d(output) for each output, by the gate's rule.

    For max, a tie (x = w) is a kink with no derivative; the gradient then goes to the first input.
    """
    v, g = _gate_args(name, inputs, upstream)
    return {"add": lambda: (g[0], g[0]), "multiply": lambda: (g[0] * v[1], g[0] * v[0]),
            "max": lambda: (g[0], 0.0) if v[0] >= v[1] else (0.0, g[0]),
            "copy": lambda: (g[0] + g[1],)}[name]()


@dataclass(frozen=True)
class GateStep:
    """One gate at one point: forward values, upstream gradients, the rule's input gradients and
    central differences of ``L = sum(upstream * outputs)`` (a loss with exactly those upstreams)."""

    name: str
    inputs: tuple[float, ...]
    outputs: tuple[float, ...]
    upstream: tuple[float, ...]
    grads: tuple[float, ...]
    numeric: tuple[float, ...]

    @property
    def rule(self) -> str:
        return GATE_RULES[self.name]


def gate(name: str, inputs: Sequence[float], upstream: Sequence[float]) -> GateStep:
    """Forward and backward through one gate, with a numeric check of its rule."""
    v, g = _gate_args(name, inputs, upstream)

    def loss_along(i: int) -> Callable[[float], float]:
        return lambda t: sum(gk * o for gk, o in zip(
            g, gate_forward(name, v[:i] + (t,) + v[i + 1:]), strict=True))

    numeric = tuple(central_difference(loss_along(i), v[i]) for i in range(len(v)))
    return GateStep(name, v, gate_forward(name, v), g, gate_backward(name, v, g), numeric)
