"""Checks for chapter 1 (Overview) and chapter 4 (Computing gradients of one neuron)."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import call_student, expect_close, expect_tuple, passed
from bplib.functional import sigmoid
from bplib.neuron import neuron_gradients as neuron_gradients_reference

__all__ = [
    "check_central_difference", "check_sgd_step", "check_loss_change_prediction",
    "check_tanh_unit_gradient", "check_step_loss_change", "check_line_fit_gradients",
    "check_sigmoid_prime", "check_neuron_gradients", "check_neuron_gradients_batch",
    "check_leaky_neuron_gradients", "check_saturation_prediction", "check_neuron_loss_and_grads",
]


# ------------------------------------------------------------------ chapter 1
def check_central_difference(central_difference) -> None:
    """``central_difference(f, x, h)`` ≈ f'(x) with error O(h²)."""
    cases = [(np.sin, 0.7, np.cos(0.7)), (np.exp, -1.3, np.exp(-1.3)), (lambda v: v**3, 2.0, 12.0)]
    for f, x, slope in cases:
        got = call_student(central_difference, f, x, 1e-5)
        _reject_one_sided(got, f, x, 1e-5, slope)
        expect_close(f"central_difference(f, {x}, 1e-5)", got, slope, atol=1e-8, rtol=1e-7)
    h = 0.1
    got = call_student(central_difference, lambda v: v**3, 2.0, h)
    _reject_one_sided(got, lambda v: v**3, 2.0, h, 12.0 + h**2)
    expect_close("central_difference(x**3, 2.0, h=0.1)", got, 12.0 + h**2, atol=1e-9, rtol=1e-9)
    passed("central_difference matches the exact derivatives (and has the O(h²) error of a central difference).")


def _reject_one_sided(got, f, x: float, h: float, expected: float) -> None:
    """Name a forward or backward (one-sided) difference: first-order accurate only."""
    if got is None or np.ndim(got) != 0 or np.isclose(float(got), expected, atol=1e-9, rtol=1e-9):
        return
    if np.isclose(float(got), (f(x + h) - f(x - h)) / 2 * h, atol=1e-300, rtol=1e-9):
        raise AssertionError(
            f"central_difference(f, {x}, {h:g}) gave {float(got):.3g}, expected {expected:.8f}: "
            "/2*h multiplies by h, because Python reads a / 2 * h as (a / 2) * h; write / (2 * h).")
    for kind, value in (("forward", (f(x + h) - f(x)) / h), ("backward", (f(x) - f(x - h)) / h)):
        if np.isclose(float(got), value, atol=1e-12, rtol=1e-9):
            raise AssertionError(
                f"central_difference(f, {x}, {h:g}) gave {float(got):.8f}, the one-sided ({kind}) "
                f"difference; expected {expected:.8f}. A one-sided difference is only first-order "
                "accurate: its error shrinks like O(h), while the central difference "
                "(f(x + h) - f(x - h)) / 2h, nudging both ways, has an error O(h²).")


def check_sgd_step(sgd_step) -> None:
    """``sgd_step(w, grad, lr)`` returns ``w - lr * grad`` without changing ``w``."""
    rng = np.random.default_rng(4)
    w, grad = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    w_before = w.copy()
    new_w = call_student(sgd_step, w, grad, 0.1)
    expect_close("the step you took (new_w - w)", np.asarray(new_w) - w_before, -0.1 * grad)
    if not np.array_equal(w, w_before):
        raise AssertionError("sgd_step changed w in place; return a new array instead (w - lr * grad).")
    passed("sgd_step moves every weight a small step against its gradient.")


def check_loss_change_prediction(loss_change_prediction) -> None:
    """``loss_change_prediction(grad, nudge)`` is the first-order change ``sum(grad * nudge)``."""
    rng = np.random.default_rng(5)
    grad, dw = rng.normal(size=(2, 3)), 1e-3 * rng.normal(size=(2, 3))
    got = call_student(loss_change_prediction, grad, dw)
    expect_close("predicted loss change", got, np.sum(grad * dw), atol=1e-12, rtol=1e-9)
    passed("Your first-order prediction sums gradient × nudge over every weight.")


