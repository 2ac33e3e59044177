"""Exercises of chapter 3 (the chain rule): the reference solutions pass, realistic slips fail
with the message that names them."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bplib as bp
from bplib.course import check_fork_partials, check_sin_fork_backward, check_tanh_chain_prediction
from bplib.course.delegation import FORBIDDEN, delegated


# ---------------------------------------------------------------- reference solutions
# notebooks/03_chain_rule.ipynb, exercises 4-6
def fork_partials(x, w):
    u = w * x
    df_du = x * math.cos(u)
    df_dx = math.sin(u) + df_du * w
    df_dw = df_du * x
    return df_dx, df_dw


PREDICTION = 0.27


def sin_fork_backward(x, w):
    u = x * w
    f = np.sin(u) + x * x
    df_du = np.cos(u)
    df_dx = df_du * w + 2 * x
    df_dw = df_du * x
    return f, (df_dx, df_dw)


def sin_fork_backward_buggy(x, w):  # the notebook's planted bug: cos read at x, not at u
    u = x * w
    f = np.sin(u) + x * x
    df_du = np.cos(x)
    return f, (df_du * w + 2 * x, df_du * x)


def test_the_reference_solutions_pass(capsys):
    check_fork_partials(fork_partials)
    check_tanh_chain_prediction(PREDICTION)
    check_sin_fork_backward(sin_fork_backward)
    out = capsys.readouterr().out
    assert out.count("\u2714") == 3
    assert "0.2726" in out


def test_the_reference_solutions_agree_with_central_differences():
    for x, w in [(1.5, -2.0), (0.7, 0.9)]:
        numeric = (bp.chain.central_difference(lambda v, w=w: v * math.sin(w * v), x),
                   bp.chain.central_difference(lambda v, x=x: x * math.sin(v * x), w))
        np.testing.assert_allclose(fork_partials(x, w), numeric, rtol=1e-7)
    report = bp.gradcheck.gradcheck(sin_fork_backward, (np.array(1.5), np.array(-2.0)))
    assert report.ok


def test_the_planted_bug_is_caught_by_gradcheck():
    report = bp.gradcheck.gradcheck(sin_fork_backward_buggy, (np.array(1.5), np.array(-2.0)))
    assert not report.ok


# ---------------------------------------------------------------- exercise 4 (derive)
@pytest.mark.parametrize("wrong, message", [
    (lambda x, w: (math.sin(w * x), x * x * math.cos(w * x)), "only the path through the outer multiply"),
    (lambda x, w: (x * w * math.cos(w * x), x * x * math.cos(w * x)), "only the path through u = w x"),
    (lambda x, w: (math.sin(w * x) + x * math.cos(w * x), x * x * math.cos(w * x)), "inner derivative"),
    (lambda x, w: (math.sin(w * x) + x * w * math.cos(x), x * x * math.cos(x)), "evaluated at x"),
    (lambda x, w: (fork_partials(x, w)[0], x * math.cos(w * x)), "lacks a factor x"),
    (lambda x, w: fork_partials(x, w)[::-1], "swapped"),
    (lambda x, w: (math.sin(w * x) + w * math.cos(w * x), x * math.cos(w * x)),
     r"both wrong\. The outer gate's factor x is missing from df/du: .*df/du = x·cos u"),
    (lambda x, w: fork_partials(x, w)[0], "2 values as a tuple"),
])
def test_fork_partials_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_fork_partials(wrong)


def test_fork_partials_names_where_an_unknown_slip_is_wrong():
    with pytest.raises(AssertionError, match=r"∂f/∂x at x = 1.5, w = -2.0 is wrong: expected"):
        check_fork_partials(lambda x, w: (fork_partials(x, w)[0] + 0.3, fork_partials(x, w)[1]))


# ---------------------------------------------------------------- exercise 5 (predict)
@pytest.mark.parametrize("value", [0.25, 0.27, 0.29, 0.2726])
def test_tanh_chain_prediction_accepts_within_ten_percent(value, capsys):
    check_tanh_chain_prediction(value)
    assert capsys.readouterr().out.startswith("\u2714")


@pytest.mark.parametrize("wrong, message", [
    (1.0, "below 1"),                       # "tanh' is close to 1, so nothing shrinks"
    (6.9e-6, "sigmoid's kind of shrinking"),  # the sigmoid chain's number
    (0.7864 ** 8, "first stage's slope"),   # one slope used eight times
    (-0.27, "positive"),
    (0.05, "too small"),
    (0.6, "too large"),
    ("0.27", "plain number"),
])
def test_tanh_chain_prediction_explains_a_wrong_guess(wrong, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_tanh_chain_prediction(wrong)
    assert "0.2726" not in str(info.value)  # the reasoning, not the answer


# ---------------------------------------------------------------- exercise 6 (debug)
def test_sin_fork_backward_rejects_the_planted_bug():
    with pytest.raises(AssertionError, match="still use cos\\(x\\), the planted bug"):
        check_sin_fork_backward(sin_fork_backward_buggy)


@pytest.mark.parametrize("wrong, message", [
    (lambda x, w: (np.sin(x * w) + x * x, (w * np.cos(x * w), x * np.cos(x * w))), "lost the path through x²"),
    (lambda x, w: (np.sin(x * w) + x * x, (x * np.cos(x * w) + 2 * x, w * np.cos(x * w))), "swapped"),
    (lambda x, w: (np.sin(x * w), sin_fork_backward(x, w)[1]), r"f at x = 1.5, w = -2.0 is wrong"),
    (lambda x, w: sin_fork_backward(x, w)[1], r"second item should be a tuple"),
    (lambda x, w: (np.sin(x * w) + x * x, (w * np.cos(x * w) + 2 * x, -x * np.cos(x * w))), "opposite sign"),
    (lambda x, w: (np.sin(x * w) + x * x, (-w * np.cos(x * w) + 2 * x, -x * np.cos(x * w))),
     r"use -cos\(u\): the derivative of sin u is \+cos u"),
    (lambda x, w: (np.sin(x * w) + x * x, (w * np.cos(x * w) + x, x * np.cos(x * w))),
     r"d\(x²\)/dx = 2x, so add 2x"),
])
def test_sin_fork_backward_names_other_wrong_fixes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_sin_fork_backward(wrong)


# ---------------------------------------------------------------- delegation
def test_handing_the_exercises_to_bplib_is_refused():
    assert delegated("check_fork_partials", "import bplib as bp\ng = bp.Value(1.0) * 2") == "Value"
    assert delegated("check_tanh_chain_prediction",
                     "prediction = bp.chain.compose(*['tanh'] * 8).derivative(0.5)") in ("compose", "derivative")
    assert delegated("check_sin_fork_backward", "def sin_fork_backward(x, w):\n    return np.cos(x * w)") is None
    assert {"check_fork_partials", "check_tanh_chain_prediction", "check_sin_fork_backward"} <= set(FORBIDDEN)


# ---------------------------------------------------------------- exercises 2 and 3: named slips
def test_reverse_products_off_by_one_and_trailing_one_are_named():
    from bplib.course import check_reverse_products

    def off_by_one(local):
        return [math.prod(local[k + 1:]) for k in range(len(local))]

    def trailing_one(local):
        return [math.prod(local[k:]) for k in range(len(local))] + [1.0]

    with pytest.raises(AssertionError, match=r"Off by one.*position k includes local\[k\]"):
        check_reverse_products(off_by_one)
    with pytest.raises(AssertionError, match=r"drop the trailing dy/dy = 1"):
        check_reverse_products(trailing_one)


def test_swapped_tanh_neuron_partials_are_named():
    from bplib.course import check_tanh_neuron_partials

    def swapped(w, b, x, y):
        a = math.tanh(w * x + b)
        delta = (a - y) * (1 - a * a)
        return delta, delta * x

    with pytest.raises(AssertionError, match=r"are swapped: return \(dL_dw, dL_db\)"):
        check_tanh_neuron_partials(swapped)
