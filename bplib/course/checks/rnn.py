"""Checks for chapter 11 (backpropagation through time): one step back, the recurrence, the sums,
a gated step, the gradient horizon and a planted bug in a BPTT loop."""

from __future__ import annotations

import numpy as np

from bplib.course.feedback import call_student, expect_close, expect_tuple, passed
from bplib.rnn import RNN, rnn_step_backward

__all__ = ["check_rnn_step_backward", "check_hidden_gradients", "check_sum_weight_gradients",
           "check_gated_step_backward", "check_gradient_horizon", "check_rnn_backward"]


def _problem(seed: int, N: int = 3, T: int = 5, D: int = 2, H: int = 4):
    """A tanh RNN run forward on seeded data: (rnn, x, h0, hs) with hs (N, T, H)."""
    rng = np.random.default_rng(seed)
    rnn = RNN(D, H, rng=rng)
    rnn.set_spectral_radius(0.9)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    hs = np.array(rnn(x, h0))
    return rnn, x, h0, hs, rng


def _same(got, expected) -> bool:
    got = np.asarray(got, dtype=float)
    return got.shape == np.shape(expected) and np.allclose(got, expected, atol=1e-8)


# -------------------------------------------------------------------------- exercise 1
def check_rnn_step_backward(rnn_step_backward_fn) -> None:
    """``rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh) -> (dx, dh_prev, dW_xh, dW_hh, db_h)``."""
    rnn, x, h0, hs, rng = _problem(21)
    t = 2
    x_t, h_prev, h = x[:, t], hs[:, t - 1], hs[:, t]
    W_xh, W_hh = rnn.W_xh.data, rnn.W_hh.data
    dh = rng.normal(size=h.shape)
    got = call_student(rnn_step_backward_fn, dh, x_t, h_prev, h, W_xh, W_hh)
    dx, dh_prev, dW_xh, dW_hh, db_h = expect_tuple("rnn_step_backward", got, 5)
    ref = rnn_step_backward(dh, (x_t, h_prev, W_xh, W_hh, h, "tanh"))
    if _same(db_h, dh.sum(axis=0)):
        raise AssertionError("db_h equals dh summed over the batch: the gradient has to pass "
                             "through tanh first, dz = dh * (1 - h**2), and every other gradient "
                             "of the step is built from dz.")
    expect_close("db_h", db_h, ref[4])
    expect_close("dW_xh", dW_xh, ref[2])
    if _same(dW_hh, ref[3].T):
        raise AssertionError("dW_hh is transposed: with z_t = x_t W_xh^T + h_prev W_hh^T, "
                             "dW_hh = dz^T h_prev, shape (H, H) with rows for the receiving units.")
    if _same(dW_hh, (dh * (1 - h**2)).T @ h):
        raise AssertionError("dW_hh was built with h, the state this step produced; the weight "
                             "W_hh multiplied h_prev, so dW_hh = dz^T h_prev.")
    expect_close("dW_hh", dW_hh, ref[3])
    expect_close("dx", dx, ref[0])
    expect_close("dh_prev", dh_prev, ref[1])
    passed("One step back: dz = dh * (1 - h**2), then dx = dz W_xh, dh_prev = dz W_hh, "
           "dW_xh = dz^T x, dW_hh = dz^T h_prev and db_h = the sum of dz.")


# -------------------------------------------------------------------------- exercise 2
def _hidden_gradients_reference(dhs, hs, W_hh) -> np.ndarray:
    dh_total = np.zeros_like(dhs)
    from_later = np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        dh_total[:, t] = dhs[:, t] + from_later
        from_later = (dh_total[:, t] * (1 - hs[:, t] ** 2)) @ W_hh
    return dh_total


