"""The capstone's figures (bplib.plots.digits) and its explorer (bplib.widgets.digits)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib as bp
from bplib.plots import digits as plots
from bplib.train import History
from bplib.widgets import digits as widget


def _images(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_images()]


@pytest.fixture
def data(rng):
    x = rng.uniform(size=(30, 64))
    y = np.arange(30) % 10
    return x, y


def test_digit_examples_draws_per_class_images_of_each_class_titled_by_label(data):
    x, y = data
    fig = plots.digit_examples(x, y, per_class=2)
    assert isinstance(fig, Figure) and len(_images(fig)) == 20
    assert [ax.get_title() for ax in fig.axes[:10]] == [f"y = {k}" for k in range(10)]
    first = _images(fig)[0].get_images()[0].get_array()
    np.testing.assert_array_equal(first, x[0].reshape(8, 8))  # row by row into the 8 x 8 grid
    with pytest.raises(ValueError, match=r"shape \(N, 64\)"):
        plots.digit_examples(x[:, :63], y)


def test_first_layer_weights_draws_one_tile_per_hidden_unit_on_a_symmetric_scale(rng):
    W1 = rng.normal(size=(12, 64))
    fig = plots.first_layer_weights(W1, ncols=8)
    tiles = _images(fig)
    assert len(tiles) == 12
    assert sum(not ax.axison for ax in fig.axes) == 4  # the unused cells of the 2 x 8 grid
    np.testing.assert_array_equal(tiles[3].get_images()[0].get_array(), W1[3].reshape(8, 8))
    low, high = tiles[0].get_images()[0].get_clim()
    assert low == -high == -np.abs(W1).max()
    assert fig.axes[-1].get_ylabel() == "weight $W_{kj}$"  # the colour bar
    assert plots.first_layer_weights(W1, label="change").axes[-1].get_ylabel() == "change"
    with pytest.raises(ValueError, match=r"\(hidden, 64\)"):
        plots.first_layer_weights(W1.T)


def test_confusion_matrix_counts_every_pair_of_true_and_predicted_class():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    matrix = plots.confusion_matrix(y_true, y_pred, num_classes=3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert matrix.sum() == len(y_true)
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        plots.confusion_matrix(y_true, y_pred + 1, num_classes=3)
    with pytest.raises(ValueError, match="integer labels"):
        plots.confusion_matrix(y_true, y_pred[:4], num_classes=3)


def test_confusion_matrix_figure_has_a_cell_per_pair_labelled_with_its_count():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    fig = plots.confusion_matrix_figure(y_true, y_pred, num_classes=3)
    ax = fig.axes[0]
    assert ax.get_images()[0].get_array().shape == (3, 3)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and texts == ["1", "1", "", "", "1", "", "1", "", "2"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class $y$"


def test_misclassified_digits_shows_only_the_mistakes_with_their_labels(data):
    x, y = data
    pred = y.copy()
    pred[[2, 7, 11]] = [5, 0, 3]
    probs = np.full((30, 10), 0.05)
    probs[np.arange(30), pred] = 0.55
    fig = plots.misclassified_digits(x, y, pred, probs=probs)
    assert len(_images(fig)) == 3
    assert [ax.get_title() for ax in _images(fig)] == ["2 → 5\np = 0.55", "7 → 0\np = 0.55", "1 → 3\np = 0.55"]
    assert len(_images(plots.misclassified_digits(x, y, pred, max_images=2))) == 2
    assert plots.misclassified_digits(x, y, y).axes[0].texts[0].get_text() == "no mistakes"


def test_layer_gradient_norms_draws_each_layer_per_step_and_its_moving_median():
    history = History(grad_norms={"0.W": list(np.linspace(1.0, 0.1, 50)), "0.b": [1.0] * 50,
                                  "2.W": list(np.linspace(2.0, 0.2, 50)), "2.b": [1.0] * 50})
    fig = plots.layer_gradient_norms(history, window=10)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4  # per step and median, for W1 and W2
    np.testing.assert_allclose(lines[0].get_ydata(), history.grad_norms["0.W"])
    np.testing.assert_allclose(lines[1].get_ydata(), bp.plots.moving_median(history.grad_norms["0.W"], 10))
    assert fig.axes[0].get_yscale() == "log" and "W^{[2]}" in lines[3].get_label()


# ------------------------------------------------------------------ the explorer
def _fake_run(hidden: int, lr: float):
    epochs = widget.DIGITS_EPOCHS
    history = History(epoch_loss=list(np.geomspace(2.0, 0.01 * hidden / 8, epochs)),
                      val_loss=list(np.geomspace(2.0, 0.2, epochs)))
    return None, history, 0.5 + hidden / 1000 + lr / 10


def test_render_draws_the_chosen_runs_losses_beside_the_grid_of_accuracies(monkeypatch):
    monkeypatch.setattr(widget, "digits_run", _fake_run)
    fig = widget.render_digits_training(hidden=32, lr=0.5)
    left, right = fig.axes
    assert [line.get_label() for line in left.get_lines()[:2]] == ["training loss", "test loss"]
    grid = right.get_images()[0].get_array()
    assert grid.shape == (3, 3)
    np.testing.assert_allclose(grid[1, 1], _fake_run(32, 0.5)[2])
    assert len(right.texts) == 9 and right.texts[4].get_text() == f"{_fake_run(32, 0.5)[2]:.1%}"
    (outline,) = right.patches
    assert outline.get_xy() == (0.5, 0.5)  # around the chosen cell (row 1, column 1)
    assert "32 hidden units" in left.get_title()


def test_the_explorer_has_nine_frames_with_alt_text(monkeypatch):
    monkeypatch.setattr(widget, "digits_run", _fake_run)
    explorer = widget.digits_explorer()
    assert explorer.num_frames == 9 and explorer.alt
    assert explorer.static_html().count("data:image/png;base64,") == 9 + 1  # frames + the default


@pytest.mark.slow
def test_a_real_run_learns_and_a_too_large_learning_rate_kills_every_hidden_unit():
    x_train, _, _, _ = bp.data.digits()
    _, history, accuracy = widget.digits_run(8, 0.5)
    assert accuracy > 0.8 and history.epoch_loss[-1] < history.epoch_loss[0] / 4
    model, history, accuracy = widget.digits_run(8, 2.0)
    assert not (model[0](x_train) > 0).any()  # dead ReLUs: off for every image
    assert accuracy == pytest.approx(0.1, abs=0.01)
