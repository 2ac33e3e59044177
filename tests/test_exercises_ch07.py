"""Exercises of chapter 7 (exploding gradients): the reference answers pass, the usual slips fail
with a message that names them."""

import numpy as np
import pytest

import bplib as bp
from bplib.course.checks import vanishing as checks
from bplib.course.checks.vanishing import clip_rows_forward


# ---------------------------------------------------------------- reference solutions
# notebooks/07_exploding_gradients.ipynb
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    scale = min(1.0, max_norm / total)
    return [g * scale for g in grads]


def clip_by_value(grads, c):
    return [np.clip(g, -c, c) for g in grads]


def l2_penalty(weights, weight_decay):
    value = 0.5 * weight_decay * sum(np.sum(w ** 2) for w in weights)
    return value, [weight_decay * w for w in weights]


def clip_rows_backward(dout, cache):
    x, c = cache
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    along = x * np.sum(x * dout, axis=1, keepdims=True) / norm**2
    return np.where(norm > c, c / norm * (dout - along), dout)


CLIPPED_NORM_PREDICTION = 0.1 * np.sqrt(4321)


def test_the_reference_solutions_pass(capsys):
    checks.check_clip_by_global_norm(clip_by_global_norm)
    checks.check_clip_by_value(clip_by_value)
    checks.check_l2_penalty(l2_penalty)
    checks.check_clip_rows_backward(clip_rows_backward)
    checks.check_value_clip_norm_prediction(CLIPPED_NORM_PREDICTION)
    assert capsys.readouterr().out.count("\u2714") == 5


def test_a_dx_wrapped_in_a_tuple_is_named():
    with pytest.raises(AssertionError, match="return the array itself, not a tuple"):
        checks.check_clip_rows_backward(lambda dout, cache: (clip_rows_backward(dout, cache),))


def test_scaling_a_small_gradient_up_is_named():
    def no_min(grads, max_norm):
        total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        return [g * max_norm / total for g in grads]

    with pytest.raises(AssertionError, match="below the threshold must pass unchanged.*min\\(1, max_norm"):
        checks.check_clip_by_global_norm(no_min)


def test_the_suggested_self_test_catches_the_every_row_slip():
    x = np.random.default_rng(5).normal(0.0, 1.2, size=(6, 3))
    norms = np.linalg.norm(x, axis=1)
    assert (norms > 2.0).sum() == 3 and (norms <= 2.0).sum() == 3

    def every_row(dout, cache):
        x, c = cache
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        return c / norm * (dout - x * np.sum(x * dout, axis=1, keepdims=True) / norm**2)

    report = bp.gradcheck.gradcheck((lambda x: clip_rows_forward(x, 2.0), every_row), x)
    assert max(report.errors.values()) > 1e-3


def test_clip_rows_forward_clips_only_the_long_rows():
    x = np.array([[3.0, 4.0], [0.3, 0.4]])
    out, cache = clip_rows_forward(x, 1.0)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.3, 0.4]])
    assert cache[0] is x and cache[1] == 1.0


def test_the_clip_rows_reference_agrees_with_finite_differences():
    x = np.random.default_rng(8).normal(0.0, 1.2, size=(6, 3))
    report = bp.gradcheck.gradcheck((lambda x: clip_rows_forward(x, 1.0), clip_rows_backward), x, seed=1)
    assert report.errors["input 0"] < 1e-7


# ---------------------------------------------------------------- debug: the L2 penalty
def planted_bug(weights, weight_decay):
    value = 0.5 * weight_decay * sum(np.sum(w ** 2) for w in weights)
    return value, [2 * weight_decay * w for w in weights]


