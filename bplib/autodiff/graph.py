"""A snapshot of the computational graph behind a ``Value``: nodes, edges, values and grads."""

from __future__ import annotations

from dataclasses import dataclass

from bplib.autodiff.scalar import Value, topological_order


@dataclass(frozen=True)
class TraceNode:
    """One node of a traced graph; ``index`` is its position in topological order."""

    index: int
    label: str
    op: str
    data: float
    grad: float


@dataclass(frozen=True)
class GraphTrace:
    """Nodes (inputs before outputs) and edges ``(input index, output index)`` of a graph."""

    nodes: list[TraceNode]
    edges: list[tuple[int, int]]

    @property
    def root(self) -> TraceNode:
        return self.nodes[-1]


def trace(root: Value) -> GraphTrace:
    """Snapshot of the graph behind ``root``: values, grads, op names and edges, for drawing."""
    if not isinstance(root, Value):
        raise TypeError(f"trace: expected a Value, got {type(root).__name__}.")
    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    nodes = [TraceNode(i, n.label, n._op, n.data, n.grad) for i, n in enumerate(order)]
    edges = [(index[id(inp)], i) for i, n in enumerate(order) for inp in n._inputs]
    return GraphTrace(nodes, edges)
