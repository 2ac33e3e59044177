"""Checks for chapter 3 (The chain rule) and chapter 8 (Automatic differentiation)."""

from __future__ import annotations

import math

import numpy as np

from bplib.autodiff import Value, topological_order
from bplib.chain import affine, compose, neuron_partials
from bplib.course.feedback import call_student, expect_close, expect_tuple, passed

__all__ = [
    "check_log1p_square_derivative", "check_reverse_products", "check_tanh_neuron_partials",
    "check_fork_partials", "check_tanh_chain_prediction", "check_sin_fork_backward",
    "check_tanh_op", "check_topological_sort", "check_value_sgd_step",
    "check_logaddexp_op", "check_fork_prediction", "check_backward_pass",
]

CHECK_POINTS = (-1.5, -0.3, 0.0, 0.8, 2.0)


# ------------------------------------------------------------------ chapter 3
def check_log1p_square_derivative(dydx) -> None:
    """``dydx(x)`` is the derivative of ``y = ln(1 + x²)``, that is ``2x / (1 + x²)``."""
    f = compose("log", affine(1.0, 1.0), "square")
    for x in CHECK_POINTS:
        got = call_student(dydx, x)
        expected = f.derivative(x)
        if got is not None and np.ndim(got) == 0 and abs(float(got) - 1 / (1 + x * x)) < 1e-9 \
                and abs(expected - 1 / (1 + x * x)) > 1e-9:
            raise AssertionError(f"dydx({x}) = {float(got):.4f} is only the outer derivative "
                                 "1/(1 + x²). Multiply by the inner derivative d(x²)/dx = 2x.")
        expect_close(f"dydx({x})", got, expected, atol=1e-10)
    passed("dy/dx = 2x / (1 + x²): the outer derivative 1/u times the inner 2x.")


def check_reverse_products(reverse_products) -> None:
    """``reverse_products(local)`` is ``[dy/du_0, ..., dy/du_{n-1}]``, products of local[k:]."""
    table = compose("sin", "exp", "square", affine(2.0, -1.0)).table(0.3)
    local = [s.local for s in table.steps]
    expected = [s.reverse for s in table.steps]
    got = call_student(reverse_products, list(local))
    if isinstance(got, (list, tuple, np.ndarray)) and len(got) == len(expected):
        got_arr = np.asarray(got, dtype=float)
        if np.allclose(got_arr, [s.forward for s in table.steps]):
            raise AssertionError("You returned the forward (inside-out) products du_k/dx. The "
                                 "reverse products start from the output: position k multiplies "
                                 "local[k:].")
        if np.allclose(got_arr, expected[::-1]):
            raise AssertionError("The right numbers in the wrong order: position k must hold "
                                 "dy/du_k, the product of local[k], local[k+1], ..., local[-1].")
        if np.allclose(got_arr, [math.prod(local[k + 1:]) for k in range(len(local))]):
            raise AssertionError("Off by one: position k holds the product of local[k+1:], but "
                                 "position k includes local[k], the stage that reads u_k: "
                                 "dy/du_k = local[k] · local[k+1] · ... · local[-1].")
    if isinstance(got, (list, tuple, np.ndarray)) and len(got) == len(expected) + 1:
        got_arr = np.asarray(got, dtype=float)
        if np.allclose(got_arr[:-1], expected) and np.isclose(got_arr[-1], 1.0):
            raise AssertionError(f"reverse_products(local) has {len(got)} entries for {len(local)} "
                                 "local derivatives: drop the trailing dy/dy = 1. It is the "
                                 "starting value of the products, not one of the dy/du_k.")
    expect_close("reverse_products(local)", got, expected, atol=1e-12)
    single = call_student(reverse_products, [2.5])
    expect_close("reverse_products([2.5])", single, [2.5], atol=1e-12)
    passed("Reverse accumulation: starting from dy/dy = 1 at the output, each step multiplies one "
           "more local derivative.")


