"""Gradient checking: compare analytic gradients with central finite differences.

``(f(x + h) - f(x - h)) / 2h`` has error O(h^2); with float64 and h = 1e-5 a correct backward
pass agrees to a relative error around 1e-9 or better, a wrong one is off by 1e-2 or more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bplib.layers.losses import Loss
from bplib.layers.module import Module


def rel_error(a, b) -> float:
    """Largest elementwise ``|a - b| / max(1e-8, |a| + |b|)`` (CS231n's measure)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _central_differences(evaluate, x: np.ndarray, h: float, weigh) -> np.ndarray:
    """Nudge each entry of ``x`` by ±h (in place, then restore) and return
    ``weigh(evaluate(+h) - evaluate(-h)) / 2h`` per entry."""
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i].copy()
        x[i] = old + h
        plus = evaluate()
        x[i] = old - h
        minus = evaluate()
        x[i] = old
        grad[i] = weigh(plus - minus) / (2 * h)
    return grad


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f()`` with respect to array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored; ``f`` takes no arguments
    and reads ``x`` (so it can be a closure over a layer's parameter).
    """
    return _central_differences(lambda: float(f()), x, h, weigh=float)


def numerical_gradient_array(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of ``sum(f() * dout)`` with respect to ``x`` (array-valued ``f``)."""
    # Subtract the two outputs before weighting by dout (as CS231n does): entries that the nudge
    # does not change cancel exactly, instead of leaving the round-off of the whole sum behind.
    return _central_differences(lambda: np.array(f(), dtype=float), x, h,
                                weigh=lambda diff: np.sum(diff * dout))


@dataclass
class GradcheckReport:
    """Relative errors per checked array; ``ok`` when all are below ``tol``."""

    errors: dict[str, float] = field(default_factory=dict)
    tol: float = 1e-7

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return self.max_error < self.tol

    def __repr__(self) -> str:
        rows = "\n".join(f"  {name:<12} rel. error {err:.2e}  {'ok' if err < self.tol else 'WRONG'}"
                         for name, err in self.errors.items())
        verdict = "all gradients agree" if self.ok else "some gradients disagree"
        return f"gradcheck (tolerance {self.tol:.0e}): {verdict}\n{rows}"


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _check_module(module: Module, x: np.ndarray, rng, h: float) -> dict[str, float]:
    out = module.forward(x)
    dout = rng.standard_normal(out.shape)
    module.zero_grad()
    dx = module.backward(dout)
    errors = {"x": rel_error(dx, numerical_gradient_array(lambda: module.forward(x), x, dout, h))}
    for name, p in module.named_parameters():
        numeric = numerical_gradient_array(lambda: module.forward(x), p.data, dout, h)
        errors[name] = rel_error(p.grad, numeric)
    return errors


def _check_pair(forward, backward, inputs: tuple, rng, h: float) -> dict[str, float]:
    out, cache = forward(*inputs)
    dout = rng.standard_normal(np.shape(out))
    grads = _as_tuple(backward(dout, cache))
    errors = {}
    for i, (x, g) in enumerate(zip(inputs, grads)):
        if g is None:
            continue
        errors[f"input {i}"] = rel_error(g, numerical_gradient_array(lambda: forward(*inputs)[0], x, dout, h))
    return errors


def _check_scalar(fn, inputs: tuple, h: float) -> dict[str, float]:
    _, grads = fn(*inputs)
    errors = {}
    for i, (x, g) in enumerate(zip(inputs, _as_tuple(grads))):
        errors[f"input {i}"] = rel_error(g, numerical_gradient(lambda: fn(*inputs)[0], x, h))
    return errors


def gradcheck(fn, inputs, *, h: float = 1e-5, tol: float = 1e-7, seed: int = 0) -> GradcheckReport:
    """Check the gradients of ``fn`` at ``inputs`` against central differences.

    ``fn`` may be:
      - a ``Module``: ``inputs`` is x; checks dx and every parameter's grad for L = sum(out * dout)
        with a random (seeded) dout;
      - a ``Loss``: ``inputs`` is (pred, target); checks dpred;
      - a pair ``(forward, backward)`` from ``bplib.functional``: ``forward(*inputs) -> (out, cache)``,
        ``backward(dout, cache) -> grads``;
      - a function returning ``(scalar, grads)`` with one grad per leading input, e.g. ``functional.mse``.
    Inputs are modified in place during the check and restored. Use float64.
    """
    rng = np.random.default_rng(seed)
    inputs = _as_tuple(inputs)
    if isinstance(fn, Module):
        errors = _check_module(fn, inputs[0], rng, h)
    elif isinstance(fn, Loss):
        fn(*inputs)
        errors = {"pred": rel_error(fn.backward(), numerical_gradient(lambda: np.sum(fn(*inputs)), inputs[0], h))}
    elif isinstance(fn, tuple) and len(fn) == 2:
        errors = _check_pair(fn[0], fn[1], inputs, rng, h)
    elif callable(fn):
        errors = _check_scalar(fn, inputs, h)
    else:
        raise TypeError(f"gradcheck: fn must be a Module, a Loss, a (forward, backward) pair or a function, "
                        f"got {type(fn).__name__}.")
    return GradcheckReport(errors, tol)
