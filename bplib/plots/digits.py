"""Figures of the capstone: digit images, first-layer weights as images, the confusion matrix,
the digits a network gets wrong, and the gradient norm of each layer during training."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from bplib.plots.style import BLUE, VERMILION, new_figure
from bplib.plots.training import moving_median

__all__ = ["digit_examples", "first_layer_weights", "confusion_matrix", "confusion_matrix_figure",
           "misclassified_digits", "layer_gradient_norms"]

SIDE = 8  # the digits are 8 × 8 images


def _images(x, where: str) -> np.ndarray:
    """x (N, 64) -> (N, 8, 8), or a ValueError naming the shape that was given."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != SIDE * SIDE:
        raise ValueError(f"{where}: expected images as rows of {SIDE * SIDE} pixels, shape (N, 64), "
                         f"got shape {x.shape}.")
    return x.reshape(len(x), SIDE, SIDE)


def _labels(y, n: int, name: str, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise ValueError(f"{where}: {name} must hold {n} integer labels, shape ({n},), got "
                         f"shape {y.shape} of dtype {y.dtype}.")
    return y


def _tile_grid(count: int, ncols: int, width: float, title: str):
    """A figure of ``count`` image axes in rows of ``ncols`` (extra cells switched off)."""
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a whole number >= 1 (images per row), got {ncols!r}.")
    nrows = max(1, math.ceil(count / ncols))
    fig, axes = new_figure(width, width / ncols * nrows * 1.15 + 0.5, nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= count:
            ax.set_axis_off()
    fig.suptitle(title)
    return fig, list(axes.flat)[:count]


def digit_examples(x, y, per_class: int = 2, title: str = "Handwritten digits, 8 × 8 pixels") -> Figure:
    """The first ``per_class`` images of each class: one column per digit 0-9, pixels dark = ink.

    x: (N, 64) pixels in [0, 1]; y: (N,) labels.
    """
    images = _images(x, "digit_examples")
    y = _labels(y, len(images), "y", "digit_examples")
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise ValueError(f"digit_examples: per_class must be a whole number >= 1 (images per digit), "
                         f"got {per_class!r}.")
    classes = np.unique(y)
    fig, axes = _tile_grid(per_class * len(classes), len(classes), 7.0, title)
    for c_index, c in enumerate(classes):
        members = np.flatnonzero(y == c)[:per_class]
        for row, i in enumerate(members):
            ax = axes[row * len(classes) + c_index]
            ax.imshow(images[i], cmap="Greys", vmin=0, vmax=1)
            if row == 0:
                ax.set_title(f"y = {c}", fontsize=9)
    return fig


def first_layer_weights(W1, ncols: int = 8,
                        title: str = "First-layer weights $W^{[1]}$, one 8 × 8 image per hidden unit",
                        label: str = "weight $W_{kj}$") -> Figure:
    """Row k of W1 (hidden, 64) drawn as the 8 × 8 image unit k responds to; one colour scale,
    symmetric around 0 (orange: positive weight, purple: negative); ``label`` names the scale."""
    W1 = np.asarray(W1, dtype=float)
    if W1.ndim != 2 or W1.shape[1] != SIDE * SIDE:
        raise ValueError(f"first_layer_weights: W1 must have shape (hidden, 64), got {W1.shape}.")
    images = W1.reshape(len(W1), SIDE, SIDE)
    limit = float(np.abs(W1).max()) or 1.0
    fig, axes = _tile_grid(len(images), ncols, 7.0, title)
    for k, (ax, image) in enumerate(zip(axes, images)):
        mappable = ax.imshow(image, cmap="PuOr_r", vmin=-limit, vmax=limit)
        ax.set_title(f"{k}", fontsize=7, pad=2)
    bar = fig.colorbar(mappable, ax=fig.axes, shrink=0.6, pad=0.02)
    bar.set_label(label)
    return fig


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> np.ndarray:
    """Counts ``M[i, j]`` of examples of class i predicted as class j; (C, C) integers."""
    y_true = np.asarray(y_true)
    y_pred = _labels(y_pred, len(y_true), "y_pred", "confusion_matrix")
    y_true = _labels(y_true, len(y_true), "y_true", "confusion_matrix")
    if len(y_true) and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= num_classes):
        raise ValueError(f"confusion_matrix: labels must lie in 0..{num_classes - 1}.")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def confusion_matrix_figure(y_true, y_pred, num_classes: int = 10,
                            title: str = "Confusion matrix on the test set") -> Figure:
    """The confusion matrix as a grid of cells, each labelled with its count (0 left blank)."""
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    fig, ax = new_figure(5.2, 4.6)
    # log-like scale: the diagonal holds tens, the mistakes ones; sqrt keeps both visible
    ax.imshow(np.sqrt(matrix), cmap="Blues")
    threshold = np.sqrt(matrix.max()) / 2
    for i in range(num_classes):
        for j in range(num_classes):
            ax.text(j, i, str(matrix[i, j]) if matrix[i, j] else "", ha="center", va="center", fontsize=8,
                    color="white" if np.sqrt(matrix[i, j]) > threshold else "black")
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class $y$")
    ax.set_title(title)
    return fig


def misclassified_digits(x, y_true, y_pred, probs=None, max_images: int = 16, ncols: int = 8,
                         title: str = "Test digits the network gets wrong") -> Figure:
    """The first ``max_images`` wrongly classified images, each titled 'y → guess' (and p of the guess).

    x: (N, 64); y_true, y_pred: (N,) labels; probs: (N, C) softmax outputs, optional.
    """
    images = _images(x, "misclassified_digits")
    y_true = _labels(y_true, len(images), "y_true", "misclassified_digits")
    y_pred = _labels(y_pred, len(images), "y_pred", "misclassified_digits")
    wrong = np.flatnonzero(y_true != y_pred)[:max_images]
    if len(wrong) == 0:
        fig, ax = new_figure(4, 1.5)
        ax.set_axis_off()
        ax.set_title(title)
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center")
        return fig
    fig, axes = _tile_grid(len(wrong), min(ncols, len(wrong)), 7.0, title)
    for ax, i in zip(axes, wrong):
        ax.imshow(images[i], cmap="Greys", vmin=0, vmax=1)
        label = f"{y_true[i]} → {y_pred[i]}"
        if probs is not None:
            label += f"\np = {np.asarray(probs)[i, y_pred[i]]:.2f}"
        ax.set_title(label, fontsize=8, color=VERMILION)
    return fig


def layer_gradient_norms(history, names: dict[str, str] | None = None, window: int = 45,
                         title: str = "Gradient norm of each layer's weights during training") -> Figure:
    """Per-step ``‖∂L/∂W‖`` of each named weight of a ``fit`` History (faint) and its moving median
    over ``window`` steps (bold), on a log scale. names: parameter name -> label in the legend."""
    names = names or {"0.W": "$W^{[1]}$", "2.W": "$W^{[2]}$"}
    fig, ax = new_figure(6.5, 4)
    for color, (name, label) in zip((BLUE, VERMILION), names.items()):
        values = history.grad_norm_array(name)
        steps = np.arange(1, len(values) + 1)
        ax.plot(steps, values, color=color, alpha=0.25, linewidth=0.8)
        w = min(window, len(values))
        ax.plot(steps[w - 1:], moving_median(values, w), color=color, linewidth=2,
                label=f"{label} (median of {w} steps)")
    ax.set_yscale("log")
    ax.set_xlabel("step $t$ (one mini-batch each)")
    ax.set_ylabel("gradient norm $\\|\\partial L/\\partial W\\|$")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig
