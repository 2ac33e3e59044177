"""Residual connection (He et al. 2016): ``out = x + block(x)``.

The skip path has derivative 1, so ``dx = dout + block.backward(dout)``: however small the
block's own gradient, the upstream gradient reaches ``x`` unchanged.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import as_float_array
from bplib.layers.module import Module


class Residual(Module):
    """Wrap a block that keeps the shape: x: (N, D) -> x + block(x): (N, D)."""

    def __init__(self, block: Module):
        if not isinstance(block, Module):
            raise TypeError("Residual: block must be a layer (Module), got a "
                            f"{type(block).__name__}; e.g. "
                            "bp.Residual(bp.Sequential(bp.Linear(8, 8), bp.ReLU())).")
        self.block = block
        self._out_shape: tuple[int, ...] | None = None

    def extra_repr(self) -> str:
        return repr(self.block)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) -> x + block(x): (N, D)."""
        x = as_float_array(x, "x", "Residual")
        fx = self.block(x)
        if np.shape(fx) != x.shape:
            raise ValueError(
                f"Residual: the block {self.block!r} turned x of shape {x.shape} into shape "
                f"{np.shape(fx)}; x + block(x) needs the block to keep the shape. Use a block "
                "whose output size equals its input size."
            )
        out = x + fx
        self._out_shape = out.shape
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, D) -> dx = dout (skip path) + the block's dx: (N, D)."""
        shape = self._require_cache(self._out_shape)
        dout = self._check_dout(dout, shape)
        return dout + self.block.backward(dout)
