"""Layers as modules with ``forward``/``backward``, containers, and loss modules."""

from bplib.layers.activations import LeakyReLU, ReLU, Sigmoid, Tanh, make_activation
from bplib.layers.checkpoint import Checkpointed
from bplib.layers.containers import MLP, Sequential
from bplib.layers.linear import Linear
from bplib.layers.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from bplib.layers.memory import cache_bytes, clear_caches
from bplib.layers.module import Module, Parameter
from bplib.layers.normalization import BatchNorm1d
from bplib.layers.residual import Residual

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "Checkpointed", "CrossEntropyLoss", "LeakyReLU",
    "Linear", "Loss", "MLP", "MSELoss", "Module", "Parameter", "ReLU", "Residual", "Sequential",
    "Sigmoid", "Tanh", "cache_bytes", "clear_caches", "make_activation",
]
