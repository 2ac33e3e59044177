"""Chapter 10 explorer: gradient descent with momentum on an ill-conditioned quadratic."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bplib.optim import QUADRATIC, SGD, optimizer_path
from bplib.plots.optimizers import surface_paths
from bplib.plots.style import COLORS, new_figure
from bplib.widgets.explorer import Choice, Explorer

__all__ = ["OPTIMIZER_LRS", "render_momentum", "momentum_explorer"]

OPTIMIZER_LRS = (0.1, 0.3, 0.6, 0.9, 1.05)  # plain SGD diverges above lr = 2 / 2 = 1 here
STEPS = 60


def render_momentum(lr: float = 0.3, momentum: float = 0.0, nesterov: bool = False) -> Figure:
    """Path of SGD(lr, momentum, nesterov) on the quadratic and its loss per step."""
    nesterov = bool(nesterov) and momentum > 0
    path = optimizer_path(QUADRATIC, lambda ps: SGD(ps, lr=lr, momentum=momentum,
                                                    nesterov=nesterov), steps=STEPS)
    label = f"η = {lr:g}, μ = {momentum:g}" + (", Nesterov" if nesterov else "")
    fig, (left, right) = new_figure(9.5, 3.6, ncols=2, width_ratios=[1.5, 1], layout="fixed",
                                    margins={"left": 0.6}, wspace=0.25)
    surface_paths(QUADRATIC, {label: path}, ax=left, legend=True, arrows=False,
                  title=f"SGD on the quadratic: {label}")
    losses = QUADRATIC.value(path)
    right.semilogy(np.arange(len(losses)), np.maximum(losses, 1e-12), color=COLORS[0])
    right.set_ylim(1e-8, 1e4)
    right.set_xlim(0, STEPS)
    right.set_xlabel("step $t$")
    right.set_ylabel("loss $L(w_t)$")
    right.set_title("Loss along the path")
    right.grid(alpha=0.3)
    return fig


def momentum_explorer() -> Explorer:
    """Choices of learning rate, momentum and Nesterov."""
    return Explorer(
        render_momentum,
        [Choice("lr", list(OPTIMIZER_LRS), value=0.3, label="learning rate η"),
         Choice("momentum", [0.0, 0.5, 0.9], value=0.0, label="momentum μ"),
         Choice("nesterov", [False, True], value=False, label="Nesterov",
                labels=["classical", "Nesterov"])],
        alt="Left: contour lines of a long narrow quadratic bowl with the path gradient descent "
            "takes for the chosen learning rate and momentum. Right: the loss along that path on "
            "a log scale.",
    )
