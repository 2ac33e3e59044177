"""Saturated and dead units, per-layer gains (bplib.diagnostics) and the recurrent loss cliff
(bplib.cliff), with their figures (bplib.plots.stability)."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.cliff import CliffTask, cliff_loss, cliff_training, loss_along_b, loss_surface, one_unit_rnn, step_factors
from bplib.diagnostics import PassRecord, gradient_profile, inactive_fraction, record_pass, saturated_fraction
from bplib.gradcheck import numerical_gradient
from bplib.plots.stability import cliff_figure, inactive_units_figure, loss_along_b_figure, saturation_profile


def _record(activations) -> PassRecord:
    n = len(activations)
    return PassRecord(0.0, [np.asarray(a, float) for a in activations], np.ones(n + 1), np.ones(n + 1),
                      np.ones(n + 1))


def test_saturated_fraction_counts_slopes_below_five_percent_of_the_peak():
    # sigmoid slopes a(1 - a): 0.25 at 0.5, 0.0099 at 0.99 (< 0.0125), 0.0475 at 0.95
    record = _record([[[0.5, 0.99], [0.95, 0.001]]])
    assert saturated_fraction(record, "sigmoid").tolist() == [0.5]
    # tanh slopes 1 - a^2: 0.0199 at 0.99 (< 0.05), 0.75 at 0.5
    assert saturated_fraction(_record([[[0.99, 0.5]]]), "tanh").tolist() == [0.5]


def test_saturated_fraction_refuses_activations_without_flat_tails():
    with pytest.raises(ValueError, match="'sigmoid' or 'tanh'"):
        saturated_fraction(_record([[[1.0]]]), "relu")
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        saturated_fraction(_record([[[0.5]]]), "tanh", level=2)


def test_inactive_fraction_counts_units_off_for_every_example():
    record = _record([[[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]], [[-1.0], [0.0]]])
    assert inactive_fraction(record).tolist() == [pytest.approx(1 / 3), 1.0]


def test_large_sigmoid_weights_saturate_units_and_shrink_the_gradient():
    small = gradient_profile(10, "sigmoid", "xavier")
    large = gradient_profile(10, "sigmoid", "large")
    assert saturated_fraction(small, "sigmoid").max() == 0.0
    assert saturated_fraction(large, "sigmoid").mean() > 0.1
    assert large.ratio < 1e-2


def test_record_pass_leaves_the_same_gradients_as_model_backward(rng):
    x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 1))
    model = bp.diagnostics.deep_mlp(4, 5, "tanh", "xavier", seed=3)
    record_pass(model, x, y)
    by_layers = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    loss_fn = bp.MSELoss()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    for a, b in zip(by_layers, [p.grad for p in model.parameters()]):
        np.testing.assert_array_equal(a, b)


def test_layer_gains_multiply_to_the_signal_ratio_and_match_the_jacobian(rng):
    record = gradient_profile(6, "tanh", "large")
    gains = record.layer_gains
    assert len(gains) == 5
    assert np.prod(gains) == pytest.approx(record.signal_norms[0] / record.signal_norms[-1])
    # large N(0, 1) weights in 32-wide tanh layers: every block multiplies the signal by more than 1
    assert np.all(gains > 1)


def test_cliff_gradients_match_finite_differences():
    for w, b in [(1.5, 0.0), (1.5, 0.2), (0.9, 0.3)]:
        rnn = one_unit_rnn(w, b)
        cliff_loss(rnn)
        analytic = np.array([rnn.W_hh.grad[0, 0], rnn.b_h.grad[0]])
        theta = np.array([w, b])

        def loss(theta=theta):
            return cliff_loss(one_unit_rnn(theta[0], theta[1]))

        numeric = numerical_gradient(loss, theta, h=1e-6)
        assert bp.gradcheck.rel_error(analytic, numeric) < 1e-6


def test_the_loss_falls_off_a_cliff_along_b():
    bs = np.array([0.0, 0.2, 0.21, 0.215, 0.3])
    losses, slopes = loss_along_b(bs)
    assert losses[0] > 1.0 and losses[-1] < 0.05        # two plateaus
    assert np.abs(slopes).max() > 100                    # and a wall between them
    assert loss_surface(np.array([1.5]), bs)[:, 0] == pytest.approx(losses)


def test_clipping_caps_the_step_that_the_cliff_throws():
    free = cliff_training(lr=0.1, steps=100)
    clipped = cliff_training(lr=0.1, steps=100, clip_norm=1.0)
    assert free.step_length.max() > 1.0                  # thrown off the cliff
    assert clipped.step_length.max() <= 0.1 * 1.0 + 1e-9  # never more than lr * c
    assert clipped.loss[-1] < 1e-3 < free.loss[-1]
    assert free.path.shape == (101, 2) and free.path[0].tolist() == [1.5, 0.0]


def test_cliff_task_refuses_a_zero_length_sequence():
    with pytest.raises(ValueError, match="T"):
        cliff_loss(one_unit_rnn(1.5, 0.0), CliffTask(T=0))


def test_stability_figures_draw_one_artist_per_run():
    records = {"xavier": gradient_profile(4, "sigmoid", "xavier"), "large": gradient_profile(4, "sigmoid", "large")}
    fig = saturation_profile(records, "sigmoid")
    assert [len(ax.lines) for ax in fig.axes[:2]] == [2, 2]
    fig = inactive_units_figure({"relu": np.array([0.1, 0.5]), "leaky": np.array([0.0, 0.2])})
    assert len(fig.axes[0].patches) == 4
    ws, bs = np.linspace(0.5, 2, 4), np.linspace(-0.5, 1, 5)
    runs = {"free": cliff_training(steps=5), "clipped": cliff_training(steps=5, clip_norm=1.0)}
    fig = cliff_figure(ws, bs, loss_surface(ws, bs), runs)
    assert len(fig.axes[1].lines) == 2
    with pytest.raises(TypeError, match="non-empty dict"):
        cliff_figure(ws, bs, loss_surface(ws, bs), {})


def test_a_large_learning_rate_kills_relu_units_and_leaky_relu_keeps_learning():
    x, labels = bp.data.moons(400, noise=0.1, seed=0)  # chapter 6's data
    gentle = bp.diagnostics.unit_activity_run(x, labels, "relu", lr=0.1)
    harsh = bp.diagnostics.unit_activity_run(x, labels, "relu", lr=2.0)
    leaky = bp.diagnostics.unit_activity_run(x, labels, "leaky_relu", lr=2.0)
    assert harsh.inactive_after.mean() > gentle.inactive_after.mean() + 0.3
    assert leaky.accuracy > harsh.accuracy


def test_a_negative_bias_starts_relu_units_dead():
    x, labels = bp.data.moons(200, noise=0.1, seed=0)
    run = bp.diagnostics.unit_activity_run(x, labels, "relu", lr=0.1, bias=-1.0)
    assert run.inactive_before[-1] == 1.0 and run.accuracy == 0.5


def test_step_factors_multiply_to_the_gradient_of_the_last_state_wrt_the_first():
    task = CliffTask()
    for w, b in [(1.5, 0.0), (1.5, 0.2105), (0.9, 0.3)]:
        factors = step_factors(w, b, task)
        assert factors.shape == (task.T,)

        h0 = np.array([task.h0])

        def last_state(h0=h0, w=w, b=b):
            h = h0[0]
            for _ in range(task.T):
                h = np.tanh(w * h + b)
            return h

        numeric = numerical_gradient(last_state, h0, h=1e-6)[0]
        assert np.prod(factors) == pytest.approx(numeric, rel=1e-5)
    # tanh' <= 1, so with |w| = rho < 1 no step can stretch the gradient; with w = 1.5 at the cliff most do
    assert np.all(np.abs(step_factors(0.9, 0.3)) < 0.9 + 1e-12)
    assert np.sum(step_factors(1.5, 0.2105) > 1) > task.T // 2
    assert np.all(step_factors(1.5, 0.0) < 1)


def test_step_factors_refuse_a_zero_length_sequence():
    with pytest.raises(ValueError, match="T"):
        step_factors(1.5, 0.0, CliffTask(T=0))


def test_cliff_figure_close_up_and_loss_along_b_figure():
    ws, bs = np.linspace(0.5, 2, 4), np.linspace(-0.5, 1, 5)
    runs = {"free": cliff_training(steps=5), "clipped": cliff_training(steps=5, clip_norm=1.0)}
    surface = loss_surface(ws, bs)
    fig = cliff_figure(ws, bs, surface, runs, zoom=(ws, bs, surface))
    # two maps with a path, a start circle and an end square per run, then the loss panel
    assert [len(ax.lines) for ax in fig.axes[:3]] == [6, 6, 2]
    with pytest.raises(TypeError, match="zoom must be a tuple"):
        cliff_figure(ws, bs, surface, runs, zoom=surface)
    b = np.linspace(0.0, 0.4, 9)
    fig = loss_along_b_figure(b, {"w = 1.5": loss_along_b(b), "w = 0.9": loss_along_b(b, 0.9)})
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), np.abs(loss_along_b(b)[1]))
    with pytest.raises(TypeError, match="non-empty dict"):
        loss_along_b_figure(b, {})
