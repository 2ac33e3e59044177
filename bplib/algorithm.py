"""Backpropagation exactly as the textbook writes it: column vectors and the four steps.

Here an example is a column ``a[0] = x`` of shape ``(n_0, 1)`` (or several examples side by side,
``(n_0, N)``), and layer ``l`` has ``W[l]`` of shape ``(n_l, n_{l-1})`` and ``b[l]`` of shape
``(n_l, 1)``. Lists are indexed by layer, so ``z[1]`` is the first layer; index 0 of ``z``,
``delta``, ``dW`` and ``db`` is ``None`` because the input layer has no weights.

1. forward pass   ``z[l] = W[l] a[l-1] + b[l]``,  ``a[l] = f(z[l])``  (store both)
2. output delta   ``δ[K] = ∂L/∂a[K] ⊙ f'(z[K])``
3. backward pass  ``δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ f'(z[l])``  for l = K-1 … 1
4. gradients      ``∂L/∂W[l] = δ[l] a[l-1]ᵀ``,  ``∂L/∂b[l] = δ[l]`` (summed over examples)

``bplib.layers`` computes the same numbers with batch-first rows (``x @ W.T``); the chapter
"The algorithm" shows that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bplib.functional import sigmoid


def _sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


ACTIVATIONS = {
    # name: (f, f')
    "sigmoid": (sigmoid, _sigmoid_prime),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "identity": (lambda z: z, np.ones_like),
}

LOSSES = {
    # name: (L(a, y), ∂L/∂a)
    "sse": (lambda a, y: 0.5 * float(np.sum((a - y) ** 2)), lambda a, y: a - y),
    "mse": (lambda a, y: float(np.mean((a - y) ** 2)), lambda a, y: 2 * (a - y) / a.size),
}


@dataclass
class BackpropTrace:
    """Every intermediate of one forward and backward pass, indexed by layer (see module doc)."""

    z: list
    a: list
    delta: list
    dW: list
    db: list
    loss: float

    @property
    def num_layers(self) -> int:
        return len(self.a) - 1


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]


def _layer_activations(num_layers: int, activation: str, output_activation: str | None) -> list[str]:
    names = [activation] * num_layers
    names[-1] = output_activation or activation
    return names


def _check_layers(where: str, **lists) -> None:
    """Lists that go layer by layer (weights, biases, activations) must be lists of the same length."""
    for name, value in lists.items():
        if isinstance(value, (np.ndarray, str)):
            raise TypeError(f"{where}: {name} must be a list with one entry per layer, got a single "
                            f"{type(value).__name__}; for one layer put it in a list, e.g. [W].")
    lengths = {name: len(value) for name, value in lists.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{len(v)} {name}" for name, v in lists.items())
        raise ValueError(f"{where}: got {shown}; there must be one of each per layer.")


def forward_pass(weights, biases, x, activations: list[str]):
    """Step 1. Returns ``(z, a)``: ``z[l]`` and ``a[l]`` for l = 0..K (``z[0]`` is None, ``a[0] = x``)."""
    _check_layers("forward_pass", weights=weights, biases=biases, activations=activations)
    z, a = [None], [x]
    for W, b, name in zip(weights, biases, activations):
        f, _ = _activation(name)
        z.append(W @ a[-1] + b)
        a.append(f(z[-1]))
    return z, a


def output_delta(a_K, z_K, y, activation: str, loss: str = "sse"):
    """Step 2. ``δ[K] = ∂L/∂a[K] ⊙ f'(z[K])``; same shape as ``a_K``."""
    _, dloss = LOSSES[loss]
    _, f_prime = _activation(activation)
    return dloss(a_K, y) * f_prime(z_K)


def backward_pass(weights, z, delta_K, activations: list[str]):
    """Step 3. ``δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ f'(z[l])`` from l = K-1 down to 1; returns ``delta[0..K]``."""
    _check_layers("backward_pass", weights=weights, activations=activations)
    if len(z) != len(weights) + 1:
        raise ValueError(f"backward_pass: z must hold K + 1 = {len(weights) + 1} entries (z[0] = None, then one "
                         f"per layer, as forward_pass returns), got {len(z)}.")
    K = len(weights)
    delta = [None] * (K + 1)
    delta[K] = delta_K
    for l in range(K - 1, 0, -1):
        _, f_prime = _activation(activations[l - 1])
        delta[l] = (weights[l].T @ delta[l + 1]) * f_prime(z[l])
    return delta


