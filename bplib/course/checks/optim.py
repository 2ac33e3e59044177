"""Checks for chapter 2 (training loop), chapter 9 (history) and chapter 10 (optimizers)."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import _as_array, call_student, expect_close, expect_tuple, passed
from bplib.data.classification import moons
from bplib.layers import MLP, CrossEntropyLoss, Parameter
from bplib.optim import SGD, Adam, RMSprop

__all__ = [
    "check_train_step", "check_gd_on_quadratic", "check_minibatch_indices",
    "check_huber_loss", "check_largest_stable_lr", "check_cross_entropy",
    "check_momentum_delta", "check_sum_squared_error", "check_backprop_deltas",
    "check_tanh_linear_deltas", "check_momentum_prediction", "check_loss_and_grads_1986",
    "check_momentum_step", "check_adam_bias_correction", "check_rmsprop_step",
    "check_rosenbrock_grad", "check_adam_tiny_gradient_step", "check_adam_step",
    "check_softmax_regression_grads",
]


# ------------------------------------------------------------------ chapter 2
def _setup(seed: int = 0):
    x, y = moons(12, noise=0.1, seed=seed)
    model = MLP([2, 4, 2], activation="tanh", seed=seed)
    return model, x, y


def check_train_step(train_step) -> None:
    """``train_step(model, loss_fn, optimizer, x, y) -> loss``.

    Zero the gradients, forward, loss, backward, step.
    """
    model, x, y = _setup()
    reference, _, _ = _setup()
    for p in model.parameters():
        p.grad[...] = 1.0  # stale gradients from an earlier step: train_step must clear them
    loss = call_student(train_step, model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.5),
                        x, y)
    ref_loss_fn, ref_opt = CrossEntropyLoss(), SGD(reference.parameters(), lr=0.5)
    ref_opt.zero_grad()
    expected_loss = ref_loss_fn(reference(x), y)
    reference.backward(ref_loss_fn.backward())
    ref_opt.step()
    expect_close("the returned loss", loss, expected_loss, atol=1e-10)
    before, _, _ = _setup()
    for (name, p), q, b in zip(model.named_parameters(), reference.parameters(),
                               before.parameters(), strict=True):
        if np.array_equal(p.data, b.data):
            raise AssertionError(f"parameter {name} did not change: did you call optimizer.step() "
                                 "after model.backward(...), or did zero_grad() run between "
                                 "backward and step, wiping the gradients?")
        if np.allclose(p.data - b.data, q.data - b.data - 0.5, atol=1e-8):
            raise AssertionError(f"parameter {name} moved by the stale gradient too: call "
                                 "optimizer.zero_grad() before the backward pass.")
        expect_close(f"parameter {name} after the step", p.data, q.data, atol=1e-10)
    passed("train_step clears the gradients, then runs forward, loss, backward and update, "
           "in that order.")


def check_gd_on_quadratic(gd_path) -> None:
    """``gd_path(curvature, lr, w0, steps)`` -> weights (steps + 1,) of gradient descent on
    L = κ w² / 2 (κ the curvature)."""
    for a, lr, w0, steps in [(2.0, 0.1, 3.0, 10), (1.0, 1.5, -1.0, 6), (4.0, 0.6, 0.5, 8)]:
        got = call_student(gd_path, a, lr, w0, steps)
        expected = w0 * (1.0 - lr * a) ** np.arange(steps + 1)
        expect_close(f"gd_path(curvature={a}, lr={lr}, w0={w0}, steps={steps})", got, expected,
                     atol=1e-10)
    passed("Each step multiplies w by (1 − η·κ): it shrinks when η < 2/κ and blows up beyond.")


def check_minibatch_indices(minibatch_indices) -> None:
    """``minibatch_indices(n, batch_size, rng)`` -> list of index arrays: a shuffled partition."""
    for n, batch_size in [(10, 3), (12, 4), (5, 8)]:
        batches = call_student(minibatch_indices, n, batch_size, np.random.default_rng(0))
        batches = [np.asarray(b).astype(int) for b in batches]
        sizes = [len(b) for b in batches]
        expected_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size
                                                             else [])
        if sizes != expected_sizes:
            raise AssertionError(f"with n={n}, batch_size={batch_size} the batch sizes should be "
                                 f"{expected_sizes}, got {sizes}.")
        flat = np.concatenate(batches)
        if sorted(flat.tolist()) != list(range(n)):
            raise AssertionError(f"with n={n} every index 0..{n - 1} must appear exactly once "
                                 f"across the batches; got {sorted(flat.tolist())}.")
    flat = np.concatenate(call_student(minibatch_indices, 50, 10, np.random.default_rng(1)))
    if np.array_equal(flat, np.arange(50)):
        raise AssertionError("the indices come out in order 0, 1, 2, ...: shuffle them with "
                             "rng.permutation(n) before cutting them into batches.")
    again = np.concatenate(call_student(minibatch_indices, 50, 10, np.random.default_rng(1)))
    if not np.array_equal(flat, again):
        raise AssertionError("two calls with the same seeded rng gave different batches: use only "
                             "the rng you are given (not np.random.shuffle).")
    passed("Every example lands in exactly one batch per epoch, in a shuffled, reproducible order.")


def _huber_reference(pred: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean Huber loss with threshold 1 over pred, y (N,) and its gradient dpred (N,)."""
    diff = pred - y
    small = np.abs(diff) <= 1.0
    loss = np.where(small, 0.5 * diff**2, np.abs(diff) - 0.5)
    return float(np.mean(loss)), np.where(small, diff, np.sign(diff)) / diff.size


