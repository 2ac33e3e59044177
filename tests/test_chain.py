"""Tests for bplib.chain: named functions, composite tables, rendering, one neuron's partials."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib import chain
from bplib.chain import BUILTINS, affine, central_difference, compose, neuron_partials, power

# a point inside every built-in's domain, away from kinks
POINT = 0.7


def close(a: float, b: float, tol: float = 1e-7) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a) + abs(b))


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_derivative_matches_central_difference(name):
    fn = BUILTINS[name]
    assert close(fn.derivative(POINT), central_difference(fn, POINT, 1e-6))


@pytest.mark.parametrize("fn", [affine(3.0, -2.0), power(3), power(0.5)], ids=repr)
def test_affine_and_power_derivatives_match_central_difference(fn):
    assert close(fn.derivative(POINT), central_difference(fn, POINT, 1e-6))


def test_builtins_give_hand_computed_values():
    assert chain.square(3.0) == 9.0 and chain.square.derivative(3.0) == 6.0
    assert chain.sigmoid(0.0) == 0.5 and chain.sigmoid.derivative(0.0) == 0.25
    assert chain.log.derivative(4.0) == 0.25
    assert affine(2.0, 1.0)(3.0) == 7.0 and affine(2.0, 1.0).derivative(3.0) == 2.0
    assert chain.sigmoid(-1000.0) == 0.0 and chain.sigmoid(1000.0) == 1.0


def test_table_of_sin_of_square_shows_each_stage():
    table = compose("sin", "square").table(1.5)
    first, second = table.steps
    assert (first.name, first.input, first.output, first.local) == ("square", 1.5, 2.25, 3.0)
    assert second.name == "sin" and second.input == 2.25
    assert second.local == pytest.approx(math.cos(2.25))
    expected = math.cos(2.25) * 3.0
    assert first.forward == 3.0 and second.forward == pytest.approx(expected)
    assert second.reverse == pytest.approx(math.cos(2.25))
    assert first.reverse == pytest.approx(expected)
    assert table.forward_derivative == pytest.approx(expected, rel=1e-15)
    assert table.reverse_derivative == pytest.approx(expected, rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.sampled_from(["sin", "cos", "tanh", "sigmoid", "square", "exp"]),
                      min_size=1, max_size=6),
       x0=st.floats(-1.5, 1.5, allow_nan=False))
def test_random_compositions_forward_and_reverse_equal_the_numeric_derivative(names, x0):
    # a tanh after every stage keeps exp and square from growing without bound
    f = compose(*[stage for name in names for stage in (name, "tanh")])
    table = f.table(x0)
    assert close(table.forward_derivative, table.reverse_derivative, 1e-12)
    assert close(table.reverse_derivative, table.numeric)
    assert close(f(x0), table.steps[-1].output, 0.0)


def test_log_of_a_non_positive_stage_names_the_stage():
    f = compose("log", affine(1.0, -2.0))
    with pytest.raises(ValueError, match=r"stage 2: log\(-1\) is undefined: log needs a positive"):
        f.table(1.0)


def test_unknown_function_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown function 'sine'.*'sin'"):
        compose("sine")
    with pytest.raises(ValueError, match="at least one function"):
        compose()


def test_overflow_becomes_a_value_error():
    with pytest.raises(ValueError, match="too large for float64"):
        compose("exp", "exp", "exp").table(3.0)


def test_table_renders_as_text_html_and_latex():
    table = compose("sin", "exp", "square").table(0.5)
    text = str(table)
    assert "sin ∘ exp ∘ square" in text and "x = 0.5000" in text
    assert text.count("\n") == 2 + 3 + 3  # caption, header, rule, 3 steps, 3 notes
    assert f"dy/dx = {chain.fmt(table.reverse_derivative)}" in text
    html = table._repr_html_()
    assert html.startswith('<div class="bplib-table"><table>') and html.count("<tr>") == 4
    latex = table.to_latex()
    assert r"\begin{array}" in latex and r"\cos\left(e^{x^2}\right)" not in latex
    assert r"\cos(u_{2}) \cdot e^{u_{1}} \cdot 2x" in latex
    assert latex.endswith(r"\end{gathered}")


def test_composite_formula_in_latex_nests_parentheses():
    assert compose("sin", "square").to_latex() == r"\sin\left(x^2\right)"
    assert compose("square", "sin").to_latex() == r"\left(\sin(x)\right)^2"
    assert compose("exp", affine(2, -1)).to_latex() == "e^{2x - 1}"


def test_fmt_switches_to_scientific_notation_for_extreme_numbers():
    assert chain.fmt(0.5) == "0.5000" and chain.fmt(0.0) == "0.0000"
    assert chain.fmt(1e-5) == "1.000e-05" and chain.fmt(2e6) == "2.000e+06"


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_neuron_partials_match_central_differences(activation):
    p = neuron_partials(w=0.5, b=0.1, x=1.5, y=1.0, activation=activation)
    assert close(p.dL_dw, p.numeric_dw) and close(p.dL_db, p.numeric_db)
    assert p.dL_dw == pytest.approx(p.dL_db * 1.5, rel=1e-15)


def test_neuron_partials_hand_computed_sigmoid_case():
    p = neuron_partials(w=0.0, b=0.0, x=2.0, y=1.0)
    # z = 0, y = 1/2, dL/dy = y - t = -1/2, dy/dz = 1/4
    assert (p.z, p.a, p.loss, p.dL_da, p.da_dz) == (0.0, 0.5, 0.125, -0.5, 0.25)
    assert (p.dL_dw, p.dL_db) == (-0.25, -0.125)


def test_neuron_partials_agree_with_chapter_4_neuron():
    p = neuron_partials(w=0.8, b=-0.3, x=1.2, y=0.0)
    dw, db = bp.neuron.neuron_gradients(1.2, 0.0, 0.8, -0.3)
    assert p.loss == pytest.approx(bp.neuron.neuron_loss(1.2, 0.0, 0.8, -0.3), rel=1e-14)
    assert (p.dL_dw, p.dL_db) == pytest.approx((dw, db), rel=1e-14)


def test_neuron_partials_render():
    p = neuron_partials(0.5, 0.1, 1.5, 1.0)
    assert "∂L/∂w" in str(p) and "central differences" in str(p)
    assert p._repr_html_().count("<tr>") == 10
    assert r"\frac{\partial L}{\partial w}" in p.to_latex()
    assert "(a-y)" in p.to_latex() and "½ (a - y)²" in str(p) and "y = 1.0000" in str(p)


def test_graph_of_a_composite_carries_the_chain_rule_backwards():
    y = compose("sin", "square").graph(1.5)
    u = y.inputs[0]
    x = u.inputs[0]
    assert (x.label, u.label, y.label, y.op) == ("x", "u", "y", "sin")
    assert (u.data, u.grad) == pytest.approx((2.25, math.cos(2.25)), rel=1e-15)
    assert x.grad == pytest.approx(compose("sin", "square").derivative(1.5), rel=1e-15)
    deeper = compose("tanh", "exp", "square").graph(0.3)
    assert [deeper.inputs[0].label, deeper.inputs[0].inputs[0].label] == ["u2", "u1"]


def test_neuron_partials_takes_the_target_as_y():
    p = neuron_partials(w=0.0, b=0.0, x=2.0, y=0.0)
    assert (p.y, p.a, p.dL_da) == (0.0, 0.5, 0.5)
    with pytest.raises(TypeError):
        neuron_partials(w=0.0, b=0.0, x=2.0, t=0.0)


# ---------------------------------------------------------------- the chapter 3 explorer


def test_render_chain_shows_the_tangent_slope_and_one_bar_per_stage_plus_product():
    from bplib.widgets.chain import FUNCTIONS, render_chain

    fig = render_chain(x0=1.0, function="exp(sin(x²))")
    left, right = fig.axes
    slope = FUNCTIONS["exp(sin(x²))"].derivative(1.0)
    assert f"slope dy/dx = {slope:.3f}" in left.get_title()
    assert len(right.patches) == 3 + 1
    assert right.patches[-1].get_height() == pytest.approx(slope)
    assert render_chain(x0=-1.0).axes[0].get_title() != render_chain(x0=1.0).axes[0].get_title()


def test_render_chain_rejects_an_unknown_function():
    from bplib.widgets.chain import render_chain

    with pytest.raises(ValueError, match="function must be one of"):
        render_chain(0.5, "cos(x)")


def test_chain_explorer_has_a_small_static_grid():
    explorer = bp.widgets.chain_explorer()
    assert explorer.num_frames == 9 * 3
    assert explorer.alt
