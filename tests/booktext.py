"""Reading the chapters as text: markdown cells, their mathematics, code and stored outputs.

Used by the book-wide tests of notation (``test_notation.py``) and of numbers quoted in prose
(``test_prose_numbers.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.S)
_CODE_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_BASE64 = re.compile(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+")


@dataclass
class Cell:
    """One notebook cell: its kind, source, and (code cells) the text of its stored outputs."""

    index: int
    kind: str
    source: str
    output_text: str = ""


def read_cells(path: Path) -> list[Cell]:
    """The cells of a notebook, with each code cell's outputs flattened to text."""
    cells = []
    for i, raw in enumerate(json.loads(path.read_text())["cells"]):
        source = "".join(raw.get("source", ""))
        texts = []
        for out in raw.get("outputs", []):
            if "text" in out:
                texts.append("".join(out["text"]))
            for mime in ("text/plain", "text/html", "text/latex", "text/markdown"):
                if mime in out.get("data", {}):
                    texts.append("".join(out["data"][mime]))
        cells.append(Cell(i, raw["cell_type"], source, _BASE64.sub(" ", "\n".join(texts))))
    return cells


def without_code(markdown: str) -> str:
    """Markdown with fenced code blocks and inline code spans blanked out."""
    return _CODE_SPAN.sub(" ", _CODE_FENCE.sub(" ", markdown))


def split_math(markdown: str) -> tuple[list[str], str]:
    """(the math snippets of a markdown text, the text with every snippet blanked out)."""
    text = without_code(markdown)
    snippets: list[str] = []

    def take(match: re.Match) -> str:
        snippets.append(match.group(1))
        return " "

    text = _DISPLAY_MATH.sub(take, text)
    text = _INLINE_MATH.sub(take, text)
    return snippets, text
