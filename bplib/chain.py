"""The chain rule made visible: composite functions as a table of values and local derivatives.

``compose(sin, square)`` is ``sin(x^2)``. Its ``table(x0)`` lists every stage
``u_k = f_k(u_{k-1})`` (with ``u_0 = x``) and the local derivative ``f_k'(u_{k-1})``, then
multiplies them in both orders: inside-out (forward, ``du_k/dx``) and outside-in (reverse,
``dy/du_{k-1}``). Both end at ``dy/dx``, checked against a central difference.
``neuron_partials`` does the same for both partial derivatives of one neuron's loss ``L(w, b)``.
``gate`` (from ``bplib.gates``) applies one gate's backward rule (add, multiply, max, copy).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bplib._validate import check_callable, check_number
from bplib.autodiff.scalar import Value
from bplib.gates import GATE_RULES, GateStep, gate, gate_backward, gate_forward  # noqa: F401

# ---------------------------------------------------------------- named functions


def _atomic(arg: str) -> bool:
    return arg.replace("_", "").replace("{", "").replace("}", "").isalnum()


def _paren(arg: str) -> str:
    """Wrap a LaTeX argument in parentheses unless it is a single symbol like ``x`` or ``u_1``."""
    return arg if _atomic(arg) else rf"\left({arg}\right)"


def _call(name: str, arg: str) -> str:
    """A LaTeX function call: ``name(x)`` for a symbol, ``name\\left(...\\right)`` otherwise."""
    return f"{name}({arg})" if _atomic(arg) else rf"{name}\left({arg}\right)"


@dataclass(frozen=True)
class Fn:
    """A named scalar function ``f`` with its derivative ``df`` and LaTeX forms of both.

    ``tex(a)`` and ``dtex(a)`` write f(a) and f'(a) for a LaTeX argument string ``a``;
    ``positive_only`` marks functions defined for u > 0 only (log, sqrt).
    """

    name: str
    f: Callable[[float], float]
    df: Callable[[float], float]
    tex: Callable[[str], str]
    dtex: Callable[[str], str]
    positive_only: bool = False

    def _check(self, u: float) -> None:
        if self.positive_only and u <= 0:
            raise ValueError(f"{self.name}({u:g}) is undefined: {self.name} needs a positive "
                             "input.")

    def __call__(self, u: float) -> float:
        """f(u)."""
        self._check(u)
        try:
            return float(self.f(u))
        except OverflowError:
            raise ValueError(f"{self.name}({u:g}) is too large for float64; pick a smaller "
                             "input.") from None

    def derivative(self, u: float) -> float:
        """f'(u), the local derivative."""
        self._check(u)
        try:
            return float(self.df(u))
        except OverflowError:
            raise ValueError(f"{self.name}'({u:g}) is too large for float64.") from None

    def __repr__(self) -> str:
        return f"Fn({self.name!r})"


def _sigmoid(u: float) -> float:
    return 1.0 / (1.0 + math.exp(-u)) if u >= 0 else math.exp(u) / (1.0 + math.exp(u))


sin = Fn("sin", math.sin, math.cos, lambda a: _call(r"\sin", a), lambda a: _call(r"\cos", a))
cos = Fn("cos", math.cos, lambda u: -math.sin(u), lambda a: _call(r"\cos", a),
         lambda a: "-" + _call(r"\sin", a))
exp = Fn("exp", math.exp, math.exp, lambda a: f"e^{{{a}}}", lambda a: f"e^{{{a}}}")
log = Fn("log", math.log, lambda u: 1.0 / u, lambda a: _call(r"\ln", a),
         lambda a: rf"\frac{{1}}{{{a}}}", positive_only=True)
square = Fn("square", lambda u: u * u, lambda u: 2.0 * u, lambda a: f"{_paren(a)}^2",
            lambda a: f"2{_paren(a)}")
sqrt = Fn("sqrt", math.sqrt, lambda u: 0.5 / math.sqrt(u), lambda a: rf"\sqrt{{{a}}}",
          lambda a: rf"\frac{{1}}{{2\sqrt{{{a}}}}}", positive_only=True)
sigmoid = Fn("sigmoid", _sigmoid, lambda u: _sigmoid(u) * (1.0 - _sigmoid(u)),
             lambda a: _call(r"\sigma", a),
             lambda a: _call(r"\sigma", a) + r"\bigl(1-" + _call(r"\sigma", a) + r"\bigr)")
