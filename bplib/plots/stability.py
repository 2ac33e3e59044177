"""Figures for saturated and dead units and for the recurrent loss cliff (chapters 6 and 7)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bplib.cliff import CliffRun
from bplib.diagnostics import PassRecord, saturated_fraction
from bplib.plots.style import COLORS, VERMILION, new_figure


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


def cliff_figure(ws: np.ndarray, bs: np.ndarray, surface: np.ndarray,
                 runs: Mapping[str, CliffRun]) -> Figure:
    """Left: L(w, b) as a log-coloured map with each run's path (start at the circle); right: the
    loss of each run against the step. surface: (len(bs), len(ws)) from ``loss_surface``."""
    runs = _check_mapping(runs, "CliffRun", "cliff_figure")
    fig, (left, right) = new_figure(10.0, 4.2, ncols=2)
    mesh = left.pcolormesh(ws, bs, surface, norm=LogNorm(vmin=max(surface.min(), 1e-4)),
                           cmap="cividis", shading="auto")
    fig.colorbar(mesh, ax=left, label="loss $L$")
    for i, (label, run) in enumerate(runs.items()):
        color = [VERMILION, "white"][i % 2]
        left.plot(run.path[:, 0], run.path[:, 1], color=color, lw=1.5, marker=".", ms=3, label=label)
        left.plot(*run.path[0], "o", color=color, ms=7, mfc="none")
        right.semilogy(np.arange(1, len(run.loss) + 1), run.loss, color=COLORS[i % len(COLORS)], label=label)
    left.set(xlim=(ws[0], ws[-1]), ylim=(bs[0], bs[-1]), xlabel="recurrent weight $w$", ylabel="bias $b$",
             title="loss surface and the paths of gradient descent")
    left.legend(fontsize=8, loc="lower left")
    right.set(xlabel="step $t$", ylabel="loss $L$", title="loss during training")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    return fig
