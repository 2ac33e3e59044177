"""L2 penalty: its value and gradient, and that it gives the same step as SGD's weight_decay."""

import numpy as np
import pytest

import bplib as bp
from bplib.gradcheck import numerical_gradient
from bplib.regularization import add_l2_gradient_, l2_penalty


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def test_l2_penalty_value_by_hand():
    p = bp.Parameter(np.array([[1.0, 2.0], [0.0, -2.0]]))
    value, grads = l2_penalty([p], 0.1)
    assert value == pytest.approx(0.5 * 0.1 * 9.0)
    np.testing.assert_allclose(grads[0], 0.1 * p.data)


def test_l2_penalty_gradient_matches_finite_differences(rng):
    model = bp.MLP([3, 4, 2], rng=rng)
    _, grads = l2_penalty(model, 0.3)
    for p, g in zip(model.parameters(), grads, strict=True):
        numeric = numerical_gradient(lambda: l2_penalty(model, 0.3)[0], p.data)
        assert bp.gradcheck.rel_error(g, numeric) < 1e-7


def test_l2_penalty_changes_nothing_in_place(rng):
    model = bp.MLP([2, 3, 1], rng=rng)
    before = [(p.data.copy(), p.grad.copy()) for p in model.parameters()]
    l2_penalty(model, 1.0)
    for p, (data, grad) in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, data)
        np.testing.assert_array_equal(p.grad, grad)


def test_add_l2_gradient_accumulates_into_grad_and_returns_the_penalty(rng):
    p = bp.Parameter(rng.normal(size=(2, 3)))
    p.grad[...] = 1.0
    value = add_l2_gradient_([p], 0.5)
    np.testing.assert_allclose(p.grad, 1.0 + 0.5 * p.data)
    assert value == pytest.approx(0.25 * np.sum(p.data ** 2))


def test_explicit_penalty_gives_the_same_sgd_steps_as_weight_decay(rng):
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    a = bp.MLP([3, 5, 1], activation="tanh", seed=1)
    b = bp.MLP([3, 5, 1], activation="tanh", seed=1)
    opt_a = bp.optim.SGD(a.parameters(), lr=0.1, weight_decay=0.01)
    opt_b = bp.optim.SGD(b.parameters(), lr=0.1)
    loss_fn = bp.MSELoss()
    for _ in range(20):
        for model, opt, explicit in ((a, opt_a, False), (b, opt_b, True)):
            opt.zero_grad()
            loss_fn(model(x), y)
            model.backward(loss_fn.backward())
            if explicit:
                add_l2_gradient_(model, 0.01)
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(pa.data, pb.data, rtol=1e-12, atol=1e-14)


def test_zero_weight_decay_is_no_penalty(rng):
    value, grads = l2_penalty(bp.MLP([2, 2], rng=rng), 0.0)
    assert value == 0.0
    assert all(np.all(g == 0) for g in grads)


@pytest.mark.parametrize("weight_decay, error, message", [
    (-0.1, ValueError, ">= 0"),
    (float("nan"), ValueError, ">= 0"),
    ("0.1", TypeError, "must be a number"),
])
def test_bad_weight_decay_is_refused(weight_decay, error, message):
    with pytest.raises(error, match=message):
        l2_penalty([bp.Parameter(np.ones(2))], weight_decay)


def test_params_must_be_parameters():
    with pytest.raises(TypeError, match="item 0 of params is a ndarray"):
        l2_penalty([np.ones(2)], 0.1)
    with pytest.raises(TypeError, match="model or a list of Parameters"):
        l2_penalty(np.ones(2), 0.1)
