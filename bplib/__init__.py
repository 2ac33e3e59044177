"""bplib: backpropagation by hand, in numpy.

``import bplib as bp`` gives the modules (``bp.functional``, ``bp.layers``, ``bp.init``,
``bp.gradcheck``, ``bp.algorithm``, ...) and the public classes at the top level.
"""

from bplib import algorithm, functional, gradcheck, init, layers
from bplib.layers import (
    MLP,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    LeakyReLU,
    Linear,
    Module,
    MSELoss,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)

__version__ = "0.1.0"

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "LeakyReLU", "Linear", "MLP", "MSELoss",
    "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "Tanh", "algorithm", "functional",
    "gradcheck", "init", "layers",
]
