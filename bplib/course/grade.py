"""Autograde a folder of submissions against the instructor notebooks into a CSV gradebook."""

from __future__ import annotations

import copy
import csv
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import TextIO

import nbformat
from nbformat import NotebookNode

from bplib.course.execute import CellResult, run_notebook
from bplib.course.exercises import (
    Exercise,
    exercises,
    format_points,
    grade_id,
    is_instructor_owned,
    is_solution,
    read_notebook,
)
from bplib.course.release import repo_notebooks_dir

CSV_FIELDS = ("student", "notebook", "exercise", "points", "max_points", "status", "message")
_MESSAGE_CHARS = 500
_RESTORED = "its check cell was missing from the submission and was put back"


@dataclass
class GradeRow:
    """One student x exercise line of the gradebook."""

    student: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    status: str
    message: str


def find_submissions(root: Path) -> dict[str, dict[str, Path]]:
    """Map student -> notebook name -> file for ``root/<student>/**/<notebook>.ipynb``."""
    found: dict[str, dict[str, Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "_")):
            continue
        notebooks: dict[str, Path] = {}
        for path in sorted(folder.rglob("*.ipynb")):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if not hidden and path.is_file():
                notebooks.setdefault(path.stem, path)
        found[folder.name] = notebooks
    return found


def restore_instructor_cells(submission: NotebookNode, source: NotebookNode
                             ) -> tuple[NotebookNode, set[str]]:
    """The notebook to grade: the submission, its grade/locked cells replaced by the instructor's.

    Cells are matched by nbgrader grade_id. A duplicated id keeps its first cell only; a
    deleted check cell is put back after the cell it followed in the instructor version.
    Returns the notebook and the grade_ids that had to be put back.
    """
    owned = {grade_id(c): c for c in source.cells if is_instructor_owned(c)}
    cells: list[NotebookNode] = []
    seen: set[str] = set()
    for cell in submission.cells:
        gid = grade_id(cell)
        if gid in owned:
            if gid not in seen:
                cells.append(copy.deepcopy(owned[gid]))
                seen.add(gid)
            continue
        cell = copy.deepcopy(cell)
        if gid and not is_solution(cell):
            # a grade id the instructor never issued earns nothing and must not look graded
            cell.metadata.pop("nbgrader", None)
        cells.append(cell)

    restored: set[str] = set()
    anchor: int | None = None
    for cell in source.cells:
        gid = grade_id(cell)
        position = next((i for i, c in enumerate(cells) if gid and grade_id(c) == gid), None)
        if position is not None:
            anchor = position
        elif gid in owned:
            anchor = len(cells) if anchor is None else anchor + 1
            cells.insert(anchor, copy.deepcopy(owned[gid]))
            restored.add(gid)
    graded = copy.deepcopy(submission)
    graded.cells = cells
    graded.metadata["kernelspec"] = copy.deepcopy(source.metadata.get("kernelspec", {}))
    return graded, restored


def _one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _score(exercise: Exercise, result: CellResult | None, solution: CellResult | None
           ) -> tuple[float, str, str]:
    if result is None:
        return 0.0, "missing", "the check cell is not in the notebook"
    if result.status == "ok":
        return exercise.points, "passed", _one_line(result.stdout)
    if result.status in ("timeout", "not run"):
        return 0.0, result.status, _one_line(result.evalue)
    message = f"{result.ename}: {result.evalue}"
    if result.ename == "NotImplementedError":
        return 0.0, "unanswered", "the exercise still raises NotImplementedError"
    if solution is not None and solution.status != "ok":
        message += f" (the solution cell above ended with {solution.ename}: {solution.evalue})"
    status = "failed" if result.ename == "AssertionError" else "error"
    return 0.0, status, _one_line(message)


def grade_notebook(path: Path, source: NotebookNode, *, student: str, timeout: float,
                   cell_timeout: float) -> list[GradeRow]:
    """Grade one submission against its instructor version; a bad submission never raises."""
    expected = exercises(source)

    def rows_all(status: str, message: str) -> list[GradeRow]:
        return [GradeRow(student, path.stem, e.grade_id, 0.0, e.points, status, message)
                for e in expected]

    try:
        with warnings.catch_warnings():
            # old or hand-edited files warn about missing cell ids; grading does not need them
            warnings.simplefilter("ignore")
            submission = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception as err:  # any broken file scores zero, whatever the parser says
        return rows_all("unreadable", _one_line(f"the notebook could not be read: {err}"))
    try:
        graded, restored = restore_instructor_cells(submission, source)
        run = run_notebook(graded, timeout=timeout, cell_timeout=cell_timeout)
    except Exception as err:  # malformed cells (a number as source, say) fail here
        return rows_all("unreadable", _one_line(f"the notebook's cells could not be run: {err}"))
    by_id = {grade_id(c): i for i, c in reversed(list(enumerate(run.nb.cells))) if grade_id(c)}
    rows = []
    for exercise in expected:
        index = by_id.get(exercise.grade_id)
        result = run.cells.get(index) if index is not None else None
        solution_index = next((i for i in range(index - 1, -1, -1)
                               if is_solution(run.nb.cells[i])), None) if index else None
        solution = run.cells.get(solution_index) if solution_index is not None else None
        points, status, message = _score(exercise, result, solution)
        if exercise.grade_id in restored:
            message = _one_line(f"{message} ({_RESTORED})")
        rows.append(GradeRow(student, path.stem, exercise.grade_id, points, exercise.points,
                             status, message))
    return rows


def check_out_path(out_csv: Path, submissions: Path, source_dir: Path) -> None:
    """Refuse a gradebook path inside the submissions or the instructor notebooks."""
    target = out_csv.resolve().parent
    for folder in (submissions.resolve(), source_dir.resolve(), repo_notebooks_dir()):
        if target == folder or target.is_relative_to(folder):
            raise ValueError(f"grade: refusing --out {out_csv}: it is inside {folder}, which "
                             "grading must never change. Choose e.g. grades/grades.csv.")


def grade(submissions: str | Path, out_csv: str | Path, *, source_dir: str | Path | None = None,
          timeout: float = 600, cell_timeout: float = 120, log: TextIO | None = None
          ) -> list[GradeRow]:
    """Grade ``submissions/<student>/<notebook>.ipynb``; write the CSV, feedback and a summary."""
    log = log or sys.stdout
    submissions, out_csv = Path(submissions), Path(out_csv)
    source_dir = Path(source_dir) if source_dir is not None else repo_notebooks_dir()
    if not submissions.is_dir():
        raise FileNotFoundError(f"grade: the submissions folder {submissions} does not exist.")
    if not source_dir.is_dir():
        raise FileNotFoundError(f"grade: the instructor notebooks folder {source_dir} does not "
                                "exist; pass --source DIR.")
    check_out_path(out_csv, submissions, source_dir)
    by_student = find_submissions(submissions)
    if not by_student:
        raise ValueError(f"grade: {submissions} has no <student>/ folders with notebooks.")
    names = sorted({name for notebooks in by_student.values() for name in notebooks})
    sources = {}
    for name in names:
        if (source_dir / f"{name}.ipynb").is_file():
            sources[name] = read_notebook(source_dir / f"{name}.ipynb")
        else:
            print(f"skipping {name}.ipynb: no instructor version in {source_dir}", file=log)

    rows: list[GradeRow] = []
    for student, notebooks in by_student.items():
        for name, source in sources.items():
            if name not in notebooks:
                rows += [GradeRow(student, name, e.grade_id, 0.0, e.points, "missing",
                                  "no submission for this notebook") for e in exercises(source)]
                continue
            start = monotonic()
            got = grade_notebook(notebooks[name], source, student=student, timeout=timeout,
                                 cell_timeout=cell_timeout)
            rows += got
            print(f"graded {student}/{name}: {format_points(sum(r.points for r in got))}/"
                  f"{format_points(sum(r.max_points for r in got))} points "
                  f"({monotonic() - start:.1f} s)", file=log)

    write_csv(rows, out_csv)
    write_feedback(rows, out_csv.parent / "feedback")
    print(summary_table(rows), file=log)
    print(f"wrote {out_csv} and feedback in {out_csv.parent / 'feedback'}", file=log)
    return rows


def write_csv(rows: list[GradeRow], out_csv: Path) -> None:
    """One CSV line per student x exercise, columns ``CSV_FIELDS``."""
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for r in rows:
            writer.writerow([r.student, r.notebook, r.exercise, format_points(r.points),
                             format_points(r.max_points), r.status, r.message])


def write_feedback(rows: list[GradeRow], folder: Path) -> None:
    """A markdown feedback file per student: per notebook, each exercise's points and message."""
    folder.mkdir(parents=True, exist_ok=True)
    for student in sorted({r.student for r in rows}):
        mine = [r for r in rows if r.student == student]
        lines = [f"# Feedback for {student}", ""]
        for notebook in sorted({r.notebook for r in mine}):
            part = [r for r in mine if r.notebook == notebook]
            lines += [f"## {notebook} ({_points(part)} points)", "",
                      "| exercise | points | status | message |", "| --- | ---: | --- | --- |"]
            lines += [f"| {r.exercise} | {format_points(r.points)}/{format_points(r.max_points)} "
                      f"| {r.status} | {r.message.replace('|', '/')} |" for r in part]
            lines.append("")
        lines.append(f"Total: {_points(mine)} points")
        (folder / f"{student}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _points(rows: list[GradeRow]) -> str:
    return (f"{format_points(sum(r.points for r in rows))}/"
            f"{format_points(sum(r.max_points for r in rows))}")


def summary_table(rows: list[GradeRow]) -> str:
    """A plain-text table: one line per student, points per notebook and the total."""
    notebooks = sorted({r.notebook for r in rows})
    students = sorted({r.student for r in rows})
    header = ["student", *notebooks, "total"]
    table = [header]
    for student in students:
        mine = [r for r in rows if r.student == student]
        table.append([student, *(_points([r for r in mine if r.notebook == n]) for n in notebooks),
                      _points(mine)])
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in table)
