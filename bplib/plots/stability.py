"""Figures for saturated and dead units and for the recurrent loss cliff (chapters 6 and 7)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import patheffects
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bplib.cliff import CliffRun
from bplib.diagnostics import PassRecord, saturated_fraction
from bplib.plots.style import BLUE, COLORS, VERMILION, new_figure


def _check_mapping(value, what: str, where: str) -> Mapping:
    if not isinstance(value, Mapping) or not value:
        raise TypeError(f"{where}: pass a non-empty dict {{label: {what}}}, got {type(value).__name__}.")
    return value


def saturation_profile(records: Mapping[str, PassRecord], activation: str,
                       title: str = "Saturated units and gradients per layer") -> Figure:
    r"""Left: the fraction of saturated units per hidden layer; right: $\|\partial L/\partial W^{[l]}\|$
    per layer on a log scale. records: {label: PassRecord} of networks with ``activation``."""
    records = _check_mapping(records, "PassRecord", "saturation_profile")
    fig, (left, right) = new_figure(9.0, 3.6, ncols=2)
    for i, (label, record) in enumerate(records.items()):
        color = COLORS[i % len(COLORS)]
        fraction = saturated_fraction(record, activation)
        left.plot(np.arange(1, len(fraction) + 1), fraction, marker="o", ms=4, color=color, label=label)
        norms = np.asarray(record.grad_norms)
        right.semilogy(np.arange(1, len(norms) + 1), norms, marker="o", ms=4, color=color, label=label)
    left.set(xlabel="hidden layer $l$", ylabel="fraction saturated", ylim=(-0.03, 1.03),
             title=f"{activation}: slope below 5% of its peak")
    right.set(xlabel="layer $l$ (1 = nearest the input)",
              ylabel=r"$\|\partial L/\partial W^{[l]}\|$", title="gradient norm")
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def inactive_units_figure(fractions: Mapping[str, np.ndarray],
                          title: str = "Units inactive on every example") -> Figure:
    """Grouped bars: per hidden layer, the fraction of units whose output is <= 0 for the whole
    data set. fractions: {label: array (layers,)}."""
    fractions = _check_mapping(fractions, "array of fractions", "inactive_units_figure")
    fig, ax = new_figure(6.5, 3.6)
    width = 0.8 / len(fractions)
    for i, (label, values) in enumerate(fractions.items()):
        layers = np.arange(1, len(values) + 1)
        ax.bar(layers + (i - (len(fractions) - 1) / 2) * width, values, width=width,
               color=COLORS[i % len(COLORS)], label=label)
    ax.set(xlabel="hidden layer $l$", ylabel="fraction of units", ylim=(0, 1), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _path_style(i: int) -> dict:
    # Vermilion and white paths, each outlined in black, read on both ends of the colour map.
    color = [VERMILION, "white"][i % 2]
    return {"color": color, "lw": 1.6, "marker": ".", "ms": 4,
            "path_effects": [patheffects.withStroke(linewidth=3.2, foreground="black")]}


def _surface_panel(fig: Figure, ax, ws: np.ndarray, bs: np.ndarray, surface: np.ndarray,
                   runs: Mapping[str, CliffRun], norm: LogNorm, title: str):
    mesh = ax.pcolormesh(ws, bs, surface, norm=norm, cmap="cividis", shading="auto")
    for i, (label, run) in enumerate(runs.items()):
        style = _path_style(i)
        ax.plot(run.path[:, 0], run.path[:, 1], label=label, **style)
        ax.plot(*run.path[0], "o", color=style["color"], ms=8, mfc="none",
                path_effects=style["path_effects"])
        ax.plot(*run.path[-1], "s", color=style["color"], ms=6, path_effects=style["path_effects"])
    ax.set(xlim=(ws[0], ws[-1]), ylim=(bs[0], bs[-1]), xlabel="recurrent weight $w$",
           ylabel="bias $b$", title=title)
    return mesh


def cliff_figure(ws: np.ndarray, bs: np.ndarray, surface: np.ndarray,
                 runs: Mapping[str, CliffRun],
                 zoom: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 loss_floor: float = 1e-10) -> Figure:
    """Left: L(w, b) as a log-coloured map with each run's path (circle: start, square: end);
    middle, if ``zoom = (ws, bs, surface)`` is given: the same on a finer grid around the start;
    right: the loss of each run against the step, on a log scale from ``loss_floor`` up.
    surface: (len(bs), len(ws)) from ``loss_surface``."""
    runs = _check_mapping(runs, "CliffRun", "cliff_figure")
    if zoom is not None and (not isinstance(zoom, tuple) or len(zoom) != 3):
        raise TypeError("cliff_figure: zoom must be a tuple (ws, bs, surface) for the close-up, "
                        f"got {type(zoom).__name__}.")
    panels = 2 if zoom is None else 3
    fig, axes = new_figure(5.0 * panels, 4.2, ncols=panels)
    surfaces = [surface] + ([zoom[2]] if zoom is not None else [])
    norm = LogNorm(vmin=max(min(s.min() for s in surfaces), 1e-4), vmax=max(s.max() for s in surfaces))
    mesh = _surface_panel(fig, axes[0], ws, bs, surface, runs, norm, "loss surface and the paths")
    axes[0].legend(fontsize=8, loc="upper right")
    if zoom is not None:
        _surface_panel(fig, axes[1], *zoom, runs, norm, "close-up of the start")
    fig.colorbar(mesh, ax=list(axes[:panels - 1]), label="loss $L$", pad=0.02)
    fig.get_layout_engine().set(wspace=0.06)
    right = axes[-1]
    for i, (label, run) in enumerate(runs.items()):
        steps = np.arange(1, len(run.loss) + 1)
        # a loss below the floor (or exactly 0) leaves the panel through its bottom edge
        right.semilogy(steps, run.loss, color=[VERMILION, BLUE][i % 2], label=label)
    right.set(ylim=(loss_floor, 10.0), xlabel="step $t$", ylabel="loss $L$",
              title="loss during training")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    return fig


def loss_along_b_figure(bs: np.ndarray, curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
                        title: str = "The loss along the bias") -> Figure:
    """Left: L against b; right: |dL/db| against b on a log scale.

    bs: (M,); curves: {label: (losses (M,), slopes (M,))}, e.g. from ``loss_along_b``.
    """
    curves = _check_mapping(curves, "(losses, slopes)", "loss_along_b_figure")
    fig, (left, right) = new_figure(9.0, 3.6, ncols=2)
    for i, (label, (losses, slopes)) in enumerate(curves.items()):
        color = COLORS[i % len(COLORS)]
        left.plot(bs, losses, color=color, label=label)
        right.semilogy(bs, np.abs(slopes), color=color, label=label)
    left.set(xlabel="bias $b$", ylabel="loss $L$", title="loss")
    right.set(xlabel="bias $b$", ylabel=r"$|\partial L/\partial b|$", title="size of the slope")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(title)
    return fig
