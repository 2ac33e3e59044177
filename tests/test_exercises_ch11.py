"""Chapter 11's derive, predict and debug exercises: the reference answers pass, the usual slips
fail with a message that names them."""

import numpy as np
import pytest

import bplib as bp
from bplib.course.checks import rnn as checks
from bplib.course.checks.rnn import gated_step_forward, rnn_forward


# ---------------------------------------------------------------- reference solutions
# notebooks/11_bptt.ipynb, exercises 4 to 6
def gated_step_backward(dh, cache):
    x, h_prev, W_xh, W_hh, candidate, gate = cache
    dz = dh * gate * (1 - candidate**2)
    return dz @ W_xh, dh * (1 - gate) + dz @ W_hh, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)


def rnn_backward(dhs, cache):
    x, h0, W_xh, W_hh, hs = cache
    dx, dh_next = np.zeros_like(x), np.zeros_like(h0)
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    for t in reversed(range(hs.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        dz = (dhs[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dx[:, t], dh_next = dz @ W_xh, dz @ W_hh
        dW_xh += dz.T @ x[:, t]
        dW_hh += dz.T @ h_prev
        db_h += dz.sum(axis=0)
    return dx, dh_next, dW_xh, dW_hh, db_h


def test_the_reference_solutions_pass(capsys):
    checks.check_gated_step_backward(gated_step_backward)
    checks.check_gradient_horizon(132)
    checks.check_rnn_backward(rnn_backward)
    out = capsys.readouterr().out
    assert out.count("\u2714") == 3, out


# ---------------------------------------------------------------- the helpers the exercises use
def test_gated_step_forward_mixes_the_old_state_and_the_tanh():
    x, h_prev = np.array([[1.0]]), np.array([[0.5]])
    W_xh, W_hh, b_h, gate = np.array([[0.2]]), np.array([[0.4]]), np.array([0.1]), np.array([0.25])
    h, cache = gated_step_forward(x, h_prev, W_xh, W_hh, b_h, gate)
    np.testing.assert_allclose(h, 0.75 * 0.5 + 0.25 * np.tanh(0.2 + 0.2 + 0.1))
    np.testing.assert_allclose(cache[4], np.tanh([[0.5]]))


def test_the_reference_gated_backward_passes_gradcheck():
    h, cache, _ = checks._gated_problem(41)
    x, h_prev, W_xh, W_hh, _, gate = cache
    b_h = np.random.default_rng(0).normal(size=W_hh.shape[0])
    report = bp.gradcheck.gradcheck((gated_step_forward, gated_step_backward), (x, h_prev, W_xh, W_hh, b_h, gate))
    assert report.ok and report.max_error < 1e-7


def test_rnn_forward_matches_bp_rnn():
    rnn = bp.RNN(2, 3, seed=4)
    x, h0 = np.random.default_rng(4).normal(size=(2, 4, 2)), np.zeros((2, 3))
    hs, _ = rnn_forward(x, h0, rnn.W_xh.data, rnn.W_hh.data, rnn.b_h.data)
    np.testing.assert_allclose(hs, rnn(x), atol=1e-12)


def test_the_reference_rnn_backward_passes_gradcheck_and_the_planted_bug_does_not():
    cache, _ = checks._debug_problem(61)
    x, h0, W_xh, W_hh, _ = cache
    b_h = np.zeros(W_hh.shape[0]) + 0.1
    inputs = (x, h0, W_xh, W_hh, b_h)
    assert bp.gradcheck.gradcheck((rnn_forward, rnn_backward), inputs).ok
    buggy = bp.gradcheck.gradcheck((rnn_forward, lambda d, c: checks._rnn_backward(d, c, overwrite=True)), inputs)
    assert not buggy.ok
    assert "input 0      rel. error" in repr(buggy) and "WRONG" in repr(buggy).split("input 2")[1]


def test_the_horizon_is_the_geometric_one():
    k = checks.gradient_horizon()
    assert checks.HORIZON_RHO == 0.95 and checks.HORIZON_LENGTH == 150     # off the explorer's grid
    assert 0 <= np.log(1000) / np.log(1 / 0.95) - k < 5          # tanh' <= 1: never slower than rho^k
    assert abs(checks.gradient_horizon(0.875, length=100) - np.log(1000) / np.log(1 / 0.875)) < 1.5
    with pytest.raises(ValueError, match="larger length"):
        checks.gradient_horizon(0.99, length=20)


# ---------------------------------------------------------------- exercise 4 (derive)
def gated_tanh_at_h(dh, cache):
    x, h_prev, W_xh, W_hh, candidate, gate = cache
    h = (1 - gate) * h_prev + gate * candidate
    dz = dh * gate * (1 - h**2)
    return dz @ W_xh, dh * (1 - gate) + dz @ W_hh, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)


def gated_no_gate_factor(dh, cache):
    x, h_prev, W_xh, W_hh, candidate, gate = cache
    dz = dh * (1 - candidate**2)
    return dz @ W_xh, dh * (1 - gate) + dz @ W_hh, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)


def gated_no_direct_path(dh, cache):
    dx, _, dW_xh, dW_hh, db_h = gated_step_backward(dh, cache)
    x, h_prev, W_xh, W_hh, candidate, gate = cache
    return dx, (dh * gate * (1 - candidate**2)) @ W_hh, dW_xh, dW_hh, db_h


def gated_direct_path_with_gate(dh, cache):
    dx, dh_prev, dW_xh, dW_hh, db_h = gated_step_backward(dh, cache)
    gate = cache[5]
    return dx, dh_prev - dh * (1 - gate) + dh * gate, dW_xh, dW_hh, db_h


def gated_direct_path_without_factor(dh, cache):
    dx, dh_prev, dW_xh, dW_hh, db_h = gated_step_backward(dh, cache)
    return dx, dh_prev - dh * (1 - cache[5]) + dh, dW_xh, dW_hh, db_h


def gated_transposed_dh_prev(dh, cache):
    dx, dh_prev, dW_xh, dW_hh, db_h = gated_step_backward(dh, cache)
    x, h_prev, W_xh, W_hh, candidate, gate = cache
    dz = dh * gate * (1 - candidate**2)
    return dx, dh * (1 - gate) + dz @ W_hh.T, dW_xh, dW_hh, db_h


def gated_swapped_gate_roles(dh, cache):
    x, h_prev, W_xh, W_hh, candidate, gate = cache
    dz = dh * (1 - gate) * (1 - candidate**2)
    return dz @ W_xh, dh * gate + dz @ W_hh, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)


@pytest.mark.parametrize("wrong, message", [
    (gated_tanh_at_h, r"tanh derivative was taken at h.*1 - candidate\*\*2"),
    (gated_no_gate_factor, "dz is missing the gate"),
    (gated_no_direct_path, "only the path through W_hh.*gradients of both paths add"),
    (gated_direct_path_with_gate, r"weighted by gate.*dh \* \(1 - gate\)"),
    (gated_direct_path_without_factor, r"forgets its factor"),
    (gated_transposed_dh_prev, r"dh_prev wrong at \[\d, \d\]: expected"),
    (gated_swapped_gate_roles, r"db_h is wrong. The roles of the gate are swapped"),
    (lambda dh, cache: gated_step_backward(dh, cache)[:4], "should return 5 values"),
    (lambda dh, cache: (*gated_step_backward(dh, cache)[:4], None), "db_h is None"),
])
def test_gated_step_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_gated_step_backward(wrong)


# ---------------------------------------------------------------- exercise 5 (predict)
@pytest.mark.parametrize("prediction", [115, 132, 132.0, np.float64(135), np.int64(150)])
def test_horizon_predictions_within_15_percent_pass(prediction, capsys):
    checks.check_gradient_horizon(prediction)
    assert "\u2714" in capsys.readouterr().out


@pytest.mark.parametrize("prediction, message", [
    (20, r"Too few steps.*geometrically.*A guess near 20, 1 / \(1 - rho\)"),  # the straight line
    (3, "Too few steps"),
    (1000, r"Too many steps.*ln\(1000\) / ln\(1/rho\).*only make the gradient fall faster"),
    (70, "more than 15% away"),
    (52, "more than 15% away"),                                  # the old exercise's rho = 0.875
    (None, "should be one number"),
    ("b", "should be one number"),
    (np.array([52, 53]), "should be one number"),
    (-5, "is positive"),
])
def test_wrong_horizon_predictions_explain_the_reasoning(prediction, message):
    with pytest.raises(AssertionError, match=message) as info:
        checks.check_gradient_horizon(prediction)
    assert "132" not in str(info.value) and "134" not in str(info.value)   # no answer given away
    if isinstance(prediction, int) and not 10 <= prediction <= 30:
        assert "straight-line answer" not in str(info.value)   # only for guesses near 1 / (1 - rho)


# ---------------------------------------------------------------- exercise 6 (debug)
def overwrite_bug(dhs, cache):          # the planted bug itself
    return checks._rnn_backward(dhs, cache, overwrite=True)


def zeros_inside_the_loop(dhs, cache):  # "fixed" with += but the totals restart every step
    x, h0, W_xh, W_hh, hs = cache
    dx, dh_next = np.zeros_like(x), np.zeros_like(h0)
    for t in reversed(range(hs.shape[1])):
        dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
        h_prev = hs[:, t - 1] if t > 0 else h0
        dz = (dhs[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dx[:, t], dh_next = dz @ W_xh, dz @ W_hh
        dW_xh += dz.T @ x[:, t]
        dW_hh += dz.T @ h_prev
        db_h += dz.sum(axis=0)
    return dx, dh_next, dW_xh, dW_hh, db_h


def mean_over_steps(dhs, cache):
    return checks._rnn_backward(dhs, cache, mean=True)


def plus_equals_everywhere(dhs, cache):
    return checks._rnn_backward(dhs, cache, carry_accumulates=True)


def h0_wraps_around(dhs, cache):        # hs[:, t - 1] at t = 0 is the LAST state
    x, h0, W_xh, W_hh, hs = cache
    dx, dh_next = np.zeros_like(x), np.zeros_like(h0)
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    for t in reversed(range(hs.shape[1])):
        dz = (dhs[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dx[:, t], dh_next = dz @ W_xh, dz @ W_hh
        dW_xh += dz.T @ x[:, t]
        dW_hh += dz.T @ hs[:, t - 1]
        db_h += dz.sum(axis=0)
    return dx, dh_next, dW_xh, dW_hh, db_h


@pytest.mark.parametrize("wrong, message", [
    (overwrite_bug, "those of step 1 only, the planted bug"),
    (zeros_inside_the_loop, "those of step 1 only"),
    (mean_over_steps, "mean over the steps, T times too small"),
    (plus_equals_everywhere, r"dh_next, is added up with \+="),
    (h0_wraps_around, r"dW_hh wrong at \[\d, \d\]"),
    (lambda dhs, cache: rnn_backward(dhs, cache)[:3], "should return 5 values"),
])
def test_rnn_backward_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_rnn_backward(wrong)


# ---------------------------------------------------------------- delegation to the library
@pytest.mark.parametrize("check, source, name", [
    ("check_gradient_horizon", "prediction = bp.course.checks.rnn.gradient_horizon()", "gradient_horizon"),
    ("check_gated_step_backward",
     "from bplib.course.checks.rnn import _gated_step_backward as gated_step_backward", "_gated_step_backward"),
    ("check_rnn_backward", "def rnn_backward(dhs, cache):\n    return bp.RNN(2, 3).backward(dhs)", "RNN"),
])
def test_solutions_that_hand_the_exercise_to_the_library_are_refused(check, source, name):
    from bplib.course.delegation import delegated
    assert delegated(check, source) in (name, "bplib.course", "bplib.course.checks.rnn")
    assert delegated(check, "prediction = 52\ndef rnn_backward(dhs, cache):\n    return dhs") is None


def test_the_derive_prompts_gradient_check_in_the_answer_cell_is_not_delegation():
    from bplib.course.delegation import delegated
    from bplib.course.exercises import read_notebook
    from bplib.course.release import repo_notebooks_dir

    prompt = next(c for c in read_notebook(repo_notebooks_dir() / "11_bptt.ipynb").cells
                  if c.cell_type == "markdown" and "def gated_step_backward" not in c.source
                  and "from bplib.course.checks.rnn import gated_step_forward" in c.source)
    snippet = prompt.source.split("```python")[1].split("```")[0]
    answer = ("def gated_step_backward(dh, cache):\n"
              "    x, h_prev, W_xh, W_hh, candidate, gate = cache\n"
              "    dz = dh * gate * (1 - candidate**2)\n"
              "    return dz @ W_xh, dh * (1 - gate) + dz @ W_hh, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)\n")
    assert delegated("check_gated_step_backward", answer + snippet, answers={"gated_step_backward"}) is None
    borrowing = ("from bplib.course.checks.rnn import _gated_step_backward\n"
                 "def gated_step_backward(dh, cache):\n    return _gated_step_backward(dh, cache)\n")
    assert delegated("check_gated_step_backward", borrowing, answers={"gated_step_backward"}) is not None
