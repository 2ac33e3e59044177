"""Chapter 9's exercises (notebooks/09_history.ipynb): the reference answers pass, the realistic
wrong ones fail with a message naming where they are wrong and the likely cause."""

from __future__ import annotations

import re

import numpy as np
import pytest

import bplib as bp
from bplib.course import delegation
from bplib.course.checks import optim as checks
from bplib.course.exercises import exercises, read_notebook
from bplib.course.release import repo_notebooks_dir
from bplib.history import network_1986


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- reference answers (the notebook's)
def tanh_linear_deltas(a1, y_hat, y, W2):
    delta2 = y_hat - y
    delta1 = (delta2 @ W2) * (1 - a1**2)
    return delta2, delta1


def loss_and_grads_1986(W1, b1, W2, b2, x, y):
    a1 = _sigmoid(x @ W1.T + b1)
    y_hat = _sigmoid(a1 @ W2.T + b2)
    L = 0.5 * np.sum((y_hat - y) ** 2)
    delta2 = (y_hat - y) * y_hat * (1 - y_hat)
    delta1 = (delta2 @ W2) * a1 * (1 - a1)
    return L, (delta1.T @ x, delta1.sum(axis=0), delta2.T @ a1, delta2.sum(axis=0))


def test_the_reference_answers_pass(capsys):
    checks.check_tanh_linear_deltas(tanh_linear_deltas)
    checks.check_momentum_prediction(10.0)
    checks.check_loss_and_grads_1986(loss_and_grads_1986)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and all(line.startswith("\u2714") for line in out), out


def test_the_references_agree_with_finite_differences():
    rng = np.random.default_rng(3)
    z1, W2, b2 = rng.normal(size=(4, 3)), rng.normal(size=(1, 3)), rng.normal(size=1)
    y = rng.integers(0, 2, size=(4, 1)).astype(float)
    loss = lambda: 0.5 * np.sum((np.tanh(z1) @ W2.T + b2 - y) ** 2)  # noqa: E731
    a1 = np.tanh(z1)
    delta2, delta1 = tanh_linear_deltas(a1, a1 @ W2.T + b2, y, W2)
    assert bp.gradcheck.rel_error(delta1, bp.gradcheck.numerical_gradient(loss, z1)) < 1e-7
    z2 = a1 @ W2.T + b2
    assert bp.gradcheck.rel_error(delta2, bp.gradcheck.numerical_gradient(
        lambda: 0.5 * np.sum((z2 - y) ** 2), z2)) < 1e-7

    W1, b1 = rng.normal(size=(2, 6)), rng.normal(size=2)
    W2, b2 = rng.normal(scale=2.0, size=(1, 2)), rng.normal(size=1)
    x, y = rng.integers(0, 2, size=(10, 6)).astype(float), rng.integers(0, 2, size=(10, 1)).astype(float)
    assert bp.gradcheck.gradcheck(loss_and_grads_1986, (W1, b1, W2, b2, x, y)).ok


def test_the_predicted_factor_is_what_bplibs_sgd_does():
    w = bp.Parameter(np.zeros(1))
    sgd = bp.optim.SGD([w], lr=0.1, momentum=0.9)
    for _ in range(100):
        before = w.data.copy()
        w.grad[...] = 1.0
        sgd.step()
    assert np.isclose((w.data - before)[0] / -0.1, checks._momentum_factor())
    assert abs(checks._momentum_factor() - 10.0) < 1e-3


# ---------------------------------------------------------------- exercise 4 (derive)
@pytest.mark.parametrize("answer, message", [
    (lambda a1, y_hat, y, W2: ((y_hat - y) * y_hat * (1 - y_hat),
                               ((y_hat - y) * y_hat * (1 - y_hat)) @ W2 * (1 - a1**2)),
     r"delta2 wrong at \[0, 0\].*sigmoid's slope ŷ\(1 - ŷ\).*linear output"),
    (lambda a1, y_hat, y, W2: (y_hat - y, ((y_hat - y) @ W2) * a1 * (1 - a1)),
     r"delta1 wrong at \[\d, \d\].*sigmoid's slope a\(1 - a\).*1 - a²"),
    (lambda a1, y_hat, y, W2: (y_hat - y, ((y_hat - y) @ W2) * (1 - a1)),
     r"delta1 wrong.*hidden slope is 1 - a;"),
    (lambda a1, y_hat, y, W2: (y_hat - y, (y_hat - y) * (1 - a1**2)),
     r"delta1 wrong.*never goes through the outgoing weights W\^\[2\]"),
    (lambda a1, y_hat, y, W2: (y_hat - y, (y_hat - y) @ W2),
     r"delta1 wrong.*slope of the hidden tanh units is missing"),
    (lambda a1, y_hat, y, W2: (y - y_hat, ((y - y_hat) @ W2) * (1 - a1**2)),
     r"delta2 wrong.*sign is flipped"),
    (lambda a1, y_hat, y, W2: ((y_hat - y) * (1 - y_hat**2), ((y_hat - y) * (1 - y_hat**2)) @ W2 * (1 - a1**2)),
     r"tanh's slope 1 - ŷ².*output unit is linear"),
    (lambda a1, y_hat, y, W2: tuple(d / len(a1) for d in tanh_linear_deltas(a1, y_hat, y, W2)),
     r"delta2 wrong at \[0, 0\].*1/5 of the expected.*sum over the patterns, not a mean"),
    (lambda a1, y_hat, y, W2: (y_hat - y, (((y_hat - y) @ W2) * (1 - a1**2)).sum(axis=0)),
     r"delta1 has shape \(3,\), expected \(5, 3\).*sum over the batch"),
    (lambda a1, y_hat, y, W2: (y_hat - y,),
     r"tanh_linear_deltas should return 2 values"),
    (lambda a1, y_hat, y, W2: (y_hat - y, ((y_hat - y) @ W2) * (1 - np.tanh(a1) ** 2)),
     r"delta1 wrong.*tanh is applied again.*not 1 - tanh\(a1\)²"),
    (lambda a1, y_hat, y, W2: (y_hat - y, ((y_hat - y) @ W2) * (1 + a1**2)),
     r"delta1 wrong.*not 1 \+ a²"),
])
def test_tanh_linear_deltas_slips_are_named(answer, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_tanh_linear_deltas(answer)


def test_tanh_linear_deltas_unknown_slip_still_says_where():
    def off_by_a_bit(a1, y_hat, y, W2):
        delta2, delta1 = tanh_linear_deltas(a1, y_hat, y, W2)
        delta1 = delta1.copy()
        delta1[2, 1] += 0.5
        return delta2, delta1

    with pytest.raises(AssertionError, match=r"delta1 \(case 1\) wrong at \[2, 1\]"):
        checks.check_tanh_linear_deltas(off_by_a_bit)


# ---------------------------------------------------------------- exercise 5 (predict)
@pytest.mark.parametrize("prediction", [10, 10.0, 9.6, 10.4, np.float64(9.99973), np.array(10.0)])
def test_momentum_prediction_accepts_within_five_percent(prediction, capsys):
    checks.check_momentum_prediction(prediction)
    assert capsys.readouterr().out.startswith("\u2714")


@pytest.mark.parametrize("prediction, message", [
    (1.0, r"c = 1 is plain gradient descent.*geometric series"),
    (0.9, r"μ does not shrink the current step.*at least 1"),
    (1.9, r"c = 1 \+ μ is the second sweep"),
    (100.0, r"do not add up at full size.*μ\^k"),
    (5.0, r"grows for longer than that"),
    (9.0, r"not within 5%.*μ/\(1 - μ\) = 9.*without the current sweep's own -η g"),
    (9.2, r"without the current sweep's own -η g"),
    (10.9, r"do not add up at full size"),
    (-10.0, r"c is positive"),
    ("10", r"should be one number"),
    (np.array([10.0]), r"should be one number"),
    (float("inf"), r"stay finite"),
])
def test_momentum_prediction_wrong_answers_get_the_reasoning(prediction, message):
    with pytest.raises(AssertionError, match=message) as info:
        checks.check_momentum_prediction(prediction)
    assert "10.0" not in str(info.value) and "9.99" not in str(info.value)   # no answer handed over


# ---------------------------------------------------------------- exercise 6 (debug)
def _with_hidden(delta1_of):
    """loss_and_grads_1986 with the line computing delta1 replaced."""
    def answer(W1, b1, W2, b2, x, y):
        a1 = _sigmoid(x @ W1.T + b1)
        y_hat = _sigmoid(a1 @ W2.T + b2)
        delta2 = (y_hat - y) * y_hat * (1 - y_hat)
        delta1 = delta1_of(delta2, W2, a1, y_hat)
        return 0.5 * np.sum((y_hat - y) ** 2), (delta1.T @ x, delta1.sum(axis=0), delta2.T @ a1,
                                                delta2.sum(axis=0))
    return answer


def test_the_notebooks_buggy_function_is_the_planted_bug_the_check_names():
    buggy = _with_hidden(lambda d2, W2, a1, y_hat: (d2 @ W2) * y_hat * (1 - y_hat))
    with pytest.raises(AssertionError, match=r"dW1 wrong at \[\d, \d\].*wrong: dW1, db1\).*still the "
                                             r"planted bug.*a\^\[1\]\(1 - a\^\[1\]\)"):
        checks.check_loss_and_grads_1986(buggy)
    weights = tuple(p.data.copy() for p in network_1986(seed=1).parameters())
    x, labels = bp.data.symmetry_1986()
    report = bp.gradcheck.gradcheck(buggy, (*weights, x, labels[:, None].astype(float)))
    assert not report.ok and report.errors["input 2"] < 1e-7 and report.errors["input 0"] > 1e-3


@pytest.mark.parametrize("delta1_of, message", [
    (lambda d2, W2, a1, y_hat: (d2 @ W2) * a1 * (1 - a1) * y_hat * (1 - y_hat), r"multiplies by both slopes"),
    (lambda d2, W2, a1, y_hat: d2 * a1 * (1 - a1), r"never goes through the outgoing weights W\^\[2\]"),
    (lambda d2, W2, a1, y_hat: d2 @ W2, r"lost the hidden slope"),
    (lambda d2, W2, a1, y_hat: (d2 @ W2) * _sigmoid(a1) * (1 - _sigmoid(a1)), r"sigmoid is applied again"),
])
def test_loss_and_grads_1986_wrong_fixes_are_named(delta1_of, message):
    with pytest.raises(AssertionError, match=r"dW1 wrong at .*wrong: dW1, db1\)\. Likely cause: .*" + message):
        checks.check_loss_and_grads_1986(_with_hidden(delta1_of))


def test_loss_and_grads_1986_other_slips():
    def mean_loss(*args):
        L, grads = loss_and_grads_1986(*args)
        return L / 16, grads

    def mean_all(*args):
        L, grads = loss_and_grads_1986(*args)
        return L, tuple(g / 16 for g in grads)

    def transposed_dW1(*args):
        L, (dW1, db1, dW2, db2) = loss_and_grads_1986(*args)
        return L, (dW1.T, db1, dW2, db2)

    def flat(*args):
        L, grads = loss_and_grads_1986(*args)
        return (L, *grads)

    with pytest.raises(AssertionError, match="L is the mean over the 16 patterns"):
        checks.check_loss_and_grads_1986(mean_loss)
    with pytest.raises(AssertionError, match=r"1/16 of the expected one.*sums over the patterns"):
        checks.check_loss_and_grads_1986(mean_all)
    with pytest.raises(AssertionError, match=r"dW1 has shape \(6, 2\), expected \(2, 6\).*transposed"):
        checks.check_loss_and_grads_1986(transposed_dW1)
    with pytest.raises(AssertionError, match=r"should return 2 values as a tuple, got a tuple of length 5"):
        checks.check_loss_and_grads_1986(flat)


# ---------------------------------------------------------------- the chapter's exercise list
def test_chapter_9_has_the_kinds_points_and_checks_it_promises():
    found = exercises(read_notebook(repo_notebooks_dir() / "09_history.ipynb"))
    table = [(re.match(r"Exercise (\d+) \(([\w-]+)\)", e.title).groups(), e.points, e.check, e.grade_id)
             for e in found]
    assert table == [
        (("1", "warm-up"), 1, "check_momentum_delta", "ch09-ex1-check"),
        (("2", "warm-up"), 1, "check_sum_squared_error", "ch09-ex2-check"),
        (("3", "warm-up"), 1, "check_backprop_deltas", "ch09-ex3-check"),
        (("4", "derive"), 3, "check_tanh_linear_deltas", "ch09-ex4-check"),
        (("5", "predict"), 2, "check_momentum_prediction", "ch09-ex5-check"),
        (("6", "debug"), 3, "check_loss_and_grads_1986", "ch09-ex6-check"),
    ]
    assert all(e.check in delegation.FORBIDDEN for e in found)


def test_delegating_the_debug_exercise_to_the_library_is_refused():
    source = ("def loss_and_grads_1986(W1, b1, W2, b2, x, y):\n"
              "    net = bp.history.network_1986()\n"
              "    return bp.curvature.gradient(net, None, x, y)\n")
    assert delegation.delegated("check_loss_and_grads_1986", source) in ("network_1986", "gradient")
    assert delegation.delegated("check_tanh_linear_deltas",
                                "def f(a1, y_hat, y, W2):\n    return bp.functional.tanh_backward(y, a1)\n") \
        == "tanh_backward"


def test_loss_and_grads_1986_accepts_a_size_one_loss(capsys):
    def keepdims_loss(W1, b1, W2, b2, x, y):
        L, grads = loss_and_grads_1986(W1, b1, W2, b2, x, y)
        return np.array([L]), grads          # e.g. 0.5 * ((y_hat - y) ** 2).sum(axis=0)

    checks.check_loss_and_grads_1986(keepdims_loss)
    out = capsys.readouterr().out
    assert out.startswith("\u2714") and "U(-0.3, 0.3)" in out and "0.25" in out


def test_the_chapter_9_derive_snippet_in_the_answer_cell_is_not_delegation():
    prompt = next(c for c in read_notebook(repo_notebooks_dir() / "09_history.ipynb").cells
                  if c.cell_type == "markdown" and "tanh_linear_deltas(a1_t" in c.source)
    snippet = prompt.source.split("```python")[1].split("```")[0]
    source = ("def tanh_linear_deltas(a1, y_hat, y, W2):\n"
              "    delta2 = y_hat - y\n    return delta2, (delta2 @ W2) * (1 - a1**2)\n")
    assert delegation.delegated("check_tanh_linear_deltas", source + snippet,
                                answers={"tanh_linear_deltas"}) is None
