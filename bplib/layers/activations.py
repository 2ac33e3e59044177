"""Elementwise nonlinearities as modules: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``."""

from __future__ import annotations

import numpy as np

from bplib import functional as F
from bplib._validate import as_float_array
from bplib.layers.module import Module


class Activation(Module):
    """An elementwise function with no parameters; subclasses name their functional pair."""

    _forward = staticmethod(F.sigmoid_forward)
    _backward = staticmethod(F.sigmoid_backward)

    def __init__(self):
        self._cache = None
        self._out_shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> same shape."""
        if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):  # the usual case needs no conversion
            x = as_float_array(x, "x", repr(self))
        out, self._cache = self._forward(x)
        self._out_shape = out.shape
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: the output's shape -> dx: the same shape (local derivative times dout)."""
        cache = self._require_cache(self._cache)
        return self._backward(self._check_dout(dout, self._out_shape), cache)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """The local derivative ``f'(x)`` elementwise (used by plots and the column-form algorithm)."""
        _, cache = self._forward(np.asarray(x, dtype=float))
        return self._backward(np.ones_like(x, dtype=float), cache)


class Sigmoid(Activation):
    """``σ(x) = 1 / (1 + e^{-x})``; ``σ' = σ (1 - σ)`` is at most 1/4."""

    _forward = staticmethod(F.sigmoid_forward)
    _backward = staticmethod(F.sigmoid_backward)


class Tanh(Activation):
    """``tanh(x)``; ``tanh' = 1 - tanh^2`` is at most 1."""

    _forward = staticmethod(F.tanh_forward)
    _backward = staticmethod(F.tanh_backward)


class ReLU(Activation):
    """``max(0, x)``; its derivative is 1 for positive inputs and 0 otherwise."""

    _forward = staticmethod(F.relu_forward)
    _backward = staticmethod(F.relu_backward)


class LeakyReLU(Activation):
    """``x`` for positive inputs, ``negative_slope * x`` otherwise."""

    _backward = staticmethod(F.leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float, np.number)) \
                or not np.isfinite(negative_slope):
            raise TypeError(f"LeakyReLU: negative_slope must be a finite number (0.01 is usual), "
                            f"got {negative_slope!r}.")
        self.negative_slope = float(negative_slope)

    def _forward(self, x):
        return F.leaky_relu_forward(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def make_activation(activation) -> Module:
    """An activation module from a name ('relu', 'tanh', ...), a class, or an instance."""
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if activation in ACTIVATIONS:
        return ACTIVATIONS[activation]()
    raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