def _huber_slips(pred: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """dpred of the usual slips, keyed by the hint that names them."""
    diff, n = pred - y, pred.size
    small = np.abs(diff) <= 1.0
    return {
        "it is N times too large: L is the mean of the N examples' losses, so every entry of "
        "dL/dŷ carries a factor 1/N.": np.where(small, diff, np.sign(diff)),
        "where |ŷ - y| > 1 you kept the quadratic branch's slope ŷ - y: on the linear branch "
        "|ŷ - y| - ½ the slope is only ±1 (the sign of ŷ - y).": diff / n,
        "where |ŷ - y| ≤ 1 you used the linear branch's slope ±1: on the quadratic branch "
        "½(ŷ - y)² the slope is ŷ - y.": np.sign(diff) / n,
        "on the linear branch the slope of |ŷ - y| is sign(ŷ - y), not 1: d|u|/du = sign(u), so "
        "it is -1 where ŷ - y < -1.": np.where(small, diff, 1.0) / n,
        "the branch is chosen by ŷ - y > 1 rather than |ŷ - y| > 1: examples whose output is "
        "more than 1 BELOW the target are on the linear branch too.":
            np.where(diff <= 1.0, diff, 1.0) / n,
        "every entry has the opposite sign: differentiate with respect to ŷ, which gives ŷ - y "
        "(and sign(ŷ - y)), not y - ŷ.": -np.where(small, diff, np.sign(diff)) / n,
        "the quadratic branch has an extra factor 2: ½(ŷ - y)² differentiates to ŷ - y, the ½ "
        "cancels the 2.": np.where(small, 2 * diff, np.sign(diff)) / n,
    }


def check_huber_loss(huber_loss) -> None:
    """``huber_loss(pred, y) -> (loss, dpred)``; pred, y (N,); mean Huber loss, threshold 1."""
    rng = np.random.default_rng(21)
    for case in range(2):
        y = rng.normal(size=8)
        diff = rng.choice([-1, 1], size=8) * rng.uniform(0.1, 3.0, size=8)
        diff[np.abs(np.abs(diff) - 1.0) < 0.1] *= 1.5          # no difference near the kinks at ±1
        diff[:4] = [-2.5, -0.4, 0.6, 2.0]                    # both branches, both signs
        pred = y + diff
        result = call_student(huber_loss, pred.copy(), y.copy())
        loss, dpred = expect_tuple("huber_loss", result, 2)
        ref_loss, ref_dpred = _huber_reference(pred, y)
        name = f"dL/dŷ (case {case + 1})"
        got = _as_array(name, dpred)
        if got.shape == ref_dpred.shape and not np.allclose(got, ref_dpred, atol=1e-10):
            i = int(np.flatnonzero(~np.isclose(got, ref_dpred, atol=1e-10))[0])
            where = (f"{name} wrong at [{i}] (ŷ - y = {diff[i]:+.2f}): expected {ref_dpred[i]:.6f}, "
                     f"got {got[i]:.6f}")
            for hint, slip in _huber_slips(pred, y).items():
                if np.allclose(got, slip, atol=1e-10):
                    raise AssertionError(f"{where}. Likely cause: {hint}")
        expect_close(name, got, ref_dpred, atol=1e-10)
        if loss is not None and np.shape(loss) == y.shape:
            raise AssertionError(f"the loss (case {case + 1}) has shape {np.shape(loss)}, one loss per "
                                 "example: L is one number, the mean of the examples' losses, so "
                                 "take the mean (np.mean).")
        if np.ndim(loss) == 0 and loss is not None and np.isclose(float(loss), ref_loss * y.size):
            raise AssertionError(f"the loss (case {case + 1}) is the sum of the examples' losses; "
                                 "L is their mean, as the gradient you return assumes.")
        expect_close(f"the loss (case {case + 1})", loss, ref_loss, atol=1e-10)
    passed("dL/dŷ = (ŷ - y)/N on the quadratic branch and sign(ŷ - y)/N on the linear one: "
           "a squared error that stops growing its pull past 1.")


QUADRATIC_CURVATURES = (0.1, 2.0)


def check_largest_stable_lr(prediction) -> None:
    """``prediction``: η at which SGD stops converging on bp.optim.QUADRATIC (its stability
    limit), within 10%."""
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.integer, np.floating)):
        raise AssertionError(f"prediction should be a plain number, like prediction = 0.5; got "
                             f"{type(prediction).__name__}.")
    got = float(prediction)
    if not np.isfinite(got):
        raise AssertionError(f"prediction should be a finite number, got {got}.")
    flat, steep = QUADRATIC_CURVATURES
    truth = 2.0 / steep
    if abs(got - truth) <= 0.1 * truth:
        passed(f"Within 10%: η < 2/κ = {truth:g} for the steep direction, κ = {steep:g}. The "
               "sharpest curvature caps the learning rate; the flat direction then crawls.")
        return
    if got <= 0:
        why = "a learning rate is positive: gradient descent steps against the gradient with η > 0."
    elif np.isclose(got, 2.0 / flat, rtol=0.1) or np.isclose(got, 1.0 / flat, rtol=0.1):
        why = ("that limit comes from the flat direction (κ = 0.1). Each direction is its own "
               "parabola, and w_i is multiplied by (1 - η κ_i) at every step: at that η the steep "
               "direction's factor is far below -1, so w_2 swings wider and wider.")
    elif np.isclose(got, 2.0 / np.mean(QUADRATIC_CURVATURES), rtol=0.1) or \
            np.isclose(got, 2.0 / (flat + steep), rtol=0.1):
        why = ("there is no average curvature in gradient descent's update: the two weights move "
               "independently, each multiplied by its own (1 - η κ_i), and BOTH factors must stay "
               "between -1 and 1.")
    elif got < truth:
        why = ("gradient descent still converges at that rate, and at somewhat larger ones too. "
               "Write the factor (1 - η κ) of the steep direction and find where it reaches -1: "
               "beyond η = 1/κ it overshoots and oscillates, yet the oscillation still shrinks.")
    else:
        why = ("at that rate the steep direction diverges: its weight is multiplied by (1 - η κ) "
               "with κ = 2 at every step, and that factor must stay above -1.")
    raise AssertionError(f"prediction = {got:.4g} is not within 10% of the learning rate at which "
                         f"gradient descent stops converging (its stability limit): {why}")


