"""Checks for chapter 3 (The chain rule) and chapter 8 (Automatic differentiation)."""

from __future__ import annotations

import math

import numpy as np

from bplib.autodiff import Value, topological_order
from bplib.chain import affine, compose, neuron_partials
from bplib.course.feedback import call_student, expect_close, expect_tuple, passed

__all__ = [
    "check_log1p_square_derivative", "check_reverse_products", "check_tanh_neuron_partials",
    "check_tanh_op", "check_topological_sort", "check_value_sgd_step",
]

CHECK_POINTS = (-1.5, -0.3, 0.0, 0.8, 2.0)


# ------------------------------------------------------------------ chapter 3
def check_log1p_square_derivative(dydx) -> None:
    """``dydx(x)`` is the derivative of ``y = ln(1 + x²)``, that is ``2x / (1 + x²)``."""
    f = compose("log", affine(1.0, 1.0), "square")
    for x in CHECK_POINTS:
        got = call_student(dydx, x)
        expected = f.derivative(x)
        if got is not None and np.ndim(got) == 0 and abs(float(got) - 1 / (1 + x * x)) < 1e-9 \
                and abs(expected - 1 / (1 + x * x)) > 1e-9:
            raise AssertionError(f"dydx({x}) = {float(got):.4f} is only the outer derivative "
                                 "1/(1 + x²). Multiply by the inner derivative d(x²)/dx = 2x.")
        expect_close(f"dydx({x})", got, expected, atol=1e-10)
    passed("dy/dx = 2x / (1 + x²): the outer derivative 1/u times the inner 2x.")


def check_reverse_products(reverse_products) -> None:
    """``reverse_products(local)`` is ``[dy/du_0, ..., dy/du_{n-1}]``, products of local[k:]."""
    table = compose("sin", "exp", "square", affine(2.0, -1.0)).table(0.3)
    local = [s.local for s in table.steps]
    expected = [s.reverse for s in table.steps]
    got = call_student(reverse_products, list(local))
    if isinstance(got, (list, tuple, np.ndarray)) and len(got) == len(expected):
        got_arr = np.asarray(got, dtype=float)
        if np.allclose(got_arr, [s.forward for s in table.steps]):
            raise AssertionError("You returned the forward (inside-out) products du_k/dx. The "
                                 "reverse products start from the output: position k multiplies "
                                 "local[k:].")
        if np.allclose(got_arr, expected[::-1]):
            raise AssertionError("The right numbers in the wrong order: position k must hold "
                                 "dy/du_k, the product of local[k], local[k+1], ..., local[-1].")
    expect_close("reverse_products(local)", got, expected, atol=1e-12)
    single = call_student(reverse_products, [2.5])
    expect_close("reverse_products([2.5])", single, [2.5], atol=1e-12)
    passed("Reverse accumulation: starting from dy/dy = 1 at the output, each step multiplies one "
           "more local derivative.")


def check_tanh_neuron_partials(tanh_neuron_partials) -> None:
    """``tanh_neuron_partials(w, b, x, y) -> (dL_dw, dL_db)`` for ``a = tanh(w x + b)``, target y."""
    for w, b, x, y in [(0.8, -0.2, 1.5, 0.0), (-0.4, 0.3, -2.0, 1.0), (1.1, 0.1, 0.5, -0.5)]:
        result = call_student(tanh_neuron_partials, w, b, x, y)
        dw, db = expect_tuple("tanh_neuron_partials", result, 2)
        ref = neuron_partials(w, b, x, y, "tanh")
        sig = neuron_partials(w, b, x, y, "sigmoid")
        if np.allclose([float(dw), float(db)], [sig.dL_dw, sig.dL_db], atol=1e-9):
            raise AssertionError("These are the sigmoid neuron's gradients: with tanh the local "
                                 "derivative is 1 − tanh²(z), not σ(z)(1 − σ(z)).")
        where = f"at w={w}, b={b}, x={x}, y={y}"
        expect_close(f"dL/db {where}", db, ref.dL_db, atol=1e-10)
        expect_close(f"dL/dw {where}", dw, ref.dL_dw, atol=1e-10)
    passed("Both partials match: (a − y)·(1 − a²)·x and (a − y)·(1 − a²).")


