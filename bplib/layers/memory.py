"""How much memory a model holds for its backward pass, and how to let it go.

Every layer keeps, between ``forward`` and ``backward``, the arrays its local derivative needs
(its *cache*: a Linear keeps its input, a Tanh its output, a ReLU a boolean mask). These are the
activations reverse mode must remember. ``cache_bytes`` adds up those arrays over a whole model,
counting each piece of memory once; the weights themselves are not counted (they are held
whether or not anyone trains).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bplib.layers.module import Module


def _check_module(model, where: str) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{where}: expected a layer or model (a Module), got a "
                        f"{type(model).__name__}.")


def modules(model: Module) -> Iterator[Module]:
    """The model and every sub-module below it, each once, parents before children."""
    _check_module(model, "modules")
    stack, seen = [model], set()
    while stack:
        module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        yield module
        stack.extend(child for _, child in reversed(list(module.children())))


def _cache_attributes(module: Module) -> Iterator[str]:
    return (name for name in vars(module) if "cache" in name)


def _arrays(value) -> Iterator[np.ndarray]:
    """Every numpy array inside a cache (nested tuples, lists and dicts)."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory a view looks into (the array itself if it owns it)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def cache_bytes(model: Module) -> int:
    """Bytes of the arrays ``model`` and its sub-modules keep for ``backward``.

    Each block of memory is counted once, however many layers refer to it (the output a Tanh
    keeps *is* the input the next Linear keeps), and a view counts as the whole array it looks
    into; arrays that are a parameter's ``.data`` are not counted. 0 before any forward pass.
    """
    _check_module(model, "cache_bytes")
    parameters = {id(_owner(p.data)) for p in model.parameters()}
    counted: set[int] = set()
    total = 0
    for module in modules(model):
        for name in _cache_attributes(module):
            for array in _arrays(getattr(module, name)):
                owner = _owner(array)
                if id(owner) in parameters or id(owner) in counted:
                    continue
                counted.add(id(owner))
                total += owner.nbytes
    return total


def clear_caches(model: Module) -> None:
    """Drop every cache of ``model`` and its sub-modules, so their memory can be freed."""
    for module in modules(model):
        for name in list(_cache_attributes(module)):
            setattr(module, name, None)