def check_tanh_neuron_partials(tanh_neuron_partials) -> None:
    """``tanh_neuron_partials(w, b, x, y) -> (dL_dw, dL_db)`` for ``a = tanh(w x + b)``, target y."""
    for w, b, x, y in [(0.8, -0.2, 1.5, 0.0), (-0.4, 0.3, -2.0, 1.0), (1.1, 0.1, 0.5, -0.5)]:
        result = call_student(tanh_neuron_partials, w, b, x, y)
        dw, db = expect_tuple("tanh_neuron_partials", result, 2)
        ref = neuron_partials(w, b, x, y, "tanh")
        sig = neuron_partials(w, b, x, y, "sigmoid")
        if np.allclose([float(dw), float(db)], [sig.dL_dw, sig.dL_db], atol=1e-9):
            raise AssertionError("These are the sigmoid neuron's gradients: with tanh the local "
                                 "derivative is 1 − tanh²(z), not σ(z)(1 − σ(z)).")
        where = f"at w={w}, b={b}, x={x}, y={y}"
        if np.ndim(dw) == 0 and np.ndim(db) == 0 and dw is not None and db is not None and \
                np.allclose([float(dw), float(db)], [ref.dL_db, ref.dL_dw], atol=1e-10):
            raise AssertionError(f"The two partials {where} are swapped: return (dL_dw, dL_db) in "
                                 "that order; dL_dw is the one with the factor x.")
        expect_close(f"dL/db {where}", db, ref.dL_db, atol=1e-10)
        expect_close(f"dL/dw {where}", dw, ref.dL_dw, atol=1e-10)
    passed("Both partials match: (a − y)·(1 − a²)·x and (a − y)·(1 − a²).")



FORK_POINTS = ((1.5, -2.0), (0.7, 0.9), (-1.2, 0.4), (2.0, 1.3))


def _fork_partials(x: float, w: float) -> tuple[float, float]:
    """Reference for ``f(x, w) = x sin(w x)``: (∂f/∂x, ∂f/∂w), both paths of x summed."""
    u = w * x
    return math.sin(u) + x * w * math.cos(u), x * x * math.cos(u)


def _fork_slips(x: float, w: float) -> dict[str, tuple[float | None, float | None]]:
    """What the usual slips give for (∂f/∂x, ∂f/∂w); None where a slip leaves that one right."""
    u = w * x
    return {
        "∂f/∂x holds only the path through the outer multiply gate, sin(w x): x also feeds the "
        "inner product u = w x, and that path's gradient must be added.": (math.sin(u), None),
        "∂f/∂x holds only the path through u = w x: the outer multiply gate also hands x the "
        "upstream gradient times its other input, sin(w x). A value used twice collects the sum.":
            (x * w * math.cos(u), None),
        "The path through u = w x lacks the inner derivative ∂u/∂x = w: the multiply gate hands x "
        "the upstream gradient times the other input.": (math.sin(u) + x * math.cos(u), None),
        "The outer derivative cos is evaluated at x: the sine reads u = w x, so its local "
        "derivative is cos(w x).": (math.sin(u) + x * w * math.cos(x), x * x * math.cos(x)),
        "The outer gate's factor x is missing from df/du: f = x · sin(u) gives df/du = x·cos u, "
        "not cos u, and both partials go through it: ∂f/∂x = sin u + (x·cos u)·w and "
        "∂f/∂w = (x·cos u)·x.": (math.sin(u) + w * math.cos(u), x * math.cos(u)),
        "∂f/∂w lacks a factor x: w reaches f through u = w x (factor x) and then through the "
        "outer product x · sin(u) (another factor x).": (None, x * math.cos(u)),
    }


