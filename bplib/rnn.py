"""A vanilla recurrent network and backpropagation through time (BPTT), full or truncated.

One step reads an input ``x_t`` and the previous hidden state ``h_{t-1}``:

    a_t = x_t W_xh^T + h_{t-1} W_hh^T + b_h        h_t = f(a_t),   f = tanh or relu

The same ``W_xh``, ``W_hh``, ``b_h`` are used at every step, so unrolled over ``T`` steps the
network is a ``T``-layer feed-forward network with shared weights, and each weight's gradient is
the *sum* of its gradients at every step (Rumelhart, Hinton & Williams 1986). Going backwards:

    dh_t = dL/dh_t (from the output at t) + da_{t+1} W_hh       da_t = dh_t * f'(a_t)
    dW_xh = sum_t da_t^T x_t     dW_hh = sum_t da_t^T h_{t-1}     db_h = sum_t da_t
    dx_t = da_t W_xh             dh_0 = da_1 W_hh

The input projection and the three weight-gradient sums do not depend on the recurrence, so they
are computed for all time steps at once; only the recurrence itself loops over time.
"""

from __future__ import annotations

import numpy as np

from bplib import init as initialisers
from bplib._validate import (
    as_float_array,
    check_finite,
    check_ndim,
    check_nonempty,
    check_positive_int,
)
from bplib.layers.module import Module, Parameter

NONLINEARITIES = ("tanh", "relu")


def spectral_radius(W: np.ndarray) -> float:
    """Largest absolute eigenvalue of a square matrix ``W (H, H)``."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectral_radius: W must be a square matrix (H, H), got shape {W.shape}.")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def _activate(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)


def _derivative_from_output(h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """``f'(a)`` from the output ``h = f(a)``: ``1 - h^2`` for tanh, ``[h > 0]`` for relu."""
    if nonlinearity == "tanh":
        return 1 - h * h
    return (h > 0).astype(h.dtype)


# ------------------------------------------------------------------ one step, CS231n style
def rnn_step_forward(x: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray,
                     b_h: np.ndarray, nonlinearity: str = "tanh"):
    """One time step ``h = f(x W_xh^T + h_prev W_hh^T + b_h)``.

    x: (N, D), h_prev: (N, H), W_xh: (H, D), W_hh: (H, H), b_h: (H,) -> h: (N, H), cache.
    """
    h = _activate(x @ W_xh.T + h_prev @ W_hh.T + b_h, nonlinearity)
    return h, (x, h_prev, W_xh, W_hh, h, nonlinearity)


