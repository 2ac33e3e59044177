"""Chapter 4 explorer: move the weight of one neuron and watch the loss, its tangent and slope."""

from __future__ import annotations

import numpy as np

from bplib.plots.neuron import neuron_loss_and_tangent
from bplib.widgets.explorer import Explorer, Slider

# The chapter's small data set: five inputs and their targets. The rule is "1 for positive x",
# but the example x = 1 carries the label 0, as real data sometimes do: no weight fits every
# example, so with b held at 0 the loss L(w) has its minimum inside the slider's range.
NEURON_X = np.array([-2.0, -1.0, 0.5, 1.0, 2.5])
NEURON_Y = np.array([0.0, 0.0, 1.0, 0.0, 1.0])
TANGENT_B = 0.0  # the bias held fixed while the explorer moves w
TANGENT_W_RANGE = (-4.0, 4.0)


def render_tangent(w: float = -1.0, b: float = TANGENT_B):
    """The loss of the chapter's neuron as w moves, with the tangent at ``w``."""
    return neuron_loss_and_tangent(NEURON_X, NEURON_Y, w, b, w_range=TANGENT_W_RANGE)


def tangent_explorer() -> Explorer:
    """Slider over w; the figure shows L(w), its tangent and ∂L/∂w, which crosses zero at the minimum."""
    return Explorer(
        render_tangent,
        [Slider("w", *TANGENT_W_RANGE, 0.5, value=-1.0, label="weight w")],
        alt="Left: the loss of one sigmoid neuron as its weight w varies, with the tangent line at the "
            "chosen w and a dotted line at the minimum of the loss. Right: the gradient dL/dw as a "
            "function of w, marked at the chosen w; it is negative left of the minimum, crosses zero "
            "there and is positive to its right.",
    )
