"""Chapter 11 explorer: the gradient in time against the spectral radius of W_hh and the length."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, LogFormatter, NullLocator

from bplib.plots.rnn import eigenvalues_figure, gradient_norms_in_time
from bplib.plots.style import new_figure
from bplib.rnn import RNN
from bplib.widgets.explorer import Choice, Explorer, Slider

HIDDEN = 32
INPUT_SCALE = 0.1  # small inputs keep tanh near its linear range until the state grows by itself
Y_RANGE = (1e-32, 1e20)


def gradient_in_time(rho: float, length: int, seed: int = 0) -> tuple[np.ndarray, RNN]:
    """``||dL/dh_t||`` (length,) for a tanh RNN whose W_hh is ``rho`` times an orthogonal matrix.

    The loss looks at the last state only, so every step's gradient comes through the recurrence.
    """
    rng = np.random.default_rng(seed)
    rnn = RNN(1, HIDDEN, rng=rng)
    q, _ = np.linalg.qr(rng.standard_normal((HIDDEN, HIDDEN)))
    rnn.W_hh.data[...] = rho * q  # every eigenvalue has modulus rho: the radius is exactly rho
    rnn.b_h.data[...] = 0.0
    hs = rnn(INPUT_SCALE * rng.standard_normal((8, length, 1)))
    dhs = np.zeros_like(hs)
    dhs[:, -1] = 1.0 / np.sqrt(dhs[:, -1].size)  # ||dL/dh_T|| = 1
    rnn.backward(dhs, record_norms=True)
    return rnn.grad_norms, rnn


def render_gradient_in_time(rho: float = 0.875, length: int = 50) -> Figure:
    """Eigenvalues of W_hh (left) and ||dL/dh_t|| over t with the prediction rho^(T-t) (right)."""
    norms, rnn = gradient_in_time(rho, length)
    fig, (left, right) = new_figure(9.0, 3.8, ncols=2, layout="fixed",
                                    gridspec_kw={"width_ratios": [1, 1.9]})
    # plain-text titles with numbers: mathtext would be typeset anew for every frame
    eigenvalues_figure(rnn.W_hh.data, ax=left,
                       title=f"eigenvalues of W_hh, ρ = {rho:.3f}\n(grey: unit circle)")
    prediction = rho ** (length - np.arange(1, length + 1.0))
    gradient_norms_in_time(
        {"tanh RNN, loss at the last step": norms},
        references={r"$\rho^{T-t}$ (linear prediction)": np.clip(prediction, *Y_RANGE)},
        title=f"T = {length}:  ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ = {norms[0] / norms[-1]:.1e}",
        ax=right, ylim=Y_RANGE)
    # few, plain-text tick labels (1e-08, not typeset powers): quicker frames
    right.yaxis.set_major_locator(FixedLocator([1e-30, 1e-20, 1e-10, 1.0, 1e10, 1e20]))
    right.yaxis.set_minor_locator(NullLocator())
    right.yaxis.set_major_formatter(LogFormatter())
    return fig


def bptt_explorer() -> Explorer:
    """Spectral radius (9 values) x sequence length (3 options): 27 frames."""
    return Explorer(
        render_gradient_in_time,
        [Slider("rho", 0.5, 1.5, 0.125, value=0.875, label="spectral radius ρ of W_hh"),
         Choice("length", [20, 50, 100], value=50, label="sequence length T")],
        alt="Left: the eigenvalues of the recurrent matrix W_hh on a circle of the chosen radius "
            "rho, with the unit circle. Right: the norm of the gradient of the loss with respect "
            "to each hidden state h_t, on a log scale, against the time step t, with the straight "
            "line rho to the power T minus t. Below radius 1 the gradient falls exponentially "
            "towards the first step; above 1 it grows until the tanh units saturate.",
    )
