"""Optimisers that turn gradients into weight updates, with the update rules of ``torch.optim``.

Each optimiser holds a list of ``Parameter``s; ``step()`` reads every ``.grad`` and changes
``.data`` in place, ``zero_grad()`` resets the gradients. Per-parameter state (velocity,
moment estimates) lives in ``optimizer.state[param]`` under PyTorch's names
(``'momentum_buffer'``, ``'exp_avg'``, ``'exp_avg_sq'``, ``'square_avg'``, ``'step'``),
so chapters can plot it. The order of operations follows the algorithms documented by PyTorch,
so the same run agrees with ``torch.optim`` to rounding error.
Two small 2-D surfaces (an ill-conditioned quadratic and Rosenbrock's valley) and
``optimizer_path`` let chapters watch an optimiser move.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bplib._validate import check_bool, check_callable
from bplib.layers.module import Module, Parameter

__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "Optimizer", "clip_grad_norm_", "clip_grad_value_",
           "record_step_sizes",
           "Surface", "QUADRATIC", "ROSENBROCK", "SURFACES", "optimizer_path"]


def _parameter_list(params, where: str) -> list[Parameter]:
    """Accept a Module, one Parameter, or an iterable of Parameters; return a non-empty list."""
    if isinstance(params, Module):
        params = params.parameters()
    elif isinstance(params, Parameter):
        params = [params]
    elif isinstance(params, np.ndarray) or not isinstance(params, Iterable):
        raise TypeError(
            f"{where}: params must be a list of Parameters (e.g. model.parameters()), "
            f"got {type(params).__name__}."
        )
    params = list(params)
    seen: dict[int, int] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(
                f"{where}: item {i} of params is a {type(p).__name__}, not a Parameter; "
                "pass model.parameters(), whose items carry both .data and .grad."
            )
        if id(p) in seen:
            raise ValueError(
                f"{where}: params lists the same Parameter twice (items {seen[id(p)]} and {i}), so "
                "each step would update it twice; list each parameter once, e.g. "
                "a.parameters() + b.parameters() for two models that share none."
            )
        seen[id(p)] = i
    return params


def _check_fraction(value: float, name: str, where: str, meaning: str) -> float:
    """A number in [0, 1): the share of an old running average that a step keeps."""
    value = _check_nonnegative(value, name, where)
    if value >= 1:
        raise ValueError(f"{where}: {name} must be in [0, 1), got {value!r}; it is {meaning}, and "
                         "at 1 or more the average never forgets (or grows without bound).")
    return value


def _check_positive(value: float, name: str, where: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}.")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {name} must be a finite number > 0, got {value!r}; {hint}")
    return float(value)


def _check_nonnegative(value: float, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}.")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}.")
    return float(value)


class Optimizer(ABC):
    """Shared machinery: the parameter list, per-parameter ``state``, ``zero_grad`` and checks."""

    def __init__(self, params, lr: float):
        where = type(self).__name__
        self.params = _parameter_list(params, where)
        if not self.params:
            raise ValueError(
                f"{where}: got an empty parameter list, so there is nothing to optimise; "
                "did the model get built before the optimiser?"
            )
        self.lr = _check_nonnegative(lr, "lr (the learning rate)", where)
        self.state: dict[Parameter, dict] = {p: {} for p in self.params}

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero before the next backward pass."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``.

        NaN gradients are not looked for here: a reduction per parameter would cost a tenth of a
        small network's step. ``fit`` checks every gradient before it steps, and the next forward
        pass of any bplib layer or loss refuses NaN values with a hint about divergence.
        """
        for p in self._checked_params():
            self._update(p, p.grad, self.state[p])

    @abstractmethod
    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        """Change ``p.data`` in place from ``grad``, reading and updating ``state``."""

    def _checked_params(self) -> list[Parameter]:
        for i, p in enumerate(self.params):
            if np.shape(p.grad) != p.data.shape:
                label = f" {p.name!r}" if p.name else ""
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {i}{label} has data of shape "
                    f"{p.data.shape} but grad of shape {np.shape(p.grad)}; a gradient must have "
                    "its parameter's shape."
                )
        return self.params

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {options})"

    def _options(self) -> dict:
        return {"lr": self.lr}


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, Nesterov momentum and L2 decay.

    With gradient $g_t$, weight decay $\lambda$, momentum $\mu$, dampening $\tau$ and rate $\gamma$:
    $g_t \leftarrow g_t + \lambda\theta_{t-1}$;
    $b_1 = g_1$, $b_t = \mu b_{t-1} + (1-\tau) g_t$;
    $g_t \leftarrow g_t + \mu b_t$ (Nesterov) or $g_t \leftarrow b_t$ (classical);
    $\theta_t = \theta_{t-1} - \gamma g_t$.
    ``state[p]['momentum_buffer']`` holds $b_t$ (the velocity) when momentum is non-zero.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = _check_fraction(momentum, "momentum", "SGD",
                                        "the share of the velocity each step keeps (0.9 is usual)")
        self.dampening = _check_nonnegative(dampening, "dampening", "SGD")
        if self.dampening > 1:
            raise ValueError(f"SGD: dampening must be in [0, 1], got {dampening!r}; the new gradient "
                             "enters the velocity times (1 - dampening).")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay", "SGD")
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0 "
                             f"(got momentum={momentum}, dampening={dampening}).")
        self.nesterov = check_bool(nesterov, "nesterov", "SGD")

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * p.data
        if self.momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            grad = grad + self.momentum * buf if self.nesterov else buf
        p.data -= self.lr * grad

    def _options(self) -> dict:
        return {"lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay}


class RMSprop(Optimizer):
    r"""RMSprop: divide each step by a running root-mean-square of past gradients.

    $g_t \leftarrow g_t + \lambda\theta_{t-1}$;
    $v_t = \alpha v_{t-1} + (1-\alpha) g_t^2$ ($v_0 = 0$);
    centered: $\bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t$, $\tilde v_t = v_t - \bar g_t^2$,
    else $\tilde v_t = v_t$;
    with momentum $\mu > 0$: $b_t = \mu b_{t-1} + g_t/(\sqrt{\tilde v_t}+\epsilon)$,
    $\theta_t = \theta_{t-1} - \gamma b_t$;
    without: $\theta_t = \theta_{t-1} - \gamma g_t/(\sqrt{\tilde v_t}+\epsilon)$.
    State: ``'square_avg'`` ($v_t$), ``'grad_avg'`` ($\bar g_t$), ``'momentum_buffer'`` ($b_t$).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, lr)
        self.alpha = _check_nonnegative(alpha, "alpha", "RMSprop")
        if self.alpha > 1:
            raise ValueError(f"RMSprop: alpha (the averaging factor) must be in [0, 1], "
                             f"got {alpha}.")
        self.eps = _check_positive(eps, "eps", "RMSprop", "it keeps the division by the root mean "
                                   "square finite where a gradient is 0 (1e-8 is usual).")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay", "RMSprop")
        self.momentum = _check_fraction(momentum, "momentum", "RMSprop",
                                        "the share of the velocity each step keeps")
        self.centered = check_bool(centered, "centered", "RMSprop")

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.data))
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * p.data
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - self.alpha) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            avg = np.sqrt(square_avg) + self.eps
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += grad / avg
            p.data -= self.lr * buf
        else:
            p.data -= self.lr * (grad / avg)

    def _options(self) -> dict:
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps,
                "weight_decay": self.weight_decay, "momentum": self.momentum,
                "centered": self.centered}


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and on its square, each corrected for starting at zero.

    $g_t \leftarrow g_t + \lambda\theta_{t-1}$ (L2, coupled);
    $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$; $v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$;
    $\hat m_t = m_t/(1-\beta_1^t)$, $\hat v_t = v_t/(1-\beta_2^t)$;
    $\theta_t = \theta_{t-1} - \gamma \hat m_t / (\sqrt{\hat v_t} + \epsilon)$
    (eps outside the root).
    State: ``'step'`` ($t$), ``'exp_avg'`` ($m_t$), ``'exp_avg_sq'`` ($v_t$).
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr)
        where = type(self).__name__
        try:
            beta1, beta2 = (float(b) for b in betas)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{where}: betas must be a pair of numbers (beta1, beta2), "
                            f"got {betas!r}.") from exc
        for i, beta in enumerate((beta1, beta2)):
            if beta < 0.0:
                raise ValueError(f"{where}: betas[{i}] must be in [0, 1), got {beta}; it is the share "
                                 "of the old average each step keeps, and a share cannot be negative.")
            if beta >= 1.0:
                raise ValueError(f"{where}: betas[{i}] must be in [0, 1), got {beta}; a beta of 1 "
                                 "or more would never forget the first gradient.")
        self.betas = (beta1, beta2)
        self.eps = _check_positive(eps, "eps", where, "it keeps the division by sqrt(v) finite "
                                   "where a gradient is 0 (1e-8 is usual).")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay", where)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        beta1, beta2 = self.betas
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        t = state["step"]
        if self.weight_decay != 0:
            if self._decoupled:
                p.data *= 1 - self.lr * self.weight_decay
            else:
                grad = grad + self.weight_decay * p.data
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1 ** t)
        denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2 ** t) + self.eps
        p.data -= step_size * (exp_avg / denom)

    def _options(self) -> dict:
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps,
                "weight_decay": self.weight_decay}


class AdamW(Adam):
    r"""Adam with decoupled weight decay: shrink the weights directly, not through the gradient.

    $\theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)$, then the Adam step with the raw
    gradient (no $\lambda\theta$ added to it):
    $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, $v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$,
    $\theta_t = \theta_{t-1} - \gamma \hat m_t / (\sqrt{\hat v_t} + \epsilon)$.
    """

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)


def _vector_norm(x: np.ndarray, q: float) -> float:
    if q == 2.0:
        return float(np.sqrt(np.sum(x * x)))
    return float(np.sum(np.abs(x) ** q) ** (1.0 / q))


def clip_grad_norm_(params, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = True) -> float:
    r"""Rescale all gradients together so their joint norm is at most ``max_norm``.

    Returns the norm before clipping.
    $\|g\| = \big(\sum_p \|g_p\|^q\big)^{1/q}$ over every parameter
    ($q$ = ``norm_type``, ``inf`` = max);
    each $g_p \leftarrow g_p \cdot \min\big(1, \text{max\_norm}/(\|g\| + 10^{-6})\big)$, as in
    ``torch.nn.utils.clip_grad_norm_``. The direction of the whole gradient is kept. Unlike torch,
    a NaN or infinite norm raises by default (``error_if_nonfinite=False`` scales it anyway).
    """
    where = "clip_grad_norm_"
    params = _parameter_list(params, where)
    max_norm = _check_positive(max_norm, "max_norm", where, "a threshold of 0 would set every "
                               "gradient to zero; try 1.0.")
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        norm_type = math.inf
    elif isinstance(norm_type, str):
        raise TypeError(f"{where}: norm_type must be a number (2.0 for the Euclidean norm, 1.0, or "
                        f"float('inf') for the largest entry), got the string {norm_type!r}.")
    if not (isinstance(norm_type, (int, float, np.number)) and norm_type == math.inf):
        norm_type = _check_positive(norm_type, "norm_type", where, "it is the q of the q-norm "
                                    "(2.0 is the Euclidean norm).")
    norm_type = float(norm_type)
    if not params:
        return 0.0
    if math.isinf(norm_type):
        per_param = [float(np.max(np.abs(p.grad))) if p.grad.size else 0.0 for p in params]
        total = max(per_param)
    else:
        per_param = [_vector_norm(p.grad, norm_type) for p in params]
        total = _vector_norm(np.array(per_param), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(
            f"clip_grad_norm_: the total gradient norm is {total}; some gradient holds NaN or "
            "infinity, so clipping cannot rescue it. Lower the learning rate or find the step "
            "that diverged."
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p in params:
        p.grad *= coef
    return total


def clip_grad_value_(params, clip_value: float) -> None:
    r"""Clamp every gradient entry to $[-c, c]$ in place, as ``torch.nn.utils.clip_grad_value_``.

    Unlike norm clipping this can change the gradient's direction.
    """
    params = _parameter_list(params, "clip_grad_value_")
    clip_value = _check_nonnegative(clip_value, "clip_value", "clip_grad_value_")
    if clip_value == 0:
        warnings.warn("clip_grad_value_: clip_value=0 sets every gradient to 0, so the next step changes "
                      "nothing; a useful clip value is a little below the usual size of a gradient entry.",
                      stacklevel=2)
    for p in params:
        np.clip(p.grad, -clip_value, clip_value, out=p.grad)


def record_step_sizes(optimizer: Optimizer) -> list[list[float]]:
    """Make ``optimizer.step()`` also record how far it moved each parameter.

    Returns the list it appends to: per step, the root-mean-square change of each parameter's
    values, in the order of ``optimizer.params`` (for plots of an optimiser's step sizes).
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"record_step_sizes: expected a bplib.optim optimiser, got {type(optimizer).__name__}.")
    steps: list[list[float]] = []
    plain_step = optimizer.step

    def step() -> None:
        before = [p.data.copy() for p in optimizer.params]
        plain_step()
        steps.append([float(np.sqrt(np.mean((p.data - old) ** 2)))
                      for p, old in zip(optimizer.params, before)])

    optimizer.step = step
    return steps


