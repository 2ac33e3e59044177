"""Gradient checking: compare analytic gradients with finite differences.

``(f(x + h) - f(x - h)) / 2h`` (central) has a truncation error O(h^2), ``(f(x + h) - f(x)) / h``
(forward, one-sided) only O(h); both have a round-off error of about eps * |f| / h. With float64
and h = 1e-5 a correct backward pass agrees to a relative error around 1e-9 or better, a wrong one
is off by 1e-2 or more. ``step_sweep`` measures the error over a range of h; ``gradcheck`` checks
a Module, a Loss, a functional (forward, backward) pair or a function, at every entry or at
``coords`` random ones, and says when a nudge crossed the kink of a ReLU.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from bplib import functional as F
from bplib._validate import generator
from bplib.layers.activations import LeakyReLU, ReLU
from bplib.layers.losses import Loss
from bplib.layers.module import Module

METHODS = ("central", "forward")


def rel_error(a, b) -> float:
    """Largest elementwise ``|a - b| / max(1e-8, |a| + |b|)`` (CS231n's measure)."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"rel_error: a and b must be numbers or arrays of numbers, got {type(a).__name__} "
                        f"and {type(b).__name__}.") from None
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(_elementwise_rel_error(a, b)))


def _elementwise_rel_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


# ------------------------------------------------------------------ validation
def _check_step(h, where: str) -> float:
    if isinstance(h, bool) or not isinstance(h, (int, float, np.floating, np.integer)):
        raise TypeError(f"{where}: h must be a number (the size of the nudge), got {type(h).__name__}.")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"{where}: h must be a positive number (the size of the nudge, e.g. 1e-5), "
                         f"got {h}; h = 0 divides by zero and a negative h is the same nudge backwards.")
    return float(h)


def _check_method(method: str, where: str) -> str:
    if method not in METHODS:
        raise ValueError(f"{where}: method must be 'central' or 'forward' (one-sided), got {method!r}.")
    return method


def _check_nudgeable(x, name: str, where: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: {name} must be a numpy array that f reads (it is nudged in place), "
                        f"got {type(x).__name__}; make it with np.array(..., dtype=float).")
    if x.dtype.kind in "biu":
        raise TypeError(f"{where}: {name} has integer dtype {x.dtype}, so x + h is rounded back to an "
                        f"integer and every difference is 0. Use a float array: {name}.astype(float).")
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: {name} must hold real numbers (float64), got dtype {x.dtype}.")
    return x


