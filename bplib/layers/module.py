"""``Parameter`` and ``Module``: the two ideas every layer is built from.

A ``Parameter`` is an array the optimiser may change (``.data``) plus the gradient of the loss
with respect to it (``.grad``, same shape). A ``Module`` computes ``forward(x)``, remembers what
its backward pass needs, and in ``backward(dout)`` returns ``dx`` while *adding* its parameter
gradients into ``.grad`` (``add_grad``): gradients accumulate until ``zero_grad()``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np

from bplib._validate import as_float_array


class Parameter:
    """A trainable array and its gradient.

    data: any shape; grad: same shape, starts at zero and accumulates across backward calls
    (layers call ``add_grad``) until ``zero_grad()``.
    """

    def __init__(self, data, name: str = ""):
        if data is None:
            raise TypeError("Parameter: data is None; a Parameter needs an array of numbers, "
                            "e.g. Parameter(np.zeros((3, 2))).")
        if not isinstance(name, str):
            raise TypeError(f"Parameter: name must be a string such as 'W', got {name!r}.")
        self.data = as_float_array(data, "data", f"Parameter({name!r})" if name else "Parameter")
        self._grad = np.zeros_like(self.data)
        self._grad_is_zero = False  # True after zero_grad(): the zeros are written only when needed
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def grad(self) -> np.ndarray:
        """dL/d(data), the shape of data."""
        if self._grad_is_zero:
            self._grad[...] = 0.0
            self._grad_is_zero = False
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        self._grad = value
        self._grad_is_zero = False

    def zero_grad(self) -> None:
        """Reset the gradient to zero."""
        self._grad_is_zero = True

    def add_grad(self, grad: np.ndarray) -> None:
        """``self.grad += grad``; grad: data's shape.

        Right after ``zero_grad()`` the sum is ``grad`` itself: it is copied in, without a pass
        writing zeros first.
        """
        if self._grad_is_zero:
            self._grad[...] = grad
            self._grad_is_zero = False
        else:
            self._grad += grad

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"Parameter{label}(shape={self.data.shape}, dtype={self.data.dtype})"


class Module(ABC):
    """Base class of every layer: ``forward``, ``backward``, parameters and train/eval mode.

    Parameters and sub-modules are found by looking at the attributes, in the order they were set
    (lists and tuples of modules count too), so subclasses only assign them.
    """

    training: bool = True

    @abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the output and keep what ``backward`` needs."""

    @abstractmethod
    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Given dL/d(output), add into each parameter's ``.grad`` and return dL/d(input)."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # ---------------------------------------------------------------- structure
    def children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules as ``(name, module)``."""
        for key, value in vars(self).items():
            if isinstance(value, Module):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{key}.{i}" if key != "layers" else str(i), item

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Parameter]]:
        """Every parameter with a dotted name such as ``'0.W'``, each listed once."""
        found: list[tuple[str, Parameter]] = []
        seen: set[int] = set()
        self._collect(prefix, found, seen)
        return found

    def _collect(self, prefix: str, found: list, seen: set) -> None:
        for key, value in vars(self).items():
            if isinstance(value, Parameter) and id(value) not in seen:
                seen.add(id(value))
                found.append((prefix + key, value))
        for name, child in self.children():
            child._collect(f"{prefix}{name}.", found, seen)

    def parameters(self) -> list[Parameter]:
        """Every trainable ``Parameter`` of this module and its sub-modules."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Switch this module and its children to training mode (or eval mode if ``mode`` is False)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}; "
                            "call model.train() to train and model.eval() to evaluate.")
        mode = bool(mode)
        self.training = mode
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (BatchNorm then uses its running statistics)."""
        return self.train(False)

    def num_parameters(self) -> int:
        """Total number of scalar weights."""
        return sum(p.data.size for p in self.parameters())

    # ----------------------------------------------------------------- helpers
    def _require_cache(self, cache):
        """Return ``cache``, or explain that backward needs a forward pass first."""
        if cache is None:
            raise RuntimeError(
                f"{self!r}: backward() was called before forward(); run the forward pass first "
                "so the layer has the values its gradient needs."
            )
        return cache

    def _check_dout(self, dout, expected_shape: tuple[int, ...]) -> np.ndarray:
        """Check that the upstream gradient has the shape of this layer's last output."""
        dout = np.asarray(dout)
        if dout.shape != expected_shape:
            raise ValueError(
                f"{self!r}.backward: dout has shape {dout.shape}, but this layer's last output had "
                f"shape {expected_shape}; dout must be the gradient of the loss with respect to that output."
            )
        return dout

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