tanh = Fn("tanh", math.tanh, lambda u: 1.0 - math.tanh(u) ** 2, lambda a: _call(r"\tanh", a),
          lambda a: "1-" + _call(r"\tanh^2", a))


def affine(a: float, b: float = 0.0) -> Fn:
    """``u -> a u + b``; its derivative is the constant ``a``."""
    a, b = check_number(a, "a", "affine"), check_number(b, "b", "affine")
    sign = "+" if b >= 0 else "-"
    name = ("u" if a == 1 else f"{a:g}u") + (f"{sign}{abs(b):g}" if b else "")
    return Fn(name, lambda u: a * u + b, lambda u: a,
              lambda arg: f"{a:g}{_paren(arg)} {sign} {abs(b):g}", lambda arg: f"{a:g}")


def power(n: float) -> Fn:
    """``u -> u^n``; its derivative is ``n u^(n-1)`` (n whole, or u > 0)."""
    n = check_number(n, "n", "power")
    return Fn(f"power{n:g}", lambda u: u**n, lambda u: n * u ** (n - 1),
              lambda a: f"{_paren(a)}^{{{n:g}}}", lambda a: f"{n:g}{_paren(a)}^{{{n - 1:g}}}",
              positive_only=n != int(n))


BUILTINS: dict[str, Fn] = {fn.name: fn for fn in (sin, cos, exp, log, square, sqrt, sigmoid, tanh)}


def get(fn: Fn | str) -> Fn:
    """A built-in function by name (``'sin'``, ``'exp'``, ...), or ``fn`` itself."""
    if isinstance(fn, Fn):
        return fn
    if fn not in BUILTINS:
        raise ValueError(f"chain: unknown function {fn!r}; choose one of {sorted(BUILTINS)}, "
                         "or build one with affine(a, b) or power(n).")
    return BUILTINS[fn]


def central_difference(f: Callable[[float], float], x: float, h: float = 1e-5) -> float:
    """``(f(x + h) - f(x - h)) / 2h``, the numeric derivative (error O(h^2))."""
    check_callable(f, "f", "central_difference", "lambda u: u * u")
    x = check_number(x, "x", "central_difference")
    if check_number(h, "h", "central_difference") <= 0:
        raise ValueError(f"central_difference: h must be a positive step such as 1e-5, got {h!r}; "
                         "h = 0 divides by zero.")
    return (f(x + h) - f(x - h)) / (2.0 * h)


# ---------------------------------------------------------------- rendering tables