# ------------------------------------------------------------ 2-D test surfaces


@dataclass(frozen=True)
class Surface:
    """A loss of two weights to watch optimisers on: value and gradient of points (..., 2).

    ``start`` is where paths begin, ``minimum`` where the loss is lowest, ``xlim``/``ylim`` the
    window that shows both.
    """

    name: str
    value: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]


def _quadratic_value(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return 0.5 * (0.1 * p[..., 0] ** 2 + 2.0 * p[..., 1] ** 2)


def _quadratic_grad(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.stack([0.1 * p[..., 0], 2.0 * p[..., 1]], axis=-1)


def _rosenbrock_value(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)], axis=-1)


# L = (0.1 w1^2 + 2 w2^2) / 2: curvatures 0.1 and 2, a condition number of 20
QUADRATIC = Surface("ill-conditioned quadratic", _quadratic_value, _quadratic_grad,
                    start=(-9.0, 2.0), minimum=(0.0, 0.0), xlim=(-10.0, 2.0), ylim=(-3.0, 3.0))
# Rosenbrock's banana valley: easy to find, slow to follow to the minimum at (1, 1)
ROSENBROCK = Surface("Rosenbrock valley", _rosenbrock_value, _rosenbrock_grad,
                     start=(-1.5, 2.0), minimum=(1.0, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0))
