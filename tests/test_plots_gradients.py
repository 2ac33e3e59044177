"""Figures of chapters 6 and 7 and their explorers' render functions."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib as bp
from bplib import diagnostics as D
from bplib.plots import gradients as G
from bplib.plots.display import figure_to_png
from bplib.widgets.exploding import clipping_explorer, render_clipping
from bplib.widgets.vanishing import gradient_profile_explorer, render_gradient_profile


@pytest.fixture(scope="module")
def runs():
    return {"lr 0.3": D.exploding_experiment(steps=140),
            "lr 0.3, clipped": D.exploding_experiment(clip_norm=1.0, steps=40)}


def test_gradient_norms_per_layer_draws_one_log_scale_line_per_profile():
    profiles = {"sigmoid": D.gradient_profile(6), "relu": D.gradient_profile(6, "relu", "he"),
                "array": np.array([1.0, 0.0, 3.0])}
    fig = G.gradient_norms_per_layer(profiles, title="t")
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["sigmoid", "relu", "array"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), profiles["sigmoid"].grad_norms)
    # A zero gradient cannot sit on a log axis: it is left out rather than breaking the plot.
    assert np.isnan(ax.get_lines()[2].get_ydata()[1])
    assert "layer" in ax.get_xlabel() and "W_l" in ax.get_ylabel()
    figure_to_png(fig)


def test_gradient_norms_per_layer_draws_into_a_given_axes():
    fig, ax = bp.plots.new_figure()
    assert G.gradient_norms_per_layer({"a": [1.0, 2.0]}, ax=ax) is fig


def test_gradient_norms_per_layer_needs_a_dict():
    with pytest.raises(TypeError, match="dict"):
        G.gradient_norms_per_layer([1.0, 2.0])


def test_activation_histograms_one_panel_per_chosen_layer():
    record = D.gradient_profile(8, "sigmoid", "naive")
    fig = G.activation_histograms(record, layers=[1, 4, 7])
    assert len(fig.axes) == 3
    assert fig.axes[1].get_title().startswith("layer 4")
    assert len(G.activation_histograms(record).axes) == 5
    figure_to_png(fig)


def test_activation_histograms_refuse_unknown_layers_and_other_inputs():
    record = D.gradient_profile(4)
    with pytest.raises(ValueError, match="layer 9 does not exist.*1..3"):
        G.activation_histograms(record, layers=[9])
    with pytest.raises(TypeError, match="PassRecord"):
        G.activation_histograms([np.ones(3)])


def test_loss_curves_cap_runaway_values_and_mark_the_blow_up(runs):
    fig = G.run_loss_curves(runs)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert lines[0].get_label().endswith("(blew up at step 126)")
    assert max(lines[0].get_ydata()) == G.CEILING
    assert any(line.get_marker() == "X" for line in lines)
    assert ax.get_ylim()[1] < 1e300
    figure_to_png(fig)


def test_grad_norm_and_weight_norm_curves(runs):
    fig = G.run_grad_norm_curves(runs)
    clipped = [line for line in fig.axes[0].get_lines() if line.get_label() == "lr 0.3, clipped"]
    np.testing.assert_allclose(clipped[0].get_ydata(), runs["lr 0.3, clipped"].grad_norm)
    fig = G.run_weight_norm_curves(runs)
    assert fig.axes[0].get_yscale() == "linear"
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(),
                               runs["lr 0.3, clipped"].weight_norm)
    figure_to_png(fig)


def test_run_curves_put_the_legend_where_asked_or_leave_it_out(runs):
    placed = G.run_loss_curves(runs, legend_loc="center right").axes[0].get_legend()
    assert placed is not None and placed._loc == 7  # matplotlib's code for "center right"
    assert G.run_grad_norm_curves(runs, legend_loc=None).axes[0].get_legend() is None


def test_clipping_explorer_draws_one_legend_for_both_panels():
    left, right = render_clipping(0.3, 1.0).axes
    assert left.get_legend() is None
    texts = [t.get_text() for t in right.get_legend().get_texts()]
    assert texts[-1] == "threshold 1" and "clipped at 1" in texts


def test_run_plots_need_training_runs():
    with pytest.raises(TypeError, match="TrainingRun"):
        G.run_loss_curves({"a": [1.0, 2.0]})


def test_plots_are_exported_from_bp_plots():
    for name in G.__all__:
        assert getattr(bp.plots, name) is getattr(G, name)


# ------------------------------------------------------------------ explorers
def _ydata(fig):
    return [line.get_ydata() for ax in fig.axes for line in ax.get_lines()]


def test_render_gradient_profile_draws_one_curve_per_depth():
    fig = render_gradient_profile("sigmoid", "naive", "plain")
    lines = fig.axes[0].get_lines()
    assert [len(line.get_ydata()) for line in lines] == [5, 10, 20, 30]
    assert "first/last" in lines[1].get_label()


def test_render_gradient_profile_depends_on_every_control():
    base = _ydata(render_gradient_profile("sigmoid", "naive", "plain"))
    for kwargs in ({"activation": "relu"}, {"init": "he"}, {"architecture": "residual"}):
        other = _ydata(render_gradient_profile(**{"activation": "sigmoid", "init": "naive",
                                                  "architecture": "plain", **kwargs}))
        assert not np.allclose(base[1], other[1])


def test_gradient_profile_explorer_has_a_small_grid_and_alt_text():
    explorer = gradient_profile_explorer()
    assert explorer.num_frames == 27
    assert "log scale" in explorer.alt


def test_render_clipping_compares_the_unclipped_and_clipped_runs():
    def run_lines(fig):
        return [line for line in fig.axes[0].get_lines()
                if line.get_label().startswith(("no clipping", "clipped"))]

    fig = render_clipping(0.3, 1.0)
    loss_lines = run_lines(fig)
    assert [line.get_label() for line in loss_lines] == ["no clipping (blew up at step 126)",
                                                         "clipped at 1"]
    assert max(loss_lines[1].get_ydata()) < 10
    assert fig.axes[0].get_title() == "Training loss at learning rate 0.3"
    assert len(run_lines(render_clipping(0.3, None))) == 1
    assert not np.allclose(_ydata(render_clipping(0.03, 1.0))[0][:50],
                           _ydata(render_clipping(1.0, 1.0))[0][:50])


def test_clipping_explorer_has_a_small_grid():
    explorer = clipping_explorer()
    assert explorer.num_frames == 16
    assert explorer.defaults == {"lr": 0.3, "clip": 1.0}
