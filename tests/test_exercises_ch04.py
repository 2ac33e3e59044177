"""Exercises of chapter 4 (computing gradients of one neuron): the reference solutions pass,
realistic slips fail with the message that names them."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.course import (
    check_leaky_neuron_gradients,
    check_neuron_loss_and_grads,
    check_saturation_prediction,
    check_sigmoid_prime,
)
from bplib.course.delegation import FORBIDDEN, delegated
from bplib.widgets.neuron import NEURON_X, NEURON_Y


# ---------------------------------------------------------------- reference solutions
# notebooks/04_computing_gradients.ipynb, exercises 4-6
def leaky_neuron_gradients(x, y, w, b):
    z = w * x + b
    a = np.where(z > 0, z, 0.1 * z)
    dL_dz = (a - y) * np.where(z > 0, 1.0, 0.1) / len(x)
    return np.sum(dL_dz * x), np.sum(dL_dz)


PREDICTION = 0.2


def neuron_loss_and_grads(w, b, x, y):
    a = bp.functional.sigmoid(w * x + b)
    loss = np.mean(0.5 * (a - y) ** 2)
    dL_dz = (a - y) * a * (1 - a) / len(x)
    return loss, (np.sum(dL_dz * x), np.sum(dL_dz))


def neuron_loss_and_grads_buggy(w, b, x, y):  # the notebook's planted bug: no sigma'(z)
    a = bp.functional.sigmoid(w * x + b)
    dL_dz = (a - y) / len(x)
    return np.mean(0.5 * (a - y) ** 2), (np.sum(dL_dz * x), np.sum(dL_dz))


def test_the_reference_solutions_pass(capsys):
    check_leaky_neuron_gradients(leaky_neuron_gradients)
    check_saturation_prediction(PREDICTION)
    check_neuron_loss_and_grads(neuron_loss_and_grads)
    out = capsys.readouterr().out
    assert out.count("\u2714") == 3
    assert "0.204" in out


def test_the_reference_solutions_agree_with_gradcheck():
    def leaky_loss_and_grads(w, b):
        z = w * NEURON_X + b
        a = np.where(z > 0, z, 0.1 * z)
        return np.mean(0.5 * (a - NEURON_Y) ** 2), leaky_neuron_gradients(NEURON_X, NEURON_Y, w, b)

    assert bp.gradcheck.gradcheck(leaky_loss_and_grads, (np.array(-1.0), np.array(0.2))).ok
    inputs = (np.array(-1.0), np.array(0.0), NEURON_X, NEURON_Y)
    assert bp.gradcheck.gradcheck(neuron_loss_and_grads, inputs).ok
    assert not bp.gradcheck.gradcheck(neuron_loss_and_grads_buggy, inputs).ok
    ref_dw, ref_db = bp.neuron.neuron_gradients(NEURON_X, NEURON_Y, -1.0, 0.0)
    np.testing.assert_allclose(neuron_loss_and_grads(-1.0, 0.0, NEURON_X, NEURON_Y)[1], (ref_dw, ref_db))


def test_the_leaky_relu_reference_matches_bplib_functional():
    x, y, w, b = NEURON_X, NEURON_Y, -1.3, 0.4
    a, cache = bp.functional.leaky_relu_forward(w * x + b, negative_slope=0.1)
    dz = bp.functional.leaky_relu_backward((a - y) / len(x), cache)
    np.testing.assert_allclose(leaky_neuron_gradients(x, y, w, b), (np.sum(dz * x), np.sum(dz)))


# ---------------------------------------------------------------- exercise 1 (warm-up)
def test_sigmoid_prime_names_returning_the_sigmoid_itself():
    with pytest.raises(AssertionError, match="returns σ\\(z\\) itself"):
        check_sigmoid_prime(lambda z: bp.functional.sigmoid(np.asarray(z, dtype=float)))


# ---------------------------------------------------------------- exercise 4 (derive)
def _leaky(dslope, n_divide=True, x_branch=False):
    def wrong(x, y, w, b):
        z = w * x + b
        a = np.where(z > 0, z, 0.1 * z)
        dz = (a - y) * dslope(x if x_branch else z)
        dz = dz / len(x) if n_divide else dz
        return np.sum(dz * x), np.sum(dz)
    return wrong


def _leaky_z_error(x, y, w, b):  # the error z - y, as if the activation were the identity
    z = w * x + b
    dz = (z - y) * np.where(z > 0, 1.0, 0.1) / len(x)
    return np.sum(dz * x), np.sum(dz)


@pytest.mark.parametrize("wrong, message", [
    (_leaky(lambda z: (z > 0).astype(float)), "as a plain ReLU does"),
    (_leaky(lambda z: np.ones_like(z)), "local derivative is missing"),
    (_leaky(lambda z: np.where(z > 0, 0.1, 1.0)), "branches are swapped"),
    (_leaky(lambda v: np.where(v > 0, 1.0, 0.1), x_branch=True), "sign of x"),
    (_leaky(lambda z: np.where(z > 0, 1.0, 0.1), n_divide=False), "N times the gradient"),
    (_leaky(lambda z: 2 * np.where(z > 0, 1.0, 0.1)), "twice the gradient"),
    (lambda x, y, w, b: _leaky_z_error(x, y, w, b), "uses z where it needs a"),
    (lambda x, y, w, b: (leaky_neuron_gradients(x, y, w, b)[1],) * 2, "multiply each example's"),
    (lambda x, y, w, b: leaky_neuron_gradients(x, y, w, b)[0], "2 values as a tuple"),
])
def test_leaky_neuron_gradients_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_leaky_neuron_gradients(wrong)


def test_leaky_neuron_gradients_reports_per_example_gradients_by_shape():
    def per_example(x, y, w, b):
        z = w * x + b
        dz = (np.where(z > 0, z, 0.1 * z) - y) * np.where(z > 0, 1.0, 0.1) / len(x)
        return dz * x, dz

    with pytest.raises(AssertionError, match=r"dL/db with w = 0.8, b = -0.2 has shape \(8,\), expected \(\)"):
        check_leaky_neuron_gradients(per_example)


# ---------------------------------------------------------------- exercise 5 (predict)
@pytest.mark.parametrize("value", [0.19, 0.2, 0.204, 0.22])
def test_saturation_prediction_accepts_within_ten_percent(value, capsys):
    check_saturation_prediction(value)
    assert capsys.readouterr().out.startswith("\u2714")


@pytest.mark.parametrize("wrong, message", [
    (2.0, "what the factor ∂z/∂w = x alone gives"),  # the tempting guess
    (1.0, "gradient grows|hardly"),
    (-0.2, "same sign"),
    (0.01, "too small"),
    (2 * np.exp(-2.5), "tail approximation"),         # sigma'(z) ~ e^z: 0.164
    (0.1, "you left out ∂z/∂w = x"),                  # (a - y) sigma'(z) alone: half the ratio
    (0.095, "you left out ∂z/∂w = x"),
    (np.nan, "finite"),
    ([0.2], "plain number"),
])
def test_saturation_prediction_explains_a_wrong_guess(wrong, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_saturation_prediction(wrong)
    assert "0.204" not in str(info.value)


# ---------------------------------------------------------------- exercise 6 (debug)
def test_neuron_loss_and_grads_rejects_the_planted_bug():
    with pytest.raises(AssertionError, match="still lack σ'\\(z\\), the planted bug"):
        check_neuron_loss_and_grads(neuron_loss_and_grads_buggy)


def _neuron(dz_of, weight_input=False):
    def wrong(w, b, x, y):
        a = bp.functional.sigmoid(w * x + b)
        dz = dz_of(a, y, len(x))
        return np.mean(0.5 * (a - y) ** 2), (np.sum(dz * (w if weight_input else x)), np.sum(dz))
    return wrong


@pytest.mark.parametrize("wrong, message", [
    (_neuron(lambda a, y, n: (a - y) * a * (1 - a)), "N times too large"),
    (_neuron(lambda a, y, n: (a - y) * a / n), "use σ\\(z\\) instead of σ'\\(z\\)"),
    (_neuron(lambda a, y, n: (a - y) * a * (1 - a) / n, weight_input=True), "multiplies by w"),
    (_neuron(lambda a, y, n: (y - a) * a * (1 - a) / n), "opposite sign"),
    (_neuron(lambda a, y, n: (a - y) * bp.functional.sigmoid(a) * (1 - bp.functional.sigmoid(a)) / n),
     "apply σ to a again"),
    (_neuron(lambda a, y, n: 2 * (a - y) * a * (1 - a) / n), "twice the gradient"),
    (lambda w, b, x, y: (np.sum(0.5 * (bp.functional.sigmoid(w * x + b) - y) ** 2),
                         neuron_loss_and_grads(w, b, x, y)[1]), r"L at w = -1.0, b = 0.0 is wrong"),
    (lambda w, b, x, y: neuron_loss_and_grads(w, b, x, y)[1], "second item should be a tuple|L at"),
])
def test_neuron_loss_and_grads_names_other_wrong_fixes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_neuron_loss_and_grads(wrong)


# ---------------------------------------------------------------- delegation
def test_handing_the_exercises_to_bplib_is_refused():
    assert delegated("check_leaky_neuron_gradients",
                     "a, c = bp.functional.leaky_relu_forward(z, 0.1)\n"
                     "d = bp.functional.leaky_relu_backward(g, c)") == "leaky_relu_backward"
    assert delegated("check_saturation_prediction",
                     "prediction = bp.neuron.neuron_gradients(5.0, 1.0, -1.0, 0.0)[0]") == "neuron_gradients"
    # the natural fix of the debug exercise, as the chapter's own cells do it, is allowed
    assert delegated("check_neuron_loss_and_grads", "d = bp.functional.sigmoid_backward(g, c)") is None
    assert delegated("check_neuron_loss_and_grads", "a = bp.functional.sigmoid(z)\nd = a * (1 - a)") is None
    assert {"check_leaky_neuron_gradients", "check_saturation_prediction",
            "check_neuron_loss_and_grads"} <= set(FORBIDDEN)