def check_fork_partials(fork_partials) -> None:
    """``fork_partials(x, w) -> (df_dx, df_dw)`` for ``f(x, w) = x sin(w x)`` (floats in, floats out)."""
    for x, w in FORK_POINTS:
        dx, dw = expect_tuple("fork_partials", call_student(fork_partials, x, w), 2)
        ref_dx, ref_dw = _fork_partials(x, w)
        where = f"at x = {x}, w = {w}"
        if np.ndim(dx) == 0 and np.ndim(dw) == 0 and dx is not None and dw is not None:
            if np.allclose([float(dx), float(dw)], [ref_dw, ref_dx], atol=1e-9):
                raise AssertionError("The two partials are swapped: return (∂f/∂x, ∂f/∂w) in "
                                     "that order.")
            for hint, (slip_dx, slip_dw) in _fork_slips(x, w).items():
                dx_match = slip_dx is None or abs(float(dx) - slip_dx) < 1e-9
                dw_match = slip_dw is None or abs(float(dw) - slip_dw) < 1e-9
                wrong = (slip_dx is not None and abs(slip_dx - ref_dx) > 1e-6) or \
                        (slip_dw is not None and abs(slip_dw - ref_dw) > 1e-6)
                if dx_match and dw_match and wrong:
                    if slip_dx is not None and slip_dw is not None:
                        raise AssertionError(f"(∂f/∂x, ∂f/∂w) {where} are ({float(dx):.4f}, "
                                             f"{float(dw):.4f}), both wrong. {hint}")
                    side = "∂f/∂x" if slip_dx is not None else "∂f/∂w"
                    got = float(dx) if slip_dx is not None else float(dw)
                    raise AssertionError(f"{side} {where} is {got:.4f}, which is wrong. {hint}")
        expect_close(f"∂f/∂x {where}", dx, ref_dx, atol=1e-10)
        expect_close(f"∂f/∂w {where}", dw, ref_dw, atol=1e-10)
    passed("Both partials match: ∂f/∂x = sin(w x) + x w cos(w x) sums the two paths of x, and "
           "∂f/∂w = x² cos(w x).")


TANH_CHAIN_DEPTH, TANH_CHAIN_X = 8, 0.5


def check_tanh_chain_prediction(prediction) -> None:
    """``prediction``: a number, dy/dx of eight stacked tanh at x = 0.5, accepted within 10%."""
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.integer, np.floating)):
        raise AssertionError(f"prediction should be a plain number, like prediction = 0.5; got "
                             f"{type(prediction).__name__}.")
    got = float(prediction)
    chain = compose(*["tanh"] * TANH_CHAIN_DEPTH)
    truth = chain.derivative(TANH_CHAIN_X)
    first = chain.table(TANH_CHAIN_X).steps[0].local
    if not math.isfinite(got):
        raise AssertionError("prediction should be a finite number.")
    if abs(got - truth) <= 0.1 * abs(truth):
        passed(f"Within 10%: eight tanh stages keep dy/dx = {truth:.4f} at x = 0.5, against "
               "6.9e-06 for eight sigmoids.")
        return
    if got <= 0:
        why = ("tanh is increasing, so every local derivative 1 − tanh²(u) is positive, and so is "
               "their product.")
    elif got >= 1:
        why = ("every local derivative 1 − tanh²(u) is below 1 for u ≠ 0, so a product of eight of "
               "them is below 1 too.")
    elif got < 0.01:
        why = ("that is the sigmoid's kind of shrinking. Its slope is at most 1/4; tanh's slope "
               "near 0 is close to 1, so each stage takes off much less.")
    elif abs(got - first**TANH_CHAIN_DEPTH) <= 0.1 * first**TANH_CHAIN_DEPTH:
        why = ("it looks like the first stage's slope, tanh'(0.5), raised to the eighth power. But "
               "each tanh shrinks its input a little, so later stages sit closer to 0, where the "
               "slope is closer to 1: the later factors are larger than the first.")
    elif got < truth:
        why = ("too small: work out the first two or three stages as in the chapter's table "
               "(u_1 = tanh(0.5), its local derivative 1 − u_1², and so on); the slopes grow "
               "slowly as the values shrink towards 0.")
    else:
        why = ("too large: even the largest of the eight slopes is clearly below 1, and eight "
               "such factors multiply to noticeably less than any one of them.")
    raise AssertionError(f"prediction = {got:.4g} is not within 10% of dy/dx: {why}")


def _sin_fork(x, w):
    """Reference for ``f(x, w) = sin(x w) + x²``: (f, (∂f/∂x, ∂f/∂w))."""
    u = x * w
    return math.sin(u) + x * x, (w * math.cos(u) + 2 * x, x * math.cos(u))


