"""Exercises of chapter 2 (training loop): the reference solutions pass, the usual slips are named."""

import numpy as np
import pytest

import bplib as bp
from bplib.course import check_cross_entropy, check_huber_loss, check_largest_stable_lr
from bplib.course.checks.optim import QUADRATIC_CURVATURES
from bplib.optim import QUADRATIC, optimizer_path


# ---------------------------------------------------------------- reference solutions
# notebooks/02_training_loop.ipynb, exercises 4, 5 and 6
def huber_loss(pred, y):
    diff = pred - y
    small = np.abs(diff) <= 1.0
    loss = np.mean(np.where(small, 0.5 * diff**2, np.abs(diff) - 0.5))
    return loss, np.where(small, diff, np.sign(diff)) / len(diff)


PREDICTION = 1.0


def cross_entropy(logits, labels):
    p = bp.functional.softmax(logits)
    y_onehot = np.eye(logits.shape[1])[labels]
    loss = -np.mean(np.log(p[np.arange(len(labels)), labels]))
    return loss, (p - y_onehot) / len(labels)


def test_the_reference_solutions_pass(capsys):
    check_huber_loss(huber_loss)
    check_largest_stable_lr(PREDICTION)
    check_cross_entropy(cross_entropy)
    out = capsys.readouterr().out
    assert out.count("\u2714") == 3 and out.count("\n") == 3


def rejects(check, answer, match, capsys):
    with pytest.raises(AssertionError, match=match):
        check(answer)
    assert "\u2714" not in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 4 (derive)
def test_the_huber_reference_agrees_with_finite_differences_on_both_branches():
    pred, y = np.array([0.3, 2.0, -1.7, 0.9, -0.2]), np.array([0.0, 0.1, 0.4, 2.5, -0.5])
    report = bp.gradcheck.gradcheck(huber_loss, (pred, y))
    assert report.ok and report.max_error < 1e-7
    loss, dpred = huber_loss(pred, y)
    assert np.isclose(loss, (0.045 + 1.4 + 1.6 + 1.1 + 0.045) / 5)
    np.testing.assert_allclose(dpred, np.array([0.3, 1.0, -1.0, -1.0, 0.3]) / 5)


def _hub(pred, y, slope):
    return huber_loss(pred, y)[0], slope(pred - y) / len(pred)


@pytest.mark.parametrize("wrong, message", [
    (lambda p, y: (huber_loss(p, y)[0], huber_loss(p, y)[1] * len(p)), r"N times too large.*1/N"),
    (lambda p, y: _hub(p, y, lambda d: d), r"kept the quadratic branch's slope"),
    (lambda p, y: _hub(p, y, np.sign), r"used the linear branch's slope ±1"),
    (lambda p, y: _hub(p, y, lambda d: np.where(d <= 1.0, d, 1.0)), r"chosen by ŷ - y > 1 rather than \|ŷ - y\| > 1"),
    (lambda p, y: _hub(p, y, lambda d: -np.where(np.abs(d) <= 1, d, np.sign(d))), "opposite sign"),
    (lambda p, y: _hub(p, y, lambda d: np.where(np.abs(d) <= 1, 2 * d, np.sign(d))), "extra factor 2"),
    (lambda p, y: _hub(p, y, lambda d: np.where(np.abs(d) <= 1, d, 1.0)), r"d\|u\|/du = sign\(u\), so it is -1"),
])
def test_huber_slips_are_named_with_the_entry(wrong, message, capsys):
    rejects(check_huber_loss, wrong, r"dL/dŷ \(case 1\) wrong at \[\d\] \(ŷ - y = [-+]\d\.\d\d\): expected "
            r"-?\d\.\d+, got -?\d\.\d+\. Likely cause: .*" + message, capsys)


def test_a_summed_huber_loss_is_named(capsys):
    rejects(check_huber_loss, lambda p, y: (huber_loss(p, y)[0] * len(p), huber_loss(p, y)[1]),
            "is the sum of the examples' losses", capsys)


def test_per_example_huber_losses_are_told_to_take_the_mean(capsys):
    def per_example(p, y):
        d = p - y
        return np.where(np.abs(d) <= 1, 0.5 * d**2, np.abs(d) - 0.5), huber_loss(p, y)[1]

    with pytest.raises(AssertionError, match=r"has shape \(8,\), one loss per example.*take the mean") as info:
        check_huber_loss(per_example)
    assert "sum over the batch" not in str(info.value)
    capsys.readouterr()


def test_a_huber_gradient_of_the_wrong_shape_is_reported(capsys):
    rejects(check_huber_loss, lambda p, y: (huber_loss(p, y)[0], huber_loss(p, y)[1][:, None]),
            r"has shape \(8, 1\), expected \(8,\)", capsys)


