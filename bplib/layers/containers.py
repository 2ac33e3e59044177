"""Modules made of modules: ``Sequential`` and the multi-layer perceptron ``MLP``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bplib._validate import generator
from bplib.layers.activations import make_activation
from bplib.layers.linear import Linear
from bplib.layers.module import Module


class Sequential(Module):
    """Apply layers in order; backward visits them in reverse.

    forward: x -> layers[-1](...layers[0](x)); backward: dout -> dx through every layer.
    """

    def __init__(self, *layers: Module):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                if isinstance(layer, type):
                    raise TypeError(f"Sequential: item {i} is the class {layer.__name__}, not a layer; "
                                    f"create one by calling it: {layer.__name__}().")
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, not a layer (Module).")
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dout: the last layer's output shape -> dx: the input's shape; every layer adds its grads.

        ``input_grad=False`` returns None instead of dx, for when the input is the data: a first
        Linear (or Sequential) then skips computing its dx; any other first layer computes it and
        it is dropped. Parameter grads are the same either way.
        """
        if not self.layers:
            return dout if input_grad else None
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        first = self.layers[0]
        if input_grad:
            return first.backward(dout)
        if isinstance(first, (Linear, Sequential)):
            return first.backward(dout, input_grad=False)
        first.backward(dout)  # still adds its own parameters' grads
        return None

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"{type(self).__name__}(\n{inner}\n)"


_DEFAULT_INIT = {"relu": "he", "leaky_relu": "he", "tanh": "xavier", "sigmoid": "xavier"}


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers with an activation between them.

    ``MLP([2, 16, 16, 1], activation='tanh')`` is Linear(2->16), Tanh, Linear(16->16), Tanh,
    Linear(16->1); ``output_activation`` (e.g. 'sigmoid') is appended after the last Linear.
    ``init`` defaults to He for ReLU-like activations and Xavier for sigmoid/tanh.
    """

    def __init__(self, sizes, activation="relu", output_activation=None, init=None,
                 rng: np.random.Generator | None = None, seed: int | None = None, dtype=np.float64):
        where = "MLP"
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
            raise TypeError(f"{where}: sizes must be a list of layer widths, input first and output "
                            f"last, e.g. [2, 16, 1]; got {sizes!r}.")
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got sizes={sizes}.")
        make_activation(activation)  # an unknown name fails here even without hidden layers
        rng = generator(rng, seed, where)
        if init is None:
            init = _DEFAULT_INIT.get(activation, "he") if isinstance(activation, str) else "he"
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(make_activation(activation))
        if output_activation is not None:
            layers.append(make_activation(output_activation))
        super().__init__(*layers)
        self.sizes = sizes

    def linear_layers(self) -> list[Linear]:
        """The Linear layers, first to last."""
        return [layer for layer in self.layers if isinstance(layer, Linear)]
