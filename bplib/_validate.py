"""Input checks shared by the library, so every error reads as a sentence a student understands.

Each helper takes ``where`` (who is complaining, e.g. ``"Linear(3 -> 2)"``) and ``name``
(which argument), and raises ``TypeError``/``ValueError`` that says what was given and what
was expected, instead of letting a numpy broadcast error surface deep inside.
"""

from __future__ import annotations

import numpy as np


def as_float_array(x, name: str, where: str, dtype=None) -> np.ndarray:
    """Return ``x`` as a real floating-point array (ints and bools are converted)."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{where}: {name} must be an array of numbers, got the string {x!r}.")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{where}: {name} could not be turned into a numeric array ({exc}).") from exc
    if arr.dtype.kind in "biu":
        arr = arr.astype(dtype or np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(
            f"{where}: {name} must hold real numbers (float32 or float64), "
            f"got an array of dtype {arr.dtype}."
        )
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr


def check_ndim(x: np.ndarray, ndim: int, name: str, where: str, layout: str) -> None:
    """Raise if ``x`` does not have ``ndim`` dimensions; ``layout`` names them, e.g. ``"(N, D)"``."""
    if x.ndim != ndim:
        raise ValueError(
            f"{where}: {name} must be {ndim}-D with shape {layout}, got {x.ndim}-D shape {x.shape}."
            + (" Add a batch dimension, e.g. x[None, :]." if x.ndim == ndim - 1 else "")
        )


def check_nonempty(x: np.ndarray, name: str, where: str) -> None:
    """Raise on an empty batch."""
    if x.size == 0:
        raise ValueError(f"{where}: {name} is empty (shape {x.shape}); a batch needs at least one example.")


def all_finite(x) -> bool:
    """True when no entry of ``x`` (an array, or anything np.asarray takes) is NaN or infinite.

    For a float array the usual case is one fast BLAS pass with no temporary (a non-contiguous
    array is copied first): x·x is NaN or inf if any entry is. Only when it is not finite (which
    very large entries also cause) are the entries looked at one by one.
    """
    x = np.asarray(x)
    if x.dtype.kind in "biu":  # booleans and integers are always finite
        return True
    if x.dtype.kind in "fc":
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.vdot(x, x)):
                return True
    return bool(np.isfinite(x).all())  # other kinds: np.isfinite decides, or refuses them


def check_finite(x: np.ndarray, name: str, where: str) -> None:
    """Raise if ``x`` contains NaN or infinity, naming the first bad position."""
    if not all_finite(x):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise ValueError(
            f"{where}: {name} contains {x[bad]} at index {list(bad)}; inputs must be finite numbers. "
            "A NaN here usually comes from an earlier step that diverged (try a lower learning rate)."
        )


def feature_rows(x, num_features: int, where: str, dtype=None) -> np.ndarray:
    """``x`` as a non-empty float array of shape (N, num_features), or an error saying what was given."""
    x = as_float_array(x, "x", where, dtype=dtype)
    check_ndim(x, 2, "x", where, f"(N, {num_features})")
    if x.shape[1] != num_features:
        raise ValueError(
            f"{where}: expected x with {num_features} features per row (shape (N, {num_features})), "
            f"got shape {x.shape} with {x.shape[1]} features."
        )
    check_nonempty(x, "x", where)
    return x


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str], where: str) -> None:
    """Raise if two arrays that must match element by element have different shapes."""
    if a.shape != b.shape:
        raise ValueError(
            f"{where}: {names[0]} has shape {a.shape} but {names[1]} has shape {b.shape}; "
            "they must have the same shape."
        )


def check_positive_int(value, name: str, where: str) -> int:
    """Return ``value`` as an int, raising unless it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be a whole number >= 1, got {value!r}.")
    return int(value)


def check_reduction(reduction: str, where: str) -> str:
    """Return ``reduction`` if it is one of 'mean', 'sum', 'none'."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")
    return reduction


def class_labels(labels, num_classes: int, batch: int, where: str) -> np.ndarray:
    """Return integer class labels of shape (N,), each in ``[0, num_classes)``."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            hint = " They look like whole numbers: pass labels.astype(int)."
        else:
            hint = " Cross-entropy wants the index of the correct class, not one-hot rows or probabilities."
        raise TypeError(f"{where}: labels must be integer class indices, got dtype {labels.dtype}.{hint}")
    if labels.shape != (batch,):
        raise ValueError(
            f"{where}: labels must have shape ({batch},), one class index per row of logits, "
            f"got shape {labels.shape}."
        )
    out_of_range = (labels < 0) | (labels >= num_classes)
    if np.any(out_of_range):
        i = int(np.argmax(out_of_range))
        raise ValueError(
            f"{where}: label {int(labels[i])} at index {i} is out of range; with {num_classes} "
            f"classes, labels must be in 0..{num_classes - 1}."
        )
    return labels


def generator(rng, seed, where: str) -> np.random.Generator:
    """The ``numpy.random.Generator`` to use: ``rng`` itself, or a fresh one made from ``seed``
    (a whole number >= 0, or None for an unseeded one)."""
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{where}: rng must be a numpy.random.Generator "
                            f"(np.random.default_rng(seed)), got {type(rng).__name__}.")
        return rng
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{where}: seed must be a whole number >= 0 (or None), got {seed!r} of "
                            f"type {type(seed).__name__}; use an int, e.g. seed=1.")
        if seed < 0:
            raise ValueError(f"{where}: seed must be a whole number >= 0 (or None), got {seed}.")
    return np.random.default_rng(seed)


def check_bool(value, name: str, where: str) -> bool:
    """Return ``value`` as a bool, raising unless it is True or False (a string like 'no' is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {value!r}"
                        + (" (a non-empty string counts as True)." if isinstance(value, str) else "."))
    return bool(value)


def check_number(value, name: str, where: str, hint: str = "") -> float:
    """Return ``value`` as a finite float, raising on strings, bools, arrays, NaN and infinity."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()  # a 0-d array, e.g. np.array(0.5), is one number
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        shown = f"the string {value!r}" if isinstance(value, str) else f"{value!r} of type {type(value).__name__}"
        raise TypeError(f"{where}: {name} must be a number, got {shown}." + (f" {hint}" if hint else ""))
    if not np.isfinite(value):
        raise ValueError(f"{where}: {name} must be a finite number, got {value!r}." + (f" {hint}" if hint else ""))
    return float(value)


def check_instance(value, name: str, where: str, example: str) -> None:
    """Raise if ``value`` is a class where an instance is wanted (``MSELoss`` instead of ``MSELoss()``)."""
    if isinstance(value, type):
        raise TypeError(f"{where}: {name} is the class {value.__name__}, not an instance of it; "
                        f"call it first, e.g. {example}.")


def check_callable(value, name: str, where: str, example: str) -> None:
    """Raise unless ``value`` can be called."""
    if not callable(value):
        raise TypeError(f"{where}: {name} must be a function, got {type(value).__name__}; e.g. {example}.")
