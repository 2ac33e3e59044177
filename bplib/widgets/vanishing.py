"""Chapter 6 explorer: the gradient-norm profile of deep networks, by activation, init and fix."""

from __future__ import annotations

from matplotlib.figure import Figure

from bplib.diagnostics import gradient_profile
from bplib.plots.gradients import gradient_norms_per_layer
from bplib.widgets.explorer import Choice, Explorer

# Every curve of the figure is one depth; the controls pick everything else.
DEPTHS = (5, 10, 20, 30)
_ARCH_TEXT = {"plain": "plain", "residual": "residual", "batchnorm": "batch norm"}


def render_gradient_profile(activation: str = "sigmoid", init: str = "naive",
                            architecture: str = "plain") -> Figure:
    """||dL/dW_l|| per layer for networks of depth 5, 10, 20 and 30 built the same way."""
    profiles = {}
    for depth in DEPTHS:
        record = gradient_profile(depth, activation, init, architecture)
        profiles[f"depth {depth}: first/last = {record.ratio:.1e}"] = record
    title = f"{activation}, {init} init, {_ARCH_TEXT[architecture]}"
    return gradient_norms_per_layer(profiles, title=title, layout="fixed")


def gradient_profile_explorer() -> Explorer:
    """Choices of activation x initialisation x architecture (27 frames); curves over depth."""
    return Explorer(
        render_gradient_profile,
        [Choice("activation", ["sigmoid", "tanh", "relu"], value="sigmoid", label="activation"),
         Choice("init", ["naive", "xavier", "he"], value="naive", label="initialisation",
                labels=["naive N(0, 0.01²)", "Xavier", "He"]),
         Choice("architecture", ["plain", "residual", "batchnorm"], value="plain",
                label="architecture", labels=["plain", "residual", "batch norm"])],
        alt="Gradient norm of each layer's weights, on a log scale, against the layer number, for "
            "networks of depth 5, 10, 20 and 30. The chosen activation, initialisation and "
            "architecture decide whether the curves fall steeply towards the input layer "
            "(vanishing gradients) or stay level.",
    )
