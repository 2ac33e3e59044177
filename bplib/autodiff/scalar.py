"""Scalar automatic differentiation: reverse mode (``Value``) and forward mode (``Dual``).

Every operation is written once, as a small function returning its result *and* its local
derivative(s); ``Value`` records that local derivative on the node it creates (for the backward
pass), ``Dual`` multiplies it into the tangent straight away (forward mode).

Problem inputs raise ``ValueError`` with a sentence instead of producing a silent NaN or inf:
``log`` and ``**`` outside their domain, division by zero, and results or derivatives too large
for float64 (``exp(x)`` for x above about 709.78 overflows; ``sigmoid`` and ``tanh`` never do).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Sequence
from numbers import Real

_isfinite = math.isfinite


def _number(x, where: str) -> float:
    if type(x) is float:  # the common case, checked first: this runs for every operation
        return x
    if isinstance(x, Real):
        return float(x)
    raise TypeError(f"{where}: expected a number, got {type(x).__name__} {x!r}. A Value holds one "
                    "number; for arrays use bplib.layers or bplib.functional.")


# Primitives: each returns the result and then its local derivative with respect to each input.

def _add(a: float, b: float) -> tuple[float, float, float]:
    return a + b, 1.0, 1.0


def _sub(a: float, b: float) -> tuple[float, float, float]:
    return a - b, 1.0, -1.0


def _mul(a: float, b: float) -> tuple[float, float, float]:
    return a * b, b, a


def _div(a: float, b: float) -> tuple[float, float, float]:
    if b == 0:
        raise ValueError(f"division by zero in {a:g} / {b:g}: the denominator must not be 0.")
    return a / b, 1.0 / b, -a / (b * b)


def _pow(a: float, n: float) -> tuple[float, float, float]:
    """``a ** n``: derivatives ``n a^(n-1)`` and ``a^n ln a`` (the latter only used when a > 0)."""
    if a < 0 and n != int(n):
        raise ValueError(f"({a:g}) ** {n:g} is not a real number: a negative base needs "
                         "a whole-number exponent.")
    if a == 0 and n < 0:
        raise ValueError(f"0 ** {n:g} divides by zero: a zero base needs a non-negative exponent.")
    try:
        y = a**n
        dy_da = n * a ** (n - 1) if n != 0 else 0.0
    except (OverflowError, ZeroDivisionError):
        raise ValueError(f"({a:g}) ** {n:g} or its derivative is too large for float64.") from None
    return y, dy_da, (y * math.log(a) if a > 0 else 0.0)


def _neg(x: float) -> tuple[float, float]:
    return -x, -1.0


def _exp(x: float) -> tuple[float, float]:
    try:
        y = math.exp(x)
    except OverflowError:
        raise ValueError(f"exp({x:g}) overflows float64 (exp(x) is finite only for x below about "
                         "709.78). Scale the input down, or use sigmoid/tanh, which never "
                         "overflow.") from None
    return y, y


def _log(x: float) -> tuple[float, float]:
    if x <= 0:
        raise ValueError(f"log({x:g}) is undefined: log needs a positive input. If this is a loss, "
                         "clip the probability away from 0, e.g. max(p, 1e-12).")
    return math.log(x), 1.0 / x


def _tanh(x: float) -> tuple[float, float]:
    t = math.tanh(x)
    return t, 1.0 - t * t


def _sigmoid(x: float) -> tuple[float, float]:
    # two forms so that exp never sees a large positive argument
    if x >= 0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        s = e / (1.0 + e)
    return s, s * (1.0 - s)


def _relu(x: float) -> tuple[float, float]:
    return (x, 1.0) if x > 0 else (0.0, 0.0)  # derivative 0 at the kink, as PyTorch


def _check_finite(op: str, data: float, local: Sequence[float], inputs: Sequence) -> None:
    """Raise unless the result and its local derivatives are finite; inputs: numbers or nodes."""
    if math.isfinite(data) and all(map(math.isfinite, local)):
        return
    what = "result" if not math.isfinite(data) else "local derivative"
    args = ", ".join(f"{getattr(x, 'data', x):g}" for x in inputs)
    raise ValueError(f"{op}({args}): the {what} is not a finite float64 number; the inputs are "
                     "too large (or the function is not differentiable there).")


class _Ops:
    """The operator overloads shared by ``Value`` and ``Dual``; each class says how to combine."""

    __slots__ = ()
    __array_ufunc__ = None  # numpy scalars on the left defer to our __radd__, __rmul__, ...

    def __add__(self, other):
        return self._binary("+", _add, other)

    def __sub__(self, other):
        return self._binary("-", _sub, other)

    def __mul__(self, other):
        return self._binary("*", _mul, other)

    def __truediv__(self, other):
        return self._binary("/", _div, other)

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __rpow__(self, other):
        return self._lift(other) ** self

    def __neg__(self):
        return self._unary("neg", _neg)

    def exp(self):
        """``e^x``; ValueError above x ~ 709.78, where float64 overflows."""
        return self._unary("exp", _exp)

    def log(self):
        """``ln x``; ValueError for x <= 0."""
        return self._unary("log", _log)

    def tanh(self):
        return self._unary("tanh", _tanh)

    def sigmoid(self):
        """``1 / (1 + e^-x)``, stable for any x."""
        return self._unary("sigmoid", _sigmoid)

    def relu(self):
        return self._unary("relu", _relu)


# ---------------------------------------------------------------- reverse mode


class Value(_Ops):
    """A scalar in a computational graph: ``.data`` (its value), ``.grad`` (d output / d this).

    Each node remembers its inputs and its local derivative with respect to each, so
    ``out.backward()`` can apply the chain rule from ``out`` back to every node. ``backward()``
    resets every grad in the graph first, so calling it twice gives the same numbers.
    """

    __slots__ = ("data", "grad", "label", "_inputs", "_local", "_op", "__weakref__")

    def __init__(self, data, label: str = ""):
        self.data = _number(data, "Value")
        if not math.isfinite(self.data):
            raise ValueError(f"Value: data must be a finite number, got {self.data}.")
        self.grad = 0.0
        self.label = label
        self._inputs: tuple[Value, ...] = ()
        self._local: tuple[float, ...] = ()
        self._op = ""

    @classmethod
    def from_op(cls, data: float, inputs: Sequence[Value], local_grads: Sequence[float],
                op: str) -> Value:
        """The output node of an operation: its value, inputs, and d(output)/d(input) for each."""
        inputs = tuple(inputs)
        if len(inputs) != len(local_grads):
            raise ValueError(f"Value.from_op({op!r}): {len(inputs)} inputs but {len(local_grads)} "
                             "local derivatives; give one local derivative per input.")
        for inp in inputs:
            if not isinstance(inp, Value):
                raise TypeError(f"Value.from_op({op!r}): every input must be a Value, got "
                                f"{type(inp).__name__}; wrap numbers as Value(x).")
        return cls._node(float(data), inputs, tuple(float(d) for d in local_grads), op)

    @classmethod
    def _node(cls, data: float, inputs: tuple, local: tuple, op: str) -> Value:
        if not (_isfinite(data) and all(map(_isfinite, local))):
            _check_finite(op, data, local, inputs)
        out = cls.__new__(cls)
        out.data, out.grad, out.label = data, 0.0, ""
        out._inputs, out._local, out._op = inputs, local, op
        return out

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The nodes this one was computed from (empty for a leaf)."""
        return self._inputs

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(this)/d(input) for each input, computed during the forward pass."""
        return self._local

    @property
    def op(self) -> str:
        """Name of the operation that produced this node ('' for a leaf)."""
        return self._op

    @staticmethod
    def _lift(other) -> Value:
        return other if isinstance(other, Value) else Value(_number(other, "Value arithmetic"))

    def _unary(self, op: str, primitive: Callable) -> Value:
        y, d = primitive(self.data)
        return Value._node(y, (self,), (d,), op)

    def _binary(self, op: str, primitive: Callable, other) -> Value:
        other = Value._lift(other)
        y, d_self, d_other = primitive(self.data, other.data)
        return Value._node(y, (self, other), (d_self, d_other), op)

    # + and * are most of any network's graph, so they skip the generic path (same maths)
    def __add__(self, other) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value._node(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value._node(self.data * other.data, (self, other), (other.data, self.data), "*")

    __radd__ = __add__
    __rmul__ = __mul__

    def __pow__(self, other) -> Value:
        if isinstance(other, Value):
            if self.data <= 0:
                raise ValueError(f"({self.data:g}) ** Value: a Value exponent needs a positive "
                                 "base, because d(a^n)/dn = a^n ln a.")
            return self._binary("**", _pow, other)
        n = _number(other, "Value ** n")
        y, d, _ = _pow(self.data, n)  # a constant exponent is not a node of the graph
        return Value._node(y, (self,), (d,), f"**{n:g}")

    def backward(self) -> None:
        """Set every node's ``.grad`` to d(self)/d(node): the chain rule, from the output back.

        Only nodes that ``self`` depends on are touched; a Value outside this graph keeps its grad.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            upstream = node.grad
            for inp, local in zip(node._inputs, node._local, strict=True):
                inp.grad += local * upstream  # += : a node used twice collects both contributions

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its inputs (root last).

    Iterative depth-first search with an explicit stack, so a chain of a million operations
    needs no recursion.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: root must be a Value (the output of the graph), "
                        f"got {type(root).__name__}.")
    order: list[Value] = []
    seen = {root}  # Values hash by identity
    stack = [(root, iter(root._inputs))]
    # The search allocates millions of small objects for a long chain, and each batch of
    # allocations wakes Python's cycle collector, which rescans the whole growing graph although
    # nothing here is garbage (Values hold no cycles). Pausing it halves the time of a 1M chain.
    collector_was_on = gc.isenabled()
    gc.disable()
    try:
        while stack:
            node, pending = stack[-1]
            for inp in pending:
                if inp not in seen:
                    seen.add(inp)
                    stack.append((inp, iter(inp._inputs)))
                    break
            else:  # all inputs placed: the node can follow them
                stack.pop()
                order.append(node)
    finally:
        if collector_was_on:
            gc.enable()
    return order


