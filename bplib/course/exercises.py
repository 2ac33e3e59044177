"""Read the exercises of a chapter notebook: nbgrader cells, points, titles, the exercise table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

_EXERCISE_HEADING = re.compile(r"^#{1,6}\s+(Exercise\b.*?)\s*$", re.MULTILINE)
_TITLE_HEADING = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
_CHECK_CALL = re.compile(r"\b(check_\w+)\s*\(")
# "Exercise 4 (debug): a planted bug" -> kind "debug"; every exercise heading names its kind
_KIND = re.compile(r"^Exercise\s+\w+\s*\(([\w-]+)\)")
KINDS = {
    "warm-up": "types a formula or a call sequence the chapter gives (few points)",
    "derive": "differentiates something the chapter did not",
    "predict": "commits to a number or a choice before the cell that reveals it",
    "debug": "finds and fixes a planted bug that a gradient check exposes",
    "build": "assembles the chapter's pieces into something that works",
}


@dataclass(frozen=True)
class Exercise:
    """One graded check cell of a chapter: its grade_id, points and the exercise it belongs to."""

    grade_id: str
    points: float
    title: str
    check: str
    cell_index: int

    @property
    def kind(self) -> str:
        """The kind the heading names (``Exercise 2 (derive): …``): a key of ``KINDS``, or ""."""
        match = _KIND.match(self.title)
        return match.group(1) if match else ""


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata, or an empty dict when it has none."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_solution(cell: NotebookNode) -> bool:
    """True for a cell the student writes in (nbgrader ``solution: true``)."""
    return bool(nbgrader_meta(cell).get("solution", False))


def is_grade(cell: NotebookNode) -> bool:
    """True for a check cell that earns points (nbgrader ``grade: true``)."""
    return bool(nbgrader_meta(cell).get("grade", False))


def is_instructor_owned(cell: NotebookNode) -> bool:
    """True for a cell the grader restores from the instructor version (grade or locked cells)."""
    meta = nbgrader_meta(cell)
    if not meta.get("grade_id") or meta.get("solution", False):
        return False
    return bool(meta.get("grade", False) or meta.get("locked", False))


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader grade_id, or None."""
    value = nbgrader_meta(cell).get("grade_id")
    return str(value) if value else None


def read_notebook(path: str | Path) -> NotebookNode:
    """Read a notebook file as nbformat version 4."""
    return nbformat.read(str(path), as_version=4)


def notebook_title(nb: NotebookNode, fallback: str) -> str:
    """The notebook's ``#`` title, or ``fallback`` when it has none."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _TITLE_HEADING.search(cell.source)
            if match:
                return match.group(1)
    return fallback


def exercises(nb: NotebookNode) -> list[Exercise]:
    """Every graded cell of the notebook in order, titled by the last ``### Exercise`` heading."""
    found = []
    title = ""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            headings = _EXERCISE_HEADING.findall(cell.source)
            if headings:
                title = headings[-1]
            continue
        if not is_grade(cell) or not grade_id(cell):
            continue
        call = _CHECK_CALL.search(cell.source)
        found.append(Exercise(
            grade_id=grade_id(cell),
            points=float(nbgrader_meta(cell).get("points", 0) or 0),
            title=title or grade_id(cell),
            check=call.group(1) if call else "",
            cell_index=index,
        ))
    return found


def format_points(points: float) -> str:
    """Points as ``2`` rather than ``2.0``; fractional points keep their decimals."""
    return f"{points:g}"


def exercise_table_markdown(notebooks: list[Path], *, doc_prefix: str = "/notebooks/") -> str:
    """A MyST markdown table of every exercise by chapter: title, kind, grade_id, points, check."""
    lines = [
        "| chapter | exercise (concept) | kind | grade_id | points | checked by |",
        "| --- | --- | --- | --- | ---: | --- |",
    ]
    total = 0.0
    for path in sorted(notebooks):
        nb = read_notebook(path)
        for number, exercise in enumerate(exercises(nb)):
            # the chapter is named on its first row only, so the table reads as groups
            chapter = f"{{doc}}`{doc_prefix}{path.stem}`" if number == 0 else ""
            check = f"`bp.course.{exercise.check}`" if exercise.check else ""
            lines.append(
                f"| {chapter} | {exercise.title.replace('|', '/')} | {exercise.kind} "
                f"| `{exercise.grade_id}` "
                f"| {format_points(exercise.points)} | {check} |"
            )
            total += exercise.points
    lines.append(f"| **all chapters** | | | | **{format_points(total)}** | |")
    return "\n".join(lines) + "\n"
