"""A tiny multi-layer perceptron made of ``Value`` scalars, to compare with ``bplib.MLP``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bplib._validate import check_positive_int, generator
from bplib.autodiff.scalar import Value

_ACTIVATIONS = {"tanh": Value.tanh, "relu": Value.relu, "sigmoid": Value.sigmoid}


class ScalarMLP:
    """A multi-layer perceptron made of ``Value`` scalars, with a linear output layer.

    ``weights[l]`` is a list of rows, ``(out, in)`` as ``Linear.W``; ``biases[l]`` has ``out``
    entries. ``ScalarMLP.from_mlp(bp.MLP(...))`` copies a vectorised network for comparison.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh",
                 rng: np.random.Generator | None = None, seed: int | None = None):
        if len(sizes) < 2:
            raise ValueError(f"ScalarMLP needs an input and an output size, got {list(sizes)}.")
        sizes = [check_positive_int(s, f"sizes[{i}]", "ScalarMLP") for i, s in enumerate(sizes)]
        rng = generator(rng, seed, "ScalarMLP")
        arrays = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = math.sqrt(6.0 / (fan_in + fan_out))  # Xavier-uniform, MLP's default for tanh
            arrays.append((rng.uniform(-bound, bound, (fan_out, fan_in)), np.zeros(fan_out)))
        self._build(list(sizes), activation, arrays)

    def _build(self, sizes: list[int], activation: str, arrays) -> None:
        if activation not in _ACTIVATIONS:
            raise ValueError(f"ScalarMLP: activation must be 'tanh', 'relu' or 'sigmoid', "
                             f"got {activation!r}.")
        self.sizes, self.activation = sizes, activation
        self.weights = [[[Value(w) for w in row] for row in W] for W, _ in arrays]
        self.biases = [[Value(v) for v in b] for _, b in arrays]

    @classmethod
    def from_mlp(cls, mlp) -> ScalarMLP:
        """A copy of a ``bplib.MLP`` (tanh, relu or sigmoid between layers, linear output)."""
        kinds = {type(layer).__name__.lower() for layer in mlp.layers} - {"linear"}
        if len(kinds) > 1 or type(mlp.layers[-1]).__name__ != "Linear":
            raise ValueError("ScalarMLP.from_mlp: the MLP must use one activation between its "
                             "Linear layers and end with a Linear layer (no output_activation).")
        out = cls.__new__(cls)
        arrays = [(layer.W.data, layer.b.data) for layer in mlp.linear_layers()]
        out._build(list(mlp.sizes), kinds.pop() if kinds else "tanh", arrays)
        return out

    def __call__(self, x: Sequence) -> list[Value]:
        """One example: ``sizes[0]`` numbers (or Values) -> ``sizes[-1]`` output Values."""
        if len(x) != self.sizes[0]:
            raise ValueError(f"ScalarMLP: expected {self.sizes[0]} input numbers, got {len(x)}.")
        act = _ACTIVATIONS[self.activation]
        last = len(self.weights) - 1
        for layer, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = [sum((w * xi for w, xi in zip(row, x, strict=True)), bias)
                 for row, bias in zip(W, b, strict=True)]
            x = z if layer == last else [act(v) for v in z]
        return x

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer (W row by row, then b)."""
        params = []
        for W, b in zip(self.weights, self.biases, strict=True):
            params += [w for row in W for w in row] + b
        return params

    def grads(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(dW, db)`` per layer as arrays, shaped like ``Linear.W`` and ``Linear.b``."""
        return [(np.array([[w.grad for w in row] for row in W]), np.array([v.grad for v in b]))
                for W, b in zip(self.weights, self.biases, strict=True)]

    def mse(self, xs: Sequence[Sequence[float]], ys: Sequence) -> Value:
        """Mean squared error over a data set, as ``bp.MSELoss``: xs (N, in), ys (N, out)."""
        if len(xs) != len(ys) or len(xs) == 0:
            raise ValueError(f"ScalarMLP.mse: need as many targets as inputs (at least one), got "
                             f"{len(xs)} inputs and {len(ys)} targets.")
        terms = []
        for x, y in zip(xs, ys, strict=True):
            for out, target in zip(self(list(x)), np.atleast_1d(y), strict=True):
                terms.append((out - float(target)) ** 2)
        return sum(terms[1:], terms[0]) / len(terms)