# ---------------------------------------------------------------- forward mode


class Dual(_Ops):
    """A dual number ``data + tangent ε`` with ``ε² = 0``: a value and its derivative."""

    __slots__ = ("data", "tangent")

    def __init__(self, data, tangent=0.0):
        self.data = _number(data, "Dual")
        self.tangent = _number(tangent, "Dual tangent")
        if not (math.isfinite(self.data) and math.isfinite(self.tangent)):
            raise ValueError(f"Dual: value and tangent must be finite numbers, got {self.data} and "
                             f"{self.tangent}.")

    @staticmethod
    def _lift(other) -> Dual:
        return other if isinstance(other, Dual) else Dual(_number(other, "Dual arithmetic"))

    def _unary(self, op: str, primitive: Callable) -> Dual:
        y, d = primitive(self.data)
        tangent = d * self.tangent  # the chain rule, applied as we go
        _check_finite(op, y, (tangent,), (self.data,))
        return Dual(y, tangent)

    def _binary(self, op: str, primitive: Callable, other) -> Dual:
        other = Dual._lift(other)
        y, d_self, d_other = primitive(self.data, other.data)
        tangent = d_self * self.tangent + (d_other * other.tangent if other.tangent else 0.0)
        _check_finite(op, y, (tangent,), (self.data, other.data))
        return Dual(y, tangent)

    def __pow__(self, other) -> Dual:
        other = Dual._lift(other)
        if other.tangent != 0 and self.data <= 0:
            raise ValueError(f"({self.data:g}) ** Dual: a varying exponent needs a positive base.")
        return self._binary("**", _pow, other)

    def __repr__(self) -> str:
        return f"Dual(data={self.data:.6g}, tangent={self.tangent:.6g})"
