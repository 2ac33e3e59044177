"""Exercise checks of chapter 11: accept the reference answers, reject typical mistakes."""

import numpy as np
import pytest

from bplib.course.checks import rnn as checks
from bplib.rnn import RNN


# ------------------------------------------------------------------ one step back
def step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h**2)
    return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def test_step_backward_check_accepts_the_reference(capsys):
    checks.check_rnn_step_backward(step_backward)
    assert "✔" in capsys.readouterr().out


def no_tanh_derivative(dh, x, h_prev, h, W_xh, W_hh):
    return dh @ W_xh, dh @ W_hh, dh.T @ x, dh.T @ h_prev, dh.sum(axis=0)


def transposed_dW_hh(*args):
    dx, dh_prev, dW_xh, dW_hh, db = step_backward(*args)
    return dx, dh_prev, dW_xh, dW_hh.T, db


def dW_hh_from_h(dh, x, h_prev, h, W_xh, W_hh):
    dx, dh_prev, dW_xh, _, db = step_backward(dh, x, h_prev, h, W_xh, W_hh)
    return dx, dh_prev, dW_xh, (dh * (1 - h**2)).T @ h, db


def dh_prev_through_transpose(dh, x, h_prev, h, W_xh, W_hh):
    dx, _, dW_xh, dW_hh, db = step_backward(dh, x, h_prev, h, W_xh, W_hh)
    return dx, (dh * (1 - h**2)) @ W_hh.T, dW_xh, dW_hh, db


def negated_dx(*args):
    dx, *rest = step_backward(*args)
    return (-dx, *rest)


@pytest.mark.parametrize("wrong, message", [
    (no_tanh_derivative, r"through tanh first, dz = dh \* \(1 - h\*\*2\)"),
    (transposed_dW_hh, "dW_hh is transposed"),
    (dW_hh_from_h, "built with h, the state this step produced"),
    (dh_prev_through_transpose, r"dh_prev wrong at \["),
    (negated_dx, "opposite sign"),
    (lambda *args: step_backward(*args)[:4], "should return 5 values"),
])
def test_step_backward_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_rnn_step_backward(wrong)


# ------------------------------------------------------------------ the recurrence
def hidden_gradients(dhs, hs, W_hh):
    dh = dhs.copy()
    for t in reversed(range(dhs.shape[1] - 1)):
        dh[:, t] += (dh[:, t + 1] * (1 - hs[:, t + 1] ** 2)) @ W_hh
    return dh


def test_hidden_gradients_check_accepts_the_reference(capsys):
    checks.check_hidden_gradients(hidden_gradients)
    assert "✔" in capsys.readouterr().out


def test_hidden_gradients_reference_matches_the_rnn_layer():
    # the RNN's recorded ||dL/dh_t|| must be the norms of what the check expects
    rng = np.random.default_rng(0)
    rnn = RNN(2, 4, rng=rng)
    hs = rnn(rng.normal(size=(3, 6, 2)))
    dhs = rng.normal(size=hs.shape)
    rnn.backward(dhs, record_norms=True)
    expected = checks._hidden_gradients_reference(dhs, np.asarray(hs), rnn.W_hh.data)
    np.testing.assert_allclose(rnn.grad_norms, np.linalg.norm(expected, axis=(0, 2)))


def only_direct(dhs, hs, W_hh):
    return dhs


def through_transpose(dhs, hs, W_hh):
    return hidden_gradients(dhs, hs, W_hh.T)


def no_derivative(dhs, hs, W_hh):
    dh = dhs.copy()
    for t in reversed(range(dhs.shape[1] - 1)):
        dh[:, t] += dh[:, t + 1] @ W_hh
    return dh


def forwards_in_time(dhs, hs, W_hh):
    dh = dhs.copy()
    for t in range(1, dhs.shape[1]):
        dh[:, t] += (dh[:, t - 1] * (1 - hs[:, t - 1] ** 2)) @ W_hh
    return dh


@pytest.mark.parametrize("wrong, message", [
    (only_direct, "You returned dhs unchanged"),
    (through_transpose, r"went through W_hh\^T"),
    (no_derivative, "tanh derivative is missing"),
    (forwards_in_time, r"dL/dh_t wrong at \[0, 0, "),
    (lambda dhs, hs, W_hh: None, "is None"),
])
def test_hidden_gradients_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_hidden_gradients(wrong)


# ------------------------------------------------------------------ summing over time
def sum_weight_gradients(das, x, hs, h0):
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    H = das.shape[2]
    rows = das.reshape(-1, H)
    return (rows.T @ x.reshape(-1, x.shape[2]), rows.T @ h_prev.reshape(-1, H),
            rows.sum(axis=0))


def test_sum_weight_gradients_check_accepts_the_reference(capsys):
    checks.check_sum_weight_gradients(sum_weight_gradients)
    assert "✔" in capsys.readouterr().out


def test_sum_weight_gradients_reference_matches_the_rnn_layer():
    # with truncate=1 the layer's da_t is exactly dhs_t * (1 - h_t**2): feed that to the reference
    rng = np.random.default_rng(1)
    rnn = RNN(2, 3, rng=rng)
    x, h0 = rng.normal(size=(2, 5, 2)), rng.normal(size=(2, 3))
    hs = np.asarray(rnn(x, h0))
    dhs = rng.normal(size=hs.shape)
    rnn.backward(dhs, truncate=1)
    dW_xh, dW_hh, db_h = sum_weight_gradients(dhs * (1 - hs**2), x, hs, h0)
    np.testing.assert_allclose(rnn.W_xh.grad, dW_xh)
    np.testing.assert_allclose(rnn.W_hh.grad, dW_hh)
    np.testing.assert_allclose(rnn.b_h.grad, db_h)


def pairs_with_h_t(das, x, hs, h0):
    dW_xh, _, db = sum_weight_gradients(das, x, hs, h0)
    return dW_xh, np.einsum("nth,ntg->hg", das, hs), db


def forgets_h0(das, x, hs, h0):
    dW_xh, _, db = sum_weight_gradients(das, x, hs, h0)
    return dW_xh, np.einsum("nth,ntg->hg", das[:, 1:], hs[:, :-1]), db


def per_time_step(das, x, hs, h0):
    _, dW_hh, db = sum_weight_gradients(das, x, hs, h0)
    return np.einsum("nth,ntd->thd", das, x), dW_hh, db


def batch_mean(das, x, hs, h0):
    return tuple(g / das.shape[0] for g in sum_weight_gradients(das, x, hs, h0))


@pytest.mark.parametrize("wrong, message", [
    (pairs_with_h_t, r"pairs dz_t with h_t"),
    (forgets_h0, "missing the first step"),
    (per_time_step, "one entry per time step"),
    (batch_mean, "times the expected value"),
])
def test_sum_weight_gradients_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_sum_weight_gradients(wrong)
