"""Exercise checks of chapters 6 and 7: accept the reference, reject typical mistakes with hints."""

import math

import numpy as np
import pytest

import bplib as bp
from bplib.course.checks import vanishing as checks


# ------------------------------------------------------------------ He init
def he_init(shape, rng):
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


def test_he_init_check_accepts_the_reference(capsys):
    checks.check_he_init(he_init)
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[0]), size=shape), "number of outputs"),
    (lambda shape, rng: rng.normal(0, math.sqrt(2 / sum(shape)), size=shape), "Xavier"),
    (lambda shape, rng: rng.normal(0, math.sqrt(1 / shape[1]), size=shape), "factor 2"),
    (lambda shape, rng: rng.normal(0, 2 / shape[1], size=shape), "variance"),
    (lambda shape, rng: rng.normal(size=shape), "numpy's default"),
    (lambda shape, rng: rng.normal(0, math.sqrt(2 / shape[1]), size=shape[::-1]), "transposed"),
    (lambda shape, rng: np.random.default_rng().normal(0, math.sqrt(2 / shape[1]), size=shape),
     "same seed"),
    (lambda shape, rng: 1 + rng.normal(0, math.sqrt(2 / shape[1]), size=shape), "around 0"),
    (lambda shape, rng: None, "returned None"),
])
def test_he_init_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_he_init(wrong)


# ------------------------------------------------------------------ BatchNorm backward
def bn_backward(dout, x_hat, gamma, inv_std):
    n = dout.shape[0]
    dx_hat = dout * gamma
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(0) - x_hat * (dx_hat * x_hat).sum(0))
    return dx, (dout * x_hat).sum(0), dout.sum(0)


def test_batchnorm_check_accepts_the_reference(capsys):
    checks.check_batchnorm_backward(bn_backward)
    assert "✔" in capsys.readouterr().out


def test_batchnorm_check_explains_the_simplified_formula():
    def simplified(dout, x_hat, gamma, inv_std):
        return dout * gamma * inv_std, (dout * x_hat).sum(0), dout.sum(0)

    with pytest.raises(AssertionError, match="batch mean and variance as constants"):
        checks.check_batchnorm_backward(simplified)


def test_batchnorm_check_rejects_missing_variance_path():
    def mean_only(dout, x_hat, gamma, inv_std):
        dx_hat = dout * gamma
        return inv_std * (dx_hat - dx_hat.mean(0)), (dout * x_hat).sum(0), dout.sum(0)

    with pytest.raises(AssertionError, match="no path through the variance"):
        checks.check_batchnorm_backward(mean_only)


def test_batchnorm_check_rejects_dbeta_not_summed_over_batch():
    def unsummed(dout, x_hat, gamma, inv_std):
        dx, dgamma, _ = bn_backward(dout, x_hat, gamma, inv_std)
        return dx, dgamma, dout

    with pytest.raises(AssertionError, match="dbeta has shape .*sum over the batch"):
        checks.check_batchnorm_backward(unsummed)


def test_batchnorm_check_wants_three_values():
    with pytest.raises(AssertionError, match="3 values"):
        checks.check_batchnorm_backward(lambda dout, x_hat, gamma, inv_std: dout)


# ------------------------------------------------------------------ gradient norms per layer
def test_layer_gradient_norms_check_accepts_the_reference(capsys):
    checks.check_layer_gradient_norms(
        lambda model: [np.linalg.norm(lin.W.grad) for lin in bp.diagnostics.linear_layers(model)])
    assert "✔" in capsys.readouterr().out


def test_layer_gradient_norms_check_rejects_biases_and_spectral_norms():
    lins = bp.diagnostics.linear_layers
    with pytest.raises(AssertionError, match="leave the biases out"):
        checks.check_layer_gradient_norms(
            lambda model: [np.linalg.norm(p.grad) for p in model.parameters()])
    with pytest.raises(AssertionError, match="spectral"):
        checks.check_layer_gradient_norms(
            lambda model: [np.linalg.norm(lin.W.grad, 2) for lin in lins(model)])
    with pytest.raises(AssertionError, match="wrong at"):
        checks.check_layer_gradient_norms(
            lambda model: [np.linalg.norm(lin.W.data) for lin in lins(model)])


# ------------------------------------------------------------------ clipping
def clip_global(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * min(1.0, max_norm / total) for g in grads]


def test_clip_by_global_norm_check_accepts_the_reference_and_torch_style_epsilon(capsys):
    checks.check_clip_by_global_norm(clip_global)

    def with_eps(grads, max_norm):
        params = [bp.Parameter(g.copy()) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad[...] = g
        bp.optim.clip_grad_norm_(params, max_norm)
        return [p.grad for p in params]

    checks.check_clip_by_global_norm(with_eps)
    assert capsys.readouterr().out.count("✔") == 2


def test_clip_by_global_norm_check_rejects_per_array_clipping():
    def per_array(grads, max_norm):
        return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]

    with pytest.raises(AssertionError, match="each gradient was clipped by its own norm"):
        checks.check_clip_by_global_norm(per_array)


def test_clip_by_global_norm_check_rejects_in_place_changes_and_always_scaling():
    def in_place(grads, max_norm):
        for g in grads:
            g *= 0.5
        return grads

    with pytest.raises(AssertionError, match="changed the gradients"):
        checks.check_clip_by_global_norm(in_place)

    def always(grads, max_norm):
        total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        return [g * max_norm / total for g in grads]

    with pytest.raises(AssertionError, match="below the threshold must pass unchanged"):
        checks.check_clip_by_global_norm(always)


def test_clip_by_value_check(capsys):
    checks.check_clip_by_value(lambda grads, c: [np.clip(g, -c, c) for g in grads])
    assert "✔" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="wrong at"):
        checks.check_clip_by_value(lambda grads, c: [np.clip(g, 0, c) for g in grads])
    with pytest.raises(AssertionError, match="changed the gradients"):
        checks.check_clip_by_value(lambda grads, c: [np.clip(g, -c, c, out=g) for g in grads])


# ------------------------------------------------------------------ L2 penalty
def test_l2_penalty_check(capsys):
    checks.check_l2_penalty(
        lambda ws, lam: (0.5 * lam * sum(np.sum(w ** 2) for w in ws), [lam * w for w in ws]))
    assert "✔" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="penalty value is wrong.*2 times"):
        checks.check_l2_penalty(
            lambda ws, lam: (lam * sum(np.sum(w ** 2) for w in ws), [lam * w for w in ws]))
    with pytest.raises(AssertionError, match="gradient of the penalty for weight 0.*2 times"):
        checks.check_l2_penalty(
            lambda ws, lam: (0.5 * lam * sum(np.sum(w ** 2) for w in ws),
                             [2 * lam * w for w in ws]))


