"""Curvature of a loss: the Hessian by finite differences of backpropagated gradients.

The Hessian $H_{ij} = \\partial^2 L / \\partial\\theta_i \\partial\\theta_j$ of a loss with respect
to all P parameters $\\theta$ says what kind of place a point is. Where the gradient is zero, all
eigenvalues positive means a minimum, one negative eigenvalue a saddle (some direction still goes
down); many eigenvalues near zero mean a flat region, a plateau. Column j is the change of the
analytic gradient when $\\theta_j$ moves: ``(g(θ + h e_j) - g(θ - h e_j)) / 2h``, exact for a
quadratic loss and off by O(h²) otherwise; the result is symmetrised, ``(H + Hᵀ) / 2``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bplib._validate import as_float_array, check_finite, check_instance
from bplib.layers.module import Module

__all__ = ["flat_parameters", "set_flat_parameters", "gradient", "hessian_from_gradient",
           "hessian", "eigenvalues"]


def _check_model(model, where: str) -> list:
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be a bplib Module (e.g. bp.MLP(...)), "
                        f"got {type(model).__name__}.")
    params = model.parameters()
    if not params:
        raise ValueError(f"{where}: the model has no parameters, so there is nothing to "
                         "differentiate with respect to.")
    return params


def _check_step(h, where: str) -> float:
    if isinstance(h, bool) or not isinstance(h, (int, float, np.floating, np.integer)):
        raise TypeError(f"{where}: h must be a number (the finite-difference step), "
                        f"got {type(h).__name__}.")
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"{where}: h must be a positive finite step such as 1e-5, got {h}.")
    return float(h)


def flat_parameters(model: Module) -> np.ndarray:
    """All parameters of ``model`` as one vector θ, shape (P,), in ``model.parameters()`` order."""
    params = _check_model(model, "flat_parameters")
    return np.concatenate([p.data.ravel() for p in params]).astype(np.float64)


def set_flat_parameters(model: Module, theta) -> None:
    """Write the vector θ, shape (P,), back into the parameters of ``model`` (in place)."""
    params = _check_model(model, "set_flat_parameters")
    theta = as_float_array(theta, "theta", "set_flat_parameters")
    size = sum(p.data.size for p in params)
    if theta.shape != (size,):
        raise ValueError(f"set_flat_parameters: theta must have shape ({size},), one entry per "
                         f"parameter of the model, got shape {theta.shape}.")
    start = 0
    for p in params:
        p.data[...] = theta[start:start + p.data.size].reshape(p.data.shape)
        start += p.data.size


def gradient(model: Module, loss_fn, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Backpropagated gradient ∂L/∂θ of ``loss_fn(model(x), y)`` as one vector, shape (P,)."""
    params = _check_model(model, "gradient")
    check_instance(loss_fn, "loss_fn", "gradient", "bp.MSELoss()")
    model.zero_grad()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    return np.concatenate([p.grad.ravel() for p in params]).astype(np.float64)


def hessian_from_gradient(grad: Callable[[np.ndarray], np.ndarray], theta,
                          h: float = 1e-5) -> np.ndarray:
    """Symmetrised Hessian (P, P) at ``theta`` (P,) by central differences of ``grad(θ) -> (P,)``."""
    if not callable(grad):
        raise TypeError(f"hessian_from_gradient: grad must be a function θ -> gradient, "
                        f"got {type(grad).__name__}.")
    theta = as_float_array(theta, "theta", "hessian_from_gradient", dtype=np.float64)
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(f"hessian_from_gradient: theta must be a non-empty vector of shape (P,), "
                         f"got shape {theta.shape}.")
    check_finite(theta, "theta", "hessian_from_gradient")
    h = _check_step(h, "hessian_from_gradient")
    P = theta.size
    H = np.empty((P, P))
    for j in range(P):
        step = np.zeros(P)
        step[j] = h
        plus, minus = (np.asarray(grad(theta + s), dtype=np.float64) for s in (step, -step))
        if plus.shape != (P,) or minus.shape != (P,):
            raise ValueError(f"hessian_from_gradient: grad must return a vector of shape ({P},) "
                             f"like theta, got shape {plus.shape}.")
        H[:, j] = (plus - minus) / (2 * h)
    return 0.5 * (H + H.T)


def hessian(model: Module, loss_fn, x: np.ndarray, y: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Hessian (P, P) of ``loss_fn(model(x), y)`` with respect to all P parameters of ``model``.

    Central differences of the backpropagated gradient, symmetrised; the model's parameters are
    restored afterwards (their ``.grad`` then hold the gradient at the original point).
    """
    theta = flat_parameters(model)
    h = _check_step(h, "hessian")

    def grad_at(point: np.ndarray) -> np.ndarray:
        set_flat_parameters(model, point)
        return gradient(model, loss_fn, x, y)

    try:
        return hessian_from_gradient(grad_at, theta, h)
    finally:
        set_flat_parameters(model, theta)
        gradient(model, loss_fn, x, y)


def eigenvalues(H) -> np.ndarray:
    """Eigenvalues (P,) of a symmetric matrix ``H`` (P, P), smallest first (``np.linalg.eigvalsh``)."""
    H = as_float_array(H, "H", "eigenvalues", dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.size == 0:
        raise ValueError(f"eigenvalues: H must be a square matrix of shape (P, P), got shape "
                         f"{H.shape}.")
    check_finite(H, "H", "eigenvalues")
    scale = max(np.max(np.abs(H)), np.finfo(float).tiny)
    if np.max(np.abs(H - H.T)) > 1e-8 * scale:
        raise ValueError("eigenvalues: H is not symmetric (H differs from H.T); a Hessian is "
                         "symmetric, so symmetrise it first with (H + H.T) / 2.")
    return np.linalg.eigvalsh(H)
