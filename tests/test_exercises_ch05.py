"""Exercises of chapter 5 (the algorithm): the reference solutions pass, the usual slips are named."""

import numpy as np
import pytest

import bplib as bp
from bplib.course import (
    check_hidden_delta,
    check_maxout_backward,
    check_output_delta,
    check_relu_zero_gradients_prediction,
    check_two_layer_backward,
)
from bplib.course.checks.algorithm import (
    RELU_LAYER_B,
    RELU_LAYER_W,
    RELU_LAYER_X,
    maxout_forward,
    two_layer_forward,
)

F = bp.functional


# ---------------------------------------------------------------- reference solutions
# notebooks/05_algorithm.ipynb, exercises 5-7
def maxout_backward(dout, cache):
    x, W1, W2, z1, z2 = cache
    first = z1 > z2
    dz1, dz2 = dout * first, dout * ~first
    return dz1 @ W1 + dz2 @ W2, dz1.T @ x, dz1.sum(axis=0), dz2.T @ x, dz2.sum(axis=0)


PREDICTION = 9


def two_layer_backward(dout, cache):
    x, W1, z1, a1, W2 = cache
    dW2, db2 = dout.T @ a1, dout.sum(axis=0)
    dz1 = (dout @ W2) * a1 * (1 - a1)
    return dz1 @ W1, dz1.T @ x, dz1.sum(axis=0), dW2, db2


def _maxout_with(route, paths=2):
    """A maxout backward whose routing of dout to (z1, z2) is ``route(dout, z1, z2)``."""
    def backward(dout, cache):
        x, W1, W2, z1, z2 = cache
        dz1, dz2 = route(dout, z1, z2)
        dx = dz1 @ W1 + dz2 @ W2 if paths == 2 else dz1 @ W1
        return dx, dz1.T @ x, dz1.sum(axis=0), dz2.T @ x, dz2.sum(axis=0)
    return backward


def _two_layer_with(slope):
    """A two-layer backward whose sigmoid derivative is ``slope(z1, a1)``."""
    def backward(dout, cache):
        x, W1, z1, a1, W2 = cache
        dz1 = (dout @ W2) * slope(z1, a1)
        return dz1 @ W1, dz1.T @ x, dz1.sum(axis=0), dout.T @ a1, dout.sum(axis=0)
    return backward


def test_the_reference_solutions_pass(capsys):
    check_maxout_backward(maxout_backward)
    check_relu_zero_gradients_prediction(PREDICTION)
    check_two_layer_backward(two_layer_backward)
    assert capsys.readouterr().out.count("\u2714") == 3


def test_the_maxout_reference_agrees_with_finite_differences():
    rng = np.random.default_rng(0)
    inputs = (rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4),
              rng.normal(size=(4, 3)), rng.normal(size=4))
    report = bp.gradcheck.gradcheck((maxout_forward, maxout_backward), inputs)
    assert report.ok and report.max_error < 1e-7


def test_the_two_layer_reference_agrees_with_finite_differences():
    rng = np.random.default_rng(1)
    inputs = (rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4),
              rng.normal(size=(2, 4)), rng.normal(size=2))
    report = bp.gradcheck.gradcheck((two_layer_forward, two_layer_backward), inputs)
    assert report.ok and report.max_error < 1e-7


# ---------------------------------------------------------------- exercise 5 (derive): maxout
@pytest.mark.parametrize("wrong, message", [
    (_maxout_with(lambda d, z1, z2: (d, d)), "send dout to both pieces"),
    (_maxout_with(lambda d, z1, z2: (d / 2, d / 2)), "split dout in half"),
    (_maxout_with(lambda d, z1, z2: (d * (z1 < z2), d * (z1 > z2))), "goes to the smaller piece"),
    (_maxout_with(lambda d, z1, z2: (d * (z1 > z2), d * (z1 < z2)), paths=1), "only the path through W1"),
])
def test_maxout_slips_are_named(wrong, message, capsys):
    with pytest.raises(AssertionError, match=message):
        check_maxout_backward(wrong)
    assert "\u2714" not in capsys.readouterr().out