def _check_zero_argument_function(f, where: str) -> None:
    """``f`` is called as ``f()`` (it reads x, which is nudged in place); say so if it wants an argument."""
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of no arguments that reads x, e.g. "
                        f"lambda: loss(x), got {type(f).__name__}.")
    try:
        required = [p for p in inspect.signature(f).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return
    if required:
        raise TypeError(f"{where}: f is called with no arguments (x is nudged in place and f reads it), but "
                        f"f needs {len(required)} ({', '.join(p.name for p in required)}); wrap it: "
                        "lambda: f(x).")


def _check_coords(coords, where: str) -> int | None:
    if coords is None:
        return None
    if isinstance(coords, bool) or not isinstance(coords, (int, np.integer)) or coords < 1:
        raise ValueError(f"{where}: coords must be a positive whole number of entries to check, "
                         f"or None for all of them; got {coords!r}.")
    return int(coords)


def random_coords(shape: tuple[int, ...], k: int | None, rng: np.random.Generator) -> list[tuple]:
    """``k`` distinct random indices into an array of ``shape`` (all of them, in order, if k is None)."""
    size = int(np.prod(shape))
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
        raise ValueError(f"random_coords: k must be a positive whole number of indices to draw, or None for "
                         f"all of them; got {k!r}.")
    if k is None or k >= size:
        return list(np.ndindex(*shape))
    flat = np.sort(rng.choice(size, size=k, replace=False))
    return [tuple(int(v) for v in np.unravel_index(i, shape)) for i in flat]


# ------------------------------------------------------------------ finite differences
def _differences(evaluate, x: np.ndarray, h: float, weigh, method: str, indices, tracker=None):
    """Nudge ``x[i]`` for each index (in place, then restore); return the estimates and, per index,
    whether the ``tracker`` saw a nudge cross a kink."""
    values = np.zeros(len(indices))
    crossed = np.zeros(len(indices), dtype=bool)
    base = evaluate() if method == "forward" else None
    for n, i in enumerate(indices):
        if tracker is not None:
            tracker.crossed = False
        old = x[i].copy()
        x[i] = old + h
        plus = evaluate()
        if method == "central":
            x[i] = old - h
            minus, step = evaluate(), 2 * h
        else:
            minus, step = base, h
        x[i] = old
        values[n] = weigh(plus - minus) / step
        crossed[n] = tracker is not None and tracker.crossed
    return values, crossed


def _scatter(shape, indices, values) -> np.ndarray:
    grad = np.zeros(shape)
    for i, v in zip(indices, values):
        grad[i] = v
    return grad


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5, method: str = "central") -> np.ndarray:
    """Finite-difference gradient of a scalar function ``f()`` with respect to array ``x`` (same shape).

    ``x`` is perturbed in place, one element at a time, and restored; ``f`` takes no arguments
    and reads ``x`` (so it can be a closure over a layer's parameter). ``method='forward'`` is the
    one-sided difference ``(f(x + h) - f(x)) / h``.
    """
    h, method = _check_step(h, "numerical_gradient"), _check_method(method, "numerical_gradient")
    x = _check_nudgeable(x, "x", "numerical_gradient")
    _check_zero_argument_function(f, "numerical_gradient")
    indices = list(np.ndindex(*x.shape))
    values, _ = _differences(lambda: _scalar(f(), "numerical_gradient"), x, h, float, method, indices)
    return _scatter(x.shape, indices, values)


def _scalar(value, where: str) -> float:
    if np.size(value) != 1:
        raise ValueError(f"{where}: f() must return one number (a scalar loss), got an array of shape "
                         f"{np.shape(value)}; for an array output use numerical_gradient_array with dout.")
    return float(np.asarray(value).reshape(()))


def numerical_gradient_array(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5,
                             method: str = "central") -> np.ndarray:
    """Finite-difference gradient of ``sum(f() * dout)`` with respect to ``x`` (array-valued ``f``)."""
    h = _check_step(h, "numerical_gradient_array")
    method = _check_method(method, "numerical_gradient_array")
    x = _check_nudgeable(x, "x", "numerical_gradient_array")
    _check_zero_argument_function(f, "numerical_gradient_array")
    indices = list(np.ndindex(*x.shape))
    # Subtract the two outputs before weighting by dout (as CS231n does): entries that the nudge
    # does not change cancel exactly, instead of leaving the round-off of the whole sum behind.
    try:
        values, _ = _differences(lambda: np.array(f(), dtype=float), x, h,
                                 lambda diff: np.sum(diff * dout), method, indices)
    except ValueError as exc:
        if "broadcast" not in str(exc):
            raise
        raise ValueError(f"numerical_gradient_array: dout has shape {np.shape(dout)} but f() returns shape "
                         f"{np.shape(f())}; dout must have the shape of f's output.") from None
    return _scatter(x.shape, indices, values)


@dataclass
class StepSweep:
    """Relative error of a finite difference for each step ``h`` of a sweep (``errors[i]`` at ``hs[i]``)."""

    hs: np.ndarray
    errors: np.ndarray
    method: str = "central"

    @property
    def best_h(self) -> float:
        """The step with the smallest error."""
        return float(self.hs[int(np.argmin(self.errors))])

    @property
    def min_error(self) -> float:
        return float(np.min(self.errors))

    def slope(self, h_low: float, h_high: float) -> float:
        """Least-squares slope of log10(error) against log10(h) for h in [h_low, h_high]."""
        keep = (self.hs >= h_low) & (self.hs <= h_high) & (self.errors > 0)
        if keep.sum() < 2:
            raise ValueError(f"StepSweep.slope: fewer than two steps with a nonzero error in "
                             f"[{h_low:g}, {h_high:g}].")
        return float(np.polyfit(np.log10(self.hs[keep]), np.log10(self.errors[keep]), 1)[0])


