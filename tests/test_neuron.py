"""bplib.neuron: one sigmoid neuron y = σ(w x + b), its loss and chain-rule gradients."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib.gradcheck import numerical_gradient, rel_error
from bplib.neuron import neuron_gradients, neuron_loss, neuron_output


def sigma(v):
    return 1 / (1 + math.exp(-v))


def test_output_loss_and_gradients_by_hand():
    # w x + b = 2 * 0.5 - 1 = 0, so y = 1/2, L = ½ (1/2 - 1)² = 1/8,
    # dL/dz = (y - t) y (1 - y) = -1/8
    assert neuron_output(0.5, 2.0, -1.0) == pytest.approx(0.5)
    assert neuron_loss(0.5, 1.0, 2.0, -1.0) == pytest.approx(0.125)
    dw, db = neuron_gradients(0.5, 1.0, 2.0, -1.0)
    assert dw == pytest.approx(-0.0625) and db == pytest.approx(-0.125)
    assert isinstance(dw, float) and isinstance(neuron_loss(0.5, 1.0, 2.0, -1.0), float)


def test_batch_loss_and_gradients_average_the_examples():
    x, t, w, b = np.array([1.0, -2.0]), np.array([0.0, 1.0]), 0.7, 0.1
    ys = [sigma(w * xi + b) for xi in x]
    assert neuron_loss(x, t, w, b) == pytest.approx(
        np.mean([0.5 * (y - ti) ** 2 for y, ti in zip(ys, t, strict=False)])
    )
    dz = [(y - ti) * y * (1 - y) / 2 for y, ti in zip(ys, t, strict=False)]
    dw, db = neuron_gradients(x, t, w, b)
    assert dw == pytest.approx(
        sum(d * xi for d, xi in zip(dz, x, strict=False))
    ) and db == pytest.approx(sum(dz))


@pytest.mark.parametrize(
    "x, t, w, b",
    [
        (1.5, 0.0, 0.8, -0.2),
        (-2.0, 1.0, 0.3, 0.5),
        ([-2.0, -1.0, 0.5, 1.0, 2.5], [0, 0, 1, 1, 1], -1.0, 0.0),
    ],
)
def test_gradients_match_finite_differences(x, t, w, b):
    params = np.array([w, b])
    numeric = numerical_gradient(lambda: neuron_loss(x, t, params[0], params[1]), params)
    assert rel_error(neuron_gradients(x, t, w, b), numeric) < 1e-7


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_gradients_match_finite_differences_for_random_batches(n, seed):
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal(n), rng.uniform(size=n)
    params = rng.standard_normal(2)
    numeric = numerical_gradient(lambda: neuron_loss(x, t, params[0], params[1]), params)
    assert rel_error(neuron_gradients(x, t, *params), numeric) < 1e-7


def test_an_array_of_weights_gives_one_result_per_weight():
    x, t, b = np.array([-1.0, 0.5, 2.0]), np.array([0.0, 1.0, 1.0]), 0.2
    ws = np.linspace(-2, 2, 7)
    assert neuron_output(x, ws, b).shape == (7, 3)
    losses = neuron_loss(x, t, ws, b)
    dws, dbs = neuron_gradients(x, t, ws, b)
    assert losses.shape == dws.shape == dbs.shape == (7,)
    for i, w in enumerate(ws):
        assert losses[i] == pytest.approx(neuron_loss(x, t, w, b))
        assert (dws[i], dbs[i]) == pytest.approx(neuron_gradients(x, t, w, b))


def test_scalar_x_with_weight_array():
    ws = np.array([0.0, 1.0])
    np.testing.assert_allclose(neuron_output(1.0, ws, 0.0), [0.5, sigma(1.0)])
    assert neuron_loss(1.0, 1.0, ws, 0.0).shape == (2,)


def test_gradient_is_stable_for_huge_weights():
    dw, db = neuron_gradients(np.array([1.0, -1.0]), np.array([1.0, 0.0]), 1000.0, 0.0)
    assert dw == 0.0 and db == 0.0 and math.isfinite(neuron_loss(1.0, 0.0, 1000.0, 0.0))
