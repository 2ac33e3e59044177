"""bplib.functional: forward/backward pairs and losses (values, gradients, stability, torch)."""

import math
import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import functional as F
from bplib.gradcheck import numerical_gradient

SHAPES = [(1, 1), (2, 3), (5, 4), (8, 1)]
PAIRS = {
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward),
    "tanh": (F.tanh_forward, F.tanh_backward),
    "relu": (F.relu_forward, F.relu_backward),
    "leaky_relu": (F.leaky_relu_forward, F.leaky_relu_backward),
    "leaky_relu_0.2": (partial(F.leaky_relu_forward, negative_slope=0.2), F.leaky_relu_backward),
    "softmax": (F.softmax_forward, F.softmax_backward),
}
SMALL_SHAPES = st.tuples(st.integers(1, 6), st.integers(1, 6))


def away_from_zero(rng, shape):
    """Normal samples pushed away from 0: ReLU's kink is never inside a finite-difference step."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (0.05 + np.abs(x))


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("shape", SHAPES)
def test_linear_backward_matches_finite_differences(shape, rng, assert_gradcheck):
    n, d = shape
    x, W, b = rng.standard_normal((n, d)), rng.standard_normal((3, d)), rng.standard_normal(3)
    report = assert_gradcheck((F.linear_forward, F.linear_backward), (x, W, b))
    assert set(report.errors) == {"input 0", "input 1", "input 2"}


def test_linear_without_bias_returns_none_for_db(rng, assert_gradcheck):
    x, W = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    out, cache = F.linear_forward(x, W, None)
    np.testing.assert_allclose(out, x @ W.T)
    assert F.linear_backward(np.ones_like(out), cache)[2] is None
    assert_gradcheck((F.linear_forward, F.linear_backward), (x, W, None))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(1, 6), m=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_linear_backward_matches_finite_differences_for_any_shape(n, d, m, seed):
    rng = np.random.default_rng(seed)
    from bplib.gradcheck import gradcheck

    report = gradcheck(
        (F.linear_forward, F.linear_backward),
        (rng.standard_normal((n, d)), rng.standard_normal((m, d)), rng.standard_normal(m)),
    )
    assert report.max_error < 1e-7, repr(report)


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_backward_matches_finite_differences(name, shape, rng, assert_gradcheck):
    assert_gradcheck(PAIRS[name], (away_from_zero(rng, shape),))


@pytest.mark.parametrize("name", PAIRS)
@settings(max_examples=10, deadline=None)
@given(shape=SMALL_SHAPES, seed=st.integers(0, 2**16))
def test_activation_backward_matches_finite_differences_for_any_shape(name, shape, seed):
    from bplib.gradcheck import gradcheck

    report = gradcheck(PAIRS[name], (away_from_zero(np.random.default_rng(seed), shape),))
    assert report.max_error < 1e-7, repr(report)


def test_elementwise_pairs_accept_any_rank(rng, assert_gradcheck):
    x = away_from_zero(rng, (2, 3, 4))
    for name in ("sigmoid", "tanh", "relu", "leaky_relu"):
        assert_gradcheck(PAIRS[name], (x,))


# ------------------------------------------------------------------------- values


def test_linear_forward_adds_the_bias_into_a_new_array_only(rng):
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    before = x.copy(), W.copy(), b.copy()
    out, _ = F.linear_forward(x, W, b)
    np.testing.assert_allclose(out, x @ W.T + b, rtol=1e-13)
    for array, copy in zip((x, W, b), before, strict=True):
        np.testing.assert_array_equal(array, copy)  # the in-place bias add touched none of them
        assert not np.shares_memory(out, array)


def test_linear_forward_matches_hand_computation():
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 0.5]])
    b = np.array([0.0, 1.0, -1.0])
    out, _ = F.linear_forward(x, W, b)
    np.testing.assert_allclose(out, [[1.0, 1.0, 0.5]])
    dx, dW, db = F.linear_backward(np.array([[1.0, 0.0, 2.0]]), F.linear_forward(x, W, b)[1])
    np.testing.assert_allclose(dx, [[2.0, 1.0]])
    np.testing.assert_allclose(dW, [[1.0, 2.0], [0.0, 0.0], [2.0, 4.0]])
    np.testing.assert_allclose(db, [1.0, 0.0, 2.0])


def test_sigmoid_values_by_hand():
    x = np.array([0.0, 2.0, -2.0])
    np.testing.assert_allclose(
        F.sigmoid(x), [0.5, 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(2))], rtol=1e-15
    )
    out, cache = F.sigmoid_forward(np.array([0.0]))
    assert F.sigmoid_backward(np.array([1.0]), cache)[0] == pytest.approx(0.25)


def test_tanh_values_by_hand():
    out, cache = F.tanh_forward(np.array([0.0, 1.0]))
    np.testing.assert_allclose(out, [0.0, math.tanh(1.0)])
    np.testing.assert_allclose(
        F.tanh_backward(np.array([2.0, 1.0]), cache), [2.0, 1 - math.tanh(1.0) ** 2]
    )


def test_relu_backward_passes_gradient_only_where_input_positive():
    x = np.array([[-1.0, 0.0, 2.0]])
    out, cache = F.relu_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(
        F.relu_backward(np.array([[5.0, 5.0, 5.0]]), cache), [[0.0, 0.0, 5.0]]
    )


def test_leaky_relu_scales_negative_side_by_the_slope():
    x = np.array([-2.0, 0.0, 3.0])
    out, cache = F.leaky_relu_forward(x, 0.1)
    np.testing.assert_allclose(out, [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(F.leaky_relu_backward(np.ones(3), cache), [0.1, 0.1, 1.0])


def test_softmax_values_by_hand():
    p = F.softmax(np.array([[0.0, math.log(3.0)], [1.0, 1.0]]))
    np.testing.assert_allclose(p, [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(
        F.log_softmax(np.array([[0.0, math.log(3.0)]])), np.log([[0.25, 0.75]])
    )


# ------------------------------------------------------------------------- losses


def test_mse_value_and_gradient_by_hand():
    pred, target = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [1.0, 4.0]])
    loss, dpred = F.mse(pred, target)
    assert loss == pytest.approx((1 + 0 + 4 + 0) / 4)
    np.testing.assert_allclose(dpred, 2 * (pred - target) / 4)
    assert F.mse(pred, target, "sum")[0] == pytest.approx(5.0)
    np.testing.assert_allclose(F.mse(pred, target, "none")[0], [[1.0, 0.0], [4.0, 0.0]])


def test_softmax_cross_entropy_value_by_hand():
    loss, dlogits = F.softmax_cross_entropy(np.array([[1.0, 2.0, 3.0]]), np.array([2]))
    assert loss == pytest.approx(math.log(1 + math.exp(-1) + math.exp(-2)), rel=1e-14)
    p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(dlogits, [p - np.array([0, 0, 1])])
    loss, _ = F.softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(math.log(4))


def test_binary_cross_entropy_value_by_hand():
    loss, dpred = F.binary_cross_entropy(np.array([0.8, 0.25]), np.array([1.0, 0.0]))
    assert loss == pytest.approx((-math.log(0.8) - math.log(0.75)) / 2)
    np.testing.assert_allclose(dpred, [-1 / 0.8 / 2, 1 / 0.75 / 2])


def test_binary_cross_entropy_with_logits_value_by_hand():
    loss, dz = F.binary_cross_entropy_with_logits(np.array([0.0, 2.0]), np.array([1.0, 0.0]))
    assert loss == pytest.approx((math.log(2) + math.log(1 + math.exp(2))) / 2)
    np.testing.assert_allclose(dz, [(0.5 - 1) / 2, 1 / (1 + math.exp(-2)) / 2])


def loss_inputs(name, rng, shape=(4, 3)):
    """Inputs whose every gradient entry is well away from 0.

    A scalar loss's finite difference carries round-off of the whole sum (~1e-11), so an entry
    near 0 (pred = target) would show a large *relative* error although the gradient is right.
    """
    if name == "softmax_cross_entropy":
        return rng.standard_normal(shape), rng.integers(0, shape[1], size=shape[0])
    labels = rng.integers(0, 2, size=shape).astype(float)
    if name == "binary_cross_entropy":
        return rng.uniform(0.05, 0.95, shape), labels
    if name == "binary_cross_entropy_with_logits":
        return rng.standard_normal(shape), labels
    pred = rng.standard_normal(shape)
    return pred, pred + away_from_zero(rng, shape)


LOSSES = [
    "mse",
    "softmax_cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(1, 2), (4, 3), (6, 1)])
def test_loss_gradient_matches_finite_differences(name, reduction, shape, rng, assert_gradcheck):
    fn = partial(getattr(F, name), reduction=reduction)
    assert_gradcheck(fn, loss_inputs(name, rng, shape))


@pytest.mark.parametrize("name", LOSSES)
def test_loss_reduction_none_applies_upstream_gradient(name, rng, assert_gradcheck):
    pred, target = loss_inputs(name, rng)
    per_example, _ = getattr(F, name)(pred, target, "none")
    dloss = away_from_zero(rng, np.shape(per_example))

    def weighted(p, t):
        loss, dpred = getattr(F, name)(p, t, "none", dloss=dloss)
        return float(np.sum(loss * dloss)), dpred

    assert_gradcheck(weighted, (pred, target))


@pytest.mark.parametrize("name", LOSSES)
def test_loss_reductions_agree_with_each_other(name, rng):
    pred, target = loss_inputs(name, rng)
    fn = getattr(F, name)
    none, d_none = fn(pred, target, "none")
    total, d_sum = fn(pred, target, "sum")
    mean, d_mean = fn(pred, target, "mean")
    count = none.size
    assert total == pytest.approx(none.sum()) and mean == pytest.approx(none.sum() / count)
    np.testing.assert_allclose(d_sum, d_none)
    np.testing.assert_allclose(d_mean, d_none / count)
    assert isinstance(mean, float) and isinstance(total, float)


@settings(max_examples=10, deadline=None)
@given(shape=SMALL_SHAPES, seed=st.integers(0, 2**16), name=st.sampled_from(LOSSES))
def test_loss_gradients_for_any_shape(shape, seed, name):
    from bplib.gradcheck import gradcheck

    report = gradcheck(getattr(F, name), loss_inputs(name, np.random.default_rng(seed), shape))
    assert report.max_error < 1e-7, repr(report)


def test_mse_accepts_integer_targets_and_lists():
    loss, dpred = F.mse([[1.0, 2.0]], [[1, 0]])
    assert loss == pytest.approx(2.0)
    np.testing.assert_allclose(dpred, [[0.0, 2.0]])


# -------------------------------------------------------------------------- stability


@pytest.mark.usefixtures("no_warnings")
def test_sigmoid_is_finite_and_exact_at_plus_minus_1000():
    out, cache = F.sigmoid_forward(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(out, [0.0, 1.0])
    assert np.all(np.isfinite(F.sigmoid_backward(np.ones(2), cache)))
    assert F.sigmoid(np.float32(-100.0)) >= 0


@pytest.mark.usefixtures("no_warnings")
def test_softmax_is_finite_for_huge_logits():
    p = F.softmax(np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, 1000.0]]))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    assert np.all(np.isfinite(F.log_softmax(np.array([[1000.0, -1000.0]]))))


@pytest.mark.usefixtures("no_warnings")
def test_softmax_cross_entropy_is_finite_for_logits_of_plus_minus_1000():
    logits = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    loss, dlogits = F.softmax_cross_entropy(logits, np.array([1, 1]))
    assert loss == pytest.approx(1000.0)  # row 0 costs 2000, row 1 costs 0
    np.testing.assert_allclose(dlogits, [[0.5, -0.5], [0.0, 0.0]])


@pytest.mark.usefixtures("no_warnings")
def test_bce_with_logits_is_finite_for_logits_of_plus_minus_1000():
    loss, dz = F.binary_cross_entropy_with_logits(
        np.array([1000.0, -1000.0, 1000.0]), np.array([0.0, 1.0, 1.0])
    )
    assert loss == pytest.approx(2000.0 / 3)
    np.testing.assert_allclose(dz, [1 / 3, -1 / 3, 0.0])


@pytest.mark.usefixtures("no_warnings")
def test_binary_cross_entropy_clamps_log_at_p_zero_and_one():
    loss, dpred = F.binary_cross_entropy(
        np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]), "none"
    )
    np.testing.assert_allclose(loss, [100.0, 100.0, 0.0])
    assert np.all(np.isfinite(dpred))


# ------------------------------------------------------------------------ torch parity


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _t(torch, array, grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_matches_torch(torch, rng, reduction):
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    tp = _t(torch, pred, True)
    ref = torch.nn.functional.mse_loss(tp, _t(torch, target), reduction=reduction)
    ref.backward()
    loss, dpred = F.mse(pred, target, reduction)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dpred, tp.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_matches_torch(torch, rng, reduction, scale):
    logits, labels = scale * rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    tl = _t(torch, logits, True)
    ref = torch.nn.functional.cross_entropy(tl, torch.tensor(labels), reduction=reduction)
    ref.backward()
    loss, dlogits = F.softmax_cross_entropy(logits, labels, reduction)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dlogits, tl.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_matches_torch_including_clamping_at_0_and_1(torch, rng, reduction):
    pred = np.concatenate([rng.uniform(0.01, 0.99, 6), [0.0, 1.0, 0.0, 1.0]])
    target = np.concatenate([rng.uniform(0, 1, 6), [1.0, 0.0, 0.0, 1.0]])
    tp = _t(torch, pred, True)
    ref = torch.nn.BCELoss(reduction=reduction)(tp, _t(torch, target))
    ref.backward()
    loss, dpred = F.binary_cross_entropy(pred, target, reduction)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    # At p = 0 or 1 both divide by the 1e-12 floor; torch rounds that floor to float32 (4e-9 off).
    np.testing.assert_allclose(dpred, tp.grad.numpy(), rtol=1e-8)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_with_logits_matches_torch(torch, rng, reduction):
    z = np.concatenate([3 * rng.standard_normal(6), [1000.0, -1000.0]])
    target = np.concatenate([rng.uniform(0, 1, 6), [0.0, 1.0]])
    tz = _t(torch, z, True)
    ref = torch.nn.BCEWithLogitsLoss(reduction=reduction)(tz, _t(torch, target))
    ref.backward()
    loss, dz = F.binary_cross_entropy_with_logits(z, target, reduction)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dz, tz.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_softmax_and_sigmoid_match_torch(torch, rng):
    x = 5 * rng.standard_normal((4, 5))
    np.testing.assert_allclose(
        F.softmax(x), torch.softmax(_t(torch, x), dim=-1).numpy(), rtol=1e-13
    )
    np.testing.assert_allclose(F.sigmoid(x), torch.sigmoid(_t(torch, x)).numpy(), rtol=1e-13)


def test_numerical_gradient_of_mse_agrees_with_dpred(rng):
    pred, target = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    numeric = numerical_gradient(lambda: F.mse(pred, target)[0], pred)
    np.testing.assert_allclose(F.mse(pred, target)[1], numeric, rtol=1e-7, atol=1e-10)
