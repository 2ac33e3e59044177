"""Diagnostics: deep networks of the experiments, per-layer records, and the chapters' claims."""

import numpy as np
import pytest

import bplib as bp
from bplib import diagnostics as D


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ------------------------------------------------------------------ building the networks


def test_deep_mlp_has_depth_linear_layers_and_maps_width_to_one_output(rng):
    model = D.deep_mlp(5, width=8, activation="relu", init="he", rng=rng)
    assert len(D.linear_layers(model)) == 5
    assert model(rng.normal(size=(3, 8))).shape == (3, 1)


def test_deep_mlp_architectures_put_residual_and_batchnorm_in_every_hidden_block(rng):
    res = D.deep_mlp(4, width=6, architecture="residual", rng=rng)
    assert all(isinstance(block, bp.Residual) for block in res.layers[:-1])
    bn = D.deep_mlp(4, width=6, architecture="batchnorm", rng=rng)
    assert sum(isinstance(m, bp.BatchNorm1d) for block in bn.layers[:-1] for m in block) == 3


def test_first_block_is_plain_when_input_size_differs_from_width(rng):
    model = D.deep_mlp(3, width=4, architecture="residual", in_features=2, rng=rng)
    assert not isinstance(model.layers[0], bp.Residual)
    assert isinstance(model.layers[1], bp.Residual)
    assert model(rng.normal(size=(5, 2))).shape == (5, 1)


def test_init_names_set_the_weight_scale(rng):
    stds = {name: D.deep_mlp(2, width=200, init=name, rng=rng).layers[0][0].W.data.std()
            for name in ("naive", "large", "xavier", "he")}
    assert stds["naive"] == pytest.approx(0.01, rel=0.05)
    assert stds["large"] == pytest.approx(1.0, rel=0.05)
    assert stds["xavier"] == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    assert stds["he"] == pytest.approx(np.sqrt(2 / 200), rel=0.05)


def test_deep_mlp_gradcheck_with_batchnorm_and_residual(rng):
    for arch in ("batchnorm", "residual"):
        model = D.deep_mlp(3, width=4, activation="tanh", init="xavier", architecture=arch, rng=rng)
        # h = 1e-5: through three layers the rounding error of h = 1e-6 approaches 1e-7.
        report = bp.gradcheck.gradcheck(model, rng.normal(size=(5, 4)), h=1e-5)
        assert report.ok, report


@pytest.mark.parametrize("kwargs, message", [
    ({"architecture": "dense"}, "architecture must be one of"),
    ({"depth": 0}, "depth"),
    ({"activation": "swish"}, "unknown activation"),
    ({"init": "tiny"}, "unknown init"),
])
def test_deep_mlp_refuses_unknown_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        D.deep_mlp(**{"depth": 3, **kwargs})


# ------------------------------------------------------------------ recording a pass


def test_record_pass_matches_a_hand_run_forward_and_backward(rng):
    model = D.deep_mlp(4, width=5, activation="tanh", init="xavier", rng=rng)
    x, y = rng.normal(size=(6, 5)), rng.normal(size=(6, 1))
    record = D.record_pass(model, x, y)
    assert len(record.activations) == 3
    assert len(record.grad_norms) == 4
    h = x
    for block in model.layers[:-1]:
        h = block(h)
    np.testing.assert_allclose(record.activations[-1], h)
    loss_fn = bp.MSELoss()
    model.zero_grad()
    assert record.loss == pytest.approx(loss_fn(model(x), y))
    model.backward(loss_fn.backward())
    expected = [np.linalg.norm(layer.W.grad) for layer in D.linear_layers(model)]
    np.testing.assert_allclose(record.grad_norms, expected)
    assert record.ratio == pytest.approx(expected[0] / expected[-1])


def test_record_pass_zeroes_old_gradients_first(rng):
    model = D.deep_mlp(3, width=4, rng=rng)
    x, y = rng.normal(size=(4, 4)), rng.normal(size=(4, 1))
    first = D.record_pass(model, x, y).grad_norms
    np.testing.assert_allclose(D.record_pass(model, x, y).grad_norms, first)


