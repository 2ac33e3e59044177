"""Chapter 1 explorer: nudge one weight of a small network and compare the change in the loss
with the change the gradient predicts."""

from __future__ import annotations

import numpy as np

from bplib.plots.backprop import nudge_figure
from bplib.widgets.explorer import Choice, Explorer


def nudge_explorer(model, loss_fn, x, y, nudges=(-1.0, -0.5, 0.0, 0.5, 1.0)) -> Explorer:
    """Choose a weight (every entry of every W) and a nudge; see the loss curve and its tangent.

    model: an MLP; loss_fn: a loss module; x, y: the data the loss is measured on.
    """
    if isinstance(model, type) or not callable(getattr(model, "named_parameters", None)):
        shown = f"the class {model.__name__}" if isinstance(model, type) else type(model).__name__
        raise TypeError(f"nudge_explorer: model must be a network such as bp.MLP([2, 3, 1], seed=0), got {shown}.")
    if isinstance(loss_fn, type):
        raise TypeError(f"nudge_explorer: loss_fn is the class {loss_fn.__name__}; pass {loss_fn.__name__}().")
    weights = [(name, index) for name, p in model.named_parameters() if p.data.ndim == 2
               for index in np.ndindex(p.data.shape)]
    labels = [f"{name}[{i}, {j}]" for name, (i, j) in weights]

    def render(weight=weights[0], nudge: float = 0.0):
        name, index = weight
        return nudge_figure(model, loss_fn, x, y, name, index, nudge)

    return Explorer(
        render,
        [Choice("weight", weights, labels=labels, label="weight"),
         Choice("nudge", list(nudges), value=0.0, labels=[f"{n:+.1f}" for n in nudges], label="nudge")],
        alt="Left: the loss of the network as one chosen weight is nudged, with the straight-line "
            "prediction from its gradient. Right: the network, edges coloured by their gradients, "
            "the chosen weight highlighted.",
    )