def check_hidden_gradients(hidden_gradients) -> None:
    """``hidden_gradients(dhs, hs, W_hh)``: the full ``dL/dh_t`` (N, T, H) of a tanh RNN."""
    rnn, _, _, hs, rng = _problem(22, T=6)
    W_hh = rnn.W_hh.data
    dhs = rng.normal(size=hs.shape)
    got = call_student(hidden_gradients, dhs.copy(), hs, W_hh)
    expected = _hidden_gradients_reference(dhs, hs, W_hh)
    if _same(got, dhs):
        raise AssertionError("You returned dhs unchanged: that is only the gradient arriving at "
                             "h_t from its own output. Add the part that comes back from step "
                             "t + 1, (dL/dh_{t+1} * (1 - h_{t+1}**2)) W_hh, working backwards "
                             "from the last step.")
    got_arr = np.asarray(got, dtype=float)
    if _same(got_arr, _hidden_gradients_reference(dhs, hs, W_hh.T)):
        raise AssertionError("The recurrent part went through W_hh^T: going backwards the "
                             "gradient is multiplied by W_hh itself, dz_{t+1} W_hh (shape (N, H)).")
    no_derivative = np.zeros_like(dhs)
    from_later = np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        no_derivative[:, t] = dhs[:, t] + from_later
        from_later = no_derivative[:, t] @ W_hh
    if _same(got_arr, no_derivative):
        raise AssertionError("The tanh derivative is missing: before passing dL/dh_{t+1} back "
                             "through W_hh multiply it by 1 - h_{t+1}**2.")
    expect_close("dL/dh_t", got, expected)
    passed("dL/dh_t = dhs_t + (dL/dh_{t+1} * (1 - h_{t+1}**2)) W_hh: each state collects the "
           "gradient of its own output and of everything after it.")


# -------------------------------------------------------------------------- exercise 3
def check_sum_weight_gradients(sum_weight_gradients) -> None:
    """``sum_weight_gradients(dzs, x, hs, h0) -> (dW_xh, dW_hh, db_h)``, over batch and time."""
    rnn, x, h0, hs, rng = _problem(23, T=6)
    das = rng.normal(size=hs.shape)
    got = call_student(sum_weight_gradients, das, x, hs, h0)
    dW_xh, dW_hh, db_h = expect_tuple("sum_weight_gradients", got, 3)
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    ref_xh = np.einsum("nth,ntd->hd", das, x)
    ref_hh = np.einsum("nth,ntg->hg", das, h_prev)
    ref_b = das.sum(axis=(0, 1))
    T = hs.shape[1]
    for name, value in (("dW_xh", dW_xh), ("dW_hh", dW_hh), ("db_h", db_h)):
        if np.shape(value)[:1] == (T,) and np.ndim(value) == (1 if name == "db_h" else 2) + 1:
            raise AssertionError(f"{name} has one entry per time step, shape {np.shape(value)}: "
                                 "the same weight is used at every step, so add the steps up.")
    expect_close("db_h", db_h, ref_b)
    expect_close("dW_xh", dW_xh, ref_xh)
    if _same(dW_hh, np.einsum("nth,ntg->hg", das, hs)):
        raise AssertionError("dW_hh pairs dz_t with h_t; the weight W_hh multiplied the previous "
                             "state, so pair dz_t with h_{t-1} (and h0 for the first step).")
    if _same(dW_hh, np.einsum("nth,ntg->hg", das[:, 1:], hs[:, :-1])):
        raise AssertionError("dW_hh is missing the first step: there the previous state is h0, "
                             "so add dz_1^T h0.")
    expect_close("dW_hh", dW_hh, ref_hh)
    passed("Shared weights, summed gradients: dW_xh = sum_t dz_t^T x_t, dW_hh = sum_t dz_t^T "
           "h_{t-1}, db_h = sum_t dz_t (the 1986 paper's rule for weights used more than once).")


