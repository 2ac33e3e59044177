"""Answers as plain data: what a student's function got and returned, encoded without pickle.

The sandbox encodes every call a check makes (arguments before the call, the arguments' state
after it, the return value) into JSON plus numpy arrays; the judge decodes them strictly:
whitelisted tags only, numeric dtypes only, sizes and nesting capped. The few non-plain
objects the chapters pass around get an explicit conversion: ``bplib.autodiff.Value`` graphs
(as node tables), ``Parameter`` and ``Module`` (their named arrays), numpy ``Generator``
(its bit-generator state). Functions and other objects are encoded by class/name only: they can
be compared, never rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

MAX_DEPTH = 12
MAX_ITEMS = 20_000
MAX_STR = 20_000
MAX_ARRAY_BYTES = 32 * 2**20
_NUMERIC_KINDS = "biufc"
_MUTABLE_TAGS = {"nd", "list", "dict", "tuple", "V", "P", "M", "rng"}


class Unreadable(AssertionError):
    """Recorded data the judge refuses (wrong tag, dtype, size) or an answer it cannot rebuild."""


def _qualname(obj: Any) -> str:
    kind = obj if isinstance(obj, type) else type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def _value_cls():
    from bplib.autodiff import Value
    return Value


def _module_classes():
    from bplib.layers.module import Module, Parameter
    return Module, Parameter


class Encoder:
    """Turns Python objects into JSON-able data; arrays go to ``arrays``, Values to ``nodes``."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.nodes: list[dict] = []
        self.node_ids: dict[int, int] = {}
        self.node_objs: list[Any] = []
        self._items = 0

    def _array(self, arr: np.ndarray) -> dict:
        arr = np.array(arr, copy=True, subok=False)
        if arr.dtype.kind not in _NUMERIC_KINDS:
            return {"t": "obj", "cls": f"numpy array of dtype {arr.dtype}"}
        self.arrays.append(arr)
        return {"t": "nd", "i": len(self.arrays) - 1}

    def _node(self, v: Any) -> int:
        """Index of Value ``v`` in the node table, adding it after its inputs (post-order)."""
        Value = _value_cls()
        if id(v) in self.node_ids:
            return self.node_ids[id(v)]
        stack, visiting = [(v, iter(v.inputs))], {id(v)}
        while stack:
            node, pending = stack[-1]
            child = next((c for c in pending if id(c) not in self.node_ids), None)
            if child is not None:
                if not isinstance(child, Value) or id(child) in visiting:
                    raise Unreadable("a Value graph with a cycle or a non-Value input")
                visiting.add(id(child))
                stack.append((child, iter(child.inputs)))
                continue
            stack.pop()
            if len(self.nodes) >= MAX_ITEMS:
                raise Unreadable("too many Value nodes to record")
            self.node_ids[id(node)] = len(self.nodes)
            self.node_objs.append(node)
            self.nodes.append({
                "data": float(node.data), "grad": float(node.grad), "label": str(node.label)[:200],
                "op": str(node.op)[:50], "local": [float(x) for x in node.local_grads],
                "inputs": [self.node_ids[id(i)] for i in node.inputs],
            })
        return self.node_ids[id(v)]

    def enc(self, obj: Any, depth: int = 0) -> Any:
        """The JSON-able form of ``obj``."""
        self._items += 1
        if depth > MAX_DEPTH or self._items > MAX_ITEMS:
            raise Unreadable("the data is nested too deeply or has too many items to record")
        if obj is None or type(obj) in (bool, int, float):
            return obj
        if type(obj) is str:
            return obj[:MAX_STR]
        if type(obj) is complex:
            return {"t": "c", "v": [obj.real, obj.imag]}
        if isinstance(obj, np.ndarray):
            return self._array(obj)
        if isinstance(obj, np.generic):
            return {"t": "np", "a": self._array(np.asarray(obj))["i"]} \
                if np.asarray(obj).dtype.kind in _NUMERIC_KINDS else {"t": "obj", "cls": _qualname(obj)}
        if type(obj) in (list, tuple):
            return {"t": type(obj).__name__, "v": [self.enc(x, depth + 1) for x in obj]}
        if type(obj) is dict:
            return {"t": "dict", "k": [self.enc(k, depth + 1) for k in obj],
                    "v": [self.enc(v, depth + 1) for v in obj.values()]}
        Module, Parameter = _module_classes()
        if isinstance(obj, _value_cls()):
            return {"t": "V", "n": self._node(obj)}
        if isinstance(obj, Parameter):
            return {"t": "P", "data": self.enc(obj.data, depth + 1),
                    "grad": self.enc(obj.grad, depth + 1)}
        if isinstance(obj, Module):
            return {"t": "M", "cls": _qualname(obj),
                    "params": [[str(n), self.enc(p, depth + 1)] for n, p in obj.named_parameters()]}
        if isinstance(obj, np.random.Generator):
            return {"t": "rng", "state": self.enc(obj.bit_generator.state, depth + 1)}
        if callable(obj):
            name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
            return {"t": "fn", "name": str(name or _qualname(obj))[:200]}
        return {"t": "obj", "cls": _qualname(obj)}


