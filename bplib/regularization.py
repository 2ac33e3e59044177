r"""L2 regularisation written out as a loss term, to set beside the optimisers' ``weight_decay``.

Adding $\frac{\lambda}{2}\sum_p \|\theta_p\|^2$ to the loss adds $\lambda\,\theta_p$ to each
gradient, which is exactly what ``SGD(..., weight_decay=λ)`` adds before its update: the two
views give the same step. (For Adam they differ; AdamW decays the weights directly instead.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from bplib.layers.module import Module, Parameter

__all__ = ["add_l2_gradient_", "l2_penalty"]


def _params(params, where: str) -> list[Parameter]:
    if isinstance(params, Module):
        return params.parameters()
    if isinstance(params, Parameter):
        return [params]
    if isinstance(params, np.ndarray) or not isinstance(params, Iterable):
        raise TypeError(f"{where}: params must be a model or a list of Parameters "
                        f"(e.g. model.parameters()), got {type(params).__name__}.")
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"{where}: item {i} of params is a {type(p).__name__}, "
                            "not a Parameter.")
    return params


def _check_weight_decay(weight_decay, where: str) -> float:
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float, np.number)):
        raise TypeError(f"{where}: weight_decay must be a number, got {weight_decay!r}.")
    if not math.isfinite(weight_decay) or weight_decay < 0:
        raise ValueError(f"{where}: weight_decay must be a finite number >= 0, "
                         f"got {weight_decay!r}.")
    return float(weight_decay)


def l2_penalty(params, weight_decay: float) -> tuple[float, list[np.ndarray]]:
    r"""The penalty $\frac{\lambda}{2}\sum_p \|\theta_p\|^2$ and its gradient $\lambda\,\theta_p$.

    params: a Module or a list of Parameters; returns (value, [grad of the penalty for each
    parameter, same shapes as the parameters]). Nothing is changed in place.
    """
    params = _params(params, "l2_penalty")
    lam = _check_weight_decay(weight_decay, "l2_penalty")
    value = 0.5 * lam * sum(float(np.sum(p.data * p.data)) for p in params)
    return value, [lam * p.data for p in params]


def add_l2_gradient_(params, weight_decay: float) -> float:
    r"""Add the penalty's gradient $\lambda\,\theta_p$ into every ``p.grad``; return the penalty.

    Call it after ``loss_fn.backward()`` and the model's backward pass, before ``optimizer.step()``.
    """
    params = _params(params, "add_l2_gradient_")
    value, grads = l2_penalty(params, weight_decay)
    for p, g in zip(params, grads, strict=True):
        p.grad += g
    return value
