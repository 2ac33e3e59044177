"""Numbers quoted in a chapter's prose come from the chapter's own outputs, so they cannot drift.

A number written by hand beside the output that produced it goes wrong the next time a seed, a
library or a CPU moves that output. nbval already fails when a stored output changes; this test
fails when the prose no longer matches the stored outputs. A quoted number passes when, rounded
to the digits it is quoted with, it equals a number printed by a code cell above it (or by one of
the next two code cells), or a number written in the chapter's code (a setting such as
``epochs=200``). Small integers (0 to 12: counts, chapter numbers) and years are not checked;
inside mathematics only decimals and powers of ten are (``2`` in ``x^2`` is notation, ``-0.628``
is a result). The few numbers that are facts of mathematics, not outputs, are listed below with
their reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pytest
from booktext import NOTEBOOKS, read_cells, split_math

# Numbers any chapter may state without printing them, with the reason.
BOOK_CONSTANTS = {
    "10^{-7}": "the float64 threshold of bplib.gradcheck (GradcheckReport.tol), the book's bar for 'right'",
}
# Numbers one chapter may state without printing them: facts of mathematics, with the reason.
MATHEMATICAL_FACTS: dict[str, dict[str, str]] = {
    "07_exploding_gradients": {
        "10^6": "4^{10}, ten layers of gain 4",
        "10^{-6}": "the constant bp.optim.clip_grad_norm_ adds to the norm, as torch.nn.utils.clip_grad_norm_",
    },
}

_ROLE = re.compile(r"\{(cite|doc|term|ref|numref|eq|download)\}`[^`]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]+>")
_SCI_LATEX = re.compile(r"(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?\s*([-−]?\d+)\s*\}?")
_POW10_LATEX = re.compile(r"(?<![\d.])10\^\{?\s*([-−]?\d+)\s*\}?")
_SCRIPT = re.compile(r"[\^_](\{[^{}]*\}|[-−]?\w)")
_FRAC_DIGITS = re.compile(r"\\[td]?frac\s*\d\s*\d")
_TEXT_NUMBER = re.compile(
    r"(?<![\w.,\-−])[-−]?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[eE]([-−+]?\d+))?(%?)(?![\w])")
_OUTPUT_NUMBER = re.compile(r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d*\.?\d+)(?:[eE][-+−]?\d+)?")


@dataclass(frozen=True)
class Quoted:
    """A number as the prose quotes it: its value and half a unit of its last digit."""

    text: str
    value: float
    tolerance: float
    percent: bool = False
    magnitude: bool = False  # a bare power of ten, "about 10^12": an order of magnitude


def _quoted(mantissa: str, fraction: str | None, exponent: str | None, percent: str, text: str) -> Quoted:
    digits = len(fraction) - 1 if fraction else 0
    power = int(exponent.replace("−", "-")) if exponent else 0
    value = float(mantissa.replace(",", "") + (fraction or "")) * 10.0 ** power
    return Quoted(text, abs(value), 0.5 * 10.0 ** (power - digits), percent == "%")


def _is_exempt(q: Quoted) -> bool:
    whole = q.tolerance >= 0.5 and q.value == int(q.value)
    return whole and (q.value <= 12 or 1900 <= q.value <= 2030)


def numbers_in_math(math: str) -> list[Quoted]:
    """Decimals and powers of ten in a LaTeX snippet: the numbers that are results, not notation."""
    found = []
    for m in _SCI_LATEX.finditer(math):
        mantissa, _, fraction = m.group(1).partition(".")
        found.append(_quoted(mantissa, "." + fraction if fraction else None, m.group(2), "", m.group(0)))
    math = _SCI_LATEX.sub(" ", math)
    for m in _POW10_LATEX.finditer(math):
        power = int(m.group(1).replace("−", "-"))
        found.append(Quoted(m.group(0), 10.0 ** power, 0.0, magnitude=True))
    math = _FRAC_DIGITS.sub(" ", _SCRIPT.sub(" ", _POW10_LATEX.sub(" ", math)))
    for m in _TEXT_NUMBER.finditer(math):
        if m.group(2):
            found.append(_quoted(m.group(1), m.group(2), m.group(3), m.group(4), m.group(0)))
    return found


def numbers_in_text(text: str) -> list[Quoted]:
    """Numbers in prose (not code, not mathematics, not link targets or roles), years and 0-12 aside."""
    text = _HTML_TAG.sub(" ", _LINK_TARGET.sub("]", _ROLE.sub(" ", text)))
    found = [_quoted(m.group(1), m.group(2), m.group(3), m.group(4), m.group(0))
             for m in _TEXT_NUMBER.finditer(text)]
    return [q for q in found if not _is_exempt(q)]


def quoted_numbers(markdown: str) -> list[Quoted]:
    """Every checked number of a markdown cell."""
    snippets, text = split_math(markdown)
    return numbers_in_text(text) + [q for s in snippets for q in numbers_in_math(s)]


def printed_numbers(text: str) -> list[float]:
    """The absolute values of every number in an output or a code cell's source."""
    values = []
    for token in _OUTPUT_NUMBER.findall(text):
        try:
            values.append(abs(float(token.replace(",", "").replace("−", "-"))))
        except ValueError:
            continue
    return values


