"""Shared look of every bplib figure: a colour-blind-safe palette and a figure factory."""

from __future__ import annotations

from matplotlib.figure import Figure

# Okabe & Ito (2008), safe for the common forms of colour blindness.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, BLACK = COLORS

# Margins in inches for layout="fixed": room for tick labels, an axis label and a title.
_MARGINS = {"left": 0.8, "right": 0.2, "bottom": 0.6, "top": 0.45}


def new_figure(width: float = 6.0, height: float = 4.0, nrows: int = 1, ncols: int = 1,
               layout: str = "constrained", **kwargs):
    """A pyplot-free Figure and its axes (one Axes, or an array of them for a grid).

    layout: 'constrained' fits labels exactly (about 0.1 s more per draw); 'fixed' uses set margins
    and draws about twice as fast, which keeps explorers responsive.
    """
    if layout not in ("constrained", "fixed"):
        raise ValueError(f"new_figure: layout must be 'constrained' or 'fixed', got {layout!r}.")
    fig = Figure(figsize=(width, height), layout="constrained" if layout == "constrained" else None)
    axes = fig.subplots(nrows, ncols, **kwargs)
    if layout == "fixed":
        fig.subplots_adjust(left=_MARGINS["left"] / width, right=1 - _MARGINS["right"] / width,
                            bottom=_MARGINS["bottom"] / height, top=1 - _MARGINS["top"] / height,
                            wspace=0.3, hspace=0.5)
    return fig, axes
