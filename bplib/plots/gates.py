"""One gate of a computational graph, forward values in black and backward gradients in colour."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from bplib.gates import GateStep
from bplib.plots.style import BLACK, BLUE, SKY, VERMILION

_BOX_W, _BOX_H, _R = 2.3, 1.0, 0.45
_SYMBOL = {"add": "+", "multiply": "×", "max": "max", "copy": "•"}
_GREY = "#999999"
_SUB = "₁₂"


def _box(ax, x: float, y: float, name: str, value: float, grad: float, leaf: bool) -> None:
    ax.add_patch(FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
                                boxstyle="round,pad=0.02,rounding_size=0.1",
                                fc="#DCEBF7" if leaf else "#FBE3D6", ec=BLUE if leaf else VERMILION,
                                lw=1.4))
    ax.text(x, y + 0.2, f"{name} = {value:.3g}", ha="center", va="center", fontsize=11)
    ax.text(x, y - 0.2, f"∂L/∂{name} = {grad:.3g}", ha="center", va="center", fontsize=11,
            color=VERMILION, fontweight="bold")


def _edge(ax, start, end, grad: float) -> None:
    """A forward arrow start -> end, and below it the gradient flowing back end -> start."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    ax.annotate("", xy=tuple(end), xytext=tuple(start),
                arrowprops={"arrowstyle": "-|>", "color": BLACK, "lw": 0.9})
    normal = np.array([0.0, -0.28])
    colour = VERMILION if grad != 0 else _GREY
    ax.annotate("", xy=tuple(start + normal), xytext=tuple(end + normal),
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.6, "ls": "--"})
    mid = (start + end) / 2 + 2.2 * normal
    ax.text(mid[0], mid[1], f"← {grad:.3g}", ha="center", va="center", fontsize=10, color=colour,
            fontweight="bold")


def _n(v: float) -> str:
    return f"{v:.3g}" if v >= 0 else f"({v:.3g})"


def worked(step: GateStep) -> str:
    """The gate's rule with this step's numbers, e.g. ``∂L/∂x = w·∂L/∂u = 0.5·(-2) = -1``."""
    (x, *rest), g = step.inputs, step.upstream
    if step.name == "add":
        return f"∂L/∂x = ∂L/∂w = ∂L/∂u = {g[0]:.3g}"
    if step.name == "multiply":
        w = rest[0]
        return (f"∂L/∂x = w·∂L/∂u = {_n(w)}·{_n(g[0])} = {step.grads[0]:.3g},   "
                f"∂L/∂w = x·∂L/∂u = {_n(x)}·{_n(g[0])} = {step.grads[1]:.3g}")
    if step.name == "max":
        w = rest[0]
        big, small = ("x", "w") if x >= w else ("w", "x")
        return f"{big} is larger: ∂L/∂{big} = ∂L/∂u = {g[0]:.3g},   ∂L/∂{small} = 0"
    return f"∂L/∂x = ∂L/∂u₁ + ∂L/∂u₂ = {g[0]:.3g} + {_n(g[1])} = {step.grads[0]:.3g}"


def draw_gate(step: GateStep) -> Figure:
    """Inputs left, the gate in the middle, outputs right; ∂L/∂(each value) under its value."""
    fig = Figure(figsize=(8.0, 3.6))
    ax = fig.add_axes((0.0, 0.17, 1.0, 0.68))  # placed by hand: no layout engine, quick to redraw
    ax.set_xlim(-1.4, 10.6)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    gate_at = np.array([4.8, 0.0])
    ins = ["x"] if step.name == "copy" else ["x", "w"]
    outs = ["u" + s for s in _SUB] if step.name == "copy" else ["u"]
    in_y = [0.0] if len(ins) == 1 else [1.1, -1.1]
    out_y = [0.0] if len(outs) == 1 else [1.1, -1.1]
    for name, y, value, grad in zip(ins, in_y, step.inputs, step.grads, strict=True):
        _box(ax, 0.0, y, name, value, grad, leaf=True)
        _edge(ax, (_BOX_W / 2, y), gate_at + _R * np.array([-1.0, y / 3]), grad)
    for name, y, value, up in zip(outs, out_y, step.outputs, step.upstream, strict=True):
        _box(ax, 9.2, y, name, value, up, leaf=False)
        _edge(ax, gate_at + _R * np.array([1.0, y / 3]), (9.2 - _BOX_W / 2, y), up)
    ax.add_patch(Circle(tuple(gate_at), _R, fc="white", ec=SKY if step.name != "copy" else BLACK,
                        lw=1.4))
    symbol = _SYMBOL[step.name]
    ax.text(*gate_at, symbol, ha="center", va="center", fontsize=14 if len(symbol) == 1 else 10)
    fig.suptitle(f"{step.name} gate: {step.rule}", fontsize=11, y=0.97)
    checks = ", ".join(f"∂L/∂{n} = {v:.3g}" for n, v in zip(ins, step.numeric, strict=True))
    fig.text(0.5, 0.1, worked(step), ha="center", fontsize=10, color=VERMILION)
    fig.text(0.5, 0.03, f"check by central differences of L = Σ (upstream × output):  {checks}",
             ha="center", fontsize=9, color=BLACK)
    return fig
