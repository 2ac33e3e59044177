"""Exercises of chapter 1 (overview): the reference solutions pass, the usual slips are named."""

import numpy as np
import pytest

import bplib as bp
from bplib.course import (
    check_central_difference,
    check_line_fit_gradients,
    check_step_loss_change,
    check_tanh_unit_gradient,
)
from bplib.course.checks.gradients import STEP_LR, _step_loss_change, _step_outcome, line_fit_loss
from bplib.course.delegation import FORBIDDEN


# ---------------------------------------------------------------- reference solutions
# notebooks/01_overview.ipynb, exercises 4, 5 and 6
def tanh_unit_gradient(w, x, y):
    y_hat = np.tanh(w * x)
    return 2 * (y_hat - y) * (1 - y_hat**2) * x


PREDICTION = ("B", "C")


def line_fit_gradients(w, b, x, y):
    pred = w * x + b
    return 2 * np.mean((pred - y) * x), 2 * np.mean(pred - y)


def test_the_reference_solutions_pass(capsys):
    check_tanh_unit_gradient(tanh_unit_gradient)
    check_step_loss_change(PREDICTION)
    check_line_fit_gradients(line_fit_gradients)
    out = capsys.readouterr().out
    assert out.count("\u2714") == 3 and out.count("\n") == 3


def rejects(check, answer, match, capsys):
    with pytest.raises(AssertionError, match=match):
        check(answer)
    assert "\u2714" not in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 1: the one-sided hint
@pytest.mark.parametrize("one_sided, kind", [
    (lambda f, x, h: (f(x + h) - f(x)) / h, "forward"),
    (lambda f, x, h: (f(x) - f(x - h)) / h, "backward"),
])
def test_a_one_sided_difference_is_called_first_order(one_sided, kind, capsys):
    rejects(check_central_difference, one_sided,
            rf"one-sided \({kind}\) difference.*only first-order accurate: its error shrinks like "
            r"O\(h\), while the central difference.*O\(h²\)", capsys)


def test_a_one_sided_difference_is_named_at_the_large_step_too(capsys):
    # exact on the first three cases (tiny h), one-sided only at h = 0.1
    def mixed(f, x, h):
        return (f(x + h) - f(x - h)) / (2 * h) if h < 1e-3 else (f(x + h) - f(x)) / h

    rejects(check_central_difference, mixed, r"central_difference\(f, 2.0, 0.1\) gave 12\.61.*first-order",
            capsys)


def test_dividing_by_two_then_multiplying_by_h_is_named(capsys):
    rejects(check_central_difference, lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h,
            r"/2\*h multiplies by h.*write / \(2 \* h\)", capsys)


def test_the_central_difference_without_the_two_is_not_called_one_sided(capsys):
    with pytest.raises(AssertionError) as info:
        check_central_difference(lambda f, x, h: (f(x + h) - f(x - h)) / h)
    assert "one-sided" not in str(info.value) and "2 times the expected" in str(info.value)
    capsys.readouterr()


