"""bplib.gradcheck: rel_error, finite differences, gradcheck's four forms (which can fail)."""

import numpy as np
import pytest

import bplib as bp
from bplib import functional as F
from bplib.gradcheck import gradcheck, numerical_gradient, numerical_gradient_array, rel_error


class SignFlippedLinear(bp.Linear):
    """A Linear layer whose backward returns -dx: a classic student bug."""

    def backward(self, dout):
        return -super().backward(dout)


class ForgottenBiasSumLinear(bp.Linear):
    """A Linear layer whose bias gradient only takes the first example."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.b.grad[...] = dout[0]
        return dx


class DoubledMSELoss(bp.MSELoss):
    """An MSE loss whose gradient is twice too large."""

    def backward(self, dloss=None):
        return 2 * super().backward(dloss)


def test_rel_error_by_hand():
    assert rel_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    assert rel_error([1.0, -2.0], [1.0, 2.0]) == pytest.approx(1.0)
    assert rel_error(3.0, 3.0) == 0.0
    assert rel_error([0.0], [1e-10]) == pytest.approx(1e-2)  # tiny numbers: the 1e-8 floor
    assert rel_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"rel_error: shapes differ, \(2,\) vs \(3,\)"):
        rel_error(np.ones(2), np.ones(3))


def test_numerical_gradient_of_a_known_function_and_x_is_restored(rng):
    x = rng.standard_normal((3, 2))
    original = x.copy()
    grad = numerical_gradient(lambda: np.sum(x**3) + 2 * x[0, 0], x)
    expected = 3 * original**2
    expected[0, 0] += 2
    np.testing.assert_allclose(grad, expected, rtol=1e-8)
    np.testing.assert_array_equal(x, original)


def test_numerical_gradient_has_second_order_error():
    x = np.array([1.0])
    exact = 3.0
    err_big = abs(numerical_gradient(lambda: x[0] ** 3, x, h=1e-2)[0] - exact)
    err_small = abs(numerical_gradient(lambda: x[0] ** 3, x, h=1e-3)[0] - exact)
    assert err_big == pytest.approx(1e-4) and err_small == pytest.approx(
        1e-6
    )  # h^2 exactly for x^3


def test_numerical_gradient_array_weights_outputs_by_dout(rng):
    x, dout = rng.standard_normal(4), rng.standard_normal(4)
    np.testing.assert_allclose(
        numerical_gradient_array(lambda: np.sin(x), x, dout), np.cos(x) * dout, rtol=1e-8
    )


def test_gradcheck_accepts_a_module(rng):
    report = gradcheck(bp.MLP([3, 4, 2], activation="tanh", rng=rng), rng.standard_normal((5, 3)))
    assert report.ok and report.max_error < 1e-7
    assert list(report.errors) == ["x", "0.W", "0.b", "2.W", "2.b"]


def test_gradcheck_accepts_a_loss(rng):
    report = gradcheck(bp.MSELoss(), (rng.standard_normal((4, 2)), rng.standard_normal((4, 2))))
    assert report.ok and list(report.errors) == ["pred"]


def test_gradcheck_accepts_a_forward_backward_pair(rng):
    report = gradcheck((F.sigmoid_forward, F.sigmoid_backward), rng.standard_normal((3, 4)))
    assert report.ok and list(report.errors) == ["input 0"]


def test_gradcheck_accepts_a_scalar_function(rng):
    def cube(x):
        return float(np.sum(x**3)), 3 * x**2

    assert gradcheck(cube, rng.standard_normal(5)).ok
    assert gradcheck(F.mse, (rng.standard_normal(3), rng.standard_normal(3))).ok


def test_gradcheck_leaves_inputs_unchanged(rng):
    x = rng.standard_normal((4, 3))
    layer = bp.Linear(3, 2, rng=rng)
    x0, W0 = x.copy(), layer.W.data.copy()
    gradcheck(layer, x)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(layer.W.data, W0)


def test_gradcheck_fails_when_backward_flips_a_sign(rng):
    report = gradcheck(SignFlippedLinear(3, 2, rng=rng), rng.standard_normal((4, 3)))
    assert not report.ok
    assert report.errors["x"] == pytest.approx(1.0)
    assert report.errors["W"] < 1e-7  # only dx is wrong, and the report says which
    assert "WRONG" in repr(report) and "some gradients disagree" in repr(report)


def test_gradcheck_fails_when_the_bias_sum_is_forgotten(rng):
    layer = ForgottenBiasSumLinear(3, 2, rng=rng)
    report = gradcheck(layer, rng.standard_normal((4, 3)))
    assert not report.ok and report.errors["b"] > 1e-2 and report.errors["W"] < 1e-7


def test_gradcheck_fails_for_a_wrong_loss_gradient(rng):
    report = gradcheck(DoubledMSELoss(), (rng.standard_normal((4, 2)), rng.standard_normal((4, 2))))
    assert not report.ok and report.errors["pred"] == pytest.approx(1 / 3)


def test_gradcheck_fails_for_a_mismatched_pair(rng):
    x = rng.standard_normal((3, 4))
    assert not gradcheck((F.sigmoid_forward, F.tanh_backward), x).ok


def test_gradcheck_fails_for_a_wrong_scalar_function(rng):
    def cube_wrong(x):
        return float(np.sum(x**3)), 2 * x**2

    report = gradcheck(cube_wrong, rng.standard_normal(5))
    assert not report.ok and report.max_error == pytest.approx(0.2)


def test_report_tolerance_is_configurable(rng):
    def nearly(x):
        return float(np.sum(x**2)), 2 * x * (1 + 1e-6)

    x = rng.standard_normal(3)
    assert not gradcheck(nearly, x).ok
    assert gradcheck(nearly, x, tol=1e-5).ok
    assert "all gradients agree" in repr(gradcheck(nearly, x, tol=1e-5))


def test_gradcheck_rejects_something_that_is_not_a_function():
    with pytest.raises(TypeError, match="gradcheck: fn must be a Module, a Loss.*got int"):
        gradcheck(3, np.ones(2))
