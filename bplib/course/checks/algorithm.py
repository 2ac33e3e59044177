"""Checks for chapter 5 (The algorithm): the four steps in column form and the batch linear backward."""

from __future__ import annotations

import numpy as np

from bplib import algorithm
from bplib import functional as F
from bplib.course.feedback import call_student, expect_close, expect_tuple, passed

__all__ = ["check_output_delta", "check_hidden_delta", "check_layer_gradients", "check_linear_backward"]


def _network(seed: int = 7, sizes=(3, 4, 2), examples: int = 5):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    x, y = rng.normal(size=(sizes[0], examples)), rng.uniform(size=(sizes[-1], examples))
    return weights, biases, x, y, algorithm.backprop(weights, biases, x, y, activation="sigmoid")


def _name_sigma_mistake(name: str, got, without, z, factor: str) -> None:
    """Name the mistake if ``got`` is the answer ``without`` its σ'(z) factor, or with σ(z) in its place."""
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