# ------------------------------------------------------------------ chapter 8
def check_tanh_op(tanh_op) -> None:
    """``tanh_op(x: Value) -> Value``: data ``tanh(x)``, local derivative ``1 - tanh(x)²``."""
    for x0 in CHECK_POINTS:
        x = Value(x0, "x")
        out = call_student(tanh_op, x)
        if not isinstance(out, Value):
            raise AssertionError(f"tanh_op should return a Value, got {type(out).__name__}. "
                                 "Build it with Value.from_op(data, (x,), (local,), 'tanh').")
        expect_close(f"tanh_op(Value({x0})).data", out.data, math.tanh(x0), atol=1e-12)
        if x not in out.inputs:
            raise AssertionError("The output is not connected to x: pass (x,) as its inputs, so "
                                 "backward() can reach x.")
        out.backward()
        t = math.tanh(x0)
        if x0 != 0 and abs(x.grad - (1 - x0 * x0)) < 1e-12:
            raise AssertionError(f"x.grad = {x.grad:.4f} is 1 − x²: the derivative is "
                                 "1 − tanh(x)², square the output tanh(x), not the input.")
        if x0 != 0 and abs(x.grad - t) < 1e-12:
            raise AssertionError("x.grad equals tanh(x): the local derivative is 1 − tanh(x)², not "
                                 "tanh(x) itself.")
        expect_close(f"x.grad after tanh_op(Value({x0})).backward()", x.grad, 1 - t * t, atol=1e-12)
    passed("tanh_op stores 1 − tanh(x)² beside its output; backward() does the rest.")


def _check_graph() -> tuple[Value, list[Value]]:
    a, b = Value(0.5, "a"), Value(-1.0, "b")
    c = a * b
    c.label = "c"
    d = c.tanh() + a  # a is used twice, c feeds two paths
    d.label = "d"
    e = (d * c).exp()
    e.label = "e"
    return e, topological_order(e)


def _name(node: Value) -> str:
    return node.label or f"the {node.op or 'leaf'} node with data {node.data:.4g}"


def check_topological_sort(topological_sort) -> None:
    """``topological_sort(root)`` lists every node once, each after all of its inputs, root last."""
    root, reference = _check_graph()
    got = call_student(topological_sort, root)
    if not isinstance(got, (list, tuple)):
        raise AssertionError("topological_sort should return a list of Values, got "
                             f"{type(got).__name__}.")
    ids = [id(v) for v in got]
    if len(set(ids)) != len(ids):
        dup = next(v for v in got if ids.count(id(v)) > 1)
        raise AssertionError(f"{_name(dup)} appears {ids.count(id(dup))} times: keep a set of "
                             "visited nodes and skip a node you have already placed.")
    missing = [v for v in reference if id(v) not in set(ids)]
    if missing:
        raise AssertionError(f"{len(missing)} of {len(reference)} nodes are missing, e.g. "
                             f"{_name(missing[0])}: visit the inputs of every node, not only "
                             "the root's.")
    if len(got) != len(reference):
        raise AssertionError(f"Expected {len(reference)} nodes, got {len(got)}: return only the "
                             "nodes that the root depends on.")
    position = {id(v): i for i, v in enumerate(got)}
    for node in got:
        for inp in node.inputs:
            if position[id(inp)] > position[id(node)]:
                raise AssertionError(f"{_name(node)} comes before its input {_name(inp)}: append "
                                     "a node only after all of its inputs have been appended.")
    passed(f"All {len(got)} nodes, each after its inputs: backward() can walk this list backwards.")


def check_value_sgd_step(sgd_step) -> None:
    """``sgd_step(params, lr)`` does ``p.data -= lr * p.grad`` for every Value, in place."""
    rng = np.random.default_rng(8)
    params = [Value(float(v)) for v in rng.normal(size=5)]
    for p, g in zip(params, rng.normal(size=5), strict=True):
        p.grad = float(g)
    before = [(p.data, p.grad) for p in params]
    call_student(sgd_step, params, 0.1)
    moved = np.array([p.data - d for p, (d, _) in zip(params, before, strict=True)])
    if np.allclose(moved, 0):
        raise AssertionError("No parameter changed: update p.data in place "
                             "(p.data -= lr * p.grad); a new list of numbers is not used by the "
                             "network.")
    if any(p.grad != g for p, (_, g) in zip(params, before, strict=True)):
        raise AssertionError("sgd_step changed the gradients; only p.data should move (backward() "
                             "recomputes the grads next time).")
    expected = [-0.1 * g for _, g in before]
    expect_close("the step taken by each parameter", moved, expected, atol=1e-12)
    passed("Each parameter moved lr × grad downhill, in place: this is optimizer.step().")
