"""bplib.init: Glorot & Bengio (2010) and He et al. (2015) schemes, PyTorch's fan conventions."""

import math

import numpy as np
import pytest

import bplib as bp
from bplib import init

# (out, in) = (400, 600): 240 000 samples, so the sample variance is within ~1% of the truth.
SHAPE = (400, 600)
FAN_IN, FAN_OUT = 600, 400


def sample_var(w):
    return float(np.mean(w**2))  # the mean is 0 by construction


def test_fans_follow_pytorch_convention():
    assert init.fans((3, 5)) == (5, 3)
    assert init.fans((8, 4, 3, 3)) == (4 * 9, 8 * 9)


@pytest.mark.parametrize("shape", [(3, 5), (1, 7), (8, 4, 3, 3), (2, 3, 4)])
def test_fans_equal_torch(shape):
    torch = pytest.importorskip("torch")
    assert init.fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize(
    "nonlinearity", ["linear", "identity", "sigmoid", "tanh", "relu", "leaky_relu"]
)
def test_gains_equal_torch(nonlinearity):
    torch = pytest.importorskip("torch")
    ref = torch.nn.init.calculate_gain("linear" if nonlinearity == "identity" else nonlinearity)
    assert init.calculate_gain(nonlinearity) == pytest.approx(ref, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2)
    )


def test_gain_values_by_hand():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("leaky_relu", 1.0) == pytest.approx(1.0)


def test_xavier_uniform_bound_and_variance(rng):
    w = init.xavier_uniform(SHAPE, rng)
    bound = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert sample_var(w) == pytest.approx(2 / (FAN_IN + FAN_OUT), rel=0.02)
    assert abs(w.mean()) < 3 * bound / math.sqrt(3 * w.size)


def test_xavier_normal_variance(rng):
    w = init.xavier_normal(SHAPE, rng, gain=2.0)
    assert sample_var(w) == pytest.approx(4 * 2 / (FAN_IN + FAN_OUT), rel=0.02)


def test_he_normal_variance_fan_in_and_fan_out(rng):
    assert sample_var(init.he_normal(SHAPE, rng)) == pytest.approx(2 / FAN_IN, rel=0.02)
    assert sample_var(init.he_normal(SHAPE, rng, mode="fan_out")) == pytest.approx(
        2 / FAN_OUT, rel=0.02
    )
    leaky = init.he_normal(SHAPE, rng, nonlinearity="leaky_relu", negative_slope=0.2)
    assert sample_var(leaky) == pytest.approx(2 / (1 + 0.04) / FAN_IN, rel=0.02)


def test_he_uniform_bound_and_variance(rng):
    w = init.he_uniform(SHAPE, rng)
    bound = math.sqrt(6 / FAN_IN)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert sample_var(w) == pytest.approx(2 / FAN_IN, rel=0.02)


def test_lecun_uniform_bound(rng):
    w = init.lecun_uniform(SHAPE, rng)
    bound = 1 / math.sqrt(FAN_IN)
    assert np.abs(w).max() <= bound and sample_var(w) == pytest.approx(bound**2 / 3, rel=0.02)


def test_normal_uniform_and_zeros(rng):
    w = init.normal(SHAPE, rng, mean=1.0, std=0.5)
    assert w.mean() == pytest.approx(1.0, abs=0.01) and w.std() == pytest.approx(0.5, rel=0.02)
    u = init.uniform((1000,), rng, 2.0, 3.0)
    assert u.min() >= 2.0 and u.max() < 3.0
    assert not init.zeros((2, 3)).any() and init.zeros((2, 3)).shape == (2, 3)


@pytest.mark.parametrize("name", sorted(init.SCHEMES))
def test_every_scheme_is_deterministic_for_a_seed_and_keeps_dtype(name):
    scheme = init.get_scheme(name)
    a = scheme((5, 4), np.random.default_rng(1))
    b = scheme((5, 4), np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 4) and a.dtype == np.float64
    assert scheme((5, 4), np.random.default_rng(1), dtype=np.float32).dtype == np.float32
    if name != "zeros":
        assert not np.array_equal(a, scheme((5, 4), np.random.default_rng(2)))


def test_nothing_touches_numpy_global_random_state():
    np.random.seed(123)
    before = np.random.get_state()
    for name in init.SCHEMES:
        init.get_scheme(name)((6, 5), np.random.default_rng(0))
        init.get_scheme(name)((6, 5))  # no rng: a fresh generator, still not the global one
    bp.Linear(3, 2, seed=0)
    bp.Linear(3, 2)
    bp.MLP([3, 4, 2], activation="tanh", seed=1)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def test_linear_uses_the_named_scheme(rng):
    layer = bp.Linear(FAN_IN, FAN_OUT, init="xavier_normal", rng=rng)
    assert sample_var(layer.W.data) == pytest.approx(2 / (FAN_IN + FAN_OUT), rel=0.02)
    assert layer.W.shape == (FAN_OUT, FAN_IN)


def test_linear_accepts_a_custom_init_function():
    def constant(shape, rng, dtype=np.float64):
        return np.full(shape, 0.5, dtype=dtype)

    np.testing.assert_array_equal(bp.Linear(2, 3, init=constant).W.data, np.full((3, 2), 0.5))


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="at least 2 dimensions, got shape \\(5,\\)"):
        init.xavier_uniform((5,), np.random.default_rng(0))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.he_normal((3, 3), np.random.default_rng(0), mode="fan_avg")
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        init.normal((2, 2), rng=np.random.RandomState(0))