def weight_gradients(delta, a):
    """Step 4. ``∂L/∂W[l] = δ[l] a[l-1]ᵀ`` and ``∂L/∂b[l] = δ[l]`` summed over the example columns."""
    if len(delta) != len(a):
        raise ValueError(f"weight_gradients: delta has {len(delta)} entries and a has {len(a)}; both must "
                         "hold K + 1 (index 0 for the input), as backward_pass and forward_pass return them.")
    dW, db = [None], [None]
    for l in range(1, len(delta)):
        dW.append(delta[l] @ a[l - 1].T)
        db.append(delta[l].sum(axis=1, keepdims=True))
    return dW, db


def backprop(weights, biases, x, y, activation: str = "sigmoid", output_activation: str | None = None,
             loss: str = "sse") -> BackpropTrace:
    """Run the four steps and return every intermediate.

    weights[l-1]: (n_l, n_{l-1}); biases[l-1]: (n_l, 1) or (n_l,); x: (n_0, N); y: (n_K, N).
    ``loss`` is 'sse' (``½ Σ (a - y)²``, the 1986 paper's E) or 'mse' (mean over all elements).
    """
    _check_layers("backprop", weights=weights)  # a single array, not a list, is refused here
    _check_layers("backprop", biases=biases)
    if len(weights) != len(biases) or not weights:
        raise ValueError(f"backprop: need one bias per weight matrix, got {len(weights)} weights "
                         f"and {len(biases)} biases.")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}.")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    y = y[:, None] if y.ndim == 1 else y
    weights = [np.asarray(W, dtype=float) for W in weights]
    biases = [np.asarray(b, dtype=float).reshape(-1, 1) for b in biases]
    for l, W in enumerate(weights, start=1):
        expected = x.shape[0] if l == 1 else weights[l - 2].shape[0]
        if W.ndim != 2 or W.shape[1] != expected or biases[l - 1].shape[0] != W.shape[0]:
            raise ValueError(f"backprop: W[{l}] has shape {W.shape} and b[{l}] has {biases[l - 1].shape[0]} "
                             f"entries; layer {l} receives {expected} values, so W[{l}] must be (n_{l}, {expected}) "
                             f"and b[{l}] must have n_{l} entries.")
    if y.shape != (weights[-1].shape[0], x.shape[1]):
        raise ValueError(f"backprop: y has shape {y.shape}; expected {(weights[-1].shape[0], x.shape[1])} "
                         "(one column per example, one row per output unit).")
    names = _layer_activations(len(weights), activation, output_activation)
    z, a = forward_pass(weights, biases, x, names)
    delta_K = output_delta(a[-1], z[-1], y, names[-1], loss)
    delta = backward_pass(weights, z, delta_K, names)
    dW, db = weight_gradients(delta, a)
    return BackpropTrace(z=z, a=a, delta=delta, dW=dW, db=db, loss=LOSSES[loss][0](a[-1], y))


def weights_of(mlp) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The ``(weights, biases)`` of a ``bplib.MLP`` in column form (``b`` as ``(n_l, 1)`` columns)."""
    if not callable(getattr(mlp, "linear_layers", None)):
        raise TypeError(f"weights_of: expected a bplib.MLP (or a Sequential of Linear layers), got "
                        f"{type(mlp).__name__}.")
    linears = mlp.linear_layers()
    return [lin.W.data for lin in linears], [lin.b.data.reshape(-1, 1) for lin in linears]


def linear_weight_jacobian(x, n_out: int) -> np.ndarray:
    """The whole Jacobian of ``z = x @ W.T + b`` with respect to ``W``, flattened row by row.

    x: (N, n_in); returns J of shape (N·n_out, n_out·n_in) with
    ``J[n·n_out + k, k'·n_in + i] = x[n, i]`` if ``k == k'`` and 0 otherwise. Built only to be
    measured: backpropagation gets ``dW = dout.T @ x`` without it.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"linear_weight_jacobian: x must be a batch of shape (N, n_in) with N >= 1, "
                         f"got shape {x.shape}.")
    if isinstance(n_out, bool) or not isinstance(n_out, (int, np.integer)) or n_out < 1:
        raise ValueError(f"linear_weight_jacobian: n_out must be a positive whole number, got {n_out!r}.")
    N, n_in = x.shape
    blocks = np.einsum("ni,kc->nkci", x, np.eye(n_out))  # z[n, k] depends on row k of W only
    return blocks.reshape(N * n_out, n_out * n_in)


def num_parameters(weights, biases) -> int:
    """Number of weights and biases together, P = Σ_l (n_l·n_{l-1} + n_l)."""
    _check_layers("num_parameters", weights=weights, biases=biases)
    return int(sum(np.size(W) + np.size(b) for W, b in zip(weights, biases)))
