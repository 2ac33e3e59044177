"""Small classification problems made in code: XOR, spirals, moons and the 1986 symmetry task.

Every function returns ``(x, y)``: inputs ``x`` of shape (N, D) as float64 and integer class
labels ``y`` of shape (N,). For a network with one sigmoid output and a squared-error or BCE loss,
use ``y[:, None].astype(float)`` as the target column. Noise comes from ``seed``/``rng`` only,
so the same call gives the same data.
"""

from __future__ import annotations

import itertools

import numpy as np

from bplib._validate import check_number, check_positive_int, generator

__all__ = ["xor", "spirals", "moons", "symmetry_1986", "is_mirror_symmetric"]


def _check_noise(noise: float, where: str) -> float:
    noise = check_number(noise, "noise", where)
    if noise < 0:
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r}.")
    return float(noise)


def xor(n_per_corner: int = 1, noise: float = 0.0, seed: int | None = None,
        rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exclusive or: corners (0,0),(0,1),(1,0),(1,1) with labels 0,1,1,0.

    x: (4 * n_per_corner, 2), y: (4 * n_per_corner,). With ``noise > 0`` each copy of a corner
    is jittered by Gaussian noise of that standard deviation.
    """
    n = check_positive_int(n_per_corner, "n_per_corner", "xor")
    noise = _check_noise(noise, "xor")
    gen = generator(rng, seed, "xor")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    x = np.tile(corners, (n, 1))
    y = np.tile(labels, n)
    if noise > 0:
        x = x + noise * gen.normal(size=x.shape)
    return x, y


def spirals(n_per_class: int = 100, n_classes: int = 2, noise: float = 0.2, turns: float = 1.0,
            seed: int | None = None, rng: np.random.Generator | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class, in the square [-1, 1]^2.

    x: (n_classes * n_per_class, 2), y: (n_classes * n_per_class,) with classes 0..n_classes-1.
    ``noise`` is the standard deviation of the angular jitter (radians); ``turns`` how far each
    arm winds.
    """
    n = check_positive_int(n_per_class, "n_per_class", "spirals")
    k = check_positive_int(n_classes, "n_classes", "spirals")
    if k < 2:
        raise ValueError(f"spirals: n_classes must be at least 2, got {k}.")
    noise = _check_noise(noise, "spirals")
    turns = check_number(turns, "turns", "spirals")
    gen = generator(rng, seed, "spirals")
    x = np.empty((n * k, 2))
    y = np.repeat(np.arange(k), n)
    radius = np.linspace(0.05, 1.0, n)
    for c in range(k):
        angle = (2 * np.pi * turns * radius + 2 * np.pi * c / k
                 + noise * gen.normal(size=n))
        x[c * n:(c + 1) * n] = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return x, y


def moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = None,
          rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below and shifted).

    x: (n_samples, 2), y: (n_samples,); class 0 gets the extra point when n_samples is odd.
    ``noise`` is the standard deviation of Gaussian noise added to every coordinate.
    """
    n = check_positive_int(n_samples, "n_samples", "moons")
    if n < 2:
        raise ValueError(f"moons: n_samples must be at least 2 (one per moon), got {n}.")
    noise = _check_noise(noise, "moons")
    gen = generator(rng, seed, "moons")
    n_top = (n + 1) // 2
    n_bottom = n - n_top
    t_top = np.linspace(0, np.pi, n_top)
    t_bottom = np.linspace(0, np.pi, n_bottom)
    top = np.column_stack([np.cos(t_top), np.sin(t_top)])
    bottom = np.column_stack([1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)])
    x = np.vstack([top, bottom])
    y = np.concatenate([np.zeros(n_top, dtype=np.int64), np.ones(n_bottom, dtype=np.int64)])
    if noise > 0:
        x = x + noise * gen.normal(size=x.shape)
    return x, y


def is_mirror_symmetric(x: np.ndarray) -> np.ndarray:
    """Whether each row reads the same forwards and backwards: x (N, D) -> (N,) bool."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"is_mirror_symmetric: x must be 2-D (N, D), got shape {x.shape}.")
    return np.all(x == x[:, ::-1], axis=1)


def symmetry_1986(n_bits: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Every pattern of ``n_bits`` bits, labelled 1 if it is mirror-symmetric about its centre.

    The task of Rumelhart, Hinton & Williams (1986): with 6 bits, x is (64, 6) with 0/1 entries
    (pattern k is the binary expansion of k, most significant bit first) and y (64,) has 8 ones.
    No randomness: the set is complete.
    """
    n = check_positive_int(n_bits, "n_bits", "symmetry_1986")
    if n < 2 or n > 16:
        raise ValueError(f"symmetry_1986: n_bits must be between 2 and 16, got {n}.")
    x = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    y = is_mirror_symmetric(x).astype(np.int64)
    return x, y
