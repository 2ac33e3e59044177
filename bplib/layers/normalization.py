"""Batch normalisation (Ioffe & Szegedy 2015): ``BatchNorm1d`` and its pure forward/backward pair.

In training mode each feature is normalised with the mean and (biased) variance of the current
batch, then scaled by ``gamma`` and shifted by ``beta``; the running mean and the *unbiased*
running variance are updated for use in eval mode, exactly as ``torch.nn.BatchNorm1d`` does.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import check_finite, check_number, check_positive_int, feature_rows
from bplib.layers.module import Module, Parameter


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5):
    """Normalise with batch statistics: ``out = gamma * (x - mean) / sqrt(var + eps) + beta``.

    x: (N, D), gamma: (D,), beta: (D,) -> out: (N, D), cache (x_hat, gamma, inv_std).
    ``var`` is the biased batch variance (divide by N), as in the forward pass of PyTorch.
    """
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


def batchnorm_backward(dout: np.ndarray, cache):
    """Gradients through the batch statistics (the mean and variance depend on every row).

    dout: (N, D) -> dx: (N, D), dgamma: (D,), dbeta: (D,), with
    ``dx = inv_std / N * (N * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))``,
    ``dx_hat = dout * gamma`` and sums over the batch.
    """
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    # The two sums are the paths through the batch mean and the batch variance.
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


class BatchNorm1d(Module):
    """Batch normalisation over the features of ``x: (N, num_features)``; same semantics as PyTorch.

    Training mode: batch statistics, running statistics updated with ``momentum``
    (``running = (1 - momentum) * running + momentum * batch``, batch variance unbiased).
    Eval mode: the running statistics, no update. ``gamma`` starts at 1, ``beta`` at 0.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 rng: np.random.Generator | None = None, seed: int | None = None, dtype=np.float64):
        # rng and seed are accepted so every layer has the same signature; nothing here is random.
        where = f"BatchNorm1d({num_features!r})"
        self.num_features = check_positive_int(num_features, "num_features", where)
        eps = check_number(eps, "eps", where)
        momentum = check_number(momentum, "momentum", where)
        if not eps > 0:
            raise ValueError(f"{where}: eps must be positive (it keeps the division safe), "
                             f"got {eps!r}.")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{where}: momentum must be between 0 and 1, got {momentum!r}.")
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.gamma = Parameter(np.ones(num_features, dtype=dtype), "gamma")
        self.beta = Parameter(np.zeros(num_features, dtype=dtype), "beta")
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self.num_batches_tracked = 0
        self._cache = None
        self._out_shape: tuple[int, ...] = ()

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}"

    def _check_input(self, x) -> np.ndarray:
        where = repr(self)
        x = feature_rows(x, self.num_features, where, dtype=self.gamma.data.dtype)
        check_finite(x, "x", where)
        if self.training and x.shape[0] < 2:
            raise ValueError(
                f"{where}: in training mode the batch needs at least 2 rows to compute a variance, "
                f"got shape {x.shape}. Use a larger batch, or call .eval() to use the running "
                "statistics."
            )
        return x

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, num_features) -> out: (N, num_features)."""
        x = self._check_input(x)
        if self.training:
            out, cache = batchnorm_forward(x, self.gamma.data, self.beta.data, self.eps)
            n = x.shape[0]
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * x.mean(axis=0)
            # The running variance is the unbiased estimate (divide by N - 1), as in PyTorch.
            self.running_var = (1 - m) * self.running_var + m * x.var(axis=0) * n / (n - 1)
            self.num_batches_tracked += 1
            self._cache = ("train", cache)
        else:
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            x_hat = (x - self.running_mean) * inv_std
            out = self.gamma.data * x_hat + self.beta.data
            self._cache = ("eval", (x_hat, self.gamma.data, inv_std))
        self._out_shape = out.shape
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, num_features) -> dx: (N, num_features); adds dgamma, dbeta into the grads."""
        mode, cache = self._require_cache(self._cache)
        dout = self._check_dout(dout, self._out_shape)
        if mode == "train":
            dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        else:
            # In eval mode the statistics are constants, so the layer is a per-feature affine map.
            x_hat, gamma, inv_std = cache
            dx = dout * gamma * inv_std
            dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
        self.gamma.grad += dgamma
        self.beta.grad += dbeta
        return dx