def step_sweep(f, x: np.ndarray, grad, hs, method: str = "central") -> StepSweep:
    """Relative error between ``grad`` and the finite-difference gradient of ``f()`` at each h in ``hs``.

    f, x: as for ``numerical_gradient``; grad: the exact gradient, x's shape; hs: steps > 0.
    """
    method = _check_method(method, "step_sweep")
    hs = np.asarray(hs, dtype=float).ravel()
    if hs.size == 0 or not np.all(np.isfinite(hs) & (hs > 0)):
        raise ValueError(f"step_sweep: hs must be positive steps, e.g. np.logspace(-1, -12, 23); got {hs}.")
    grad = np.asarray(grad, dtype=float)
    if grad.shape != np.shape(x):
        raise ValueError(f"step_sweep: grad has shape {grad.shape} but x has shape {np.shape(x)}.")
    errors = np.array([rel_error(grad, numerical_gradient(f, x, h, method)) for h in hs])
    return StepSweep(hs, errors, method)


# ------------------------------------------------------------------ gradcheck
@dataclass
class GradcheckReport:
    """Relative errors per checked array; ``ok`` when all are below ``tol``.

    checked: name -> (entries checked, entries in the array); kinks: name -> how many checked
    entries had a nudge that crossed a ReLU's kink; errors_away_from_kinks: the error without them;
    notes: what the check changed or noticed (promotion to float64, kinks); forward_passes: how
    many times the function was evaluated for the finite differences.
    """

    errors: dict[str, float] = field(default_factory=dict)
    tol: float = 1e-7
    checked: dict[str, tuple[int, int]] = field(default_factory=dict)
    kinks: dict[str, int] = field(default_factory=dict)
    errors_away_from_kinks: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    forward_passes: int = 0

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return self.max_error < self.tol

    @property
    def ok_away_from_kinks(self) -> bool:
        """True when every entry whose nudges stayed on one side of every kink agrees."""
        return all(self.errors_away_from_kinks.get(name, err) < self.tol for name, err in self.errors.items())

    def _row(self, name: str, err: float) -> str:
        status = "ok" if err < self.tol else "WRONG"
        extra = ""
        done, total = self.checked.get(name, (0, 0))
        if done < total:
            extra += f"  [{done} of {total} entries]"
        if self.kinks.get(name) and err >= self.tol:
            if self.errors_away_from_kinks[name] < self.tol:
                status = "WRONG?"  # only the entries nudged across a kink disagree
            k = self.kinks[name]
            extra += (f"  {k} entr{'y' if k == 1 else 'ies'} nudged across a kink; "
                      f"{self.errors_away_from_kinks[name]:.1e} without")
        return f"  {name:<12} rel. error {err:.2e}  {status}{extra}"

    def __repr__(self) -> str:
        rows = "\n".join(self._row(name, err) for name, err in self.errors.items())
        if self.ok:
            verdict = "all gradients agree"
        elif self.ok_away_from_kinks:
            verdict = "some gradients disagree, but only where a nudge crossed a kink (likely false alarms)"
        else:
            verdict = "some gradients disagree"
        notes = "".join(f"\n  note: {note}" for note in self.notes)
        return f"gradcheck (tolerance {self.tol:.0e}): {verdict}\n{rows}{notes}"


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _modules(module: Module, prefix: str = ""):
    yield prefix, module
    for name, child in module.children():
        yield from _modules(child, f"{prefix}.{name}" if prefix else name)


