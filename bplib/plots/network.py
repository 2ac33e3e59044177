"""Draw a layered network: nodes in columns, edges coloured by sign and sized by magnitude."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from bplib.plots.style import BLUE, VERMILION, new_figure

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


def _label_edges(ax: Axes, positions: list[np.ndarray], weights, where: float = 0.72) -> None:
    """Write W[l][k, j] on every edge, ``where`` of the way from unit j (below) to unit k (above)."""
    for l, W in enumerate(weights):
        for k, (x1, y1) in enumerate(positions[l + 1]):
            for j, (x0, y0) in enumerate(positions[l]):
                ax.text(x0 + where * (x1 - x0), y0 + where * (y1 - y0), f"{W[k, j]:.2f}", fontsize=8,
                        ha="center", va="center", zorder=4,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "0.6", "lw": 0.5})


def _label_nodes(ax: Axes, positions: list[np.ndarray], node_labels) -> None:
    """Write node_labels[l][i] beside unit i of layer l: above the upper units, below the lower ones."""
    for l, labels in enumerate(node_labels):
        for (x, y), text in zip(positions[l], labels):
            above = y >= 0
            ax.text(x, y + (0.2 if above else -0.2), text, fontsize=8, ha="center",
                    va="bottom" if above else "top", zorder=4, linespacing=1.3)


def labelled_network_figure(weights, panels, layer_labels=None, suptitle: str | None = None) -> Figure:
    """A small network drawn once per panel, every edge labelled with its weight W_kj.

    weights[l]: (n_{l+1}, n_l) arrays, input layer first; panels: list of (title, node_labels) with
    node_labels[l][i] the text written beside unit i of layer l (e.g. its z and a, or its δ).
    """
    sizes = [np.shape(weights[0])[1]] + [np.shape(W)[0] for W in weights]
    for title, node_labels in panels:
        if [len(labels) for labels in node_labels] != sizes:
            raise ValueError(f"labelled_network_figure: panel {title!r} has node labels for layers of sizes "
                             f"{[len(labels) for labels in node_labels]}, but the network has sizes {sizes}.")
    fig, axes = new_figure(3.9 * len(panels), 2.9, ncols=len(panels), layout="fixed",
                           margins={"left": 0.1, "right": 0.1, "bottom": 0.05, "top": 0.3 if suptitle else 0.05})
    positions = _node_positions(sizes)
    for ax, (title, node_labels) in zip(np.atleast_1d(axes), panels):
        draw_network(ax, sizes, layer_labels=layer_labels)
        _label_edges(ax, positions, weights)
        _label_nodes(ax, positions, node_labels)
        top = max(p[:, 1].max() for p in positions)
        ax.set_ylim(-top - 0.75, top + 1.45)
        ax.set_title(title, fontsize=10, y=0.88)
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    return fig