# ---------------------------------------------------------------- exercise 4 (derive)
@pytest.mark.parametrize("w, x, y", [(0.5, 1.5, 1.0), (-1.2, 0.8, 0.0), (2.0, -0.7, -1.0)])
def test_the_tanh_unit_reference_agrees_with_central_differences(w, x, y):
    wv = np.array([w])
    numeric = bp.gradcheck.numerical_gradient(lambda: float((np.tanh(wv[0] * x) - y) ** 2), wv)
    assert np.isclose(tanh_unit_gradient(w, x, y), numeric[0], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("wrong, message", [
    (lambda w, x, y: 2 * (np.tanh(w * x) - y) * (1 - np.tanh(w * x) ** 2), r"∂\(w x\)/∂w = x"),
    (lambda w, x, y: 2 * (np.tanh(w * x) - y) * x, "derivative of tanh is missing"),
    (lambda w, x, y: (np.tanh(w * x) - y) * (1 - np.tanh(w * x) ** 2) * x, "factor 2 from the square"),
    (lambda w, x, y: 2 * (np.tanh(w * x) - y) * (1 - np.tanh(w * x)) * x, "1 - tanh², not 1 - tanh"),
    (lambda w, x, y: 2 * (np.tanh(w * x) - y) * np.tanh(w * x) * (1 - np.tanh(w * x)) * x,
     "sigmoid's derivative"),
    (lambda w, x, y: 2 * (y - np.tanh(w * x)) * (1 - np.tanh(w * x) ** 2) * x, "sign is flipped"),
    (lambda w, x, y: 2 * (np.tanh(w * x) - y) * (1 - np.tanh(w * x) ** 2) * w, "multiplied by w, not by x"),
])
def test_tanh_unit_slips_are_named_with_the_point(wrong, message, capsys):
    rejects(check_tanh_unit_gradient, wrong,
            r"tanh_unit_gradient\(w=0.5, x=1.5, y=1.0\) is wrong: expected -0\.652995, got .*Likely cause: .*"
            + message, capsys)


def test_an_unrecognised_tanh_unit_answer_points_to_central_difference(capsys):
    rejects(check_tanh_unit_gradient, lambda w, x, y: 3 * (np.tanh(w * x) - y) * (1 - np.tanh(w * x) ** 2) * x,
            r"is wrong: expected .* Compare it with central_difference", capsys)


def test_a_tanh_unit_gradient_must_be_one_number(capsys):
    rejects(check_tanh_unit_gradient, lambda w, x, y: np.array([w, x]), "should return one number", capsys)


# ---------------------------------------------------------------- exercise 5 (predict)
def test_the_first_order_rule_holds_at_half_and_fails_at_ten_and_fifty():
    actual, first_order = _step_loss_change()
    assert STEP_LR == 0.5 and abs(first_order - actual) < 0.05 * abs(actual)
    assert np.isclose(_step_loss_change(10.0)[0], -0.001214, atol=5e-7)
    assert _step_loss_change(50.0)[0] > 0.2
    assert (_step_outcome(0.5), _step_outcome(10.0), _step_outcome(50.0)) == ("A", "B", "C")


@pytest.mark.parametrize("guess, message", [
    (("A", "A"), r"At η = 10 you chose A.*curvature.*At η = 50 you chose A.*cannot fall below 0"),
    (("A", "C"), r"At η = 10 you chose A.*curvature"),
    (("C", "C"), r"At η = 10 you chose C.*still\s+falls"),
    (("B", "B"), r"At η = 50 you chose B.*overshoots the valley"),
    ("BC", "should be a pair of letters"),
    (-0.0023, "should be a pair of letters"),
    (("B", "D"), r"should be \"A\", \"B\" or \"C\""),
])
def test_wrong_step_predictions_get_the_reasoning(guess, message, capsys):
    rejects(check_step_loss_change, guess, message, capsys)


def test_lower_case_letters_pass(capsys):
    check_step_loss_change(["b", " c "])
    assert "\u2714" in capsys.readouterr().out


def test_taking_the_step_in_the_answer_cell_is_delegation():
    assert {"backward", "MLP"} <= set(FORBIDDEN["check_step_loss_change"])


# ---------------------------------------------------------------- exercise 6 (debug)
def line_fit_gradients_buggy(w, b, x, y):
    pred = w * x + b
    return 2 * np.mean(pred - y), 2 * np.mean(pred - y)


def test_gradcheck_exposes_the_planted_bug_in_dw_only():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=10), rng.normal(size=10)
    report = bp.gradcheck.gradcheck(lambda w, b: (line_fit_loss(w, b, x, y),
                                                  line_fit_gradients_buggy(w, b, x, y)), (0.8, -0.3))
    assert report.errors["input 0"] > 1e-2 and report.errors["input 1"] < 1e-7
    fixed = bp.gradcheck.gradcheck(lambda w, b: (line_fit_loss(w, b, x, y), line_fit_gradients(w, b, x, y)),
                                   (0.8, -0.3))
    assert fixed.ok


@pytest.mark.parametrize("wrong, message", [
    (line_fit_gradients_buggy, r"still the planted bug.*∂ŷ/∂w = x is missing"),
    (lambda w, b, x, y: (np.mean((w * x + b - y) * x), 2 * np.mean(w * x + b - y)), "factor 2 from the square"),
    (lambda w, b, x, y: (2 * np.sum((w * x + b - y) * x), 2 * np.mean(w * x + b - y)), "N times too large"),
    (lambda w, b, x, y: (-2 * np.mean((w * x + b - y) * x), 2 * np.mean(w * x + b - y)), "opposite sign"),
    (lambda w, b, x, y: (2 * (w * x + b - y) * x, 2 * np.mean(w * x + b - y)), r"one entry per example"),
    (lambda w, b, x, y: (2 * np.mean((w * x + b - y) * x), 2 * np.sum(w * x + b - y)),
     r"dL/db with w = 0.7, b = -0.4 is wrong"),
    (lambda w, b, x, y: (2 * np.mean((w * x + b - y) * x), 2 * np.mean((w * x + b - y) * x)),
     r"dL/db was already right, since ∂ŷ/∂b = 1"),
])
def test_line_fit_slips_are_named(wrong, message, capsys):
    rejects(check_line_fit_gradients, wrong, message, capsys)
