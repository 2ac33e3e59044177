"""Chapter 7 explorer: one training run at several learning rates, with and without clipping."""

from __future__ import annotations

from functools import lru_cache

from matplotlib.figure import Figure

from bplib.diagnostics import exploding_experiment
from bplib.plots.gradients import run_grad_norm_curves, run_loss_curves
from bplib.plots.style import new_figure
from bplib.widgets.explorer import Choice, Explorer

STEPS = 150


@lru_cache(maxsize=32)
def _run(lr: float, clip: float | None):
    # The unclipped run at a learning rate is shared by every clipping choice: compute it once.
    return exploding_experiment(lr=lr, clip_norm=clip, steps=STEPS)


def render_clipping(lr: float = 0.3, clip: float | None = None) -> Figure:
    """Loss and gradient norm per step of chapter 7's run at ``lr``, unclipped and clipped.

    clip: the ``max_norm`` of ``clip_grad_norm_``, or None for no clipping.
    """
    runs = {"no clipping": _run(lr, None)}
    if clip is not None:
        runs[f"clipped at {clip:g}"] = _run(lr, clip)
    fig, (left, right) = new_figure(10.0, 3.8, ncols=2, layout="fixed")
    # One legend for both panels (the runs have the same colours), at a named place: "best"
    # would search every frame for the emptiest corner.
    run_loss_curves(runs, title=f"Training loss at learning rate {lr:g}", ax=left, legend_loc=None)
    run_grad_norm_curves(runs, title="Gradient norm before clipping", ax=right, legend_loc=None)
    if clip is not None:
        right.axhline(clip, color="0.3", lw=1.0, ls="--", label=f"threshold {clip:g}")
    right.legend(fontsize=8, loc="center right")
    return fig


def clipping_explorer() -> Explorer:
    """Choices of learning rate x clipping threshold (16 frames)."""
    return Explorer(
        render_clipping,
        [Choice("lr", [0.03, 0.1, 0.3, 1.0], value=0.3, label="learning rate"),
         Choice("clip", [None, 10.0, 1.0, 0.1], value=1.0, label="clip norm at",
                labels=["no clipping", "10", "1", "0.1"])],
        alt="Two panels over 150 training steps of a six-layer tanh network on a sine curve: "
            "the loss (left) and the total gradient norm before clipping (right), both on log "
            "scales, for the chosen learning rate without clipping and with the chosen clipping "
            "threshold. Large learning rates blow up without clipping and stay bounded with it.",
    )