def test_record_pass_on_a_flat_mlp_records_after_each_activation(rng):
    model = bp.MLP([3, 4, 4, 2], activation="relu", rng=rng)
    record = D.record_pass(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    assert len(record.activations) == 2
    assert all(np.all(a >= 0) for a in record.activations)
    assert record.activation_mean.shape == record.activation_std.shape == (2,)


def test_record_pass_needs_a_sequential(rng):
    with pytest.raises(TypeError, match="Sequential"):
        D.record_pass(bp.Linear(2, 1, rng=rng), np.ones((2, 2)), np.ones((2, 1)))


def test_weight_norms_are_frobenius_norms(rng):
    model = D.deep_mlp(3, width=4, rng=rng)
    np.testing.assert_allclose(D.weight_norms(model),
                               [np.sqrt(np.sum(lin.W.data ** 2)) for lin in D.linear_layers(model)])


def test_gradient_profile_is_reproducible_from_its_seed():
    a, b = D.gradient_profile(6, seed=3), D.gradient_profile(6, seed=3)
    np.testing.assert_array_equal(a.grad_norms, b.grad_norms)
    assert not np.array_equal(a.grad_norms, D.gradient_profile(6, seed=4).grad_norms)


# ------------------------------------------------------------------ chapter 6's claims


def test_sigmoid_with_naive_init_first_layer_gradient_is_100x_smaller_at_depth_10():
    for seed in range(3):
        record = D.gradient_profile(10, "sigmoid", "naive", seed=seed)
        assert record.ratio < 1e-2
        # ... and the decay is geometric: every layer smaller than the next.
        assert np.all(np.diff(np.log(record.grad_norms)) > 0)


def test_sigmoid_with_naive_init_activations_collapse_to_one_half():
    record = D.gradient_profile(10, "sigmoid", "naive")
    np.testing.assert_allclose(record.activation_mean[1:], 0.5, atol=0.01)
    assert np.all(record.activation_std[1:] < 0.05)


@pytest.mark.parametrize("activation, init, architecture", [
    ("relu", "he", "plain"),
    ("tanh", "xavier", "plain"),
    ("sigmoid", "xavier", "residual"),
    ("sigmoid", "naive", "batchnorm"),
    ("relu", "he", "batchnorm"),
])
def test_each_fix_keeps_first_to_last_gradient_ratio_within_10x_at_depth_10(activation, init,
                                                                            architecture):
    record = D.gradient_profile(10, activation, init, architecture)
    assert 0.1 <= record.ratio <= 10


def test_relu_with_he_init_beats_sigmoid_with_naive_init_for_every_seed():
    for seed in range(4):
        good = D.gradient_profile(10, "relu", "he", seed=seed).ratio
        bad = D.gradient_profile(10, "sigmoid", "naive", seed=seed).ratio
        assert good > 1e6 * bad


def test_residual_hidden_layers_share_one_gradient_norm_even_with_naive_init():
    norms = D.gradient_profile(10, "sigmoid", "naive", "residual").grad_norms[:-1]
    assert norms.max() / norms.min() < 1.1


# ------------------------------------------------------------------ chapter 7's claims


def test_clipping_bounds_the_global_gradient_norm_exactly(rng):
    model = D.deep_mlp(4, width=8, activation="relu", init="large", rng=rng)
    D.record_pass(model, rng.normal(size=(16, 8)), rng.normal(size=(16, 1)))
    params = model.parameters()
    total = bp.optim.clip_grad_norm_(params, 1.0)
    assert total > 1.0
    after = np.sqrt(sum(np.sum(p.grad ** 2) for p in params))
    assert after == pytest.approx(1.0, rel=1e-6)
    assert after <= 1.0


def test_clipping_leaves_a_small_gradient_unchanged(rng):
    model = D.deep_mlp(3, width=4, activation="tanh", init="naive", rng=rng)
    D.record_pass(model, rng.normal(size=(4, 4)), rng.normal(size=(4, 1)))
    before = [p.grad.copy() for p in model.parameters()]
    bp.optim.clip_grad_norm_(model.parameters(), 100.0)
    for p, g in zip(model.parameters(), before, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-7)


def test_the_failing_run_diverges_and_norm_clipping_rescues_it():
    failing = D.exploding_experiment()
    assert failing.diverged_at is not None
    assert failing.grad_norm.max() > 1e100
    clipped = D.exploding_experiment(clip_norm=1.0)
    assert clipped.diverged_at is None
    assert clipped.loss[-1] < 0.05


def test_value_clipping_and_a_lower_learning_rate_also_rescue_the_failing_run():
    assert D.exploding_experiment(clip_value=0.1).diverged_at is None
    slow = D.exploding_experiment(lr=0.03)
    assert slow.diverged_at is None
    assert slow.loss[-1] < 0.05


def test_weight_decay_shrinks_the_weights_of_a_stable_run():
    plain = D.exploding_experiment(lr=0.03)
    decayed = D.exploding_experiment(lr=0.03, weight_decay=0.1)
    assert decayed.weight_norm[-1] < 0.7 * plain.weight_norm[-1]


def test_training_run_records_every_step_until_divergence(rng):
    x, y = D.sine_task(n=16, seed=1)
    model = D.deep_mlp(3, width=4, activation="tanh", init="xavier", in_features=1, rng=rng)
    run = D.training_run(model, x, y, lr=0.05, steps=7)
    assert run.diverged_at is None
    assert run.loss.shape == run.grad_norm.shape == run.weight_norm.shape == (7,)
    np.testing.assert_allclose(D.sine_task(n=16, seed=1)[1], np.sin(x))