def test_maxout_names_the_wrong_gradient_and_its_transpose():
    def transposed(dout, cache):
        dx, dW1, db1, dW2, db2 = maxout_backward(dout, cache)
        return dx, dW1.T, db1, dW2, db2
    with pytest.raises(AssertionError, match=r"dW1 has shape \(4, 3\), expected \(3, 4\). It looks transposed"):
        check_maxout_backward(transposed)

    def unsummed(dout, cache):
        dx, dW1, db1, dW2, db2 = maxout_backward(dout, cache)
        return dx, dW1, dout * (cache[3] > cache[4]), dW2, db2
    with pytest.raises(AssertionError, match="db1 has shape .* forget to sum over the batch"):
        check_maxout_backward(unsummed)


# ---------------------------------------------------------------- exercise 6 (predict)
def test_the_predicted_count_is_what_the_layer_gives():
    layer = bp.Linear(3, 5, rng=np.random.default_rng(0))
    layer.W.data[:], layer.b.data[:] = RELU_LAYER_W, RELU_LAYER_B
    net = bp.Sequential(layer, bp.ReLU())
    net(RELU_LAYER_X)
    net.zero_grad()
    net.backward(np.random.default_rng(3).normal(size=(4, 5)))
    assert int(np.sum(layer.W.grad == 0)) == PREDICTION


@pytest.mark.parametrize("guess, message", [
    (13, "zeros of ReLU'\\(z\\), the \\(N, H\\) mask, not of dW"),
    (7, "counts whole rows .* and/or whole columns"),
    (3, "counts whole rows"),
    (12, "too many"),
    ("9", "should be a whole number of entries, got str"),
    (8.5, "a whole number between 0 and 15"),
])
def test_wrong_predictions_get_the_reasoning_not_the_number(guess, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_relu_zero_gradients_prediction(guess)
    assert "9" not in str(info.value).replace(f"{guess}", "")


# ---------------------------------------------------------------- exercise 7 (debug)
@pytest.mark.parametrize("wrong, message", [
    (_two_layer_with(lambda z, a: F.sigmoid(a) * (1 - F.sigmoid(a))),
     "still evaluated at the activation a1, the planted bug"),
    (_two_layer_with(lambda z, a: 1.0), r"the factor σ'\(z\[1\]\) is missing"),
    (_two_layer_with(lambda z, a: a), r"multiplied by σ\(z1\) = a1 instead of its derivative"),
    (_two_layer_with(lambda z, a: 1 - a**2), "derivative of tanh"),
])
def test_two_layer_slips_are_named(wrong, message, capsys):
    with pytest.raises(AssertionError, match=r"^dx, dW1, db1 wrong: .*" + message):
        check_two_layer_backward(wrong)
    assert "\u2714" not in capsys.readouterr().out


def test_two_layer_with_a_wrong_output_layer_gets_the_general_message():
    def wrong_dW2(dout, cache):
        dx, dW1, db1, dW2, db2 = two_layer_backward(dout, cache)
        return dx, dW1, db1, dW2 / dout.shape[0], db2
    with pytest.raises(AssertionError, match=r"dW2 wrong at \[0, 0\].*0.1667 times the expected value"):
        check_two_layer_backward(wrong_dW2)


# ---------------------------------------------------------------- exercise 2: the gap
def test_hidden_delta_without_sigma_prime_is_named_as_such():
    with pytest.raises(AssertionError, match=r"delta\[1\] is missing the factor σ'\(z\[1\]\)"):
        check_hidden_delta(lambda W_next, delta_next, z: W_next.T @ delta_next)


def test_output_delta_with_the_slope_at_the_activation_is_named():
    def slope_at_a(a_K, z_K, y):
        s = F.sigmoid(a_K)
        return (a_K - y) * s * (1 - s)

    with pytest.raises(AssertionError, match=r"delta\[K\] takes the sigmoid's slope at the activation"):
        check_output_delta(slope_at_a)


# ---------------------------------------------------------------- delegation
def test_the_new_checks_are_listed_for_delegation_and_an_mlp_is_refused_for_the_debug_exercise():
    from bplib.course.delegation import FORBIDDEN, delegated

    assert {"check_maxout_backward", "check_relu_zero_gradients_prediction",
            "check_two_layer_backward"} <= set(FORBIDDEN)
    assert delegated("check_two_layer_backward", "net = bp.MLP([3, 4, 2])") == "MLP"
    assert delegated("check_maxout_backward", "dx, dW, db = bp.functional.linear_backward(d, c)") is None
