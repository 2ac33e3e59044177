"""Exercise checks of chapters 2, 9 and 10: accept right answers, explain typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

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


def momentum_delta(grad, prev_delta, lr, mu):
    return -lr * grad + mu * prev_delta


def sum_squared_error(y_hat, y):
    return 0.5 * np.sum((y_hat - y) ** 2), y_hat - y


def backprop_deltas(a1, y_hat, y, W2):
    delta2 = (y_hat - y) * y_hat * (1 - y_hat)
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)
    return delta2, delta1


def momentum_step(w, m, grad, lr, mu):
    m = mu * m + grad
    return w - lr * m, m


def adam_bias_correction(m, v, t, beta1, beta2):
    return m / (1 - beta1 ** t), v / (1 - beta2 ** t)


def rmsprop_step(w, v, grad, lr, beta2, eps):
    v = beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * grad / (np.sqrt(v) + eps), v


@pytest.mark.parametrize(("check", "answer"), [
    (checks.check_train_step, train_step),
    (checks.check_gd_on_quadratic, gd_path),
    (checks.check_minibatch_indices, minibatch_indices),
    (checks.check_momentum_delta, momentum_delta),
    (checks.check_sum_squared_error, sum_squared_error),
    (checks.check_backprop_deltas, backprop_deltas),
    (checks.check_momentum_step, momentum_step),
    (checks.check_adam_bias_correction, adam_bias_correction),
    (checks.check_rmsprop_step, rmsprop_step),
])
def test_check_accepts_the_reference_answer(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("\u2714")


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
    with pytest.raises(AssertionError, match="dL/dŷ"):
        checks.check_sum_squared_error(lambda y_hat, y: (0.5 * np.sum((y_hat - y) ** 2), 2 * (y_hat - y)))


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize(("answer", "message"), [
    (lambda a1, y_hat, y, W2: ((y_hat - y), (W2.T @ (y_hat - y)) * a1 * (1 - a1)),
     r"delta2 is wrong at \[0\]: expected .*, got .*Likely cause: the sigmoid's slope"),
    (lambda a1, y_hat, y, W2: backprop_deltas(a1, y_hat, y, W2)[:1] + (W2.T @ backprop_deltas(
        a1, y_hat, y, W2)[0],), r"delta1 is wrong at \[0\].*slope a\^\[1\]\(1 - a\^\[1\]\) of the hidden"),
    (lambda a1, y_hat, y, W2: tuple(-d for d in backprop_deltas(a1, y_hat, y, W2)),
     r"delta2 is wrong .*sign is flipped"),
    (lambda a1, y_hat, y, W2: (
        (y_hat - y) * _sigmoid(y_hat) * (1 - _sigmoid(y_hat)),
        (W2.T @ ((y_hat - y) * _sigmoid(y_hat) * (1 - _sigmoid(y_hat)))) * _sigmoid(a1) * (1 - _sigmoid(a1))),
     r"delta2 is wrong .*applied the sigmoid again"),
    (lambda a1, y_hat, y, W2: (backprop_deltas(a1, y_hat, y, W2)[0],
                               W2 * backprop_deltas(a1, y_hat, y, W2)[1]),
     r"delta1 has shape \(1, 2\), expected \(2,\)"),
])
def test_backprop_deltas_check_names_index_values_and_cause(answer, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_backprop_deltas(answer)


def test_backprop_deltas_reference_agrees_with_finite_differences():
    rng = np.random.default_rng(0)
    a1, W2, b2, y = rng.uniform(size=2), rng.normal(size=(1, 2)), rng.normal(size=1), np.array([1.0])
    z2 = W2 @ a1 + b2
    loss = lambda z: 0.5 * float(np.sum((_sigmoid(z) - y) ** 2))  # noqa: E731
    h = 1e-6
    numeric = (loss(z2 + h) - loss(z2 - h)) / (2 * h)
    delta2, _ = backprop_deltas(a1, _sigmoid(z2), y, W2)
    assert abs(delta2[0] - numeric) < 1e-8


def test_momentum_step_check_explains_the_other_convention():
    def other_convention(w, m, grad, lr, mu):
        m = mu * m - lr * grad
        return w + m, m

    with pytest.raises(AssertionError, match="m ← μm - η·g"):
        checks.check_momentum_step(other_convention)


def test_adam_check_spots_a_missing_correction():
    with pytest.raises(AssertionError, match="m_hat at t=1"):
        checks.check_adam_bias_correction(lambda m, v, t, b1, b2: (m, v / (1 - b2 ** t)))


def test_rmsprop_check_spots_a_wrong_denominator():
    def big_eps(w, v, grad, lr, beta2, eps):
        v = beta2 * v + (1 - beta2) * grad ** 2
        return w - lr * grad / np.sqrt(v + 1e-2), v

    with pytest.raises(AssertionError, match="w after step 1"):
        checks.check_rmsprop_step(big_eps)


def test_rmsprop_check_rejects_epsilon_inside_the_square_root():
    def eps_inside(w, v, grad, lr, beta2, eps):
        v = beta2 * v + (1 - beta2) * grad ** 2
        return w - lr * grad / np.sqrt(v + eps), v

    with pytest.raises(AssertionError, match="ε belongs outside the square root: .*should be"):
        checks.check_rmsprop_step(eps_inside)


def test_rmsprop_check_rejects_a_missing_one_minus_beta2():
    def no_one_minus(w, v, grad, lr, beta2, eps):
        v = beta2 * v + grad ** 2
        return w - lr * grad / (np.sqrt(v) + eps), v

    with pytest.raises(AssertionError, match="v after step 1"):
        checks.check_rmsprop_step(no_one_minus)
