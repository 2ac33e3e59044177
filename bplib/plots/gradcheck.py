"""Figures for the gradient-checking chapter: the error of a finite difference against its step h."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullLocator

from bplib.gradcheck import StepSweep
from bplib.plots.style import BLUE, ORANGE, VERMILION, new_figure

__all__ = ["step_sweep_figure"]

_COLORS = {"central": BLUE, "forward": ORANGE}
_NAMES = {"central": "central difference", "forward": "one-sided (forward) difference"}


def _guide(ax, hs: np.ndarray, anchor_h: float, anchor_err: float, power: int, label: str) -> None:
    """A dotted line error = C h^power through (anchor_h, anchor_err) over ``hs``, labelled at its end."""
    if hs.size < 2:
        return
    errors = anchor_err * (hs / anchor_h) ** power
    ax.loglog(hs, errors, color="0.45", lw=1.0, ls=":")
    end = int(np.argmax(hs)) if power > 0 else int(np.argmin(hs))
    ax.text(hs[end], errors[end], label, fontsize=9, color="0.3", ha="left",
            va="bottom")


def _nearest(sweep: StepSweep, h: float) -> int:
    return int(np.argmin(np.abs(np.log10(sweep.hs) - np.log10(h))))


def step_sweep_figure(sweeps: list[StepSweep], h: float | None = None, title: str = "",
                      guides: bool = True, layout: str = "constrained", ylim=(1e-13, 1e2)) -> Figure:
    """Log-log relative error against the step h for each sweep (one curve per method).

    The smallest error of each curve is marked with a star; ``h`` (or None) draws a vertical line
    with the error of each method at the sweep's step nearest to it. ``guides`` adds dotted slopes
    h^2 or h (truncation, through the largest step) and 1/h (round-off, left of the best step).
    """
    if not sweeps:
        raise ValueError("step_sweep_figure: give at least one StepSweep.")
    fig, ax = new_figure(6.4, 4.2, layout=layout)
    floor = ylim[0]
    lines = []
    for sweep in sweeps:
        color = _COLORS.get(sweep.method, VERMILION)
        errors = np.maximum(sweep.errors, floor)  # an exact 0 cannot be drawn on a log axis
        ax.loglog(sweep.hs, errors, "o-", color=color, ms=3, lw=1.6, label=_NAMES.get(sweep.method, sweep.method))
        ax.loglog([sweep.best_h], [max(sweep.min_error, floor)], "*", color=color, ms=14, mec="black",
                  mew=0.6, zorder=4)
        lines.append(f"smallest {sweep.method}: {sweep.min_error:.1e} at h = {sweep.best_h:.0e}")
    if guides:
        for sweep in sweeps:
            power = 2 if sweep.method == "central" else 1
            i = int(np.argmax(sweep.hs))
            _guide(ax, sweep.hs[sweep.hs >= sweep.best_h * 10], sweep.hs[i], sweep.errors[i] * 4, power,
                   " $h^2$" if power == 2 else " $h$")
        first = sweeps[0]
        # anchor the round-off slope where the error is below 1e-1 (not on the plateau where x + h == x)
        left = (first.hs < first.best_h / 10) & (first.errors < 1e-1)
        if left.any():
            i = int(np.flatnonzero(left)[np.argmin(first.hs[left])])
            _guide(ax, first.hs[first.hs <= first.best_h / 3], first.hs[i], first.errors[i] * 4, -1,
                   "$1/h$ ")
    if h is not None:
        ax.axvline(h, color="0.3", lw=1.0, ls="--")
        for sweep in sweeps:
            i = _nearest(sweep, h)
            ax.loglog([sweep.hs[i]], [max(sweep.errors[i], floor)], "o", ms=9, mec="black", zorder=5,
                      color=_COLORS.get(sweep.method, VERMILION))
            lines.append(f"at h = {h:.0e}, {sweep.method}: {sweep.errors[i]:.1e}")
    ax.text(0.02, 0.03, "\n".join(lines), transform=ax.transAxes, fontsize=8, ha="left", va="bottom",
            bbox={"facecolor": "white", "edgecolor": "0.7", "alpha": 0.9})
    ax.set_ylim(*ylim)
    ax.set_xlim(min(s.hs.min() for s in sweeps) / 3, max(s.hs.max() for s in sweeps) * 3)
    ax.set(xlabel="step $h$ (log scale)", ylabel="relative error (log scale)",
           title=title or "Error of a finite difference against its step h")
    ax.legend(fontsize=8, loc="upper center", ncol=2, frameon=False)
    for axis in (ax.xaxis, ax.yaxis):  # minor ticks on two log axes are most of the drawing time
        axis.set_major_locator(LogLocator(numticks=8))
        axis.set_minor_locator(NullLocator())
    return fig