def rnn_step_backward(dh: np.ndarray, cache):
    """Backward through one step: dh (N, H) -> dx (N, D), dh_prev (N, H), dW_xh, dW_hh, db_h."""
    x, h_prev, W_xh, W_hh, h, nonlinearity = cache
    da = dh * _derivative_from_output(h, nonlinearity)
    return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)


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
        if rng is None:
            rng = np.random.default_rng(seed)
        H, D, bound = hidden_size, input_size, 1.0 / np.sqrt(hidden_size)
        self.W_xh = Parameter(initialisers.uniform((H, D), rng, -bound, bound, dtype), "W_xh")
        self.W_hh = Parameter(initialisers.uniform((H, H), rng, -bound, bound, dtype), "W_hh")
        self.b_h = Parameter(initialisers.uniform((H,), rng, -bound, bound, dtype), "b_h")
        self.dh0: np.ndarray | None = None
        self.grad_norms: np.ndarray | None = None
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
        # the input's part x_t W_xh^T + b_h does not depend on the recurrence: all steps at once
        x_part = x @ self.W_xh.data.T + self.b_h.data
        # stored time-major, (T, N, H), so that each step's states are one contiguous block
        hs = np.empty((T, N, H), dtype=dtype)
        h = h0
        for t in range(T):
            h = hs[t] = _activate(x_part[:, t] + h @ W_hh_T, self.nonlinearity)
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
                 record_norms: bool = False) -> np.ndarray:
        """Backpropagation through time: dhs (N, T, H) -> dx (N, T, D); sets ``self.dh0`` (N, H).

        ``dhs[:, t]`` is dL/dh_t coming from whatever uses h_t directly (an output layer, a loss).
        Adds dW_xh, dW_hh, db_h into the parameters' ``.grad``.

        ``truncate=None`` (full BPTT) gives the exact gradient. ``truncate=k`` gives truncated
        BPTT: the gradient of ``L = sum_t L_t`` in which each term ``L_t`` (the part of the loss
        reached through ``dhs[:, t]``) flows back through steps t, t-1, ..., t-k+1 only, as if
        ``h_{t-k}`` were a constant for that term. So no parameter learns from a dependency longer
        than k steps; with ``k >= T`` the result is the full gradient.

        ``record_norms=True`` stores ``self.grad_norms`` (T,): ``||dL/dh_t||`` over the batch, for
        each t, as the backward pass computed it (truncated, if truncating).
        """
        x, h0, hs = self._require_cache(self._cache)
        T, N, H = hs.shape
        dhs = as_float_array(self._check_dout(dhs, (N, T, H)), "dhs", repr(self), dtype=hs.dtype)
        if truncate is not None:
            truncate = check_positive_int(truncate, "truncate", f"{self!r}.backward")
        dhs = dhs.transpose(1, 0, 2)  # time-major, like hs
        norms = np.zeros(T) if record_norms else None

        if truncate is None:
            das, dh0 = self._bptt_full(dhs, hs, norms)
        else:
            das, dh0 = self._bptt_truncated(dhs, hs, truncate, norms)

        # the weights are shared by every step: their gradients are sums over t, done all at once
        self.W_xh.grad += np.tensordot(das, x, axes=([0, 1], [1, 0]))  # sum over t and n of da x
        # da_t pairs with the state W_hh multiplied, h_{t-1}: h0 for the first step, then hs[:-1]
        self.W_hh.grad += das[0].T @ h0 + das[1:].reshape(-1, H).T @ hs[:-1].reshape(-1, H)
        self.b_h.grad += das.sum(axis=(0, 1))
        self.dh0 = dh0
        self.grad_norms = norms
        return (das @ self.W_xh.data).transpose(1, 0, 2)

    def _bptt_full(self, dhs, hs, norms):
        """The exact recurrence dh_t = dhs_t + da_{t+1} W_hh, da_t = dh_t * f'(a_t); (T, N, H)."""
        W_hh = self.W_hh.data
        das = np.empty_like(hs)
        dh_from_later = np.zeros_like(hs[0])  # da_{t+1} W_hh, zero after the last step
        for t in reversed(range(len(hs))):
            dh = dhs[t] + dh_from_later
            if norms is not None:
                norms[t] = np.linalg.norm(dh)
            das[t] = dh * _derivative_from_output(hs[t], self.nonlinearity)
            dh_from_later = das[t] @ W_hh
        return das, dh_from_later

    def _bptt_truncated(self, dhs, hs, k, norms):
        """Each term's gradient travels back k steps at most, then is dropped; (T, N, H) arrays.

        ``travelling[j]`` holds the gradient, arrived at h_t, of the loss term from step t + j;
        after k steps (j = k - 1) a term leaves the window.
        """
        W_hh = self.W_hh.data
        das = np.empty_like(hs)
        travelling = np.zeros((0, *hs[0].shape), dtype=hs.dtype)
        for t in reversed(range(len(hs))):
            travelling = np.concatenate([dhs[None, t], travelling[: k - 1]])
            if norms is not None:
                norms[t] = np.linalg.norm(travelling.sum(axis=0))
            da_per_term = travelling * _derivative_from_output(hs[t], self.nonlinearity)
            das[t] = da_per_term.sum(axis=0)
            travelling = da_per_term @ W_hh
        return das, travelling.sum(axis=0)


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
