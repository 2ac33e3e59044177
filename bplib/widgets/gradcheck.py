"""Gradient-checking explorer: move log10(h) along the U-curve of a finite difference's error."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure

from bplib.gradcheck import StepSweep, step_sweep
from bplib.plots.gradcheck import step_sweep_figure
from bplib.widgets.explorer import Choice, Explorer, Slider

# The functions of the explorer: name -> (f, f', the point x at which the derivative is checked).
FUNCTIONS = {
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2, 0.5),
    "exp": (np.exp, np.exp, 1.0),
}
SWEEP_HS = np.logspace(-1, -12, 45)  # four steps per decade


@lru_cache(maxsize=16)
def sweeps_for(function: str = "tanh", dtype: str = "float64") -> tuple[StepSweep, StepSweep]:
    """Central and one-sided sweeps over ``SWEEP_HS`` of ``function`` computed in ``dtype``."""
    if function not in FUNCTIONS:
        raise ValueError(f"sweeps_for: function must be one of {sorted(FUNCTIONS)}, got {function!r}.")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"sweeps_for: dtype must be 'float64' or 'float32', got {dtype!r}.")
    f, df, x0 = FUNCTIONS[function]
    x = np.array([x0], dtype=dtype)  # f computes in x's precision: float32 in, float32 out
    exact = df(x.astype(np.float64))
    return tuple(step_sweep(lambda: f(x[0]), x, exact, SWEEP_HS, method) for method in ("central", "forward"))


def render_step_sweep(function: str = "tanh", dtype: str = "float64", log_h: float = -5.0) -> Figure:
    """Both U-curves of ``function`` in ``dtype``, with the errors at h = 10**log_h marked."""
    _, _, x0 = FUNCTIONS.get(function, (None, None, 0.0))
    return step_sweep_figure(list(sweeps_for(function, dtype)), h=10.0 ** log_h, layout="fixed",
                             title=f"d/dx {function}(x) at x = {x0:g} in {dtype}")


def step_explorer() -> Explorer:
    """Precision x log10(h) for tanh at 0.5 (2 x 12 = 24 frames)."""
    return Explorer(
        render_step_sweep,
        [Choice("dtype", ["float64", "float32"], value="float64", label="precision"),
         Slider("log_h", -12.0, -1.0, 1.0, value=-5.0, label="log10(h)", fmt="{:.0f}")],
        alt="Log-log plot of the relative error of a finite-difference derivative against the step h, "
            "of tanh at x = 0.5, for the central difference and the one-sided difference. Each curve is U-shaped: "
            "truncation error falls as h shrinks on the right, round-off error grows as h shrinks on "
            "the left. A dashed line marks the chosen h with both errors; in float32 the bottom of the "
            "U is higher and further right.",
    )
