"""Weight initialisation schemes, with PyTorch's fan conventions.

A weight of shape ``(out, in)`` has ``fan_in = in`` and ``fan_out = out``.
Every function takes a ``numpy.random.Generator`` (``rng``) and never touches numpy's global
random state.

- Glorot & Bengio (2010): keep the variance of activations *and* gradients equal across layers,
  ``Var(W) = 2 / (fan_in + fan_out)``.
- He et al. (2015): ReLU zeroes half its inputs, so double the variance, ``Var(W) = 2 / fan_in``.
"""

from __future__ import annotations

import math

import numpy as np

from bplib._validate import check_number

_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
}


def calculate_gain(nonlinearity: str, negative_slope: float = 0.01) -> float:
    """The recommended scale for a nonlinearity (``torch.nn.init.calculate_gain``)."""
    if nonlinearity == "leaky_relu":
        negative_slope = check_number(negative_slope, "negative_slope", "calculate_gain")
        return math.sqrt(2.0 / (1.0 + negative_slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
                         f"choose one of {sorted([*_GAINS, 'leaky_relu'])}.")
    return _GAINS[nonlinearity]


def _shape(shape, where: str) -> tuple[int, ...]:
    """``shape`` as a tuple of whole numbers >= 0, or a sentence saying what was given."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{where}: shape must be a tuple of whole numbers such as (out, in), "
                        f"got {shape!r}.") from None
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"{where}: shape must hold whole numbers >= 0, such as (out, in), got {shape!r}.")
    return tuple(int(d) for d in dims)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *receptive_field)``."""
    shape = _shape(shape, "fans")
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {shape}.")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _float_dtype(dtype, where: str):
    """Random weights need a floating-point dtype: casting to int rounds almost all of them to 0."""
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"{where}: dtype must be a floating-point type (np.float64 or np.float32), "
                        f"got {np.dtype(dtype)}; random weights cast to integers are rounded to -1, 0 or 1.")
    return dtype


def _fan(fan: int, which: str, shape, where: str) -> int:
    if fan == 0:
        raise ValueError(f"{where}: shape {tuple(shape)} has {which} = 0, so the scale 1/sqrt({which}) "
                         "is undefined; every dimension of a weight must be at least 1.")
    return fan


def _rng(rng) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}.")
    return rng


def zeros(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """All zeros (``rng`` accepted for a uniform signature, unused)."""
    return np.zeros(_shape(shape, "zeros"), dtype=dtype)


def normal(shape, rng=None, mean: float = 0.0, std: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Samples from ``N(mean, std^2)``."""
    mean, std = check_number(mean, "mean", "normal"), check_number(std, "std", "normal")
    if std < 0:
        raise ValueError(f"normal: std must be a finite number >= 0, got {std!r}.")
    return _rng(rng).normal(mean, std, size=_shape(shape, "normal")).astype(_float_dtype(dtype, "normal"))


def uniform(shape, rng=None, low: float = -1.0, high: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Samples from ``U(low, high)``."""
    low, high = check_number(low, "low", "uniform"), check_number(high, "high", "uniform")
    if low > high:
        raise ValueError(f"uniform: need finite low <= high, got low={low!r}, high={high!r}.")
    return _rng(rng).uniform(low, high, size=_shape(shape, "uniform")).astype(_float_dtype(dtype, "uniform"))


def xavier_uniform(shape, rng=None, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    gain = check_number(gain, "gain", "xavier_uniform")
    a = gain * math.sqrt(6.0 / _fan(fan_in + fan_out, "fan_in + fan_out", shape, "xavier_uniform"))
    return uniform(shape, rng, -a, a, dtype)


def xavier_normal(shape, rng=None, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    gain = check_number(gain, "gain", "xavier_normal")
    fan = _fan(fan_in + fan_out, "fan_in + fan_out", shape, "xavier_normal")
    return normal(shape, rng, 0.0, gain * math.sqrt(2.0 / fan), dtype)


def _he_std(shape, mode: str, nonlinearity: str, negative_slope: float) -> float:
    fan_in, fan_out = fans(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}.")
    fan = _fan(fan_in if mode == "fan_in" else fan_out, mode, shape, "he_normal/he_uniform")
    return calculate_gain(nonlinearity, negative_slope) / math.sqrt(fan)


def he_uniform(shape, rng=None, mode: str = "fan_in", nonlinearity: str = "relu",
               negative_slope: float = 0.01, dtype=np.float64) -> np.ndarray:
    """He (Kaiming) uniform: ``U(-a, a)`` with ``a = gain * sqrt(3 / fan)``, gain sqrt(2) for ReLU."""
    a = math.sqrt(3.0) * _he_std(shape, mode, nonlinearity, negative_slope)
    return uniform(shape, rng, -a, a, dtype)


def he_normal(shape, rng=None, mode: str = "fan_in", nonlinearity: str = "relu",
              negative_slope: float = 0.01, dtype=np.float64) -> np.ndarray:
    """He (Kaiming) normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)``, gain sqrt(2) for ReLU."""
    return normal(shape, rng, 0.0, _he_std(shape, mode, nonlinearity, negative_slope), dtype)


def lecun_uniform(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """PyTorch's default for ``nn.Linear``: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (LeCun et al. 1998)."""
    bound = 1.0 / math.sqrt(_fan(fans(shape)[0], "fan_in", shape, "lecun_uniform"))
    return uniform(shape, rng, -bound, bound, dtype)


SCHEMES = {
    "zeros": zeros,
    "normal": normal,
    "xavier": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he": he_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun": lecun_uniform,
    "lecun_uniform": lecun_uniform,
}


def get_scheme(init):
    """Resolve ``init`` (a name from ``SCHEMES`` or a callable ``f(shape, rng, dtype=)``)."""
    if callable(init):
        return init
    if init not in SCHEMES:
        raise ValueError(f"unknown init {init!r}; choose one of {sorted(SCHEMES)} or pass a function "
                         "f(shape, rng, dtype=...).")
    return SCHEMES[init]
