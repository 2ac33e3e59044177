"""Residual: x + block(x), the skip gradient, and shape errors."""

import numpy as np
import pytest

import bplib as bp
from bplib.gradcheck import gradcheck


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_residual_output_is_input_plus_block_output(rng):
    block = bp.Sequential(bp.Linear(3, 3, rng=rng), bp.Tanh())
    res = bp.Residual(block)
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(res(x), x + block(x))


def test_residual_gradcheck_for_input_and_block_parameters(rng):
    res = bp.Residual(bp.Sequential(bp.Linear(4, 4, init="xavier", rng=rng), bp.Tanh()))
    report = gradcheck(res, rng.normal(size=(5, 4)))
    assert report.ok, report
    assert set(report.errors) == {"x", "block.0.W", "block.0.b"}


def test_residual_with_batchnorm_inside_passes_gradcheck(rng):
    # No bias before batch norm: its true gradient is exactly 0, which relative error cannot check.
    block = bp.Sequential(bp.Linear(3, 3, bias=False, rng=rng), bp.BatchNorm1d(3), bp.Sigmoid())
    report = gradcheck(bp.Residual(block), rng.normal(size=(6, 3)))
    assert report.ok, report


def test_skip_path_passes_the_upstream_gradient_when_the_block_gradient_is_zero(rng):
    lin = bp.Linear(3, 3, init="zeros", rng=rng)
    res = bp.Residual(lin)
    res(rng.normal(size=(2, 3)))
    dout = rng.normal(size=(2, 3))
    np.testing.assert_allclose(res.backward(dout), dout)


def test_backward_adds_the_skip_gradient_to_the_block_gradient(rng):
    lin = bp.Linear(3, 3, rng=rng)
    res = bp.Residual(lin)
    res(rng.normal(size=(2, 3)))
    dout = rng.normal(size=(2, 3))
    np.testing.assert_allclose(res.backward(dout), dout + dout @ lin.W.data)


def test_block_that_changes_the_shape_is_refused_with_both_shapes(rng):
    res = bp.Residual(bp.Linear(3, 2, rng=rng))
    with pytest.raises(ValueError, match=r"shape \(4, 3\) into shape \(4, 2\).*keep the shape"):
        res(rng.normal(size=(4, 3)))


def test_block_must_be_a_module():
    with pytest.raises(TypeError, match="block must be a layer"):
        bp.Residual(lambda x: x)


def test_backward_before_forward_is_explained():
    with pytest.raises(RuntimeError, match="before forward"):
        bp.Residual(bp.ReLU()).backward(np.ones((2, 2)))


def test_residual_parameters_train_and_eval_reach_the_block(rng):
    bn = bp.BatchNorm1d(3)
    res = bp.Residual(bp.Sequential(bp.Linear(3, 3, rng=rng), bn))
    assert len(res.parameters()) == 4
    res.eval()
    assert bn.training is False


def test_matches_pytorch_skip_connection(rng):
    torch = pytest.importorskip("torch")
    lin = bp.Linear(3, 3, rng=rng)
    res = bp.Residual(bp.Sequential(lin, bp.Tanh()))
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    out = res(x)
    dx = res.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    W = torch.tensor(lin.W.data, requires_grad=True)
    out_t = xt + torch.tanh(xt @ W.T + torch.from_numpy(lin.b.data))
    out_t.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.W.grad, W.grad.numpy(), rtol=1e-12)
