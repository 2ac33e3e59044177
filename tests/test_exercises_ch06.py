"""Exercises of chapter 6 (vanishing gradients): the reference answers pass, the usual slips fail
with a message that names them."""

import math

import numpy as np
import pytest

import bplib as bp
from bplib.course.checks import vanishing as checks
from bplib.course.checks.vanishing import residual_block_forward


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gate_slope(z):
    s = sigmoid(z)
    return s + z * s * (1.0 - s)


# ---------------------------------------------------------------- reference solutions
# notebooks/06_vanishing_gradients.ipynb
def he_init(shape, rng):
    return rng.normal(0.0, np.sqrt(2.0 / shape[1]), size=shape)


def batchnorm_backward(dout, z_hat, gamma, inv_std):
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * z_hat).sum(axis=0)
    g = dout * gamma
    dx = inv_std / n * (n * g - g.sum(axis=0) - z_hat * (g * z_hat).sum(axis=0))
    return dx, dgamma, dbeta


def layer_gradient_norms(model):
    return np.array([np.sqrt(np.sum(layer.W.grad ** 2)) for layer in bp.diagnostics.linear_layers(model)])


def residual_block_backward(dout, cache):
    x, W, z = cache
    dz = dout * gate_slope(z)
    return dout + dz @ W, dz.T @ x, dz.sum(axis=0)


FACTOR_PREDICTION = 0.01 * math.sqrt(128) / 4


def test_the_reference_solutions_pass(capsys):
    checks.check_he_init(he_init)
    checks.check_batchnorm_backward(batchnorm_backward)
    checks.check_layer_gradient_norms(layer_gradient_norms)
    checks.check_residual_block_backward(residual_block_backward)
    checks.check_vanishing_factor_prediction(FACTOR_PREDICTION)
    assert capsys.readouterr().out.count("\u2714") == 5


def test_the_residual_block_forward_adds_the_input_to_a_gated_linear_layer():
    x = np.array([[1.0, -2.0]])
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    out, (x_c, W_c, z) = residual_block_forward(x, W, np.array([0.5, 0.0]))
    np.testing.assert_allclose(z, [[1.5, -2.0]])
    np.testing.assert_allclose(out, [[1.0 + 1.5 / (1 + math.exp(-1.5)), -2.0 - 2.0 / (1 + math.exp(2.0))]])
    assert x_c is x and W_c is W


def test_the_residual_reference_agrees_with_finite_differences():
    rng = np.random.default_rng(5)
    x, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    report = bp.gradcheck.gradcheck((residual_block_forward, residual_block_backward), (x, W, b))
    assert max(report.errors.values()) < 1e-7


# ---------------------------------------------------------------- debug: batch norm backward
def planted_bug(dout, z_hat, gamma, inv_std):
    dbeta = dout.sum(axis=0)
    dgamma = (dout * z_hat).sum(axis=0)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - z_hat * (g * z_hat).mean(axis=0))
    return dx, dgamma, dbeta


def both_axes_one(dout, z_hat, gamma, inv_std):
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - z_hat * (g * z_hat).mean(axis=1, keepdims=True))
    return dx, (dout * z_hat).sum(axis=0), dout.sum(axis=0)


def mean_term_deleted(dout, z_hat, gamma, inv_std):
    g = dout * gamma
    return inv_std * (g - z_hat * (g * z_hat).mean(axis=0)), (dout * z_hat).sum(axis=0), dout.sum(axis=0)


def without_gamma(dout, z_hat, gamma, inv_std):
    g = dout
    dx = inv_std * (g - g.mean(axis=0) - z_hat * (g * z_hat).mean(axis=0))
    return dx, (dout * z_hat).sum(axis=0), dout.sum(axis=0)


def simplified(dout, z_hat, gamma, inv_std):
    return dout * gamma * inv_std, (dout * z_hat).sum(axis=0), dout.sum(axis=0)


@pytest.mark.parametrize("wrong, message", [
    (planted_bug, "axis=1, the planted bug"),
    (both_axes_one, "both means now run over axis=1"),
    (mean_term_deleted, "drops the path through the batch mean"),
    (without_gamma, "dz_hat = gamma \\* dout"),
    (simplified, "batch mean and variance as constants"),
])
def test_batchnorm_debug_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_batchnorm_backward(wrong)