# -------------------------------------------------------------------------- exercise 4 (derive)
def gated_step_forward(x: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray,
                       b_h: np.ndarray, gate: np.ndarray):
    """``h = (1 - gate) * h_prev + gate * tanh(x W_xh^T + h_prev W_hh^T + b_h)``, gate fixed.

    x (N, D), h_prev (N, H), W_xh (H, D), W_hh (H, H), b_h (H,), gate (H,) in (0, 1)
    -> h (N, H), cache (x, h_prev, W_xh, W_hh, candidate, gate) with candidate = tanh(z) (N, H).
    """
    candidate = np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)
    h = (1 - gate) * h_prev + gate * candidate
    return h, (x, h_prev, W_xh, W_hh, candidate, gate)


def _gated_step_backward(dh, cache, *, direct: bool = True, gate_factor: bool = True,
                         derivative_of=None, keep=None, swap_gate: bool = False):
    """Reference (and, with the flags, the usual slips): dh (N, H) -> the five gradients."""
    x, h_prev, W_xh, W_hh, candidate, gate = cache
    if swap_gate:                           # the roles of gate and 1 - gate exchanged
        gate = 1 - gate
    tanh_value = candidate if derivative_of is None else derivative_of
    dz = dh * (gate if gate_factor else 1.0) * (1 - tanh_value**2)
    dh_prev = dz @ W_hh + (dh * ((1 - gate) if keep is None else keep) if direct else 0.0)
    return dz @ W_xh, dh_prev, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)


def _gated_problem(seed: int):
    rng = np.random.default_rng(seed)
    N, D, H = 4, 3, 5
    x, h_prev = rng.normal(size=(N, D)), np.tanh(rng.normal(size=(N, H)))
    W_xh, W_hh, b_h = rng.normal(size=(H, D)) * 0.7, rng.normal(size=(H, H)) * 0.5, rng.normal(size=H)
    gate = rng.uniform(0.1, 0.9, size=H)
    h, cache = gated_step_forward(x, h_prev, W_xh, W_hh, b_h, gate)
    return h, cache, rng.normal(size=h.shape)


def check_gated_step_backward(gated_step_backward) -> None:
    """``gated_step_backward(dh, cache) -> (dx, dh_prev, dW_xh, dW_hh, db_h)`` for
    ``gated_step_forward``: dh (N, H); shapes (N, D), (N, H), (H, D), (H, H), (H,)."""
    names = ("dx", "dh_prev", "dW_xh", "dW_hh", "db_h")
    for seed in (41, 42):
        h, cache, dh = _gated_problem(seed)
        x, h_prev, W_xh, W_hh, candidate, gate = cache
        got = expect_tuple("gated_step_backward", call_student(gated_step_backward, dh, cache), 5)
        ref = _gated_step_backward(dh, cache)
        slips = (
            ("db_h", _gated_step_backward(dh, cache, swap_gate=True)[4],
             "The roles of the gate are swapped: tanh(z) enters h multiplied by gate and h_prev "
             "by 1 - gate, so dz = dh * gate * (1 - candidate**2) and the direct path of dh_prev "
             "is dh * (1 - gate), not the other way round."),
            ("db_h", _gated_step_backward(dh, cache, derivative_of=h)[4],
             "The tanh derivative was taken at h: here h is a mix of h_prev and tanh(z), so "
             "tanh'(z) = 1 - candidate**2, the value tanh produced, not 1 - h**2."),
            ("db_h", _gated_step_backward(dh, cache, gate_factor=False)[4],
             "dz is missing the gate: tanh(z) enters h multiplied by gate, so the gradient "
             "reaching it is dh * gate before the tanh derivative."),
            ("dh_prev", _gated_step_backward(dh, cache, direct=False)[1],
             "dh_prev has only the path through W_hh. h_prev also reaches h directly, through "
             "(1 - gate) * h_prev: at a fork the gradients of both paths add."),
            ("dh_prev", _gated_step_backward(dh, cache, keep=gate)[1],
             "The direct path of dh_prev is weighted by gate; h_prev is kept with weight "
             "1 - gate, so that path gives dh * (1 - gate)."),
            ("dh_prev", _gated_step_backward(dh, cache, keep=1.0)[1],
             "The direct path of dh_prev forgets its factor: h_prev enters h as "
             "(1 - gate) * h_prev, so that path gives dh * (1 - gate), not dh."),
        )
        for name, wrong, message in slips:
            value = got[names.index(name)]
            if value is not None and _same(value, wrong) and not _same(value, ref[names.index(name)]):
                raise AssertionError(f"{name} is wrong. {message}")
        for name, value, expected in zip(names, got, ref):
            expect_close(name, value, expected, atol=1e-10, rtol=1e-8)
    passed("Gated step back: dz = dh * gate * (1 - candidate**2); dh_prev = dh * (1 - gate) + "
           "dz W_hh adds the direct path and the path through the weights. The direct path "
           "skips W_hh and tanh', which is why gated cells keep gradients alive.")


