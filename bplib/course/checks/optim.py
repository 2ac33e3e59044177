"""Checks for chapter 2 (training loop), chapter 9 (history) and chapter 10 (optimizers)."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import _as_array, call_student, expect_close, expect_tuple, passed
from bplib.data.classification import moons
from bplib.layers import MLP, CrossEntropyLoss, Parameter
from bplib.optim import SGD, Adam, RMSprop

__all__ = [
    "check_train_step", "check_gd_on_quadratic", "check_minibatch_indices",
    "check_momentum_delta", "check_sum_squared_error", "check_backprop_deltas",
    "check_momentum_step", "check_adam_bias_correction", "check_rmsprop_step",
]


# ------------------------------------------------------------------ chapter 2
def _setup(seed: int = 0):
    x, y = moons(12, noise=0.1, seed=seed)
    model = MLP([2, 4, 2], activation="tanh", seed=seed)
    return model, x, y


def check_train_step(train_step) -> None:
    """``train_step(model, loss_fn, optimizer, x, y) -> loss``.

    Zero the gradients, forward, loss, backward, step.
    """
    model, x, y = _setup()
    reference, _, _ = _setup()
    for p in model.parameters():
        p.grad[...] = 1.0  # stale gradients from an earlier step: train_step must clear them
    loss = call_student(train_step, model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.5),
                        x, y)
    ref_loss_fn, ref_opt = CrossEntropyLoss(), SGD(reference.parameters(), lr=0.5)
    ref_opt.zero_grad()
    expected_loss = ref_loss_fn(reference(x), y)
    reference.backward(ref_loss_fn.backward())
    ref_opt.step()
    expect_close("the returned loss", loss, expected_loss, atol=1e-10)
    before, _, _ = _setup()
    for (name, p), q, b in zip(model.named_parameters(), reference.parameters(),
                               before.parameters(), strict=True):
        if np.array_equal(p.data, b.data):
            raise AssertionError(f"parameter {name} did not change: did you call optimizer.step() "
                                 "after model.backward(...)?")
        if np.allclose(p.data - b.data, q.data - b.data - 0.5, atol=1e-8):
            raise AssertionError(f"parameter {name} moved by the stale gradient too: call "
                                 "optimizer.zero_grad() before the backward pass.")
        expect_close(f"parameter {name} after the step", p.data, q.data, atol=1e-10)
    passed("train_step clears the gradients, then runs forward, loss, backward and update, "
           "in that order.")


def check_gd_on_quadratic(gd_path) -> None:
    """``gd_path(curvature, lr, w0, steps)`` -> weights (steps + 1,) of gradient descent on
    L = κ w² / 2 (κ the curvature)."""
    for a, lr, w0, steps in [(2.0, 0.1, 3.0, 10), (1.0, 1.5, -1.0, 6), (4.0, 0.6, 0.5, 8)]:
        got = call_student(gd_path, a, lr, w0, steps)
        expected = w0 * (1.0 - lr * a) ** np.arange(steps + 1)
        expect_close(f"gd_path(curvature={a}, lr={lr}, w0={w0}, steps={steps})", got, expected,
                     atol=1e-10)
    passed("Each step multiplies w by (1 − η·κ): it shrinks when η < 2/κ and blows up beyond.")


def check_minibatch_indices(minibatch_indices) -> None:
    """``minibatch_indices(n, batch_size, rng)`` -> list of index arrays: a shuffled partition."""
    for n, batch_size in [(10, 3), (12, 4), (5, 8)]:
        batches = call_student(minibatch_indices, n, batch_size, np.random.default_rng(0))
        batches = [np.asarray(b).astype(int) for b in batches]
        sizes = [len(b) for b in batches]
        expected_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size
                                                             else [])
        if sizes != expected_sizes:
            raise AssertionError(f"with n={n}, batch_size={batch_size} the batch sizes should be "
                                 f"{expected_sizes}, got {sizes}.")
        flat = np.concatenate(batches)
        if sorted(flat.tolist()) != list(range(n)):
            raise AssertionError(f"with n={n} every index 0..{n - 1} must appear exactly once "
                                 f"across the batches; got {sorted(flat.tolist())}.")
    flat = np.concatenate(call_student(minibatch_indices, 50, 10, np.random.default_rng(1)))
    if np.array_equal(flat, np.arange(50)):
        raise AssertionError("the indices come out in order 0, 1, 2, ...: shuffle them with "
                             "rng.permutation(n) before cutting them into batches.")
    again = np.concatenate(call_student(minibatch_indices, 50, 10, np.random.default_rng(1)))
    if not np.array_equal(flat, again):
        raise AssertionError("two calls with the same seeded rng gave different batches: use only "
                             "the rng you are given (not np.random.shuffle).")
    passed("Every example lands in exactly one batch per epoch, in a shuffled, reproducible order.")


# ------------------------------------------------------------------ chapter 9
def check_momentum_delta(momentum_delta) -> None:
    """``momentum_delta(grad, prev_delta, lr, mu)`` = -η ∂L/∂w + μ Δw(t−1)."""
    rng = np.random.default_rng(9)
    grad, prev = rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    got = call_student(momentum_delta, grad, prev, 0.1, 0.9)
    expect_close("Δw(t)", got, -0.1 * grad + 0.9 * prev)
    got = call_student(momentum_delta, grad, np.zeros_like(grad), 0.1, 0.9)
    expect_close("Δw(t) with no previous change", got, -0.1 * grad)
    passed("Δw(t) = -η ∂L/∂w + μ Δw(t−1): the momentum rule of the 1986 paper.")


def check_sum_squared_error(sum_squared_error) -> None:
    """``sum_squared_error(y_hat, y) -> (L, dL_dy_hat)`` with L = ½ Σ (ŷ - y)²."""
    rng = np.random.default_rng(10)
    y_hat, y = rng.uniform(size=(64, 1)), rng.integers(0, 2, size=(64, 1)).astype(float)
    L, dL = expect_tuple("sum_squared_error", call_student(sum_squared_error, y_hat, y), 2)
    expected = 0.5 * np.sum((y_hat - y) ** 2)
    if np.isclose(float(L), expected / 64):
        raise AssertionError("L is the mean, not the sum: the paper adds the error of every case "
                             "(no division by the number of patterns).")
    expect_close("L", L, expected)
    expect_close("dL/dŷ", dL, y_hat - y)
    passed("L = ½ Σ (ŷ - y)² summed over every case and output (the paper's E), and dL/dŷ = ŷ - y.")


def _deltas_1986(a1, y_hat, y, W2, *, output_slope=True, hidden_slope=True, sign=1.0,
                 slope_of=lambda a: a * (1.0 - a)):
    """δ^[2] (1,) and δ^[1] (H,) of the 6-2-1 network for one pattern, optionally with a mistake."""
    delta2 = sign * (y_hat - y) * (slope_of(y_hat) if output_slope else 1.0)
    delta1 = (W2.T @ delta2) * (slope_of(a1) if hidden_slope else 1.0)
    return delta2, delta1


def _first_difference(got: np.ndarray, expected: np.ndarray) -> str:
    i = int(np.flatnonzero(~np.isclose(got, expected, atol=1e-8, rtol=1e-6))[0])
    return f"at [{i}]: expected {expected[i]:.6f}, got {got[i]:.6f}"


def check_backprop_deltas(backprop_deltas) -> None:
    """``backprop_deltas(a1, y_hat, y, W2) -> (delta2, delta1)`` for one pattern of the 1986 net.

    a1 (H,) hidden activations, y_hat (1,) output, y (1,) target, W2 (1, H); with
    L = ½ (ŷ - y)², δ^[2] = (ŷ - y) ŷ(1 - ŷ) and δ^[1] = (W2ᵀ δ^[2]) ⊙ a1(1 - a1).
    """
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    mistakes = {
        "the sigmoid's slope ŷ(1 - ŷ) is missing from δ^[2]: δ^[2] = ∂L/∂z^[2] = (ŷ - y) · σ'(z^[2])":
            dict(output_slope=False),
        "the slope a^[1](1 - a^[1]) of the hidden sigmoids is missing: δ^[1] = (W2ᵀ δ^[2]) ⊙ σ'(z^[1])":
            dict(hidden_slope=False),
        "the sign is flipped: δ = ∂L/∂z starts from ŷ - y (output minus target), not y - ŷ":
            dict(sign=-1.0),
        "you applied the sigmoid again before taking its slope: σ'(z) = a(1 - a) uses the "
        "activation a itself, not σ(a)(1 - σ(a))": dict(slope_of=lambda a: sigmoid(a) * (1 - sigmoid(a))),
    }
    rng = np.random.default_rng(19)
    for case in range(3):
        a1 = rng.uniform(0.05, 0.95, size=2)
        W2 = rng.normal(scale=2.0, size=(1, 2))
        y_hat, y = sigmoid(W2 @ a1 + rng.normal(size=1)), np.array([float(case % 2)])
        got = expect_tuple("backprop_deltas", call_student(backprop_deltas, a1, y_hat, y, W2), 2)
        ref = _deltas_1986(a1, y_hat, y, W2)
        got = [_as_array(name, g) for name, g in zip(("delta2", "delta1"), got, strict=True)]
        for name, g, r in zip(("delta2", "delta1"), got, ref, strict=True):
            if g.shape != r.shape:
                raise AssertionError(f"{name} has shape {g.shape}, expected {r.shape} (one entry per "
                                     f"unit of its layer): with a1 {a1.shape} and W2 {W2.shape}, "
                                     "W2.T @ delta2 gives one number per hidden unit.")
        for cause, options in mistakes.items():
            wrong = _deltas_1986(a1, y_hat, y, W2, **options)
            if all(np.allclose(g, w, atol=1e-10) for g, w in zip(got, wrong, strict=True)):
                name = "delta2" if not np.allclose(got[0], ref[0]) else "delta1"
                where = _first_difference(*((got[0], ref[0]) if name == "delta2" else (got[1], ref[1])))
                raise AssertionError(f"{name} is wrong {where} (case {case + 1}). Likely cause: {cause}.")
        expect_close(f"delta2 (case {case + 1})", got[0], ref[0], atol=1e-10)
        expect_close(f"delta1 (case {case + 1})", got[1], ref[1], atol=1e-10)
    passed("δ^[2] = (ŷ - y) ŷ(1 - ŷ) and δ^[1] = (W2ᵀ δ^[2]) ⊙ a^[1](1 - a^[1]): the backward pass of "
           "the 1986 network for one pattern.")


# ------------------------------------------------------------------ chapter 10
def _reference_steps(optimizer_cls, grads, w0, **options):
    p = Parameter(w0.copy())
    opt = optimizer_cls([p], **options)
    for g in grads:
        p.grad[...] = g
        opt.step()
    return p, opt.state[p]


def check_momentum_step(momentum_step) -> None:
    """``momentum_step(w, m, grad, lr, mu) -> (w, m)`` with m ← μ m + g and w ← w - η m."""
    rng = np.random.default_rng(12)
    w0, grads = rng.normal(size=4), rng.normal(size=(5, 4))
    w, m = w0.copy(), np.zeros(4)
    for t, g in enumerate(grads):
        w, m = expect_tuple("momentum_step", call_student(momentum_step, w, m, g, 0.1, 0.9), 2)
        w, m = np.asarray(w, dtype=float), np.asarray(m, dtype=float)
        p, state = _reference_steps(SGD, grads[:t + 1], w0, lr=0.1, momentum=0.9)
        if np.allclose(m, -0.1 * state["momentum_buffer"]):
            raise AssertionError("your m is -η times ours: you used m ← μm - η·g, w ← w + m. "
                                 "Here (as in PyTorch) m sums raw gradients, m ← μm + g, and "
                                 "w ← w - η·m.")
        expect_close(f"m after step {t + 1}", m, state["momentum_buffer"])
        expect_close(f"w after step {t + 1}", w, p.data)
    passed("Momentum keeps a running sum of gradients, m ← μm + g, and steps along it.")


def check_adam_bias_correction(adam_bias_correction) -> None:
    """``adam_bias_correction(m, v, t, beta1, beta2) -> (m_hat, v_hat)``."""
    rng = np.random.default_rng(13)
    m, v = rng.normal(size=3), rng.uniform(size=3)
    for t in (1, 2, 10, 1000):
        got = expect_tuple("adam_bias_correction",
                           call_student(adam_bias_correction, m, v, t, 0.9, 0.999), 2)
        expect_close(f"m_hat at t={t}", got[0], m / (1 - 0.9 ** t))
        expect_close(f"v_hat at t={t}", got[1], v / (1 - 0.999 ** t))
    # at t = 1 the corrected moments of one gradient g are g and g²
    p, state = _reference_steps(Adam, [np.array([0.3, -2.0])], np.zeros(2))
    m_hat, v_hat = call_student(adam_bias_correction, state["exp_avg"], state["exp_avg_sq"], 1,
                                0.9, 0.999)
    expect_close("m_hat after one gradient g", m_hat, [0.3, -2.0])
    expect_close("v_hat after one gradient g", v_hat, [0.09, 4.0])
    passed("Dividing by 1 - β^t undoes the pull towards the zero start: after one step m̂ = g.")


def check_rmsprop_step(rmsprop_step) -> None:
    """``rmsprop_step(w, v, grad, lr, beta2, eps) -> (w, v)``.

    v ← β₂v + (1-β₂)g², w ← w - η g/(√v + ε).
    """
    rng = np.random.default_rng(14)
    w0, grads = rng.normal(size=3), rng.normal(size=(4, 3))
    w, v = w0.copy(), np.zeros(3)
    for t, g in enumerate(grads):
        w, v = expect_tuple("rmsprop_step",
                            call_student(rmsprop_step, w, v, g, 0.01, 0.9, 1e-8), 2)
        p, state = _reference_steps(RMSprop, grads[:t + 1], w0, lr=0.01, alpha=0.9, eps=1e-8)
        expect_close(f"v after step {t + 1}", v, state["square_avg"])
        expect_close(f"w after step {t + 1}", w, p.data, atol=1e-9)
    # with small gradients and a large ε the place of ε matters: √v + ε against √(v + ε)
    w0, g, eps = np.array([1.0, -2.0, 0.5]), np.array([1e-3, -2e-3, 5e-4]), 1e-2
    w, v = expect_tuple("rmsprop_step", call_student(rmsprop_step, w0, np.zeros(3), g, 0.01, 0.9,
                                                     eps), 2)
    v_ref = 0.1 * g ** 2
    expected, inside = w0 - 0.01 * g / (np.sqrt(v_ref) + eps), w0 - 0.01 * g / np.sqrt(v_ref + eps)
    w = _as_array("w", w)
    if w.shape == expected.shape and np.allclose(w, inside, rtol=1e-9, atol=0) \
            and not np.allclose(w, expected, rtol=1e-9, atol=0):
        raise AssertionError(f"ε belongs outside the square root: w ← w - η g/(√v + ε), not "
                             f"g/√(v + ε). With v = {v_ref[0]:.1e} and ε = {eps:g}, w[0] should be "
                             f"{expected[0]:.6f}, you got {w[0]:.6f}.")
    expect_close(f"v with ε = {eps:g}", v, v_ref)
    expect_close(f"w with ε = {eps:g}", w, expected, atol=1e-12, rtol=1e-9)
    passed("RMSprop divides each step by the root of a running mean of squared gradients, "
           "plus ε outside the root.")
