"""Figures for the memory of reverse mode: cache bytes against depth, checkpointing's trade-off."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from bplib.plots.style import BLACK, BLUE, COLORS, ORANGE, new_figure

__all__ = ["cache_memory_figure", "checkpoint_tradeoff_figure"]

_MARKERS = ["o", "s", "^", "D", "v", "P"]
_MIB = 2.0**20


def cache_memory_figure(depths: Sequence[int], batch_sizes: Sequence[int], table: np.ndarray,
                        title: str = "What reverse mode keeps for the backward pass") -> Figure:
    """Cache MiB against depth, one line per batch size; table: (len(batch_sizes), len(depths)),
    e.g. from ``bplib.autodiff.memory.cache_memory``."""
    table = np.asarray(table, dtype=float)
    if table.shape != (len(batch_sizes), len(depths)):
        raise ValueError(f"cache_memory_figure: table must have shape (len(batch_sizes), "
                         f"len(depths)) = ({len(batch_sizes)}, {len(depths)}), got {table.shape}.")
    fig, ax = new_figure(6.0, 4.0)
    for i, N in enumerate(batch_sizes):
        ax.plot(depths, table[i] / _MIB, marker=_MARKERS[i % len(_MARKERS)],
                color=COLORS[i % len(COLORS)], label=f"batch size $N$ = {N}")
    ax.set(xlabel="depth: number of layers $K$", ylabel="cached activations (MiB)", title=title)
    ax.legend(frameon=False)
    return fig


def checkpoint_tradeoff_figure(costs: Sequence,
                               title: str = "Checkpointing: memory against recomputation") -> Figure:
    """Peak cache MiB (left axis) and layer forward calls (right axis) against k, the layers per
    segment; costs from ``bplib.autodiff.memory.checkpoint_costs``."""
    if not costs:
        raise ValueError("checkpoint_tradeoff_figure: pass a non-empty list of CheckpointCost.")
    ks = [c.every for c in costs]
    fig, ax = new_figure(6.5, 4.0)
    ax.plot(ks, [c.peak_bytes / _MIB for c in costs], marker="o", color=BLUE,
            label="peak cached activations")
    ax.set(xscale="log", xlabel="layers per segment $k$ (log scale)",
           ylabel="peak cached activations (MiB)", title=f"{title}, $K$ = {costs[0].layers}")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_ylim(0, 1.3 * max(c.peak_bytes for c in costs) / _MIB)  # room for the legend
    right = ax.twinx()
    right.plot(ks, [c.forward_calls for c in costs], marker="s", ls="--", color=ORANGE,
               label="layer forward calls")
    right.axhline(costs[0].layers, color=BLACK, lw=0.8, ls=":")
    right.set_ylim(0, 1.3 * max(c.forward_calls for c in costs))
    right.set_ylabel("layer forward calls per step (dotted: no checkpoints)")
    lines = ax.get_lines() + right.get_lines()[:1]
    ax.legend(lines, [line.get_label() for line in lines], frameon=False, loc="upper center")
    return fig
