"""The fast paths of issue 20 keep the gradients exact: grads written after zero_grad() instead of
added into zeros, accumulation without zero_grad(), row-major layouts, training paths that skip
the data's gradient, and MSE's value checks run only when the loss is not finite."""

import numpy as np
import pytest

import bplib as bp
from bplib import functional as F
from bplib.train import compute_gradients


def one_backward(model, x, dout):
    """Parameter grads of one forward + backward, from zero."""
    model.zero_grad()
    model(x)
    model.backward(dout)
    return [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_backward_calls_without_zero_grad_add_up(rng, dtype):
    model = bp.MLP([3, 5, 2], activation="relu", seed=0, dtype=dtype)
    x, dout = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((4, 2)).astype(dtype)
    once = one_backward(model, x, dout)
    model(x)
    model.backward(dout)  # no zero_grad: adds a second copy of the same gradient
    for p, g in zip(model.parameters(), once, strict=True):
        np.testing.assert_array_equal(p.grad, 2 * g)


def test_rnn_grads_accumulate_across_calls_and_reset_with_zero_grad(rng):
    rnn = bp.RNN(2, 3, seed=0)
    x, dhs = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 4, 3))
    once = one_backward(rnn, x, dhs)
    rnn(x)
    rnn.backward(dhs)
    for p, g in zip(rnn.parameters(), once, strict=True):
        np.testing.assert_array_equal(p.grad, 2 * g)
    rnn.zero_grad()
    for p in rnn.parameters():
        np.testing.assert_array_equal(p.grad, 0.0)


def test_grad_reads_as_zeros_right_after_zero_grad_and_can_be_written_in_place():
    p = bp.Parameter(np.ones((2, 3)), "W")
    p.grad += 5.0
    p.zero_grad()
    np.testing.assert_array_equal(p.grad, np.zeros((2, 3)))
    p.zero_grad()
    p.grad[0, 0] = 1.0  # writing into the zeros keeps them zeros elsewhere
    np.testing.assert_array_equal(p.grad, [[1.0, 0, 0], [0, 0, 0]])


def test_add_grad_writes_into_the_same_array_after_zero_grad_and_adds_otherwise():
    p = bp.Parameter(np.zeros(3), "b")
    buffer, g = p.grad, np.array([1.0, 2.0, 3.0])
    p.zero_grad()
    p.add_grad(g)
    assert p.grad is buffer and p.grad is not g  # copied into the old array, which views share
    np.testing.assert_array_equal(buffer, g)
    p.add_grad(np.ones(3))
    np.testing.assert_array_equal(p.grad, [2.0, 3.0, 4.0])
    p.zero_grad()
    p.add_grad(np.ones(3, dtype=np.float32))  # another dtype is converted into the old array
    assert p.grad.dtype == np.float64
    np.testing.assert_array_equal(p.grad, np.ones(3))


def test_optimizer_step_right_after_zero_grad_changes_nothing():
    layer = bp.Linear(2, 2, seed=0)
    before = layer.W.data.copy()
    optimizer = bp.optim.SGD(layer.parameters(), lr=0.5, momentum=0.9)
    layer.W.grad += 1.0
    optimizer.zero_grad()
    optimizer.step()
    np.testing.assert_array_equal(layer.W.data, before)