def _cross_entropy_reference(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    onehot = np.eye(logits.shape[1])[labels]
    return float(-np.mean(log_p[np.arange(n), labels])), (np.exp(log_p) - onehot) / n


def check_cross_entropy(cross_entropy) -> None:
    """``cross_entropy(logits, labels) -> (loss, dlogits)``; logits (N, C), labels (N,) ints."""
    rng = np.random.default_rng(22)
    for n, c in ((6, 3), (10, 4)):
        logits, labels = rng.normal(scale=2.0, size=(n, c)), rng.integers(0, c, size=n)
        result = call_student(cross_entropy, logits.copy(), labels.copy())
        loss, dlogits = expect_tuple("cross_entropy", result, 2)
        ref_loss, ref_d = _cross_entropy_reference(logits, labels)
        name = f"dlogits (N = {n}, C = {c})"
        got = _as_array(name, dlogits)
        p, onehot = ref_d * n + np.eye(c)[labels], np.eye(c)[labels]
        slips = {
            f"the planted bug is still there: every entry is {n} = N times too large. The loss is "
            "the mean over the batch, L = (1/N) Σ ℓ_n, so dlogits = (p - y) / N.": ref_d * n,
            "every entry has the opposite sign: ∂ℓ/∂z = p - y (probabilities minus one-hot "
            "targets), not y - p.": -ref_d,
            f"you divided by N·C = {n * c}, the number of entries of the logits: the mean is "
            "over the N examples, so divide by N = logits.shape[0] only.": ref_d * n / (n * c),
            f"you divided by C = {c}, the number of classes (logits.shape[1]): the mean is over "
            "the examples, so divide by N = logits.shape[0], not C.": ref_d * n / c,
            "the one-hot target is not subtracted: dlogits = (p - y) / N, and the right class's "
            "entry gets -1 before dividing.": p / n,
            "you divided by N twice: the loss is averaged once, so dlogits = (p - y) / N.":
                ref_d / n,
            "the target's entry gets -1 but the other probabilities are zero: keep p for every "
            "class, then subtract the one-hot target.": (p * onehot - onehot) / n,
        }
        if got.shape == ref_d.shape and not np.allclose(got, ref_d, atol=1e-10):
            i, j = (int(k) for k in np.argwhere(~np.isclose(got, ref_d, atol=1e-10))[0])
            where = f"{name} wrong at [{i}, {j}]: expected {ref_d[i, j]:.6f}, got {got[i, j]:.6f}"
            for hint, slip in slips.items():
                if np.allclose(got, slip, atol=1e-10):
                    raise AssertionError(f"{where}. Likely cause: {hint}")
        expect_close(name, got, ref_d, atol=1e-10)
        if np.ndim(loss) == 0 and loss is not None and np.isclose(float(loss), ref_loss * n):
            raise AssertionError(f"the loss (N = {n}) is the sum over the batch; the mean divides "
                                 "it by N, as the gradient does.")
        expect_close(f"the loss (N = {n}, C = {c})", loss, ref_loss, atol=1e-10)
    passed("dlogits = (p - y) / N and the loss is the batch mean: gradcheck agrees now.")


# ------------------------------------------------------------------ chapter 9
def check_momentum_delta(momentum_delta) -> None:
    """``momentum_delta(grad, prev_delta, lr, mu)`` = -η ∂L/∂w + μ Δw(t−1)."""
    rng = np.random.default_rng(9)
    grad, prev = rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    got = call_student(momentum_delta, grad, prev, 0.1, 0.9)
    expect_close("Δw(t)", got, -0.1 * grad + 0.9 * prev)
    got = call_student(momentum_delta, grad, np.zeros_like(grad), 0.1, 0.9)
    expect_close("Δw(t) with no previous change", got, -0.1 * grad)
    passed("Δw(t) = -η ∂L/∂w + μ Δw(t−1): the momentum rule of the 1986 paper.")


def check_sum_squared_error(sum_squared_error) -> None:
    """``sum_squared_error(y_hat, y) -> (L, dL_dy_hat)`` with L = ½ Σ (ŷ - y)²."""
    rng = np.random.default_rng(10)
    y_hat, y = rng.uniform(size=(64, 1)), rng.integers(0, 2, size=(64, 1)).astype(float)
    L, dL = expect_tuple("sum_squared_error", call_student(sum_squared_error, y_hat, y), 2)
    expected = 0.5 * np.sum((y_hat - y) ** 2)
    if np.isclose(float(L), expected / 64):
        raise AssertionError("L is the mean, not the sum: the paper adds the error of every case "
                             "(no division by the number of patterns).")
    expect_close("L", L, expected)
    expect_close("dL/dŷ", dL, y_hat - y)
    passed("L = ½ Σ (ŷ - y)² summed over every case and output (the paper's error), and dL/dŷ = ŷ - y.")


def _deltas_1986(a1, y_hat, y, W2, *, output_slope=True, hidden_slope=True, sign=1.0,
                 slope_of=lambda a: a * (1.0 - a)):
    """δ^[2] (1,) and δ^[1] (H,) of the 6-2-1 network for one pattern, optionally with a mistake."""
    delta2 = sign * (y_hat - y) * (slope_of(y_hat) if output_slope else 1.0)
    delta1 = (W2.T @ delta2) * (slope_of(a1) if hidden_slope else 1.0)
    return delta2, delta1


def _first_difference(got: np.ndarray, expected: np.ndarray) -> str:
    i = int(np.flatnonzero(~np.isclose(got, expected, atol=1e-8, rtol=1e-6))[0])
    return f"at [{i}]: expected {expected[i]:.6f}, got {got[i]:.6f}"


def check_backprop_deltas(backprop_deltas) -> None:
    """``backprop_deltas(a1, y_hat, y, W2) -> (delta2, delta1)`` for one pattern of the 1986 net.

    a1 (H,) hidden activations, y_hat (1,) output, y (1,) target, W2 (1, H); with
    L = ½ (ŷ - y)², δ^[2] = (ŷ - y) ŷ(1 - ŷ) and δ^[1] = (W2ᵀ δ^[2]) ⊙ a1(1 - a1).
    """
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    mistakes = {
        "the sigmoid's slope ŷ(1 - ŷ) is missing from δ^[2]: δ^[2] = ∂L/∂z^[2] = (ŷ - y) · σ'(z^[2])":
            dict(output_slope=False),
        "the slope a^[1](1 - a^[1]) of the hidden sigmoids is missing: δ^[1] = (W2ᵀ δ^[2]) ⊙ σ'(z^[1])":
            dict(hidden_slope=False),
        "the sign is flipped: δ = ∂L/∂z starts from ŷ - y (output minus target), not y - ŷ":
            dict(sign=-1.0),
        "you applied the sigmoid again before taking its slope: σ'(z) = a(1 - a) uses the "
        "activation a itself, not σ(a)(1 - σ(a))": dict(slope_of=lambda a: sigmoid(a) * (1 - sigmoid(a))),
    }
    rng = np.random.default_rng(19)
    for case in range(3):
        a1 = rng.uniform(0.05, 0.95, size=2)
        W2 = rng.normal(scale=2.0, size=(1, 2))
        y_hat, y = sigmoid(W2 @ a1 + rng.normal(size=1)), np.array([float(case % 2)])
        got = expect_tuple("backprop_deltas", call_student(backprop_deltas, a1, y_hat, y, W2), 2)
        ref = _deltas_1986(a1, y_hat, y, W2)
        got = [_as_array(name, g) for name, g in zip(("delta2", "delta1"), got, strict=True)]
        for name, g, r in zip(("delta2", "delta1"), got, ref, strict=True):
            if g.shape != r.shape:
                raise AssertionError(f"{name} has shape {g.shape}, expected {r.shape} (one entry per "
                                     f"unit of its layer): with a1 {a1.shape} and W2 {W2.shape}, "
                                     "W2.T @ delta2 gives one number per hidden unit.")
        for cause, options in mistakes.items():
            wrong = _deltas_1986(a1, y_hat, y, W2, **options)
            if all(np.allclose(g, w, atol=1e-10) for g, w in zip(got, wrong, strict=True)):
                name = "delta2" if not np.allclose(got[0], ref[0]) else "delta1"
                where = _first_difference(*((got[0], ref[0]) if name == "delta2" else (got[1], ref[1])))
                raise AssertionError(f"{name} is wrong {where} (case {case + 1}). Likely cause: {cause}.")
        expect_close(f"delta2 (case {case + 1})", got[0], ref[0], atol=1e-10)
        expect_close(f"delta1 (case {case + 1})", got[1], ref[1], atol=1e-10)
    passed("δ^[2] = (ŷ - y) ŷ(1 - ŷ) and δ^[1] = (W2ᵀ δ^[2]) ⊙ a^[1](1 - a^[1]): the backward pass of "
           "the 1986 network for one pattern.")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _where(name: str, got: np.ndarray, expected: np.ndarray) -> str:
    """'name wrong at [i, j]: expected e, got g' for the first entry that differs."""
    close = np.isclose(got, expected, atol=1e-10, rtol=1e-8)
    i = tuple(int(k) for k in np.argwhere(~close)[0])
    return f"{name} wrong at {list(i)}: expected {expected[i]:.6f}, got {got[i]:.6f}"


def _tanh_linear_deltas(a1, y_hat, y, W2, *, output_slope=lambda a: 1.0, sign=1.0, outgoing=True,
                        hidden_slope=lambda a: 1.0 - a**2):
    """δ^[2] (N, 1) and δ^[1] (N, H) of a tanh-hidden, linear-output net, optionally with a mistake."""
    delta2 = sign * (y_hat - y) * output_slope(y_hat)
    delta1 = (delta2 @ W2 if outgoing else delta2) * hidden_slope(a1)
    return delta2, delta1


def check_tanh_linear_deltas(tanh_linear_deltas) -> None:
    """``tanh_linear_deltas(a1, y_hat, y, W2) -> (delta2, delta1)`` for a batch of N patterns.

    a1 (N, H) = tanh(z^[1]); y_hat (N, 1) = z^[2] = a1 @ W2.T + b2 (a linear output); y (N, 1);
    W2 (1, H); L = ½ Σ (ŷ - y)² summed. Expected δ^[2] = ŷ - y (N, 1) and
    δ^[1] = (δ^[2] W2) ⊙ (1 - a1²) (N, H).
    """
    mistakes = {
        "δ^[2] still carries a sigmoid's slope ŷ(1 - ŷ); a linear output unit has ŷ = z^[2], whose "
        "slope is 1, so δ^[2] = ŷ - y": dict(output_slope=lambda a: a * (1 - a)),
        "δ^[2] carries tanh's slope 1 - ŷ², but tanh is only in the hidden layer; the output unit is "
        "linear (slope 1), so δ^[2] = ŷ - y": dict(output_slope=lambda a: 1 - a**2),
        "the hidden units use the sigmoid's slope a(1 - a); for tanh the slope is "
        "tanh'(z) = 1 - tanh(z)² = 1 - a²": dict(hidden_slope=lambda a: a * (1 - a)),
        "the hidden slope is 1 - a; tanh'(z) = 1 - tanh(z)², so it is 1 - a² (square the activation)":
            dict(hidden_slope=lambda a: 1 - a),
        "the slope of the hidden tanh units is missing: δ^[1] = (δ^[2] W^[2]) ⊙ tanh'(z^[1])":
            dict(hidden_slope=lambda a: 1.0),
        "tanh is applied again before taking its slope: a1 is already tanh(z^[1]), so the slope is "
        "1 - a1², not 1 - tanh(a1)²": dict(hidden_slope=lambda a: 1 - np.tanh(a) ** 2),
        "the hidden slope has the wrong sign inside: tanh'(z) = 1 - tanh(z)² = 1 - a², not 1 + a² "
        "(tanh flattens as |z| grows, so its slope falls below 1)": dict(hidden_slope=lambda a: 1 + a**2),
        "δ^[1] never goes through the outgoing weights W^[2]: each hidden unit's share of the error "
        "is its weight to the output times δ^[2] (numpy broadcast the (N, 1) column over the hidden "
        "units, so the shapes fitted)": dict(outgoing=False),
        "the sign is flipped: δ = ∂L/∂z starts from ŷ - y (output minus target), not y - ŷ":
            dict(sign=-1.0),
    }
    rng = np.random.default_rng(39)
    N, H = 5, 3
    for case in range(3):
        a1 = np.tanh(1.5 * rng.normal(size=(N, H)))
        W2, b2 = rng.normal(size=(1, H)), rng.normal(size=1)
        y_hat = a1 @ W2.T + b2
        y = rng.integers(0, 2, size=(N, 1)).astype(float)
        got = expect_tuple("tanh_linear_deltas",
                           call_student(tanh_linear_deltas, a1.copy(), y_hat.copy(), y.copy(), W2.copy()), 2)
        got = [_as_array(name, g) for name, g in zip(("delta2", "delta1"), got, strict=True)]
        ref = _tanh_linear_deltas(a1, y_hat, y, W2)
        for name, g, r in zip(("delta2", "delta1"), got, ref, strict=True):
            if g.shape == r.shape[1:] or g.shape == (r.shape[1],):
                raise AssertionError(f"{name} has shape {g.shape}, expected {r.shape}: one δ per pattern "
                                     "and unit. Did you sum over the batch? The sum over patterns "
                                     "belongs in the weight gradients, not in δ.")
            if g.shape != r.shape:
                raise AssertionError(f"{name} has shape {g.shape}, expected {r.shape} (patterns, units "
                                     f"of its layer): with delta2 {ref[0].shape} and W2 {W2.shape}, "
                                     "delta2 @ W2 gives one number per pattern and hidden unit.")
        if np.allclose(got[0], ref[0] / N, atol=1e-12) and np.allclose(got[1], ref[1] / N, atol=1e-12):
            raise AssertionError(f"{_where('delta2', got[0], ref[0])}: every δ is 1/{N} of the expected "
                                 "one. The paper's L is a sum over the patterns, not a mean, so no 1/N.")
        for cause, options in mistakes.items():
            wrong = _tanh_linear_deltas(a1, y_hat, y, W2, **options)
            if all(np.allclose(g, w, atol=1e-10) for g, w in zip(got, wrong, strict=True)):
                i = 0 if not np.allclose(got[0], ref[0], atol=1e-10) else 1
                where = _where(("delta2", "delta1")[i], got[i], ref[i])
                raise AssertionError(f"{where} (case {case + 1}). Likely cause: {cause}.")
        expect_close(f"delta2 (case {case + 1})", got[0], ref[0], atol=1e-10)
        expect_close(f"delta1 (case {case + 1})", got[1], ref[1], atol=1e-10)
    passed("δ^[2] = ŷ - y for the linear output and δ^[1] = (δ^[2] W^[2]) ⊙ (1 - (a^[1])²) for the "
           "tanh layer: you derived a backward pass the chapter did not write.")


def _momentum_factor(mu: float = 0.9, sweeps: int = 100) -> float:
    """Δw(t) / (-η g) after ``sweeps`` momentum updates with a constant gradient g, from rest."""
    return (1.0 - mu**sweeps) / (1.0 - mu)


def check_momentum_prediction(prediction) -> None:
    """``prediction``: a number, the factor c in Δw(100) = c · (-η g) for μ = 0.9 and a constant g.

    Accepted within 5% of (1 - μ^100) / (1 - μ), which is 10 to four digits.
    """
    if isinstance(prediction, np.ndarray) and prediction.ndim == 0:
        prediction = prediction.item()
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.integer, np.floating)):
        raise AssertionError(f"prediction should be one number (e.g. prediction = 3.5), got "
                             f"{type(prediction).__name__}.")
    c, expected = float(prediction), _momentum_factor()
    if not np.isfinite(c):
        raise AssertionError(f"prediction is {c}: the changes stay finite, since each old one fades by "
                             "μ = 0.9 every sweep.")
    if abs(c - expected) <= 0.05 * expected:
        passed("Right: with a steady gradient the 1986 rule takes steps 1/(1 - μ) = 10 times -η g.")
        return
    hint = ("Write out the first changes for a constant g: Δw(1) = -η g, Δw(2) = -η g + μ Δw(1) "
            "= -η g (1 + μ), Δw(3) = -η g (1 + μ + μ²), ... Each sweep adds one more power of μ; "
            "the sum of that geometric series is what c is after 100 terms.")
    if c <= 0:
        why = ("c is the factor in front of -η g, and every change goes the same way as -η g (the "
               "gradient never changes sign here), so c is positive.")
    elif c < 0.95:
        why = ("μ does not shrink the current step: it multiplies the previous change, which is added "
               "to the full -η g of this sweep. So c is at least 1.")
    elif c < 1.5:
        why = "c = 1 is plain gradient descent, or the first sweep; the earlier changes add to it."
    elif c < 2.5:
        why = "c = 1 + μ is the second sweep; the series keeps growing after that."
    elif 8.5 <= c < 9.5:
        why = ("That is μ/(1 - μ) = 9: the sum of the old changes μ + μ² + ..., without the current "
               "sweep's own -η g. The first term of the series is 1 (this sweep's gradient step), "
               "and μ multiplies only what came before.")
    elif c > 1.05 * expected:
        why = ("The old changes do not add up at full size: the change made k sweeps ago counts "
               "μ^k, which fades towards 0, so the growth stops.")
    else:
        why = "The factor grows for longer than that: 100 sweeps are many, and μ = 0.9 forgets slowly."
    raise AssertionError(f"prediction {c:g} is not within 5% of the right factor. {why} {hint}")


