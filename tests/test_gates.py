"""bplib.gates: the backward rules of add, multiply, max and copy; chapter 3's gate explorer."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.gates import gate, gate_backward, gate_forward
from bplib.plots.display import figure_to_png
from bplib.plots.gates import draw_gate, worked
from bplib.widgets.gates import COPY_SECOND_UPSTREAM, GATE_W, gate_explorer, render_gate


@pytest.fixture
def rng():
    return np.random.default_rng(3)


@pytest.mark.parametrize("name", ["add", "multiply", "max"])
def test_two_input_gate_rules_match_central_differences(name, rng):
    for _ in range(20):
        x, w = rng.normal(size=2) * 2
        upstream = rng.normal()
        step = gate(name, [x, w], [upstream])
        assert step.grads == pytest.approx(step.numeric, rel=1e-7, abs=1e-9)


def test_copy_gate_sums_the_upstream_gradients_as_central_differences_do(rng):
    for _ in range(20):
        x, g1, g2 = rng.normal(size=3)
        step = gate("copy", [x], [g1, g2])
        assert step.outputs == (x, x)
        assert step.grads == pytest.approx((g1 + g2,), rel=1e-14)
        assert step.grads == pytest.approx(step.numeric, rel=1e-7)


def test_gate_rules_by_hand():
    assert gate_backward("add", [1.5, -2.0], [3.0]) == (3.0, 3.0)
    assert gate_backward("multiply", [1.5, -2.0], [3.0]) == (-6.0, 4.5)  # inputs swap
    assert gate_backward("max", [1.5, -2.0], [3.0]) == (3.0, 0.0)
    assert gate_backward("max", [-2.5, -2.0], [3.0]) == (0.0, 3.0)
    assert gate_backward("copy", [1.5], [3.0, -0.5]) == (2.5,)
    assert gate_forward("multiply", [1.5, -2.0]) == (-3.0,)
    assert gate_forward("max", [1.5, -2.0]) == (1.5,)


def test_gate_is_reexported_by_chain():
    assert bp.chain.gate is gate and set(bp.chain.GATE_RULES) == {"add", "multiply", "max", "copy"}


def test_gate_refuses_bad_input_with_a_sentence():
    with pytest.raises(ValueError, match="unknown gate 'divide'"):
        gate("divide", [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="takes 2 input"):
        gate("add", [1.0], [1.0])
    with pytest.raises(ValueError, match="needs 2 upstream"):
        gate("copy", [1.0], [1.0])


def test_draw_gate_writes_values_and_gradients():
    fig = draw_gate(gate("multiply", [1.5, -2.0], [3.0]))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "x = 1.5" in texts and "∂L/∂x = -6" in texts and "∂L/∂w = 4.5" in texts
    assert "∂L/∂u = 3" in texts and "×" in texts
    assert "multiply gate" in fig.texts[0].get_text()
    assert fig.texts[1].get_text() == "∂L/∂x = w·∂L/∂u = (-2)·3 = -6,   ∂L/∂w = x·∂L/∂u = 1.5·3 = 4.5"


def test_worked_line_names_the_larger_input_of_max_and_sums_for_copy():
    assert worked(gate("max", [-1.0, 0.5], [2.0])) == "w is larger: ∂L/∂w = ∂L/∂u = 2,   ∂L/∂x = 0"
    assert worked(gate("copy", [1.0], [-2.0, 0.5])) == "∂L/∂x = ∂L/∂u₁ + ∂L/∂u₂ = -2 + 0.5 = -1.5"
    assert worked(gate("add", [1.0, 0.5], [-2.0])) == "∂L/∂x = ∂L/∂w = ∂L/∂u = -2"


def test_render_gate_changes_with_each_control():
    base = figure_to_png(render_gate("multiply", x=1.0, upstream=1.0), dpi=40)
    for other in (render_gate("add", x=1.0, upstream=1.0), render_gate("multiply", x=-1.0),
                  render_gate("multiply", x=1.0, upstream=-2.0)):
        assert figure_to_png(other, dpi=40) != base


def test_render_gate_max_routes_to_the_larger_input():
    def grads(fig):
        return [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("∂L/∂")]

    assert grads(render_gate("max", x=2.0, upstream=-2.0))[:2] == ["∂L/∂x = -2", "∂L/∂w = 0"]
    assert grads(render_gate("max", x=-1.0, upstream=-2.0))[:2] == ["∂L/∂x = 0", "∂L/∂w = -2"]
    copy = grads(render_gate("copy", x=0.0, upstream=1.0))
    assert copy[0] == f"∂L/∂x = {1.0 + COPY_SECOND_UPSTREAM:.3g}" and GATE_W == 0.5


def test_render_gate_rejects_an_unknown_gate():
    with pytest.raises(ValueError, match="gate_name must be one of"):
        render_gate("divide")


def test_gate_explorer_has_a_small_grid_of_frames():
    explorer = gate_explorer()
    assert explorer.num_frames == 4 * 5 * 2
    assert explorer.alt
    assert bp.widgets.gate_explorer is gate_explorer
