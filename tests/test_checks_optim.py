"""Exercise checks of chapters 2, 9 and 10: accept right answers, explain typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.course.checks import optim as checks


# ---------------------------------------------------------------- reference answers
def train_step(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    optimizer.step()
    return loss


def gd_path(a, lr, w0, steps):
    w = [w0]
    for _ in range(steps):
        w.append(w[-1] - lr * a * w[-1])
    return np.array(w)


def minibatch_indices(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def momentum_delta(grad, prev_delta, epsilon, alpha):
    return -epsilon * grad + alpha * prev_delta


def sum_squared_error(y, d):
    return 0.5 * np.sum((y - d) ** 2), y - d


def is_symmetric(patterns):
    patterns = np.asarray(patterns)
    return np.all(patterns == patterns[:, ::-1], axis=1)


def momentum_step(w, v, grad, lr, mu):
    v = mu * v + grad
    return w - lr * v, v


def adam_bias_correction(m, v, t, beta1, beta2):
    return m / (1 - beta1 ** t), v / (1 - beta2 ** t)


def rmsprop_step(w, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad ** 2
    return w - lr * grad / (np.sqrt(s) + eps), s


@pytest.mark.parametrize(("check", "answer"), [
    (checks.check_train_step, train_step),
    (checks.check_gd_on_quadratic, gd_path),
    (checks.check_minibatch_indices, minibatch_indices),
    (checks.check_momentum_delta, momentum_delta),
    (checks.check_sum_squared_error, sum_squared_error),
    (checks.check_is_symmetric, is_symmetric),
    (checks.check_momentum_step, momentum_step),
    (checks.check_adam_bias_correction, adam_bias_correction),
    (checks.check_rmsprop_step, rmsprop_step),
])
def test_check_accepts_the_reference_answer(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("\u2714")


def test_checks_are_exported_for_exercise_cells():
    for name in checks.__all__:
        assert getattr(bp.course, name) is getattr(checks, name)


# ------------------------------------------------------------------- wrong answers
def _without_zero_grad(model, loss_fn, optimizer, x, y):
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    optimizer.step()
    return loss


def _without_step(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    return loss


def _step_before_backward(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    optimizer.step()
    model.backward(loss_fn.backward())
    return loss


@pytest.mark.parametrize(("answer", "message"), [
    (_without_zero_grad, "zero_grad"),
    (_without_step, "did not change"),
    (_step_before_backward, "did not change"),
])
def test_train_step_check_names_the_missing_step(answer, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_train_step(answer)


def test_gd_check_rejects_a_plus_sign():
    with pytest.raises(AssertionError, match="wrong at"):
        checks.check_gd_on_quadratic(lambda a, lr, w0, n: w0 * (1 + lr * a) ** np.arange(n + 1))


def test_minibatch_check_rejects_unshuffled_and_dropped_examples():
    with pytest.raises(AssertionError, match="shuffle"):
        checks.check_minibatch_indices(
            lambda n, b, rng: [np.arange(n)[i:i + b] for i in range(0, n, b)])
    with pytest.raises(AssertionError, match="batch sizes should be"):
        checks.check_minibatch_indices(
            lambda n, b, rng: [rng.permutation(n)[i:i + b] for i in range(0, n - b + 1, b)])
    with pytest.raises(AssertionError, match="same seeded rng"):
        checks.check_minibatch_indices(
            lambda n, b, rng: minibatch_indices(n, b, np.random.default_rng()))


def test_momentum_delta_check_spots_a_sign_flip():
    with pytest.raises(AssertionError, match="wrong at"):
        checks.check_momentum_delta(lambda g, p, e, a: e * g + a * p)


def test_sum_squared_error_check_spots_the_mean():
    with pytest.raises(AssertionError, match="mean, not the sum"):
        checks.check_sum_squared_error(lambda y, d: (0.5 * np.mean((y - d) ** 2), y - d))
    with pytest.raises(AssertionError, match="dE/dy"):
        checks.check_sum_squared_error(lambda y, d: (0.5 * np.sum((y - d) ** 2), 2 * (y - d)))


def test_is_symmetric_check_names_the_wrong_row():
    with pytest.raises(AssertionError, match=r"row \d+ = \["):
        checks.check_is_symmetric(lambda p: np.asarray(p)[:, 0] == np.asarray(p)[:, -1])


def test_momentum_step_check_explains_the_other_convention():
    def other_convention(w, v, grad, lr, mu):
        v = mu * v - lr * grad
        return w + v, v

    with pytest.raises(AssertionError, match="v ← μv - lr·g"):
        checks.check_momentum_step(other_convention)


def test_adam_check_spots_a_missing_correction():
    with pytest.raises(AssertionError, match="m_hat at t=1"):
        checks.check_adam_bias_correction(lambda m, v, t, b1, b2: (m, v / (1 - b2 ** t)))


def test_rmsprop_check_spots_a_wrong_denominator():
    def eps_inside(w, s, grad, lr, alpha, eps):
        s = alpha * s + (1 - alpha) * grad ** 2
        return w - lr * grad / np.sqrt(s + 1e-2), s

    with pytest.raises(AssertionError, match="w after step 1"):
        checks.check_rmsprop_step(eps_inside)
