"""Small sequence tasks for recurrent networks: delayed recall, the adding problem, sine waves.

Every function returns ``(x, y)`` with batch-first sequences ``x`` of shape (N, T, D), float64.
``delayed_recall`` and ``adding_problem`` ask for one answer per sequence, read at the last step,
so ``y`` has shape (N, 1); ``sine_waves`` asks for a prediction at every step, ``y`` (N, T, 1).
The long-range tasks are the classic tests of whether a gradient survives many steps back in time
(Hochreiter & Schmidhuber 1997). Randomness comes from ``seed``/``rng`` only.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import check_number, check_positive_int, generator

__all__ = ["delayed_recall", "adding_problem", "sine_waves"]


def _check_nonnegative(value: float, name: str, where: str) -> float:
    value = check_number(value, name, where)
    if value < 0:
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}.")
    return float(value)


def delayed_recall(n: int = 64, length: int = 10, noise: float = 0.0, seed: int | None = None,
                   rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Remember the first input until the end: x (n, length, 1), y (n, 1).

    The first step holds a random sign, +1 or -1; the other ``length - 1`` steps hold zeros (plus
    Gaussian noise of std ``noise``, if given). The target is that first sign, so a network reading
    its answer at the last step must carry one number through ``length - 1`` steps.
    """
    n = check_positive_int(n, "n", "delayed_recall")
    length = check_positive_int(length, "length", "delayed_recall")
    noise = _check_nonnegative(noise, "noise", "delayed_recall")
    gen = generator(rng, seed, "delayed_recall")
    signs = gen.choice([-1.0, 1.0], size=n)
    x = np.zeros((n, length, 1))
    if noise > 0:
        x[:, 1:, 0] = noise * gen.standard_normal((n, length - 1))
    x[:, 0, 0] = signs
    return x, signs[:, None]


def adding_problem(n: int = 64, length: int = 20, seed: int | None = None,
                   rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Add the two marked numbers: x (n, length, 2), y (n, 1).

    Channel 0 holds numbers drawn uniformly from [0, 1]; channel 1 is a marker, 1 at exactly two
    steps (one in the first half, one in the second) and 0 elsewhere. The target is the sum of
    the two marked numbers. Always guessing 1 gives a mean squared error of about 1/6.
    """
    n = check_positive_int(n, "n", "adding_problem")
    length = check_positive_int(length, "length", "adding_problem")
    if length < 2:
        raise ValueError(
            f"adding_problem: length must be at least 2 (two marked steps), got {length}.")
    gen = generator(rng, seed, "adding_problem")
    half = length // 2
    values = gen.uniform(0.0, 1.0, size=(n, length))
    first = gen.integers(0, half, size=n)
    second = gen.integers(half, length, size=n)
    rows = np.arange(n)
    markers = np.zeros((n, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second])[:, None]
    return x, y


def sine_waves(n: int = 32, length: int = 50, dt: float = 0.2, frequencies: tuple = (0.5, 1.5),
               noise: float = 0.0, seed: int | None = None, rng: np.random.Generator | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Predict the next value of a sine wave: x (n, length, 1), y (n, length, 1).

    Sequence i is ``sin(w_i t + phi_i)`` sampled at ``t = 0, dt, 2 dt, ...``, with angular frequency
    ``w_i`` uniform in ``frequencies`` and phase uniform in [0, 2 pi). ``y[:, t]`` is the value one
    step after ``x[:, t]``; ``noise`` (std) is added to the inputs only.
    """
    n = check_positive_int(n, "n", "sine_waves")
    length = check_positive_int(length, "length", "sine_waves")
    noise = _check_nonnegative(noise, "noise", "sine_waves")
    try:
        low, high = frequencies
    except (TypeError, ValueError):
        raise TypeError(f"sine_waves: frequencies must be a pair (low, high) of angular frequencies, "
                        f"e.g. (0.5, 1.5), got {frequencies!r}.") from None
    low = check_number(low, "frequencies[0]", "sine_waves")
    high = check_number(high, "frequencies[1]", "sine_waves")
    if not 0 <= low <= high:
        raise ValueError(f"sine_waves: frequencies must be (low, high) with 0 <= low <= high, "
                         f"got {frequencies!r}.")
    if not np.isfinite(check_number(dt, "dt", "sine_waves")) or dt <= 0:
        raise ValueError(f"sine_waves: dt must be a positive time step, got {dt!r}.")
    gen = generator(rng, seed, "sine_waves")
    omega = gen.uniform(low, high, size=(n, 1))
    phase = gen.uniform(0.0, 2 * np.pi, size=(n, 1))
    t = dt * np.arange(length + 1)
    wave = np.sin(omega * t + phase)
    x, y = wave[:, :-1, None].copy(), wave[:, 1:, None].copy()
    if noise > 0:
        x += noise * gen.standard_normal(x.shape)
    return x, y