@pytest.mark.parametrize("wrong, message", [
    (planted_bug, "still 2 times λ·W, the planted bug"),
    (lambda ws, lam: (lam * sum(np.sum(w ** 2) for w in ws), [2 * lam * w for w in ws]),
     "gradcheck passes, but for the penalty λ·Σ‖W‖², twice"),
    (lambda ws, lam: (0.5 * lam * sum(np.sum(w ** 2) for w in ws), [0.5 * lam * w for w in ws]),
     "0.5 times λ·W: you halved the gradient"),
    (lambda ws, lam: (0.5 * lam * sum(np.sum(w ** 2) for w in ws), [-lam * w for w in ws]),
     "opposite sign"),
    (lambda ws, lam: (lam * sum(np.sum(w ** 2) for w in ws), [lam * w for w in ws]),
     "penalty value is wrong.*2 times"),
])
def test_l2_penalty_debug_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_l2_penalty(wrong)


def test_the_planted_l2_bug_is_what_gradcheck_catches():
    rng = np.random.default_rng(4)
    W1, W2 = rng.normal(size=(3, 2)), rng.normal(size=(2,))

    def penalty_of(W1, W2):
        value, grads = planted_bug([W1, W2], 0.1)
        return value, tuple(grads)

    report = bp.gradcheck.gradcheck(penalty_of, (W1, W2))
    assert report.errors["input 0"] > 0.3 and report.errors["input 1"] > 0.3


# ---------------------------------------------------------------- derive: clipping rows by norm
def scale_only(dout, cache):
    x, c = cache
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norm > c, c / norm * dout, dout)


def every_row(dout, cache):
    x, c = cache
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return c / norm * (dout - x * np.sum(x * dout, axis=1, keepdims=True) / norm**2)


def plus_radial(dout, cache):
    x, c = cache
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norm > c, c / norm * (dout + x * np.sum(x * dout, axis=1, keepdims=True) / norm**2), dout)


def no_scale(dout, cache):
    x, c = cache
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norm > c, dout - x * np.sum(x * dout, axis=1, keepdims=True) / norm**2, dout)


def radial_over_the_whole_batch(dout, cache):
    x, c = cache
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norm > c, c / norm * (dout - x * np.sum(x * dout) / norm**2), dout)


@pytest.mark.parametrize("wrong, message", [
    (scale_only, "treats the scale as a constant"),
    (lambda dout, cache: dout, "dx = dout everywhere"),
    (every_row, "applied the clipped formula to every row"),
    (plus_radial, "wrong sign"),
    (no_scale, "lack the factor c/\\|\\|x\\|\\|"),
    (radial_over_the_whole_batch, r"dx \(c = 1\) wrong at \[1, 0\]: expected"),
    (lambda dout, cache: dout.T, "shape .*transposed"),
    (lambda dout, cache: (dout, dout), "dx .*should be a number or an array|shape"),
])
def test_clip_rows_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_clip_rows_backward(wrong)


def test_clip_rows_feedback_names_the_row_and_whether_it_was_clipped():
    with pytest.raises(AssertionError, match=r"row \d \(\|\|x\|\| = [\d.]+, c = 1, clipped\)"):
        checks.check_clip_rows_backward(scale_only)


# ---------------------------------------------------------------- predict: value clipping's norm
@pytest.mark.parametrize("guess, message", [
    (0.1, "what clipping by norm at c gives"),
    (6.6e7, "does not stay where it was"),
    (432.0, "adds up the sizes"),
    (43.2, "sum of the squares; the norm is its square root"),
    (1.0, "too small"),
    (30.0, "too large"),
])
def test_clipped_norm_prediction_slips_are_explained_without_the_answer(guess, message):
    with pytest.raises(AssertionError, match=message) as info:
        checks.check_value_clip_norm_prediction(guess)
    assert "6.5" not in str(info.value) and "6.6" not in str(info.value).replace("6.6e+07", "")


@pytest.mark.parametrize("not_a_number", [lambda: 6.6, "6.6", None, np.ones(2), float("nan")])
def test_clipped_norm_prediction_wants_one_number(not_a_number):
    with pytest.raises(AssertionError, match="should be (one|a finite) number"):
        checks.check_value_clip_norm_prediction(not_a_number)