def check_sin_fork_backward(sin_fork_backward) -> None:
    """``sin_fork_backward(x, w) -> (f, (df_dx, df_dw))`` for ``f = sin(x w) + x²`` (floats)."""
    for x, w in FORK_POINTS:
        result = expect_tuple("sin_fork_backward", call_student(sin_fork_backward, x, w), 2)
        f, grads = result
        if not isinstance(grads, (tuple, list)) or len(grads) != 2:
            raise AssertionError("sin_fork_backward should return (f, (df_dx, df_dw)): its second "
                                 f"item should be a tuple of the two gradients, got {type(grads).__name__}.")
        dx, dw = grads
        ref_f, (ref_dx, ref_dw) = _sin_fork(x, w)
        where = f"at x = {x}, w = {w}"
        expect_close(f"f {where}", f, ref_f, atol=1e-10)
        if np.ndim(dx) == 0 and np.ndim(dw) == 0 and dx is not None and dw is not None:
            u, got = x * w, (float(dx), float(dw))
            if np.allclose(got, (w * math.cos(x) + 2 * x, x * math.cos(x)), atol=1e-9):
                raise AssertionError(f"Both gradients {where} still use cos(x), the planted bug: the "
                                     "sine reads u = x w, so its local derivative is cos(u) = "
                                     "cos(x w). That shared factor is why gradcheck flagged both.")
            if np.allclose(got, (-w * math.cos(u) + 2 * x, -x * math.cos(u)), atol=1e-9):
                raise AssertionError(f"Both gradients {where} use -cos(u): the derivative of sin u "
                                     "is +cos u (it is cos u whose derivative is -sin u). Read it "
                                     "at u = x w: df/du = cos(x w).")
            if np.allclose(got, (w * math.cos(u) + x, x * math.cos(u)), atol=1e-9):
                raise AssertionError(f"∂f/∂x {where} adds x for the square's path: the square's "
                                     "local derivative is d(x²)/dx = 2x, so add 2x.")
            if np.allclose(got, (w * math.cos(u), x * math.cos(u)), atol=1e-9):
                raise AssertionError(f"∂f/∂x {where} has lost the path through x²: x feeds both "
                                     "the product and the square, so add the square's 2x.")
            if np.allclose(got, (x * math.cos(u) + 2 * x, w * math.cos(u)), atol=1e-9):
                raise AssertionError(f"The multiply gate's gradients are swapped {where}: x gets "
                                     "the upstream gradient times the other input, w, and w "
                                     "gets it times x.")
        expect_close(f"∂f/∂x {where}", dx, ref_dx, atol=1e-10)
        expect_close(f"∂f/∂w {where}", dw, ref_dw, atol=1e-10)
    passed("f, ∂f/∂x and ∂f/∂w agree: the local derivative of sin is read at its own input u = x w.")

# ------------------------------------------------------------------ chapter 8
def check_tanh_op(tanh_op) -> None:
    """``tanh_op(x: Value) -> Value``: data ``tanh(x)``, local derivative ``1 - tanh(x)²``."""
    for x0 in CHECK_POINTS:
        x = Value(x0, "x")
        out = call_student(tanh_op, x)
        if not isinstance(out, Value):
            raise AssertionError(f"tanh_op should return a Value, got {type(out).__name__}. "
                                 "Build it with Value.from_op(data, (x,), (local,), 'tanh').")
        expect_close(f"tanh_op(Value({x0})).data", out.data, math.tanh(x0), atol=1e-12)
        if x not in out.inputs:
            raise AssertionError("The output is not connected to x: pass (x,) as its inputs, so "
                                 "backward() can reach x.")
        out.backward()
        t = math.tanh(x0)
        if x0 != 0 and abs(x.grad - (1 - x0 * x0)) < 1e-12:
            raise AssertionError(f"x.grad = {x.grad:.4f} is 1 − x²: the derivative is "
                                 "1 − tanh(x)², square the output tanh(x), not the input.")
        if x0 != 0 and abs(x.grad - (1 - t)) < 1e-12:
            raise AssertionError(f"x.grad = {x.grad:.4f} is 1 − tanh(x): the square is missing; "
                                 "the local derivative is 1 − tanh(x)², so square the output t.")
        if x0 != 0 and abs(x.grad - t) < 1e-12:
            raise AssertionError("x.grad equals tanh(x): the local derivative is 1 − tanh(x)², not "
                                 "tanh(x) itself.")
        expect_close(f"x.grad after tanh_op(Value({x0})).backward()", x.grad, 1 - t * t, atol=1e-12)
    passed("tanh_op stores 1 − tanh(x)² beside its output; backward() does the rest.")


