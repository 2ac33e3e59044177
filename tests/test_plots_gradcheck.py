"""The gradient-checking chapter's figure and explorer: what they draw depends on their inputs."""

import json
import re

import numpy as np
import pytest

import bplib as bp
from bplib.gradcheck import step_sweep
from bplib.plots.display import figure_to_png
from bplib.widgets.gradcheck import render_step_sweep, step_explorer, sweeps_for


def tanh_sweeps():
    x = np.array([0.5])
    hs = np.logspace(-1, -12, 12)
    return [step_sweep(lambda: np.tanh(x[0]), x, 1 - np.tanh(x) ** 2, hs, m) for m in ("central", "forward")]


def test_step_sweep_figure_draws_both_curves_and_marks_each_minimum():
    sweeps = tanh_sweeps()
    fig = bp.plots.step_sweep_figure(sweeps, h=1e-5)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "central difference" in labels and "one-sided (forward) difference" in labels
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert [float(s.get_xdata()[0]) for s in stars] == [sweeps[0].best_h, sweeps[1].best_h]
    text = " ".join(t.get_text() for t in ax.texts)
    assert f"smallest central: {sweeps[0].min_error:.1e}" in text and "at h = 1e-05" in text
    assert "$h^2$" in text and "$1/h$" in text


def test_step_sweep_figure_needs_a_sweep():
    with pytest.raises(ValueError, match="at least one StepSweep"):
        bp.plots.step_sweep_figure([])


def test_float32_moves_the_bottom_of_the_u_up_and_to_larger_steps():
    c64, f64 = sweeps_for("tanh", "float64")
    c32, f32 = sweeps_for("tanh", "float32")
    assert c32.best_h > 100 * c64.best_h and c32.min_error > 1e4 * c64.min_error
    assert f32.best_h > f64.best_h and f32.min_error > f64.min_error


def test_sweeps_for_rejects_unknown_choices():
    with pytest.raises(ValueError, match="dtype must be"):
        sweeps_for("tanh", "float16")
    with pytest.raises(ValueError, match="function must be one of"):
        sweeps_for("cosh", "float64")


def test_render_depends_on_h_and_precision():
    base = figure_to_png(render_step_sweep(log_h=-5.0), dpi=40)
    assert base != figure_to_png(render_step_sweep(log_h=-8.0), dpi=40)
    assert base != figure_to_png(render_step_sweep(dtype="float32", log_h=-5.0), dpi=40)
    assert base == figure_to_png(render_step_sweep(log_h=-5.0), dpi=40)


def test_step_explorer_fallback_is_complete_and_under_1_mb():
    ex = step_explorer()
    assert ex.num_frames == 2 * 12
    page = ex.static_html()
    frames = json.loads(re.search(r'class="bp-frames">(.*?)</script>', page).group(1))
    assert len(page.encode()) < 1_000_000 and ex.alt in page and len(frames) == 24
