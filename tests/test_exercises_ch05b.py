"""Exercises of chapter 5b (gradient checking): the reference solutions pass, the usual slips are named."""

import numpy as np
import pytest

import bplib as bp
from bplib.course import (
    check_normalize_backward,
    check_one_sided_error_prediction,
    check_rel_error,
    check_tanh_layer_backward,
)
from bplib.course.checks.gradcheck import normalize_forward, one_sided_error

# ---------------------------------------------------------------- reference solutions
# notebooks/05b_gradient_checking.ipynb, exercises 4 and 5
PREDICTION = 2.5e-4


def normalize_backward(dout, cache):
    out, norm = cache
    return (dout - out * np.sum(dout * out, axis=1, keepdims=True)) / norm


def test_the_reference_solutions_pass(capsys):
    check_one_sided_error_prediction(PREDICTION)
    check_normalize_backward(normalize_backward)
    assert capsys.readouterr().out.count("\u2714") == 2


def test_the_predicted_error_is_what_numerical_gradient_gives():
    w = np.array([1.01])
    numeric = bp.gradcheck.numerical_gradient(lambda: float((w[0] - 1) ** 2), w, 1e-5, method="forward")
    measured = bp.gradcheck.rel_error(2 * (w - 1), numeric)
    assert np.isclose(measured, one_sided_error(), rtol=1e-6)
    assert 2.4e-4 < measured < 2.6e-4


def test_the_normalize_reference_agrees_with_finite_differences():
    x = np.random.default_rng(7).normal(size=(4, 6))   # not seed 0: gradcheck draws dout from it
    report = bp.gradcheck.gradcheck((normalize_forward, normalize_backward), x)
    assert report.ok and report.max_error < 1e-7
    out, (same_out, norm) = normalize_forward(x)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0)
    assert same_out is out and norm.shape == (4, 1)


# ---------------------------------------------------------------- exercise 4 (predict)
@pytest.mark.parametrize("guess, message", [
    (1e-5, "about the step h, the absolute error"),
    (2.3e-6, "one-sided error for tanh at x = 0.5"),
    (1e-12, "size of a central difference's error"),
    (0.5, "Too large"),
    (0.0, "a relative error is a positive number"),
    ("2.5e-4", "should be a number"),
])
def test_wrong_predictions_get_the_reasoning_not_the_number(guess, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_one_sided_error_prediction(guess)
    assert "2.5e-04" not in str(info.value) and "2.5e-4" not in str(info.value).replace(str(guess), "")


@pytest.mark.parametrize("guess", [1e-4, 5e-4, 7e-4])
def test_predictions_within_a_factor_of_three_pass(guess, capsys):
    check_one_sided_error_prediction(guess)
    assert "\u2714" in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 5 (derive)
def _row(dout, out):
    return np.sum(dout * out, axis=1, keepdims=True)


@pytest.mark.parametrize("wrong, message", [
    (lambda dout, c: dout / c[1], "treated the norm as a constant"),
    (lambda dout, c: (dout + c[0] * _row(dout, c[0])) / c[1], "wrong sign"),
    (lambda dout, c: (dout - c[0] * np.sum(dout * c[0], axis=0)) / c[1], r"runs over the batch \(axis 0\)"),
    (lambda dout, c: (dout - c[0] * np.sum(dout * c[0])) / c[1], "runs over the whole array"),
    (lambda dout, c: dout / c[1] - c[0] * _row(dout, c[0]), "needs the factor 1/‖x_n‖ as well"),
    (lambda dout, c: (dout - c[0] * _row(dout, c[0])) / c[1] ** 2, "divided by ‖x_n‖ squared"),
])
def test_normalize_slips_are_named(wrong, message, capsys):
    with pytest.raises(AssertionError, match=r"^dx wrong for x of shape \(4, 5\): .*" + message):
        check_normalize_backward(wrong)
    assert "\u2714" not in capsys.readouterr().out


def test_normalize_with_a_row_sum_without_keepdims_gets_a_shape_or_value_message():
    def flat_sum(dout, cache):
        out, norm = cache
        return (dout - out * np.sum(dout * out, axis=1)) / norm   # (4, 5) * (4,) does not broadcast
    with pytest.raises(ValueError, match="broadcast"):
        check_normalize_backward(flat_sum)


# ---------------------------------------------------------------- exercise 3 (debug): a new wrong fix
def test_tanh_layer_names_a_fix_that_drops_the_tanh_derivative_from_dx():
    def dropped(dout, cache):
        x, W, out = cache
        dz = dout * (1 - out**2)
        return dout @ W, dz.T @ x, dz.sum(axis=0)
    with pytest.raises(AssertionError, match="dx is dout @ W: the factor tanh' = 1 - out\\*\\*2 is missing"):
        check_tanh_layer_backward(dropped)


# ---------------------------------------------------------------- exercise 1 (warm-up)
def test_rel_error_dividing_by_the_sum_not_the_sum_of_sizes_is_named():
    def over_a_plus_b(a, b):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b)))

    with pytest.raises(AssertionError, match=r"rel_error\(\[1.0, 0.5\], \[-1.0, 0.5\]\).*\|a \+ b\| instead"):
        check_rel_error(over_a_plus_b)


# ---------------------------------------------------------------- delegation
def test_the_predict_reveal_cannot_be_computed_in_the_answer_cell():
    from bplib.course.delegation import delegated

    source = ("prediction = bp.gradcheck.rel_error(2 * (w4 - 1), "
              "bp.gradcheck.numerical_gradient(L4, w4, h4, method='forward'))")
    assert delegated("check_one_sided_error_prediction", source, answers={"prediction"}) in {
        "rel_error", "numerical_gradient"}
    assert delegated("check_one_sided_error_prediction", "prediction = 2.5e-4", answers={"prediction"}) is None


def test_the_new_checks_are_listed_for_delegation():
    from bplib.course.delegation import FORBIDDEN, delegated

    assert {"check_one_sided_error_prediction", "check_normalize_backward"} <= set(FORBIDDEN)
    assert delegated("check_normalize_backward", "n = np.linalg.norm(x, axis=1, keepdims=True)") is None
