"""Speed options of bplib.layers: ``backward(dout, input_grad=False)`` skips dx, nothing else."""

import numpy as np
import pytest

import bplib as bp
from bplib import functional as F


def grads_after_backward(model, x, dout, **kwargs):
    """Run forward and backward on a fresh gradient; return (dx, every parameter's grad)."""
    model.zero_grad()
    model(x)
    dx = model.backward(dout, **kwargs)
    return dx, [p.grad.copy() for p in model.parameters()]


def test_linear_backward_without_input_grad_returns_none_and_the_same_parameter_grads(rng):
    layer = bp.Linear(4, 3, rng=rng)
    layer.b.data[:] = rng.standard_normal(3)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    dx, with_dx = grads_after_backward(layer, x, dout)
    skipped, without_dx = grads_after_backward(layer, x, dout, input_grad=False)
    assert dx.shape == (5, 4) and skipped is None
    for a, b in zip(with_dx, without_dx):
        np.testing.assert_array_equal(a, b)


def test_functional_linear_backward_without_input_grad_gives_no_dx(rng):
    x, W, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    out, cache = F.linear_forward(x, W, b)
    dout = rng.standard_normal(out.shape)
    dx, dW, db = F.linear_backward(dout, cache, input_grad=False)
    _, ref_dW, ref_db = F.linear_backward(dout, cache)
    assert dx is None
    np.testing.assert_array_equal(dW, ref_dW)
    np.testing.assert_array_equal(db, ref_db)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_backward_without_input_grad_leaves_every_parameter_grad_unchanged(rng, dtype):
    model = bp.MLP([3, 5, 4, 2], activation="tanh", seed=1, dtype=dtype)
    x = rng.standard_normal((6, 3)).astype(dtype)
    dout = rng.standard_normal((6, 2)).astype(dtype)
    dx, with_dx = grads_after_backward(model, x, dout)
    skipped, without_dx = grads_after_backward(model, x, dout, input_grad=False)
    assert dx.shape == (6, 3) and skipped is None
    for a, b in zip(with_dx, without_dx):
        np.testing.assert_array_equal(a, b)


def test_sequential_without_input_grad_keeps_grads_when_the_first_layer_has_no_parameters(rng):
    model = bp.Sequential(bp.Tanh(), bp.Linear(3, 4, rng=rng), bp.ReLU(), bp.Linear(4, 2, rng=rng))
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    dx, with_dx = grads_after_backward(model, x, dout)
    skipped, without_dx = grads_after_backward(model, x, dout, input_grad=False)
    assert dx.shape == (5, 3) and skipped is None
    for a, b in zip(with_dx, without_dx):
        np.testing.assert_array_equal(a, b)


def test_sequential_without_input_grad_runs_a_first_layer_that_cannot_skip_dx(rng):
    # BatchNorm1d has parameters but no input_grad option: its dx is computed and dropped.
    model = bp.Sequential(bp.BatchNorm1d(3), bp.Linear(3, 2, rng=rng))
    x, dout = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    _, with_dx = grads_after_backward(model, x, dout)
    skipped, without_dx = grads_after_backward(model, x, dout, input_grad=False)
    assert skipped is None
    for a, b in zip(with_dx, without_dx):
        np.testing.assert_array_equal(a, b)


def test_nested_sequential_passes_input_grad_down(rng):
    inner = bp.Sequential(bp.Linear(3, 4, rng=rng), bp.Sigmoid())
    model = bp.Sequential(inner, bp.Linear(4, 1, rng=rng))
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    _, with_dx = grads_after_backward(model, x, dout)
    skipped, without_dx = grads_after_backward(model, x, dout, input_grad=False)
    assert skipped is None
    for a, b in zip(with_dx, without_dx):
        np.testing.assert_array_equal(a, b)


def test_backward_returns_dx_by_default_and_it_matches_finite_differences(rng, assert_gradcheck):
    model = bp.MLP([3, 4, 2], activation="tanh", seed=0)
    assert_gradcheck(model, rng.standard_normal((5, 3)))


def test_linear_forward_fast_path_still_rejects_nan_and_converts_other_inputs():
    layer = bp.Linear(2, 1, seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"x contains nan at index \[0, 1\]"):
        layer(np.array([[0.0, np.nan]], dtype=np.float32))
    out = layer([[1, 2]])  # a list of ints takes the careful path and is converted to float32
    assert out.dtype == np.float32 and out.shape == (1, 1)


def test_empty_sequential_passes_dout_through_or_returns_none():
    dout = np.ones((2, 3))
    assert bp.Sequential().backward(dout) is dout
    assert bp.Sequential().backward(dout, input_grad=False) is None