def _grads_1986(W1, b1, W2, b2, x, y, *, hidden_slope="hidden", outgoing=True, scale=1.0):
    """L and (dW1, db1, dW2, db2) of the 1986 sigmoid net on the summed loss, optionally with a mistake."""
    a1 = _sigmoid(x @ W1.T + b1)
    y_hat = _sigmoid(a1 @ W2.T + b2)
    delta2 = (y_hat - y) * y_hat * (1 - y_hat)
    slope = {"hidden": a1 * (1 - a1), "output": y_hat * (1 - y_hat), "none": 1.0,
             "both": a1 * (1 - a1) * y_hat * (1 - y_hat),
             "sigmoid again": _sigmoid(a1) * (1 - _sigmoid(a1))}[hidden_slope]
    delta1 = (delta2 @ W2 if outgoing else delta2) * slope
    grads = (delta1.T @ x, delta1.sum(axis=0), delta2.T @ a1, delta2.sum(axis=0))
    return 0.5 * np.sum((y_hat - y) ** 2), tuple(scale * g for g in grads)


def check_loss_and_grads_1986(loss_and_grads_1986) -> None:
    """``loss_and_grads_1986(W1, b1, W2, b2, x, y) -> (L, (dW1, db1, dW2, db2))``.

    W1 (H, D), b1 (H,), W2 (1, H), b2 (1,), x (N, D), y (N, 1); sigmoid hidden and output units,
    L = ½ Σ (ŷ - y)² summed over the N patterns; gradients of the shapes of W1, b1, W2, b2.
    """
    names = ("dW1", "db1", "dW2", "db2")
    mistakes = {
        "this is still the planted bug: δ^[1] multiplies by the output's slope ŷ(1 - ŷ) (numpy "
        "broadcast the (N, 1) column over the hidden units); each hidden unit needs its own slope "
        "a^[1](1 - a^[1])": dict(hidden_slope="output"),
        "δ^[1] multiplies by both slopes. The output's ŷ(1 - ŷ) is already inside δ^[2]; the hidden "
        "layer adds only its own slope a^[1](1 - a^[1])": dict(hidden_slope="both"),
        "δ^[1] has lost the hidden slope: δ^[1] = (δ^[2] W^[2]) ⊙ a^[1](1 - a^[1])":
            dict(hidden_slope="none"),
        "δ^[1] never goes through the outgoing weights W^[2]: a hidden unit's share of the error is "
        "its weight to the output times δ^[2]": dict(outgoing=False),
        "the sigmoid is applied again before taking its slope: σ'(z) = a(1 - a) uses the activation "
        "a itself, not σ(a)(1 - σ(a))": dict(hidden_slope="sigmoid again"),
    }
    rng = np.random.default_rng(49)
    patterns = np.array([[(k >> i) & 1 for i in range(6)] for k in range(64)], dtype=float)
    for case in range(2):
        W1, b1 = rng.normal(scale=1.5, size=(2, 6)), rng.normal(size=2)
        W2, b2 = rng.normal(scale=3.0, size=(1, 2)), rng.normal(size=1)
        x = patterns[rng.choice(64, size=16, replace=False)]
        y = rng.integers(0, 2, size=(16, 1)).astype(float)
        inputs = (W1, b1, W2, b2, x, y)
        result = call_student(loss_and_grads_1986, *(a.copy() for a in inputs))
        L, grads = expect_tuple("loss_and_grads_1986", result, 2)
        grads = expect_tuple("the gradients (dW1, db1, dW2, db2)", grads, 4)
        ref_L, ref = _grads_1986(*inputs)
        if np.size(L) == 1 and np.ndim(L) > 0:       # e.g. a (1,) array from .sum(axis=0)
            L = float(np.asarray(L).reshape(-1)[0])
        if np.ndim(L) == 0 and np.isclose(float(L), ref_L / len(x)):
            raise AssertionError(f"L is the mean over the {len(x)} patterns; the paper's L is their sum.")
        expect_close(f"L (case {case + 1})", L, ref_L, atol=1e-10)
        got = [_as_array(n, g) for n, g in zip(names, grads, strict=True)]
        for n, g, r in zip(names, got, ref, strict=True):
            if g.shape != r.shape:
                expect_close(n, g, r)                  # names the shape and a likely reason
        if all(np.allclose(g, r / len(x), atol=1e-12) for g, r in zip(got, ref, strict=True)):
            raise AssertionError(f"{_where('dW1', got[0], ref[0])}: every gradient is 1/{len(x)} of "
                                 "the expected one. The paper's L sums over the patterns: no mean.")
        for cause, options in mistakes.items():
            wrong = _grads_1986(*inputs, **options)[1]
            if all(np.allclose(g, w, atol=1e-10) for g, w in zip(got, wrong, strict=True)):
                bad = [i for i in range(4) if not np.allclose(got[i], ref[i], atol=1e-10)]
                raise AssertionError(f"{_where(names[bad[0]], got[bad[0]], ref[bad[0]])} (case {case + 1}; "
                                     f"wrong: {', '.join(names[i] for i in bad)}). Likely cause: {cause}.")
        for n, g, r in zip(names, got, ref, strict=True):
            expect_close(f"{n} (case {case + 1})", g, r, atol=1e-10, rtol=1e-8)
    passed("L and all four gradients agree: the gradient check pointed at W1 and b1, and you "
           "gave each hidden unit its own slope a^[1](1 - a^[1]). Why the bug looked small at the "
           "random start: the weights start in U(-0.3, 0.3), so every net input is near 0 and "
           "a^[1] ≈ ŷ ≈ 0.5; the planted slope ŷ(1 - ŷ) ≈ a^[1](1 - a^[1]) ≈ 0.25 is then nearly "
           "right. Run a gradient check at weights away from such special points.")


