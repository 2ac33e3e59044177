"""Tests for bplib.autodiff: Value (reverse mode), Dual (forward mode), traces and ScalarMLP."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib.autodiff import (
    Dual,
    ScalarMLP,
    Value,
    jacobian_forward,
    jacobian_reverse,
    topological_order,
    trace,
)
from bplib.gradcheck import rel_error

H = 1e-6


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def central(f, x: float, h: float = H) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


# name, function on a Value/Dual, point, expected value, expected derivative (by hand)
UNARY = [
    ("exp", lambda v: v.exp(), 0.7, math.exp(0.7), math.exp(0.7)),
    ("log", lambda v: v.log(), 2.5, math.log(2.5), 1 / 2.5),
    ("tanh", lambda v: v.tanh(), 0.3, math.tanh(0.3), 1 - math.tanh(0.3) ** 2),
    ("sigmoid", lambda v: v.sigmoid(), -0.4, 1 / (1 + math.exp(0.4)),
     math.exp(0.4) / (1 + math.exp(0.4)) ** 2),
    ("relu+", lambda v: v.relu(), 1.5, 1.5, 1.0),
    ("relu-", lambda v: v.relu(), -1.5, 0.0, 0.0),
    ("neg", lambda v: -v, 1.2, -1.2, -1.0),
    ("pow3", lambda v: v**3, -1.1, -1.331, 3 * 1.21),
    ("pow-half", lambda v: v**-0.5, 4.0, 0.5, -0.5 * 4.0**-1.5),
    ("rpow", lambda v: 2**v, 1.5, 2**1.5, 2**1.5 * math.log(2)),
    ("radd", lambda v: 3 + v, 0.5, 3.5, 1.0),
    ("rsub", lambda v: 3 - v, 0.5, 2.5, -1.0),
    ("sub", lambda v: v - 3, 0.5, -2.5, 1.0),
    ("rmul", lambda v: 3 * v, 0.5, 1.5, 3.0),
    ("rdiv", lambda v: 3 / v, 0.5, 6.0, -12.0),
    ("div", lambda v: v / 4, 0.5, 0.125, 0.25),
    ("square-by-mul", lambda v: v * v, -0.6, 0.36, -1.2),
]


@pytest.mark.parametrize("name, f, x0, value, slope", UNARY, ids=[u[0] for u in UNARY])
def test_value_op_matches_hand_values_and_central_difference(name, f, x0, value, slope):
    x = Value(x0)
    out = f(x)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12)
    assert x.grad == pytest.approx(slope, rel=1e-12)
    if not name.startswith("relu"):
        assert rel_error(x.grad, central(lambda t: f(Value(t)).data, x0)) < 1e-7


@pytest.mark.parametrize("name, f, x0, value, slope", UNARY, ids=[u[0] for u in UNARY])
def test_dual_op_matches_hand_values(name, f, x0, value, slope):
    out = f(Dual(x0, 1.0))
    assert out.data == pytest.approx(value, rel=1e-12)
    assert out.tangent == pytest.approx(slope, rel=1e-12)


BINARY = [
    ("add", lambda a, b: a + b, 1.0, 1.0),
    ("sub", lambda a, b: a - b, 1.0, -1.0),
    ("mul", lambda a, b: a * b, 0.8, 1.3),  # d/da = b, d/db = a
    ("div", lambda a, b: a / b, 1 / 0.8, -1.3 / 0.8**2),
    ("pow", lambda a, b: a**b, 0.8 * 1.3**-0.2, 1.3**0.8 * math.log(1.3)),
]


@pytest.mark.parametrize("name, f, da, db", BINARY, ids=[b[0] for b in BINARY])
def test_binary_ops_give_both_partials_in_reverse_and_forward_mode(name, f, da, db):
    a, b = Value(1.3), Value(0.8)
    out = f(a, b)
    out.backward()
    assert (a.grad, b.grad) == pytest.approx((da, db), rel=1e-12)
    assert f(Dual(1.3, 1.0), Dual(0.8)).tangent == pytest.approx(da, rel=1e-12)
    assert f(Dual(1.3), Dual(0.8, 1.0)).tangent == pytest.approx(db, rel=1e-12)
    assert rel_error(a.grad, central(lambda t: f(Value(t), Value(0.8)).data, 1.3)) < 1e-7
    assert rel_error(b.grad, central(lambda t: f(Value(1.3), Value(t)).data, 0.8)) < 1e-7


def test_numpy_scalar_on_the_left_gives_a_value():
    x = Value(2.0)
    out = np.float64(3.0) * x + np.float64(1.0)
    assert isinstance(out, Value)
    out.backward()
    assert x.grad == 3.0


# ---------------------------------------------------------------- random expression trees

# Binary and unary steps that stay finite and differentiable for any moderate input.
STEPS = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b.tanh(),
    lambda a, b: a / (1 + b * b),
    lambda a, b: (1 + a * a).log(),
    lambda a, b: a.tanh().exp() * b.sigmoid(),
    lambda a, b: (a * 0.5).sigmoid() ** 2 + b,
]


def build(program, inputs):
    pool = list(inputs)
    for op, i, j in program:
        pool.append(STEPS[op](pool[i % len(pool)], pool[j % len(pool)]))
    return pool[-1]


programs = st.lists(st.tuples(st.integers(0, len(STEPS) - 1), st.integers(0, 50),
                              st.integers(0, 50)), min_size=1, max_size=12)
points = st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3)


@settings(max_examples=60, deadline=None)
@given(program=programs, xs=points)
def test_random_expressions_agree_in_reverse_forward_and_finite_differences(program, xs):
    leaves = [Value(x) for x in xs]
    out = build(program, leaves)
    out.backward()
    reverse = np.array([v.grad for v in leaves])
    forward = np.array([build(program, [Dual(x, float(i == j)) for i, x in enumerate(xs)]).tangent
                        for j in range(3)])

    def f_at(j, t):
        return build(program, [Value(t if i == j else x) for i, x in enumerate(xs)]).data

    numeric = np.array([central(lambda t, j=j: f_at(j, t), xs[j]) for j in range(3)])
    scale = np.maximum(1.0, np.abs(reverse))
    assert np.all(np.abs(reverse - forward) <= 1e-12 * scale)
    assert np.all(np.abs(reverse - numeric) <= 1e-7 * scale)


# ---------------------------------------------------------------- graph properties


def _negation_chain(steps: int) -> tuple[Value, Value]:
    x = Value(0.3)
    y = x
    for _ in range(steps):
        y = -y
    return x, y


def test_a_deep_chain_backpropagates_without_recursion_error():
    x, y = _negation_chain(100_000)  # micrograd 0.1 hits RecursionError below 1,000
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(0.3)


@pytest.mark.slow
def test_a_million_step_chain_backpropagates_and_is_freed():
    x, y = _negation_chain(1_000_000)
    y.backward()
    assert x.grad == 1.0
    del y  # freeing a million nested nodes must not overflow the C stack either


def test_backward_twice_gives_the_same_gradients():
    a, b = Value(0.5), Value(-1.5)
    h = (a * b).tanh()
    out = h * h + a
    out.backward()
    first = (a.grad, b.grad, h.grad)
    out.backward()
    assert (a.grad, b.grad, h.grad) == first


def test_reused_node_accumulates_every_path():
    x = Value(3.0)
    out = x * x + x  # d/dx = 2x + 1
    out.backward()
    assert x.grad == 7.0


def test_diamond_graph_sums_both_branches():
    x = Value(0.4)
    u = x.exp()
    out = u.tanh() * u.sigmoid()
    out.backward()
    assert rel_error(x.grad, central(lambda t: (math.tanh(math.exp(t)) /
                                                (1 + math.exp(-math.exp(t)))), 0.4)) < 1e-7


def test_graph_is_freed_without_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        a, b = Value(0.5), Value(2.0)
        out = (a * b + a).tanh().exp() / b
        out.backward()
        refs = [weakref.ref(node) for node in topological_order(out)]
        del a, b, out
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_topological_order_lists_inputs_before_the_nodes_that_use_them():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    out = c + a
    order = topological_order(out)
    position = {id(v): i for i, v in enumerate(order)}
    assert len(order) == 4 and order[-1] is out
    for node in order:
        assert all(position[id(inp)] < position[id(node)] for inp in node.inputs)


def test_leaf_backward_sets_its_own_grad_to_one():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("make, match", [
    (lambda: Value(0.0).log(), r"log\(0\) is undefined: log needs a positive input"),
    (lambda: Value(-1.0).log(), r"log\(-1\) is undefined"),
    (lambda: Value(1000.0).exp(), r"exp\(1000\) overflows float64"),
    (lambda: Value(1.0) / 0, r"division by zero"),
    (lambda: 1 / Value(0.0), r"division by zero"),
    (lambda: Value(-8.0) ** 0.5, r"negative base needs a whole-number exponent"),
    (lambda: Value(0.0) ** -1, r"zero base needs a non-negative exponent"),
    (lambda: Value(0.0) ** 0.5, r"too large for float64"),
    (lambda: Value(-2.0) ** Value(2.0), r"needs a positive base"),
    (lambda: Value(1e200) * Value(1e200), r"not a finite float64 number"),
    (lambda: Value(float("nan")), r"finite number"),
    (lambda: Value.from_op(1.0, (Value(1.0),), (1.0, 2.0), "f"), r"1 inputs but 2 local"),
])
def test_value_raises_a_clear_value_error_instead_of_nan_or_inf(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: Dual(0.0, 1.0).log(), r"log needs a positive input"),
    (lambda: Dual(800.0, 1.0).exp(), r"overflows float64"),
    (lambda: Dual(1.0, 1.0) / Dual(0.0), r"division by zero"),
    (lambda: Dual(-2.0) ** Dual(2.0, 1.0), r"needs a positive base"),
    (lambda: Dual(float("inf")), r"finite numbers"),
])
def test_dual_raises_the_same_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("bad", ["1.0", [1.0, 2.0], np.ones(2), None])
def test_value_rejects_non_numbers_with_a_type_error(bad):
    with pytest.raises(TypeError, match="expected a number"):
        Value(bad)
    with pytest.raises(TypeError, match="expected a number"):
        Value(1.0) + bad


def test_from_op_rejects_plain_numbers_as_inputs():
    with pytest.raises(TypeError, match="every input must be a Value"):
        Value.from_op(1.0, (1.0,), (1.0,), "f")


def test_exp_just_below_overflow_and_saturating_functions_stay_finite():
    assert math.isfinite(Value(709.0).exp().data)
    for x in (-1000.0, 1000.0):
        for out in (Value(x).sigmoid(), Value(x).tanh()):
            out.backward()
            assert math.isfinite(out.data) and out.grad == 1.0


# ---------------------------------------------------------------- forward vs reverse: passes


def test_jacobians_agree_and_count_passes():
    def f(v):
        x, y, z = v
        return [x * y + z.tanh(), (x / (1 + z * z)).exp()]

    xs = [0.3, -1.2, 0.7]
    j_fwd, passes_fwd = jacobian_forward(f, xs)
    j_rev, passes_rev = jacobian_reverse(f, xs)
    assert j_fwd.shape == j_rev.shape == (2, 3)
    assert (passes_fwd, passes_rev) == (3, 2)
    assert rel_error(j_fwd, j_rev) < 1e-12
    def f_ij(i, j, t):
        return f([Value(t if k == j else x) for k, x in enumerate(xs)])[i].data

    numeric = np.array([[central(lambda t, i=i, j=j: f_ij(i, j, t), xs[j]) for j in range(3)]
                        for i in range(2)])
    assert rel_error(j_rev, numeric) < 1e-7


# ---------------------------------------------------------------- trace


def test_trace_records_nodes_edges_ops_values_and_grads():
    w, x = Value(2.0, "w"), Value(-1.0, "x")
    z = w * x
    z.label = "z"
    out = z.tanh()
    out.backward()
    t = trace(out)
    assert [n.label for n in t.nodes][:2] in (["w", "x"], ["x", "w"])
    assert [n.op for n in t.nodes] == ["", "", "*", "tanh"]
    assert sorted(t.edges) == [(0, 2), (1, 2), (2, 3)]
    assert t.root.data == pytest.approx(math.tanh(-2.0))
    assert t.root.grad == 1.0
    assert t.nodes[2].grad == pytest.approx(1 - math.tanh(-2.0) ** 2)


def test_trace_rejects_a_plain_number():
    with pytest.raises(TypeError, match="expected a Value"):
        trace(1.0)


# ---------------------------------------------------------------- ScalarMLP vs vectorised layers


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_scalar_mlp_gradients_equal_vectorised_layers(activation, rng):
    mlp = bp.MLP([2, 4, 3, 1], activation=activation, seed=1)
    x = rng.standard_normal((5, 2))
    y = rng.standard_normal((5, 1))
    loss_fn = bp.MSELoss()
    mlp.zero_grad()
    pred = mlp(x)
    loss = loss_fn(pred, y)
    mlp.backward(loss_fn.backward())

    smlp = ScalarMLP.from_mlp(mlp)
    scalar_loss = smlp.mse(x, y)
    scalar_loss.backward()
    assert scalar_loss.data == pytest.approx(loss, rel=1e-12)
    for layer, (dW, db) in zip(mlp.linear_layers(), smlp.grads(), strict=True):
        assert rel_error(dW, layer.W.grad) < 1e-10
        assert rel_error(db, layer.b.grad) < 1e-10


def test_scalar_mlp_is_seeded_and_counts_its_parameters():
    a, b = ScalarMLP([2, 16, 16, 1], seed=3), ScalarMLP([2, 16, 16, 1], seed=3)
    assert len(a.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    out = a([0.5, -0.5])
    assert len(out) == 1 and isinstance(out[0], Value)


def test_scalar_mlp_rejects_bad_inputs():
    with pytest.raises(ValueError, match="expected 2 input numbers, got 3"):
        ScalarMLP([2, 3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="activation must be"):
        ScalarMLP([2, 3, 1], activation="swish", seed=0)
    with pytest.raises(ValueError, match="end with a Linear layer"):
        ScalarMLP.from_mlp(bp.MLP([2, 3, 1], output_activation="sigmoid", seed=0))


def test_value_repr_shows_data_grad_and_label():
    assert repr(Value(0.5, "w")) == "Value(data=0.5, grad=0, label='w')"
    assert repr(Dual(1.0, 2.0)) == "Dual(data=1, tangent=2)"
