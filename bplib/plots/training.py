"""Figures of training: loss curves, decision boundaries, gradient norms, the 1986 experiments."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from bplib.plots.style import BLACK, BLUE, COLORS, GREEN, ORANGE, VERMILION, new_figure

__all__ = ["loss_curves", "decision_boundary", "gradient_norms", "gradient_norm_ratio",
           "moving_median", "boundary_and_loss", "sweeps_histogram", "symmetry_weights"]


def _as_dict(histories) -> dict:
    histories = histories if isinstance(histories, dict) else {"training": histories}
    for label, h in histories.items():
        if not hasattr(h, "epoch_loss"):
            raise TypeError(f"expected a History (what bp.fit returns) or a dict {{label: History}}, "
                            f"got {type(h).__name__} for {label!r}.")
    return histories


def loss_curves(histories, per: str = "epoch", log: bool = True, title: str = "Training loss",
                ax=None, xlabel: str | None = None, ylabel: str = "loss $L$") -> Figure:
    """Loss against epoch (or step) for one History or a dict {label: History}."""
    if per not in ("epoch", "step"):
        raise ValueError(f"loss_curves: per must be 'epoch' or 'step', got {per!r}.")
    fig, ax = (ax.figure, ax) if ax is not None else new_figure(6, 4)
    for i, (label, history) in enumerate(_as_dict(histories).items()):
        values = history.epoch_loss if per == "epoch" else history.step_loss
        ax.plot(np.arange(1, len(values) + 1), values, color=COLORS[i % len(COLORS)], label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel or per)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(_as_dict(histories)) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return fig


def _grid(x: np.ndarray, resolution: int, margin: float = 0.25):
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = margin * (hi - lo)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def _predicted_class(model, points: np.ndarray, logits: bool) -> np.ndarray:
    out = model(points)
    if out.shape[1] == 1:
        return (out[:, 0] > (0.0 if logits else 0.5)).astype(int)
    return np.argmax(out, axis=1)


def decision_boundary(model, x, y, logits: bool = False, resolution: int = 120,
                      title: str = "Decision regions", ax=None) -> Figure:
    """The class the model predicts at every point of the plane, with the data on top.

    x: (N, 2) inputs, y: (N,) class labels. One output is read as a probability (threshold
    0.5, or 0 with ``logits=True``); several outputs by their largest entry.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y).reshape(-1).astype(int)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_boundary: x must have shape (N, 2) to draw in the plane, "
                         f"got {x.shape}.")
    fig, ax = (ax.figure, ax) if ax is not None else new_figure(5, 4.5)
    gx, gy, points = _grid(x, resolution)
    was_training = getattr(model, "training", True)
    if hasattr(model, "eval"):
        model.eval()
    with np.errstate(over="ignore", invalid="ignore"):
        regions = _predicted_class(model, points, logits).reshape(gx.shape)
    if hasattr(model, "train"):
        model.train(was_training)
    k = max(int(y.max()) + 1, int(regions.max()) + 1, 2)
    cmap = ListedColormap(COLORS[:k])
    ax.contourf(gx, gy, regions, levels=np.arange(-0.5, k), cmap=cmap, alpha=0.25)
    for c in range(k):
        ax.scatter(*x[y == c].T, s=18, color=COLORS[c], edgecolor="white", linewidth=0.5,
                   label=f"class {c}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def boundary_and_loss(model, x, y, history, epoch: int, logits: bool = False) -> Figure:
    """Left: decision regions of ``model`` (already at ``epoch``); right: the loss curve, marked."""
    fig, (left, right) = new_figure(10, 4, ncols=2, layout="fixed", margins={"left": 0.6}, wspace=0.2)
    acc = history.accuracy[epoch - 1] if epoch >= 1 and history.accuracy else None
    label = f"epoch {epoch}" + (f", accuracy {acc:.0%}" if acc is not None else "")
    decision_boundary(model, x, y, logits=logits, title=f"Decision regions ({label})", ax=left)
    loss_curves(history, ax=right, title="Training loss")
    if epoch >= 1:
        right.plot([epoch], [history.epoch_loss[epoch - 1]], "o", color=VERMILION, ms=8)
    return fig


def gradient_norms(history, log: bool = True, title: str = "Gradient norm of each parameter",
                   ax=None, xlabel: str = "step") -> Figure:
    """The L2 norm of every parameter's gradient at every step of a History."""
    fig, ax = (ax.figure, ax) if ax is not None else new_figure(6, 4)
    for i, (name, values) in enumerate(history.grad_norms.items()):
        style = "-" if name.endswith("W") else "--"
        ax.plot(np.arange(1, len(values) + 1), values, style, color=COLORS[(i // 2) % 8],
                label=f"$\\|\\partial L/\\partial\\,${name}$\\|$")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("gradient norm")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def moving_median(values, window: int) -> np.ndarray:
    """Median of each run of ``window`` consecutive values: (steps,) -> (steps - window + 1,)."""
    values = np.asarray(values, dtype=float)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"moving_median: window must be a whole number of steps >= 1, "
                         f"got {window!r}.")
    if window > len(values):
        raise ValueError(f"moving_median: window {window} is longer than the {len(values)} "
                         f"values given.")
    return np.median(np.lib.stride_tricks.sliding_window_view(values, window), axis=1)


def gradient_norm_ratio(history, first: str = "0.W", second: str = "2.W", window: int = 10,
                        labels: tuple[str, str] | None = None,
                        title: str = "Gradient norms of two layers") -> Figure:
    """Left: two parameters' gradient norms per step (faint) and their moving median (bold);
    right: their ratio ``first / second`` per step, its moving median, and its overall median.

    history: a History from ``fit``; first, second: parameter names from ``named_parameters()``;
    window: steps per median (10 = one epoch of 200 examples in batches of 20). Log scales.
    """
    a, b = history.grad_norm_array(first), history.grad_norm_array(second)
    labels = labels or (first, second)
    steps = np.arange(1, len(a) + 1)
    middle = steps[window // 2: window // 2 + len(a) - window + 1]
    fig, (left, right) = new_figure(10, 4, ncols=2)
    for values, label, color in ((a, labels[0], BLUE), (b, labels[1], ORANGE)):
        left.plot(steps, values, color=color, lw=0.6, alpha=0.35)
        left.plot(middle, moving_median(values, window), color=color, lw=2,
                  label=f"{label}, median of {window} steps")
    ratio = a / b
    right.plot(steps, ratio, color=GREEN, lw=0.6, alpha=0.35)
    right.plot(middle, moving_median(ratio, window), color=GREEN, lw=2,
               label=f"median of {window} steps")
    right.axhline(1.0, color=BLACK, lw=1, ls=":", label="equal size")
    right.axhline(np.median(ratio), color=VERMILION, lw=1.5, ls="--",
                  label=f"median of all steps: {np.median(ratio):.2f}")
    left.set(yscale="log", xlabel="step $t$", ylabel="gradient norm (log scale)",
             title="Each layer's weight gradient")
    right.set(yscale="log", xlabel="step $t$", ylabel=f"{labels[0]} / {labels[1]} (log scale)",
              title="Their ratio")
    # ticks at powers of two, written 0.5, 1, 2 rather than 5×10⁻¹, 10⁰, 2×10⁰
    right.yaxis.set_major_locator(LogLocator(base=2))
    right.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    right.yaxis.set_minor_formatter(NullFormatter())
    for ax in (left, right):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


# ------------------------------------------------------------------ the 1986 experiments


def sweeps_histogram(sweeps, paper: int | None = 1425, unsolved: int = 0, bins: int = 20,
                     title: str = "Sweeps needed to learn symmetry") -> Figure:
    """Histogram of sweeps-to-solve over random starts, with the paper's single number marked."""
    sweeps = np.asarray(sweeps)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"sweeps_histogram: bins must be a whole number >= 1, got {bins!r}.")
    if sweeps.size == 0:
        raise ValueError("sweeps_histogram: sweeps is empty; pass the sweeps of the solved runs "
                         "(result.sweeps[result.sweeps >= 0]).")
    fig, ax = new_figure(6.5, 4)
    edges = np.geomspace(max(sweeps.min() * 0.9, 1), sweeps.max() * 1.1, bins + 1)
    ax.hist(sweeps, bins=edges, color=BLUE, alpha=0.8, edgecolor="white",
            label=f"our runs ({len(sweeps)} solved" + (f", {unsolved} not" if unsolved else "")
            + ")")
    ax.axvline(np.median(sweeps), color=ORANGE, lw=2, label=f"our median {np.median(sweeps):,.0f}")
    if paper is not None:
        ax.axvline(paper, color=VERMILION, lw=2, ls="--", label=f"paper (1986): {paper:,}")
    ax.set_xscale("log")
    ax.set_xlabel("sweeps through the 64 patterns (log scale)")
    ax.set_ylabel("number of runs")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def symmetry_weights(W1, b1, W2, b2, title: str = "Learned weights of the 6-2-1 network") -> Figure:
    """Bars of each hidden unit's input weights (left half blue, right half orange), with biases."""
    W1, b1 = np.asarray(W1), np.asarray(b1)
    H, D = W1.shape
    fig, axes = new_figure(4 * H, 3.6, ncols=H, sharey=True, layout="fixed",
                           margins={"top": 0.6, "left": 0.7}, wspace=0.1)
    axes = np.atleast_1d(axes)
    positions = np.arange(1, D + 1)
    for j, ax in enumerate(axes):
        colors = [BLUE if i < D // 2 else ORANGE for i in range(D)]
        ax.bar(positions, W1[j], color=colors)
        for i, w in enumerate(W1[j]):
            ax.annotate(f"{w:.1f}", (positions[i], w), ha="center", fontsize=8,
                        va="bottom" if w >= 0 else "top", xytext=(0, 2 if w >= 0 else -2),
                        textcoords="offset points")
        ax.axhline(0, color=BLACK, lw=0.8)
        ax.set_xticks(positions)
        ax.set_xlabel("input position $i$")
        ax.set_title(f"hidden unit {j + 1}: bias {b1[j]:.1f}, "
                     f"to output {np.asarray(W2).ravel()[j]:.1f}", fontsize=9)
    axes[0].set_ylabel("weight $w_{ji}$")
    limit = 1.25 * max(float(np.max(np.abs(W1))), 1e-3)
    axes[0].set_ylim(-limit, limit)
    fig.suptitle(f"{title}; output bias {np.asarray(b2).ravel()[0]:.1f}")
    return fig