class _KinkTracker:
    """Watches the inputs of every ReLU/LeakyReLU in a module: ``crossed`` turns True when a
    forward pass puts an input on the other side of 0 than the unperturbed pass did."""

    def __init__(self, module: Module):
        found: dict[int, tuple[str, Module]] = {}
        for name, m in _modules(module):
            if isinstance(m, (ReLU, LeakyReLU)):
                found.setdefault(id(m), (name, m))  # a layer used twice is watched once
        self.layers = list(found.values())
        self.baseline: dict[int, list[np.ndarray]] = {id(m): [] for _, m in self.layers}
        self.calls: dict[int, int] = {}
        self.crossed_layers: set[str] = set()
        self.crossed = False
        self.recording = True

    def start(self) -> None:
        """A new forward pass begins: count each layer's calls from the first again."""
        self.calls = {}

    def _wrap(self, name: str, layer: Module):
        forward = type(layer).forward.__get__(layer)
        key = id(layer)

        def watched(x):
            side = np.asarray(x) > 0
            if self.recording:
                self.baseline[key].append(side)
            else:
                n = self.calls.get(key, 0)
                self.calls[key] = n + 1
                before = self.baseline[key][n] if n < len(self.baseline[key]) else None
                if before is None or before.shape != side.shape or np.any(before != side):
                    self.crossed = True
                    self.crossed_layers.add(f"{type(layer).__name__} '{name}'" if name else type(layer).__name__)
            return forward(x)
        return watched

    def __enter__(self):
        for name, layer in self.layers:
            layer.forward = self._wrap(name, layer)
        return self

    def __exit__(self, *exc):
        for _, layer in self.layers:
            vars(layer).pop("forward", None)


class _Check:
    """One gradcheck run: settings, and the errors and notes it collects."""

    def __init__(self, h: float, method: str, coords: int | None, rng, promote: bool):
        self.h, self.method, self.coords, self.rng, self.promote = h, method, coords, rng, promote
        self.report = GradcheckReport()
        self.float32 = False

    def prepare(self, x, name: str) -> np.ndarray:
        """``x`` as an array the check can nudge (a float64 copy of integers, and of float32 when promoting)."""
        arr = np.asarray(x)
        if arr.dtype.kind in "biu":
            self.report.notes.append(f"{name} held integers (dtype {arr.dtype}); it was checked as float64, "
                                     "since an integer cannot be nudged by h.")
            return arr.astype(np.float64)
        if arr.dtype.kind != "f":
            raise TypeError(f"gradcheck: {name} must hold real numbers (float64), got dtype {arr.dtype}.")
        if arr.dtype != np.float64:
            self.float32 = True
            if self.promote:
                return arr.astype(np.float64)
        return arr if isinstance(x, np.ndarray) else arr.astype(np.float64)

    def evaluate(self, f, tracker=None):
        def counted():
            self.report.forward_passes += 1
            if tracker is not None:
                tracker.start()
            return f()
        return counted

    def compare(self, name: str, analytic, f, x: np.ndarray, weigh, tracker=None, near_kink=None) -> None:
        """Finite differences of ``weigh(f())`` at the chosen entries of ``x`` against ``analytic``."""
        if analytic is None:
            raise TypeError(f"gradcheck: the gradient for {name} is None; return an array of its shape.")
        analytic = np.asarray(analytic, dtype=float)
        if analytic.shape != x.shape:
            raise ValueError(f"gradcheck: the gradient for {name} has shape {analytic.shape}, "
                             f"but {name} has shape {x.shape}; a gradient has the shape of its variable.")
        indices = random_coords(x.shape, self.coords, self.rng)
        if tracker is not None:
            tracker.recording = False
        values, crossed = _differences(self.evaluate(f, tracker), x, self.h, weigh, self.method, indices, tracker)
        if near_kink is not None:
            crossed |= np.array([near_kink(x[i]) for i in indices], dtype=bool)
        got = np.array([analytic[i] for i in indices])
        errs = _elementwise_rel_error(got, values) if indices else np.zeros(0)
        report = self.report
        report.errors[name] = float(errs.max(initial=0.0))
        report.checked[name] = (len(indices), x.size)
        if crossed.any():
            report.kinks[name] = int(crossed.sum())
            report.errors_away_from_kinks[name] = float(errs[~crossed].max(initial=0.0))

    def finish(self, tol: float, kink_layers=()) -> GradcheckReport:
        report = self.report
        report.tol = tol
        if self.float32 and self.promote:
            report.notes.append("float32 arrays were checked in float64: in float32 the round-off of a "
                                "finite difference alone gives errors around 1e-3 (promote=False checks "
                                "them as given, with a larger h and tol).")
        elif self.float32 and tol < 1e-4:
            report.notes.append(f"checked in float32 with tol {tol:.0e}, a float64 tolerance: a correct "
                                "gradient shows errors around 1e-3 here; use h=1e-2 and tol=1e-2, or float64.")
        if kink_layers:
            report.notes.append(f"a nudge of ±h crossed the kink at 0 of {', '.join(sorted(kink_layers))}: "
                                "the finite difference straddles the kink there and disagrees with a correct "
                                "gradient. Move the inputs away from 0 or use a smaller h.")
        return report


class _Promoted:
    """Temporarily give every float32 parameter of a module float64 ``data`` and ``grad``."""

    def __init__(self, module: Module, active: bool):
        self.params = [p for p in module.parameters() if p.data.dtype != np.float64] if active else []

    def __enter__(self):
        self.saved = [(p, p.data, p.grad) for p in self.params]
        for p in self.params:
            p.data, p.grad = p.data.astype(np.float64), np.zeros(p.data.shape)
        return self

    def __exit__(self, *exc):
        for p, data, grad in self.saved:
            p.data, p.grad = data, grad


def _check_module(check: _Check, module: Module, x) -> set:
    x = check.prepare(x, "x")
    with _Promoted(module, check.promote) as promoted, _KinkTracker(module) as tracker:
        if promoted.params:
            check.float32 = True
        out = module.forward(x)
        dout = check.rng.standard_normal(np.shape(out))
        module.zero_grad()
        dx = module.backward(dout)

        def weigh(diff):
            return np.sum(diff * dout)
        check.compare("x", dx, lambda: np.array(module.forward(x), dtype=float), x, weigh, tracker)
        for name, p in module.named_parameters():
            check.compare(name, p.grad, lambda: np.array(module.forward(x), dtype=float), p.data, weigh, tracker)
    return tracker.crossed_layers


_KINKED_PAIRS = {F.relu_forward: "relu_forward", F.leaky_relu_forward: "leaky_relu_forward"}


def _check_pair(check: _Check, forward, backward, inputs: tuple) -> set:
    grads = _as_tuple(backward(*_swap(forward(*inputs))))
    work = [check.prepare(x, f"input {i}") if g is not None else x
            for i, (x, g) in enumerate(zip(inputs, grads))] + list(inputs[len(grads):])
    out, cache = forward(*work)
    dout = check.rng.standard_normal(np.shape(out))
    grads = _as_tuple(backward(dout, cache))
    kinked = _KINKED_PAIRS.get(forward)
    for i, (x, g) in enumerate(zip(work, grads)):
        if g is None:
            continue
        near = (lambda v: abs(float(v)) <= check.h) if kinked and i == 0 else None
        check.compare(f"input {i}", g, lambda: np.array(forward(*work)[0], dtype=float), x,
                      lambda diff: np.sum(diff * dout), near_kink=near)
    crossed = kinked and check.report.kinks.get("input 0")
    return {kinked} if crossed else set()


def _swap(result):
    """``(out, cache)`` -> ``(ones like out, cache)``: a first backward call only to see which inputs get grads."""
    out, cache = result
    return np.ones(np.shape(out)), cache


