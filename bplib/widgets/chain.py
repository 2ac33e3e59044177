"""Chapter 3 explorer: move x0 along a composite function; see each local slope and the product."""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.figure import Figure

from bplib.chain import Composite, affine, compose
from bplib.plots.style import BLACK, BLUE, SKY, VERMILION, new_figure
from bplib.widgets.explorer import Choice, Explorer, Slider

# Composites of growing depth, keyed by the label the reader sees.
FUNCTIONS: dict[str, Composite] = {
    "sin(x²)": compose("sin", "square"),
    "exp(sin(x²))": compose("exp", "sin", "square"),
    "tanh(exp(sin(x²)) − 1.5)": compose("tanh", affine(1.0, -1.5), "exp", "sin", "square"),
}
X_RANGE = (-2.0, 2.0)


@functools.cache
def _slope_limit(function: str) -> float:
    """A fixed y-range for the slope panel, so frames for different x0 compare at a glance."""
    grid = np.linspace(*X_RANGE, 81)
    tables = [FUNCTIONS[function].table(x) for x in grid]
    values = [abs(v) for t in tables for s in t.steps for v in (s.local, s.forward)]
    return 1.1 * max(values)


def render_chain(x0: float = 0.5, function: str = "sin(x²)") -> Figure:
    """Left: y = f(x), tangent at x0. Right: each stage's local derivative and their product."""
    if function not in FUNCTIONS:
        raise ValueError(f"render_chain: function must be one of {list(FUNCTIONS)}, "
                         f"got {function!r}.")
    f = FUNCTIONS[function]
    table = f.table(x0)
    slope = table.reverse_derivative
    fig, (left, right) = new_figure(9.0, 3.6, ncols=2, layout="fixed", width_ratios=[1.1, 1.0],
                                    margins={"top": 0.6, "bottom": 0.65}, wspace=0.25)

    xs = np.linspace(*X_RANGE, 301)
    ys = np.array([f(x) for x in xs])
    y0 = f(x0)
    left.plot(xs, ys, color=BLUE, lw=2)
    near = np.linspace(x0 - 0.6, x0 + 0.6, 2)
    left.plot(near, y0 + slope * (near - x0), color=VERMILION, lw=2)
    left.plot([x0], [y0], "o", color=BLACK)
    pad = 0.15 * (ys.max() - ys.min())
    left.set_ylim(ys.min() - pad, ys.max() + pad)
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.set_title(f"y = {function}\ntangent at x0 = {x0:.2f} has slope dy/dx = {slope:.3f}",
                   fontsize=10)

    names = [f"{s.name}'" for s in table.steps] + ["product\ndy/dx"]
    heights = [s.local for s in table.steps] + [slope]
    colours = [SKY] * len(table.steps) + [VERMILION]
    bars = right.bar(range(len(heights)), heights, color=colours)
    for bar, h in zip(bars, heights, strict=True):
        right.annotate(f"{h:.3f}", (bar.get_x() + bar.get_width() / 2, h), ha="center",
                       va="bottom" if h >= 0 else "top", fontsize=8)
    limit = _slope_limit(function)
    right.set_ylim(-limit, limit)
    right.axhline(0, color=BLACK, lw=0.8)
    right.set_xticks(range(len(names)), names, fontsize=8)
    right.set_ylabel("derivative")
    right.set_title("local slope of each stage, innermost first;\n"
                    "last bar: their product, dy/dx", fontsize=10)
    return fig


def chain_explorer() -> Explorer:
    """Slider over x0 and a choice of composite; shows the tangent and the local slopes."""
    return Explorer(
        render_chain,
        [Slider("x0", -2.0, 2.0, 0.5, value=0.5, label="point x0"),
         Choice("function", list(FUNCTIONS), value="sin(x²)", label="function")],
        alt="Left: a composite function y of x with its tangent line at the chosen point x0. "
            "Right: a bar for the local derivative of every stage, innermost first, and a last bar "
            "for their product, which equals the slope of the tangent.",
    )
