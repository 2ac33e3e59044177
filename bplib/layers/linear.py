"""The fully connected layer ``z = x @ W.T + b``."""

from __future__ import annotations

import numpy as np

from bplib import functional as F
from bplib import init as initialisers
from bplib._validate import all_finite, check_bool, check_finite, check_positive_int, feature_rows, generator
from bplib.layers.module import Module, Parameter


class Linear(Module):
    """Fully connected layer.

    W: (out_features, in_features), b: (out_features,); x: (N, in_features) -> (N, out_features).
    ``init`` names a scheme from ``bplib.init`` ('he', 'xavier', 'lecun', 'normal', ...) or is a
    function ``f(shape, rng, dtype=...)``; biases start at zero except for 'lecun' (PyTorch's default,
    which draws them from the same uniform range).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init="he",
                 rng: np.random.Generator | None = None, seed: int | None = None, dtype=np.float64):
        where = f"Linear({in_features!r}, {out_features!r})"
        self.in_features = check_positive_int(in_features, "in_features", where)
        self.out_features = check_positive_int(out_features, "out_features", where)
        rng = generator(rng, seed, where)
        bias = check_bool(bias, "bias", where)
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"{where}: dtype must be a floating-point type (np.float64 or np.float32), "
                            f"got {np.dtype(dtype)}; integer weights would round every update away.")
        scheme = initialisers.get_scheme(init)
        self.W = Parameter(scheme((out_features, in_features), rng, dtype=dtype), "W")
        self.b = None
        if bias:
            if init in ("lecun", "lecun_uniform"):
                bound = 1.0 / np.sqrt(in_features)
                b = initialisers.uniform((out_features,), rng, -bound, bound, dtype)
            else:
                b = initialisers.zeros((out_features,), dtype=dtype)
            self.b = Parameter(b, "b")
        self._cache = None
        self._out_shape: tuple[int, ...] = ()

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}" + ("" if self.b is not None else ", bias=False")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, in_features) -> z: (N, out_features)."""
        # In a training loop x is almost always a ready array; only anything else pays for the
        # full checks (conversion, shape, empty batch) and their explanations.
        if not (isinstance(x, np.ndarray) and x.dtype == self.W.data.dtype and x.ndim == 2
                and x.shape[1] == self.in_features and x.shape[0] > 0):
            x = self._checked_input(x)
        if not all_finite(x):  # one fast pass in the usual case
            check_finite(x, "x", repr(self))  # raises, naming the first NaN or infinity
        out, self._cache = F.linear_forward(x, self.W.data, None if self.b is None else self.b.data)
        self._out_shape = out.shape
        return out

    def _checked_input(self, x) -> np.ndarray:
        """x as a float array of this layer's dtype and shape (N, in_features), or a clear error."""
        return feature_rows(x, self.in_features, repr(self), dtype=self.W.data.dtype)

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dout: (N, out_features) -> dx: (N, in_features); adds dW and db into the parameters' grads.

        ``input_grad=False`` skips dx and returns None: for a first layer whose input is the data,
        no one needs dx (PyTorch skips it too, for inputs that do not require grad). dW and db are
        the same either way.
        """
        cache = self._require_cache(self._cache)
        dout = self._check_dout(dout, self._out_shape)
        dx, dW, db = F.linear_backward(dout, cache, input_grad=input_grad)
        self.W.add_grad(dW)  # W.grad += dW
        if self.b is not None:
            self.b.add_grad(db)
        return dx
