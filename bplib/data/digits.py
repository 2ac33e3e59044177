"""Real data for the capstone: scikit-learn's handwritten digits, split into training and test sets.

``sklearn.datasets.load_digits`` ships 1,797 images of 8×8 pixels (grey levels 0-16) of the
digits 0-9 inside the scikit-learn wheel (the UCI "Optical Recognition of Handwritten Digits"
test set), so nothing is downloaded when a chapter runs. scikit-learn is an optional extra of
bplib (``pip install scikit-learn`` or ``pip install -e .[digits]``); only this module needs it.
The split is made here, with numpy, so it depends on ``seed`` alone.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

import numpy as np

__all__ = ["digits", "DIGIT_SIDE", "DIGIT_CLASSES"]

DIGIT_SIDE = 8  # each image is DIGIT_SIDE × DIGIT_SIDE pixels, flattened row by row into 64 features
DIGIT_CLASSES = 10
_MAX_GREY = 16.0  # the data set's grey levels run from 0 to 16


@lru_cache(maxsize=1)
def _load() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 images (pixels in [0, 1], shape (1797, 64)) and their labels (1797,), read once."""
    try:
        datasets = importlib.import_module("sklearn.datasets")
    except ImportError as err:
        raise ImportError(
            "bp.data.digits needs scikit-learn, which ships the handwritten digits inside its "
            "package: install it with `pip install scikit-learn` (or `pip install -e .[digits]` "
            "in the course folder), then restart the kernel."
        ) from err
    bunch = datasets.load_digits()
    x = np.asarray(bunch.data, dtype=np.float64) / _MAX_GREY
    y = np.asarray(bunch.target, dtype=np.int64)
    x.setflags(write=False)  # shared by every call: callers get copies
    y.setflags(write=False)
    return x, y


def _check_fraction(test_fraction) -> float:
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float, np.floating)):
        raise TypeError(f"digits: test_fraction must be a number between 0 and 1 (e.g. 0.2), "
                        f"got {type(test_fraction).__name__}.")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"digits: test_fraction must lie strictly between 0 and 1 (the share of each "
                         f"class kept for testing), got {test_fraction!r}.")
    return float(test_fraction)


def digits(test_fraction: float = 0.2, seed: int = 0
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The handwritten digits, split: ``(x_train, y_train, x_test, y_test)``.

    x: (N, 64) float64 pixels in [0, 1] (row by row of the 8×8 image); y: (N,) int64 labels 0-9.
    The split is stratified: of each class, ``round(test_fraction * count)`` images, drawn at
    random with ``seed``, go to the test set, so both sets have the classes in the same
    proportions. Within each set the examples are shuffled (from the same seed).
    """
    fraction = _check_fraction(test_fraction)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"digits: seed must be a whole number, got {type(seed).__name__}.")
    if seed < 0:
        raise ValueError(f"digits: seed must be a whole number >= 0, got {seed}.")
    x, y = _load()
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in range(DIGIT_CLASSES):
        members = rng.permutation(np.flatnonzero(y == label))
        k = int(round(fraction * len(members)))
        test.append(members[:k])
        train.append(members[k:])
    train_idx, test_idx = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise ValueError(f"digits: test_fraction={test_fraction} leaves one of the two sets empty.")
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx]
