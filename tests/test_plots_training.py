"""Training and optimiser figures, and the chapter 2 / chapter 10 explorers' render functions."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib as bp
from bplib.plots.display import figure_to_png
from bplib.plots.optimizers import surface_paths
from bplib.plots.training import (
    boundary_and_loss,
    decision_boundary,
    gradient_norm_ratio,
    gradient_norms,
    loss_curves,
    moving_median,
    sweeps_histogram,
    symmetry_weights,
)
from bplib.widgets.optimizers import momentum_explorer, render_momentum
from bplib.widgets.training import render_training, training_explorer, training_run


@pytest.fixture(scope="module")
def trained():
    x, y = bp.data.xor()
    model = bp.MLP([2, 4, 2], activation="tanh", seed=0)
    history = bp.fit(model, bp.CrossEntropyLoss(), bp.optim.SGD(model, lr=0.5, momentum=0.9),
                     x, y, epochs=30, progress=False, seed=0)
    return model, x, y, history


def _labels(fig: Figure) -> tuple[str, str, str]:
    ax = fig.axes[0]
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel()


def test_loss_curves_draw_one_line_per_history(trained):
    _, _, _, history = trained
    fig = loss_curves({"a": history, "b": history}, per="step")
    assert len(fig.axes[0].get_lines()) == 2
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), history.step_loss)
    assert _labels(fig) == ("Training loss", "step", "loss $L$")
    with pytest.raises(ValueError, match="per must be 'epoch' or 'step'"):
        loss_curves(history, per="batch")


def test_decision_boundary_shows_the_models_classes(trained):
    model, x, y, _ = trained
    fig = decision_boundary(model, x, y)
    title, xlabel, ylabel = _labels(fig)
    assert (xlabel, ylabel) == ("$x_1$", "$x_2$") and title
    assert len(fig.axes[0].collections) >= 3  # regions plus one scatter per class
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        decision_boundary(model, np.zeros((4, 3)), y)


def test_decision_boundary_reads_single_output_models():
    x, y = bp.data.xor()
    model = bp.MLP([2, 3, 1], output_activation="sigmoid", seed=0)
    assert isinstance(decision_boundary(model, x, y), Figure)


def test_gradient_norms_plot_every_parameter(trained):
    _, _, _, history = trained
    fig = gradient_norms(history)
    lines = fig.axes[0].get_lines()
    assert len(lines) == len(history.grad_norms)
    np.testing.assert_allclose(lines[0].get_ydata(), history.grad_norms["0.W"])


def test_moving_median_takes_the_median_of_each_window():
    np.testing.assert_allclose(moving_median([1.0, 9.0, 2.0, 8.0, 3.0], 3), [2.0, 8.0, 3.0])
    np.testing.assert_allclose(moving_median([4.0, 1.0], 1), [4.0, 1.0])
    with pytest.raises(ValueError, match="longer than the 2 values"):
        moving_median([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="whole number of steps"):
        moving_median([1.0, 2.0], 0)


def test_gradient_norm_ratio_draws_both_norms_and_their_ratio(trained):
    _, _, _, history = trained
    fig = gradient_norm_ratio(history, "0.W", "2.W", window=5)
    left, right = fig.axes
    a, b = history.grad_norm_array("0.W"), history.grad_norm_array("2.W")
    np.testing.assert_allclose(left.get_lines()[0].get_ydata(), a)
    np.testing.assert_allclose(left.get_lines()[1].get_ydata(), moving_median(a, 5))
    np.testing.assert_allclose(left.get_lines()[2].get_ydata(), b)
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), a / b)
    median_line = right.get_lines()[-1]
    assert median_line.get_ydata()[0] == pytest.approx(np.median(a / b))
    assert f"{np.median(a / b):.2f}" in median_line.get_label()
    assert (left.get_yscale(), right.get_yscale()) == ("log", "log")
    assert right.get_xlabel() == "step $t$"
    with pytest.raises(KeyError, match="known parameters"):
        gradient_norm_ratio(history, "0.W", "9.W")


def test_boundary_and_loss_marks_the_chosen_epoch(trained):
    model, x, y, history = trained
    fig = boundary_and_loss(model, x, y, history, epoch=10)
    assert "epoch 10" in fig.axes[0].get_title()
    marker = fig.axes[1].get_lines()[-1]
    assert marker.get_ydata()[0] == pytest.approx(history.epoch_loss[9])


def test_sweeps_histogram_marks_the_papers_number():
    fig = sweeps_histogram(np.array([500, 900, 1500, 3000, 12000]), paper=1425, unsolved=1)
    xs = [line.get_xdata()[0] for line in fig.axes[0].get_lines()]
    assert 1425 in xs
    assert "1 not" in fig.axes[0].get_legend().get_texts()[0].get_text()


def test_symmetry_weights_draws_a_panel_per_hidden_unit():
    W1 = np.array([[1.0, 2.0, 4.0, -4.0, -2.0, -1.0], [-1.0, -2.0, -4.0, 4.0, 2.0, 1.0]])
    fig = symmetry_weights(W1, np.array([-1.0, -1.0]), np.array([[-5.0, -5.0]]), np.array([2.0]))
    assert len(fig.axes) == 2
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    np.testing.assert_allclose(heights, W1[0])


def test_surface_paths_draws_each_path_and_the_minimum():
    path = bp.optim.optimizer_path("rosenbrock", lambda ps: bp.optim.Adam(ps, lr=0.1), 20)
    fig = surface_paths("rosenbrock", {"Adam": path})
    ax = fig.axes[0]
    assert "Rosenbrock" in ax.get_title()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$w_1$", "$w_2$")
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), path[:, 0])


def test_training_explorer_frames_differ_by_epoch_and_lr():
    explorer = training_explorer()
    assert explorer.num_frames <= 30
    first = figure_to_png(render_training(epoch=0, lr=1.0))
    later = figure_to_png(render_training(epoch=80, lr=1.0))
    other = figure_to_png(render_training(epoch=80, lr=0.01))
    assert len({first, later, other}) == 3


def test_training_run_is_cached_and_learns_at_the_middle_rate():
    model, history = training_run(1.0)
    assert training_run(1.0)[1] is history
    assert history.accuracy[-1] > 0.95
    assert sorted(history.snapshots) == list(range(0, 81, 10))


def test_momentum_explorer_frames_differ_and_stay_small():
    explorer = momentum_explorer()
    assert explorer.num_frames <= 30
    plain = render_momentum(lr=0.3, momentum=0.0)
    heavy = render_momentum(lr=0.3, momentum=0.9)
    a = plain.axes[0].get_lines()[0].get_xydata()
    b = heavy.axes[0].get_lines()[0].get_xydata()
    assert not np.allclose(a[:5], b[:5])
    # Nesterov without momentum is plain SGD, not an error
    same = render_momentum(lr=0.3, momentum=0.0, nesterov=True)
    np.testing.assert_allclose(same.axes[0].get_lines()[0].get_xydata(), a)


def test_symmetry_explorer_shows_weights_growing_into_the_mirror_pattern():
    from bplib.widgets.training import render_symmetry, symmetry_explorer

    assert symmetry_explorer().num_frames <= 30
    start = np.array([bar.get_height() for bar in render_symmetry(0, 1).axes[0].patches])
    end = np.array([bar.get_height() for bar in render_symmetry(2000, 1).axes[0].patches])
    assert np.max(np.abs(start)) <= 0.3
    assert np.max(np.abs(end)) > 5
    np.testing.assert_allclose(end, -end[::-1], atol=0.05 * np.max(np.abs(end)))