def _check_graph() -> tuple[Value, list[Value]]:
    a, b = Value(0.5, "a"), Value(-1.0, "b")
    c = a * b
    c.label = "c"
    d = c.tanh() + a  # a is used twice, c feeds two paths
    d.label = "d"
    e = (d * c).exp()
    e.label = "e"
    return e, topological_order(e)


def _name(node: Value) -> str:
    return node.label or f"the {node.op or 'leaf'} node with data {node.data:.4g}"


def check_topological_sort(topological_sort) -> None:
    """``topological_sort(root)`` lists every node once, each after all of its inputs, root last."""
    root, reference = _check_graph()
    got = call_student(topological_sort, root)
    if not isinstance(got, (list, tuple)):
        raise AssertionError("topological_sort should return a list of Values, got "
                             f"{type(got).__name__}.")
    ids = [id(v) for v in got]
    if len(set(ids)) != len(ids):
        dup = next(v for v in got if ids.count(id(v)) > 1)
        raise AssertionError(f"{_name(dup)} appears {ids.count(id(dup))} times: keep a set of "
                             "visited nodes and skip a node you have already placed.")
    missing = [v for v in reference if id(v) not in set(ids)]
    if missing:
        raise AssertionError(f"{len(missing)} of {len(reference)} nodes are missing, e.g. "
                             f"{_name(missing[0])}: visit the inputs of every node, not only "
                             "the root's.")
    if len(got) != len(reference):
        raise AssertionError(f"Expected {len(reference)} nodes, got {len(got)}: return only the "
                             "nodes that the root depends on.")
    position = {id(v): i for i, v in enumerate(got)}
    for node in got:
        for inp in node.inputs:
            if position[id(inp)] > position[id(node)]:
                raise AssertionError(f"{_name(node)} comes before its input {_name(inp)}: append "
                                     "a node only after all of its inputs have been appended.")
    passed(f"All {len(got)} nodes, each after its inputs: backward() can walk this list backwards.")


def check_value_sgd_step(sgd_step) -> None:
    """``sgd_step(params, lr)`` does ``p.data -= lr * p.grad`` for every Value, in place."""
    rng = np.random.default_rng(8)
    params = [Value(float(v)) for v in rng.normal(size=5)]
    for p, g in zip(params, rng.normal(size=5), strict=True):
        p.grad = float(g)
    before = [(p.data, p.grad) for p in params]
    call_student(sgd_step, params, 0.1)
    moved = np.array([p.data - d for p, (d, _) in zip(params, before, strict=True)])
    if np.allclose(moved, 0):
        raise AssertionError("No parameter changed: update p.data in place "
                             "(p.data -= lr * p.grad); a new list of numbers is not used by the "
                             "network.")
    if any(p.grad != g for p, (_, g) in zip(params, before, strict=True)):
        raise AssertionError("sgd_step changed the gradients; only p.data should move (backward() "
                             "recomputes the grads next time).")
    expected = [-0.1 * g for _, g in before]
    expect_close("the step taken by each parameter", moved, expected, atol=1e-12)
    passed("Each parameter moved lr × grad downhill, in place: this is optimizer.step().")


# Exercises 4 to 6 (derive, predict, debug)
def value_gradcheck(fn, point, backward=None):
    """Gradcheck of a Value expression: ``fn(*Values) -> Value`` at ``point`` (numbers), one grad
    per input; ``backward(root)`` (default ``root.backward()``) is the backward pass to test."""
    from bplib.gradcheck import gradcheck

    def value_and_grads(*arrays):
        leaves = [Value(float(v)) for v in arrays]
        root = fn(*leaves)
        root.backward() if backward is None else backward(root)
        return root.data, tuple(leaf.grad for leaf in leaves)

    return gradcheck(value_and_grads, tuple(np.array(float(v)) for v in point))