def _tanh_unit_reference(w: float, x: float, y: float) -> float:
    a = np.tanh(w * x)
    return float(2 * (a - y) * (1 - a**2) * x)


def _tanh_unit_slips(w: float, x: float, y: float) -> dict[str, float]:
    """dℓ/dw of the usual slips for ℓ = (tanh(w x) - y)², keyed by the hint that names them."""
    a = np.tanh(w * x)
    return {
        "the factor 2 from the square is missing: d(u²)/du = 2u.": float((a - y) * (1 - a**2) * x),
        "the last factor of the chain rule is missing: ∂(w x)/∂w = x, so multiply by x.":
            float(2 * (a - y) * (1 - a**2)),
        "the derivative of tanh is missing: ŷ = tanh(w x) contributes 1 - tanh²(w x).":
            float(2 * (a - y) * x),
        "tanh's derivative is 1 - tanh², not 1 - tanh: square ŷ = tanh(w x).":
            float(2 * (a - y) * (1 - a) * x),
        "ŷ(1 - ŷ) is the sigmoid's derivative; tanh's is 1 - ŷ².": float(2 * (a - y) * a * (1 - a) * x),
        "the sign is flipped: the inner derivative of (ŷ - y)² with respect to ŷ is +1, "
        "so the gradient starts from 2(ŷ - y), not 2(y - ŷ).": float(-2 * (a - y) * (1 - a**2) * x),
        "you multiplied by w, not by x: that is the chain rule's factor for dℓ/dx; for dℓ/dw "
        "it is ∂(w x)/∂w = x.": float(2 * (a - y) * (1 - a**2) * w),
    }


TANH_UNIT_POINTS = [(0.5, 1.5, 1.0), (-1.2, 0.8, 0.0), (2.0, -0.7, -1.0), (0.3, -2.0, 0.5)]


def check_tanh_unit_gradient(tanh_unit_gradient) -> None:
    """``tanh_unit_gradient(w, x, y)`` -> dℓ/dw (a number) for ℓ = (tanh(w x) - y)²; w, x, y numbers."""
    answers = []
    for w, x, y in TANH_UNIT_POINTS:
        got = call_student(tanh_unit_gradient, w, x, y)
        if got is None or np.ndim(got) != 0:
            raise AssertionError(f"tanh_unit_gradient({w}, {x}, {y}) should return one number, got "
                                 f"{'None' if got is None else f'shape {np.shape(got)}'}.")
        answers.append(float(got))
    expected = [_tanh_unit_reference(*p) for p in TANH_UNIT_POINTS]
    if not np.allclose(answers, expected, atol=1e-10, rtol=1e-8):
        i = int(np.flatnonzero(~np.isclose(answers, expected, atol=1e-10, rtol=1e-8))[0])
        w, x, y = TANH_UNIT_POINTS[i]
        where = (f"tanh_unit_gradient(w={w}, x={x}, y={y}) is wrong: expected {expected[i]:.6f}, "
                 f"got {answers[i]:.6f}")
        for hint in _tanh_unit_slips(*TANH_UNIT_POINTS[0]):
            slips = [_tanh_unit_slips(*p)[hint] for p in TANH_UNIT_POINTS]
            if np.allclose(answers, slips, atol=1e-10, rtol=1e-8):
                raise AssertionError(f"{where}. Likely cause: {hint}")
        raise AssertionError(f"{where}. Compare it with central_difference(lambda v: "
                             f"(np.tanh(v * {x}) - {y})**2, {w}, 1e-5) and multiply the chain rule's "
                             "factors one at a time: 2(ŷ - y), then tanh'(w x), then x.")
    passed("dℓ/dw = 2(ŷ - y)·(1 - ŷ²)·x: the square's slope, tanh's slope, and the input, multiplied.")


STEP_LR = 0.5


