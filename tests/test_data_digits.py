"""bplib.data.digits: scikit-learn's handwritten digits, scaled and split with a seed."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

import bplib as bp

pytest.importorskip("sklearn")
digits_module = importlib.import_module("bplib.data.digits")  # bp.data.digits is the function


def test_digits_has_1797_images_of_64_pixels_in_zero_one_and_ten_labels():
    x_train, y_train, x_test, y_test = bp.data.digits()
    assert x_train.shape == (1438, 64) and x_test.shape == (359, 64)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    assert x_train.dtype == np.float64 and y_train.dtype.kind == "i"
    x = np.concatenate([x_train, x_test])
    assert x.min() == 0.0 and x.max() == 1.0
    # grey levels 0..16, divided by 16
    np.testing.assert_array_equal(x * 16, np.round(x * 16))
    assert set(np.unique(np.concatenate([y_train, y_test]))) == set(range(10))


def test_the_split_is_stratified_and_its_sizes_follow_test_fraction():
    from sklearn.datasets import load_digits

    counts = np.bincount(load_digits().target)
    for fraction in (0.2, 0.5):
        _, y_train, _, y_test = bp.data.digits(test_fraction=fraction)
        np.testing.assert_array_equal(np.bincount(y_test), np.round(fraction * counts).astype(int))
        np.testing.assert_array_equal(np.bincount(y_train) + np.bincount(y_test), counts)


def test_train_and_test_are_disjoint_and_together_hold_every_image():
    from sklearn.datasets import load_digits

    x_train, _, x_test, _ = bp.data.digits(seed=3)
    rows = {r.tobytes() for r in np.concatenate([x_train, x_test])}
    original = {r.tobytes() for r in load_digits().data / 16.0}
    assert rows == original  # (the data set holds a few duplicate images, so compare as sets)
    assert len(x_train) + len(x_test) == 1797


def test_the_same_seed_gives_the_same_split_and_another_seed_another():
    a, b, c = bp.data.digits(seed=0), bp.data.digits(seed=0), bp.data.digits(seed=1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


def test_callers_get_copies_they_may_change():
    x_train, *_ = bp.data.digits()
    x_train[:] = -1.0
    assert bp.data.digits()[0].min() == 0.0


@pytest.mark.parametrize("fraction, error", [(0.0, ValueError), (1.0, ValueError), (-0.1, ValueError),
                                             ("0.2", TypeError), (True, TypeError)])
def test_a_bad_test_fraction_is_refused_with_a_sentence(fraction, error):
    with pytest.raises(error, match="test_fraction"):
        bp.data.digits(test_fraction=fraction)


def test_a_missing_scikit_learn_names_the_pip_command(monkeypatch):
    digits_module._load.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    try:
        with pytest.raises(ImportError, match="pip install scikit-learn"):
            bp.data.digits()
    finally:
        digits_module._load.cache_clear()
