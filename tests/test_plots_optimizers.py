"""bplib.plots.optimizers: the step-size figure of chapter 10."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp


def test_step_sizes_draws_one_line_per_parameter_and_the_learning_rate():
    steps = {"0.W": np.geomspace(0.1, 1e-3, 50), "0.b": np.geomspace(0.1, 1e-2, 50)}
    fig = bp.plots.step_sizes(steps, lr=0.1, title="t")
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), steps["0.W"])
    assert ax.lines[2].get_ydata()[0] == pytest.approx(0.1)
    assert ax.get_yscale() == "log"


def test_step_sizes_rejects_an_empty_dict():
    with pytest.raises(ValueError, match="steps is empty"):
        bp.plots.step_sizes({})
