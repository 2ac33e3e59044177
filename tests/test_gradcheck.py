"""bplib.gradcheck: rel_error, finite differences, gradcheck's four forms (which can fail)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib import functional as F
from bplib.gradcheck import (
    gradcheck,
    numerical_gradient,
    numerical_gradient_array,
    random_coords,
    rel_error,
    step_sweep,
)


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


# ------------------------------------------------------------------ one-sided differences, sweeps
def test_forward_difference_has_first_order_error():
    x = np.array([1.0])
    err = [abs(numerical_gradient(lambda: x[0] ** 3, x, h=h, method="forward")[0] - 3.0) for h in (1e-2, 1e-3)]
    # (f(1 + h) - f(1)) / h = 3 + 3h + h^2 for x^3
    assert err[0] == pytest.approx(3e-2 + 1e-4) and err[1] == pytest.approx(3e-3 + 1e-6)


def test_forward_difference_array_version_matches_the_derivative(rng):
    x, dout = rng.standard_normal(4), rng.standard_normal(4)
    got = numerical_gradient_array(lambda: np.sin(x), x, dout, h=1e-7, method="forward")
    np.testing.assert_allclose(got, np.cos(x) * dout, rtol=1e-5, atol=1e-7)


def test_numerical_gradient_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="method must be 'central' or 'forward'"):
        numerical_gradient(lambda: 0.0, np.ones(2), method="backward")


@given(st.floats(-2.0, 2.0), st.sampled_from(["central", "forward"]))
@settings(max_examples=25, deadline=None)
def test_step_sweep_is_small_at_a_good_step_for_any_point(x0, method):
    x = np.array([x0])
    # exp, whose derivative is never near 0 (where a relative error is large for any method)
    sweep = step_sweep(lambda: np.exp(x[0]), x, np.exp(x), [1e-5 if method == "central" else 1e-8], method)
    assert sweep.errors.shape == (1,) and sweep.errors[0] < 1e-6


def test_step_sweep_shows_the_u_curve_with_the_textbook_slopes():
    x = np.array([0.5])
    hs = np.logspace(-1, -12, 23)
    central = step_sweep(lambda: np.tanh(x[0]), x, 1 - np.tanh(x) ** 2, hs, "central")
    forward = step_sweep(lambda: np.tanh(x[0]), x, 1 - np.tanh(x) ** 2, hs, "forward")
    assert central.slope(1e-4, 1e-1) == pytest.approx(2.0, abs=0.1)  # truncation ~ h^2
    assert forward.slope(1e-4, 1e-1) == pytest.approx(1.0, abs=0.1)  # truncation ~ h
    assert -1.5 < central.slope(1e-12, 1e-9) < -0.6  # round-off ~ 1/h
    assert 1e-7 <= central.best_h <= 1e-4 and 1e-10 <= forward.best_h <= 1e-6
    assert central.min_error < 1e-9 < forward.min_error
    np.testing.assert_array_equal(central.hs, hs)


def test_step_sweep_rejects_bad_steps_and_shapes():
    x = np.ones(2)
    with pytest.raises(ValueError, match="hs must be positive"):
        step_sweep(lambda: float(np.sum(x)), x, np.ones(2), [1e-3, 0.0])
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but x has shape \(2,\)"):
        step_sweep(lambda: float(np.sum(x)), x, np.ones(3), [1e-3])
    with pytest.raises(ValueError, match="fewer than two steps"):
        step_sweep(lambda: float(np.sum(x)), x, np.ones(2), [1e-3]).slope(1e-4, 1e-2)


def test_gradcheck_with_the_forward_method_needs_a_looser_tolerance(rng):
    layer = bp.Tanh()
    x = rng.standard_normal((3, 4))
    assert not gradcheck(layer, x, method="forward").ok
    report = gradcheck(layer, x, method="forward", h=1e-7, tol=1e-5)
    assert report.ok and report.forward_passes == 1 + x.size


# ------------------------------------------------------------------ random coordinates
def test_random_coords_are_distinct_and_inside_the_array(rng):
    coords = random_coords((5, 7), 10, rng)
    assert len(coords) == len(set(coords)) == 10
    assert all(0 <= i < 5 and 0 <= j < 7 for i, j in coords)
    assert random_coords((2, 2), 10, rng) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert random_coords((2, 2), None, rng) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_gradcheck_at_random_coords_costs_two_passes_per_entry(rng):
    layer = bp.Linear(64, 32, rng=rng)
    report = gradcheck(layer, rng.standard_normal((4, 64)), coords=5)
    assert report.ok
    assert report.checked == {"x": (5, 256), "W": (5, 2048), "b": (5, 32)}
    assert report.forward_passes == 2 * 5 * 3
    assert "[5 of 2048 entries]" in repr(report)


def test_gradcheck_at_random_coords_still_finds_a_wrong_gradient(rng):
    layer = ForgottenBiasSumLinear(3, 8, rng=rng)
    report = gradcheck(layer, rng.standard_normal((4, 3)), coords=3, rng=np.random.default_rng(1))
    assert not report.ok and report.errors["b"] > 1e-2


def test_gradcheck_rejects_bad_coords(rng):
    with pytest.raises(ValueError, match="coords must be a positive whole number"):
        gradcheck(bp.Tanh(), rng.standard_normal(3), coords=0)


# ------------------------------------------------------------------ kinks
def test_a_nudge_across_the_relu_kink_is_named_not_just_wrong():
    x = np.array([[3e-6, -0.5, 2.0, 0.7]])  # 3e-6 lies within h = 1e-5 of the kink
    report = gradcheck(bp.ReLU(), x)
    assert not report.ok and report.ok_away_from_kinks
    assert report.kinks == {"x": 1} and report.errors_away_from_kinks["x"] < 1e-9
    # the finite difference straddles the kink: (3e-6 + 1e-5 - 0) / 2e-5 = 0.65 instead of 1
    assert report.errors["x"] == pytest.approx(0.35 / 1.65, rel=1e-6)
    text = repr(report)
    assert "WRONG?" in text and "crossed the kink at 0 of ReLU" in text and "likely false alarms" in text


def test_a_smaller_step_avoids_the_kink():
    report = gradcheck(bp.ReLU(), np.array([[3e-6, -0.5, 2.0, 0.7]]), h=1e-7)
    assert report.ok and report.kinks == {}


def test_kinks_inside_a_network_are_found_for_parameters_too(rng):
    model = bp.MLP([2, 3, 1], activation="relu", rng=rng)
    x = rng.standard_normal((4, 2))
    z = bp.Sequential(model.layers[0])(x)
    model.layers[0].b.data[0] -= z[0, 0] - 2e-6  # unit 0 of example 0 now sits 2e-6 above the kink
    report = gradcheck(model, x)
    assert report.kinks and not report.ok and report.ok_away_from_kinks
    assert "ReLU '1'" in repr(report)
    assert all("forward" not in vars(m) for m in model.layers)  # the watch on the ReLU is removed


def test_a_real_bug_is_not_excused_by_a_kink(rng):
    class LeakyWrong(bp.LeakyReLU):
        def backward(self, dout):
            return 2 * super().backward(dout)

    report = gradcheck(LeakyWrong(), np.array([[3e-6, -0.5, 2.0]]))
    assert not report.ok and not report.ok_away_from_kinks
    assert "some gradients disagree\n" in repr(report) and "WRONG?" not in repr(report)


def test_kinks_of_the_functional_relu_pair_are_reported():
    report = gradcheck((F.relu_forward, F.relu_backward), np.array([0.0, 1.0, -2.0]))
    assert report.kinks == {"input 0": 1} and "relu_forward" in repr(report)


def test_a_tie_of_max_gives_half_and_half_numerically():
    x = np.array([1.0, 1.0])
    np.testing.assert_allclose(numerical_gradient(lambda: np.max(x), x), [0.5, 0.5])


# ------------------------------------------------------------------ misuse gets a clear message
def test_integer_inputs_are_checked_as_floats_with_a_note(rng):
    layer = bp.Linear(3, 2, rng=rng)
    report = gradcheck(layer, np.arange(6).reshape(2, 3))
    assert report.ok and "held integers" in repr(report)


def test_numerical_gradient_refuses_integer_arrays():
    with pytest.raises(TypeError, match=r"integer dtype int64.*x.astype\(float\)"):
        numerical_gradient(lambda: 0.0, np.arange(3))


def test_float32_layers_are_checked_in_float64_and_left_float32(rng):
    layer = bp.Linear(3, 2, rng=rng, dtype=np.float32)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    W = layer.W.data
    report = gradcheck(layer, x)
    assert report.ok and report.max_error < 1e-9
    assert "checked in float64" in repr(report)
    assert layer.W.data is W and layer.W.data.dtype == layer.W.grad.dtype == np.float32


def test_float32_as_given_is_inaccurate_and_says_so(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    report = gradcheck(bp.Tanh(), x, promote=False)
    assert not report.ok and 1e-4 < report.max_error < 1e-1
    assert "a float64 tolerance" in repr(report)
    assert gradcheck(bp.Tanh(), x, promote=False, h=1e-2, tol=1e-3).ok


@pytest.mark.parametrize("h", [0, 0.0, -1e-5, float("nan")])
def test_gradcheck_rejects_a_step_that_is_not_positive(h, rng):
    with pytest.raises(ValueError, match="h must be a positive number"):
        gradcheck(bp.Tanh(), rng.standard_normal(3), h=h)
    with pytest.raises(ValueError, match="h must be a positive number"):
        numerical_gradient(lambda: 0.0, np.ones(2), h=h)


def test_gradcheck_rejects_a_tolerance_that_is_not_positive(rng):
    with pytest.raises(ValueError, match="tol must be a positive number"):
        gradcheck(bp.Tanh(), rng.standard_normal(3), tol=0)


def test_gradcheck_explains_a_function_that_returns_only_a_float(rng):
    with pytest.raises(TypeError, match=r"fn returned a float; .* must return \(value, grads\)"):
        gradcheck(lambda x: float(np.sum(x**2)), rng.standard_normal(3))


def test_gradcheck_refuses_a_list_of_inputs():
    with pytest.raises(TypeError, match="inputs is a list.*tuple"):
        gradcheck(F.mse, [np.ones(2), np.zeros(2)])


def test_gradcheck_accepts_numbers_and_lists_inside_the_tuple():
    def square(x):
        return float(np.sum(np.asarray(x) ** 2)), 2 * np.asarray(x)

    assert gradcheck(square, (2.0,)).ok and gradcheck(square, ([1.0, 2.0],)).ok


def test_gradcheck_says_when_a_gradient_has_the_wrong_shape(rng):
    def bad(x):
        return float(np.sum(x**2)), (2 * x)[:-1]

    with pytest.raises(ValueError, match=r"gradient for input 0 has shape \(2,\), but input 0 has shape \(3,\)"):
        gradcheck(bad, rng.standard_normal(3))


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=6), st.lists(st.floats(-1e3, 1e3), min_size=6, max_size=6))
@settings(max_examples=50, deadline=None)
def test_rel_error_is_symmetric_and_between_0_and_1(a, b):
    a, b = np.array(a), np.array(b[: len(a)])
    assert rel_error(a, b) == rel_error(b, a)
    assert 0.0 <= rel_error(a, b) <= 1.0 and rel_error(a, a) == 0.0
