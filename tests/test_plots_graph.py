"""Tests for bplib.plots.graph: layout and drawing of computational graphs."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import bplib as bp
from bplib.autodiff import Value, trace
from bplib.plots.graph import MAX_NODES, draw_graph, edge_contributions, layout


def neuron_loss() -> Value:
    w, x, b = Value(0.5, "w"), Value(1.5, "x"), Value(0.1, "b")
    z = w * x + b
    z.label = "z"
    y = z.sigmoid()
    y.label = "y"
    loss = 0.5 * (y - 1.0) ** 2
    loss.label = "L"
    return loss


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_layout_puts_every_node_right_of_its_inputs_and_keeps_nodes_apart():
    t = trace(neuron_loss())
    pos = layout(t)
    assert set(pos) == {n.index for n in t.nodes}
    for src, dst in t.edges:
        assert pos[src][0] < pos[dst][0]
    assert len(set(pos.values())) == len(pos)


def test_leaf_constants_sit_just_before_their_first_use():
    t = trace(neuron_loss())
    pos = layout(t)
    users = {src: dst for src, dst in t.edges}
    for node in t.nodes:
        if not node.op:
            assert pos[users[node.index]][0] - pos[node.index][0] == pytest.approx(3.0)


def test_draw_graph_shows_values_ops_and_grads_after_backward():
    loss = neuron_loss()
    before = texts(draw_graph(loss))
    assert "w = 0.5" in before and not any("grad" in s for s in before)
    loss.backward()
    fig = draw_graph(loss)
    after = texts(fig)
    assert isinstance(fig, Figure)
    assert "grad 1" in after and "σ" in after and "+" in after
    assert sum("grad" in s for s in after) == len(trace(loss).nodes)
    assert "after backward()" in fig.axes[0].get_title()


def test_draw_graph_accepts_a_trace_and_a_title():
    loss = neuron_loss()
    fig = draw_graph(trace(loss), title="one neuron", show_grad=False)
    assert fig.axes[0].get_title() == "one neuron"


def test_draw_graph_refuses_graphs_too_big_to_read():
    x = Value(1.0)
    for _ in range(MAX_NODES):
        x = x.tanh()
    with pytest.raises(ValueError, match=f"this graph has {MAX_NODES + 1} nodes"):
        draw_graph(x)


def test_edge_grads_write_each_edges_local_derivative_and_the_gradient_it_carries_back():
    x, w = Value(1.5, "x"), Value(-2.0, "w")
    u = x * w
    u.label = "u"
    f = u + x  # x is used twice: its grad is the sum of what its two edges carry
    f.label = "f"
    f.backward()
    flows = dict(zip(trace(f).edges, edge_contributions(f), strict=True))
    t = trace(f)
    ix = next(n.index for n in t.nodes if n.label == "x")
    into_x = [carried for (src, _), (_, carried) in flows.items() if src == ix]
    assert sorted(into_x) == [-2.0, 1.0] and sum(into_x) == x.grad == -1.0
    shown = texts(draw_graph(f, edge_grads=True))
    assert "← -2" in shown and "×-2" in shown and "← 1.5" in shown and "grad -1" in shown
    assert not any(s.startswith("←") for s in texts(draw_graph(f)))


def test_edge_grads_need_the_value_not_a_trace():
    loss = neuron_loss()
    loss.backward()
    with pytest.raises(TypeError, match="needs the Value itself"):
        draw_graph(trace(loss), edge_grads=True)


def test_draw_graph_is_exported_by_plots():
    assert bp.plots.draw_graph is draw_graph


# ---------------------------------------------------------------- the chapter 8 explorer


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_neuron_graph_grads_agree_with_the_chain_rule_table(activation):
    from bplib.widgets.autodiff import NEURON_BIAS, NEURON_INPUT, NEURON_TARGET, neuron_graph

    loss = neuron_graph(w=-0.5, activation=activation)
    t = trace(loss)
    grads = {n.label: n.grad for n in t.nodes if n.label}
    p = bp.chain.neuron_partials(w=-0.5, b=NEURON_BIAS, x=NEURON_INPUT, y=NEURON_TARGET,
                                 activation=activation)
    assert grads["w"] == pytest.approx(p.dL_dw, rel=1e-12)
    assert grads["b"] == pytest.approx(p.dL_db, rel=1e-12)
    assert t.root.data == pytest.approx(p.loss, rel=1e-12)


def test_render_neuron_graph_titles_the_weight_gradient_and_changes_with_w():
    from bplib.widgets.autodiff import render_neuron_graph

    a, b = render_neuron_graph(w=-1.0), render_neuron_graph(w=1.0)
    assert "∂L/∂w" in a.axes[0].get_title()
    assert a.axes[0].get_title() != b.axes[0].get_title()
    with pytest.raises(ValueError, match="activation must be one of"):
        render_neuron_graph(0.5, "swish")


def test_neuron_graph_explorer_has_a_small_static_grid():
    assert bp.widgets.neuron_graph_explorer().num_frames == 9 * 3
