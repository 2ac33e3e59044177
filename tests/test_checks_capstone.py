"""Exercise checks of chapter 12 (the capstone): the reference passes, typical mistakes get named,
each step is checked with reference versions of the steps before it, and the checks replay."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib import functional as F
from bplib.course.checks import capstone as checks
from bplib.course.replay import Recorder, Replayer, StudentFunction, active

ref = checks


@pytest.mark.parametrize("check, solution", [
    (checks.check_digits_forward, ref.reference_forward),
    (checks.check_digits_backward, ref.reference_backward),
    (checks.check_digits_grad_errors, ref.reference_grad_errors),
    (checks.check_digits_train_epoch, ref.reference_train_epoch),
    (checks.check_digits_accuracy, ref.reference_train_model),
])
def test_the_reference_solution_passes_every_check(check, solution, capsys):
    check(solution)
    assert capsys.readouterr().out.startswith("✔")


# ------------------------------------------------------------------ forward
def forward_without_relu(params, x):
    z1, c1 = F.linear_forward(x, params["W1"], params["b1"])
    z2, c2 = F.linear_forward(z1, params["W2"], params["b2"])
    return z2, (c1, None, c2)


def forward_relu_on_output(params, x):
    z2, cache = ref.reference_forward(params, x)
    return np.maximum(z2, 0), cache


def forward_returning_probabilities(params, x):
    z2, cache = ref.reference_forward(params, x)
    return F.softmax(z2), cache


def forward_without_output_bias(params, x):
    return ref.reference_forward({**params, "b2": np.zeros_like(params["b2"])}, x)


def forward_with_sigmoid(params, x):
    z1, c1 = F.linear_forward(x, params["W1"], params["b1"])
    a1, c2 = F.sigmoid_forward(z1)
    z2, c3 = F.linear_forward(a1, params["W2"], params["b2"])
    return z2, (c1, c2, c3)


def forward_caches_in_another_order(params, x):
    z2, (c1, c2, c3) = ref.reference_forward(params, x)
    return z2, (c3, c2, c1)


def forward_keeping_two_caches(params, x):
    z2, (c1, _, c3) = ref.reference_forward(params, x)
    return z2, (c1, c3)


def forward_caching_activations(params, x):
    z2, (c1, _, c3) = ref.reference_forward(params, x)
    return z2, (c1, c3[0], c3)  # a1 instead of the mask


@pytest.mark.parametrize("wrong, message", [
    (forward_without_relu, "without its ReLU"),
    (forward_relu_on_output, "ReLU after the output layer"),
    (forward_returning_probabilities, "holds probabilities"),
    (forward_without_output_bias, "missing the output bias"),
    (forward_with_sigmoid, "uses a sigmoid"),
    (forward_caches_in_another_order, r"cache\[0\] is not the cache of the first linear_forward.*cache\[2\]"),
    (forward_keeping_two_caches, "the cache is a tuple of 2 items"),
    (forward_caching_activations, r"cache\[1\] is not relu_forward's cache"),
    (lambda params, x: ref.reference_forward(params, x)[0], "should return 2 values"),
])
def test_forward_check_names_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_digits_forward(wrong)


# ------------------------------------------------------------------ backward
def backward_without_relu_gradient(dz2, cache):
    c1, _, c3 = cache
    da1, dW2, db2 = F.linear_backward(dz2, c3)
    _, dW1, db1 = F.linear_backward(da1, c1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def backward_dividing_by_n_again(dz2, cache):
    return ref.reference_backward(dz2 / len(dz2), cache)


def backward_with_db2_divided_again(dz2, cache):
    grads = ref.reference_backward(dz2, cache)
    return {**grads, "b2": grads["b2"] / len(dz2)}


def backward_with_transposed_dW1(dz2, cache):
    grads = ref.reference_backward(dz2, cache)
    return {**grads, "W1": grads["W1"].T}


def backward_masking_with_activations(dz2, cache):
    (x, W1, _), mask, (a1, W2, _) = cache
    dz1 = (dz2 @ W2) * a1
    return {"W1": dz1.T @ x, "b1": dz1.sum(axis=0), "W2": dz2.T @ a1, "b2": dz2.sum(axis=0)}


def backward_without_summing_db1(dz2, cache):
    (x, W1, _), mask, (a1, W2, _) = cache
    dz1 = (dz2 @ W2) * mask
    return {"W1": dz1.T @ x, "b1": dz1, "W2": dz2.T @ a1, "b2": dz2.sum(axis=0)}


def backward_with_wrong_sign_dW2(dz2, cache):
    grads = ref.reference_backward(dz2, cache)
    return {**grads, "W2": -grads["W2"]}


@pytest.mark.parametrize("wrong, message", [
    (backward_without_relu_gradient, "without the ReLU's local gradient"),
    (backward_masking_with_activations, "multiplied by a1 = ReLU"),
    (backward_with_db2_divided_again, "db2 is off by a factor N = 6.*divide by the batch size a second time"),
    (backward_dividing_by_n_again, "off by a factor N = 6"),
    (backward_with_transposed_dW1, r"dW1 has the shape of W1.T, \(64, 5\)"),
    (backward_without_summing_db1, r"db1 has shape \(6, 5\), one row per example"),
    (backward_with_wrong_sign_dW2, "dW2 wrong at .*opposite sign"),
    (lambda dz2, cache: tuple(ref.reference_backward(dz2, cache).values()), "return a dict"),
    (lambda dz2, cache: {k: v for k, v in ref.reference_backward(dz2, cache).items() if k != "b1"},
     "has no 'b1'"),
])
def test_backward_check_names_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_digits_backward(wrong)


def test_backward_is_checked_with_the_reference_forward_cache_not_the_students_forward():
    # A student whose forward is wrong (or missing) still earns the backward points.
    def forward(params, x):
        raise NotImplementedError

    checks.check_digits_backward(ref.reference_backward)
    with pytest.raises(NotImplementedError):
        checks.check_digits_forward(forward)


# ------------------------------------------------------------------ gradient check
def _wrapped(loss_and_grads, params, x, y):
    names = ("W1", "b1", "W2", "b2")

    def loss_of(*arrays):
        loss, grads = loss_and_grads(dict(zip(names, arrays)), x, y)
        return loss, tuple(grads[k] for k in names)
    return names, loss_of


def errors_absolute(loss_and_grads, params, x, y):
    errors = {}
    for name, value in params.items():
        numeric = bp.gradcheck.numerical_gradient(lambda: loss_and_grads(params, x, y)[0], value)
        errors[name] = float(np.max(np.abs(numeric - loss_and_grads(params, x, y)[1][name])))
    return errors


def errors_against_itself(loss_and_grads, params, x, y):
    grads = loss_and_grads(params, x, y)[1]
    return {name: bp.gradcheck.rel_error(grads[name], grads[name]) for name in params}


def errors_without_restoring(loss_and_grads, params, x, y):
    errors = ref.reference_grad_errors(loss_and_grads, params, x, y)
    params["W1"][0, 0] += 1e-5  # a nudge left in place
    return errors


def errors_one_sided_with_large_h(loss_and_grads, params, x, y):
    names, loss_of = _wrapped(loss_and_grads, params, x, y)
    report = bp.gradcheck.gradcheck(loss_of, tuple(params[k] for k in names), coords=5, h=1e-3,
                                    method="forward", tol=1.0)
    return {k: report.errors[f"input {i}"] for i, k in enumerate(names)}


def errors_with_names_mixed_up(loss_and_grads, params, x, y):
    errors = ref.reference_grad_errors(loss_and_grads, params, x, y)
    return {"W1": errors["b1"], "b1": errors["W1"], "W2": errors["b2"], "b2": errors["W2"]}


@pytest.mark.parametrize("wrong, message", [
    (errors_absolute, r"reports 0\.\d+ for a db2 that is twice the true one.*exactly 0\.3333"),
    (errors_against_itself, "found nothing wrong with a loss_and_grads whose db2"),
    (errors_without_restoring, r"params\['W1'\] was changed by grad_errors"),
    (errors_one_sided_with_large_h, "one-sided difference is only first-order"),
    (errors_with_names_mixed_up, "the names and the errors are mixed up"),
    (lambda fn, params, x, y: list(ref.reference_grad_errors(fn, params, x, y).values()),
     "should return a dict"),
    (lambda fn, params, x, y: {"W1": ref.reference_grad_errors(fn, params, x, y)["W1"]},
     "no error for 'b1'"),
])
def test_grad_errors_check_names_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_digits_grad_errors(wrong)


def test_the_planted_bugs_give_exactly_one_third_and_one():
    params, x, y = ref._problem(1205, N=8)
    doubled = ref.reference_grad_errors(ref.loss_and_grads_db2_doubled, params, x, y)
    negated = ref.reference_grad_errors(ref.loss_and_grads_dW1_negated, params, x, y)
    assert doubled["b2"] == pytest.approx(1 / 3, abs=1e-6) and doubled["W1"] < 1e-7
    assert negated["W1"] == pytest.approx(1.0, abs=1e-6) and negated["b2"] < 1e-7


# ------------------------------------------------------------------ one epoch
def epoch_without_shuffle(params, x, y, lr, batch_size, rng, loss_and_grads):
    rng.permutation(len(x))  # drawn, but not used
    losses = []
    for start in range(0, len(x), batch_size):
        loss, grads = loss_and_grads(params, x[start:start + batch_size], y[start:start + batch_size])
        for k in params:
            params[k] -= lr * grads[k]
        losses.append(loss)
    return losses


def epoch_dropping_the_last_batch(params, x, y, lr, batch_size, rng, loss_and_grads):
    order, losses = rng.permutation(len(x)), []
    for start in range(0, len(x) - batch_size + 1, batch_size):
        idx = order[start:start + batch_size]
        loss, grads = loss_and_grads(params, x[idx], y[idx])
        for k in params:
            params[k] -= lr * grads[k]
        losses.append(loss)
    return losses


def epoch_going_uphill(params, x, y, lr, batch_size, rng, loss_and_grads):
    return ref.reference_train_epoch(params, x, y, -lr, batch_size, rng, loss_and_grads)


def epoch_on_a_new_dict(params, x, y, lr, batch_size, rng, loss_and_grads):
    params = {k: v.copy() for k, v in params.items()}
    return ref.reference_train_epoch(params, x, y, lr, batch_size, rng, loss_and_grads)


def epoch_with_global_random_state(params, x, y, lr, batch_size, rng, loss_and_grads):
    return ref.reference_train_epoch(params, x, y, lr, batch_size, np.random.default_rng(99), loss_and_grads)


def epoch_shuffling_x_only(params, x, y, lr, batch_size, rng, loss_and_grads):
    order, losses = rng.permutation(len(x)), []
    for start in range(0, len(x), batch_size):
        loss, grads = loss_and_grads(params, x[order[start:start + batch_size]], y[start:start + batch_size])
        for k in params:
            params[k] -= lr * grads[k]
        losses.append(loss)
    return losses


@pytest.mark.parametrize("wrong, message", [
    (epoch_without_shuffle, "original order of the data"),
    (epoch_dropping_the_last_batch, r"returned 4 losses .* last, smaller batch \(3 examples\) is missing"),
    (epoch_going_uphill, "params moved uphill"),
    (epoch_on_a_new_dict, "params are unchanged after the epoch"),
    (epoch_with_global_random_state, "the rng you were given was not used"),
    (epoch_shuffling_x_only, "the labels do not belong to the images"),
    (lambda *args: None, "should return the list of the losses"),
])
def test_train_epoch_check_names_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_digits_train_epoch(wrong)


# ------------------------------------------------------------------ to 95%
def model_never_trained(x, y, loss_and_grads, train_epoch, seed=0):
    return ref.reference_init(64, seed), [2.3]


def model_trained_too_little(x, y, loss_and_grads, train_epoch, seed=0):
    params, rng = ref.reference_init(64, seed), np.random.default_rng(seed)
    return params, train_epoch(params, x, y, 0.01, 32, rng, loss_and_grads)


def model_that_diverged(x, y, loss_and_grads, train_epoch, seed=0):
    params = ref.reference_init(64, seed)
    params["W2"][0, 0] = np.nan
    return params, [2.3, np.inf]


def model_with_transposed_W2(x, y, loss_and_grads, train_epoch, seed=0):
    params, losses = ref.reference_train_model(x, y, loss_and_grads, train_epoch, seed)
    return {**params, "W2": params["W2"].T}, losses


@pytest.mark.parametrize("wrong, message", [
    (model_never_trained, r"no better than guessing"),
    (model_trained_too_little, r"below the bar of 95%.*train for more epochs"),
    (model_that_diverged, "NaN or infinity.*Lower the learning rate"),
    (model_with_transposed_W2, r"params\['W2'\] has shape \(64, 10\); a 64-h-10 network"),
    (lambda *args: ref.reference_init(64, 0), "should return 2 values"),
])
def test_accuracy_check_names_typical_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_digits_accuracy(wrong)


def test_accuracy_check_trains_with_the_reference_pieces_it_passes_in():
    seen = {}

    def train_model(x, y, loss_and_grads, train_epoch, seed=0):
        seen.update(lag=loss_and_grads, epoch=train_epoch, n=len(x))
        return ref.reference_train_model(x, y, loss_and_grads, train_epoch, seed)

    checks.check_digits_accuracy(train_model)
    assert seen["lag"] is ref.reference_loss_and_grads and seen["epoch"] is ref.reference_train_epoch
    assert seen["n"] == len(bp.data.digits()[0])  # the training split only


# ------------------------------------------------------------------ the chapter goes on
def test_yours_or_reference_keeps_a_passing_step_and_replaces_a_failing_one(capsys):
    assert checks.yours_or_reference("forward", ref.reference_forward) is ref.reference_forward
    assert "passes its check" in capsys.readouterr().out

    def unfinished(params, x):
        raise NotImplementedError()

    assert checks.yours_or_reference("forward", unfinished) is ref.reference_forward
    assert checks.yours_or_reference("backward", backward_without_relu_gradient) is ref.reference_backward
    out = capsys.readouterr().out
    assert out.count("goes on with the reference") == 2 and "✔" not in out
    with pytest.raises(ValueError, match="unknown step"):
        checks.yours_or_reference("fwd", unfinished)


# ------------------------------------------------------------------ grading: record, then replay
@pytest.mark.parametrize("check, solution, wrong, message", [
    (checks.check_digits_forward, ref.reference_forward, forward_without_relu, "without its ReLU"),
    (checks.check_digits_backward, ref.reference_backward, backward_with_db2_divided_again, "factor N"),
    (checks.check_digits_grad_errors, ref.reference_grad_errors, errors_against_itself, "nothing wrong"),
    (checks.check_digits_train_epoch, ref.reference_train_epoch, epoch_going_uphill, "uphill"),
])
def test_checks_replay_recorded_answers_outside_the_students_process(check, solution, wrong, message, capsys):
    for fn, expected in ((solution, None), (wrong, message)):
        recorder = Recorder({id(fn): "student_fn"})
        with active(recorder):
            try:
                check(fn)
            except AssertionError:
                pass
        replayer = Replayer(recorder.calls)
        with active(replayer):
            if expected is None:
                check(StudentFunction("student_fn", replayer))
                assert replayer.messages and replayer.messages[0].startswith("✔")
            else:
                with pytest.raises(AssertionError, match=expected):
                    check(StudentFunction("student_fn", replayer))
