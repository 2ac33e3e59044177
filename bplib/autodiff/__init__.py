"""Scalar automatic differentiation: reverse mode (``Value``), forward mode (``Dual``), the
Jacobian by either mode with its pass count, graph traces for drawing, a ``Value``-based MLP, and
(in ``bplib.autodiff.memory``) what reverse mode keeps in memory."""

from bplib.autodiff.graph import GraphTrace, TraceNode, trace
from bplib.autodiff.jacobian import jacobian_forward, jacobian_reverse
from bplib.autodiff.memory import cache_memory, checkpoint_costs
from bplib.autodiff.mlp import ScalarMLP
from bplib.autodiff.scalar import Dual, Value, topological_order

__all__ = ["Dual", "GraphTrace", "ScalarMLP", "TraceNode", "Value", "cache_memory", "checkpoint_costs",
           "jacobian_forward", "jacobian_reverse", "topological_order", "trace"]