def validate(data: Any, arrays: list[np.ndarray], nodes: list[dict], depth: int = 0) -> None:
    """Raise Unreadable unless ``data`` uses only the tags and indices this module writes."""
    if depth > MAX_DEPTH + 2:
        raise Unreadable("recorded data nested too deeply")
    if data is None or type(data) in (bool, int, float):
        return
    if type(data) is str:
        if len(data) > MAX_STR:
            raise Unreadable("recorded string too long")
        return
    if type(data) is not dict or type(data.get("t")) is not str:
        raise Unreadable(f"unexpected recorded item of type {type(data).__name__}")
    tag = data["t"]
    if tag in ("nd", "np"):
        index = data.get("i" if tag == "nd" else "a")
        if type(index) is not int or not 0 <= index < len(arrays):
            raise Unreadable("recorded array index out of range")
    elif tag == "V":
        if type(data.get("n")) is not int or not 0 <= data["n"] < len(nodes):
            raise Unreadable("recorded Value index out of range")
    elif tag in ("list", "tuple"):
        items = data.get("v")
        if type(items) is not list:
            raise Unreadable("recorded list malformed")
        for x in items:
            validate(x, arrays, nodes, depth + 1)
    elif tag == "dict":
        if type(data.get("k")) is not list or type(data.get("v")) is not list \
                or len(data["k"]) != len(data["v"]):
            raise Unreadable("recorded dict malformed")
        for x in data["k"] + data["v"]:
            validate(x, arrays, nodes, depth + 1)
    elif tag == "P":
        validate(data.get("data"), arrays, nodes, depth + 1)
        validate(data.get("grad"), arrays, nodes, depth + 1)
    elif tag == "M":
        if type(data.get("params")) is not list:
            raise Unreadable("recorded module malformed")
        for pair in data["params"]:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise Unreadable("recorded module parameter malformed")
            validate(pair[1], arrays, nodes, depth + 1)
    elif tag == "rng":
        validate(data.get("state"), arrays, nodes, depth + 1)
    elif tag == "c":
        v = data.get("v")
        if type(v) is not list or len(v) != 2 or not all(type(x) in (int, float) for x in v):
            raise Unreadable("recorded complex number malformed")
    elif tag in ("fn", "obj"):
        if type(data.get("name", data.get("cls"))) is not str:
            raise Unreadable("recorded name malformed")
    else:
        raise Unreadable(f"unknown recorded tag {tag!r}")


def validate_nodes(nodes: Any) -> list[dict]:
    """The recorded Value node table, checked field by field (inputs must point backwards)."""
    if type(nodes) is not list or len(nodes) > MAX_ITEMS:
        raise Unreadable("recorded Value table malformed")
    for k, node in enumerate(nodes):
        ok = (type(node) is dict and type(node.get("data")) in (int, float)
              and type(node.get("grad")) in (int, float) and type(node.get("label")) is str
              and type(node.get("op")) is str and type(node.get("local")) is list
              and type(node.get("inputs")) is list
              and all(type(x) in (int, float) for x in node["local"])
              and all(type(i) is int and 0 <= i < k for i in node["inputs"])
              and len(node["inputs"]) == len(node["local"]))
        if not ok:
            raise Unreadable(f"recorded Value node {k} malformed")
    return nodes