# -------------------------------------------------------------------------- exercise 5 (predict)
HORIZON_RHO, HORIZON_LENGTH, HORIZON_FRACTION, HORIZON_TOLERANCE = 0.95, 150, 1e-3, 0.15


def gradient_horizon(rho: float = HORIZON_RHO, fraction: float = HORIZON_FRACTION,
                     length: int = HORIZON_LENGTH) -> int:
    """Steps k back from the last state until ``||dL/dh_{T-k}|| < fraction * ||dL/dh_T||``."""
    from bplib.widgets.rnn import gradient_in_time

    norms, _ = gradient_in_time(rho, length)
    below = (norms / norms[-1])[::-1] < fraction
    if not below.any():
        raise ValueError(f"gradient_horizon: the gradient did not fall below {fraction} of its "
                         f"size within {length} steps for rho = {rho}; pass a larger length.")
    return int(np.argmax(below))


def check_gradient_horizon(prediction) -> None:
    """``prediction``: a number, the steps back until the gradient is a thousandth (rho 0.95, T 150)."""
    if prediction is None or isinstance(prediction, (bool, str)) or np.ndim(prediction) != 0:
        raise AssertionError(f"prediction should be one number of steps (like 20), got "
                             f"{type(prediction).__name__}.")
    try:
        guess = float(prediction)
    except (TypeError, ValueError):
        raise AssertionError(f"prediction should be one number of steps, got "
                             f"{type(prediction).__name__}.") from None
    truth = gradient_horizon()
    if not np.isfinite(guess) or guess <= 0:
        raise AssertionError(f"prediction is {guess}: a number of steps is positive.")
    if abs(guess - truth) <= HORIZON_TOLERANCE * truth:
        passed(f"Your prediction of {guess:g} steps is within 15% of the measured horizon. "
               "Run the next cell to see it.")
        return
    rho, straight = HORIZON_RHO, 1.0 / (1.0 - HORIZON_RHO)
    if guess < truth:
        hint = (f"Too few steps. Each step back multiplies the gradient by about rho = {rho:g}, so "
                f"it keeps {100 * rho:g}% of what is left, not {100 * rho:g}% of where it started: "
                "it decays geometrically, like rho^k, not in a straight line.")
        if 0.5 * straight <= guess <= 1.5 * straight:
            hint += (f" A guess near {straight:.0f}, 1 / (1 - rho), is the straight-line answer, "
                     "which takes the same amount off at every step.")
        hint += (" Solve rho^k = 1/1000 with logarithms, k = ln(1000) / ln(1/rho), and note "
                 "ln(1/rho) is close to 1 - rho.")
    else:
        hint = (f"Too many steps. The gradient keeps a factor rho = {rho:g} per step, so after k "
                "steps it is rho^k of its size: solve rho^k = 1/1000 with logarithms, "
                "k = ln(1000) / ln(1/rho). The tanh factor cannot stretch that: tanh' ≤ 1, so "
                "saturation could only make the gradient fall faster, never slower.")
    raise AssertionError(f"Your prediction of {guess:g} steps is more than 15% away from the "
                         f"measured horizon. {hint}")