def matches(q: Quoted, values: list[float]) -> bool:
    """Whether some printed value rounds to the quoted number (a percentage may be a fraction,
    a bare power of ten matches any value of that order of magnitude)."""
    if q.magnitude:
        return any(v > 0 and round(math.log10(v)) == round(math.log10(q.value)) for v in values)
    targets = [(q.value, q.tolerance)]
    if q.percent:
        targets.append((q.value / 100, q.tolerance / 100))
    return any(abs(v - value) <= tolerance * (1 + 1e-9) + 1e-300
               for value, tolerance in targets for v in values)


def unsupported_numbers(path) -> list[str]:
    """'cell i: number' for every quoted number no output or code of the chapter supports."""
    cells = read_cells(path)
    code_values = printed_numbers("\n".join(c.source for c in cells if c.kind == "code"))
    facts = {**BOOK_CONSTANTS, **MATHEMATICAL_FACTS.get(path.stem, {})}
    problems = []
    for position, cell in enumerate(cells):
        if cell.kind != "markdown":
            continue
        later_code = [c for c in cells[position + 1:] if c.kind == "code"][:2]
        window = [c for c in cells[:position] if c.kind == "code"] + later_code
        values = code_values + printed_numbers("\n".join(c.output_text for c in window))
        for q in quoted_numbers(cell.source):
            if q.text.strip() not in facts and not matches(q, values):
                problems.append(f"markdown cell {cell.index}: {q.text.strip()!r}")
    return problems


def test_quoted_numbers_reads_prose_as_a_reader_does():
    found = [q.text.strip() for q in quoted_numbers(
        "In 2015 the loss fell from 0.693 to 1.2e-3 after 200 steps of 5 "
        "($\\approx -0.628$, $x^2$, $1.5 \\times 10^{-5}$, `lr=0.37`) ({doc}`04_x`) and 61% [a](b_2.md).")]
    assert found == ["0.693", "1.2e-3", "200", "61%", "-0.628", "1.5 \\times 10^{-5}"]


def test_a_quoted_number_matches_the_output_it_rounds():
    [q] = quoted_numbers("the loss is 0.69")
    assert matches(q, printed_numbers("loss 0.6931"))
    assert not matches(q, printed_numbers("loss 0.7031"))
    [pct] = quoted_numbers("accuracy 61%")
    assert matches(pct, printed_numbers("accuracy 0.6125"))
    [sci] = quoted_numbers("$1.5 \\times 10^{-5}$")
    assert matches(sci, printed_numbers("1.53e-05")) and not matches(sci, printed_numbers("1.6e-05"))
    [order] = quoted_numbers("around $10^{12}$")
    assert matches(order, printed_numbers("4e+11")) and not matches(order, printed_numbers("2.8e+11"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_comes_from_an_output(path):
    problems = unsupported_numbers(path)
    assert not problems, (
        f"{path.name}: numbers in the prose that no output or code of the chapter prints "
        "(print them in a cell, or drop them):\n  " + "\n  ".join(problems))
