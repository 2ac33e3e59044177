"""Layers as modules with ``forward``/``backward``, containers, and loss modules."""

from bplib.layers.activations import LeakyReLU, ReLU, Sigmoid, Tanh, make_activation
from bplib.layers.containers import MLP, Sequential
from bplib.layers.linear import Linear
from bplib.layers.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from bplib.layers.module import Module, Parameter

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "LeakyReLU", "Linear", "Loss", "MLP",
    "MSELoss", "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "Tanh", "make_activation",
]