def fmt(v: float) -> str:
    """A number for a table: 4 decimals, or scientific notation when very large or small."""
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4f}"
    return f"{v:.3e}"


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """Fixed-width columns; ``align`` has one 'l' or 'r' per column."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def justify(cells):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                         for c, w, a in zip(cells, widths, align, strict=True))

    line = justify(headers)
    body = [justify(r) for r in rows]
    return "\n".join([line, "-" * len(line), *body])


def _html_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]],
                notes: Sequence[str]) -> str:
    cell = 'style="padding:2px 10px;text-align:right"'
    head = "".join(f"<th {cell}>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td {cell}>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    foot = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (f'<div class="bplib-table"><table><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}</div>")


def _latex_array(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cols = "c" * len(headers)
    lines = [" & ".join(headers) + r" \\ \hline"] + [" & ".join(r) + r" \\" for r in rows]
    return rf"\begin{{array}}{{{cols}}}" + "\n" + "\n".join(lines) + "\n" + r"\end{array}"


# ---------------------------------------------------------------- composite functions


@dataclass(frozen=True)
class Step:
    """One stage ``u_k = f_k(u_{k-1})`` with its local derivative and both running products."""

    k: int
    name: str
    input: float
    output: float
    local: float
    forward: float  # du_k/dx, the product of local derivatives 1..k (inside-out)
    reverse: float  # dy/du_{k-1}, the product of local derivatives k..n (outside-in)


class Composite:
    """``f_1(f_2(...f_n(x)))``, written outermost first as in mathematics."""

    def __init__(self, *fns: Fn | str):
        if not fns:
            raise ValueError("compose: give at least one function, e.g. compose('sin', 'square').")
        self.fns = [get(fn) for fn in fns]
        self.stages = self.fns[::-1]  # innermost first: the order of evaluation

    @property
    def name(self) -> str:
        return " ∘ ".join(fn.name for fn in self.fns)

    def __call__(self, x: float) -> float:
        u = float(x)
        for fn in self.stages:
            u = fn(u)
        return u

    def derivative(self, x: float) -> float:
        """dy/dx by the chain rule (the product of the local derivatives)."""
        return self.table(x).reverse_derivative

    def numeric_derivative(self, x: float, h: float = 1e-5) -> float:
        return central_difference(self, float(x), h)

    def to_latex(self, var: str = "x") -> str:
        """The formula, e.g. ``\\sin\\left(x^2\\right)``."""
        expr = var
        for fn in self.stages:
            expr = fn.tex(expr)
        return expr

    def graph(self, x: float) -> Value:
        """The composite as a computational graph of ``Value`` nodes at ``x``, after backward().

        Nodes are labelled x, u (or u1, u2, ...) and y; each op is the stage's name.
        """
        node, n = Value(check_number(x, "x", "chain"), "x"), len(self.stages)
        for k, fn in enumerate(self.stages, start=1):
            u = node.data
            node = Value.from_op(fn(u), [node], [fn.derivative(u)], fn.name)
            node.label = "y" if k == n else ("u" if n == 2 else f"u{k}")
        node.backward()
        return node

    def table(self, x: float) -> ChainTable:
        """Stage values and local derivatives at ``x``, multiplied inside-out and outside-in."""
        u = [check_number(x, "x", "chain")]
        local = []
        for k, fn in enumerate(self.stages, start=1):
            try:
                local.append(fn.derivative(u[-1]))
                u.append(fn(u[-1]))
            except ValueError as exc:
                raise ValueError(f"{self.name} at x = {x:g}, stage {k}: {exc}") from None
        n = len(self.stages)
        forward = [math.prod(local[:k]) for k in range(1, n + 1)]
        reverse = [math.prod(local[k:]) for k in range(n)]
        steps = [Step(k + 1, self.stages[k].name, u[k], u[k + 1], local[k], forward[k], reverse[k])
                 for k in range(n)]
        try:
            numeric = self.numeric_derivative(x)
        except ValueError:  # x sits at the edge of the domain: no two-sided difference
            numeric = math.nan
        return ChainTable(self, float(x), steps, numeric)

    def __repr__(self) -> str:
        return f"Composite({self.name})"


def compose(*fns: Fn | str) -> Composite:
    """``compose(f, g, h)`` is ``f(g(h(x)))``; functions are ``Fn`` objects or built-in names."""
    return Composite(*fns)


class _Table:
    """Shows a derivation as a text table (print, repr) and an HTML table (notebooks).

    Subclasses give ``_HEADERS``, ``_ALIGN`` and the methods ``_caption``, ``_rows``, ``_notes``.
    """

    _HEADERS: tuple[str, ...] = ()
    _ALIGN = ""

    def __str__(self) -> str:
        table = _text_table(self._HEADERS, self._rows(), self._ALIGN)
        return "\n".join([self._caption(), table, *self._notes()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return _html_table(self._caption(), self._HEADERS, self._rows(), self._notes())


@dataclass(frozen=True, repr=False)
class ChainTable(_Table):
    """The chain-rule derivation of a composite at one point (see ``Composite.table``)."""

    function: Composite
    x: float
    steps: list[Step]
    numeric: float

    @property
    def forward_derivative(self) -> float:
        """dy/dx accumulated inside-out, from x towards y."""
        return self.steps[-1].forward

    @property
    def reverse_derivative(self) -> float:
        """dy/dx accumulated outside-in, from y back towards x (what backprop does)."""
        return self.steps[0].reverse

    def _rows(self) -> list[list[str]]:
        return [[str(s.k), s.name, fmt(s.input), fmt(s.output), fmt(s.local), fmt(s.forward),
                 fmt(s.reverse)] for s in self.steps]

    def _notes(self) -> list[str]:
        return [f"forward (inside-out, read down):  dy/dx = {fmt(self.forward_derivative)}",
                f"reverse (outside-in, read up):    dy/dx = {fmt(self.reverse_derivative)}",
                f"central difference:               dy/dx = {fmt(self.numeric)}"]

    def _caption(self) -> str:
        return f"y = {self.function.name} (x) at x = {fmt(self.x)}"

    _HEADERS = ("k", "f_k", "u_(k-1)", "u_k", "f_k'(u_(k-1))", "du_k/dx (down)",
                "dy/du_(k-1) (up)")
    _ALIGN = "rlrrrrr"

    def to_latex(self) -> str:
        """The table as a LaTeX array plus the product that gives dy/dx."""
        headers = ["k", "f_k", "u_{k-1}", "u_k", "f_k'(u_{k-1})", r"\frac{du_k}{dx}\downarrow",
                   r"\frac{dy}{du_{k-1}}\uparrow"]
        rows = [[c if i != 1 else rf"\text{{{c}}}" for i, c in enumerate(r)] for r in self._rows()]
        factors = r" \cdot ".join(fn.dtex(f"u_{{{k}}}")
                                  for k, fn in reversed(list(enumerate(self.function.stages))))
        numbers = r" \cdot ".join(f"({fmt(s.local)})" for s in reversed(self.steps))
        product = (rf"\frac{{dy}}{{dx}} = {factors} = {numbers} = {fmt(self.reverse_derivative)}"
                   .replace("u_{0}", "x"))
        return (r"\begin{gathered}" + _latex_array(headers, rows) + r" \\[1ex] " + product
                + r"\end{gathered}")


# ---------------------------------------------------------------- one neuron: two partials


@dataclass(frozen=True, repr=False)
class NeuronPartials(_Table):
    """``L(w, b) = ½ (a - y)²`` with ``a = f(z)``, ``z = w x + b``: every factor of dL/dw, dL/db.

    The same neuron and loss as chapter 4 and ``bplib.neuron`` (one example, target ``y``,
    neuron output ``a``).
    """

    w: float
    b: float
    x: float
    y: float
    activation: Fn
    z: float
    a: float
    loss: float
    dL_da: float
    da_dz: float
    dL_dw: float
    dL_db: float
    numeric_dw: float
    numeric_db: float

    def _rows(self) -> list[list[str]]:
        act = self.activation.name
        return [["z", "w x + b", fmt(self.z)], ["a", f"{act}(z)", fmt(self.a)],
                ["L", "½ (a - y)²", fmt(self.loss)], ["∂L/∂a", "a - y", fmt(self.dL_da)],
                ["∂a/∂z", f"{act}'(z)", fmt(self.da_dz)], ["∂z/∂w", "x", fmt(self.x)],
                ["∂z/∂b", "1", fmt(1.0)], ["∂L/∂w", "∂L/∂a · ∂a/∂z · ∂z/∂w", fmt(self.dL_dw)],
                ["∂L/∂b", "∂L/∂a · ∂a/∂z · ∂z/∂b", fmt(self.dL_db)]]

    def _notes(self) -> list[str]:
        return [f"central differences: ∂L/∂w = {fmt(self.numeric_dw)}, "
                f"∂L/∂b = {fmt(self.numeric_db)}"]

    def _caption(self) -> str:
        return (f"one neuron at w = {fmt(self.w)}, b = {fmt(self.b)}, "
                f"x = {fmt(self.x)}, y = {fmt(self.y)}")

    _HEADERS = ("quantity", "formula", "value")
    _ALIGN = "llr"

    def to_latex(self) -> str:
        """Both partials written out as products of local derivatives, with numbers."""
        factors = rf"(a-y)\cdot {self.activation.dtex('z')}"
        common = f"({fmt(self.dL_da)})({fmt(self.da_dz)})"
        return (r"\begin{aligned}"
                rf"\frac{{\partial L}}{{\partial w}} &= {factors} \cdot x = {common}({fmt(self.x)})"
                rf" = {fmt(self.dL_dw)} \\"
                rf"\frac{{\partial L}}{{\partial b}} &= {factors} \cdot 1 = {common}(1)"
                rf" = {fmt(self.dL_db)}"
                r"\end{aligned}")


def neuron_loss(w: float, b: float, x: float, y: float, activation: Fn | str = "sigmoid") -> float:
    """``L(w, b) = ½ (f(w x + b) - y)²`` for one example with target ``y``."""
    return 0.5 * (get(activation)(w * x + b) - y) ** 2


def neuron_partials(w: float, b: float, x: float, y: float,
                    activation: Fn | str = "sigmoid") -> NeuronPartials:
    """The chain rule for ``∂L/∂w`` and ``∂L/∂b`` of one neuron (target ``y``), checked."""
    f = get(activation)
    w, b, x, y = (check_number(v, name, "neuron_partials") for v, name in ((w, "w"), (b, "b"), (x, "x"), (y, "y")))
    z = w * x + b
    a = f(z)
    dL_da, da_dz = a - y, f.derivative(z)
    num_dw = central_difference(lambda v: neuron_loss(v, b, x, y, f), w)
    num_db = central_difference(lambda v: neuron_loss(w, v, x, y, f), b)
    return NeuronPartials(w, b, x, y, f, z, a, 0.5 * (a - y) ** 2, dL_da, da_dz,
                          dL_da * da_dz * x, dL_da * da_dz, num_dw, num_db)