def _scalar_result(fn, inputs) -> tuple:
    result = fn(*inputs)
    if not (isinstance(result, tuple) and len(result) == 2):
        got = type(result).__name__ + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        raise TypeError(f"gradcheck: fn returned a {got}; a function to check must return (value, grads), "
                        "as F.mse returns (loss, dpred). A function without its own gradient has nothing to "
                        "check: use numerical_gradient. For an array output, pass (forward, backward).")
    return result


def _check_scalar(check: _Check, fn, inputs: tuple) -> None:
    _, grads = _scalar_result(fn, inputs)
    grads = _as_tuple(grads)
    work = [check.prepare(x, f"input {i}") if i < len(grads) else x for i, x in enumerate(inputs)]
    _, grads = _scalar_result(fn, work)
    for i, (x, g) in enumerate(zip(work, _as_tuple(grads))):
        check.compare(f"input {i}", g, lambda: _scalar(fn(*work)[0], "gradcheck"), x, float)


def _check_loss(check: _Check, fn: Loss, inputs: tuple) -> None:
    pred = check.prepare(inputs[0], "pred")
    rest = inputs[1:]
    fn(pred, *rest)
    check.compare("pred", fn.backward(), lambda: float(np.sum(fn(pred, *rest))), pred, float)


def gradcheck(fn, inputs, *, h: float = 1e-5, tol: float = 1e-7, seed: int = 0, method: str = "central",
              coords: int | None = None, rng: np.random.Generator | None = None,
              promote: bool = True) -> GradcheckReport:
    """Check the gradients of ``fn`` at ``inputs`` against finite differences.

    ``fn`` may be:
      - a ``Module``: ``inputs`` is x; checks dx and every parameter's grad for L = sum(out * dout)
        with a random (seeded) dout; a nudge that moves a ReLU's input across 0 is reported;
      - a ``Loss``: ``inputs`` is (pred, target); checks dpred;
      - a pair ``(forward, backward)`` from ``bplib.functional``: ``forward(*inputs) -> (out, cache)``,
        ``backward(dout, cache) -> grads``;
      - a function returning ``(scalar, grads)`` with one grad per leading input, e.g. ``functional.mse``.
    One input is an array, several are a tuple. method: 'central' or 'forward' (one-sided);
    coords: check only this many random entries of each array (2 evaluations each, central),
    drawn from ``rng`` (default: from ``seed``); promote: check float32 inputs and parameters in
    float64 (a float32 finite difference is only good to about 1e-3). Inputs are restored.
    """
    h, method = _check_step(h, "gradcheck"), _check_method(method, "gradcheck")
    coords = _check_coords(coords, "gradcheck")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ValueError(f"gradcheck: tol must be a positive number (e.g. 1e-7 in float64), got {tol!r}.")
    if isinstance(inputs, list):
        raise TypeError("gradcheck: inputs is a list. Pass one input as a numpy array, np.array(...), or "
                        "several inputs as a tuple, (x, y); a list could mean either.")
    rng = generator(rng, seed, "gradcheck")
    if isinstance(fn, type):
        raise TypeError(f"gradcheck: fn is the class {fn.__name__}, not an instance; build one first, "
                        f"e.g. gradcheck({fn.__name__}(...), x).")
    check = _Check(h, method, coords, rng, promote)
    inputs = _as_tuple(inputs)
    kink_layers: set = set()
    if isinstance(fn, Module):
        kink_layers = _check_module(check, fn, inputs[0])
    elif isinstance(fn, Loss):
        _check_loss(check, fn, inputs)
    elif isinstance(fn, tuple) and len(fn) == 2:
        kink_layers = _check_pair(check, fn[0], fn[1], inputs)
    elif callable(fn):
        _check_scalar(check, fn, inputs)
    else:
        raise TypeError(f"gradcheck: fn must be a Module, a Loss, a (forward, backward) pair or a function, "
                        f"got {type(fn).__name__}.")
    return check.finish(tol, kink_layers)
