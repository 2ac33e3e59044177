"""Exercises 4-6 of chapter 8 (automatic differentiation): the reference solutions pass, and the
slips students make (a missing chain-rule factor, an overflow, one path of a fork, = instead of
+=) fail with a message that names them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bplib.autodiff import Value, topological_order
from bplib.course import check_backward_pass, check_fork_prediction, check_logaddexp_op
from bplib.course.checks.autodiff import value_gradcheck
from bplib.course.delegation import delegated


# ---------------------------------------------------------------- reference solutions
# notebooks/08_automatic_differentiation.ipynb
def logaddexp_op(a, b):
    m = max(a.data, b.data)
    ea, eb = math.exp(a.data - m), math.exp(b.data - m)
    return Value.from_op(m + math.log(ea + eb), (a, b), (ea / (ea + eb), eb / (ea + eb)), "logaddexp")


PREDICTION = -1.837


def backward_pass(root):
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for inp, local in zip(node.inputs, node.local_grads):
            inp.grad += local * node.grad


def test_the_reference_solutions_pass(capsys):
    check_logaddexp_op(logaddexp_op)
    check_fork_prediction(PREDICTION)
    check_backward_pass(backward_pass)
    assert capsys.readouterr().out.count("\u2714") == 3


def test_the_prediction_is_the_sum_of_both_paths():
    w, x, b = Value(-0.5), Value(1.5), Value(0.1)
    loss = 0.5 * ((w * x + b).tanh() - 1.0) ** 2 + 0.25 * w**2
    loss.backward()
    assert abs(w.grad - PREDICTION) < 1e-3
    assert abs(w.grad - (-1.587057 + 0.5 * -0.5)) < 1e-6


# ---------------------------------------------------------------- exercise 4: logaddexp_op
def lse_with(local_of, stable=True):
    """A logaddexp_op whose local derivatives are local_of(a, b) (plain floats)."""
    def op(a, b):
        m = max(a.data, b.data) if stable else 0.0
        data = m + math.log(math.exp(a.data - m) + math.exp(b.data - m))
        return Value.from_op(data, (a, b), local_of(a.data, b.data), "logaddexp")
    return op


def naive_softmax(a, b):
    return math.exp(a) / (math.exp(a) + math.exp(b)), math.exp(b) / (math.exp(a) + math.exp(b))


@pytest.mark.parametrize("wrong, message", [
    (lse_with(lambda a, b: (math.exp(a), math.exp(b))), "derivative of ln u"),
    (lse_with(lambda a, b: (1 / (math.exp(a) + math.exp(b)),) * 2), "outer derivative of ln u alone"),
    (lse_with(lambda a, b: naive_softmax(b, a)), "swapped"),
    (lse_with(lambda a, b: (0.5, 0.5)), "right only where a = b"),
    (lse_with(lambda a, b: (math.exp(a - max(a, b)), math.exp(b - max(a, b)))),
     r"shifted derivatives of the inner sum only.*divides by that sum"),
    (lse_with(lambda a, b: tuple(-v for v in naive_softmax(a, b))), "opposite sign"),
    (lse_with(naive_softmax), r"raised OverflowError.*max\(a, b\)"),
    (lse_with(lambda a, b: logaddexp_op(Value(a), Value(b)).local_grads, stable=False),
     r"raised OverflowError.*Subtract m"),
])
def test_logaddexp_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_logaddexp_op(wrong)


def test_logaddexp_rejects_a_composite_graph_a_number_and_swapped_inputs():
    with pytest.raises(AssertionError, match=r"inputs must be \(a, b\)"):
        check_logaddexp_op(lambda a, b: (a.exp() + b.exp()).log())
    with pytest.raises(AssertionError, match="should return a Value"):
        check_logaddexp_op(lambda a, b: math.log(math.exp(a.data) + math.exp(b.data)))
    with pytest.raises(AssertionError, match=r"in that order"):
        check_logaddexp_op(lambda a, b: logaddexp_op(b, a))


def test_logaddexp_rejects_a_wrong_value():
    with pytest.raises(AssertionError, match=r"\.data is wrong"):
        check_logaddexp_op(lambda a, b: Value.from_op(max(a.data, b.data), (a, b),
                                                      logaddexp_op(a, b).local_grads, "max"))


def test_a_value_without_the_shift_back_is_named():
    def unshifted(a, b):
        m = max(a.data, b.data)
        return Value.from_op(math.log(math.exp(a.data - m) + math.exp(b.data - m)), (a, b),
                             logaddexp_op(a, b).local_grads, "logaddexp")

    with pytest.raises(AssertionError, match=r"add back m = max\(a, b\)"):
        check_logaddexp_op(unshifted)


def test_value_gradcheck_agrees_with_the_reference_and_flags_a_wrong_derivative():
    assert value_gradcheck(logaddexp_op, (0.3, -1.2)).ok
    wrong = lse_with(lambda a, b: (math.exp(a), math.exp(b)))
    report = value_gradcheck(wrong, (0.3, -1.2))
    assert not report.ok and report.errors["input 0"] > 1e-3


# ---------------------------------------------------------------- exercise 5: the fork prediction
@pytest.mark.parametrize("wrong, message", [
    (-1.587, "neuron alone"),                     # one path only
    (-0.25, "penalty's contribution alone"),      # the other path only
    (-1.337, "wrong sign"),                       # -1.587 + 0.25
    (-1.712, "wrong factor"),                     # (λ/2) w instead of λ w
    (-2.087, "wrong factor"),                     # 2 λ w
    (0.397, "multiplied"),                        # product of the paths
    (-3.0, "split L into its two terms"),
    ("b", "one number"),
])
def test_fork_prediction_explains_wrong_answers(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_fork_prediction(wrong)


def test_fork_prediction_does_not_give_the_answer_away():
    for wrong in (-1.587, -0.25, -1.337, -3.0):
        with pytest.raises(AssertionError) as info:
            check_fork_prediction(wrong)
        assert "1.837" not in str(info.value) and "1.84" not in str(info.value)


def test_fork_prediction_accepts_two_decimals_and_numpy_numbers(capsys):
    check_fork_prediction(-1.84)
    check_fork_prediction(np.float64(-1.83))
    assert capsys.readouterr().out.count("\u2714") == 2


# ---------------------------------------------------------------- exercise 6: backward_pass
def variant(*, assign=False, forward=False, reset=True, seed=True):
    def pass_(root):
        order = topological_order(root)
        if reset:
            for node in order:
                node.grad = 0.0
        if seed:
            root.grad = 1.0
        for node in (order if forward else reversed(order)):
            for inp, local in zip(node.inputs, node.local_grads):
                if assign:
                    inp.grad = local * node.grad
                else:
                    inp.grad += local * node.grad
    return pass_


def zero_after_seed(root):
    root.grad = 1.0
    variant(seed=False)(root)


def upstream_of_input(root):
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for inp, local in zip(node.inputs, node.local_grads):
            inp.grad += local * inp.grad


@pytest.mark.parametrize("wrong, message", [
    (variant(assign=True), r"x\.grad = 3\.0000, expected 7\.0000; the planted bug.*\+="),
    (variant(forward=True), r"reversed\(order\)"),
    (variant(seed=False), r"every gradient is 0: set root\.grad = 1\.0"),
    (zero_after_seed, r"root\.grad = 1\.0"),
    (variant(reset=False), r"second backward_pass.*Reset every node's grad"),
    (upstream_of_input, r"never left the root"),
])
def test_backward_pass_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_backward_pass(wrong)


def test_the_planted_bug_is_right_on_a_tree_and_wrong_at_a_fork():
    tree = variant(assign=True)
    w, x, b = Value(0.8), Value(-1.2), Value(0.3)
    tree((w * x + b).tanh())
    w2, x2, b2 = Value(0.8), Value(-1.2), Value(0.3)
    (w2 * x2 + b2).tanh().backward()
    assert (w.grad, x.grad, b.grad) == (w2.grad, x2.grad, b2.grad)
    report = value_gradcheck(lambda w, x, b: 0.5 * ((w * x + b).tanh() - 1.0) ** 2 + 0.25 * w**2,
                             (-0.5, 1.5, 0.1), backward=tree)
    assert report.errors["input 0"] > 1e-2 and report.errors["input 1"] < 1e-7


def test_solutions_that_delegate_to_the_library_are_refused():
    assert delegated("check_backward_pass", "def backward_pass(root):\n    root.backward()\n") == "backward"
    assert delegated("check_backward_pass", "def backward_pass(root):\n"
                     "    order = bp.autodiff.topological_order(root)\n") is None
    assert delegated("check_logaddexp_op", "from bplib.course.checks.autodiff import _logaddexp\n")