# (a, b) points for the log-sum-exp node; the last two would overflow a naive exp
LSE_POINTS = ((0.3, -1.2), (-2.0, 1.5), (0.0, 0.0), (4.0, 4.5), (800.0, 799.0), (-801.0, -800.0))


def _stable_sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _logaddexp(a: float, b: float) -> tuple[float, float, float]:
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m)), _stable_sigmoid(a - b), _stable_sigmoid(b - a)


def _lse_slip(a: float, b: float, got: tuple[float, float]) -> str | None:
    """The message for a known wrong pair of local derivatives at moderate (a, b), or None."""
    ea, eb = math.exp(a), math.exp(b)
    slips = [
        ((ea, eb), "these are the derivatives of the inner sum e^a + e^b only; the chain rule also "
                   "multiplies by the derivative of ln u at u = e^a + e^b, which is 1/u."),
        ((1 / (ea + eb), 1 / (ea + eb)), "both are 1/(e^a + e^b), the outer derivative of ln u alone; "
                                         "multiply by the inner derivative, d(e^a + e^b)/da = e^a."),
        ((_stable_sigmoid(b - a), _stable_sigmoid(a - b)), "the two local derivatives are swapped: the derivative "
                                             "with respect to a is the larger one when a > b."),
        ((0.5, 0.5), "0.5 and 0.5 is right only where a = b: the weights are e^a and e^b divided by "
                     "their sum."),
        ((math.exp(a - max(a, b)), math.exp(b - max(a, b))),
         "these are e^(a−m) and e^(b−m) with m = max(a, b), the shifted derivatives of the inner "
         "sum only; the chain rule also divides by that sum: d_a = e^(a−m) / (e^(a−m) + e^(b−m))."),
    ]
    for pair, message in slips:
        if np.allclose(got, pair, atol=1e-9, rtol=1e-9) and not np.allclose(pair, _logaddexp(a, b)[1:]):
            return message
    return None


def check_logaddexp_op(logaddexp_op) -> None:
    """``logaddexp_op(a: Value, b: Value) -> Value``: one node, data ``ln(e^a + e^b)``, inputs (a, b)."""
    for a0, b0 in LSE_POINTS:
        a, b = Value(a0, "a"), Value(b0, "b")
        where = f"logaddexp_op(Value({a0:g}), Value({b0:g}))"
        try:
            out = call_student(logaddexp_op, a, b)
        except Exception as exc:
            if abs(a0) > 700 and type(exc).__name__ in ("OverflowError", "ValueError", "ZeroDivisionError"):
                raise AssertionError(f"{where} raised {type(exc).__name__}: e^{a0:g} is outside what a "
                                     "float64 holds (above about 709.78 it overflows, below about "
                                     "-745 it is 0). Subtract m = max(a, b) before every exp, in the value "
                                     "and in the local derivatives: e^a / (e^a + e^b) = "
                                     "e^(a-m) / (e^(a-m) + e^(b-m)).") from None
            raise
        if not isinstance(out, Value):
            raise AssertionError(f"{where} should return a Value, got {type(out).__name__}. Build it "
                                 "with Value.from_op(data, (a, b), (d_a, d_b), 'logaddexp').")
        if len(out.inputs) != 2 or out.inputs[0] is not a or out.inputs[1] is not b:
            raise AssertionError(f"{where}: the output's inputs must be (a, b), in that order, one "
                                 "node made with Value.from_op; yours has inputs "
                                 f"{', '.join(_name(v) for v in out.inputs) or 'none'}.")
        value, d_a, d_b = _logaddexp(a0, b0)
        m = max(a0, b0)
        if m != 0 and math.isclose(float(out.data), value - m, rel_tol=1e-12, abs_tol=1e-10):
            raise AssertionError(f"{where}.data = {float(out.data):.4f} is ln(e^(a−m) + e^(b−m)) "
                                 "without the shift: add back m = max(a, b), since "
                                 "ln(e^a + e^b) = m + ln(e^(a−m) + e^(b−m)).")
        expect_close(f"{where}.data", out.data, value, atol=1e-10, rtol=1e-12)
        got = tuple(float(x) for x in out.local_grads)
        slip = _lse_slip(a0, b0, got) if abs(a0) < 700 else None
        if slip:
            raise AssertionError(f"{where}: local derivatives {got[0]:.4f}, {got[1]:.4f}: {slip}")
        expect_close(f"d(out)/da of {where}", got[0], d_a, atol=1e-10, rtol=1e-9)
        expect_close(f"d(out)/db of {where}", got[1], d_b, atol=1e-10, rtol=1e-9)
    passed("The local derivatives are e^a/(e^a + e^b) and e^b/(e^a + e^b), a softmax of (a, b), "
           "and they stay finite at ±800.")


