"""bplib.curvature: Hessians by finite differences of backpropagated gradients, and their eigenvalues."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib import curvature as cv
from bplib.history import SumSquaredError, network_1986


def test_hessian_of_a_quadratic_function_is_its_matrix():
    A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, -0.5], [0.0, -0.5, 1.0]])
    theta = np.array([0.3, -1.2, 2.0])
    H = cv.hessian_from_gradient(lambda th: A @ th + 1.0, theta)
    np.testing.assert_allclose(H, A, rtol=0, atol=1e-9)
    np.testing.assert_allclose(cv.eigenvalues(H), np.linalg.eigvalsh(A), atol=1e-9)


def test_hessian_of_a_linear_model_with_summed_squared_error_is_exact():
    # L = ½ Σ (x W^T + b - y)² is a quadratic in θ = (W, b): its Hessian is Aᵀ A with A = [x, 1]
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 1))
    model = bp.Linear(3, 1, seed=0)
    A = np.hstack([x, np.ones((7, 1))])
    H = cv.hessian(model, SumSquaredError(), x, y)
    np.testing.assert_allclose(H, A.T @ A, rtol=1e-8, atol=1e-8)


def test_hessian_of_a_small_network_matches_second_differences_of_the_loss():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(size=(4, 2)), rng.uniform(size=(4, 1))
    net = network_1986((2, 2, 1), seed=5, init_range=1.0)
    loss_fn = SumSquaredError()
    theta = cv.flat_parameters(net)
    H = cv.hessian(net, loss_fn, x, y)
    np.testing.assert_array_equal(cv.flat_parameters(net), theta)  # parameters restored

    def loss_at(th):
        cv.set_flat_parameters(net, th)
        return loss_fn(net(x), y)

    h, P = 1e-4, theta.size
    E = np.eye(P) * h
    numeric = np.array([[(loss_at(theta + E[i] + E[j]) - loss_at(theta + E[i] - E[j])
                          - loss_at(theta - E[i] + E[j]) + loss_at(theta - E[i] - E[j])) / (4 * h * h)
                         for j in range(P)] for i in range(P)])
    cv.set_flat_parameters(net, theta)
    assert np.max(np.abs(H - numeric)) < 1e-5 * max(1.0, np.max(np.abs(H)))
    np.testing.assert_allclose(H, H.T)


def test_a_saddle_has_a_negative_eigenvalue():
    # L = w1² - w2² at the origin: eigenvalues -2 and 2
    H = cv.hessian_from_gradient(lambda th: np.array([2 * th[0], -2 * th[1]]), np.zeros(2))
    np.testing.assert_allclose(cv.eigenvalues(H), [-2.0, 2.0], atol=1e-9)


def test_gradient_is_the_flattened_backpropagated_gradient():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    model = bp.MLP([2, 3, 1], seed=0)
    g = cv.gradient(model, bp.MSELoss(), x, y)
    grads = bp.train.compute_gradients(model, bp.MSELoss(), x, y)
    np.testing.assert_allclose(g, np.concatenate([v.ravel() for v in grads.values()]))


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: cv.hessian("net", SumSquaredError(), np.zeros((1, 2)), np.zeros((1, 1))), TypeError,
     "model must be a bplib Module"),
    (lambda: cv.hessian(bp.Linear(2, 1, seed=0), SumSquaredError(), np.zeros((1, 2)),
                        np.zeros((1, 1)), h=0.0), ValueError, "h must be a positive finite step"),
    (lambda: cv.hessian(bp.Sequential(bp.ReLU()), SumSquaredError(), np.zeros((1, 2)),
                        np.zeros((1, 2))), ValueError, "no parameters"),
    (lambda: cv.hessian_from_gradient(lambda th: th[:1], np.zeros(2)), ValueError,
     r"must return a vector of shape \(2,\)"),
    (lambda: cv.hessian_from_gradient(lambda th: th, np.zeros((2, 2))), ValueError,
     r"vector of shape \(P,\)"),
    (lambda: cv.eigenvalues(np.zeros((2, 3))), ValueError, "square matrix"),
    (lambda: cv.eigenvalues(np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError, "not symmetric"),
    (lambda: cv.set_flat_parameters(bp.Linear(2, 1, seed=0), np.zeros(5)), ValueError,
     r"shape \(3,\)"),
])
def test_bad_input_is_explained(call, error, message):
    with pytest.raises(error, match=message):
        call()
