"""Optimiser paths drawn over 2-D loss surfaces, with the downhill direction shown as arrows."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from bplib.optim import SURFACES, Surface
from bplib.plots.style import BLACK, COLORS, new_figure

__all__ = ["surface_paths", "step_sizes"]


def surface_paths(surface: Surface | str, paths: dict[str, np.ndarray], arrows: bool = True,
                  title: str | None = None, ax=None, legend: bool = True) -> Figure:
    """Contours of ``surface`` with each path (steps + 1, 2) drawn on top.

    Arrows show the negative gradient, the direction plain gradient descent would step.
    """
    if isinstance(surface, str):
        if surface not in SURFACES:
            raise ValueError(f"surface_paths: unknown surface {surface!r}; choose one of {sorted(SURFACES)} "
                             "or pass a Surface.")
        surface = SURFACES[surface]
    elif not isinstance(surface, Surface):
        raise TypeError(f"surface_paths: surface must be a Surface or one of {sorted(SURFACES)}, "
                        f"got {type(surface).__name__}.")
    fig, ax = (ax.figure, ax) if ax is not None else new_figure(6.5, 4.5)
    xs = np.linspace(*surface.xlim, 200)
    ys = np.linspace(*surface.ylim, 160)
    gx, gy = np.meshgrid(xs, ys)
    values = surface.value(np.stack([gx, gy], axis=-1))
    floor = max(values.min(), 1e-3)
    levels = np.geomspace(floor, values.max(), 18)
    ax.contour(gx, gy, np.maximum(values, floor), levels=levels, cmap="Greys_r",
               norm=LogNorm(floor, values.max()), linewidths=0.7)
    if arrows:
        ax_, ay_ = np.meshgrid(np.linspace(*surface.xlim, 13), np.linspace(*surface.ylim, 9))
        g = surface.grad(np.stack([ax_, ay_], axis=-1))
        length = np.linalg.norm(g, axis=-1, keepdims=True)
        unit = -g / np.where(length == 0, 1, length)
        ax.quiver(ax_, ay_, unit[..., 0], unit[..., 1], color="0.6", width=0.003, scale=30,
                  label="$-\\nabla L$ (direction)")
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path)
        final = surface.value(path[-1])
        # earlier paths on top, and at most ~60 markers, so long overlapping paths stay readable
        ax.plot(path[:, 0], path[:, 1], "-o", color=COLORS[i % len(COLORS)], ms=2.5, lw=1.4,
                markevery=max(1, len(path) // 60), zorder=3 + len(paths) - i,
                label=f"{label} (L = {final:.2g} after {len(path) - 1} steps)")
    ax.plot(*surface.start, "s", color=BLACK, ms=6, label="start")
    ax.plot(*surface.minimum, "*", color=BLACK, ms=12, label="minimum")
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(title or f"Optimisers on the {surface.name}")
    if legend:
        ax.legend(fontsize=7, loc="lower right" if surface.minimum[1] > 0 else "upper right")
    return fig


def step_sizes(steps: dict[str, np.ndarray], lr: float | None = None, title: str = "Step sizes",
               ax=None, xlabel: str = "step $t$") -> Figure:
    """Per-parameter step size against step: ``steps`` maps a parameter name to (steps,) values.

    A dashed line marks the learning rate ``lr`` (Adam's first step has exactly this length).
    """
    if not steps:
        raise ValueError("step_sizes: steps is empty; pass {parameter name: (steps,) step sizes}.")
    fig, ax = (ax.figure, ax) if ax is not None else new_figure(6, 4)
    for i, (name, values) in enumerate(steps.items()):
        values = np.asarray(values, dtype=float)
        style = "-" if name.endswith("W") else "--"
        ax.plot(np.arange(1, len(values) + 1), values, style, color=COLORS[(i // 2) % len(COLORS)],
                lw=1.0, label=name)
    if lr is not None:
        ax.axhline(lr, color=BLACK, ls=":", lw=1.2, label=f"learning rate $\\eta$ = {lr:g}")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("root-mean-square step $|\\Delta\\theta|$")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    return fig
