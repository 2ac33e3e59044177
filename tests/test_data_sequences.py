"""bplib.data.sequences: shapes, targets, determinism with a seed, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.data.sequences import adding_problem, delayed_recall, sine_waves


def test_sequence_tasks_are_exported_from_bplib_data():
    assert bp.data.delayed_recall is delayed_recall
    assert bp.data.adding_problem is adding_problem
    assert bp.data.sine_waves is sine_waves


def test_delayed_recall_target_is_the_first_input():
    x, y = delayed_recall(n=50, length=8, seed=0)
    assert x.shape == (50, 8, 1) and y.shape == (50, 1) and x.dtype == np.float64
    np.testing.assert_array_equal(y[:, 0], x[:, 0, 0])
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert np.all(x[:, 1:] == 0)


def test_delayed_recall_noise_leaves_the_first_step_and_target_alone():
    x, y = delayed_recall(n=20, length=5, noise=0.3, seed=1)
    np.testing.assert_array_equal(y[:, 0], x[:, 0, 0])
    assert np.all(x[:, 1:] != 0)
    assert 0.1 < np.std(x[:, 1:]) < 0.6


def test_adding_problem_target_is_the_sum_of_the_two_marked_values():
    x, y = adding_problem(n=40, length=12, seed=2)
    assert x.shape == (40, 12, 2) and y.shape == (40, 1)
    markers = x[:, :, 1]
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    assert np.all(markers[:, :6].sum(axis=1) == 1) and np.all(markers[:, 6:].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * markers).sum(axis=1))
    assert np.all((x[:, :, 0] >= 0) & (x[:, :, 0] <= 1))


def test_adding_problem_hand_checked_row():
    x, y = adding_problem(n=1, length=4, seed=5)
    marked = np.flatnonzero(x[0, :, 1])
    assert len(marked) == 2 and marked[0] < 2 <= marked[1]
    assert y[0, 0] == pytest.approx(x[0, marked[0], 0] + x[0, marked[1], 0])


def test_sine_waves_target_is_the_input_one_step_later():
    x, y = sine_waves(n=6, length=30, seed=3)
    assert x.shape == y.shape == (6, 30, 1)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    assert np.max(np.abs(x)) <= 1.0


def test_sine_waves_follow_sin_of_omega_t_plus_phase():
    x, y = sine_waves(n=1, length=3, dt=0.5, frequencies=(1.0, 1.0), seed=0)
    phase = np.arcsin(x[0, 0, 0])
    candidates = [phase, np.pi - phase]  # arcsin has two solutions in [0, 2 pi)
    assert any(np.allclose(x[0, :, 0], np.sin(0.5 * np.arange(3) + p)) for p in candidates)


def test_sine_waves_noise_goes_into_inputs_only():
    clean_x, clean_y = sine_waves(n=4, length=10, seed=9)
    noisy_x, noisy_y = sine_waves(n=4, length=10, noise=0.1, seed=9)
    np.testing.assert_array_equal(clean_y, noisy_y)
    assert not np.array_equal(clean_x, noisy_x)


@pytest.mark.parametrize("make", [
    lambda **kw: delayed_recall(n=8, length=6, noise=0.1, **kw),
    lambda **kw: adding_problem(n=8, length=6, **kw),
    lambda **kw: sine_waves(n=8, length=6, noise=0.1, **kw),
])
def test_same_seed_same_data_other_seed_other_data(make):
    x1, y1 = make(seed=4)
    x2, y2 = make(rng=np.random.default_rng(4))
    x3, _ = make(seed=5)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("call, message", [
    (lambda: delayed_recall(n=0), "n must be a whole number >= 1"),
    (lambda: delayed_recall(length=2.5), "length must be a whole number >= 1"),
    (lambda: delayed_recall(noise=-1.0), "noise must be a finite number >= 0"),
    (lambda: adding_problem(length=1), "length must be at least 2"),
    (lambda: sine_waves(frequencies=(2.0, 1.0)), "low <= high"),
    (lambda: sine_waves(dt=0.0), "dt must be a positive time step"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        sine_waves(rng=42)
