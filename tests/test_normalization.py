"""BatchNorm1d: gradients through the batch statistics, running statistics, eval mode, PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib.gradcheck import gradcheck, numerical_gradient_array, rel_error
from bplib.layers.normalization import batchnorm_backward, batchnorm_forward


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def _layer_with_random_affine(rng, d=4):
    bn = bp.BatchNorm1d(d)
    bn.gamma.data[:] = rng.normal(1.0, 0.5, d)
    bn.beta.data[:] = rng.normal(0.0, 0.5, d)
    return bn


def test_batchnorm_gradcheck_in_training_mode_passes_through_batch_statistics(rng):
    bn = _layer_with_random_affine(rng)
    x = rng.normal(2.0, 3.0, size=(6, 4))
    report = gradcheck(bn, x)
    assert report.ok, report
    assert report.max_error < 1e-7


def test_batchnorm_gradient_differs_from_the_simplified_formula_that_ignores_the_statistics(rng):
    bn = _layer_with_random_affine(rng)
    x = rng.normal(size=(5, 4))
    out = bn(x)
    dout = rng.normal(size=out.shape)
    dx = bn.backward(dout)
    naive = dout * bn.gamma.data / np.sqrt(x.var(axis=0) + bn.eps)
    assert rel_error(dx, naive) > 1e-2
    # Through the batch mean, the gradient of every column sums to zero.
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)


def test_functional_batchnorm_pair_passes_gradcheck(rng):
    x = rng.normal(size=(7, 3))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    report = gradcheck((batchnorm_forward, batchnorm_backward), (x, gamma, beta))
    assert report.ok, report


def test_batchnorm_gradcheck_in_eval_mode(rng):
    bn = _layer_with_random_affine(rng)
    bn.running_mean[:] = rng.normal(size=4)
    bn.running_var[:] = rng.uniform(0.5, 2.0, size=4)
    bn.eval()
    report = gradcheck(bn, rng.normal(size=(3, 4)))
    assert report.ok, report


def test_batchnorm_training_output_has_zero_mean_and_unit_variance_per_feature(rng):
    bn = bp.BatchNorm1d(3)
    out = bn(rng.normal(5.0, 10.0, size=(50, 3)))
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1.0, atol=1e-5)


def test_running_statistics_after_several_steps_equal_hand_computed_ones(rng):
    bn = bp.BatchNorm1d(2, momentum=0.1)
    mean, var = np.zeros(2), np.ones(2)
    for _ in range(4):
        x = rng.normal(3.0, 2.0, size=(8, 2))
        bn(x)
        mean = 0.9 * mean + 0.1 * x.mean(axis=0)
        var = 0.9 * var + 0.1 * x.var(axis=0, ddof=1)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-14)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-14)
    assert bn.num_batches_tracked == 4


def test_running_statistics_by_hand_for_one_tiny_batch():
    bn = bp.BatchNorm1d(1, momentum=0.5)
    bn(np.array([[1.0], [3.0]]))
    # mean 2, unbiased variance ((1-2)^2 + (3-2)^2) / 1 = 2
    assert bn.running_mean[0] == pytest.approx(0.5 * 0.0 + 0.5 * 2.0)
    assert bn.running_var[0] == pytest.approx(0.5 * 1.0 + 0.5 * 2.0)


def test_eval_mode_uses_running_statistics_and_does_not_update_them(rng):
    bn = _layer_with_random_affine(rng, d=3)
    for _ in range(3):
        bn(rng.normal(1.0, 2.0, size=(10, 3)))
    bn.eval()
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.normal(size=(4, 3))
    expected = bn.gamma.data * (x - mean) / np.sqrt(var + bn.eps) + bn.beta.data
    np.testing.assert_allclose(bn(x), expected, rtol=1e-13)
    np.testing.assert_array_equal(bn.running_mean, mean)
    np.testing.assert_array_equal(bn.running_var, var)


def test_eval_mode_accepts_a_batch_of_one(rng):
    bn = bp.BatchNorm1d(3).eval()
    assert bn(rng.normal(size=(1, 3))).shape == (1, 3)


def test_gamma_and_beta_are_parameters_with_accumulating_gradients(rng):
    bn = bp.BatchNorm1d(3)
    assert [name for name, _ in bn.named_parameters()] == ["gamma", "beta"]
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    bn(x)
    bn.backward(dout)
    bn.backward(dout)
    np.testing.assert_allclose(bn.beta.grad, 2 * dout.sum(axis=0))


def test_float32_input_stays_float32(rng):
    bn = bp.BatchNorm1d(3, dtype=np.float32)
    out = bn(rng.normal(size=(4, 3)).astype(np.float32))
    assert out.dtype == np.float32
    assert bn.backward(np.ones_like(out)).dtype == np.float32


def test_wrong_feature_count_names_the_layer_and_both_sizes(rng):
    message = r"BatchNorm1d\(3.*expected x with 3 features.*got shape \(4, 5\)"
    with pytest.raises(ValueError, match=message):
        bp.BatchNorm1d(3)(rng.normal(size=(4, 5)))


def test_one_dimensional_input_suggests_adding_a_batch_dimension():
    with pytest.raises(ValueError, match="batch dimension"):
        bp.BatchNorm1d(3)(np.ones(3))


def test_batch_of_one_in_training_mode_is_refused_with_a_way_out(rng):
    with pytest.raises(ValueError, match=r"at least 2 rows.*\.eval\(\)"):
        bp.BatchNorm1d(3)(rng.normal(size=(1, 3)))


def test_nan_input_is_refused():
    x = np.ones((3, 2))
    x[1, 0] = np.nan
    with pytest.raises(ValueError, match="nan"):
        bp.BatchNorm1d(2)(x)


def test_backward_before_forward_and_wrong_dout_shape_are_explained(rng):
    bn = bp.BatchNorm1d(2)
    with pytest.raises(RuntimeError, match="before forward"):
        bn.backward(np.ones((3, 2)))
    bn(rng.normal(size=(3, 2)))
    with pytest.raises(ValueError, match="dout has shape"):
        bn.backward(np.ones((2, 2)))


@pytest.mark.parametrize("kwargs, message", [
    ({"num_features": 0}, "num_features"),
    ({"num_features": 2, "eps": 0.0}, "eps must be positive"),
    ({"num_features": 2, "momentum": 1.5}, "momentum"),
])
def test_bad_constructor_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bp.BatchNorm1d(**kwargs)


def test_matches_pytorch_in_train_and_eval_mode(rng):
    torch = pytest.importorskip("torch")
    d = 5
    bn = _layer_with_random_affine(rng, d)
    ref = torch.nn.BatchNorm1d(d, eps=1e-5, momentum=0.1).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(bn.gamma.data))
        ref.bias.copy_(torch.from_numpy(bn.beta.data))
    for _ in range(3):
        x = rng.normal(1.0, 2.0, size=(8, d))
        dout = rng.normal(size=(8, d))
        bn.zero_grad()
        out = bn(x)
        dx = bn.backward(dout)
        xt = torch.tensor(x, requires_grad=True)
        ref.zero_grad()
        out_t = ref(xt)
        out_t.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn.gamma.grad, ref.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(bn.beta.grad, ref.bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean, ref.running_mean.numpy(), rtol=1e-13)
    np.testing.assert_allclose(bn.running_var, ref.running_var.numpy(), rtol=1e-13)
    bn.eval()
    ref.eval()
    x = rng.normal(size=(3, d))
    np.testing.assert_allclose(bn(x), ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 6), d=st.integers(1, 4), scale=st.floats(0.1, 10.0),
       seed=st.integers(0, 999))
def test_batchnorm_backward_matches_finite_differences_for_any_small_batch(n, d, scale, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, scale, size=(n, d))
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    dout = rng.normal(size=(n, d))
    _, cache = batchnorm_forward(x, gamma, beta)
    dx, _, _ = batchnorm_backward(dout, cache)
    numeric = numerical_gradient_array(lambda: batchnorm_forward(x, gamma, beta)[0], x, dout,
                                       h=1e-5)
    # Absolute tolerance relative to the gradient's scale: single entries can be ~0 by chance.
    np.testing.assert_allclose(dx, numeric, atol=1e-6 * (1 + np.abs(numeric).max()), rtol=1e-5)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-9 * (1 + np.abs(dx).max()))
