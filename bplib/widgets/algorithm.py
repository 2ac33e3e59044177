"""Chapter 5 explorer: step through the backward pass of a small network, layer by layer."""

from __future__ import annotations

from bplib.algorithm import BackpropTrace
from bplib.plots.backprop import backward_step_figure
from bplib.widgets.explorer import Explorer, Slider


def backward_pass_explorer(trace: BackpropTrace) -> Explorer:
    """Slider over the steps: 0 shows the stored forward pass, k shows δ and dW of the top k layers."""
    if not isinstance(trace, BackpropTrace):
        raise TypeError(f"backward_pass_explorer: trace must be the BackpropTrace that bp.algorithm.backprop "
                        f"returns, got {type(trace).__name__}.")
    K = trace.num_layers

    def render(step: int = 0):
        return backward_step_figure(trace, step)

    return Explorer(
        render,
        [Slider("step", 0, K, 1, value=0, label="backward step")],
        alt="A layered network. At step 0 the nodes are coloured by their activations; at each later "
            "step one more layer, from the output down, has its nodes coloured by its error signal "
            "delta and its incoming edges by their weight gradients.",
    )