def test_linear_outputs_and_gradients_are_row_major(rng):
    x, W, b = rng.standard_normal((6, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    out, cache = F.linear_forward(x, W, b)
    dx, dW, db = F.linear_backward(rng.standard_normal((6, 3)), cache)
    assert out.flags.c_contiguous and dx.flags.c_contiguous and dW.flags.c_contiguous
    np.testing.assert_allclose(out, x @ W.T + b)


def test_a_readouts_gradient_reshapes_into_the_rnn_without_a_copy(rng):
    rnn, readout = bp.RNN(2, 5, seed=0), bp.Linear(5, 3, seed=1)
    hs = rnn(rng.standard_normal((4, 7, 2)))
    readout(hs.reshape(-1, 5))
    dflat = readout.backward(rng.standard_normal((28, 3)))
    dhs = dflat.reshape(hs.shape)
    assert np.shares_memory(dhs, dflat) and dhs.flags.c_contiguous


def test_rnn_with_a_readout_matches_finite_differences(rng, assert_gradcheck):
    rnn, readout = bp.RNN(2, 4, seed=0), bp.Linear(4, 3, seed=1)
    model = bp.Sequential(readout)
    x = rng.standard_normal((2, 5, 2))
    y = rng.standard_normal((10, 3))
    loss_fn = bp.MSELoss()

    def loss_and_grads():
        hs = rnn(x)
        loss = loss_fn(model(hs.reshape(-1, 4)), y)
        rnn.zero_grad()
        model.zero_grad()
        rnn.backward(model.backward(loss_fn.backward()).reshape(hs.shape))
        return loss

    loss_and_grads()
    eps = 1e-6
    for p in rnn.parameters() + readout.parameters():
        analytic = p.grad.copy()
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.data.shape):
            old = p.data[i]
            p.data[i] = old + eps
            up = loss_fn(model(rnn(x).reshape(-1, 4)), y)
            p.data[i] = old - eps
            down = loss_fn(model(rnn(x).reshape(-1, 4)), y)
            p.data[i] = old
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_fit_and_compute_gradients_skip_the_datas_gradient(rng, monkeypatch):
    calls = []
    original = bp.Linear.backward

    def spy(self, dout, input_grad=True):
        calls.append(input_grad)
        return original(self, dout, input_grad=input_grad)

    monkeypatch.setattr(bp.Linear, "backward", spy)
    model = bp.MLP([2, 4, 1], seed=0)
    x, y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    grads = compute_gradients(model, bp.MSELoss(), x, y)
    assert calls == [True, False]  # the last layer passes dx on; the first one skips it
    calls.clear()
    bp.fit(model, bp.MSELoss(), bp.optim.SGD(model.parameters(), lr=0.1), x, y, epochs=1, progress=False)
    assert calls == [True, False]
    # the gradients are those of the default backward, which computes dx too
    model2 = bp.MLP([2, 4, 1], seed=0)
    loss_fn = bp.MSELoss()
    loss_fn(model2(x), y)
    model2.backward(loss_fn.backward())
    for (name, g), p in zip(grads.items(), model2.parameters(), strict=True):
        np.testing.assert_array_equal(g, p.grad, err_msg=name)


@pytest.mark.parametrize("bad", ["pred", "target"])
def test_mse_still_names_a_nan_in_pred_or_target(bad):
    pred, target = np.zeros((2, 2)), np.ones((2, 2))
    (pred if bad == "pred" else target)[1, 0] = np.nan
    with pytest.raises(ValueError, match=rf"{bad} contains nan at index \[1, 0\]"):
        F.mse(pred, target)


def test_mse_of_huge_finite_values_overflows_without_a_false_alarm():
    pred = np.full(2, 3e38, dtype=np.float32)
    with np.errstate(over="ignore"):
        loss, _ = F.mse(pred, -pred)
    assert loss == np.inf


def test_rnn_backward_without_input_grad_returns_none_and_the_same_parameter_grads(rng):
    rnn = bp.RNN(3, 4, seed=0)
    x, dhs = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 4))
    rnn(x)
    dx = rnn.backward(dhs)
    with_dx = [p.grad.copy() for p in rnn.parameters()]
    rnn.zero_grad()
    assert rnn.backward(dhs, input_grad=False) is None and dx.shape == x.shape
    for p, g in zip(rnn.parameters(), with_dx, strict=True):
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_linear_still_names_a_nan_or_infinity_in_its_input(bad):
    layer = bp.Linear(3, 2, seed=0, dtype=np.float32)
    x = np.ones((2, 3), dtype=np.float32)
    x[1, 2] = bad
    with pytest.raises(ValueError, match=r"x contains .* at index \[1, 2\]"):
        layer(x)


def test_linear_accepts_huge_finite_inputs_whose_squares_overflow():
    layer = bp.Linear(2, 1, seed=0, dtype=np.float32)
    with np.errstate(over="ignore"):
        out = layer(np.full((1, 2), 1e30, dtype=np.float32))
    assert out.shape == (1, 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_one_pass_finiteness_test_agrees_with_isfinite_even_where_x_dot_x_overflows(dtype):
    from bplib._validate import all_finite

    huge = np.full((3, 4), np.finfo(dtype).max / 2, dtype=dtype)  # finite, but x·x is inf
    assert all_finite(huge) and all_finite(huge[:, ::2]) and all_finite(np.arange(5))
    for bad in (np.nan, np.inf, -np.inf):
        x = np.ones((3, 4), dtype=dtype)
        x[2, 1] = bad
        assert not all_finite(x) and not all_finite(x.T)
    assert all_finite([1.0, 2.0]) and not all_finite([1.0, float("nan")])  # anything np.asarray takes
    with pytest.raises(TypeError):
        all_finite(np.array([1.0, "a"], dtype=object))  # as np.isfinite: not numbers
