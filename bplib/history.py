"""The 1986 set-ups of Rumelhart, Hinton & Williams, rebuilt so our numbers sit beside theirs.

The paper trains small sigmoid networks on the summed squared error (the paper calls it E; here,
as in the whole book, it is the loss L) $L = \\tfrac12 \\sum_n \\sum_k (\\hat y_{n,k} - y_{n,k})^2$
by full-batch gradient descent with momentum,
$\\Delta w(t) = -\\eta\\, \\partial L/\\partial w(t) + \\mu\\, \\Delta w(t-1)$, starting
from weights drawn uniformly from $[-0.3, 0.3]$. ``network_1986`` builds such a network from
bplib layers (train it with ``bp.fit`` and ``SGD(lr=η, momentum=μ)``); ``sweeps_to_solve`` runs
the same arithmetic for many random starts at once, so a whole distribution takes seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bplib import functional as F
from bplib._validate import as_float_array, check_ndim, check_number, check_positive_int, generator
from bplib.layers import Linear, Loss, Sequential, Sigmoid

__all__ = ["SumSquaredError", "network_1986", "sweeps_to_solve", "SweepResult",
           "symmetry_structure", "PAPER_SWEEPS_SYMMETRY"]

# Fig. 1 of Rumelhart, Hinton & Williams (1986): sweeps the 6-2-1 symmetry network needed.
PAPER_SWEEPS_SYMMETRY = 1425


def _half_sum_squared_error(pred, target, reduction: str = "sum", dloss=None):
    loss, dpred = F.mse(pred, target, "sum")
    return 0.5 * loss, 0.5 * dpred


class SumSquaredError(Loss):
    """The paper's error (its E) $L = \\frac12\\sum (\\hat y - y)^2$, summed over cases and outputs.

    pred, target: same shape (N, outputs); dL/dpred = pred - target.
    """

    _function = staticmethod(_half_sum_squared_error)

    def __init__(self):
        super().__init__("sum")


def _initial_weights(sizes, rng: np.random.Generator, init_range: float) -> list[np.ndarray]:
    """W1, b1, W2, b2, ... drawn in that order from U(-init_range, init_range)."""
    drawn = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=False):
        drawn.append(rng.uniform(-init_range, init_range, size=(fan_out, fan_in)))
        drawn.append(rng.uniform(-init_range, init_range, size=(fan_out,)))
    return drawn


def network_1986(sizes: Iterable[int] = (6, 2, 1), seed: int | None = None,
                 rng: np.random.Generator | None = None, init_range: float = 0.3) -> Sequential:
    """A sigmoid network (every layer, output included) with weights and biases from U(-r, r).

    sizes (6, 2, 1) gives Linear(6->2), Sigmoid, Linear(2->1), Sigmoid; biases are random too,
    since the paper treats a bias as the weight from a unit that is always on.
    """
    where = "network_1986"
    sizes = [check_positive_int(s, f"sizes[{i}]", where) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"{where}: sizes needs at least an input and an output width, e.g. (6, 2, 1), got {sizes}.")
    rng = generator(rng, seed, where)
    if check_number(init_range, "init_range", where) < 0:
        raise ValueError(f"{where}: init_range must be >= 0 (weights start in U(-r, r), the paper used 0.3), "
                         f"got {init_range!r}.")
    drawn = _initial_weights(sizes, rng, init_range)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        linear = Linear(fan_in, fan_out, init="zeros")
        linear.W.data[...] = drawn[2 * i]
        linear.b.data[...] = drawn[2 * i + 1]
        layers += [linear, Sigmoid()]
    return Sequential(*layers)


@dataclass
class SweepResult:
    """Outcome of ``sweeps_to_solve`` for each seed.

    seeds: (S,); sweeps: (S,) updates made before every output was within ``tolerance`` of its
    target (-1 if not within ``max_sweeps``); W1 (S, H, D), b1 (S, H), W2 (S, 1, H), b2 (S, 1):
    the weights when solved (or at the end); final_error: (S,) the loss L at that point;
    losses: (S, max_sweeps + 1) the loss before each sweep (NaN once a run stopped), only when
    ``sweeps_to_solve(..., record=True)``.
    """

    seeds: np.ndarray
    sweeps: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    final_error: np.ndarray
    tolerance: float
    max_sweeps: int
    losses: np.ndarray | None = None

    @property
    def solved(self) -> np.ndarray:
        """(S,) bool: which runs met the criterion."""
        return self.sweeps >= 0

    def solved_sweeps(self) -> np.ndarray:
        """Sweeps of the runs that solved the task."""
        return self.sweeps[self.solved]

    def network(self, i: int) -> Sequential:
        """The D-H-1 sigmoid network of run ``i`` (an index into ``seeds``) with its final weights."""
        if not 0 <= int(i) < len(self.seeds):
            raise IndexError(f"SweepResult.network: run {i} does not exist; there are "
                             f"{len(self.seeds)} runs, numbered 0 to {len(self.seeds) - 1}.")
        H, D = self.W1.shape[1:]
        net = network_1986((D, H, 1), init_range=0.0)
        for p, w in zip(net.parameters(), (self.W1[i], self.b1[i], self.W2[i], self.b2[i]),
                        strict=True):
            p.data[...] = w
        return net


def _check_start(start, S: int, sizes: list[int]) -> list[np.ndarray]:
    """Copies of the four weight arrays of ``start``, or an error naming the one of wrong shape."""
    D, H, _ = sizes
    shapes = {"W1": (S, H, D), "b1": (S, H), "W2": (S, 1, H), "b2": (S, 1)}
    if not isinstance(start, (tuple, list)) or len(start) != 4:
        raise ValueError("sweeps_to_solve: start must be the tuple (W1, b1, W2, b2) of weights, "
                         "one row per seed.")
    arrays = [as_float_array(w, name, "sweeps_to_solve").copy() for w, name in zip(start, shapes)]
    for w, (name, shape) in zip(arrays, shapes.items(), strict=True):
        if w.shape != shape:
            raise ValueError(f"sweeps_to_solve: start's {name} must have shape {shape} for "
                             f"{S} seeds, got {w.shape}.")
    return arrays


def sweeps_to_solve(x, y, hidden: int = 2, seeds: Iterable[int] = range(20), lr: float = 0.1,
                    momentum: float = 0.9, init_range: float = 0.3, max_sweeps: int = 5000,
                    tolerance: float = 0.5, start: tuple | None = None,
                    record: bool = False) -> SweepResult:
    """Train one D-H-1 sigmoid network per seed on all of (x, y), full batch, and count sweeps.

    x: (N, D) inputs; y: (N,) or (N, 1) targets in [0, 1]. Each sweep is one update
    ``Δw = -lr ∂L/∂w + momentum Δw_prev`` with L the summed squared error (exactly what
    ``bp.fit(network_1986(...), SumSquaredError(), SGD(lr, momentum), x, y)`` does, seed by seed).
    A run is solved once every output is within ``tolerance`` of its target. ``start``, if given,
    is (W1 (S, H, D), b1 (S, H), W2 (S, 1, H), b2 (S, 1)): continue from these weights (with the
    momentum reset to zero) instead of drawing new ones. ``record=True`` keeps every run's loss
    at every sweep in ``losses``.
    """
    x = as_float_array(x, "x", "sweeps_to_solve")
    check_ndim(x, 2, "x", "sweeps_to_solve", "(N, D)")
    target = as_float_array(y, "y", "sweeps_to_solve")
    if target.size != len(x):
        raise ValueError(f"sweeps_to_solve: y must hold one target per row of x ({len(x)}), "
                         f"got shape {target.shape}.")
    target = target.reshape(len(x), 1)
    where = "sweeps_to_solve"
    max_sweeps = check_positive_int(max_sweeps, "max_sweeps", where)
    hidden = check_positive_int(hidden, "hidden", where)
    if check_number(lr, "lr", where) <= 0:
        raise ValueError(f"{where}: lr must be > 0, got {lr!r}; with lr <= 0 no run can learn.")
    if not 0 <= check_number(momentum, "momentum", where) < 1:
        raise ValueError(f"{where}: momentum must be in [0, 1), got {momentum!r}; the paper used 0.9.")
    if check_number(init_range, "init_range", where) < 0:
        raise ValueError(f"{where}: init_range must be >= 0, got {init_range!r}.")
    if isinstance(seeds, (int, np.integer)):
        raise TypeError(f"{where}: seeds must be a list of seeds, e.g. range({seeds}) for {seeds} runs, "
                        f"got the single number {seeds}.")
    seeds = np.array(list(seeds), dtype=np.int64)
    if seeds.size == 0:
        raise ValueError("sweeps_to_solve: seeds is empty; pass at least one seed, e.g. range(20).")
    sizes = [x.shape[1], hidden, 1]
    if start is None:
        starts = [_initial_weights(sizes, np.random.default_rng(int(s)), init_range) for s in seeds]
        W1, b1, W2, b2 = (np.stack([w[i] for w in starts]) for i in range(4))
    else:
        W1, b1, W2, b2 = _check_start(start, len(seeds), sizes)
    params = [W1, b1, W2, b2]
    velocity = [np.zeros_like(p) for p in params]
    S = len(seeds)
    sweeps = np.full(S, -1)
    final = [p.copy() for p in params]
    final_error = np.zeros(S)
    active = np.arange(S)
    losses = np.full((S, max_sweeps + 1), np.nan) if record else None
    for t in range(max_sweeps + 1):
        h = F.sigmoid(x @ W1.transpose(0, 2, 1) + b1[:, None, :])       # (s, N, H)
        out = F.sigmoid(h @ W2.transpose(0, 2, 1) + b2[:, None, :])     # (s, N, 1)
        err = out - target
        if record:
            losses[active, t] = 0.5 * np.sum(err ** 2, axis=(1, 2))
        done = np.max(np.abs(err), axis=(1, 2)) < tolerance
        if t == max_sweeps:
            done[:] = True
        if np.any(done):
            ids = active[done]
            sweeps[ids] = np.where(np.max(np.abs(err[done]), axis=(1, 2)) < tolerance, t, -1)
            for f, p in zip(final, params, strict=True):
                f[ids] = p[done]
            final_error[ids] = 0.5 * np.sum(err[done] ** 2, axis=(1, 2))
            keep = ~done
            active = active[keep]
            params = [p[keep] for p in params]
            velocity = [v[keep] for v in velocity]
            err, h, out = err[keep], h[keep], out[keep]
            W1, b1, W2, b2 = params
        if len(active) == 0:
            break
        dz2 = err * out * (1.0 - out)                                   # dL/dz at the output
        dz1 = (dz2 @ W2) * h * (1.0 - h)                                # back through W2
        grads = [dz1.transpose(0, 2, 1) @ x, dz1.sum(axis=1),
                 dz2.transpose(0, 2, 1) @ h, dz2.sum(axis=1)]
        for p, v, g in zip(params, velocity, grads, strict=True):
            v *= momentum
            v += g
            p -= lr * v
    return SweepResult(seeds, sweeps, *final, final_error, float(tolerance), int(max_sweeps), losses)


def symmetry_structure(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> dict:
    """Measure how close a trained 6-2-1 network is to the paper's solution.

    W1 (H, D) with even D, b1 (H,), W2 (1, H), b2 (1,). Returns, per hidden unit:
    ``antisymmetry`` = max_i |w_i + w_{D-1-i}| / max_i |w_i| (0 when mirror weights are exactly
    equal and opposite), ``ratios`` = one half's magnitudes sorted and divided by the smallest
    (the paper's 1:2:4 gives 1, 2, 4); the signs of the biases (paper: hidden negative,
    output positive); ``distinct_sums`` = smallest gap between the net inputs that the 2^(D/2)
    patterns of one half send to the unit, over max |w| (> 0 when every half-pattern is told apart).
    """
    W1 = np.asarray(W1)
    H, D = W1.shape
    mirror = W1 + W1[:, ::-1]
    scale = np.max(np.abs(W1), axis=1)
    half = np.sort(np.abs(W1[:, : D // 2]), axis=1)
    result = {
        "antisymmetry": np.max(np.abs(mirror), axis=1) / scale,
        "ratios": half / half[:, :1],
        "hidden_bias_negative": np.asarray(b1) < 0,
        "output_bias_positive": bool(np.asarray(b2).ravel()[0] > 0),
        "output_weights": np.asarray(W2).ravel(),
    }
    # every half-pattern must send its own net input, or a non-symmetric pattern could balance
    subsets = np.array(list(itertools.product([0.0, 1.0], repeat=D // 2)))
    sums = np.sort(W1[:, : D // 2] @ subsets.T, axis=1)
    result["distinct_sums"] = np.min(np.diff(sums, axis=1), axis=1) / scale
    return result
