"""Chapter 8 explorer: the computational graph of one neuron's loss, every grad after backward."""

from __future__ import annotations

from matplotlib.figure import Figure

from bplib.autodiff import Value
from bplib.plots.graph import draw_graph
from bplib.widgets.explorer import Choice, Explorer, Slider

# The example the chapter uses: one input, one target.
NEURON_INPUT, NEURON_BIAS, NEURON_TARGET = 1.5, 0.1, 1.0
ACTIVATIONS = ("tanh", "sigmoid", "relu")


def neuron_graph(w: float = 0.5, activation: str = "tanh") -> Value:
    """The loss ``L = ½ (act(w x + b) - y)²`` (target y) as a graph of labelled Values, after backward()."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"neuron_graph: activation must be one of {ACTIVATIONS}, "
                         f"got {activation!r}.")
    w_, x, b = Value(w, "w"), Value(NEURON_INPUT, "x"), Value(NEURON_BIAS, "b")
    z = w_ * x + b
    z.label = "z"
    a = getattr(z, activation)()
    a.label = "a"
    loss = 0.5 * (a - NEURON_TARGET) ** 2
    loss.label = "L"
    loss.backward()
    return loss


def render_neuron_graph(w: float = 0.5, activation: str = "tanh") -> Figure:
    """The neuron's graph: data in black, grad = ∂L/∂node in bold, for the chosen w."""
    loss = neuron_graph(w, activation)
    w_node = next(v for v in _leaves(loss) if v.label == "w")
    title = (f"L = ½({activation}(w x + b) − y)² at w = {w:.2f}, x = {NEURON_INPUT:g}, "
             f"b = {NEURON_BIAS:g}, y = {NEURON_TARGET:g}:  ∂L/∂w = {w_node.grad:.4f}")
    return draw_graph(loss, title=title, width=11.0)


def _leaves(root: Value) -> list[Value]:
    stack, seen, leaves = [root], set(), []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node.inputs:
            leaves.append(node)
        stack.extend(node.inputs)
    return leaves


def neuron_graph_explorer() -> Explorer:
    """Slider over w and a choice of activation; the figure is the graph with its grads."""
    return Explorer(
        render_neuron_graph,
        [Slider("w", -2.0, 2.0, 0.5, value=0.5, label="weight w"),
         Choice("activation", list(ACTIVATIONS), value="tanh", label="activation")],
        alt="The computational graph of one neuron's loss: boxes for w, x, b, z, the activation "
            "output a and the loss L, circles for the operations between them. Each box shows "
            "its value and, in bold, the derivative of L with respect to it.",
    )
