"""Gradient checkpointing (Chen et al. 2016): trade recomputation for memory.

A plain ``Sequential`` keeps every layer's cache from the forward pass until the backward pass
uses it, so its memory grows with the depth. ``Checkpointed(model, every=k)`` cuts the layers
into segments of ``k`` and keeps only each segment's *input* (a checkpoint); the layers' own
caches are dropped as soon as the segment's output exists. During ``backward`` each segment is
run forward once more from its checkpoint, which rebuilds its caches, and then backward through
it. The last segment is not dropped (its backward pass comes first), as in
``torch.utils.checkpoint.checkpoint_sequential``. The gradients are the same numbers, computed
by the same operations; the price is one extra forward pass through every segment but the last.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import check_positive_int
from bplib.layers.containers import Sequential
from bplib.layers.memory import cache_bytes, clear_caches, modules
from bplib.layers.module import Module
from bplib.layers.normalization import BatchNorm1d


class Checkpointed(Module):
    """A ``Sequential`` run with checkpoints every ``every`` layers; x: (N, D) -> model's output.

    ``forward_calls`` counts layer forward calls (recomputation included) since the last
    ``reset_counts()``; ``peak_cache_bytes`` is the most memory the caches held at once during
    the last forward and backward pass (see ``bplib.layers.memory.cache_bytes``).
    BatchNorm layers in training mode are run again on the same input, so they see the same batch
    statistics; their running statistics are restored after the recomputation, so they are
    updated once per forward pass, as without checkpoints. In eval mode nothing changes on a
    second run, and checkpointing works the same way.
    """

    def __init__(self, model: Sequential, every: int):
        if not isinstance(model, Sequential):
            raise TypeError(f"Checkpointed: model must be a Sequential (or MLP) whose layers can be "
                            f"cut into segments, got a {type(model).__name__}.")
        self.every = check_positive_int(every, "every", "Checkpointed")
        self.model = model
        layers = list(model.layers)
        self.segments = [layers[i:i + self.every] for i in range(0, len(layers), self.every)]
        self._checkpoint_cache: list[np.ndarray] | None = None
        self.forward_calls = 0
        self.peak_cache_bytes = 0

    def extra_repr(self) -> str:
        return f"{len(self.model)} layers, every={self.every}, {len(self.segments)} segments"

    def reset_counts(self) -> None:
        """Set ``forward_calls`` back to zero."""
        self.forward_calls = 0

    def _run(self, segment: list[Module], x: np.ndarray) -> np.ndarray:
        for layer in segment:
            x = layer(x)
            self.forward_calls += 1
        return x

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) -> the model's output; keeps each segment's input, drops inner caches."""
        checkpoints: list[np.ndarray] = []
        for i, segment in enumerate(self.segments):
            checkpoints.append(x)
            x = self._run(segment, x)
            self.peak_cache_bytes = max(self.peak_cache_bytes if i else 0, self._held(checkpoints))
            if i < len(self.segments) - 1:
                for layer in segment:
                    clear_caches(layer)
        self._checkpoint_cache = checkpoints
        self.peak_cache_bytes = max(self.peak_cache_bytes, self._held(checkpoints))
        return x

    def _held(self, checkpoints: list[np.ndarray]) -> int:
        self._checkpoint_cache = checkpoints
        return cache_bytes(self)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: the output's shape -> dx: the input's shape; every layer adds its grads."""
        checkpoints = self._require_cache(self._checkpoint_cache)
        last = len(self.segments) - 1
        for i in reversed(range(len(self.segments))):
            segment = self.segments[i]
            if i < last:  # rebuild this segment's caches from its checkpoint
                saved = _running_statistics(segment)
                self._run(segment, checkpoints[i])
                _restore(saved)
                self.peak_cache_bytes = max(self.peak_cache_bytes, cache_bytes(self))
            for layer in reversed(segment):
                dout = layer.backward(dout)
            for layer in segment:
                clear_caches(layer)
            checkpoints[i] = None
        self._checkpoint_cache = None
        return dout


def _running_statistics(segment: list[Module]) -> list[tuple[BatchNorm1d, tuple]]:
    """What a repeated training-mode forward pass would change: BatchNorm's running statistics."""
    saved = []
    for layer in segment:
        for module in modules(layer):
            if isinstance(module, BatchNorm1d) and module.training:
                saved.append((module, (module.running_mean.copy(), module.running_var.copy(),
                                       module.num_batches_tracked)))
    return saved


def _restore(saved: list[tuple[BatchNorm1d, tuple]]) -> None:
    for module, (mean, var, count) in saved:
        module.running_mean, module.running_var, module.num_batches_tracked = mean, var, count