# Exercise 5: L = ½(tanh(w x + b) − y)² + (λ/2) w² at the chapter's neuron
PENALTY_POINT = {"w": -0.5, "x": 1.5, "b": 0.1, "y": 1.0, "lam": 0.5}


def _penalty_paths() -> tuple[float, float]:
    """(∂/∂w through the neuron, ∂/∂w through the penalty) at PENALTY_POINT."""
    p = PENALTY_POINT
    data_path = neuron_partials(p["w"], p["b"], p["x"], p["y"], "tanh").dL_dw
    return data_path, p["lam"] * p["w"]


def check_fork_prediction(prediction) -> None:
    """``prediction`` (a number): ∂L/∂w of the regularised neuron, within 0.01."""
    if isinstance(prediction, bool) or not isinstance(prediction, (int, float, np.floating, np.integer)):
        raise AssertionError(f"prediction should be one number, such as prediction = 0.25; got "
                             f"{type(prediction).__name__}.")
    got = float(prediction)
    through_neuron, through_penalty = _penalty_paths()
    truth = through_neuron + through_penalty
    if abs(got - truth) <= 0.01:
        passed("w is used twice, so its gradient is the sum of both paths: the neuron's gradient "
               "plus λw from the penalty.")
        return
    near = lambda v: abs(got - v) <= 0.01  # noqa: E731
    if near(through_neuron):
        reason = ("that is the gradient along the neuron alone, the number the chapter printed. w "
                  "is used a second time, by the penalty, and backward() adds what every path "
                  "contributes: add ∂/∂w of (λ/2)w².")
    elif near(through_penalty):
        reason = ("that is the penalty's contribution alone; the first term of L still depends on "
                  "w through the neuron, and both paths add.")
    elif near(through_neuron - through_penalty):
        reason = ("the penalty's contribution has the wrong sign: ∂/∂w of (λ/2)w² is λw, and "
                  "w is negative here, so it makes the gradient more negative.")
    elif near(through_neuron + through_penalty / 2) or near(through_neuron + 2 * through_penalty):
        reason = ("the penalty's path has the wrong factor: the 2 of w² cancels the 1/2 of λ/2, "
                  "so ∂/∂w of (λ/2)w² is λw.")
    elif near(through_neuron * through_penalty):
        reason = ("the two paths were multiplied; the chain rule multiplies along one path, and "
                  "the contributions of different paths add.")
    else:
        reason = ("split L into its two terms: the gradient of the first is what the chapter's "
                  "backward() gave for w, the gradient of the second is λw, and w's gradient is "
                  "their sum.")
    raise AssertionError(f"prediction = {got:g} is more than 0.01 away: {reason}")


# Exercise 6: a backward pass over topological_order(root)
def _reuse_graph() -> tuple[Value, list[Value]]:
    x = Value(3.0, "x")
    return x * x + x, [x]


def _neuron_graph() -> tuple[Value, list[Value]]:
    p = PENALTY_POINT
    w, x, b = Value(p["w"], "w"), Value(p["x"], "x"), Value(p["b"], "b")
    loss = 0.5 * ((w * x + b).tanh() - p["y"]) ** 2 + (p["lam"] / 2) * w**2
    return loss, [w, x, b]


def _tree_graph() -> tuple[Value, list[Value]]:
    w, x, b = Value(0.8, "w"), Value(-1.2, "x"), Value(0.3, "b")
    return (w * x + b).tanh(), [w, x, b]


def _exercise2_graph() -> tuple[Value, list[Value]]:
    root, order = _check_graph()
    return root, [node for node in order if not node.inputs]


