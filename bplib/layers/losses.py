"""Loss modules: ``loss = fn(pred, target)`` then ``dpred = fn.backward()``.

They wrap the pure functions in ``bplib.functional`` and remember the gradient so that the
training loop reads like PyTorch's: forward, loss, backward, step.
"""

from __future__ import annotations

import numpy as np

from bplib import functional as F
from bplib._validate import check_reduction


class Loss:
    """Base class: calls ``_function(pred, target, reduction)`` and keeps ``dpred`` for backward."""

    _function = staticmethod(F.mse)

    def __init__(self, reduction: str = "mean"):
        self.reduction = check_reduction(reduction, type(self).__name__)
        self._inputs = None
        self._dpred = None

    def __call__(self, pred, target):
        """pred, target -> loss (a float, or per-element array for reduction='none')."""
        loss, self._dpred = self._function(pred, target, self.reduction)
        self._inputs = (pred, target)
        return loss

    def backward(self, dloss=None) -> np.ndarray:
        """dL/d(pred), the shape of pred. With reduction='none', ``dloss`` weights each element."""
        if self._inputs is None:
            raise RuntimeError(f"{type(self).__name__}.backward() was called before computing the loss.")
        if dloss is None:
            return self._dpred
        if self.reduction != "none":
            return self._dpred * float(dloss)
        return self._function(*self._inputs, self.reduction, dloss)[1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(Loss):
    """Mean squared error over all elements: pred, target of equal shape."""

    _function = staticmethod(F.mse)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy: logits (N, C), integer labels (N,); mean over the batch."""

    _function = staticmethod(F.softmax_cross_entropy)


class BCELoss(Loss):
    """Binary cross-entropy of probabilities in [0, 1] (put a Sigmoid before it)."""

    _function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits, stable for any value."""

    _function = staticmethod(F.binary_cross_entropy_with_logits)
