"""Exercises of chapter 10 (optimizers): the reference answers pass, the usual mistakes are named."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.course.checks import optim as checks
from bplib.course.checks.optim import _adam_step, _rosenbrock_grad


# ---------------------------------------------------------------- reference answers
# notebooks/10_optimizers.ipynb, exercises 4 to 7 (the debug one's reference is further down)
def rosenbrock_grad(w):
    w1, w2 = w[:, 0], w[:, 1]
    return np.stack([-2 * (1 - w1) - 400 * w1 * (w2 - w1 ** 2), 200 * (w2 - w1 ** 2)], axis=1)


def adam_step(w, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_the_reference_answers_pass(capsys):
    checks.check_rosenbrock_grad(rosenbrock_grad)
    checks.check_adam_tiny_gradient_step(0.5)
    checks.check_adam_step(adam_step)
    out = capsys.readouterr().out
    assert out.count("\u2714") == 3, out


# ---------------------------------------------------------------- the references themselves
def test_the_rosenbrock_reference_agrees_with_finite_differences_and_the_library():
    rng = np.random.default_rng(0)
    w = rng.uniform(-2, 2, size=(5, 2))
    numeric = bp.gradcheck.numerical_gradient(lambda: float(bp.optim.ROSENBROCK.value(w).sum()), w)
    assert bp.gradcheck.rel_error(_rosenbrock_grad(w), numeric) < 1e-7
    np.testing.assert_allclose(_rosenbrock_grad(w), bp.optim.ROSENBROCK.grad(w), rtol=1e-12)


def test_the_adam_reference_matches_bplib_adam_over_100_steps():
    rng = np.random.default_rng(1)
    grads, w0 = rng.normal(size=(100, 4)), rng.normal(size=4)
    p = bp.Parameter(w0.copy())
    adam = bp.optim.Adam([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    w, m, v = w0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        p.grad[...] = g
        adam.step()
        w, m, v = _adam_step(w, m, v, g, t, 0.01, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(w, p.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m, adam.state[p]["exp_avg"], rtol=1e-12)
    np.testing.assert_allclose(v, adam.state[p]["exp_avg_sq"], rtol=1e-12)


def test_the_predicted_step_is_what_bplib_adam_takes():
    w = bp.Parameter(np.zeros(1))
    w.grad[...] = 1e-8
    bp.optim.Adam([w], lr=0.1).step()
    assert abs(-w.data[0] / 0.1 - 0.5) < 1e-9


# ---------------------------------------------------------------- exercise 4 (derive)
def _rosen(d1, d2):
    def answer(w):
        w1, w2 = w[:, 0], w[:, 1]
        r = w2 - w1 ** 2
        return np.stack([d1(w1, r), d2(w1, r)], axis=1)
    return answer


@pytest.mark.parametrize("wrong, message", [
    (_rosen(lambda x, r: -2 * (1 - x) + 200 * r, lambda x, r: 200 * r),
     r"column 0\) is wrong at \[0, 0\].*Likely cause: the chain rule's inner factor is missing"),
    (_rosen(lambda x, r: -2 * (1 - x) + 400 * x * r, lambda x, r: 200 * r),
     r"inner derivative has the wrong sign: d\(w₂ - w₁²\)/dw₁ = -2w₁"),
    (_rosen(lambda x, r: 2 * (1 - x) - 400 * x * r, lambda x, r: 200 * r),
     r"first term has the wrong sign"),
    (_rosen(lambda x, r: -(1 - x) - 200 * x * r, lambda x, r: 100 * r),
     r"factor 2 of differentiating a square is missing"),
    (_rosen(lambda x, r: -400 * x * r, lambda x, r: 200 * r),
     r"first term \(1 - w₁\)² is missing"),
    (_rosen(lambda x, r: 200 * r, lambda x, r: -2 * (1 - x) - 400 * x * r),
     r"columns are swapped"),
    (lambda w: rosenbrock_grad(w).sum(axis=0), r"summed or averaged over the points"),
    (lambda w: rosenbrock_grad(w).T, r"has shape \(2, 8\), expected \(8, 2\).*transposed"),
])
def test_rosenbrock_grad_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_rosenbrock_grad(wrong)


def test_rosenbrock_grad_an_unnamed_mistake_still_gets_index_and_values():
    with pytest.raises(AssertionError, match=r"rosenbrock_grad\(w\) wrong at \[\d, 1\]: expected"):
        checks.check_rosenbrock_grad(_rosen(lambda x, r: -2 * (1 - x) - 400 * x * r,
                                            lambda x, r: 200 * r + 1.0))


# ---------------------------------------------------------------- exercise 5 (predict)
@pytest.mark.parametrize("prediction, message", [
    (1.0, r"'η whatever the scale' holds only while \|g\| is much larger than ε"),
    (1e-9, r"That is the size of SGD's step η·g"),
    (10.0, r"never longer than η.*bias correction"),
    (0.1, r"m̂₁ = g and √v̂₁ = \|g\|"),
    ("0.5", r"should be one number"),
    (True, r"should be one number"),
])
def test_adam_tiny_gradient_wrong_predictions_are_explained(prediction, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_adam_tiny_gradient_step(prediction)


def test_adam_tiny_gradient_accepts_within_two_percent_only(capsys):
    checks.check_adam_tiny_gradient_step(0.505)
    assert capsys.readouterr().out.startswith("\u2714")
    with pytest.raises(AssertionError, match="not within 2%"):
        checks.check_adam_tiny_gradient_step(0.52)


def test_adam_tiny_gradient_feedback_does_not_give_the_number():
    with pytest.raises(AssertionError) as info:
        checks.check_adam_tiny_gradient_step(1.0)
    assert "0.5" not in str(info.value) and "half" not in str(info.value)


# ---------------------------------------------------------------- exercise 6 (debug)
def adam_step_buggy(w, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    correction = 1 - beta1 ** t
    m_hat, v_hat = m / correction, v / correction
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def both_with_beta2(w, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    correction = 1 - beta2 ** t
    m_hat, v_hat = m / correction, v / correction
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def no_correction(w, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * m / (np.sqrt(v) + eps), m, v


def returns_hats(w, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m / (np.sqrt(v) + eps), m, v


def eps_inside(w, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat + eps), m, v


@pytest.mark.parametrize("wrong, message", [
    (adam_step_buggy, r"w is wrong after step 1 .*v̂ is still corrected with β₁, the planted bug"),
    (both_with_beta2, r"w is wrong after step 1 .*m̂ is now corrected with β₂"),
    (no_correction, r"neither average is corrected"),
    (returns_hats, r"m is wrong after step 1 .*you return the corrected m̂ and v̂"),
    (eps_inside, r"ε = 0.01\). Likely cause: ε belongs outside the square root"),
    (lambda *args: adam_step(*args)[0], r"should return 3 values"),
])
def test_adam_step_wrong_fixes_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_adam_step(wrong)


def test_adam_step_an_unnamed_mistake_says_which_output_and_step():
    def m_without_one_minus(w, m, v, grad, t, lr, beta1, beta2, eps):
        m = beta1 * m + grad
        v = beta2 * v + (1 - beta2) * grad ** 2
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    with pytest.raises(AssertionError, match=r"^m after step 1 \(ε = 1e-08\) wrong at \[0\]"):
        checks.check_adam_step(m_without_one_minus)


# ---------------------------------------------------------------- delegation to the library
def test_answers_that_hand_the_exercise_to_the_library_are_refused():
    from bplib.course.delegation import FORBIDDEN, delegated

    for name in ("check_rosenbrock_grad", "check_adam_tiny_gradient_step", "check_adam_step"):
        assert name in FORBIDDEN
    assert delegated("check_rosenbrock_grad", "def rosenbrock_grad(w):\n    return ROSENBROCK.grad(w)") \
        == "ROSENBROCK"
    assert delegated("check_rosenbrock_grad", "from bplib.optim import _rosenbrock_grad") == \
        "_rosenbrock_grad"
    measured = "w = bp.Parameter(np.zeros(1))\nbp.optim.Adam([w], lr=0.1).step()\nprediction = 0"
    assert delegated("check_adam_tiny_gradient_step", measured) == "Adam"
    assert delegated("check_adam_step", "def adam_step(*a):\n    opt = bp.optim.Adam") == "Adam"
    assert delegated("check_adam_step", "def adam_step(w, m, v, grad, t, lr, beta1, beta2, eps):\n"
                     "    return w - lr * grad, m, v") is None


# ---------------------------------------------------------------- review fixes (issue 16)
def efficient_adam(w, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    step = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return w - step * m / (np.sqrt(v) + eps), m, v


def test_adam_step_names_kingma_and_bas_efficient_form():
    with pytest.raises(AssertionError, match=r"after step 1 \(ε = 1e-08\). Likely cause: .*'efficient' ordering.*"
                                             r"ε is added to √v̂ \(after the correction\), not √v"):
        checks.check_adam_step(efficient_adam)


@pytest.mark.parametrize("prediction", [-0.5, 0, 0.0])
def test_adam_tiny_gradient_a_signed_or_zero_step_is_told_a_length_is_positive(prediction):
    with pytest.raises(AssertionError, match=r"A length is positive") as info:
        checks.check_adam_tiny_gradient_step(prediction)
    assert "SGD's step" not in str(info.value)


def test_rosenbrock_grad_a_mean_over_the_points_is_named():
    with pytest.raises(AssertionError, match=r"shape \(2,\).*summed or averaged over the points"):
        checks.check_rosenbrock_grad(lambda w: rosenbrock_grad(w).mean(axis=0))


# ---------------------------------------------------------------- exercise 7 (debug)
def softmax_regression_grads(W, b, x, labels):
    p = bp.functional.softmax(x @ W.T + b)
    n = len(x)
    L = -np.mean(np.log(p[np.arange(n), labels]))
    dz = p.copy()
    dz[np.arange(n), labels] -= 1
    return L, (dz.T @ x / n, dz.sum(axis=0) / n)


def _variant(dW_of, db_of, onehot=True):
    def answer(W, b, x, labels):
        p = bp.functional.softmax(x @ W.T + b)
        n = len(x)
        dz = p.copy()
        if onehot:
            dz[np.arange(n), labels] -= 1
        return -np.mean(np.log(p[np.arange(n), labels])), (dW_of(dz, x, n, W), db_of(dz, n, W))
    return answer


def test_the_softmax_regression_reference_passes_gradcheck(capsys):
    r = np.random.default_rng(3)
    W, b, x, labels = r.normal(size=(4, 3)), r.normal(size=4), r.normal(size=(6, 3)), r.integers(0, 4, 6)
    assert bp.gradcheck.gradcheck(softmax_regression_grads, (W, b, x, labels)).ok
    checks.check_softmax_regression_grads(softmax_regression_grads)
    assert capsys.readouterr().out.startswith("\u2714")


def test_the_notebooks_buggy_softmax_regression_is_the_planted_bug():
    import nbformat

    from bplib.course.release import repo_notebooks_dir
    nb = nbformat.read(repo_notebooks_dir() / "10_optimizers.ipynb", 4)
    source = next(c.source for c in nb.cells if c.cell_type == "code"
                  and c.source.startswith("def softmax_regression_grads_buggy"))
    source = source.split("\n\n\n")[0]
    space = {"np": np, "bp": bp}
    exec(source, space)
    with pytest.raises(AssertionError, match=r"db wrong at \[\d\].*still the planted bug.*1/N"):
        checks.check_softmax_regression_grads(space["softmax_regression_grads_buggy"])


@pytest.mark.parametrize("wrong, message", [
    (_variant(lambda dz, x, n, W: dz.T @ x / n, lambda dz, n, W: dz.sum(axis=0)),
     r"db wrong at .*N = 8\). Likely cause: this is still the planted bug"),
    (_variant(lambda dz, x, n, W: dz.T @ x / n, lambda dz, n, W: dz.sum(axis=0) / len(W)),
     r"db wrong.*divided by the number of classes C"),
    (_variant(lambda dz, x, n, W: dz.T @ x / n**2, lambda dz, n, W: dz.sum(axis=0) / n),
     r"dW wrong.*divided by N twice"),
    (_variant(lambda dz, x, n, W: dz.T @ x, lambda dz, n, W: dz.sum(axis=0) / n),
     r"dW wrong.*moved rather than added"),
    (_variant(lambda dz, x, n, W: dz.T @ x / n, lambda dz, n, W: dz.sum(axis=0) / n, onehot=False),
     r"one-hot target is not subtracted"),
    (_variant(lambda dz, x, n, W: dz.T @ x / n, lambda dz, n, W: dz.sum() / n),
     r"db is one number.*axis=0"),
    (_variant(lambda dz, x, n, W: x.T @ dz / n, lambda dz, n, W: dz.sum(axis=0) / n),
     r"dW has shape \(3, 4\), expected \(4, 3\)"),
])
def test_softmax_regression_wrong_fixes_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_softmax_regression_grads(wrong)


def test_softmax_regression_delegation_and_the_snippets_in_the_answer_cell():
    from bplib.course.delegation import delegated

    assert delegated("check_softmax_regression_grads",
                     "def softmax_regression_grads(W, b, x, labels):\n"
                     "    return bp.functional.softmax_cross_entropy(x @ W.T + b, labels)\n") \
        == "softmax_cross_entropy"
    own = ("def rosenbrock_grad(w):\n    return np.stack([w[:, 0], w[:, 1]], axis=1)\n\n"
           "w_test = np.random.default_rng(0).uniform(-2, 2, size=(5, 2))\n"
           "bp.gradcheck.gradcheck(lambda w: (ROSENBROCK.value(w).sum(), rosenbrock_grad(w)), w_test)\n")
    assert delegated("check_rosenbrock_grad", own, answers={"rosenbrock_grad"}) is None
