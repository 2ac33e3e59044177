"""Draw a layered network: nodes in columns, edges coloured by sign and sized by magnitude."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm

from bplib.plots.style import BLUE, VERMILION

NODE_CMAP = colormaps["PuOr"]


def _node_positions(sizes: list[int]) -> list[np.ndarray]:
    """(x, y) of every node, layer by layer, centred vertically, unit 0 at the top."""
    return [np.column_stack([np.full(n, float(l)), (n - 1) / 2 - np.arange(n)]) for l, n in enumerate(sizes)]


def draw_network(ax: Axes, sizes: list[int], edge_values=None, node_values=None, highlight=None,
                 layer_labels=None, edge_scale: float | None = None) -> None:
    """Draw a fully connected network on ``ax``.

    sizes: units per layer, input first. edge_values[l]: (sizes[l+1], sizes[l]) array (e.g. W or dW of
    layer l+1) or None to draw grey edges. node_values[l]: (sizes[l],) values shown as node colours
    (e.g. δ), or None for white nodes. highlight: (layer, row, col) of one edge to emphasise.
    """
    positions = _node_positions(sizes)
    finite = [np.abs(v).max() for v in (edge_values or []) if v is not None and np.size(v)]
    scale = edge_scale or (max(finite) if finite else 1.0) or 1.0
    for l in range(len(sizes) - 1):
        values = None if edge_values is None else edge_values[l]
        for i, (x1, y1) in enumerate(positions[l + 1]):
            for j, (x0, y0) in enumerate(positions[l]):
                if values is None:
                    color, width = "0.75", 0.8
                else:
                    v = float(values[i, j])
                    color, width = (BLUE if v >= 0 else VERMILION), 0.4 + 3.6 * min(abs(v) / scale, 1.0)
                is_hot = highlight is not None and tuple(highlight) == (l, i, j)
                ax.plot([x0, x1], [y0, y1], color="black" if is_hot else color,
                        lw=width + (2.5 if is_hot else 0), zorder=2 if is_hot else 1,
                        solid_capstyle="round")
    node_scale = max((np.abs(v).max() for v in (node_values or []) if v is not None and np.size(v)), default=1.0)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-node_scale or -1, vmax=node_scale or 1)
    for l, pts in enumerate(positions):
        values = None if node_values is None else node_values[l]
        if values is None:
            colors = ["white" if node_values is None else "0.9"] * len(pts)
        else:
            colors = [NODE_CMAP(norm(float(v))) for v in np.ravel(values)]
        ax.scatter(pts[:, 0], pts[:, 1], s=420, c=colors, edgecolors="black", linewidths=1.0, zorder=3)
    labels = layer_labels or (["input"] + [f"layer {l}" for l in range(1, len(sizes))])
    top = max(p[:, 1].max() for p in positions)
    for l, label in enumerate(labels):
        ax.text(l, top + 0.7, label, ha="center", va="bottom", fontsize=9)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-top - 0.8, top + 1.3)
    ax.set_axis_off()
