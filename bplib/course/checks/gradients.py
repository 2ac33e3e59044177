"""Checks for chapter 1 (Overview) and chapter 4 (Computing gradients of one neuron)."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import call_student, expect_close, expect_tuple, passed
from bplib.functional import sigmoid
from bplib.neuron import neuron_gradients as neuron_gradients_reference

__all__ = [
    "check_central_difference", "check_sgd_step", "check_loss_change_prediction",
    "check_sigmoid_prime", "check_neuron_gradients", "check_neuron_gradients_batch",
]


# ------------------------------------------------------------------ chapter 1
def check_central_difference(central_difference) -> None:
    """``central_difference(f, x, h)`` ≈ f'(x) with error O(h²)."""
    cases = [(np.sin, 0.7, np.cos(0.7)), (np.exp, -1.3, np.exp(-1.3)), (lambda v: v**3, 2.0, 12.0)]
    for f, x, slope in cases:
        got = call_student(central_difference, f, x, 1e-5)
        expect_close(f"central_difference(f, {x}, 1e-5)", got, slope, atol=1e-8, rtol=1e-7)
    h = 0.1
    got = call_student(central_difference, lambda v: v**3, 2.0, h)
    expect_close("central_difference(x**3, 2.0, h=0.1)", got, 12.0 + h**2, atol=1e-9, rtol=1e-9)
    passed("central_difference matches the exact derivatives (and has the O(h²) error of a central difference).")


def check_sgd_step(sgd_step) -> None:
    """``sgd_step(w, grad, lr)`` returns ``w - lr * grad`` without changing ``w``."""
    rng = np.random.default_rng(4)
    w, grad = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    w_before = w.copy()
    new_w = call_student(sgd_step, w, grad, 0.1)
    expect_close("the step you took (new_w - w)", np.asarray(new_w) - w_before, -0.1 * grad)
    if not np.array_equal(w, w_before):
        raise AssertionError("sgd_step changed w in place; return a new array instead (w - lr * grad).")
    passed("sgd_step moves every weight a small step against its gradient.")


def check_loss_change_prediction(loss_change_prediction) -> None:
    """``loss_change_prediction(grad, nudge)`` is the first-order change ``sum(grad * nudge)``."""
    rng = np.random.default_rng(5)
    grad, dw = rng.normal(size=(2, 3)), 1e-3 * rng.normal(size=(2, 3))
    got = call_student(loss_change_prediction, grad, dw)
    expect_close("predicted loss change", got, np.sum(grad * dw), atol=1e-12, rtol=1e-9)
    passed("Your first-order prediction sums gradient × nudge over every weight.")


# ------------------------------------------------------------------ chapter 4
def check_sigmoid_prime(sigmoid_prime) -> None:
    """``sigmoid_prime(z)`` = σ(z)(1 - σ(z)) elementwise, for scalars and arrays."""
    z = np.linspace(-6, 6, 13)
    s = sigmoid(z)
    expect_close("sigmoid_prime(z)", call_student(sigmoid_prime, z), s * (1 - s), atol=1e-10)
    expect_close("sigmoid_prime(0.0)", call_student(sigmoid_prime, 0.0), 0.25, atol=1e-12)
    passed("sigmoid_prime is σ(z)(1 − σ(z)): at most 1/4, at z = 0.")


def check_neuron_gradients(neuron_gradients) -> None:
    """``neuron_gradients(x, y, w, b) -> (dL_dw, dL_db)`` for one example, L = ½(a - y)²."""
    for x, y, w, b in [(1.5, 0.0, 0.8, -0.2), (-2.0, 1.0, 0.3, 0.5), (0.5, 1.0, -1.2, 0.1)]:
        dw, db = expect_tuple("neuron_gradients", call_student(neuron_gradients, x, y, w, b), 2)
        ref_dw, ref_db = neuron_gradients_reference(x, y, w, b)
        expect_close(f"dL/db at x={x}, y={y}, w={w}, b={b}", db, ref_db, atol=1e-10)
        expect_close(f"dL/dw at x={x}, y={y}, w={w}, b={b}", dw, ref_dw, atol=1e-10)
    passed("Both partial derivatives match: dL/dw = (a − y)·σ'(z)·x and dL/db = (a − y)·σ'(z).")


def check_neuron_gradients_batch(neuron_gradients_batch) -> None:
    """``neuron_gradients_batch(x, y, w, b)`` for arrays x, y of N examples, mean loss."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=8), rng.integers(0, 2, size=8).astype(float)
    dw, db = expect_tuple("neuron_gradients_batch", call_student(neuron_gradients_batch, x, y, 0.7, -0.3), 2)
    ref_dw, ref_db = neuron_gradients_reference(x, y, 0.7, -0.3)
    expect_close("dL/db over the batch", db, ref_db, atol=1e-10)
    expect_close("dL/dw over the batch", dw, ref_dw, atol=1e-10)
    passed("The batch gradients are the average of the per-example gradients.")
