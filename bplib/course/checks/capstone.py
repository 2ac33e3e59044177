"""Checks for chapter 12 (the capstone): a 64-h-10 network on handwritten digits, step by step.

Each step is graded on its own: the backward check feeds its own reference forward cache, the
gradient-check check hands over reference gradient functions (one right, two with planted bugs),
and the training checks pass reference pieces for the earlier steps. A wrong backward pass costs
the backward pass's points only. ``yours_or_reference`` lets the chapter go on with the
reference version of a step whose check does not pass yet.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import numpy as np

from bplib import functional as F
from bplib import init
from bplib.course.feedback import call_student, expect_close, expect_tuple, passed

__all__ = ["check_digits_forward", "check_digits_backward", "check_digits_grad_errors",
           "check_digits_train_epoch", "check_digits_accuracy", "yours_or_reference",
           "ACCURACY_BAR"]

NAMES = ("W1", "b1", "W2", "b2")
ACCURACY_BAR = 0.95  # below the worst of the seeds the chapter measures for its settings
SETTINGS = {"hidden": 64, "lr": 0.5, "epochs": 30, "batch_size": 32}  # the chapter's choice


# ------------------------------------------------------------------ the reference solution
def reference_init(hidden: int, seed: int = 0) -> dict[str, np.ndarray]:
    """He-normal weights drawn in bp.MLP's order, zero biases: W1 (hidden, 64), W2 (10, hidden)."""
    rng = np.random.default_rng(seed)
    return {"W1": init.he_normal((hidden, 64), rng), "b1": np.zeros(hidden),
            "W2": init.he_normal((10, hidden), rng), "b2": np.zeros(10)}


def reference_forward(params: dict, x: np.ndarray):
    """x (N, D) -> logits z2 (N, C) and the cache (linear cache, ReLU cache, linear cache)."""
    z1, cache1 = F.linear_forward(x, params["W1"], params["b1"])
    a1, relu_cache = F.relu_forward(z1)
    z2, cache2 = F.linear_forward(a1, params["W2"], params["b2"])
    return z2, (cache1, relu_cache, cache2)


def reference_backward(dz2: np.ndarray, cache) -> dict[str, np.ndarray]:
    """dz2 (N, C) = dL/dz2 and the forward cache -> {name: gradient}, each of its parameter's shape."""
    cache1, relu_cache, cache2 = cache
    da1, dW2, db2 = F.linear_backward(dz2, cache2)
    dz1 = F.relu_backward(da1, relu_cache)
    _, dW1, db1 = F.linear_backward(dz1, cache1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def reference_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray):
    """Mean softmax cross-entropy of the network on (x, y) and its gradients {name: array}."""
    z2, cache = reference_forward(params, x)
    loss, dz2 = F.softmax_cross_entropy(z2, y)
    return loss, reference_backward(dz2, cache)