def _step_loss_change(lr: float = STEP_LR) -> tuple[float, float]:
    """(actual ΔL, first-order -η‖g‖²) of one gradient-descent step of chapter 1's XOR network."""
    from bplib.layers import MLP, MSELoss

    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    model, loss_fn = MLP([2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=1), MSELoss()
    before = loss_fn(model(x), y)
    model.zero_grad()
    model.backward(loss_fn.backward())
    squared = sum(float(np.sum(p.grad**2)) for p in model.parameters())
    for p in model.parameters():
        p.data -= lr * p.grad
    return float(loss_fn(model(x), y) - before), -lr * squared


STEP_RATES = (10.0, 50.0)
STEP_OPTIONS = {
    "A": "the loss falls by about the first-order amount -η‖g‖² (to within a fifth)",
    "B": "the loss falls, but by far less than -η‖g‖²",
    "C": "the loss rises",
}


def _step_outcome(lr: float) -> str:
    """Which of STEP_OPTIONS describes one step with learning rate ``lr``: "A", "B" or "C"."""
    actual, first_order = _step_loss_change(lr)
    if actual > 0:
        return "C"
    return "A" if abs(actual - first_order) <= 0.2 * abs(first_order) else "B"


def _step_reason(lr: float, got: str, truth: str) -> str:
    if truth == "B" and got == "A":
        return ("the first-order rule is a straight line, and at η = 10 each weight moves 20 times "
                "as far as at η = 0.5: far enough for the curvature of the loss to matter (the "
                "explorer's two curves part ways for large nudges). The loss still falls, but by "
                "much less than the line promises.")
    if truth == "B":
        return ("at η = 10 the step is long, but not so long that it overshoots: the loss still "
                "falls, by less than the straight line promises.")
    if got == "A":
        return ("at η = 50 the first-order change -η‖g‖² is almost the whole loss L printed above, "
                "and a loss cannot fall below 0. A step that long leaves the region where the loss "
                "is nearly straight and overshoots the valley.")
    return ("at η = 50 the step is so long that it overshoots the valley: the loss ends up higher "
            "than it started.")


def check_step_loss_change(prediction) -> None:
    """``prediction``: a pair of letters of STEP_OPTIONS, one step at η = 10 and at η = 50."""
    if isinstance(prediction, str) or not isinstance(prediction, (tuple, list)) or len(prediction) != 2:
        raise AssertionError(f"prediction should be a pair of letters, like prediction = (\"A\", \"A\"), "
                             f"one for η = 10 and one for η = 50; got {prediction!r}.")
    got = []
    for letter in prediction:
        key = letter.strip().upper() if isinstance(letter, str) else letter
        if key not in STEP_OPTIONS:
            raise AssertionError(f"each entry of prediction should be \"A\", \"B\" or \"C\"; got {letter!r}.")
        got.append(key)
    truth = [_step_outcome(lr) for lr in STEP_RATES]
    wrong = [(lr, g, t) for lr, g, t in zip(STEP_RATES, got, truth) if g != t]
    if wrong:
        raise AssertionError(" ".join(
            f"At η = {lr:g} you chose {g} ({STEP_OPTIONS[g]}), but {_step_reason(lr, g, t)}"
            for lr, g, t in wrong))
    passed("Right: at η = 10 the loss falls far less than -η‖g‖², and at η = 50 it rises. The "
           "first-order change is a straight line, good only for small steps.")


def line_fit_loss(w, b, x: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of the line ŷ = w x + b; w, b numbers, x, y (N,) -> L, a number."""
    return float(np.mean((w * np.asarray(x) + b - np.asarray(y)) ** 2))


def _line_fit_reference(w, b, x, y) -> tuple[float, float]:
    r = w * x + b - y
    return float(2 * np.mean(r * x)), float(2 * np.mean(r))


def check_line_fit_gradients(line_fit_gradients) -> None:
    """``line_fit_gradients(w, b, x, y) -> (dL_dw, dL_db)`` for ``line_fit_loss``; x, y (N,)."""
    rng = np.random.default_rng(16)
    for w, b in ((0.7, -0.4), (-1.5, 1.2)):
        x, y = rng.normal(size=7), rng.normal(size=7)
        result = call_student(line_fit_gradients, w, b, x.copy(), y.copy())
        dw, db = expect_tuple("line_fit_gradients", result, 2)
        ref_dw, ref_db = _line_fit_reference(w, b, x, y)
        where = f"with w = {w}, b = {b}"
        r = w * x + b - y
        if np.ndim(dw) == 1 and np.shape(dw) == x.shape:
            raise AssertionError(f"dL/dw {where} has shape {np.shape(dw)}, one entry per example: "
                                 "w is one number, so its gradient is one number. Average the "
                                 "examples' contributions, np.mean(...).")
        if np.ndim(dw) == 0 and dw is not None:
            slips = {
                "dL/dw is still the planted bug, 2·mean(ŷ - y), the same as dL/db: the chain rule's "
                "factor ∂ŷ/∂w = x is missing, so multiply each example's 2(ŷ - y) by its x before "
                "averaging.": float(2 * np.mean(r)),
                "dL/dw is half of what it should be: the factor 2 from the square went missing "
                "with the fix, d(ŷ - y)²/dŷ = 2(ŷ - y).": float(np.mean(r * x)),
                "dL/dw is N times too large: the loss is the mean over the N examples, so the "
                "gradient is a mean too (np.mean, not np.sum).": float(2 * np.sum(r * x)),
                "dL/dw has the opposite sign: it starts from 2(ŷ - y), output minus target.":
                    float(-2 * np.mean(r * x)),
            }
            for hint, slip in slips.items():
                if np.isclose(float(dw), slip, atol=1e-10) and not np.isclose(slip, ref_dw, atol=1e-10):
                    raise AssertionError(f"{hint} ({where}: expected {ref_dw:.6f}, got {float(dw):.6f}.)")
        expect_close(f"dL/dw {where}", dw, ref_dw, atol=1e-10)
        if np.ndim(db) == 0 and db is not None and np.isclose(float(db), ref_dw, atol=1e-10):
            raise AssertionError(f"dL/db {where} is now 2·mean((ŷ - y)·x), the same as dL/dw: dL/db "
                                 "was already right, since ∂ŷ/∂b = 1; only dL/dw lacked the factor x. "
                                 f"(expected {ref_db:.6f}, got {float(db):.6f}.)")
        expect_close(f"dL/db {where}", db, ref_db, atol=1e-10)
    passed("dL/dw = 2·mean((ŷ - y)·x) and dL/db = 2·mean(ŷ - y): the gradient check agrees now.")


# ------------------------------------------------------------------ chapter 4
def check_sigmoid_prime(sigmoid_prime) -> None:
    """``sigmoid_prime(z)`` = σ(z)(1 - σ(z)) elementwise, for scalars and arrays."""
    z = np.linspace(-6, 6, 13)
    s = sigmoid(z)
    got = call_student(sigmoid_prime, z)
    if got is not None and np.shape(got) == z.shape and np.allclose(np.asarray(got, dtype=float), s, atol=1e-10):
        raise AssertionError("sigmoid_prime(z) returns σ(z) itself, the activation, not its slope: the "
                             "derivative is σ'(z) = σ(z)(1 − σ(z)).")
    expect_close("sigmoid_prime(z)", got, s * (1 - s), atol=1e-10)
    expect_close("sigmoid_prime(0.0)", call_student(sigmoid_prime, 0.0), 0.25, atol=1e-12)
    passed("sigmoid_prime is σ(z)(1 − σ(z)): at most 1/4, at z = 0.")


def check_neuron_gradients(neuron_gradients) -> None:
    """``neuron_gradients(x, y, w, b) -> (dL_dw, dL_db)`` for one example, L = ½(a - y)²."""
    for x, y, w, b in [(1.5, 0.0, 0.8, -0.2), (-2.0, 1.0, 0.3, 0.5), (0.5, 1.0, -1.2, 0.1)]:
        dw, db = expect_tuple("neuron_gradients", call_student(neuron_gradients, x, y, w, b), 2)
        ref_dw, ref_db = neuron_gradients_reference(x, y, w, b)
        expect_close(f"dL/db at x={x}, y={y}, w={w}, b={b}", db, ref_db, atol=1e-10)
        expect_close(f"dL/dw at x={x}, y={y}, w={w}, b={b}", dw, ref_dw, atol=1e-10)
    passed("Both partial derivatives match: dL/dw = (a − y)·σ'(z)·x and dL/db = (a − y)·σ'(z).")


def check_neuron_gradients_batch(neuron_gradients_batch) -> None:
    """``neuron_gradients_batch(x, y, w, b)`` for arrays x, y of N examples, mean loss."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=8), rng.integers(0, 2, size=8).astype(float)
    dw, db = expect_tuple("neuron_gradients_batch", call_student(neuron_gradients_batch, x, y, 0.7, -0.3), 2)
    ref_dw, ref_db = neuron_gradients_reference(x, y, 0.7, -0.3)
    expect_close("dL/db over the batch", db, ref_db, atol=1e-10)
    expect_close("dL/dw over the batch", dw, ref_dw, atol=1e-10)
    passed("The batch gradients are the average of the per-example gradients.")


LEAKY_SLOPE = 0.1


def _leaky_cases() -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """Seeded batches (x, y of shape (N,)) and weights; no z = w x + b near the kink at 0."""
    rng = np.random.default_rng(41)
    cases = []
    for w, b in ((0.8, -0.2), (-1.3, 0.4)):
        x = rng.uniform(-2.0, 2.0, size=8)
        x = x[np.abs(w * x + b) > 0.05]
        cases.append((x, rng.normal(size=x.size), w, b))
    return cases


def _leaky_slips(x, y, w, b) -> dict[str, tuple[float, float]]:
    """(dL_dw, dL_db) of the usual slips, keyed by the hint that names them."""
    z = w * x + b
    a = np.where(z > 0, z, LEAKY_SLOPE * z)
    n = x.size

    def grads(dz):
        return float(np.sum(dz * x)), float(np.sum(dz))

    return {
        "Where z < 0 you pass no gradient, as a plain ReLU does: leaky ReLU's slope there is "
        f"{LEAKY_SLOPE}, not 0.": grads((a - y) * (z > 0) / n),
        "The activation's local derivative is missing: ∂a/∂z is 1 where z > 0 and "
        f"{LEAKY_SLOPE} where z < 0.": grads((a - y) / n),
        f"The two branches are swapped: the slope is 1 where z > 0 and {LEAKY_SLOPE} where z < 0.":
            grads((a - y) * np.where(z > 0, LEAKY_SLOPE, 1.0) / n),
        "The branch is chosen by the sign of x: it is the sign of z = w x + b that decides "
        "(with a negative w or a bias they differ).": grads((a - y) * np.where(x > 0, 1.0, LEAKY_SLOPE) / n),
        "This is N times the gradient: the loss is the mean over the batch, so divide by N "
        "(np.mean, or the sum / len(x)).": grads((a - y) * np.where(z > 0, 1.0, LEAKY_SLOPE)),
        "The error uses z where it needs a: ∂L/∂a = a − y with a = f(z), which is 0.1 z where "
        "z < 0.": grads((z - y) * np.where(z > 0, 1.0, LEAKY_SLOPE) / n),
        "This is twice the gradient: the ½ in the loss cancels the 2 of the square, so "
        "∂L/∂a = a − y.": grads(2 * (a - y) * np.where(z > 0, 1.0, LEAKY_SLOPE) / n),
    }


def _leaky_reference(x, y, w, b) -> tuple[float, float]:
    z = w * x + b
    a = np.where(z > 0, z, LEAKY_SLOPE * z)
    dz = (a - y) * np.where(z > 0, 1.0, LEAKY_SLOPE) / x.size
    return float(np.sum(dz * x)), float(np.sum(dz))


def check_leaky_neuron_gradients(leaky_neuron_gradients) -> None:
    """``leaky_neuron_gradients(x, y, w, b) -> (dL_dw, dL_db)``; x, y: (N,); a = leaky ReLU (0.1)."""
    for x, y, w, b in _leaky_cases():
        result = call_student(leaky_neuron_gradients, x.copy(), y.copy(), w, b)
        dw, db = expect_tuple("leaky_neuron_gradients", result, 2)
        ref_dw, ref_db = _leaky_reference(x, y, w, b)
        where = f"with w = {w}, b = {b}"
        if np.ndim(dw) == 0 and np.ndim(db) == 0 and dw is not None and db is not None:
            for hint, slip in _leaky_slips(x, y, w, b).items():
                if np.allclose([float(dw), float(db)], slip, atol=1e-10) and \
                        not np.allclose(slip, [ref_dw, ref_db], atol=1e-10):
                    raise AssertionError(f"dL/dw and dL/db {where} are wrong. {hint}")
            if np.isclose(float(db), ref_db, atol=1e-10) and not np.isclose(float(dw), ref_dw, atol=1e-10) \
                    and np.isclose(float(dw), ref_db, atol=1e-10):
                raise AssertionError(f"dL/dw {where} equals dL/db: multiply each example's ∂L/∂z by "
                                     "its input x before summing (∂z/∂w = x).")
        expect_close(f"dL/db {where}", db, ref_db, atol=1e-10)
        expect_close(f"dL/dw {where}", dw, ref_dw, atol=1e-10)
    passed("Both gradients match: ∂L/∂z = (a − y)·f'(z)/N with f'(z) = 1 for z > 0 and 0.1 "
           "below, then ∂L/∂w sums it times x.")


SATURATION_W, SATURATION_B, SATURATION_Y = -1.0, 0.0, 1.0


def _saturation_ratio() -> float:
    """dL/dw at x = 5 over dL/dw at x = 2.5 (w = -1, b = 0, y = 1, half squared error)."""
    grad = [neuron_gradients_reference(x, SATURATION_Y, SATURATION_W, SATURATION_B)[0] for x in (5.0, 2.5)]
    return grad[0] / grad[1]


def check_saturation_prediction(prediction) -> None:
    """``prediction``: the ratio dL/dw(x = 5) / dL/dw(x = 2.5), accepted within 10%."""
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.integer, np.floating)):
        raise AssertionError(f"prediction should be a plain number, like prediction = 1.5; got "
                             f"{type(prediction).__name__}.")
    got, truth = float(prediction), _saturation_ratio()
    if not np.isfinite(got):
        raise AssertionError("prediction should be a finite number.")
    if abs(got - truth) <= 0.1 * abs(truth):
        passed(f"Within 10%: the ratio is {truth:.3f}. Doubling x doubles ∂z/∂w, but it also "
               "pushes z from −2.5 to −5, where σ'(z) is far smaller.")
        return
    if got <= 0:
        why = ("both gradients have the same sign: in both cases a < y, so ∂L/∂a = a − y is "
               "negative, σ'(z) is positive and x is positive.")
    elif abs(got - 2.0) <= 0.2:
        why = ("2 is what the factor ∂z/∂w = x alone gives. But x also sits inside z = w x + b: "
               "with w = −1 the weighted sum moves from −2.5 to −5, deeper into the sigmoid's flat "
               "tail, and σ'(z) = a(1 − a) shrinks far more than x grows.")
    elif abs(got - truth / 2) <= 0.1 * abs(truth / 2):
        why = ("that is about half the ratio: you left out ∂z/∂w = x, which doubles. The ratios of "
               "σ'(z) and of a − y are right; the factor x = 5 over x = 2.5 is missing.")
    elif got >= 1:
        why = ("a ratio above 1 says the gradient grows. Compute the three factors (a − y), "
               "σ'(z) = a(1 − a) and x at z = −5 and at z = −2.5: one of them falls steeply.")
    elif got < 0.05:
        why = ("too small: the factor x still doubles, and a − y hardly changes (a is close to 0 "
               "in both cases); only σ'(z) shrinks. Compute a(1 − a) at both weighted sums.")
    else:
        why = ("the ratio is (a − y)·σ'(z)·x at x = 5 over the same product at x = 2.5. Compute "
               "a = σ(z) at z = −5 and z = −2.5, then σ'(z) = a(1 − a); do not use the tail "
               "approximation σ'(z) ≈ e^z, which is too rough at z = −2.5.")
    raise AssertionError(f"prediction = {got:.4g} is not within 10% of the ratio: {why}")


