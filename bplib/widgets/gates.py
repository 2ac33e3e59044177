"""Chapter 3 explorer: the four gate patterns (add, multiply, max, copy), forward and backward."""

from __future__ import annotations

from matplotlib.figure import Figure

from bplib.gates import GATE_RULES, gate
from bplib.plots.gates import draw_gate
from bplib.widgets.explorer import Choice, Explorer, Slider

GATE_W = 0.5  # the second input of add, multiply and max
COPY_SECOND_UPSTREAM = 0.5  # dL/du2 of the copy gate's second copy


def render_gate(gate_name: str = "multiply", x: float = 1.0, upstream: float = 1.0) -> Figure:
    """One gate at input x (and w = GATE_W): values, the upstream gradient, each input's gradient."""
    if gate_name not in GATE_RULES:
        raise ValueError(f"render_gate: gate_name must be one of {list(GATE_RULES)}, "
                         f"got {gate_name!r}.")
    if gate_name == "copy":
        return draw_gate(gate("copy", [x], [upstream, COPY_SECOND_UPSTREAM]))
    return draw_gate(gate(gate_name, [x, GATE_W], [upstream]))


def gate_explorer() -> Explorer:
    """A menu of gates, a slider for x and a choice of upstream gradient (40 frames)."""
    return Explorer(
        render_gate,
        [Choice("gate_name", list(GATE_RULES), value="multiply", label="gate"),
         Slider("x", -2.0, 2.0, 1.0, value=1.0, label="input x"),
         Choice("upstream", [1.0, -2.0], value=1.0, label="upstream ∂L/∂u")],
        alt="One gate of a computational graph: input boxes on the left, the gate in the middle, "
            "output boxes on the right. Each box shows its value and, in bold, the derivative of "
            "the loss L with respect to it; dashed arrows carry the gradients backwards, from the "
            "outputs to the inputs, by the chosen gate's rule.",
    )
