"""bplib.plots.neuron: the figures of chapter 4 (one sigmoid neuron)."""

import numpy as np
import pytest

from bplib.functional import sigmoid
from bplib.plots.neuron import neuron_loss_and_tangent, sigmoid_loss_gradients
from bplib.plots.style import BLUE, GREEN, ORANGE
from bplib.widgets.neuron import NEURON_X, NEURON_Y


def line_with_color(ax, color):
    return [line for line in ax.lines if line.get_color() == color]


def test_tangent_figure_marks_an_interior_minimum_where_the_slope_changes_sign():
    fig = neuron_loss_and_tangent(NEURON_X, NEURON_Y, w0=-1.0, b=0.0)
    left, right = fig.axes
    (marker,) = line_with_color(right, GREEN)
    w_min = marker.get_xdata()[0]
    assert 0.5 < w_min < 1.5  # the chapter's data: the loss is lowest near w = 0.96
    (curve,) = [line for line in line_with_color(right, BLUE) if len(line.get_xdata()) > 1]
    ws, slopes = (np.asarray(v) for v in curve.get_data())
    assert slopes[ws < w_min - 0.1].max() < 0 < slopes[ws > w_min + 0.1].max()
    assert left.get_xlim() == right.get_xlim() == (-4.0, 4.0)


def test_tangent_figure_has_no_minimum_marker_when_the_loss_only_falls():
    # separable data: the loss keeps falling as w grows, so the minimum is not inside the range
    fig = neuron_loss_and_tangent(np.array([-1.0, 1.0]), np.array([0.0, 1.0]), w0=0.5, b=0.0)
    assert not any(line_with_color(ax, GREEN) for ax in fig.axes)


def test_sigmoid_loss_gradients_draws_mse_and_cross_entropy_gradients():
    fig = sigmoid_loss_gradients(y=1.0, z_range=(-8.0, 8.0), z_mark=-6.0)
    (ax,) = fig.axes
    assert ax.get_title() and "z" in ax.get_xlabel() and "L" in ax.get_ylabel()
    (mse, mse_dot), (ce, ce_dot) = line_with_color(ax, BLUE), line_with_color(ax, ORANGE)
    z, g_mse = mse.get_data()
    a = sigmoid(z)
    np.testing.assert_allclose(g_mse, (a - 1) * a * (1 - a))
    np.testing.assert_allclose(ce.get_ydata(), a - 1)
    a6 = sigmoid(np.array(-6.0))
    assert mse_dot.get_ydata()[0] == pytest.approx((a6 - 1) * a6 * (1 - a6))
    assert ce_dot.get_ydata()[0] == pytest.approx(a6 - 1)
    assert abs(ce_dot.get_ydata()[0]) > 100 * abs(mse_dot.get_ydata()[0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        r"half squared error: $(a - y)\,\sigma'(z)$", r"cross-entropy: $a - y$"]


def test_sigmoid_loss_gradients_without_a_mark_and_for_target_zero():
    (ax,) = sigmoid_loss_gradients(y=0.0, z_mark=None).axes
    assert len(line_with_color(ax, BLUE)) == 1 and "y = 0" in ax.get_title()
    assert line_with_color(ax, ORANGE)[0].get_ydata().min() >= 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": 2.0}, r"target y must lie in \[0, 1\].*got 2.0"),
        ({"z_range": (3.0, -3.0)}, "low < high"),
        ({"z_mark": 9.0}, "outside z_range"),
    ],
)
def test_sigmoid_loss_gradients_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sigmoid_loss_gradients(**kwargs)