# ------------------------------------------------------------------ chapter 10
def _reference_steps(optimizer_cls, grads, w0, **options):
    p = Parameter(w0.copy())
    opt = optimizer_cls([p], **options)
    for g in grads:
        p.grad[...] = g
        opt.step()
    return p, opt.state[p]


def check_momentum_step(momentum_step) -> None:
    """``momentum_step(w, m, grad, lr, mu) -> (w, m)`` with m ← μ m + g and w ← w - η m."""
    rng = np.random.default_rng(12)
    w0, grads = rng.normal(size=4), rng.normal(size=(5, 4))
    w, m = w0.copy(), np.zeros(4)
    for t, g in enumerate(grads):
        w, m = expect_tuple("momentum_step", call_student(momentum_step, w, m, g, 0.1, 0.9), 2)
        w, m = np.asarray(w, dtype=float), np.asarray(m, dtype=float)
        p, state = _reference_steps(SGD, grads[:t + 1], w0, lr=0.1, momentum=0.9)
        if np.allclose(m, -0.1 * state["momentum_buffer"]):
            raise AssertionError("your m is -η times ours: you used m ← μm - η·g, w ← w + m. "
                                 "Here (as in PyTorch) m sums raw gradients, m ← μm + g, and "
                                 "w ← w - η·m.")
        expect_close(f"m after step {t + 1}", m, state["momentum_buffer"])
        expect_close(f"w after step {t + 1}", w, p.data)
    passed("Momentum keeps a running sum of gradients, m ← μm + g, and steps along it.")


