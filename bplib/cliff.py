"""A loss surface with a cliff: one recurrent unit run for many steps (Pascanu et al. 2013).

The unit is a one-unit ``RNN`` with no input, ``h_t = tanh(w h_{t-1} + b)`` for t = 1..T from a
fixed ``h_0``, and the loss looks at the last state only, ``L = ½ (h_T - y)²``. With ``w > 1`` the
unit has two stable states, one negative and one positive; which one ``h_T`` settles in depends
on ``b``, and near the value of ``b`` where the negative state disappears ``h_T`` jumps from one
to the other within a sliver of ``b``. There the loss falls off a cliff and its gradient, a
product of T factors ``w tanh'(z_t)``, is huge. A gradient step taken at the edge of the cliff
throws the parameters far away, onto a flat plateau; clipping the gradient norm caps that step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bplib import optim
from bplib._validate import as_float_array, check_number, check_positive_int
from bplib.rnn import RNN


@dataclass(frozen=True)
class CliffTask:
    """The sequence task: T steps from h_0, target y for h_T."""

    T: int = 50
    h0: float = -0.6
    y: float = 0.7

    def __post_init__(self):
        check_positive_int(self.T, "T", "CliffTask")
        check_number(self.h0, "h0", "CliffTask")
        check_number(self.y, "y", "CliffTask")


def _check_task(task, where: str) -> None:
    if not isinstance(task, CliffTask):
        raise TypeError(f"{where}: task must be a CliffTask, e.g. CliffTask(T=50), got {type(task).__name__}.")


def one_unit_rnn(w: float, b: float) -> RNN:
    """A one-unit tanh ``RNN`` with recurrent weight ``w``, bias ``b`` and no input weight."""
    w, b = check_number(w, "w", "one_unit_rnn"), check_number(b, "b", "one_unit_rnn")
    rnn = RNN(1, 1, seed=0)
    rnn.W_hh.data[:] = w
    rnn.W_xh.data[:] = 0.0
    rnn.b_h.data[:] = b
    return rnn


def cliff_loss(rnn: RNN, task: CliffTask = CliffTask()) -> float:
    """Run the task forward and backward: returns L and leaves dL/dw, dL/db in ``rnn``'s grads
    (``W_hh.grad``, ``b_h.grad``, shape (1, 1) and (1,)); gradients are zeroed first."""
    if not (isinstance(rnn, RNN) and rnn.input_size == 1 and rnn.hidden_size == 1):
        raise TypeError(f"cliff_loss: rnn must be a one-unit RNN such as one_unit_rnn(w, b), got {rnn!r}.")
    _check_task(task, "cliff_loss")
    return _loss(rnn, task)


def _loss(rnn: RNN, task: CliffTask) -> float:
    x = np.zeros((1, task.T, 1))
    hs = rnn(x, np.full((1, 1), task.h0))
    error = hs[0, -1, 0] - task.y
    dhs = np.zeros_like(hs)
    dhs[0, -1, 0] = error
    rnn.zero_grad()
    rnn.backward(dhs)
    return 0.5 * float(error) ** 2


def step_factors(w: float, b: float, task: CliffTask = CliffTask()) -> np.ndarray:
    """The factors w tanh'(z_t) = w (1 - h_t^2) of the T steps, t = 1..T: shape (T,).

    dh_T/dh_0 is their product, and dh_T/dh_t the product of those after step t.
    """
    _check_task(task, "step_factors")
    rnn = one_unit_rnn(w, b)
    x = np.zeros((1, check_positive_int(task.T, "T", "step_factors"), 1))
    hs = rnn(x, np.full((1, 1), task.h0))[0, :, 0]
    return w * (1.0 - hs ** 2)


def loss_along_b(bs: np.ndarray, w: float = 1.5, task: CliffTask = CliffTask()
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The loss and dL/db at each bias in ``bs`` (M,) for a fixed w: two arrays (M,)."""
    _check_task(task, "loss_along_b")
    bs = _grid(bs, "bs", "loss_along_b")
    losses, slopes = [], []
    for b in bs:
        rnn = one_unit_rnn(w, b)
        losses.append(_loss(rnn, task))
        slopes.append(float(rnn.b_h.grad[0]))
    return np.array(losses), np.array(slopes)


def loss_surface(ws: np.ndarray, bs: np.ndarray, task: CliffTask = CliffTask()) -> np.ndarray:
    """L(w, b) on a grid: (len(bs), len(ws)), rows along b."""
    _check_task(task, "loss_surface")
    ws, bs = _grid(ws, "ws", "loss_surface"), _grid(bs, "bs", "loss_surface")
    return np.array([[_loss(one_unit_rnn(w, b), task) for w in ws] for b in bs])


def _grid(values, name: str, where: str) -> np.ndarray:
    values = as_float_array(values, name, where)
    if values.ndim != 1:
        raise ValueError(f"{where}: {name} must be a 1-D array of values, e.g. np.linspace(-1, 1, 101), "
                         f"got shape {values.shape}.")
    return values


@dataclass
class CliffRun:
    """A training run on the cliff task: per step the loss, ||g|| before clipping and the length
    of the update (steps,); ``path`` (steps + 1, 2) holds (w, b) before every step and at the end."""

    loss: np.ndarray
    grad_norm: np.ndarray
    step_length: np.ndarray
    path: np.ndarray


def cliff_training(lr: float = 0.1, steps: int = 300, clip_norm: float | None = None,
                   w: float = 1.5, b: float = 0.0, task: CliffTask = CliffTask()) -> CliffRun:
    """Plain gradient descent on (w, b) from the given start, optionally clipping ||g|| to
    ``clip_norm`` before each step (``bp.optim.clip_grad_norm_``)."""
    _check_task(task, "cliff_training")
    rnn = one_unit_rnn(w, b)
    params = [rnn.W_hh, rnn.b_h]
    optimizer = optim.SGD(params, lr=lr)
    losses, norms, lengths, path = [], [], [], [(w, b)]
    for _ in range(check_positive_int(steps, "steps", "cliff_training")):
        losses.append(_loss(rnn, task))
        norms.append(float(np.sqrt(sum(np.sum(p.grad ** 2) for p in params))))
        if clip_norm is not None:
            optim.clip_grad_norm_(params, clip_norm)
        optimizer.step()
        path.append((float(rnn.W_hh.data[0, 0]), float(rnn.b_h.data[0])))
        lengths.append(float(np.hypot(*np.subtract(path[-1], path[-2]))))
    return CliffRun(np.array(losses), np.array(norms), np.array(lengths), np.array(path))
