"""Figures for one neuron ``a = σ(w x + b)``: the loss as the weight moves, its slope, and how the
choice of loss decides the gradient of a saturated neuron."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bplib.functional import sigmoid
from bplib.neuron import neuron_gradients, neuron_loss
from bplib.plots.style import BLUE, GREEN, ORANGE, VERMILION, new_figure


def neuron_loss_and_tangent(x, y, w0: float, b: float, w_range=(-4.0, 4.0)) -> Figure:
    """Left: L(w) with the tangent line at w0 (slope ∂L/∂w). Right: ∂L/∂w against w.

    x, y: scalars or (N,) examples and targets; b is held fixed while w moves. A minimum of L
    inside the range (where ∂L/∂w crosses zero) is marked in both panels.
    """
    ws = np.linspace(*w_range, 161)
    losses = neuron_loss(x, y, ws, b)
    slopes = neuron_gradients(x, y, ws, b)[0]
    L0 = neuron_loss(x, y, w0, b)
    g0, _ = neuron_gradients(x, y, w0, b)

    fig, (left, right) = new_figure(9.0, 3.6, ncols=2, layout="fixed")
    left.plot(ws, losses, color=BLUE, lw=2, label="loss $L(w)$")
    half = 0.25 * (w_range[1] - w_range[0])
    tw = np.array([w0 - half, w0 + half])
    left.plot(tw, L0 + g0 * (tw - w0), color=ORANGE, lw=2, ls="--", label=r"tangent, slope $\partial L/\partial w$")
    left.plot([w0], [L0], "o", color=VERMILION, ms=8, zorder=3)
    left.set_ylim(losses.min() - 0.1 * np.ptp(losses) - 1e-3, losses.max() + 0.1 * np.ptp(losses) + 1e-3)
    left.set_xlim(*w_range)  # the tangent may reach past the range; keep every frame's axes alike
    right.set_xlim(*w_range)
    left.set(xlabel="weight $w$", ylabel="loss $L$", title=f"Loss and tangent at w = {w0:.2f}")

    right.axhline(0, color="0.6", lw=0.8)
    best = int(np.argmin(losses))
    if 0 < best < ws.size - 1:  # an interior minimum: the slope changes sign there
        for ax in (left, right):
            ax.axvline(ws[best], color=GREEN, lw=1.2, ls=":", label="minimum of $L$, slope 0")
    left.legend(loc="upper right", fontsize=8)
    right.plot(ws, slopes, color=BLUE, lw=2)
    right.plot([w0], [g0], "o", color=VERMILION, ms=8, zorder=3)
    span = np.ptp(slopes) + 1e-3  # room below the curve for the label
    right.set_ylim(slopes.min() - 0.25 * span, slopes.max() + 0.1 * span)
    right.text(0.97, 0.05, f"at w = {w0:.2f}: ∂L/∂w = {g0:+.4f}", transform=right.transAxes,
               ha="right", fontsize=9)
    right.set(xlabel="weight $w$", ylabel=r"gradient $\partial L/\partial w$",
              title="The gradient is the slope of the loss")
    return fig


def sigmoid_loss_gradients(y: float = 1.0, z_range=(-8.0, 8.0), z_mark: float | None = -6.0) -> Figure:
    """∂L/∂z of one sigmoid neuron against z, for half the squared error and for cross-entropy.

    MSE: (a - y) σ'(z); binary cross-entropy: a - y, with a = σ(z) and target y in [0, 1].
    ``z_mark`` (inside ``z_range``, or None) marks both gradients at one weighted sum.
    """
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"sigmoid_loss_gradients: the target y must lie in [0, 1] (a sigmoid's "
                         f"range), got {y}.")
    if not z_range[0] < z_range[1]:
        raise ValueError(f"sigmoid_loss_gradients: z_range must be (low, high) with low < high, "
                         f"got {tuple(z_range)}.")
    if z_mark is not None and not z_range[0] <= z_mark <= z_range[1]:
        raise ValueError(f"sigmoid_loss_gradients: z_mark = {z_mark} lies outside z_range "
                         f"{tuple(z_range)}.")
    z = np.linspace(*z_range, 401)
    a = sigmoid(z)
    fig, ax = new_figure(6.4, 3.8)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.plot(z, (a - y) * a * (1 - a), color=BLUE, lw=2,
            label=r"half squared error: $(a - y)\,\sigma'(z)$")
    ax.plot(z, a - y, color=ORANGE, lw=2, ls="--", label=r"cross-entropy: $a - y$")
    if z_mark is not None:
        a0 = sigmoid(np.array(z_mark))
        ax.axvline(z_mark, color="0.5", lw=1, ls=":")
        ax.plot([z_mark], [(a0 - y) * a0 * (1 - a0)], "o", color=BLUE, ms=7, zorder=3)
        ax.plot([z_mark], [a0 - y], "s", color=ORANGE, ms=7, zorder=3)
    ax.set(xlabel="weighted sum $z$", ylabel=r"gradient $\partial L/\partial z$",
           title=f"Gradient of the loss for target y = {y:g}")
    ax.legend(loc="lower right" if y >= 0.5 else "upper left", fontsize=8)  # the empty corner
    return fig
