"""Chapter 4 explorer: move the weight of one neuron and watch the loss, its tangent and slope."""

from __future__ import annotations

import numpy as np

from bplib.plots.neuron import neuron_loss_and_tangent
from bplib.widgets.explorer import Explorer, Slider

# The chapter's small data set: five inputs and the outputs we want (1 for positive x).
NEURON_X = np.array([-2.0, -1.0, 0.5, 1.0, 2.5])
NEURON_T = np.array([0.0, 0.0, 1.0, 1.0, 1.0])


def render_tangent(w: float = -1.0, b: float = 0.0):
    """The loss of the chapter's neuron as w moves, with the tangent at ``w``."""
    return neuron_loss_and_tangent(NEURON_X, NEURON_T, w, b)


def tangent_explorer() -> Explorer:
    """Slider over w; the figure shows L(w), its tangent and ∂L/∂w."""
    return Explorer(
        render_tangent,
        [Slider("w", -4.0, 4.0, 0.5, value=-1.0, label="weight w")],
        alt="Left: the loss of one sigmoid neuron as its weight w varies, with the tangent line at the "
            "chosen w. Right: the gradient dL/dw as a function of w, marked at the chosen w.",
    )
