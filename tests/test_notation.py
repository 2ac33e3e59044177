"""One notation across the book: every symbol a chapter's mathematics or a figure label uses is
listed in ``book/notation.md``, and no chapter, figure or exercise message uses a retired one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from booktext import NOTEBOOKS, ROOT, read_cells, split_math

NOTATION = ROOT / "book" / "notation.md"

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
          "xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
          "Phi Psi Omega ell nabla").split()
_GREEK_COMMAND = re.compile(r"\\(" + "|".join(sorted(_GREEK, key=len, reverse=True)) + r")(?![A-Za-z])")
# Commands whose braced argument is words, not symbols.
_WORDS_ARGUMENT = re.compile(r"\\(text|mathrm|operatorname|textbf|textit|label|tag|begin|end|mbox)\s*\{[^{}]*\}")
_COMMAND = re.compile(r"\\[A-Za-z]+")
_LATIN = re.compile(r"[A-Za-z]")
_UNICODE_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "η": "eta",
                  "θ": "theta", "λ": "lambda", "μ": "mu", "ρ": "rho", "σ": "sigma", "ℓ": "ell",
                  "∇": "nabla", "Δ": "Delta"}

# Retired symbols (book/notation.md, "Retired symbols"): pattern -> what replaces it.
RETIRED_IN_MATH = {
    r"\\partial\s*E\b": "∂E: write ∂L",
    r"\^\{?\[L\]": "[L] as the output layer: write [K]",
    r"\(\s*(?:y|a|\\hat\s*\{?y\}?)\s*-\s*t\s*\)": "t as a target: write y",
    r"\(\s*t\s*-\s*(?:y|a|\\hat\s*\{?y\}?)\s*\)": "t as a target: write y",
    r"(?<![A-Za-z\\])a_\{?t": "a_t as a recurrent pre-activation: write z_t",
}
RETIRED_IN_MESSAGES = {
    r"∂E\b": "∂E: write ∂L",
    r"\[L\]": "[L] as the output layer: write [K]",
    r"\(\s*(?:y|a|ŷ)\s*[-−]\s*t\s*\)": "t as a target: write y",
}


def math_symbols(math: str) -> set[str]:
    """The symbols a LaTeX snippet uses: Greek letters by name, Latin letters as themselves."""
    math = _WORDS_ARGUMENT.sub(" ", math)
    greek = set(_GREEK_COMMAND.findall(math))
    rest = _COMMAND.sub(" ", math)
    return greek | set(_LATIN.findall(rest))


def defined_symbols() -> set[str]:
    """Every symbol that appears in the mathematics of notation.md above its retired list."""
    text = NOTATION.read_text().split("## Retired symbols")[0]
    snippets, _ = split_math(text)
    return set().union(*(math_symbols(s) for s in snippets))


def chapter_math(path: Path) -> list[tuple[int, str]]:
    """(cell index, math snippet) for every snippet in a chapter's markdown cells."""
    return [(cell.index, snippet) for cell in read_cells(path) if cell.kind == "markdown"
            for snippet in split_math(cell.source)[0]]


def figure_labels() -> list[tuple[str, str]]:
    """(file:line, math snippet) of every ``$…$`` in a string of bplib's plots and widgets."""
    found = []
    for py in sorted([*(ROOT / "bplib" / "plots").glob("*.py"), *(ROOT / "bplib" / "widgets").glob("*.py")]):
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "$" in node.value:
                for snippet in re.findall(r"\$([^$]+)\$", node.value):
                    found.append((f"{py.relative_to(ROOT)}:{node.lineno}", snippet))
    return found


def message_strings() -> list[tuple[str, str]]:
    """(file:line, text) of every string constant in the exercise checks' modules."""
    found = []
    for py in sorted((ROOT / "bplib" / "course").rglob("*.py")):
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((f"{py.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


def test_notation_page_defines_the_core_symbols():
    defined = defined_symbols()
    for symbol in ["x", "y", "L", "K", "N", "W", "z", "a", "delta", "sigma", "eta", "theta", "ell",
                   "t", "h", "rho", "mu", "beta", "lambda", "epsilon"]:
        assert symbol in defined, f"notation.md does not define {symbol}"


def test_math_symbols_reads_latex_as_a_reader_does():
    assert math_symbols(r"\frac{\partial L}{\partial W^{[l]}} = \delta^{[l]} a^{[l-1]\top}") == \
        {"L", "W", "l", "delta", "a"}
    assert math_symbols(r"\text{ReLU}(z) = \max(0, z)") == {"z"}
    assert math_symbols(r"\beta_1 \hat m + \epsilon") == {"beta", "m", "epsilon"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_math_uses_only_symbols_notation_md_defines(path):
    defined = defined_symbols()
    unknown: dict[str, list[int]] = {}
    for index, snippet in chapter_math(path):
        for symbol in math_symbols(snippet) - defined:
            unknown.setdefault(symbol, []).append(index)
    assert not unknown, (
        f"{path.name} uses symbols book/notation.md does not define (symbol: markdown cells): "
        + "; ".join(f"{s}: {sorted(set(c))}" for s, c in sorted(unknown.items())))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_math_uses_no_retired_symbol(path):
    hits = [f"cell {index}: {why} (in ${snippet.strip()[:60]}$)"
            for index, snippet in chapter_math(path)
            for pattern, why in RETIRED_IN_MATH.items() if re.search(pattern, snippet)]
    assert not hits, f"{path.name} uses retired symbols: " + "; ".join(hits)


def test_figure_labels_use_only_defined_symbols():
    defined = defined_symbols()
    unknown = [f"{where}: ${snippet}$ uses {sorted(math_symbols(snippet) - defined)}"
               for where, snippet in figure_labels() if math_symbols(snippet) - defined]
    assert not unknown, "figure labels with symbols notation.md does not define:\n" + "\n".join(unknown)


def test_figure_labels_use_no_retired_symbol():
    hits = [f"{where}: {why}" for where, snippet in figure_labels()
            for pattern, why in RETIRED_IN_MATH.items() if re.search(pattern, snippet)]
    assert not hits, "\n".join(hits)


def test_exercise_messages_use_no_retired_symbol():
    hits = [f"{where}: {why} in {text[:70]!r}" for where, text in message_strings()
            for pattern, why in RETIRED_IN_MESSAGES.items() if re.search(pattern, text)]
    assert not hits, "messages with retired symbols:\n" + "\n".join(hits)


def test_unicode_greek_in_messages_is_defined():
    defined = defined_symbols()
    unknown = sorted({f"{where}: {ch}" for where, text in message_strings()
                      for ch, name in _UNICODE_GREEK.items() if ch in text and name not in defined})
    assert not unknown, "messages use Greek letters notation.md does not define:\n" + "\n".join(unknown)