def same(a: Any, b: Any, arrays_a: list[np.ndarray], arrays_b: list[np.ndarray]) -> bool:
    """True when two encodings hold the same data (arrays equal in shape, dtype and values)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        if a.keys() != b.keys():
            return False
        if a.get("t") in ("nd", "np"):
            key = "i" if a["t"] == "nd" else "a"
            x, y = arrays_a[a[key]], arrays_b[b[key]]
            return x.shape == y.shape and x.dtype == y.dtype and \
                bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
        return all(same(a[k], b[k], arrays_a, arrays_b) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y, arrays_a, arrays_b) for x, y in zip(a, b))
    if type(a) is float and a != a:
        return b != b
    return a == b


class Decoder:
    """Rebuilds recorded data; Value references below ``len(bound)`` are the judge's own nodes."""

    def __init__(self, arrays: list[np.ndarray], nodes: list[dict], bound: list[Any]) -> None:
        self.arrays, self.nodes, self.bound = arrays, nodes, bound
        self._built: dict[int, Any] = {}

    def node(self, k: int) -> Any:
        """The Value for node ``k``: the judge's own object, or one rebuilt from the table."""
        if k < len(self.bound):
            return self.bound[k]
        if k not in self._built:
            Value = _value_cls()
            spec = self.nodes[k]
            inputs = tuple(self.node(i) for i in spec["inputs"])
            out = Value.__new__(Value)
            out.data, out.grad, out.label = float(spec["data"]), float(spec["grad"]), spec["label"]
            out._inputs, out._local, out._op = inputs, tuple(map(float, spec["local"])), spec["op"]
            self._built[k] = out
        return self._built[k]

    def dec(self, data: Any) -> Any:
        """The Python object for ``data``; names of functions/objects cannot be rebuilt."""
        if data is None or type(data) in (bool, int, float, str):
            return data
        tag = data["t"]
        if tag == "nd":
            return self.arrays[data["i"]].copy()
        if tag == "np":
            return self.arrays[data["a"]][()]
        if tag == "c":
            return complex(*data["v"])
        if tag == "list":
            return [self.dec(x) for x in data["v"]]
        if tag == "tuple":
            return tuple(self.dec(x) for x in data["v"])
        if tag == "dict":
            keys = [self.dec(k) for k in data["k"]]
            if not all(isinstance(k, (str, int, float, bool, tuple)) or k is None for k in keys):
                raise Unreadable("a recorded dict has keys the grader cannot use")
            return dict(zip(keys, (self.dec(v) for v in data["v"]), strict=True))
        if tag == "V":
            return self.node(data["n"])
        if tag == "P":
            from bplib.layers.module import Parameter
            p = Parameter(np.asarray(self.dec(data["data"]), dtype=float))
            p.grad = np.asarray(self.dec(data["grad"]), dtype=float)
            return p
        what = data.get("name") or data.get("cls") or tag
        raise Unreadable(f"your function returned {what!s:.80}, which the grader cannot read back; "
                         "return numbers, numpy arrays, lists, tuples or dicts of them.")


def restore(actual: Any, post: Any, decoder: Decoder) -> None:
    """Put the recorded after-call state ``post`` into the judge's argument ``actual`` in place."""
    tag = post.get("t") if type(post) is dict else None
    if tag == "nd" and isinstance(actual, np.ndarray):
        new = decoder.dec(post)
        if new.shape != actual.shape:
            raise AssertionError(f"your function changed the shape of an input array in place "
                                 f"(from {actual.shape} to {new.shape}).")
        actual[...] = new
    elif tag in ("list", "dict") and type(actual) is (list if tag == "list" else dict):
        items = post["v"]
        keys = list(actual) if tag == "dict" else list(range(len(actual)))
        if len(items) != len(keys) or (tag == "dict" and
                                       [decoder.dec(k) for k in post["k"]] != keys):
            fresh = decoder.dec(post)
            actual.clear()
            actual.extend(fresh) if tag == "list" else actual.update(fresh)
            return
        for key, item in zip(keys, items, strict=True):
            if type(item) is dict and item.get("t") in _MUTABLE_TAGS:
                restore(actual[key], item, decoder)
            else:
                actual[key] = decoder.dec(item)
    elif tag == "tuple" and type(actual) is tuple and len(actual) == len(post["v"]):
        for a, item in zip(actual, post["v"], strict=True):
            restore(a, item, decoder)
    elif tag == "P" and hasattr(actual, "grad"):
        for field in ("data", "grad"):
            new = np.asarray(decoder.dec(post[field]), dtype=float)
            current = getattr(actual, field)
            if isinstance(current, np.ndarray) and current.shape == new.shape:
                current[...] = new
            else:
                setattr(actual, field, new)
    elif tag == "M" and hasattr(actual, "named_parameters"):
        mine = dict(actual.named_parameters())
        if sorted(mine) != sorted(n for n, _ in post["params"]):
            raise AssertionError("your function changed which parameters the model has.")
        for name, item in post["params"]:
            restore(mine[name], item, decoder)
    elif tag == "rng" and isinstance(actual, np.random.Generator):
        actual.bit_generator.state = decoder.dec(post["state"])


def restore_nodes(post_nodes: list[dict], bound: list[Any]) -> None:
    """Set data and grad of the judge's own Value nodes from the recorded after-call table."""
    for node, spec in zip(bound, post_nodes):
        node.data, node.grad = float(spec["data"]), float(spec["grad"])


def describe(fn: Callable | Any) -> str:
    """A short name of a function for messages."""
    return str(getattr(fn, "__name__", None) or type(fn).__name__)