SURFACES = {"quadratic": QUADRATIC, "rosenbrock": ROSENBROCK}


def optimizer_path(surface: Surface, make_optimizer: Callable[[list[Parameter]], Optimizer],
                   steps: int = 100, start=None) -> np.ndarray:
    """Positions of an optimiser on a 2-D surface: (steps + 1, 2), starting at ``start``.

    ``make_optimizer`` gets ``[p]`` (one Parameter holding the two weights), e.g.
    ``lambda ps: SGD(ps, lr=0.1, momentum=0.9)``. A path that leaves the surface (overflow)
    stops early, so it may be shorter.
    """
    where = "optimizer_path"
    if isinstance(surface, str):
        if surface not in SURFACES:
            raise ValueError(f"{where}: unknown surface {surface!r}; choose one of {sorted(SURFACES)} "
                             "or pass a Surface.")
        surface = SURFACES[surface]
    elif not isinstance(surface, Surface):
        raise TypeError(f"{where}: surface must be a Surface or one of {sorted(SURFACES)}, "
                        f"got {type(surface).__name__}.")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{where}: steps must be a whole number >= 0, got {steps!r}.")
    if isinstance(make_optimizer, Optimizer):
        raise TypeError(f"{where}: make_optimizer must be a function that builds the optimiser from the "
                        f"parameter list, got a ready {type(make_optimizer).__name__}; write e.g. "
                        "lambda ps: SGD(ps, lr=0.1).")
    check_callable(make_optimizer, "make_optimizer", where, "lambda ps: SGD(ps, lr=0.1)")
    start = np.array(surface.start if start is None else start, dtype=float)
    if start.shape != (2,):
        raise ValueError(f"{where}: start must be a point (w1, w2) on the 2-D surface, got shape {start.shape}.")
    p = Parameter(start, "w")
    opt = make_optimizer([p])
    if not isinstance(opt, Optimizer):
        raise TypeError(f"{where}: make_optimizer returned a {type(opt).__name__}, not an optimiser; "
                        "write e.g. lambda ps: SGD(ps, lr=0.1).")
    path = [p.data.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            p.grad[...] = surface.grad(p.data)
            opt.step()
            if not np.all(np.isfinite(p.data)) or np.max(np.abs(p.data)) > 1e6:
                break
            path.append(p.data.copy())
    return np.array(path)