def _loss_and_grads(w, b, x, y):
    a = sigmoid(w * x + b)
    dz = (a - y) * a * (1 - a) / x.size
    return float(np.mean(0.5 * (a - y) ** 2)), (float(np.sum(dz * x)), float(np.sum(dz)))


def check_neuron_loss_and_grads(neuron_loss_and_grads) -> None:
    """``neuron_loss_and_grads(w, b, x, y) -> (L, (dL_dw, dL_db))``; x, y: (N,), mean ½(a − y)²."""
    rng = np.random.default_rng(43)
    for w, b in ((-1.0, 0.0), (0.7, -0.3), (1.6, 0.5)):
        x, y = rng.normal(size=6) * 1.5, rng.integers(0, 2, size=6).astype(float)
        result = expect_tuple("neuron_loss_and_grads", call_student(neuron_loss_and_grads, w, b, x.copy(), y.copy()), 2)
        loss, grads = result
        if not isinstance(grads, (tuple, list)) or len(grads) != 2:
            raise AssertionError("neuron_loss_and_grads should return (L, (dL_dw, dL_db)): its second "
                                 f"item should be a tuple of the two gradients, got {type(grads).__name__}.")
        dw, db = grads
        ref_loss, (ref_dw, ref_db) = _loss_and_grads(w, b, x, y)
        where = f"at w = {w}, b = {b}"
        expect_close(f"L {where}", loss, ref_loss, atol=1e-10)
        a = sigmoid(w * x + b)
        s = a * (1 - a)
        slips = {
            "still lack σ'(z), the planted bug: that is the gradient for cross-entropy. With half "
            "the squared error, ∂L/∂z = (a − y)·a(1 − a).": (a - y) / x.size,
            "are N times too large: the loss is the mean over the batch, so ∂L/∂z carries 1/N.":
                (a - y) * s,
            "use σ(z) instead of σ'(z) = σ(z)(1 − σ(z)) as the sigmoid's local derivative.":
                (a - y) * a / x.size,
            "apply σ to a again: σ'(z) = a(1 − a) with the a = σ(z) you already have, not "
            "σ(a)(1 − σ(a)).": (a - y) * sigmoid(a) * (1 - sigmoid(a)) / x.size,
            "are twice the gradient: the ½ in the loss cancels the 2 of the square, so "
            "∂L/∂a = a − y.": 2 * (a - y) * s / x.size,
        }
        if np.ndim(dw) == 0 and np.ndim(db) == 0 and dw is not None and db is not None:
            got = [float(dw), float(db)]
            for hint, dz in slips.items():
                if np.allclose(got, [np.sum(dz * x), np.sum(dz)], atol=1e-10):
                    raise AssertionError(f"dL/dw and dL/db {where} {hint}")
            dz = (a - y) * s / x.size
            if np.isclose(got[1], ref_db, atol=1e-10) and np.isclose(got[0], np.sum(dz * w), atol=1e-10):
                raise AssertionError(f"dL/dw {where} multiplies by w: the multiply gate z = w x hands "
                                     "w the upstream gradient times the other input, x.")
        expect_close(f"dL/db {where}", db, ref_db, atol=1e-10)
        expect_close(f"dL/dw {where}", dw, ref_dw, atol=1e-10)
    passed("L, dL/dw and dL/db agree: ∂L/∂z = (a − y)·σ'(z)/N, and gradcheck agrees.")
