"""Tests for the exercise checks of chapters 3 and 8: right answers pass, slips are explained."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bplib as bp
from bplib.autodiff import Value, topological_order


def passes(check, answer, capsys) -> str:
    check(answer)
    out = capsys.readouterr().out
    assert out.startswith("\u2714")
    return out


def fails(check, answer, match: str) -> None:
    with pytest.raises(AssertionError, match=match):
        check(answer)


# ------------------------------------------------------------------ chapter 3


def test_log1p_square_derivative_accepts_the_chain_rule(capsys):
    passes(bp.course.check_log1p_square_derivative, lambda x: 2 * x / (1 + x * x), capsys)


def test_log1p_square_derivative_spots_a_missing_inner_derivative():
    fails(bp.course.check_log1p_square_derivative, lambda x: 1 / (1 + x * x),
          "only the outer derivative.*2x")


def test_log1p_square_derivative_spots_a_sign_flip():
    fails(bp.course.check_log1p_square_derivative, lambda x: -2 * x / (1 + x * x), "opposite sign")


def reverse_products(local):
    return [math.prod(local[k:]) for k in range(len(local))]


def test_reverse_products_accepts_suffix_products(capsys):
    passes(bp.course.check_reverse_products, reverse_products, capsys)


def test_reverse_products_spots_forward_products():
    fails(bp.course.check_reverse_products,
          lambda local: [math.prod(local[:k + 1]) for k in range(len(local))],
          r"forward \(inside-out\) products")


def test_reverse_products_spots_the_wrong_order():
    fails(bp.course.check_reverse_products, lambda local: reverse_products(local)[::-1],
          "wrong order")


def test_reverse_products_spots_a_missing_return():
    fails(bp.course.check_reverse_products, lambda local: None, "None")


def tanh_neuron_partials(w, b, x, y):
    a = math.tanh(w * x + b)
    common = (a - y) * (1 - a * a)
    return common * x, common


def test_tanh_neuron_partials_accepts_the_reference(capsys):
    passes(bp.course.check_tanh_neuron_partials, tanh_neuron_partials, capsys)


def test_tanh_neuron_partials_spots_the_sigmoid_derivative():
    def sigmoid_version(w, b, x, y):
        p = bp.chain.neuron_partials(w, b, x, y, "sigmoid")
        return p.dL_dw, p.dL_db

    fails(bp.course.check_tanh_neuron_partials, sigmoid_version, "sigmoid neuron's gradients")


def test_tanh_neuron_partials_spots_swapped_outputs():
    fails(bp.course.check_tanh_neuron_partials,
          lambda w, b, x, y: tanh_neuron_partials(w, b, x, y)[::-1], "are swapped")


def test_tanh_neuron_partials_spots_a_single_return_value():
    fails(bp.course.check_tanh_neuron_partials, lambda w, b, x, y: 0.0, "2 values as a tuple")


# ------------------------------------------------------------------ chapter 8


def make_tanh_op(local_of):
    def tanh_op(x):
        t = math.tanh(x.data)
        return Value.from_op(t, (x,), (local_of(x.data, t),), "tanh")

    return tanh_op


def test_tanh_op_accepts_one_minus_tanh_squared(capsys):
    passes(bp.course.check_tanh_op, make_tanh_op(lambda x, t: 1 - t * t), capsys)


@pytest.mark.parametrize("local_of, match", [
    (lambda x, t: 1 - x * x, "square the output tanh\\(x\\), not the input"),
    (lambda x, t: t, "not tanh\\(x\\) itself"),
    (lambda x, t: 1 - t, "is 1 − tanh\\(x\\): the square is missing"),
    (lambda x, t: t * t - 1, "opposite sign"),
])
def test_tanh_op_explains_a_wrong_local_derivative(local_of, match):
    fails(bp.course.check_tanh_op, make_tanh_op(local_of), match)


def test_tanh_op_spots_a_plain_number_and_a_disconnected_output():
    fails(bp.course.check_tanh_op, lambda x: math.tanh(x.data), "should return a Value")
    fails(bp.course.check_tanh_op, lambda x: Value(math.tanh(x.data)), "not connected to x")


def test_topological_sort_accepts_the_library_version(capsys):
    out = passes(bp.course.check_topological_sort, topological_order, capsys)
    assert "All 7 nodes" in out


def naive_sort(root):
    """Forgets the visited set: shared nodes appear twice."""
    order = []

    def visit(node):
        for inp in node.inputs:
            visit(inp)
        order.append(node)

    visit(root)
    return order


def test_topological_sort_spots_duplicates_missing_nodes_and_wrong_order():
    fails(bp.course.check_topological_sort, naive_sort, "visited nodes")
    fails(bp.course.check_topological_sort, lambda root: [*root.inputs, root], "nodes are missing")
    fails(bp.course.check_topological_sort, lambda root: topological_order(root)[::-1],
          "comes before its input")
    fails(bp.course.check_topological_sort, lambda root: None, "list of Values")


def sgd_step(params, lr):
    for p in params:
        p.data -= lr * p.grad


def test_value_sgd_step_accepts_in_place_update(capsys):
    passes(bp.course.check_value_sgd_step, sgd_step, capsys)


def test_value_sgd_step_spots_uphill_no_op_and_zeroed_grads():
    def uphill(params, lr):
        for p in params:
            p.data += lr * p.grad

    def copy_only(params, lr):
        return [p.data - lr * p.grad for p in params]

    def zeroes_grads(params, lr):
        sgd_step(params, lr)
        for p in params:
            p.grad = 0.0

    fails(bp.course.check_value_sgd_step, uphill, "opposite sign")
    fails(bp.course.check_value_sgd_step, copy_only, "No parameter changed")
    fails(bp.course.check_value_sgd_step, zeroes_grads, "changed the gradients")


def test_checks_report_errors_raised_inside_the_students_function():
    def broken(x):
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError) as info:
        bp.course.check_log1p_square_derivative(broken)
    assert any("raised inside your broken" in note for note in info.value.__notes__)


def test_check_helpers_are_exported():
    names = ["check_log1p_square_derivative", "check_reverse_products",
             "check_tanh_neuron_partials", "check_tanh_op", "check_topological_sort",
             "check_value_sgd_step"]
    assert all(callable(getattr(bp.course, n)) for n in names)
    assert np.isfinite(bp.chain.compose("log", bp.chain.affine(1, 1), "square").derivative(0.5))