# -------------------------------------------------------------------------- exercise 6 (debug)
def rnn_forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray):
    """A tanh RNN over a sequence: x (N, T, D), h0 (N, H) -> hs (N, T, H), cache (x, h0, W_xh, W_hh, hs)."""
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    hs = np.stack(hs, axis=1)
    return hs, (x, h0, W_xh, W_hh, hs)


def _rnn_backward(dhs, cache, *, overwrite=False, mean=False, carry_accumulates=False):
    """Full BPTT (and, with the flags, the planted bug and two wrong fixes)."""
    x, h0, W_xh, W_hh, hs = cache
    T = hs.shape[1]
    dx, dh_next = np.zeros_like(x), np.zeros_like(h0)
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        dz = (dhs[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dx[:, t] = dz @ W_xh
        dh_next = dh_next + dz @ W_hh if carry_accumulates else dz @ W_hh
        steps = (dz.T @ x[:, t], dz.T @ h_prev, dz.sum(axis=0))
        if overwrite:
            dW_xh, dW_hh, db_h = steps
        else:
            dW_xh, dW_hh, db_h = dW_xh + steps[0], dW_hh + steps[1], db_h + steps[2]
    if mean:
        dW_xh, dW_hh, db_h = dW_xh / T, dW_hh / T, db_h / T
    return dx, dh_next, dW_xh, dW_hh, db_h


def _debug_problem(seed: int):
    rng = np.random.default_rng(seed)
    N, T, D, H = 3, 5, 2, 4
    x, h0 = rng.normal(size=(N, T, D)), 0.5 * rng.normal(size=(N, H))
    W_xh, W_hh, b_h = rng.normal(size=(H, D)) * 0.8, rng.normal(size=(H, H)) * 0.4, rng.normal(size=H) * 0.3
    hs, cache = rnn_forward(x, h0, W_xh, W_hh, b_h)
    return cache, rng.normal(size=hs.shape)


def check_rnn_backward(rnn_backward) -> None:
    """``rnn_backward(dhs, cache) -> (dx, dh0, dW_xh, dW_hh, db_h)`` for ``rnn_forward``:
    dhs (N, T, H); shapes (N, T, D), (N, H), (H, D), (H, H), (H,)."""
    names = ("dx", "dh0", "dW_xh", "dW_hh", "db_h")
    cache, dhs = _debug_problem(61)
    got = expect_tuple("rnn_backward", call_student(rnn_backward, dhs, cache), 5)
    ref = _rnn_backward(dhs, cache)

    def matches(wrong, which) -> bool:
        return all(got[i] is not None and _same(got[i], wrong[i]) for i in which)

    weights = (2, 3, 4)
    if matches(_rnn_backward(dhs, cache, overwrite=True), weights):
        raise AssertionError("dW_xh, dW_hh and db_h are still those of step 1 only, the planted "
                             "bug: the loop assigns each step's gradient with =, so every step "
                             "overwrites the one before. The weights are shared by all steps: "
                             "start the three at zero and add each step's part with +=.")
    if matches(_rnn_backward(dhs, cache, mean=True), weights):
        raise AssertionError("dW_xh, dW_hh and db_h are the mean over the steps, T times too "
                             "small: a weight used at every step gets the sum of the steps' "
                             "gradients, not their average (L is a sum over the copies).")
    if matches(_rnn_backward(dhs, cache, carry_accumulates=True), (0, 1)):
        raise AssertionError("dx and dh0 are wrong because the gradient carried back, dh_next, "
                             "is added up with +=. Only the weights are shared: the gradient "
                             "reaching h_{t-1} is this step's dz W_hh, so assign it with =.")
    for name, value, expected in zip(names, got, ref):
        expect_close(name, value, expected, atol=1e-10, rtol=1e-8)
    passed("rnn_backward agrees with full BPTT: gradcheck pointed at the three weight gradients, "
           "and adding every step's part (+=) fixed them.")
