"""bplib: backpropagation by hand, in numpy.

``import bplib as bp`` gives the modules (``bp.functional``, ``bp.layers``, ``bp.init``,
``bp.optim``, ``bp.gradcheck``, ...) and the public classes at the top level (``bp.Linear``,
``bp.MLP``, ``bp.Value``, ``bp.RNN``, ``bp.fit``, ...). Modules load on first use, so
``import bplib`` stays quick.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_MODULES = (
    "algorithm", "autodiff", "chain", "cliff", "course", "curvature", "data", "diagnostics", "functional",
    "gates", "gradcheck", "history", "init", "layers", "neuron", "optim", "plots", "regularization", "rnn",
    "train", "widgets",
)

# public name -> module that defines it
_EXPORTS = {
    **{name: "bplib.layers" for name in (
        "Parameter", "Module", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Sequential", "MLP",
        "BatchNorm1d", "Residual", "MSELoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
        "Checkpointed",
    )},
    "Value": "bplib.autodiff",
    "Dual": "bplib.autodiff",
    "RNN": "bplib.rnn",
    "fit": "bplib.train",
    "History": "bplib.train",
}

__all__ = [*_MODULES, *_EXPORTS]


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"bplib.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bplib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
