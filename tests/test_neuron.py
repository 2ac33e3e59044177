"""bplib.neuron: one sigmoid neuron a = σ(w x + b), its loss and chain-rule gradients."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib.gradcheck import numerical_gradient, rel_error
from bplib.neuron import neuron_gradients, neuron_loss, neuron_output


def sigma(v):
    return 1 / (1 + math.exp(-v))


def test_output_loss_and_gradients_by_hand():
    # w x + b = 2 * 0.5 - 1 = 0, so a = 1/2, L = ½ (1/2 - 1)² = 1/8,
    # dL/dz = (a - y) a (1 - a) = -1/8
    assert neuron_output(0.5, 2.0, -1.0) == pytest.approx(0.5)
    assert neuron_loss(0.5, 1.0, 2.0, -1.0) == pytest.approx(0.125)
    dw, db = neuron_gradients(0.5, 1.0, 2.0, -1.0)
    assert dw == pytest.approx(-0.0625) and db == pytest.approx(-0.125)
    assert isinstance(dw, float) and isinstance(neuron_loss(0.5, 1.0, 2.0, -1.0), float)


def test_batch_loss_and_gradients_average_the_examples():
    x, y, w, b = np.array([1.0, -2.0]), np.array([0.0, 1.0]), 0.7, 0.1
    outputs = [sigma(w * xi + b) for xi in x]
    assert neuron_loss(x, y, w, b) == pytest.approx(
        np.mean([0.5 * (a - yi) ** 2 for a, yi in zip(outputs, y, strict=True)])
    )
    dz = [(a - yi) * a * (1 - a) / 2 for a, yi in zip(outputs, y, strict=True)]
    dw, db = neuron_gradients(x, y, w, b)
    assert dw == pytest.approx(
        sum(d * xi for d, xi in zip(dz, x, strict=True))
    ) and db == pytest.approx(sum(dz))


@pytest.mark.parametrize(
    "x, y, w, b",
    [
        (1.5, 0.0, 0.8, -0.2),
        (-2.0, 1.0, 0.3, 0.5),
        ([-2.0, -1.0, 0.5, 1.0, 2.5], [0, 0, 1, 1, 1], -1.0, 0.0),
    ],
)
def test_gradients_match_finite_differences(x, y, w, b):
    params = np.array([w, b])
    numeric = numerical_gradient(lambda: neuron_loss(x, y, params[0], params[1]), params)
    assert rel_error(neuron_gradients(x, y, w, b), numeric) < 1e-7


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_gradients_match_finite_differences_for_random_batches(n, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(n), rng.uniform(size=n)
    params = rng.standard_normal(2)
    numeric = numerical_gradient(lambda: neuron_loss(x, y, params[0], params[1]), params)
    assert rel_error(neuron_gradients(x, y, *params), numeric) < 1e-7


def test_an_array_of_weights_gives_one_result_per_weight():
    x, y, b = np.array([-1.0, 0.5, 2.0]), np.array([0.0, 1.0, 1.0]), 0.2
    ws = np.linspace(-2, 2, 7)
    assert neuron_output(x, ws, b).shape == (7, 3)
    losses = neuron_loss(x, y, ws, b)
    dws, dbs = neuron_gradients(x, y, ws, b)
    assert losses.shape == dws.shape == dbs.shape == (7,)
    for i, w in enumerate(ws):
        assert losses[i] == pytest.approx(neuron_loss(x, y, w, b))
        assert (dws[i], dbs[i]) == pytest.approx(neuron_gradients(x, y, w, b))


def test_scalar_x_with_weight_array():
    ws = np.array([0.0, 1.0])
    np.testing.assert_allclose(neuron_output(1.0, ws, 0.0), [0.5, sigma(1.0)])
    assert neuron_loss(1.0, 1.0, ws, 0.0).shape == (2,)


def test_gradient_is_stable_for_huge_weights():
    dw, db = neuron_gradients(np.array([1.0, -1.0]), np.array([1.0, 0.0]), 1000.0, 0.0)
    assert dw == 0.0 and db == 0.0 and math.isfinite(neuron_loss(1.0, 0.0, 1000.0, 0.0))


# ------------------------------------------------------------------ binary cross-entropy


def test_bce_loss_and_gradients_by_hand():
    # z = 2 * 0.5 - 1 = 0, a = 1/2: L = -log(1/2) = log 2, and dL/dz = a - y = -1/2, dL/dw = -1/2 x
    assert neuron_loss(0.5, 1.0, 2.0, -1.0, loss="bce") == pytest.approx(math.log(2))
    dw, db = neuron_gradients(0.5, 1.0, 2.0, -1.0, loss="bce")
    assert dw == pytest.approx(-0.25) and db == pytest.approx(-0.5)


def test_bce_gradient_is_a_minus_y_without_the_sigmoid_derivative():
    # a confidently wrong neuron, z = -6: MSE's dL/dz carries σ'(z) ≈ 0.0025, cross-entropy's does not
    a = sigma(-6.0)
    assert neuron_gradients(1.0, 1.0, -6.0, 0.0, loss="bce")[1] == pytest.approx(a - 1)
    assert neuron_gradients(1.0, 1.0, -6.0, 0.0)[1] == pytest.approx((a - 1) * a * (1 - a))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_bce_gradients_match_finite_differences_for_random_batches(n, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(n), rng.uniform(size=n)
    params = rng.standard_normal(2)
    numeric = numerical_gradient(lambda: neuron_loss(x, y, params[0], params[1], loss="bce"), params)
    assert rel_error(neuron_gradients(x, y, *params, loss="bce"), numeric) < 1e-7


def test_bce_loss_matches_bplib_functional_and_stays_finite():
    x, y, w, b = np.array([-2.0, 0.5, 3.0]), np.array([0.0, 1.0, 1.0]), 0.9, -0.4
    a = neuron_output(x, w, b)
    expected, _ = bp.functional.binary_cross_entropy(a, y)
    assert neuron_loss(x, y, w, b, loss="bce") == pytest.approx(expected, rel=1e-12)
    assert neuron_loss(1.0, 1.0, -1000.0, 0.0, loss="bce") == pytest.approx(1000.0)


def test_an_unknown_loss_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="loss must be 'mse'.*or 'bce'.*got 'cross'"):
        neuron_loss(1.0, 1.0, 0.5, 0.0, loss="cross")
    with pytest.raises(ValueError, match="neuron_gradients: loss must be"):
        neuron_gradients(1.0, 1.0, 0.5, 0.0, loss="MSE")
