"""Figures for one neuron ``y = σ(w x + b)``: the loss as the weight moves, and its slope."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bplib.neuron import neuron_gradients, neuron_loss
from bplib.plots.style import BLUE, ORANGE, VERMILION, new_figure


def neuron_loss_and_tangent(x, t, w0: float, b: float, w_range=(-4.0, 4.0)) -> Figure:
    """Left: L(w) with the tangent line at w0 (slope ∂L/∂w). Right: ∂L/∂w against w.

    x, t: scalars or (N,) examples; b is held fixed while w moves.
    """
    ws = np.linspace(*w_range, 161)
    losses = neuron_loss(x, t, ws, b)
    slopes = neuron_gradients(x, t, ws, b)[0]
    L0 = neuron_loss(x, t, w0, b)
    g0, _ = neuron_gradients(x, t, w0, b)

    fig, (left, right) = new_figure(9.0, 3.6, ncols=2, layout="fixed")
    left.plot(ws, losses, color=BLUE, lw=2, label="loss $L(w)$")
    half = 0.25 * (w_range[1] - w_range[0])
    tw = np.array([w0 - half, w0 + half])
    left.plot(tw, L0 + g0 * (tw - w0), color=ORANGE, lw=2, ls="--", label=r"tangent, slope $\partial L/\partial w$")
    left.plot([w0], [L0], "o", color=VERMILION, ms=8, zorder=3)
    left.set_ylim(losses.min() - 0.1 * np.ptp(losses) - 1e-3, losses.max() + 0.1 * np.ptp(losses) + 1e-3)
    left.set(xlabel="weight $w$", ylabel="loss $L$", title=f"Loss and tangent at w = {w0:.2f}")
    left.legend(loc="upper left", fontsize=8)

    right.axhline(0, color="0.6", lw=0.8)
    right.plot(ws, slopes, color=BLUE, lw=2)
    right.plot([w0], [g0], "o", color=VERMILION, ms=8, zorder=3)
    right.text(0.97, 0.06, f"at w = {w0:.2f}: ∂L/∂w = {g0:+.4f}", transform=right.transAxes,
               ha="right", fontsize=9)
    right.set(xlabel="weight $w$", ylabel=r"gradient $\partial L/\partial w$",
              title="The gradient is the slope of the loss")
    return fig
