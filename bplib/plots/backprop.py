"""Figures for the overview and the algorithm chapters: nudging weights, deltas per layer, and the
backward pass drawn on the network."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bplib.algorithm import BackpropTrace
from bplib.plots.network import draw_network
from bplib.plots.style import BLUE, ORANGE, VERMILION, new_figure


def loss_along_weight(model, loss_fn, x, y, name: str, index: tuple, offsets: np.ndarray) -> np.ndarray:
    """Loss after adding each of ``offsets`` to one weight (restored afterwards); offsets: (K,) -> (K,)."""
    param = dict(model.named_parameters())[name]
    original = param.data[index]
    losses = []
    try:
        for offset in offsets:
            param.data[index] = original + offset
            losses.append(loss_fn(model(x), y))
    finally:
        param.data[index] = original
    return np.array(losses)


def gradient_comparison(labels: list[str], backprop, numeric) -> Figure:
    """Bars of the backprop gradient beside the nudging estimate, one pair per weight."""
    fig, ax = new_figure(7.5, 3.4)
    pos = np.arange(len(labels))
    ax.bar(pos - 0.2, backprop, width=0.4, color=BLUE, label="backpropagation")
    ax.bar(pos + 0.2, numeric, width=0.4, color=ORANGE, label="nudging each weight")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks(pos, labels, rotation=45, ha="right", fontsize=8)
    ax.set(ylabel=r"$\partial L / \partial w$", title="Gradient of the loss for every weight: two ways")
    ax.legend(fontsize=8)
    return fig


def nudge_figure(model, loss_fn, x, y, name: str, index: tuple, nudge: float, span: float = 2.0) -> Figure:
    """Left: the loss as one weight is nudged, with the tangent given by backprop. Right: the network
    with edges coloured by their gradient and the nudged weight highlighted."""
    named = dict(model.named_parameters())
    if name not in named:
        raise ValueError(f"nudge_figure: the model has no parameter {name!r}; its parameters are {list(named)}.")
    param = named[name]
    index = tuple(index) if isinstance(index, (tuple, list)) else (index,)
    if len(index) != param.data.ndim or not all(-n <= i < n for i, n in zip(index, param.data.shape)):
        raise ValueError(f"nudge_figure: index {index} does not point into {name!r}, which has shape "
                         f"{param.data.shape}.")
    model.zero_grad()
    loss0 = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    grad = float(param.grad[index])
    offsets = np.linspace(-span, span, 41)
    losses = loss_along_weight(model, loss_fn, x, y, name, index, offsets)
    here = loss_along_weight(model, loss_fn, x, y, name, index, np.array([nudge]))[0]

    fig, (left, right) = new_figure(9.0, 3.6, ncols=2, layout="fixed")
    left.plot(offsets, losses, color=BLUE, lw=2, label="loss after the nudge")
    left.plot(offsets, loss0 + grad * offsets, color=ORANGE, ls="--", lw=1.5,
              label=f"prediction: L {grad:+.4f}·nudge")
    left.plot([nudge], [here], "o", color=VERMILION, ms=8, zorder=3)
    label = f"{name}[{', '.join(map(str, index))}]"
    left.set(xlabel=f"nudge added to {label}", ylabel="loss $L$",
             title=f"Nudge {nudge:+.2f}: loss {loss0:.3f} → {here:.3f}")
    low, high = min(losses.min(), loss0), max(losses.max(), loss0)
    pad = max(0.1 * (high - low), 0.002)
    left.set_ylim(low - pad, high + pad)
    left.legend(fontsize=8, loc="upper center")

    linears = model.linear_layers()
    sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
    names = [n for n, p in model.named_parameters() if p.data.ndim == 2]
    highlight = (names.index(name), *index) if name in names else None
    draw_network(right, sizes, edge_values=[lin.W.grad for lin in linears], highlight=highlight)
    right.set_title("edges: ∂L/∂w (blue +, red −, width = size)", fontsize=9)
    return fig


def delta_norms(trace: BackpropTrace) -> Figure:
    """Bar chart of the size of the error signal ‖δ[l]‖ in every layer, output layer on the right."""
    fig, ax = new_figure(6.0, 3.2)
    layers = np.arange(1, trace.num_layers + 1)
    norms = [np.linalg.norm(trace.delta[l]) for l in layers]
    ax.bar(layers, norms, color=BLUE)
    ax.set_yscale("log")
    ax.set_xticks(layers, [f"layer {l}" for l in layers])
    ax.set(ylabel=r"$\|\delta^{[l]}\|$ (log scale)", title="Size of the error signal in each layer")
    return fig


def backward_step_figure(trace: BackpropTrace, step: int) -> Figure:
    """The network after ``step`` steps of the backward pass (0 = forward pass only).

    Nodes show a[l] after the forward pass (step 0), then δ[l] for the layers reached; edges show
    dW[l] for the layers whose weight gradients are known. Uses the first example column.
    """
    if not isinstance(trace, BackpropTrace):
        raise TypeError(f"backward_step_figure: trace must be the BackpropTrace that bp.algorithm.backprop "
                        f"returns, got {type(trace).__name__}.")
    K = trace.num_layers
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step <= K:
        raise ValueError(f"backward_step_figure: step must be a whole number from 0 (forward pass only) to "
                         f"K = {K} (every layer reached), got {step!r}.")
    sizes = [trace.a[0].shape[0]] + [trace.a[l].shape[0] for l in range(1, K + 1)]
    reached = range(K - step + 1, K + 1) if step else range(0)
    if step == 0:
        nodes = [trace.a[l][:, 0] for l in range(K + 1)]
        title = "Step 1, forward pass: store z[l] and a[l] (nodes show a[l])"
    else:
        nodes = [trace.delta[l][:, 0] if l in reached else None for l in range(K + 1)]
        l = K - step + 1
        title = (f"Step 2: δ[K] = ∂L/∂a[K] ⊙ f′(z[K]); step 4: dW[K] = δ[K] a[K−1]ᵀ (here K = {K})" if step == 1 else
                 f"Step 3: δ[{l}] = (W[{l + 1}]ᵀ δ[{l + 1}]) ⊙ f′(z[{l}]); step 4: dW[{l}] = δ[{l}] a[{l - 1}]ᵀ")
    edges = [trace.dW[l + 1] if (l + 1) in reached else None for l in range(K)]
    fig, ax = new_figure(8.0, 4.0, layout="fixed")
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86)
    draw_network(ax, sizes, edge_values=edges, node_values=[None if v is None else np.asarray(v) for v in nodes],
                 layer_labels=["input a[0]"] + [f"layer {l}" for l in range(1, K + 1)])
    ax.set_title(title, fontsize=10)
    legend = ("nodes: a[l], darker = larger" if step == 0 else
              "nodes: δ[l] (purple +, orange −)   edges: dW[l] (blue +, red −, width ∝ size)")
    fig.text(0.5, 0.03, legend, ha="center", fontsize=8, color="0.3")
    return fig