def reference_grad_errors(loss_and_grads: Callable, params: dict, x, y, coords: int = 5) -> dict:
    """Largest relative error of each gradient at ``coords`` random entries (bp.gradcheck)."""
    from bplib.gradcheck import gradcheck

    def loss_of(W1, b1, W2, b2):
        loss, grads = loss_and_grads({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, x, y)
        return loss, tuple(grads[name] for name in NAMES)
    report = gradcheck(loss_of, tuple(params[name] for name in NAMES), coords=coords)
    return {name: report.errors[f"input {i}"] for i, name in enumerate(NAMES)}


def reference_train_epoch(params: dict, x, y, lr: float, batch_size: int, rng, loss_and_grads) -> list:
    """One pass over (x, y) in shuffled mini-batches, updating ``params`` in place; the batch losses."""
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss, grads = loss_and_grads(params, x[idx], y[idx])
        for name in params:
            params[name] -= lr * grads[name]
        losses.append(loss)
    return losses


def reference_train_model(x, y, loss_and_grads, train_epoch, seed: int = 0):
    """The chapter's settings (64 hidden units, lr 0.5, 30 epochs of batches of 32) -> (params, losses)."""
    params = reference_init(SETTINGS["hidden"], seed)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(SETTINGS["epochs"]):
        losses += train_epoch(params, x, y, SETTINGS["lr"], SETTINGS["batch_size"], rng, loss_and_grads)
    return params, losses


# ------------------------------------------------------------------ helpers
def _problem(seed: int, N: int = 6, D: int = 64, H: int = 5, C: int = 10):
    """Small seeded parameters (W scaled by 1/sqrt(fan_in)), inputs x (N, D) and labels (N,)."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(H, D)) / np.sqrt(D), "b1": rng.normal(size=H) * 0.1,
              "W2": rng.normal(size=(C, H)) / np.sqrt(H), "b2": rng.normal(size=C) * 0.1}
    x = rng.normal(size=(N, D))  # zero-mean, so every hidden unit is on for some examples, off for others
    y = rng.integers(0, C, size=N)
    return params, x, y


def _copy(params: dict) -> dict:
    return {name: np.array(value, dtype=float) for name, value in params.items()}


def _same(got, expected, atol: float = 1e-8) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(expected) and bool(np.allclose(got, expected, atol=atol, rtol=1e-6))


def _same_tree(got, expected) -> bool:
    """Whether two caches hold the same things: tuples item by item, arrays by value."""
    if isinstance(expected, tuple):
        return isinstance(got, (tuple, list)) and len(got) == len(expected) and \
            all(_same_tree(g, e) for g, e in zip(got, expected))
    if isinstance(expected, (bool, np.bool_)):
        return isinstance(got, (bool, np.bool_)) and bool(got) == bool(expected)
    try:
        got_arr = np.asarray(got)
    except (TypeError, ValueError):
        return False
    return got_arr.shape == np.shape(expected) and got_arr.dtype.kind in "biuf" and \
        bool(np.allclose(got_arr.astype(float), np.asarray(expected, dtype=float)))


def _grad_dict(name: str, got, what: str = "gradients") -> dict:
    """The student's arrays as a dict with the four names, or an AssertionError saying why not."""
    if isinstance(got, (tuple, list)) and len(got) == 4:
        raise AssertionError(f"{name} returned a {type(got).__name__} of four items; return a dict "
                             "{'W1': ..., 'b1': ..., 'W2': ..., 'b2': ...} with the keys of params, "
                             "so that the update can loop over the names.")
    if not isinstance(got, dict):
        raise AssertionError(f"{name} should return a dict of {what} with the keys "
                             f"{list(NAMES)}, got {type(got).__name__}.")
    missing = [k for k in NAMES if k not in got]
    if missing:
        raise AssertionError(f"the dict {name} returned has no {missing[0]!r}: it needs the keys "
                             f"{list(NAMES)} (it has {sorted(map(str, got))}).")
    return got


# ------------------------------------------------------------------ exercise 1: forward
def _forward_variants(params: dict, x: np.ndarray) -> dict[str, np.ndarray]:
    """The logits of the usual slips, keyed by the message that names them."""
    W1, b1, W2, b2 = (params[k] for k in NAMES)
    z1 = x @ W1.T + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ W2.T + b2
    return {
        "z2 is what the network gives without its ReLU: pass z1 through relu_forward before the "
        "second layer, or the two layers collapse into one linear map.": z1 @ W2.T + b2,
        "z2 has no negative entries: there is a ReLU after the output layer too. The last layer "
        "gives logits, any real numbers; softmax_cross_entropy turns them into probabilities.":
            np.maximum(z2, 0),
        "z2 holds probabilities (each row sums to 1): return the logits z2 themselves; the loss, "
        "softmax_cross_entropy, applies the softmax.": F.softmax(z2),
        "z2 is missing the first bias: linear_forward(x, W1, b1) adds b1.":
            np.maximum(x @ W1.T, 0) @ W2.T + b2,
        "z2 is missing the output bias: linear_forward(a1, W2, b2) adds b2.": a1 @ W2.T,
        "z2 is missing both biases: pass b1 and b2 to linear_forward.": np.maximum(x @ W1.T, 0) @ W2.T,
        "z2 uses a sigmoid as the hidden activation; this network uses the ReLU, relu_forward.":
            F.sigmoid(z1) @ W2.T + b2,
        "z2 uses tanh as the hidden activation; this network uses the ReLU, relu_forward.":
            np.tanh(z1) @ W2.T + b2,
    }


def check_digits_forward(forward) -> None:
    """``forward(params, x) -> (z2, cache)``: logits (N, 10) and (linear cache, ReLU cache, linear cache)."""
    params, x, _ = _problem(1201)
    z2, cache = expect_tuple("forward", call_student(forward, _copy(params), x.copy()), 2)
    ref_z2, ref_cache = reference_forward(params, x)
    for message, variant in _forward_variants(params, x).items():
        if _same(z2, variant) and not _same(z2, ref_z2):
            raise AssertionError(message)
    expect_close("z2", z2, ref_z2)
    if not isinstance(cache, (tuple, list)) or len(cache) != 3:
        what = f"a {type(cache).__name__}" + (f" of {len(cache)} items" if isinstance(cache, (tuple, list)) else "")
        raise AssertionError(f"z2 is right, but the cache is {what}: return the three caches the "
                             "calls gave you, (cache1, relu_cache, cache2), in that order, so that "
                             "backward can unpack them.")
    parts = ("the cache of the first linear_forward, (x, W1, True)",
             "relu_forward's cache, the mask z1 > 0",
             "the cache of the second linear_forward, (a1, W2, True)")
    for i, (got, expected, what) in enumerate(zip(cache, ref_cache, parts)):
        if not _same_tree(got, expected):
            elsewhere = [j for j, e in enumerate(ref_cache) if j != i and _same_tree(got, e)]
            order = (f" It is what belongs at cache[{elsewhere[0]}]: keep the order of the calls."
                     if elsewhere else "")
            raise AssertionError(f"z2 is right, but cache[{i}] is not {what}.{order} Store exactly "
                                 "what each functional call returned as its cache.")
    passed("forward: z1 = x W1ᵀ + b1, a1 = ReLU(z1), z2 = a1 W2ᵀ + b2, with the three caches "
           "backward needs.")


# ------------------------------------------------------------------ exercise 2: backward
def _backward_slips(dz2: np.ndarray, cache) -> dict[str, dict[str, np.ndarray]]:
    """Gradients of the usual slips: message -> the gradients that slip gives (where they differ)."""
    (x, W1, _), mask, (a1, W2, _) = cache
    da1 = dz2 @ W2
    N = len(dz2)
    return {
        "dW1 and db1 are what you get without the ReLU's local gradient: pass da1 through "
        "relu_backward(da1, relu_cache) first, which zeroes the gradient where z1 <= 0.":
            {"W1": da1.T @ x, "b1": da1.sum(axis=0)},
        "dz1 was multiplied by a1 = ReLU(z1) instead of the ReLU's derivative, which is the mask "
        "(1 where z1 > 0, else 0): use relu_backward(da1, relu_cache).":
            {"W1": (da1 * a1).T @ x, "b1": (da1 * a1).sum(axis=0)},
        f"db2 is off by a factor N = {N}: dz2 from softmax_cross_entropy already carries the 1/N "
        "of the mean loss. Did you divide by the batch size a second time?":
            {"b2": dz2.sum(axis=0) / N},
        f"dW2 is off by a factor N = {N}: dz2 already carries the 1/N of the mean loss. Did you "
        "divide by the batch size a second time?": {"W2": dz2.T @ a1 / N},
        f"dW1 is off by a factor N = {N}: dz2 already carries the 1/N of the mean loss, and it "
        "reaches dW1 through dz1. Did you divide by the batch size again?":
            {"W1": (da1 * mask).T @ x / N},
        "db2 is dz2 averaged over the batch: sum it instead (.sum(axis=0)); the mean's 1/N is "
        "already inside dz2.": {"b2": dz2.mean(axis=0)},
    }


def _shape_slip(name: str, got, expected: np.ndarray) -> None:
    try:
        shape = np.shape(got)
    except (TypeError, ValueError):
        return
    if expected.ndim == 2 and shape == expected.T.shape:
        raise AssertionError(f"d{name} has the shape of {name}.T, {shape}; a gradient has the shape "
                             f"of its parameter, {expected.shape}. In the row form, "
                             f"d{name} = doutᵀ @ (the layer's input): dz.T @ x, not x.T @ dz.")
    if expected.ndim == 1 and len(shape) == 2 and shape[1:] == expected.shape:
        raise AssertionError(f"d{name} has shape {shape}, one row per example: sum over the batch, "
                             f".sum(axis=0), to get the shape of {name}, {expected.shape}.")


def check_digits_backward(backward) -> None:
    """``backward(dz2, cache) -> {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}`` for the reference cache."""
    params, x, y = _problem(1203)
    z2, cache = reference_forward(params, x)
    _, dz2 = F.softmax_cross_entropy(z2, y)
    got = _grad_dict("backward", call_student(backward, dz2.copy(), _copy_cache(cache)))
    ref = reference_backward(dz2, cache)
    for message, slip in _backward_slips(dz2, cache).items():
        if all(_same(got[name], value) and not _same(got[name], ref[name]) for name, value in slip.items()):
            raise AssertionError(message)
    for name in ("W2", "b2", "W1", "b1"):  # the order backpropagation computes them in
        _shape_slip(name, got[name], ref[name])
        expect_close(f"d{name}", got[name], ref[name])
    passed("backward: dW2 = dz2ᵀ a1, db2 = Σ dz2, dz1 = (dz2 W2) ⊙ [z1 > 0], dW1 = dz1ᵀ x, "
           "db1 = Σ dz1.")


def _copy_cache(cache):
    (x, W1, has1), mask, (a1, W2, has2) = cache
    return (x.copy(), W1.copy(), has1), mask.copy(), (a1.copy(), W2.copy(), has2)


# ------------------------------------------------------------------ exercise 3: gradient check
def loss_and_grads_db2_doubled(params: dict, x, y):
    """A planted bug for the gradient-check exercise: db2 comes out twice as large as it is."""
    loss, grads = reference_loss_and_grads(params, x, y)
    return loss, {**grads, "b2": 2 * grads["b2"]}


def loss_and_grads_dW1_negated(params: dict, x, y):
    """A planted bug for the gradient-check exercise: dW1 comes out with the wrong sign."""
    loss, grads = reference_loss_and_grads(params, x, y)
    return loss, {**grads, "W1": -grads["W1"]}


def _errors(name: str, got) -> dict[str, float]:
    if not isinstance(got, dict):
        raise AssertionError(f"grad_errors should return a dict {{name: relative error}} with the keys "
                             f"{list(NAMES)}, got {type(got).__name__}.")
    missing = [k for k in NAMES if k not in got]
    if missing:
        raise AssertionError(f"grad_errors returned no error for {missing[0]!r}: check all four "
                             f"parameters, {list(NAMES)}.")
    out = {}
    for k in NAMES:
        if np.ndim(got[k]) != 0:
            raise AssertionError(f"the error for {k!r} has shape {np.shape(got[k])}: return one number "
                                 "per parameter, the largest relative error over the checked entries.")
        out[k] = float(got[k])
    return out


def check_digits_grad_errors(grad_errors) -> None:
    """``grad_errors(loss_and_grads, params, x, y) -> {name: largest relative error}``.

    Given the right gradients every error must be below 1e-6; given a db2 twice too large the
    error of b2 must be |2g - g| / (|2g| + |g|) = 1/3 and the others small; given a dW1 of the
    wrong sign, the error of W1 must be 1.
    """
    params, x, y = _problem(1205, N=8)
    cases = [(reference_loss_and_grads, None, None),
             (loss_and_grads_db2_doubled, "b2", 1 / 3),
             (loss_and_grads_dW1_negated, "W1", 1.0)]
    for fn, wrong, expected in cases:
        mine = _copy(params)
        errors = _errors("grad_errors", call_student(grad_errors, fn, mine, x.copy(), y.copy()))
        for k in NAMES:
            if not np.array_equal(mine[k], params[k]):
                raise AssertionError(f"params[{k!r}] was changed by grad_errors: put every entry back "
                                     "after nudging it (bp.gradcheck does), or later steps see "
                                     "different weights.")
        if wrong is None:
            bad = [k for k in NAMES if not errors[k] < 1e-6]
            if bad:
                raise AssertionError(
                    f"grad_errors reports an error of {errors[bad[0]]:.2e} for {bad[0]} although these "
                    "gradients are right (they come from the reference backward pass). Use central "
                    "differences with h around 1e-5 (a one-sided difference is only first-order "
                    "accurate), and nudge the parameter itself, not a copy the loss never reads.")
            continue
        if not errors[wrong] > 1e-3:
            elsewhere = [k for k in NAMES if k != wrong and errors[k] > 1e-3]
            hint = (f" It reports {errors[elsewhere[0]]:.3f} for {elsewhere[0]} instead: the names "
                    "and the errors are mixed up." if elsewhere else
                    " Compare the gradient loss_and_grads returns with finite differences of its "
                    "loss, nudging the entries of params.")
            raise AssertionError(f"grad_errors found nothing wrong with a loss_and_grads whose d{wrong} "
                                 f"is wrong on purpose (it reports {errors[wrong]:.2e}).{hint}")
        if not np.isclose(errors[wrong], expected, atol=1e-4, rtol=0):
            raise AssertionError(
                f"grad_errors reports {errors[wrong]:.4f} for a d{wrong} that is "
                f"{'twice the true one' if wrong == 'b2' else 'the true one with the wrong sign'}; "
                f"the relative error |a - b| / (|a| + |b|) of that is exactly {expected:.4f} at "
                "every entry. Divide the difference by |a| + |b|, and take the largest over the "
                "checked entries.")
        others = [k for k in NAMES if k != wrong and not errors[k] < 1e-6]
        if others:
            raise AssertionError(f"grad_errors blames {others[0]} ({errors[others[0]]:.2e}) when only "
                                 f"d{wrong} is wrong: check each parameter against its own gradient.")
    passed("grad_errors: below 1e-6 for the right gradients, 1/3 for a doubled db2 and 1 for a "
           "dW1 of the wrong sign.")


# ------------------------------------------------------------------ exercise 4: one epoch
def _epoch_variant(params, x, y, lr, batch_size, seed, *, shuffle=True, sign=-1.0, drop_last=False,
                   shuffle_y=True):
    """What a slipped train_epoch would leave behind: (params after, losses)."""
    params, rng = _copy(params), np.random.default_rng(seed)
    order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
    stop = len(x) - len(x) % batch_size if drop_last else len(x)
    losses = []
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        labels = y[idx] if shuffle_y else y[start:start + batch_size]
        loss, grads = reference_loss_and_grads(params, x[idx], labels)
        for name in params:
            params[name] += sign * lr * grads[name]
        losses.append(loss)
    return params, losses


def check_digits_train_epoch(train_epoch) -> None:
    """``train_epoch(params, x, y, lr, batch_size, rng, loss_and_grads) -> list of batch losses``."""
    params, x, y = _problem(1204, N=23)
    lr, batch_size, seed = 0.5, 5, 12
    mine, rng = _copy(params), np.random.default_rng(seed)
    losses = call_student(train_epoch, mine, x.copy(), y.copy(), lr, batch_size, rng,
                          reference_loss_and_grads)
    ref_params, ref_losses = _epoch_variant(params, x, y, lr, batch_size, seed)
    if losses is None or np.ndim(losses) != 1:
        raise AssertionError(f"train_epoch should return the list of the losses of its batches, got "
                             f"{type(losses).__name__}" + (f" of shape {np.shape(losses)}" if losses
                                                           is not None else "") + ".")
    if all(np.array_equal(mine[k], params[k]) for k in NAMES):
        raise AssertionError("params are unchanged after the epoch: update the arrays of the dict you "
                             "were given, params[name] -= lr * grads[name] (a new dict stays inside "
                             "your function).")
    n_batches = len(ref_losses)
    if len(losses) != n_batches:
        hints = {n_batches - 1: f" The last, smaller batch ({len(x) % batch_size} examples) is missing: "
                                "loop over range(0, N, batch_size); the slice "
                                "order[start:start + batch_size] is simply shorter at the end.",
                 1: " One loss for the whole epoch: split the shuffled examples into mini-batches of "
                    "batch_size and update after each.",
                 len(x): " One loss per example: a batch holds batch_size examples."}
        raise AssertionError(f"train_epoch returned {len(losses)} losses for {len(x)} examples in batches "
                             f"of {batch_size}; expected {n_batches}." + hints.get(len(losses), ""))
    slips = {
        "params moved uphill: each update must subtract lr times the gradient, params[name] -= "
        "lr * grads[name].": _epoch_variant(params, x, y, lr, batch_size, seed, sign=1.0),
        "the batches come in the original order of the data: shuffle first, order = "
        "rng.permutation(len(x)), once per epoch, with the rng you were given.":
            _epoch_variant(params, x, y, lr, batch_size, seed, shuffle=False),
        "the labels do not belong to the images: x was shuffled but y was not. Index both with the "
        "same idx, x[idx] and y[idx].": _epoch_variant(params, x, y, lr, batch_size, seed, shuffle_y=False),
    }
    for message, (slip_params, slip_losses) in slips.items():
        if _same(losses, slip_losses) and all(_same(mine[k], slip_params[k]) for k in NAMES):
            raise AssertionError(message)
    if rng.bit_generator.state == np.random.default_rng(seed).bit_generator.state:
        raise AssertionError("the rng you were given was not used: draw the order from it, "
                             "order = rng.permutation(len(x)), so that the same seed gives the same "
                             "batches (and the same batches as bp.fit).")
    expect_close("losses", losses, ref_losses, atol=1e-10, rtol=1e-10)
    for k in NAMES:
        expect_close(f"params[{k!r}] after the epoch", mine[k], ref_params[k], atol=1e-10, rtol=1e-10)
    passed(f"train_epoch: one permutation from the rng, {n_batches} mini-batches (the last one "
           "smaller), a gradient step after each, the loss of each batch returned.")


# ------------------------------------------------------------------ exercise 5: to 95%
def check_digits_accuracy(train_model) -> None:
    """``train_model(x, y, loss_and_grads, train_epoch, seed) -> (params, losses)`` reaches the bar.

    The check trains on the training split with the reference pieces and measures the accuracy
    on the held-out test split, which train_model never sees.
    """
    from bplib.data.digits import digits

    x_train, y_train, x_test, y_test = digits()
    params, losses = expect_tuple("train_model", call_student(
        train_model, x_train.copy(), y_train.copy(), reference_loss_and_grads, reference_train_epoch, 0), 2)
    params = _grad_dict("train_model", params, "parameters")
    hidden = np.shape(params["b1"])[0] if np.ndim(params["b1"]) == 1 else None
    expected = {"W1": (hidden, 64), "b1": (hidden,), "W2": (10, hidden), "b2": (10,)}
    for k in NAMES:
        if hidden is None or np.shape(params[k]) != expected[k]:
            raise AssertionError(f"params[{k!r}] has shape {np.shape(params[k])}; a 64-h-10 network has "
                                 "W1 (h, 64), b1 (h,), W2 (10, h) and b2 (10,).")
        if not np.all(np.isfinite(params[k])):
            raise AssertionError(f"params[{k!r}] holds NaN or infinity: the updates grew without "
                                 "bound. Lower the learning rate.")
    if np.ndim(losses) != 1 or len(losses) == 0:
        raise AssertionError("train_model should also return the list of every batch's loss, "
                             "in the order of training.")
    z2, _ = reference_forward({k: np.asarray(params[k], dtype=float) for k in NAMES}, x_test)
    accuracy = float(np.mean(np.argmax(z2, axis=1) == y_test))
    if accuracy < ACCURACY_BAR:
        if accuracy < 0.2:
            hint = (" That is no better than guessing: did the parameters change at all? Call "
                    "train_epoch once per epoch on the same params, and return those params.")
        else:
            hint = (f" The network has learned something but not enough: train for more epochs, or "
                    f"with a larger learning rate (the chapter's settings, {SETTINGS['epochs']} "
                    f"epochs at lr {SETTINGS['lr']}, reach the bar).")
        raise AssertionError(f"test accuracy {accuracy:.1%} on the {len(y_test)} held-out digits, below "
                             f"the bar of {ACCURACY_BAR:.0%}.{hint}")
    passed(f"test accuracy {accuracy:.1%} on the {len(y_test)} held-out digits: above the bar of "
           f"{ACCURACY_BAR:.0%}.")


# ------------------------------------------------------------------ the chapter goes on
_STEPS = {
    "forward": (check_digits_forward, reference_forward),
    "backward": (check_digits_backward, reference_backward),
    "grad_errors": (check_digits_grad_errors, reference_grad_errors),
    "train_epoch": (check_digits_train_epoch, reference_train_epoch),
    "train_model": (check_digits_accuracy, reference_train_model),
}


def yours_or_reference(name: str, fn: Callable) -> Callable:
    """Your ``fn`` if it passes its check (run quietly), else the reference, saying which.

    The chapter calls this after each exercise so that its later cells run, and show numbers,
    even while one step is unfinished; the grade is never decided here.
    """
    if name not in _STEPS:
        raise ValueError(f"yours_or_reference: unknown step {name!r}; the steps are {sorted(_STEPS)}.")
    check, reference = _STEPS[name]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(fn)
    except Exception:  # noqa: BLE001  an unfinished or wrong step of any kind
        print(f"Your {name} does not pass its check yet: the chapter goes on with the reference {name}.")
        return reference
    print(f"Your {name} passes its check: the chapter goes on with it.")
    return fn
