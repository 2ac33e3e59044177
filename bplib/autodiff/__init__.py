"""Scalar automatic differentiation: reverse mode (``Value``), forward mode (``Dual``), the
Jacobian by either mode with its pass count, graph traces for drawing, and a ``Value``-based MLP."""

from bplib.autodiff.graph import GraphTrace, TraceNode, trace
from bplib.autodiff.jacobian import jacobian_forward, jacobian_reverse
from bplib.autodiff.mlp import ScalarMLP
from bplib.autodiff.scalar import Dual, Value, topological_order

__all__ = ["Dual", "GraphTrace", "ScalarMLP", "TraceNode", "Value", "jacobian_forward", "jacobian_reverse",
           "topological_order", "trace"]
