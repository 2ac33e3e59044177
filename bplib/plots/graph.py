"""Computational graphs of ``bplib.Value`` expressions, drawn with matplotlib (no Graphviz)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from bplib.autodiff import GraphTrace, Value, topological_order, trace
from bplib.plots.style import BLACK, BLUE, SKY, VERMILION

MAX_NODES = 60
_COL = 3.0  # horizontal distance between depths
_ROW = 1.0  # vertical distance between nodes of one depth
_BOX_W, _BOX_H = 1.9, 0.8
_OP_R = 0.32  # radius of the operation circle, drawn left of its output box
_SYMBOLS = {"sigmoid": "σ", "neg": "−", "*": "×", "-": "−", "square": "^2"}
_TITLE_H = 0.4  # inches above the graph for its title


_EDGE_COL = 4.6  # wider columns leave room for the numbers written on the edges


def layout(t: GraphTrace, col: float = _COL) -> dict[int, tuple[float, float]]:
    """Position (x, y) of every node: x by depth (longest path from a leaf), y spread per depth.

    ``col`` is the horizontal distance between depths.
    """
    inputs: dict[int, list[int]] = {n.index: [] for n in t.nodes}
    for src, dst in t.edges:
        inputs[dst].append(src)
    depth: dict[int, int] = {}
    for node in t.nodes:  # topological order: inputs already have a depth
        depth[node.index] = 1 + max((depth[i] for i in inputs[node.index]), default=-1)
    users: dict[int, list[int]] = {n.index: [] for n in t.nodes}
    for src, dst in t.edges:
        users[src].append(dst)
    for node in t.nodes:  # a leaf sits just before its first use, not far left with the others
        if not inputs[node.index] and users[node.index]:
            depth[node.index] = min(depth[u] for u in users[node.index]) - 1
    pos: dict[int, tuple[float, float]] = {}
    for d in range(max(depth.values()) + 1):
        column = [n.index for n in t.nodes if depth[n.index] == d]
        # order by the mean height of the inputs (leaves last), so edges cross less
        column.sort(key=lambda i: (not inputs[i], sum(pos[j][1] for j in inputs[i])
                                   / max(1, len(inputs[i]))))
        for rank, i in enumerate(column):
            pos[i] = (d * col, -(rank - (len(column) - 1) / 2) * _ROW)
    if len(pos) > 1:  # centre the output vertically on its inputs
        root = t.root.index
        pos[root] = (pos[root][0], sum(pos[j][1] for j in inputs[root]) / max(1, len(inputs[root])))
    return pos


def edge_contributions(root: Value) -> list[tuple[float, float]]:
    """(local derivative, local × grad of the output) for every edge, in ``trace(root).edges`` order.

    The second number is what flows back along the edge; a node's grad is the sum over its edges.
    """
    return [(local, local * node.grad) for node in topological_order(root)
            for local in node.local_grads]


def draw_graph(value: Value | GraphTrace, title: str | None = None, show_grad: bool | None = None,
               width: float | None = None, edge_grads: bool = False) -> Figure:
    """Boxes for values (``label = data``, then grad), circles for operations, arrows for edges.

    ``show_grad`` defaults to True once ``backward()`` has run (the output's grad is then 1).
    ``edge_grads`` (a ``Value`` after backward() only) writes on every edge its local derivative
    (``×3``) and the gradient flowing back along it (``← -1.88``).
    """
    if edge_grads and not isinstance(value, Value):
        raise TypeError("draw_graph: edge_grads=True needs the Value itself (a trace does not keep "
                        "the local derivatives); pass the output Value after backward().")
    t = value if isinstance(value, GraphTrace) else trace(value)
    if len(t.nodes) > MAX_NODES:
        raise ValueError(f"draw_graph: this graph has {len(t.nodes)} nodes; only graphs of up to "
                         f"{MAX_NODES} stay readable. Draw a smaller expression (one neuron, say).")
    if show_grad is None:
        show_grad = t.root.grad == 1.0
    pos = layout(t, _EDGE_COL if edge_grads else _COL)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x_lo, x_hi = min(xs) - _BOX_W / 2 - 2 * _OP_R - 0.2, max(xs) + _BOX_W / 2 + 0.2
    y_lo, y_hi = min(ys) - _BOX_H / 2 - 0.2, max(ys) + _BOX_H / 2 + 0.2
    if edge_grads and any(pos[d][0] - pos[s][0] > 1.5 * _EDGE_COL for s, d in t.edges):
        y_hi += 0.5  # room for the arcs of edges that skip a column
    scale = (width or min(12.0, 0.9 + 0.7 * (x_hi - x_lo))) / (x_hi - x_lo)
    graph_w, graph_h = scale * (x_hi - x_lo), scale * (y_hi - y_lo)  # inches
    fig = Figure(figsize=(graph_w, _TITLE_H + graph_h))
    # The axes fill the figure below a strip for the title: placed by hand, as a layout engine
    # would measure every label first (slow for an explorer redrawing the graph).
    ax = fig.add_axes((0.0, 0.0, 1.0, graph_h / (_TITLE_H + graph_h)))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")  # keeps the operation circles round
    fontsize = min(11.0, 17.0 * scale)  # text shrinks with the boxes when a graph is wide
    ax.set_axis_off()

    arrow = {"arrowstyle": "-|>", "color": BLACK, "lw": 0.8, "shrinkA": 0, "shrinkB": 0}
    flows = edge_contributions(value) if edge_grads else [None] * len(t.edges)
    for (src, dst), flow in zip(t.edges, flows, strict=True):  # input box -> op circle of the output
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        start, centre = np.array([x0 + _BOX_W / 2, y0]), np.array([x1 - _BOX_W / 2 - _OP_R, y1])
        direction = (centre - start) / np.linalg.norm(centre - start)
        end = centre - _OP_R * direction
        # with numbers on the edges, an edge that skips a column arcs over the nodes in between
        bend = -0.12 if flow is not None and x1 - x0 > 1.5 * _EDGE_COL else 0.0
        ax.annotate("", xy=tuple(end), xytext=tuple(start),
                    arrowprops={**arrow, "connectionstyle": f"arc3,rad={bend}"})
        if flow is not None:
            delta = end - start  # the label sits on the edge (or its arc), a third of the way along
            mid = start + delta / 3 + (4 / 9) * bend * np.array([delta[1], -delta[0]])
            ax.text(mid[0], mid[1] + 0.1, f"×{flow[0]:.4g}", ha="center", va="bottom",
                    fontsize=0.8 * fontsize, color=BLACK)
            ax.text(mid[0], mid[1] - 0.1, f"← {flow[1]:.4g}", ha="center", va="top",
                    fontsize=0.8 * fontsize, color=VERMILION, fontweight="bold")
    for node in t.nodes:
        x, y = pos[node.index]
        is_root = node.index == t.root.index
        face = "#FBE3D6" if is_root else ("#DCEBF7" if not node.op else "white")
        edge = VERMILION if is_root else (BLUE if not node.op else SKY)
        ax.add_patch(FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
                                    boxstyle="round,pad=0.02,rounding_size=0.08", fc=face, ec=edge,
                                    lw=1.4))
        name = f"{node.label} = " if node.label else ""
        ax.text(x, y + (0.17 if show_grad else 0.0), f"{name}{node.data:.4g}", ha="center",
                va="center", fontsize=fontsize, color=BLACK)
        if show_grad:
            ax.text(x, y - 0.17, f"grad {node.grad:.4g}", ha="center", va="center",
                    fontsize=fontsize, color=VERMILION, fontweight="bold")
        if node.op:
            cx = x - _BOX_W / 2 - _OP_R
            ax.add_patch(Circle((cx, y), _OP_R, fc="white", ec=BLACK, lw=0.9))
            ax.plot([cx + _OP_R, x - _BOX_W / 2], [y, y], color=BLACK, lw=0.8)
            symbol = _SYMBOLS.get(node.op, node.op.replace("**", "^"))
            ax.text(cx, y, symbol, ha="center", va="center",
                    fontsize=fontsize if len(symbol) <= 2 else 0.75 * fontsize)
    default = "Computational graph" + (" after backward(): grad = d(output)/d(node)"
                                       if show_grad else " (forward pass)")
    ax.set_title(title or default, fontsize=10)
    return fig