def check_adam_bias_correction(adam_bias_correction) -> None:
    """``adam_bias_correction(m, v, t, beta1, beta2) -> (m_hat, v_hat)``."""
    rng = np.random.default_rng(13)
    m, v = rng.normal(size=3), rng.uniform(size=3)
    for t in (1, 2, 10, 1000):
        got = expect_tuple("adam_bias_correction",
                           call_student(adam_bias_correction, m, v, t, 0.9, 0.999), 2)
        expect_close(f"m_hat at t={t}", got[0], m / (1 - 0.9 ** t))
        expect_close(f"v_hat at t={t}", got[1], v / (1 - 0.999 ** t))
    # at t = 1 the corrected moments of one gradient g are g and g²
    p, state = _reference_steps(Adam, [np.array([0.3, -2.0])], np.zeros(2))
    m_hat, v_hat = call_student(adam_bias_correction, state["exp_avg"], state["exp_avg_sq"], 1,
                                0.9, 0.999)
    expect_close("m_hat after one gradient g", m_hat, [0.3, -2.0])
    expect_close("v_hat after one gradient g", v_hat, [0.09, 4.0])
    passed("Dividing by 1 - β^t undoes the pull towards the zero start: after one step m̂ = g.")


def check_rmsprop_step(rmsprop_step) -> None:
    """``rmsprop_step(w, v, grad, lr, beta2, eps) -> (w, v)``.

    v ← β₂v + (1-β₂)g², w ← w - η g/(√v + ε).
    """
    rng = np.random.default_rng(14)
    w0, grads = rng.normal(size=3), rng.normal(size=(4, 3))
    w, v = w0.copy(), np.zeros(3)
    for t, g in enumerate(grads):
        w, v = expect_tuple("rmsprop_step",
                            call_student(rmsprop_step, w, v, g, 0.01, 0.9, 1e-8), 2)
        p, state = _reference_steps(RMSprop, grads[:t + 1], w0, lr=0.01, alpha=0.9, eps=1e-8)
        expect_close(f"v after step {t + 1}", v, state["square_avg"])
        expect_close(f"w after step {t + 1}", w, p.data, atol=1e-9)
    # with small gradients and a large ε the place of ε matters: √v + ε against √(v + ε)
    w0, g, eps = np.array([1.0, -2.0, 0.5]), np.array([1e-3, -2e-3, 5e-4]), 1e-2
    w, v = expect_tuple("rmsprop_step", call_student(rmsprop_step, w0, np.zeros(3), g, 0.01, 0.9,
                                                     eps), 2)
    v_ref = 0.1 * g ** 2
    expected, inside = w0 - 0.01 * g / (np.sqrt(v_ref) + eps), w0 - 0.01 * g / np.sqrt(v_ref + eps)
    w = _as_array("w", w)
    if w.shape == expected.shape and np.allclose(w, inside, rtol=1e-9, atol=0) \
            and not np.allclose(w, expected, rtol=1e-9, atol=0):
        raise AssertionError(f"ε belongs outside the square root: w ← w - η g/(√v + ε), not "
                             f"g/√(v + ε). With v = {v_ref[0]:.1e} and ε = {eps:g}, w[0] should be "
                             f"{expected[0]:.6f}, you got {w[0]:.6f}.")
    expect_close(f"v with ε = {eps:g}", v, v_ref)
    expect_close(f"w with ε = {eps:g}", w, expected, atol=1e-12, rtol=1e-9)
    passed("RMSprop divides each step by the root of a running mean of squared gradients, "
           "plus ε outside the root.")


def _rosenbrock_grad(w: np.ndarray, *, inner: float = -2.0, outer: float = 2.0, first: float = -1.0,
                     with_first: bool = True, swap: bool = False) -> np.ndarray:
    """∂L/∂w (N, 2) of L = (1 - w₁)² + 100 (w₂ - w₁²)² at w (N, 2), optionally with a slip.

    ``inner`` is d(w₂ - w₁²)/dw₁ per unit of w₁ (0 drops it), ``outer`` the factor 2 of each
    square, ``first`` the inner derivative of 1 - w₁.
    """
    x, y = w[:, 0], w[:, 1]
    r = y - x ** 2
    d1 = (outer * (1 - x) * first if with_first else 0.0) \
        + 100 * outer * r * (inner * x if inner else 1.0)
    d2 = 100 * outer * r
    return np.stack([d2, d1] if swap else [d1, d2], axis=1)


