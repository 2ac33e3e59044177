"""Checks for chapter 2 (training loop), chapter 9 (history) and chapter 10 (optimizers)."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import call_student, expect_close, expect_tuple, passed
from bplib.data.classification import is_mirror_symmetric, moons
from bplib.layers import MLP, CrossEntropyLoss, Parameter
from bplib.optim import SGD, Adam, RMSprop

__all__ = [
    "check_train_step", "check_gd_on_quadratic", "check_minibatch_indices",
    "check_momentum_delta", "check_sum_squared_error", "check_is_symmetric",
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
    """``momentum_delta(grad, prev_delta, epsilon, alpha)`` = -ε ∂E/∂w + α Δw(t-1)."""
    rng = np.random.default_rng(9)
    grad, prev = rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    got = call_student(momentum_delta, grad, prev, 0.1, 0.9)
    expect_close("Δw(t)", got, -0.1 * grad + 0.9 * prev)
    got = call_student(momentum_delta, grad, np.zeros_like(grad), 0.1, 0.9)
    expect_close("Δw(t) with no previous change", got, -0.1 * grad)
    passed("Δw(t) = -ε ∂E/∂w + α Δw(t-1): the momentum rule of the 1986 paper.")


def check_sum_squared_error(sum_squared_error) -> None:
    """``sum_squared_error(y, d) -> (E, dE_dy)`` with E = ½ Σ (y - d)²."""
    rng = np.random.default_rng(10)
    y, d = rng.uniform(size=(64, 1)), rng.integers(0, 2, size=(64, 1)).astype(float)
    E, dE = expect_tuple("sum_squared_error", call_student(sum_squared_error, y, d), 2)
    expected = 0.5 * np.sum((y - d) ** 2)
    if np.isclose(float(E), expected / 64):
        raise AssertionError("E is the mean, not the sum: the paper adds the error of every case "
                             "(no division by the number of patterns).")
    expect_close("E", E, expected)
    expect_close("dE/dy", dE, y - d)
    passed("E = ½ Σ (y - d)² summed over every case and output, and dE/dy = y - d.")


def check_is_symmetric(is_symmetric) -> None:
    """``is_symmetric(patterns)`` -> (N,) booleans: which rows read the same both ways."""
    rng = np.random.default_rng(11)
    patterns = rng.integers(0, 2, size=(40, 6))
    patterns[:8, 3:] = patterns[:8, 2::-1]  # make some of them symmetric
    got = np.asarray(call_student(is_symmetric, patterns))
    expected = is_mirror_symmetric(patterns)
    if got.shape != expected.shape:
        raise AssertionError(f"is_symmetric should return one answer per row, shape "
                             f"{expected.shape}, got shape {got.shape}.")
    wrong = np.flatnonzero(got.astype(bool) != expected)
    if wrong.size:
        i = int(wrong[0])
        raise AssertionError(f"row {i} = {patterns[i].tolist()}: expected {bool(expected[i])}, "
                             f"got {bool(got[i])} (compare each row with row[::-1]).")
    passed("A pattern is symmetric when it equals its own mirror image, x == x[::-1].")


# ------------------------------------------------------------------ chapter 10
def _reference_steps(optimizer_cls, grads, w0, **options):
    p = Parameter(w0.copy())
    opt = optimizer_cls([p], **options)
    for g in grads:
        p.grad[...] = g
        opt.step()
    return p, opt.state[p]


def check_momentum_step(momentum_step) -> None:
    """``momentum_step(w, v, grad, lr, mu) -> (w, v)`` with v ← μ v + g and w ← w - lr v."""
    rng = np.random.default_rng(12)
    w0, grads = rng.normal(size=4), rng.normal(size=(5, 4))
    w, v = w0.copy(), np.zeros(4)
    for t, g in enumerate(grads):
        w, v = expect_tuple("momentum_step", call_student(momentum_step, w, v, g, 0.1, 0.9), 2)
        w, v = np.asarray(w, dtype=float), np.asarray(v, dtype=float)
        p, state = _reference_steps(SGD, grads[:t + 1], w0, lr=0.1, momentum=0.9)
        if np.allclose(v, -0.1 * state["momentum_buffer"]):
            raise AssertionError("your v is -lr times ours: you used v ← μv - lr·g, w ← w + v. "
                                 "Here (as in PyTorch) v sums raw gradients, v ← μv + g, and "
                                 "w ← w - lr·v.")
        expect_close(f"v after step {t + 1}", v, state["momentum_buffer"])
        expect_close(f"w after step {t + 1}", w, p.data)
    passed("Momentum keeps a running sum of gradients, v ← μv + g, and steps along it.")


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
    """``rmsprop_step(w, s, grad, lr, alpha, eps) -> (w, s)``.

    s ← αs + (1-α)g², w ← w - lr g/(√s+ε).
    """
    rng = np.random.default_rng(14)
    w0, grads = rng.normal(size=3), rng.normal(size=(4, 3))
    w, s = w0.copy(), np.zeros(3)
    for t, g in enumerate(grads):
        w, s = expect_tuple("rmsprop_step",
                            call_student(rmsprop_step, w, s, g, 0.01, 0.9, 1e-8), 2)
        p, state = _reference_steps(RMSprop, grads[:t + 1], w0, lr=0.01, alpha=0.9, eps=1e-8)
        expect_close(f"s after step {t + 1}", s, state["square_avg"])
        expect_close(f"w after step {t + 1}", w, p.data, atol=1e-9)
    passed("RMSprop divides each step by the root of a running mean of squared gradients.")
