"""A vanilla recurrent network and backpropagation through time (BPTT), full or truncated.

One step reads an input ``x_t`` and the previous hidden state ``h_{t-1}``:

    z_t = x_t W_xh^T + h_{t-1} W_hh^T + b_h        h_t = f(z_t),   f = tanh or relu

The same ``W_xh``, ``W_hh``, ``b_h`` are used at every step, so unrolled over ``T`` steps the
network is a ``T``-layer feed-forward network with shared weights, and each weight's gradient is
the *sum* of its gradients at every step (Rumelhart, Hinton & Williams 1986). Going backwards:

    dh_t = dL_t/dh_t (from the output at t) + dz_{t+1} W_hh       dz_t = dh_t * f'(z_t)
    dW_xh = sum_t dz_t^T x_t     dW_hh = sum_t dz_t^T h_{t-1}     db_h = sum_t dz_t
    dx_t = dz_t W_xh             dh_0 = dz_1 W_hh

The input projection and the three weight-gradient sums do not depend on the recurrence, so they
are computed for all time steps at once; only the recurrence itself loops over time.

Truncated BPTT comes in two forms. ``RNN.backward(dhs, truncate=k)`` is the per-loss form: the
gradient of each loss term ``L_t`` travels back k steps at most. ``chunked_bptt`` is the form
training loops use: the sequence is cut into chunks of k steps, each chunk runs forward from the
state the previous chunk ended in (carried as a constant, "detached") and backward to its own
first step, so only one chunk is ever kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bplib import init as initialisers
from bplib._validate import (
    as_float_array,
    check_callable,
    check_finite,
    check_instance,
    check_ndim,
    check_nonempty,
    check_positive_int,
    generator,
)
from bplib.layers.memory import cache_bytes
from bplib.layers.module import Module, Parameter

NONLINEARITIES = ("tanh", "relu")


def spectral_radius(W: np.ndarray) -> float:
    """Largest absolute eigenvalue of a square matrix ``W (H, H)``."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectral_radius: W must be a square matrix (H, H), got shape {W.shape}.")
    check_finite(W, "W", "spectral_radius")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def _activate(z: np.ndarray, nonlinearity: str, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(z, out=out) if nonlinearity == "tanh" else np.maximum(z, 0, out=out)


def _derivative_from_output(h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """``f'(z)`` from the output ``h = f(z)``: ``1 - h^2`` for tanh, ``[h > 0]`` for relu."""
    if nonlinearity == "tanh":
        return 1 - h * h
    return (h > 0).astype(h.dtype)


# ------------------------------------------------------------------ one step, CS231n style
def rnn_step_forward(x: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray,
                     b_h: np.ndarray, nonlinearity: str = "tanh"):
    """One time step ``h = f(x W_xh^T + h_prev W_hh^T + b_h)``.

    x: (N, D), h_prev: (N, H), W_xh: (H, D), W_hh: (H, H), b_h: (H,) -> h: (N, H), cache.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"rnn_step_forward: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
    try:
        z = x @ W_xh.T + h_prev @ W_hh.T + b_h
    except ValueError:  # only a wrong shape gets here: the usual call pays nothing for this message
        raise ValueError(
            f"rnn_step_forward: shapes do not fit; expected x (N, D), h_prev (N, H), W_xh (H, D), W_hh (H, H) "
            f"and b_h (H,), got x {np.shape(x)}, h_prev {np.shape(h_prev)}, W_xh {np.shape(W_xh)}, "
            f"W_hh {np.shape(W_hh)}, b_h {np.shape(b_h)}.") from None
    h = _activate(z, nonlinearity)
    return h, (x, h_prev, W_xh, W_hh, h, nonlinearity)


def rnn_step_backward(dh: np.ndarray, cache):
    """Backward through one step: dh (N, H) -> dx (N, D), dh_prev (N, H), dW_xh, dW_hh, db_h."""
    x, h_prev, W_xh, W_hh, h, nonlinearity = cache
    dz = dh * _derivative_from_output(h, nonlinearity)
    return dz @ W_xh, dz @ W_hh, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)


# ------------------------------------------------------------------------------- the layer
class RNN(Module):
    """Vanilla (Elman) recurrent layer returning every hidden state.

    W_xh: (H, D), W_hh: (H, H), b_h: (H,); x: (N, T, D), optional h0: (N, H) -> hs: (N, T, H).
    Every parameter starts uniform in ``±1/sqrt(H)``, the range of PyTorch's ``nn.RNN`` (which
    has two biases, ``b_ih + b_hh``, where we have one ``b_h``).
    """

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 rng: np.random.Generator | None = None, seed: int | None = None, dtype=np.float64):
        where = f"RNN({input_size!r}, {hidden_size!r})"
        self.input_size = check_positive_int(input_size, "input_size", where)
        self.hidden_size = check_positive_int(hidden_size, "hidden_size", where)
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"{where}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
        self.nonlinearity = nonlinearity
        rng = generator(rng, seed, where)
        H, D, bound = hidden_size, input_size, 1.0 / np.sqrt(hidden_size)
        self.W_xh = Parameter(initialisers.uniform((H, D), rng, -bound, bound, dtype), "W_xh")
        self.W_hh = Parameter(initialisers.uniform((H, H), rng, -bound, bound, dtype), "W_hh")
        self.b_h = Parameter(initialisers.uniform((H,), rng, -bound, bound, dtype), "b_h")
        self.dh0: np.ndarray | None = None
        self.grad_norms: np.ndarray | None = None
        self.recurrent_products = 0
        self._cache = None

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"

    def __call__(self, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
        return self.forward(x, h0)

    # ------------------------------------------------------------------------- helpers
    def spectral_radius(self) -> float:
        """Spectral radius of ``W_hh``: above 1 gradients in time can explode, below 1 vanish."""
        return spectral_radius(self.W_hh.data)

    def set_spectral_radius(self, rho: float) -> RNN:
        """Rescale ``W_hh`` in place so that its spectral radius is ``rho``; returns self."""
        if isinstance(rho, bool) or not isinstance(rho, (int, float, np.number)) or not np.isfinite(rho) \
                or rho <= 0:
            raise ValueError(f"{self!r}.set_spectral_radius: rho must be a finite number > 0 (the "
                             f"largest |eigenvalue| W_hh should have, e.g. 0.9 or 1.5), got {rho!r}.")
        current = self.spectral_radius()
        if current == 0:
            raise ValueError(
                f"{self!r}: W_hh is all zeros, so it cannot be rescaled to a spectral radius.")
        self.W_hh.data *= rho / current
        return self

    # ------------------------------------------------------------------------- forward
    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
        """x: (N, T, D), h0: (N, H) or None (zeros) -> every hidden state hs: (N, T, H)."""
        where = repr(self)
        D, H, dtype = self.input_size, self.hidden_size, self.W_hh.data.dtype
        x = as_float_array(x, "x", where, dtype=dtype)
        check_ndim(x, 3, "x", where, f"(N, T, {D}) = (batch, time steps, features)")
        if x.shape[2] != D:
            raise ValueError(
                f"{where}: expected x with {D} features per time step (shape (N, T, {D})), "
                f"got shape {x.shape} with {x.shape[2]} features.")
        check_nonempty(x, "x", where)
        check_finite(x, "x", where)
        N, T, _ = x.shape
        h0 = self._initial_state(h0, N, where, dtype)

        W_hh_T = np.ascontiguousarray(self.W_hh.data.T)  # BLAS multiplies a contiguous copy faster
        # the input's part x_t W_xh^T + b_h does not depend on the recurrence: all steps at once,
        # time-major (T, N, H) like hs, so that each step reads and writes one contiguous block
        x_part = x.transpose(1, 0, 2) @ self.W_xh.data.T + self.b_h.data
        hs = np.empty((T, N, H), dtype=dtype)
        h = h0
        for t in range(T):
            h = _activate(x_part[t] + h @ W_hh_T, self.nonlinearity, out=hs[t])  # h_t, kept in hs[t]
        self._cache = (x, h0, hs)
        return hs.transpose(1, 0, 2)

    def _initial_state(self, h0, N: int, where: str, dtype) -> np.ndarray:
        if h0 is None:
            return np.zeros((N, self.hidden_size), dtype=dtype)
        h0 = as_float_array(h0, "h0", where, dtype=dtype)
        if h0.shape != (N, self.hidden_size):
            raise ValueError(
                f"{where}: h0 must have shape (N, H) = ({N}, {self.hidden_size}), one initial "
                f"state per sequence in the batch, got shape {h0.shape}.")
        check_finite(h0, "h0", where)
        return h0

    # ------------------------------------------------------------------------ backward
    def backward(self, dhs: np.ndarray, truncate: int | None = None,
                 record_norms: bool = False, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagation through time: dhs (N, T, H) -> dx (N, T, D); sets ``self.dh0`` (N, H).

        ``dhs[:, t]`` is dL/dh_t coming from whatever uses h_t directly (an output layer, a loss).
        Adds dW_xh, dW_hh, db_h into the parameters' ``.grad``. ``input_grad=False`` skips dx and
        returns None, for an input that is the data (as ``Linear.backward``).

        ``truncate=None`` (full BPTT) gives the exact gradient. ``truncate=k`` gives truncated
        BPTT: the gradient of ``L = sum_t L_t`` in which each term ``L_t`` (the part of the loss
        reached through ``dhs[:, t]``) flows back through steps t, t-1, ..., t-k+1 only, as if
        ``h_{t-k}`` were a constant for that term. So no parameter learns from a dependency longer
        than k steps; with ``k >= T`` the result is the full gradient.

        ``record_norms=True`` stores ``self.grad_norms`` (T,): ``||dL/dh_t||`` over the batch, for
        each t, as the backward pass computed it (truncated, if truncating).
        ``self.recurrent_products`` counts the (N, H) x (H, H) products of the recurrence: T for
        full BPTT, about T k for the per-loss truncated form (each term travels separately).
        """
        x, h0, hs = self._require_cache(self._cache)
        T, N, H = hs.shape
        dhs = as_float_array(self._check_dout(dhs, (N, T, H)), "dhs", repr(self), dtype=hs.dtype)
        if truncate is not None:
            truncate = check_positive_int(truncate, "truncate", f"{self!r}.backward")
        dhs = dhs.transpose(1, 0, 2)  # time-major, like hs
        norms = np.zeros(T) if record_norms else None

        if truncate is None:
            dzs, dh0 = self._bptt_full(dhs, hs, norms)
        else:
            dzs, dh0 = self._bptt_truncated(dhs, hs, truncate, norms)

        # the weights are shared by every step: their gradients are sums over t, done all at once
        # sum over t and n of dz x, as one product (H, T N) @ (T N, D) with the rows in time order
        self.W_xh.add_grad(dzs.reshape(-1, H).T @ x.transpose(1, 0, 2).reshape(-1, x.shape[2]))
        # dz_t pairs with the state W_hh multiplied, h_{t-1}: h0 for the first step, then hs[:-1]
        self.W_hh.add_grad(dzs[0].T @ h0 + dzs[1:].reshape(-1, H).T @ hs[:-1].reshape(-1, H))
        self.b_h.add_grad(dzs.sum(axis=(0, 1)))
        self.dh0 = dh0
        self.grad_norms = norms
        return (dzs @ self.W_xh.data).transpose(1, 0, 2) if input_grad else None

    def _bptt_full(self, dhs, hs, norms):
        """The exact recurrence dh_t = dhs_t + dz_{t+1} W_hh, dz_t = dh_t * f'(z_t); (T, N, H)."""
        W_hh = self.W_hh.data
        dzs = np.empty_like(hs)
        dh_from_later = np.zeros_like(hs[0])  # dz_{t+1} W_hh, zero after the last step
        for t in reversed(range(len(hs))):
            dh = dhs[t] + dh_from_later
            if norms is not None:
                norms[t] = np.linalg.norm(dh)
            dzs[t] = dh * _derivative_from_output(hs[t], self.nonlinearity)
            dh_from_later = dzs[t] @ W_hh
        self.recurrent_products = len(hs)
        return dzs, dh_from_later

    def _bptt_truncated(self, dhs, hs, k, norms):
        """Each term's gradient travels back k steps at most, then is dropped; (T, N, H) arrays.

        ``travelling[j]`` holds the gradient, arrived at h_t, of the loss term from step t + j;
        after k steps (j = k - 1) a term leaves the window.
        """
        W_hh = self.W_hh.data
        dzs = np.empty_like(hs)
        travelling = np.zeros((0, *hs[0].shape), dtype=hs.dtype)
        self.recurrent_products = 0
        for t in reversed(range(len(hs))):
            travelling = np.concatenate([dhs[None, t], travelling[: k - 1]])
            self.recurrent_products += len(travelling)
            if norms is not None:
                norms[t] = np.linalg.norm(travelling.sum(axis=0))
            dz_per_term = travelling * _derivative_from_output(hs[t], self.nonlinearity)
            dzs[t] = dz_per_term.sum(axis=0)
            travelling = dz_per_term @ W_hh
        return dzs, travelling.sum(axis=0)


def gradient_paths(rnn: RNN, x: np.ndarray, dhs: np.ndarray, h0: np.ndarray | None = None,
                   truncate: int | None = None) -> np.ndarray:
    """``||dL_s/dh_t||`` for every loss term s (rows) and step t (columns): (T, T).

    x: (N, T, D), dhs: (N, T, H). Term s is the part of the loss reached through ``dhs[:, s]``;
    row s is zero right of the diagonal (a loss cannot reach later steps), and with ``truncate=k``
    also left of ``s - k + 1``. One backward pass per term; the parameters' ``.grad`` are restored.
    """
    saved = [p.grad.copy() for p in rnn.parameters()]
    hs = rnn.forward(x, h0)
    dhs = np.asarray(dhs)
    if dhs.shape != hs.shape:
        raise ValueError(f"gradient_paths: dhs must have the shape of the hidden states "
                         f"{hs.shape}, got {dhs.shape}.")
    T = hs.shape[1]
    paths = np.zeros((T, T))
    for s in range(T):
        only_s = np.zeros_like(hs)
        only_s[:, s] = dhs[:, s]
        rnn.backward(only_s, truncate=truncate, record_norms=True)
        paths[s] = rnn.grad_norms
    for p, grad in zip(rnn.parameters(), saved, strict=True):
        p.grad[...] = grad
    return paths


# ------------------------------------------------------------- truncated BPTT in chunks
@dataclass
class ChunkedRun:
    """What one pass of ``chunked_bptt`` over a sequence did.

    losses: one loss per chunk; h: the state after the last step (N, H); peak_cache_bytes: the
    most the RNN held for backward at once; recurrent_products: the (N, H) x (H, H) products of
    all the chunks' backward passes; chunks: (start, stop) steps of each chunk.
    """

    losses: list[float] = field(default_factory=list)
    h: np.ndarray | None = None
    peak_cache_bytes: int = 0
    recurrent_products: int = 0
    chunks: list[tuple[int, int]] = field(default_factory=list)


def chunk_bounds(T: int, k: int) -> list[tuple[int, int]]:
    """Cut steps 0..T-1 into chunks of k: [(0, k), (k, 2k), ...]; the last may be shorter."""
    T = check_positive_int(T, "T", "chunk_bounds")
    k = check_positive_int(k, "k", "chunk_bounds")
    return [(start, min(start + k, T)) for start in range(0, T, k)]


Head = Callable[[np.ndarray, int, int], tuple[float, np.ndarray]]


def chunked_bptt(rnn: RNN, x: np.ndarray, k: int, head: Head, h0: np.ndarray | None = None,
                 after_chunk: Callable[[int], None] | None = None) -> ChunkedRun:
    """Truncated BPTT as training loops run it: x (N, T, D) in chunks of k steps.

    For each chunk (steps start..stop-1): run the RNN forward from the state the previous chunk
    ended in, ``loss, dhs = head(hs, start, stop)`` with hs and dhs (N, stop - start, H), then
    ``rnn.backward(dhs)``: full BPTT inside the chunk, and the gradient stops at the chunk's first
    step because its initial state is carried over as a constant (PyTorch's ``h.detach()``).
    ``after_chunk(i)`` runs after chunk i's backward (an optimizer step, say); without it the
    gradients of all chunks add up in the parameters' ``.grad``. With k >= T this is full BPTT.
    """
    where = "chunked_bptt"
    if not isinstance(rnn, RNN):
        raise TypeError(f"{where}: rnn must be a bp.RNN, got a {type(rnn).__name__}.")
    x = as_float_array(x, "x", where, dtype=rnn.W_hh.data.dtype)
    check_ndim(x, 3, "x", where, "(N, T, D) = (batch, time steps, features)")
    k = check_positive_int(k, "k", where)
    check_callable(head, "head", where, "last_step_head(readout, loss_fn, y, T)")
    run = ChunkedRun(h=h0, chunks=chunk_bounds(x.shape[1], k))
    for i, (start, stop) in enumerate(run.chunks):
        # a copy, so that the layer keeps this chunk of the input only, not a view of all of x
        hs = rnn(np.ascontiguousarray(x[:, start:stop]), run.h)
        run.peak_cache_bytes = max(run.peak_cache_bytes, cache_bytes(rnn))
        loss, dhs = head(hs, start, stop)
        rnn.backward(dhs, input_grad=False)  # x is data; rnn.dh0, for the previous chunk, is dropped: the cut
        run.recurrent_products += rnn.recurrent_products
        run.losses.append(float(loss))
        run.h = hs[:, -1].copy()
        if after_chunk is not None:
            after_chunk(i)
    return run


def last_step_head(readout: Module, loss_fn, y: np.ndarray, T: int) -> Head:
    """A ``head`` for ``chunked_bptt`` whose loss ``loss_fn(readout(h_T), y)`` is at the last step.

    Chunks that end before step T get loss 0 and no gradient; y: (N, outputs).
    """
    where = "last_step_head"
    T = check_positive_int(T, "T (the number of time steps)", where)
    check_instance(loss_fn, "loss_fn", where, "MSELoss()")
    check_instance(readout, "readout", where, "Linear(H, 1)")
    def head(hs: np.ndarray, start: int, stop: int) -> tuple[float, np.ndarray]:
        dhs = np.zeros_like(hs)
        if stop < T:
            return 0.0, dhs
        loss = loss_fn(readout(hs[:, -1]), y)
        dhs[:, -1] = readout.backward(loss_fn.backward())
        return float(loss), dhs
    return head
