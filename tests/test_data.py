"""bplib.data.classification: shapes, labels, determinism with a seed, the 1986 symmetry set."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp


def test_xor_has_the_four_corners_with_exclusive_or_labels():
    x, y = bp.data.xor()
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert x.dtype == np.float64 and y.dtype.kind == "i"


def test_noisy_xor_repeats_corners_and_is_reproducible():
    x1, y1 = bp.data.xor(n_per_corner=5, noise=0.1, seed=3)
    x2, _ = bp.data.xor(n_per_corner=5, noise=0.1, seed=3)
    x3, _ = bp.data.xor(n_per_corner=5, noise=0.1, seed=4)
    assert x1.shape == (20, 2) and y1.shape == (20,)
    np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(x1, x3)
    assert np.max(np.abs(x1 - np.round(x1))) < 0.5  # every point stays near its corner


@pytest.mark.parametrize("make", [
    lambda s: bp.data.spirals(50, n_classes=3, seed=s),
    lambda s: bp.data.moons(101, seed=s),
])
def test_noisy_sets_are_deterministic_given_a_seed(make):
    (xa, ya), (xb, yb), (xc, _) = make(0), make(0), make(1)
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(xa, xc)


def test_spirals_shapes_and_balanced_classes():
    x, y = bp.data.spirals(n_per_class=40, n_classes=3, seed=0)
    assert x.shape == (120, 2)
    np.testing.assert_array_equal(np.bincount(y), [40, 40, 40])
    assert np.all(np.abs(x) <= 1.0 + 1e-12)


def test_moons_splits_odd_counts_and_has_two_classes():
    x, y = bp.data.moons(7, noise=0.0)
    assert x.shape == (7, 2)
    np.testing.assert_array_equal(np.bincount(y), [4, 3])
    # without noise the top moon lies on the unit circle
    np.testing.assert_allclose(np.hypot(*x[y == 0].T), 1.0)


def test_rng_argument_is_used_instead_of_seed():
    a = bp.data.moons(10, rng=np.random.default_rng(5))[0]
    b = bp.data.moons(10, seed=5)[0]
    np.testing.assert_array_equal(a, b)


def test_symmetry_1986_holds_all_64_patterns_and_8_symmetric_ones():
    x, y = bp.data.symmetry_1986()
    assert x.shape == (64, 6) and y.shape == (64,)
    assert len({tuple(row) for row in x}) == 64
    assert y.sum() == 8  # 2**3 choices for one half, the other half is its mirror
    np.testing.assert_array_equal(x[5], [0, 0, 0, 1, 0, 1])  # pattern k is k in binary
    for row, label in zip(x, y, strict=True):
        assert label == int(list(row) == list(row[::-1]))


def test_is_mirror_symmetric_on_hand_examples():
    rows = np.array([[1, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0]])
    np.testing.assert_array_equal(bp.data.is_mirror_symmetric(rows), [True, False, True])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: bp.data.xor(n_per_corner=0), "n_per_corner must be a whole number >= 1"),
    (lambda: bp.data.xor(noise=-1.0), "noise must be a finite number >= 0"),
    (lambda: bp.data.spirals(n_classes=1), "n_classes must be at least 2"),
    (lambda: bp.data.moons(1), "at least 2"),
    (lambda: bp.data.symmetry_1986(n_bits=20), "between 2 and 16"),
    (lambda: bp.data.moons(10, noise=0.1, rng=3), "numpy.random.Generator"),
])
def test_bad_arguments_get_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