_ROSENBROCK_SLIPS = {
    "the chain rule's inner factor is missing: w₁ enters 100(w₂ - w₁²)² through w₂ - w₁², so "
    "∂/∂w₁ of that term is 200(w₂ - w₁²) times d(w₂ - w₁²)/dw₁": dict(inner=0.0),
    "the inner derivative has the wrong sign: d(w₂ - w₁²)/dw₁ = -2w₁, not +2w₁": dict(inner=2.0),
    "the first term has the wrong sign: (1 - w₁)² has inner derivative d(1 - w₁)/dw₁ = -1, so "
    "its derivative is -2(1 - w₁)": dict(first=1.0),
    "the factor 2 of differentiating a square is missing (d(u²)/du = 2u), in both terms":
        dict(outer=1.0),
    "the first term (1 - w₁)² is missing from ∂L/∂w₁: it depends on w₁ as well": dict(with_first=False),
    "the two columns are swapped: column 0 is ∂L/∂w₁, column 1 is ∂L/∂w₂": dict(swap=True),
}


def check_rosenbrock_grad(rosenbrock_grad) -> None:
    """``rosenbrock_grad(w) -> dL_dw``: w (N, 2) points, dL_dw (N, 2), for Rosenbrock's function.

    L(w₁, w₂) = (1 - w₁)² + 100 (w₂ - w₁²)², differentiated at each row of w.
    """
    rng = np.random.default_rng(10)
    w = np.vstack([[-1.5, 2.0], [1.0, 1.0], rng.uniform(-2.0, 2.0, size=(6, 2))])
    got = call_student(rosenbrock_grad, w.copy())
    expected = _rosenbrock_grad(w)
    arr = _as_array("rosenbrock_grad(w)", got)
    if arr.shape == (2,):
        raise AssertionError(f"rosenbrock_grad(w) has shape (2,) for w of shape {w.shape}: you summed "
                             "or averaged over the points. Return one gradient per row of w, shape (N, 2).")
    if arr.shape == expected.shape and not np.allclose(arr, expected, rtol=1e-7, atol=1e-8):
        for cause, slip in _ROSENBROCK_SLIPS.items():
            if np.allclose(arr, _rosenbrock_grad(w, **slip), rtol=1e-7, atol=1e-8):
                i, j = (int(k) for k in np.argwhere(~np.isclose(arr, expected, rtol=1e-7, atol=1e-8))[0])
                raise AssertionError(
                    f"∂L/∂w{'₁₂'[j]} (column {j}) is wrong at [{i}, {j}] (w = {w[i].tolist()}): expected "
                    f"{expected[i, j]:.4f}, got {arr[i, j]:.4f}. Likely cause: {cause}.")
    expect_close("rosenbrock_grad(w)", arr, expected, atol=1e-8, rtol=1e-7)
    passed("∂L/∂w₁ = -2(1 - w₁) - 400 w₁(w₂ - w₁²) and ∂L/∂w₂ = 200(w₂ - w₁²): the chain rule "
           "through w₂ - w₁² gives the -400 w₁ term that bends the valley.")


def check_adam_tiny_gradient_step(prediction) -> None:
    """``prediction``: a number, Adam's first step for a gradient g = ε = 1e-8, as a fraction of η."""
    if isinstance(prediction, np.ndarray) and prediction.ndim == 0:
        prediction = prediction.item()
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.integer, np.floating)):
        raise AssertionError(f"prediction should be one number (a fraction of η, such as 0.25), got "
                             f"{type(prediction).__name__}.")
    value, truth = float(prediction), 0.5
    if abs(value - truth) <= 0.02 * truth:
        passed("The first step is η·|g| / (|g| + ε): with |g| = ε the denominator doubles and the "
               "step is half of η.")
        return
    reasons = [f"Your prediction {value:g} is not within 2% of the answer."]
    if value <= 0:
        reasons.append("A length is positive: give how far the weight moves, |Δw| / η, not the signed "
                       "update (which points against g). Zero would mean Adam does not move at all.")
    elif abs(value - 1.0) <= 0.05:
        reasons.append("'η whatever the scale' holds only while |g| is much larger than ε. Write the "
                       "step out: after one gradient m̂₁ = g and √v̂₁ = |g|, and the denominator is "
                       "√v̂₁ + ε. Compare its two terms here.")
    elif value < 1e-3:
        reasons.append("That is the size of SGD's step η·g. Adam divides the (corrected) average of g "
                       "by √v̂ + ε, which has the scale of g itself, so the scale of g cancels unless "
                       "ε is comparable to it.")
    elif value > 1.0:
        reasons.append("Adam's first step is never longer than η: |m̂₁| = |g| and √v̂₁ + ε > |g|. "
                       "Did you leave out the bias correction of one of the moments?")
    else:
        reasons.append("After one gradient m̂₁ = g and √v̂₁ = |g| (the corrections undo β₁ and β₂); "
                       "put both into η·m̂₁ / (√v̂₁ + ε) with |g| = ε.")
    raise AssertionError(" ".join(reasons))


def _adam_step(w, m, v, grad, t, lr, beta1, beta2, eps, *, v_beta: str = "beta2",
               m_beta: str = "beta1", correct: bool = True, return_hats: bool = False,
               eps_inside: bool = False, efficient: bool = False):
    """One Adam step: w, m, v, grad of one shape, t ≥ 1 -> (w, m, v), optionally with a slip."""
    betas = {"beta1": beta1, "beta2": beta2}
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - betas[m_beta] ** t) if correct else m
    v_hat = v / (1 - betas[v_beta] ** t) if correct else v
    denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    if efficient:   # Kingma and Ba's reordering: corrected step size, ε added to the raw √v
        w = w - lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m / (np.sqrt(v) + eps)
    else:
        w = w - lr * m_hat / denom
    return (w, m_hat, v_hat) if return_hats else (w, m, v)


_ADAM_SLIPS = {
    "v̂ is still corrected with β₁, the planted bug: each average is corrected with its own β, "
    "m̂ = m/(1 - β₁^t) but v̂ = v/(1 - β₂^t)": dict(v_beta="beta1"),
    "m̂ is now corrected with β₂: one shared correction cannot serve both averages; m̂ = m/(1 - β₁^t), "
    "v̂ = v/(1 - β₂^t)": dict(m_beta="beta2"),
    "neither average is corrected: removing the wrong correction is not the fix; the first steps "
    "then start far too short or too long. Divide m by 1 - β₁^t and v by 1 - β₂^t":
        dict(correct=False),
    "you return the corrected m̂ and v̂: return the raw averages m and v (what Adam stores in "
    "optimizer.state), or the next step corrects them a second time": dict(return_hats=True),
    "ε belongs outside the square root: √v̂ + ε, not √(v̂ + ε)": dict(eps_inside=True),
    "this is Kingma and Ba's 'efficient' ordering, step size η√(1 - β₂^t)/(1 - β₁^t) with ε added "
    "to the raw √v: ε is added to √v̂ (after the correction), not √v, as in bp.optim.Adam and "
    "PyTorch": dict(efficient=True),
}


