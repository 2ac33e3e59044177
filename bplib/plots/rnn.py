"""Figures for backpropagation through time: the unrolled graph, gradients in time, training."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from bplib.plots.style import BLACK, BLUE, COLORS, ORANGE, VERMILION, new_figure

__all__ = ["unrolled_rnn", "gradient_norms_in_time", "gradient_paths_figure",
           "eigenvalues_figure", "sequence_loss_curves"]

_MARKERS = ["o", "s", "^", "D", "v", "P"]


def _arrow(ax, start, end, color, style="-", text=None, offset=(0.0, 0.0), rad=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color,
                                 lw=1.4, linestyle=style, shrinkA=17, shrinkB=17,
                                 connectionstyle=f"arc3,rad={rad}"))
    if text:
        mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
        ax.text(*mid, text, color=color, fontsize=8, ha="center", va="center")


def unrolled_rnn(steps: int = 4, backward: bool = True) -> Figure:
    """The RNN unrolled over ``steps`` time steps; dashed arrows show the gradient flowing back.

    Inputs x_t at the bottom, hidden states h_t in the middle (h_0 on the left), losses L_t on
    top. Every horizontal arrow is the same matrix W_hh, every upward arrow into h_t the same W_xh.
    """
    if not 1 <= steps <= 8:
        raise ValueError(
            f"unrolled_rnn: steps must be between 1 and 8 to fit the figure, got {steps}.")
    fig, ax = new_figure(1.6 * steps + 1.6, 3.6)
    for t in range(steps + 1):
        ax.add_patch(Circle((t, 1), 0.27, facecolor="white", edgecolor=BLACK, lw=1.2))
        ax.text(t, 1, f"$h_{t}$", ha="center", va="center", fontsize=11)
        if t == 0:
            continue
        for y, label, face in ((0, f"$x_{t}$", "#eeeeee"), (2, f"$L_{t}$", "#fbe3d4")):
            ax.add_patch(FancyBboxPatch((t - 0.24, y - 0.2), 0.48, 0.4, facecolor=face,
                                        edgecolor=BLACK, boxstyle="round,pad=0.03"))
            ax.text(t, y, label, ha="center", va="center", fontsize=11)
        _arrow(ax, (t, 0), (t, 1), BLUE, text="$W_{xh}$" if t == 1 else None, offset=(-0.25, 0))
        _arrow(ax, (t - 1, 1), (t, 1), BLUE, text="$W_{hh}$", offset=(0, 0.12))
        _arrow(ax, (t + 0.07, 1), (t + 0.07, 2), BLACK)
        if backward:
            _arrow(ax, (t + 0.17, 2), (t + 0.17, 1), VERMILION, style="--")
            _arrow(ax, (t, 1), (t - 1, 1), VERMILION, style="--", rad=-0.5,
                   text=r"$\partial L/\partial h_{t-1}$" if t == steps else None,
                   offset=(0.05, -0.4))
    title = "An RNN unrolled in time: the same weights at every step"
    if backward:
        title += "\n(dashed: the gradient flowing back through time)"
    ax.set_title(title, fontsize=10)
    ax.set_xlim(-0.5, steps + 0.5)
    ax.set_ylim(-0.45, 2.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


def gradient_norms_in_time(curves: Mapping, title: str = r"Gradient in time", ax=None,
                           references: Mapping | None = None, ylim=None,
                           layout: str = "constrained") -> Figure:
    r"""$\|\partial L/\partial h_t\|$ against step $t$ on a log scale, one line per curve.

    curves: {label: norms (T,)}, e.g. ``rnn.grad_norms`` after ``backward(..., record_norms=True)``.
    references: optional {label: values (T,)} drawn dashed (e.g. the prediction ``rho**(T - t)``).
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("gradient_norms_in_time: pass a non-empty dict {label: norms per step}, "
                        f"got {type(curves).__name__}.")
    if ax is None:
        fig, ax = new_figure(6.0, 4.0, layout=layout)
    else:
        fig = ax.figure
    for i, (label, norms) in enumerate(curves.items()):
        norms = np.asarray(norms, dtype=float)
        steps = np.arange(1, len(norms) + 1)
        # zero gradients (cut off by truncation) cannot sit on a log axis: leave gaps
        ax.semilogy(steps, np.where(norms > 0, norms, np.nan), color=COLORS[i % len(COLORS)],
                    lw=1.8, marker=_MARKERS[i % len(_MARKERS)], ms=3 if len(norms) <= 30 else 0,
                    label=str(label))
    for i, (label, values) in enumerate((references or {}).items()):
        values = np.asarray(values, dtype=float)
        ax.semilogy(np.arange(1, len(values) + 1), values, color=COLORS[(i + len(curves)) % 8],
                    lw=1.2, ls="--", label=str(label))
    ax.set(xlabel="time step $t$", ylabel=r"$\|\partial L / \partial h_t\|$ (log scale)",
           title=title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def gradient_paths_figure(matrices: Mapping, title: str = "Which losses reach which steps",
                          floor: float | None = None) -> Figure:
    r"""Heat maps of $\|\partial L_s/\partial h_t\|$: loss term $s$ (rows) against step $t$.

    matrices: {label: (T, T) array} from ``bplib.rnn.gradient_paths``. Entries below ``floor``
    (default: the smallest non-zero entry), including the exact zeros that truncation leaves,
    are drawn white.
    """
    if not isinstance(matrices, Mapping) or not matrices:
        raise TypeError("gradient_paths_figure: pass a non-empty dict {label: (T, T) array}.")
    fig, axes = new_figure(3.4 * len(matrices) + 0.8, 3.6, ncols=len(matrices), squeeze=False)
    top = max(float(np.max(m)) for m in matrices.values())
    if floor is None:
        positive = [np.min(m[m > 0]) for m in map(np.asarray, matrices.values()) if np.any(m > 0)]
        floor = float(min(positive, default=1e-8))
    norm = LogNorm(vmin=floor, vmax=max(top, floor * 10))
    for ax, (label, m) in zip(axes[0], matrices.items(), strict=True):
        m = np.asarray(m, dtype=float)
        T = m.shape[0]
        image = ax.imshow(np.where(m >= floor, m, np.nan), norm=norm, cmap="viridis",
                          origin="upper", extent=(0.5, T + 0.5, T + 0.5, 0.5))
        ax.set(title=str(label), xlabel="step $t$ the gradient reaches",
               ylabel="loss term $L_s$ it comes from, $s$")
    fig.colorbar(image, ax=list(axes[0]), label=r"$\|\partial L_s / \partial h_t\|$", shrink=0.9)
    fig.suptitle(title)
    return fig


def eigenvalues_figure(W: np.ndarray, ax=None, title: str | None = None,
                       layout: str = "constrained") -> Figure:
    """Eigenvalues of a square matrix in the complex plane (dots), the circle of the largest
    modulus (dashed: the spectral radius) and the unit circle (grey)."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"eigenvalues_figure: W must be a square matrix (H, H), got shape {W.shape}.")
    if ax is None:
        fig, ax = new_figure(4.0, 4.0, layout=layout)
    else:
        fig = ax.figure
    eig = np.linalg.eigvals(W)
    rho = float(np.max(np.abs(eig)))
    angle = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(angle), np.sin(angle), color="0.5", lw=1.0)
    ax.plot(rho * np.cos(angle), rho * np.sin(angle), color=ORANGE, lw=1.2, ls="--")
    ax.scatter(eig.real, eig.imag, s=14, color=BLUE, zorder=3)
    limit = max(1.6, 1.1 * rho)
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal", xlabel="real part",
           ylabel="imaginary part",
           title=title or rf"Eigenvalues of $W_{{hh}}$, $\rho$ = {rho:.2f}" "\n(grey: unit circle)")
    return fig


def sequence_loss_curves(curves: Mapping, title: str = "Training loss", ax=None,
                         ylabel: str = "loss $L$ (log scale)") -> Figure:
    """Loss per training step on a log scale, one line per run: {label: losses}."""
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("sequence_loss_curves: pass a non-empty dict {label: losses per step}.")
    if ax is None:
        fig, ax = new_figure(6.0, 4.0)
    else:
        fig = ax.figure
    for i, (label, losses) in enumerate(curves.items()):
        losses = np.asarray(losses, dtype=float)
        ax.semilogy(np.arange(1, len(losses) + 1), losses, color=COLORS[i % len(COLORS)], lw=1.6,
                    label=str(label))
    ax.set(xlabel="training step", ylabel=ylabel, title=title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig
