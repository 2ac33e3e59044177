"""Let a student run their own notebook's checks and see each exercise pass or fail, with why."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bplib.course.delegation import check_arguments, delegated, delegation_message, solution_functions
from bplib.course.execute import CellResult, run_notebook
from bplib.course.exercises import Exercise, exercises, format_points, is_solution, read_notebook

_STATUS_WORDS = {"ok": "PASS", "error": "FAIL", "timeout": "TIMEOUT", "not run": "NOT RUN"}


def _delegation(nb, exercise: Exercise) -> str | None:
    """The library call the exercise's solution only hands over to (as ``grade`` judges it)."""
    cells = nb.cells[:exercise.cell_index]
    solution = next((c for c in reversed(cells) if is_solution(c)), None)
    if solution is None or not exercise.check:
        return None
    own = solution_functions([c.source for c in nb.cells if is_solution(c)])
    answers = check_arguments(nb.cells[exercise.cell_index].source)
    return delegated(exercise.check, solution.source, own, answers)


def _answer_cell_unwritten(nb, run, exercise: Exercise) -> bool:
    """True when the answer cell above still raises NotImplementedError (a value not set yet)."""
    index = next((i for i in range(exercise.cell_index - 1, -1, -1) if is_solution(nb.cells[i])), None)
    above = run.cells.get(index) if index is not None else None
    return above is not None and above.ename == "NotImplementedError"


def check_notebook(path: str | Path, *, timeout: float = 600, cell_timeout: float = 120,
                   out: TextIO | None = None) -> bool:
    """Run a copy of the notebook (the file is not touched) and print every exercise's result.

    Returns True when every check passed.
    """
    out = out or sys.stdout
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"check: {path} does not exist.")
    nb = read_notebook(path)
    found = exercises(nb)
    if not found:
        print(f"{path.name}: no graded exercises (nbgrader grade: true) found.", file=out)
        return True
    print(f"Running a copy of {path.name} ...", file=out)
    run = run_notebook(nb, timeout=timeout, cell_timeout=cell_timeout)
    earned = 0.0
    total = sum(e.points for e in found)
    for exercise in found:
        result = run.cells.get(exercise.cell_index) or CellResult(
            exercise.cell_index, "error", "EmptyCell", "the check cell is empty")
        word = _STATUS_WORDS[result.status]
        used = _delegation(nb, exercise) if result.status == "ok" else None
        if used:
            result = CellResult(result.index, "error", "AssertionError",
                                delegation_message(used).removeprefix("AssertionError: "))
            word = "FAIL"
        if result.status == "ok":
            earned += exercise.points
            detail = result.stdout.strip()
        elif result.ename == "NotImplementedError" or _answer_cell_unwritten(nb, run, exercise):
            word, detail = "TODO", "not answered yet: replace the `raise NotImplementedError()`"
        else:
            detail = f"{result.ename}: {result.evalue}".strip(": ")
        points = f"{format_points(exercise.points if result.status == 'ok' else 0)}/" \
                 f"{format_points(exercise.points)}"
        print(f"[{word}] {exercise.title} ({exercise.grade_id}, {points} points)", file=out)
        for line in detail.splitlines():
            print(f"    {line}", file=out)
    if run.problem:
        print(f"Note: {run.problem}.", file=out)
    print(f"Total: {format_points(earned)}/{format_points(total)} points", file=out)
    return earned == total