def test_the_planted_batchnorm_bug_is_what_gradcheck_catches():
    from bplib.layers.normalization import batchnorm_forward
    rng = np.random.default_rng(3)
    z, gamma, beta = rng.normal(2.0, 3.0, size=(6, 4)), rng.normal(1.0, 0.5, 4), rng.normal(size=4)
    report = bp.gradcheck.gradcheck(
        (batchnorm_forward, lambda dout, cache: planted_bug(dout, *cache)), (z, gamma, beta))
    assert report.errors["input 0"] > 1e-2
    assert report.errors["input 1"] < 1e-7 and report.errors["input 2"] < 1e-7


# ---------------------------------------------------------------- derive: the residual block
def with_slope(slope_of, identity=False):
    def backward(dout, cache):
        x, W, z = cache
        dz = dout * slope_of(z)
        return (dout * gate_slope(z) if identity else dout) + dz @ W, dz.T @ x, dz.sum(axis=0)
    return backward


def no_identity_path(dout, cache):
    x, W, z = cache
    dz = dout * gate_slope(z)
    return dz @ W, dz.T @ x, dz.sum(axis=0)


def transposed_W(dout, cache):
    x, W, z = cache
    dz = dout * gate_slope(z)
    return dout + dz @ W.T, dz.T @ x, dz.sum(axis=0)


def skipped_weights(dout, cache):
    x, W, z = cache
    dz = dout * gate_slope(z)
    return dout + dz, dz.T @ x, dz.sum(axis=0)


def db_not_summed(dout, cache):
    dx, dW, _ = residual_block_backward(dout, cache)
    return dx, dW, dout * gate_slope(cache[2])


def dW_transposed(dout, cache):
    x, W, z = cache
    dz = dout * gate_slope(z)
    return dout + dz @ W, x.T @ dz, dz.sum(axis=0)


@pytest.mark.parametrize("wrong, message", [
    (no_identity_path, "misses the identity path"),
    (with_slope(sigmoid), "treated sigmoid\\(z\\) in z \\* sigmoid\\(z\\) as a constant"),
    (with_slope(lambda z: z * sigmoid(z) * (1 - sigmoid(z))), "kept only z \\* sigmoid'\\(z\\)"),
    (with_slope(lambda z: sigmoid(z) * (1 - sigmoid(z))), "the sigmoid's own slope"),
    (with_slope(lambda z: sigmoid(z) * (2 - sigmoid(z))), "left out the factor z"),
    (with_slope(gate_slope, identity=True), "multiplied the identity path by F's slope"),
    (transposed_W, "dx uses W.T"),
    (skipped_weights, "skips the weights"),
    (db_not_summed, "db has shape .*sum over the batch"),
    (dW_transposed, "dW wrong at .*transpose"),
    (lambda dout, cache: dout, "should return 3 values"),
])
def test_residual_block_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_residual_block_backward(wrong)


# ---------------------------------------------------------------- predict: the factor per layer
def test_the_measured_factor_is_close_to_the_gain_estimate():
    assert abs(checks._per_layer_factor() / FACTOR_PREDICTION - 1) < 0.1


@pytest.mark.parametrize("guess, message", [
    (0.014, "factor of the 32-unit network"),
    (0.0566, "scaled the factor by the width itself"),
    (0.25, "σ'\\(0\\) = 1/4 alone"),
    (0.113, "stretch of the weights alone"),
    (0.0008, "factor squared"),
    (0.0032, "variance 0.01² · n times σ'\\(0\\)"),
    (0.5, "too large"),
    (1e-4, "too small"),
])
def test_factor_prediction_slips_are_explained_without_the_answer(guess, message):
    with pytest.raises(AssertionError, match=message) as info:
        checks.check_vanishing_factor_prediction(guess)
    assert "0.027" not in str(info.value) and "0.028" not in str(info.value)


def test_an_array_wrapped_in_a_tuple_is_named():
    with pytest.raises(AssertionError, match="return the array itself, not a tuple"):
        checks.check_layer_gradient_norms(lambda model: (layer_gradient_norms(model),))
    with pytest.raises(AssertionError, match="return the array itself, not a tuple"):
        checks.check_he_init(lambda shape, rng: (he_init(shape, rng),))


def test_layer_gradient_norms_in_reverse_order_are_named():
    with pytest.raises(AssertionError, match="reverse order, last layer first"):
        checks.check_layer_gradient_norms(lambda model: layer_gradient_norms(model)[::-1])


@pytest.mark.parametrize("not_a_number", [lambda: 0.03, "0.03", None, [0.03, 0.02], True])
def test_factor_prediction_wants_one_number(not_a_number):
    with pytest.raises(AssertionError, match="should be one number"):
        checks.check_vanishing_factor_prediction(not_a_number)
