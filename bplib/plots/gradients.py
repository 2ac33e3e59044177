"""Figures for vanishing and exploding gradients: norms per layer, activations, training runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator

from bplib.diagnostics import PassRecord, TrainingRun
from bplib.plots.style import BLUE, COLORS, VERMILION, new_figure

__all__ = [
    "activation_histograms",
    "gradient_norms_per_layer",
    "run_grad_norm_curves",
    "run_loss_curves",
    "run_weight_norm_curves",
]

_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def _norms(value) -> np.ndarray:
    return np.asarray(value.grad_norms if isinstance(value, PassRecord) else value, dtype=float)


def _check_mapping(curves, what: str, where: str) -> Mapping:
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{where}: pass a non-empty dict {{label: {what}}}, "
                        f"got {type(curves).__name__}.")
    return curves


def gradient_norms_per_layer(profiles: Mapping, title: str = "Gradient norm per layer",
                             ax=None, layout: str = "constrained") -> Figure:
    r"""$\|\partial L/\partial W_l\|$ against layer $l$ on a log scale, one line per profile.

    profiles: {label: PassRecord or array of norms (L,)}; layers are numbered from 1 (the
    input side). A straight falling line towards layer 1 is geometric (vanishing) decay.
    """
    profiles = _check_mapping(profiles, "PassRecord or norms", "gradient_norms_per_layer")
    if ax is None:
        fig, ax = new_figure(6.0, 4.0, layout=layout)
    else:
        fig = ax.figure
    for i, (label, value) in enumerate(profiles.items()):
        norms = _norms(value)
        layers = np.arange(1, len(norms) + 1)
        # Exactly zero gradients cannot be drawn on a log axis; show them at the floor instead.
        shown = np.where(norms > 0, norms, np.nan)
        ax.semilogy(layers, shown, marker=_MARKERS[i % len(_MARKERS)], ms=4, lw=1.8,
                    color=COLORS[i % len(COLORS)], label=str(label))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="layer $l$ (1 = nearest the input)",
           ylabel=r"gradient norm $\|\partial L / \partial W_l\|$", title=title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def activation_histograms(record: PassRecord, layers: Sequence[int] | None = None,
                          bins: int = 40, value_range: tuple[float, float] | None = None,
                          title: str = "Activations per layer") -> Figure:
    """Histograms of the activations of chosen hidden layers, side by side, same x-axis.

    record: a PassRecord; layers: 1-based hidden-layer numbers (default: up to 5 spread out).
    """
    if not isinstance(record, PassRecord):
        raise TypeError(f"activation_histograms: record must be a PassRecord from "
                        f"bplib.diagnostics.record_pass, got {type(record).__name__}.")
    n = len(record.activations)
    if n == 0:
        raise ValueError("activation_histograms: the record has no hidden-layer activations.")
    if layers is None:
        layers = sorted(set(np.linspace(1, n, min(n, 5)).round().astype(int).tolist()))
    bad = [k for k in layers if not 1 <= k <= n]
    if bad:
        raise ValueError(f"activation_histograms: layer {bad[0]} does not exist; the record has "
                         f"hidden layers 1..{n}.")
    if value_range is None:
        lo = min(float(record.activations[k - 1].min()) for k in layers)
        hi = max(float(record.activations[k - 1].max()) for k in layers)
        value_range = (lo, hi if hi > lo else lo + 1.0)
    fig, axes = new_figure(2.0 * len(layers) + 0.6, 2.8, ncols=len(layers), sharey=True,
                           squeeze=False)
    for ax, k in zip(axes[0], layers, strict=True):
        a = record.activations[k - 1].ravel()
        weights = np.full(a.shape, 1.0 / a.size)
        ax.hist(a, bins=bins, range=value_range, weights=weights, color=BLUE, alpha=0.85)
        ax.set_title(f"layer {k}\nmean {a.mean():.2f}, std {a.std():.3f}", fontsize=9)
        ax.set_xlabel("activation $a$")
    axes[0][0].set_ylabel("fraction of values")
    fig.suptitle(title)
    return fig


def _runs(runs, where: str) -> Mapping:
    runs = _check_mapping(runs, "TrainingRun", where)
    for label, run in runs.items():
        if not isinstance(run, TrainingRun):
            raise TypeError(f"{where}: the value for {label!r} must be a TrainingRun, "
                            f"got {type(run).__name__}.")
    return runs


# Values past this are drawn at this height: beyond ~1e300 matplotlib's log axis overflows.
CEILING = 1e30


def _step_curves(ax, runs: Mapping, field: str) -> None:
    capped = False
    for i, (label, run) in enumerate(runs.items()):
        values = np.asarray(getattr(run, field), dtype=float)
        capped = capped or bool(np.any(values > CEILING))
        values = np.minimum(values, CEILING)
        steps = np.arange(1, len(values) + 1)
        color = COLORS[i % len(COLORS)]
        text = f"{label} (blew up at step {run.diverged_at})" if run.diverged_at else str(label)
        ax.semilogy(steps, values, color=color, lw=1.8, label=text)
        if run.diverged_at is not None and len(values):
            ax.plot([steps[-1]], [values[-1]], marker="X", ms=10, color=VERMILION, zorder=3)
    if capped:
        ax.axhline(CEILING, color="0.5", lw=0.8, ls=":",
                   label=f"values above {CEILING:.0e} drawn at this line")
    ax.yaxis.set_major_locator(LogLocator(numticks=7))  # a label every few decades is plenty


def _figure_for(ax, layout: str):
    """A new 6x4 figure and its axes, or the figure that ``ax`` belongs to."""
    if ax is None:
        return new_figure(6.0, 4.0, layout=layout)
    return ax.figure, ax


def _finish(ax, fig, ylabel: str, title: str, legend_loc: str | None) -> Figure:
    ax.set(xlabel="step $t$", ylabel=ylabel, title=title)
    ax.grid(True, alpha=0.3)
    if legend_loc is not None:
        ax.legend(fontsize=8, loc=legend_loc)
    return fig


def run_loss_curves(runs: Mapping, title: str = "Training loss", ax=None,
                    layout: str = "constrained", legend_loc: str | None = "best") -> Figure:
    """Loss per step on a log scale for each run; a red cross marks where a run blew up.

    runs: {label: TrainingRun}. legend_loc: where the legend goes ("best" searches for the
    emptiest corner, which costs ~10 ms a draw; explorers name a place), None for no legend.
    """
    runs = _runs(runs, "run_loss_curves")
    fig, ax = _figure_for(ax, layout)
    _step_curves(ax, runs, "loss")
    return _finish(ax, fig, "loss $L$ (log scale)", title, legend_loc)


def run_grad_norm_curves(runs: Mapping, title: str = "Total gradient norm before clipping",
                         ax=None, layout: str = "constrained",
                         legend_loc: str | None = "best") -> Figure:
    r"""Total gradient norm $\|g\|$ per step (measured before clipping), log scale.

    runs: {label: TrainingRun}.
    """
    runs = _runs(runs, "run_grad_norm_curves")
    fig, ax = _figure_for(ax, layout)
    _step_curves(ax, runs, "grad_norm")
    return _finish(ax, fig, r"gradient norm $\|g\|$ (log scale)", title, legend_loc)


def run_weight_norm_curves(runs: Mapping, title: str = "Weight norm during training", ax=None,
                           layout: str = "constrained", legend_loc: str | None = "best") -> Figure:
    r"""Total weight norm $\|\theta\|$ after each step, linear scale, one line per run.

    runs: {label: TrainingRun}.
    """
    runs = _runs(runs, "run_weight_norm_curves")
    fig, ax = _figure_for(ax, layout)
    for i, (label, run) in enumerate(runs.items()):
        steps = np.arange(1, len(run.weight_norm) + 1)
        ax.plot(steps, run.weight_norm, color=COLORS[i % len(COLORS)], lw=1.8, label=str(label))
    return _finish(ax, fig, r"weight norm $\|\theta\|$", title, legend_loc)