def check_adam_step(adam_step) -> None:
    """``adam_step(w, m, v, grad, t, lr, beta1, beta2, eps) -> (w, m, v)``: one Adam step.

    All arrays of one shape (here (3,)); t is the step number, 1 for the first; m and v are returned
    uncorrected, as ``bp.optim.Adam`` keeps them in ``state['exp_avg']`` and ``state['exp_avg_sq']``.
    """
    rng = np.random.default_rng(16)
    runs = [(rng.normal(size=(6, 3)), 0.01, 1e-8),     # the usual settings
            (rng.normal(size=(3, 3)) * 1e-3, 0.01, 1e-2)]  # a large ε next to small gradients
    for grads, lr, eps in runs:
        w, m, v = rng.normal(size=3), np.zeros(3), np.zeros(3)
        for t, g in enumerate(grads, start=1):
            args = (w, m, v, g, t, lr, 0.9, 0.999, eps)
            got = expect_tuple("adam_step", call_student(adam_step, *(np.copy(a) for a in args)), 3)
            got = [_as_array(name, x) for name, x in zip("wmv", got, strict=True)]
            expected = _adam_step(*args)
            ok = [g_.shape == e.shape and np.allclose(g_, e, rtol=1e-9, atol=1e-12)
                  for g_, e in zip(got, expected, strict=True)]
            if not all(ok):
                for cause, slip in _ADAM_SLIPS.items():
                    wrong = _adam_step(*args, **slip)
                    if all(g_.shape == x.shape and np.allclose(g_, x, rtol=1e-9, atol=1e-12)
                           for g_, x in zip(got, wrong, strict=True)):
                        name = "wmv"[ok.index(False)]
                        raise AssertionError(f"{name} is wrong after step {t} (ε = {eps:g}). "
                                             f"Likely cause: {cause}.")
            for name, g_, e in zip("mvw", got[1:] + got[:1], expected[1:] + expected[:1], strict=True):
                expect_close(f"{name} after step {t} (ε = {eps:g})", g_, e, rtol=1e-9, atol=1e-12)
            w, m, v = expected
    passed("m̂ = m/(1 - β₁^t) and v̂ = v/(1 - β₂^t), each with its own β, and the raw m and v carried "
           "to the next step: your step matches bp.optim.Adam.")


def _softmax_regression_grads(W, b, x, labels, *, db_scale: str = "N", dW_scale: str = "N",
                              onehot: bool = True):
    """L and (dW (C, D), db (C,)) of the mean cross-entropy of logits x Wᵀ + b, optionally with a slip."""
    n, c = x.shape[0], W.shape[0]
    logits = x @ W.T + b
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dz = np.exp(log_p) - (np.eye(c)[labels] if onehot else 0.0)
    scale = {"N": 1.0 / n, "1": 1.0, "C": 1.0 / c, "N²": 1.0 / n**2}
    return (float(-np.mean(log_p[np.arange(n), labels])),
            (scale[dW_scale] * dz.T @ x, scale[db_scale] * dz.sum(axis=0)))


_SOFTMAX_REGRESSION_SLIPS = {
    "this is still the planted bug: db is N times too large. L is the mean over the N examples, "
    "so every gradient carries the 1/N, the bias's as well as the weights'": dict(db_scale="1"),
    "db is divided by the number of classes C, not by the number of examples N: the mean in L "
    "runs over the batch": dict(db_scale="C"),
    "dW is now divided by N twice: the 1/N was already in dW; only db lacked it":
        dict(dW_scale="N²"),
    "the 1/N was moved rather than added: dW now lacks it. Both gradients need it":
        dict(dW_scale="1", db_scale="N"),
    "the one-hot target is not subtracted: ∂L/∂z = (softmax(z) - onehot(y)) / N": dict(onehot=False),
}


def check_softmax_regression_grads(softmax_regression_grads) -> None:
    """``softmax_regression_grads(W, b, x, labels) -> (L, (dW, db))`` for mean cross-entropy.

    W (C, D), b (C,), x (N, D), labels (N,) integers in [0, C); logits x Wᵀ + b;
    L = -(1/N) Σ_n log softmax(z_n)[labels_n]; dW (C, D), db (C,).
    """
    rng = np.random.default_rng(17)
    for case, n in enumerate((8, 5), start=1):
        W, b = rng.normal(size=(4, 3)), rng.normal(size=4)
        x, labels = rng.normal(size=(n, 3)), rng.integers(0, 4, size=n)
        inputs = (W, b, x, labels)
        result = call_student(softmax_regression_grads, *(a.copy() for a in inputs))
        L, grads = expect_tuple("softmax_regression_grads", result, 2)
        dW, db = expect_tuple("the gradients (dW, db)", grads, 2)
        ref_L, (ref_dW, ref_db) = _softmax_regression_grads(*inputs)
        expect_close(f"L (case {case}, N = {n})", L, ref_L, atol=1e-10)
        dW, db = _as_array("dW", dW), _as_array("db", db)
        if db.shape == ():
            raise AssertionError(f"db is one number; it should have shape {ref_db.shape}, one entry per "
                                 "class: sum ∂L/∂z over the examples only (axis=0), not over the classes.")
        for name, g, r in (("dW", dW, ref_dW), ("db", db, ref_db)):
            if g.shape != r.shape:
                expect_close(name, g, r)                  # names the shape and a likely reason
        for cause, slip in _SOFTMAX_REGRESSION_SLIPS.items():
            wrong = _softmax_regression_grads(*inputs, **slip)[1]
            if np.allclose(dW, wrong[0], atol=1e-12) and np.allclose(db, wrong[1], atol=1e-12):
                name, g, r = ("db", db, ref_db) if not np.allclose(db, ref_db, atol=1e-12) else ("dW", dW, ref_dW)
                raise AssertionError(f"{_where(name, g, r)} (case {case}, N = {n}). Likely cause: {cause}.")
        expect_close(f"dW (case {case}, N = {n})", dW, ref_dW, atol=1e-10, rtol=1e-8)
        expect_close(f"db (case {case}, N = {n})", db, ref_db, atol=1e-10, rtol=1e-8)
    passed("dW = (softmax(z) - onehot(y))ᵀ x / N and db = Σ_n (softmax(z_n) - onehot(y_n)) / N: "
           "the gradient of a mean carries its 1/N into every parameter, which keeps the step size "
           "of SGD independent of the batch size.")