# ---------------------------------------------------------------- exercise 5 (predict)
def test_the_stable_limit_is_two_over_the_steep_curvature():
    assert QUADRATIC_CURVATURES == (0.1, 2.0)
    point = np.array([1.0, 1.0])
    np.testing.assert_allclose(QUADRATIC.grad(point), QUADRATIC_CURVATURES)

    def final_w2(lr):
        path = optimizer_path(QUADRATIC, lambda ps: bp.optim.SGD(ps, lr=lr), steps=200)
        return len(path), abs(path[-1, 1])

    assert final_w2(0.98)[1] < 1e-1 and final_w2(1.02)[1] > 2.0
    assert np.isclose(final_w2(1.0)[1], 2.0)


@pytest.mark.parametrize("guess, message", [
    (20.0, "that limit comes from the flat direction"),
    (10.0, "that limit comes from the flat direction"),
    (1.9, "no average curvature"),
    (0.5, "still converges at that rate, and at somewhat larger ones too"),
    (3.0, "the steep direction diverges"),
    (-1.0, "a learning rate is positive"),
    ("1", "should be a plain number"),
    (True, "should be a plain number"),
])
def test_wrong_learning_rate_predictions_get_the_reasoning(guess, message, capsys):
    with pytest.raises(AssertionError, match=message) as info:
        check_largest_stable_lr(guess)
    assert "2/κ = 1" not in str(info.value) and "largest" not in str(info.value)
    capsys.readouterr()


def test_learning_rate_predictions_within_ten_percent_pass(capsys):
    for guess in (0.91, 1.0, 1.09, 1):
        check_largest_stable_lr(guess)
    with pytest.raises(AssertionError):
        check_largest_stable_lr(0.85)
    capsys.readouterr()


# ---------------------------------------------------------------- exercise 6 (debug)
def cross_entropy_buggy(logits, labels):
    p = bp.functional.softmax(logits)
    y_onehot = np.eye(logits.shape[1])[labels]
    return -np.mean(np.log(p[np.arange(len(labels)), labels])), p - y_onehot


def test_gradcheck_exposes_the_planted_bug_and_accepts_the_fix():
    logits, labels = np.random.default_rng(6).normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    assert not bp.gradcheck.gradcheck(cross_entropy_buggy, (logits, labels)).ok
    assert bp.gradcheck.gradcheck(cross_entropy, (logits, labels)).ok
    loss, dlogits = bp.functional.softmax_cross_entropy(logits, labels)
    np.testing.assert_allclose(cross_entropy(logits, labels)[1], dlogits, atol=1e-14)
    assert np.isclose(cross_entropy(logits, labels)[0], loss)


def _ce(divide_by=lambda z: z.shape[0], sign=1.0, onehot=True):
    """A cross_entropy answer with the right loss and a gradient sign * (p - y) / divide_by(logits)."""
    def answer(logits, labels):
        p = bp.functional.softmax(logits)
        y = np.eye(logits.shape[1])[labels] if onehot else 0.0
        return cross_entropy(logits, labels)[0], sign * (p - y) / divide_by(logits)
    return answer


@pytest.mark.parametrize("wrong, message", [
    (cross_entropy_buggy, r"planted bug is still there: every entry is 6 = N times too large"),
    (_ce(sign=-1.0), r"opposite sign: ∂ℓ/∂z = p - y"),
    (_ce(divide_by=lambda z: z.size), r"divided by N·C = 18"),
    (_ce(onehot=False), "one-hot target is not subtracted"),
    (_ce(divide_by=lambda z: z.shape[0] ** 2), "divided by N twice"),
    (_ce(divide_by=lambda z: z.shape[1]), r"divided by C = 3.*divide by N = logits.shape\[0\], not C"),
])
def test_cross_entropy_slips_are_named_with_the_entry(wrong, message, capsys):
    rejects(check_cross_entropy, wrong, r"dlogits \(N = 6, C = 3\) wrong at \[\d, \d\]: expected -?\d\.\d+, "
            r"got -?\d\.\d+\. Likely cause: .*" + message, capsys)


def test_a_summed_cross_entropy_loss_is_named(capsys):
    rejects(check_cross_entropy, lambda z, l: (cross_entropy(z, l)[0] * len(l), cross_entropy(z, l)[1]),
            r"the loss \(N = 6\) is the sum over the batch", capsys)


# ---------------------------------------------------------------- exercise 1: zero_grad in the wrong place
def test_zero_grad_between_backward_and_step_is_named(capsys):
    from bplib.course import check_train_step

    def wiped(model, loss_fn, optimizer, x, y):
        loss = loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        optimizer.zero_grad()
        optimizer.step()
        return loss

    rejects(check_train_step, wiped, r"did not change.*or did zero_grad\(\) run between backward and step, "
            "wiping the gradients", capsys)