BACKWARD_GRAPHS = (("a tree, each value used once", _tree_graph),
          ("y = x·x + x at x = 3, x used three times", _reuse_graph),
          ("the regularised neuron of Exercise 5, w used twice", _neuron_graph),
          ("the graph of Exercise 2, where a and c are used twice", _exercise2_graph))


def _backward_variant(root: Value, *, assign=False, forward=False, reset=True, seed=True) -> None:
    order = topological_order(root)
    if reset:
        for node in order:
            node.grad = 0.0
    if seed:
        root.grad = 1.0
    for node in (order if forward else reversed(order)):
        for inp, local in zip(node.inputs, node.local_grads, strict=True):
            inp.grad = local * node.grad if assign else inp.grad + local * node.grad


_BACKWARD_SLIPS = (
    ({"assign": True}, "the planted bug is still there: inp.grad = ... overwrites what {leaf} "
                       "received along its other paths, which is right in a tree but wrong where a "
                       "value is used twice. Accumulate with +=."),
    ({"forward": True}, "the nodes are visited in topological order, inputs first, so a node passes "
                        "its gradient on before it has received it. Walk reversed(order)."),
    ({"seed": False}, "every gradient is 0: set root.grad = 1.0 (∂root/∂root) after resetting the "
                      "grads, before the loop."),
)


def _all_grads(build, student=None, **variant) -> tuple[list[float], list[Value], Value]:
    """Every node's grad after a backward pass (the student's or a variant) on a fresh graph."""
    root, leaves = build()
    if student is not None:
        call_student(student, root)
    else:
        _backward_variant(root, **variant)
    return [node.grad for node in topological_order(root)], leaves, root


def check_backward_pass(backward_pass) -> None:
    """``backward_pass(root: Value) -> None`` sets every ``node.grad`` to ∂root/∂node, as
    ``root.backward()`` does, and gives the same numbers when called twice."""
    def same(u, v):
        return np.allclose(u, v, atol=1e-10, rtol=1e-9)

    for description, build in BACKWARD_GRAPHS:
        got, leaves, root = _all_grads(build, backward_pass)
        expected, _, _ = _all_grads(build)
        if same(got, expected):
            continue
        order = topological_order(root)
        position = {id(node): k for k, node in enumerate(order)}
        wrong_leaf = next((leaf for leaf in leaves
                           if not same(got[position[id(leaf)]], expected[position[id(leaf)]])), None)
        where = ""
        if wrong_leaf is not None:
            k = position[id(wrong_leaf)]
            where = f"{wrong_leaf.label}.grad = {got[k]:.4f}, expected {expected[k]:.4f}; "
        for variant, message in _BACKWARD_SLIPS:
            if same(got, _all_grads(build, **variant)[0]):
                raise AssertionError(f"On {description}: {where}"
                                     + message.format(leaf=getattr(wrong_leaf, "label", "a node")))
        if got[-1] != 1.0:
            raise AssertionError(f"On {description}: root.grad = {got[-1]:g} after the pass; set "
                                 "root.grad = 1.0 (∂root/∂root) after resetting the grads.")
        if same(got[:-1], 0.0):
            raise AssertionError(f"On {description}: every grad but the root's is 0, the gradient "
                                 "never left the root. Each input receives local × node.grad, the "
                                 "grad of the node it feeds.")
        for leaf in leaves:
            k = position[id(leaf)]
            expect_close(f"{leaf.label}.grad on {description}", got[k], expected[k],
                         atol=1e-10, rtol=1e-9)
        raise AssertionError(f"On {description}: the leaves' grads are right but an interior "
                             "node's grad is not ∂root/∂node.")
    root, leaves = _reuse_graph()
    call_student(backward_pass, root)
    call_student(backward_pass, root)
    if abs(leaves[0].grad - 7.0) > 1e-9:
        raise AssertionError("After a second backward_pass on the same graph x.grad = "
                             f"{leaves[0].grad:.4f} instead of 7.0000: the grads of the first pass "
                             "were still there. Reset every node's grad to 0 before accumulating.")
    passed("Gradients add at every fork (+=), from the output back, reset before each pass: "
           "this is what backward() does.")
