"""What reverse mode remembers: cache memory of a deep MLP, and checkpointing's trade-off.

Reverse mode needs, during the backward pass, values computed in the forward pass, so it keeps
them until then; the bytes grow with depth times batch size. Forward mode carries a tangent
beside each value and forgets both as it goes, but needs one pass per input. Checkpointing
(``bplib.layers.Checkpointed``) keeps fewer values and computes the rest again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bplib.diagnostics import deep_mlp
from bplib.layers.checkpoint import Checkpointed
from bplib.layers.memory import cache_bytes


def _data(N: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(N, width))


def cache_memory(depths: Sequence[int], batch_sizes: Sequence[int], width: int = 64,
                 activation: str = "tanh", seed: int = 0) -> np.ndarray:
    """Bytes a ``deep_mlp(depth, width)`` holds for backward after one forward pass.

    Returns an array (len(batch_sizes), len(depths)): row i for batch size N = batch_sizes[i].
    """
    table = np.zeros((len(batch_sizes), len(depths)), dtype=np.int64)
    for i, N in enumerate(batch_sizes):
        x = _data(N, width, seed)
        for j, depth in enumerate(depths):
            model = deep_mlp(depth, width, activation=activation, init="xavier", seed=seed)
            model(x)
            table[i, j] = cache_bytes(model)
    return table


@dataclass
class CheckpointCost:
    """One setting of ``Checkpointed``: every (layers per segment), the peak cache bytes during a
    forward and backward pass, and the layers' forward calls (the plain model needs ``layers``)."""

    every: int
    peak_bytes: int
    forward_calls: int
    layers: int
    max_difference: float

    @property
    def extra_compute(self) -> float:
        """Forward calls beyond the plain forward pass, as a fraction of it."""
        return self.forward_calls / self.layers - 1


def checkpoint_costs(depth: int, every: Sequence[int], N: int = 64, width: int = 64,
                     activation: str = "tanh", seed: int = 0) -> list[CheckpointCost]:
    """Peak memory and forward calls of ``Checkpointed(deep_mlp(depth), every=k)`` for each k.

    ``max_difference`` is the largest absolute difference of any gradient from the plain model's.
    """
    x = _data(N, width, seed)

    def run(model):
        out = model(x)
        model.backward(np.ones_like(out) / out.size)
        return [p.grad for p in model.parameters()]

    reference = run(deep_mlp(depth, width, activation=activation, init="xavier", seed=seed))
    costs = []
    for k in every:
        model = Checkpointed(deep_mlp(depth, width, activation=activation, init="xavier",
                                      seed=seed), every=k)
        grads = run(model)
        difference = max(float(np.abs(a - b).max()) for a, b in zip(grads, reference, strict=True))
        costs.append(CheckpointCost(k, model.peak_cache_bytes, model.forward_calls,
                                    len(model.model), difference))
    return costs
