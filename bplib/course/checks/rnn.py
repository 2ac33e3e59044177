"""Checks for chapter 11 (backpropagation through time): one step back, the recurrence, the sums."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import call_student, expect_close, expect_tuple, passed
from bplib.rnn import RNN, rnn_step_backward

__all__ = ["check_rnn_step_backward", "check_hidden_gradients", "check_sum_weight_gradients"]


def _problem(seed: int, N: int = 3, T: int = 5, D: int = 2, H: int = 4):
    """A tanh RNN run forward on seeded data: (rnn, x, h0, hs) with hs (N, T, H)."""
    rng = np.random.default_rng(seed)
    rnn = RNN(D, H, rng=rng)
    rnn.set_spectral_radius(0.9)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    hs = np.array(rnn(x, h0))
    return rnn, x, h0, hs, rng


def _same(got, expected) -> bool:
    got = np.asarray(got, dtype=float)
    return got.shape == np.shape(expected) and np.allclose(got, expected, atol=1e-8)


# -------------------------------------------------------------------------- exercise 1
def check_rnn_step_backward(rnn_step_backward_fn) -> None:
    """``rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh) -> (dx, dh_prev, dW_xh, dW_hh, db_h)``."""
    rnn, x, h0, hs, rng = _problem(21)
    t = 2
    x_t, h_prev, h = x[:, t], hs[:, t - 1], hs[:, t]
    W_xh, W_hh = rnn.W_xh.data, rnn.W_hh.data
    dh = rng.normal(size=h.shape)
    got = call_student(rnn_step_backward_fn, dh, x_t, h_prev, h, W_xh, W_hh)
    dx, dh_prev, dW_xh, dW_hh, db_h = expect_tuple("rnn_step_backward", got, 5)
    ref = rnn_step_backward(dh, (x_t, h_prev, W_xh, W_hh, h, "tanh"))
    if _same(db_h, dh.sum(axis=0)):
        raise AssertionError("db_h equals dh summed over the batch: the gradient has to pass "
                             "through tanh first, dz = dh * (1 - h**2), and every other gradient "
                             "of the step is built from dz.")
    expect_close("db_h", db_h, ref[4])
    expect_close("dW_xh", dW_xh, ref[2])
    if _same(dW_hh, ref[3].T):
        raise AssertionError("dW_hh is transposed: with z_t = x_t W_xh^T + h_prev W_hh^T, "
                             "dW_hh = dz^T h_prev, shape (H, H) with rows for the receiving units.")
    if _same(dW_hh, (dh * (1 - h**2)).T @ h):
        raise AssertionError("dW_hh was built with h, the state this step produced; the weight "
                             "W_hh multiplied h_prev, so dW_hh = dz^T h_prev.")
    expect_close("dW_hh", dW_hh, ref[3])
    expect_close("dx", dx, ref[0])
    expect_close("dh_prev", dh_prev, ref[1])
    passed("One step back: dz = dh * (1 - h**2), then dx = dz W_xh, dh_prev = dz W_hh, "
           "dW_xh = dz^T x, dW_hh = dz^T h_prev and db_h = the sum of dz.")


# -------------------------------------------------------------------------- exercise 2
def _hidden_gradients_reference(dhs, hs, W_hh) -> np.ndarray:
    dh_total = np.zeros_like(dhs)
    from_later = np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        dh_total[:, t] = dhs[:, t] + from_later
        from_later = (dh_total[:, t] * (1 - hs[:, t] ** 2)) @ W_hh
    return dh_total


def check_hidden_gradients(hidden_gradients) -> None:
    """``hidden_gradients(dhs, hs, W_hh)``: the full ``dL/dh_t`` (N, T, H) of a tanh RNN."""
    rnn, _, _, hs, rng = _problem(22, T=6)
    W_hh = rnn.W_hh.data
    dhs = rng.normal(size=hs.shape)
    got = call_student(hidden_gradients, dhs.copy(), hs, W_hh)
    expected = _hidden_gradients_reference(dhs, hs, W_hh)
    if _same(got, dhs):
        raise AssertionError("You returned dhs unchanged: that is only the gradient arriving at "
                             "h_t from its own output. Add the part that comes back from step "
                             "t + 1, (dL/dh_{t+1} * (1 - h_{t+1}**2)) W_hh, working backwards "
                             "from the last step.")
    got_arr = np.asarray(got, dtype=float)
    if _same(got_arr, _hidden_gradients_reference(dhs, hs, W_hh.T)):
        raise AssertionError("The recurrent part went through W_hh^T: going backwards the "
                             "gradient is multiplied by W_hh itself, dz_{t+1} W_hh (shape (N, H)).")
    no_derivative = np.zeros_like(dhs)
    from_later = np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        no_derivative[:, t] = dhs[:, t] + from_later
        from_later = no_derivative[:, t] @ W_hh
    if _same(got_arr, no_derivative):
        raise AssertionError("The tanh derivative is missing: before passing dL/dh_{t+1} back "
                             "through W_hh multiply it by 1 - h_{t+1}**2.")
    expect_close("dL/dh_t", got, expected)
    passed("dL/dh_t = dhs_t + (dL/dh_{t+1} * (1 - h_{t+1}**2)) W_hh: each state collects the "
           "gradient of its own output and of everything after it.")


# -------------------------------------------------------------------------- exercise 3
def check_sum_weight_gradients(sum_weight_gradients) -> None:
    """``sum_weight_gradients(dzs, x, hs, h0) -> (dW_xh, dW_hh, db_h)``, over batch and time."""
    rnn, x, h0, hs, rng = _problem(23, T=6)
    das = rng.normal(size=hs.shape)
    got = call_student(sum_weight_gradients, das, x, hs, h0)
    dW_xh, dW_hh, db_h = expect_tuple("sum_weight_gradients", got, 3)
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    ref_xh = np.einsum("nth,ntd->hd", das, x)
    ref_hh = np.einsum("nth,ntg->hg", das, h_prev)
    ref_b = das.sum(axis=(0, 1))
    T = hs.shape[1]
    for name, value in (("dW_xh", dW_xh), ("dW_hh", dW_hh), ("db_h", db_h)):
        if np.shape(value)[:1] == (T,) and np.ndim(value) == (1 if name == "db_h" else 2) + 1:
            raise AssertionError(f"{name} has one entry per time step, shape {np.shape(value)}: "
                                 "the same weight is used at every step, so add the steps up.")
    expect_close("db_h", db_h, ref_b)
    expect_close("dW_xh", dW_xh, ref_xh)
    if _same(dW_hh, np.einsum("nth,ntg->hg", das, hs)):
        raise AssertionError("dW_hh pairs dz_t with h_t; the weight W_hh multiplied the previous "
                             "state, so pair dz_t with h_{t-1} (and h0 for the first step).")
    if _same(dW_hh, np.einsum("nth,ntg->hg", das[:, 1:], hs[:, :-1])):
        raise AssertionError("dW_hh is missing the first step: there the previous state is h0, "
                             "so add dz_1^T h0.")
    expect_close("dW_hh", dW_hh, ref_hh)
    passed("Shared weights, summed gradients: dW_xh = sum_t dz_t^T x_t, dW_hh = sum_t dz_t^T "
           "h_{t-1}, db_h = sum_t dz_t (the 1986 paper's rule for weights used more than once).")
