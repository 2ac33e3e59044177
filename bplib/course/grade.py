"""Autograde a folder of submissions against the instructor notebooks into a CSV gradebook.

Student code runs only in a sandbox (``bplib.course.sandbox``) and only produces answers; the
verdicts are made here by replaying those answers through the instructor's check cells
(``bplib.course.judge``). This module is the driver: it finds the work, runs it in parallel
(``bplib.course.runner``) and writes the gradebook and feedback as each submission finishes.
"""

from __future__ import annotations

import copy
import csv
import html
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nbformat import NotebookNode

from bplib.course.exercises import (
    format_points,
    grade_id,
    is_instructor_owned,
    is_solution,
    read_notebook,
)
from bplib.course.release import repo_notebooks_dir
from bplib.course.submissions import Submission, find_submissions

CSV_FIELDS = ("student", "notebook", "exercise", "points", "max_points", "status", "message")
NO_SANDBOX = ("grade: bubblewrap (bwrap) is not installed, so the students' code would run with "
              "your permissions and could read the solutions, change other submissions or the "
              "gradebook. Install it (Debian/Ubuntu: apt install bubblewrap) or, for submissions "
              "you trust, pass --no-sandbox.")


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


def check_out_path(out_csv: Path, submissions: Path, source_dir: Path) -> None:
    """Refuse a gradebook path inside the submissions or the instructor notebooks."""
    target = out_csv.resolve().parent
    for folder in (submissions.resolve(), source_dir.resolve(), repo_notebooks_dir()):
        if target == folder or target.is_relative_to(folder):
            raise ValueError(f"grade: refusing --out {out_csv}: it is inside {folder}, which "
                             "grading must never change. Choose e.g. grades/grades.csv.")


def _load_sources(names: set[str], source_dir: Path, log: TextIO) -> dict:
    from bplib.course.runner import Chapter

    chapters = {}
    for name in sorted(names):
        path = source_dir / f"{name}.ipynb"
        if path.is_file():
            chapters[name] = Chapter.prepare(name, read_notebook(path))
        else:
            print(f"skipping {name}.ipynb: no instructor version in {source_dir}", file=log)
    return chapters


def _resume_rows(out_csv: Path, expected: dict[tuple[str, str], int]) -> list[GradeRow]:
    """Rows of submissions the earlier run finished (all of their exercises present)."""
    if not out_csv.is_file():
        return []
    rows: list[GradeRow] = []
    with out_csv.open(newline="", encoding="utf-8") as f:
        for line in csv.reader(f):
            if len(line) != len(CSV_FIELDS) or tuple(line) == CSV_FIELDS:
                continue
            try:
                rows.append(GradeRow(line[0], line[1], line[2], float(line[3]), float(line[4]),
                                     line[5], line[6]))
            except ValueError:
                continue
    count: dict[tuple[str, str], int] = {}
    for r in rows:
        count[r.student, r.notebook] = count.get((r.student, r.notebook), 0) + 1
    return [r for r in rows if count[r.student, r.notebook] == expected.get((r.student, r.notebook))]


def grade(submissions: str | Path, out_csv: str | Path, *, source_dir: str | Path | None = None,
          timeout: float = 600, cell_timeout: float = 120, log: TextIO | None = None,
          jobs: int | None = None, sandboxed: bool = True, resume: bool = False,
          progress: bool | None = None, cluster: str | None = None) -> list[GradeRow]:
    """Grade ``submissions/<student>/<notebook>.ipynb``; write the CSV, feedback and a summary.

    Each submission runs in its own sandbox (``jobs`` at a time, default: one per core); its
    rows are appended to ``out_csv`` and its student's feedback rewritten as soon as it is
    judged. ``resume`` keeps the rows of submissions an earlier, stopped run finished.
    ``cluster`` (a Dask scheduler's address, or ``local:N``) sends each submission to a worker
    of that cluster instead (``bplib.course.cluster``); the gradebook is the same.
    Without bubblewrap, grading refuses to start unless ``sandboxed=False``.
    """
    from bplib.course import sandbox
    from bplib.course.runner import Settings, run_all

    log = log or sys.stdout
    submissions, out_csv = Path(submissions), Path(out_csv)
    source_dir = Path(source_dir) if source_dir is not None else repo_notebooks_dir()
    if not submissions.is_dir():
        raise FileNotFoundError(f"grade: the submissions folder {submissions} does not exist.")
    if not source_dir.is_dir():
        raise FileNotFoundError(f"grade: the instructor notebooks folder {source_dir} does not "
                                "exist; pass --source DIR.")
    check_out_path(out_csv, submissions, source_dir)
    if cluster is not None:
        from bplib.course.cluster import parse_cluster
        parse_cluster(cluster)  # a malformed address fails before anything is graded
        if jobs is not None:
            raise ValueError("grade: --jobs and --cluster exclude each other: a cluster runs one "
                             "notebook per worker thread; size it with local:N or its workers.")
    if sandboxed and cluster is None and sandbox.bwrap_path() is None:
        raise ValueError(NO_SANDBOX)
    by_student = find_submissions(submissions)
    if not by_student:
        raise ValueError(f"grade: {submissions} has no <student>/ folders with notebooks.")
    names = {n for found in by_student.values() if isinstance(found, dict) for n in found}
    chapters = _load_sources(names or {p.stem for p in source_dir.glob("*.ipynb")}, source_dir,
                             log)

    rows: list[GradeRow] = []
    tasks = []
    for student, found in by_student.items():
        for name, chapter in chapters.items():
            if isinstance(found, str):
                tasks.append((Submission(student, name, None, found), chapter))
            elif name in found:
                tasks.append((found[name], chapter))
            else:
                rows += [GradeRow(student, name, e.grade_id, 0.0, e.points, "missing",
                                  "no submission for this notebook") for e in chapter.exercises]
    expected = {(s.student, c.name): len(c.exercises) for s, c in tasks}
    kept = _resume_rows(out_csv, expected) if resume else []
    done = {(r.student, r.notebook) for r in kept}
    tasks = [(s, c) for s, c in tasks if (s.student, c.name) not in done]
    rows = kept + rows
    write_csv(rows, out_csv)
    feedback = out_csv.parent / "feedback"
    write_feedback(rows, feedback)

    def finished(sub: Submission, chapter, got: list[dict]) -> None:
        new = [GradeRow(sub.student, chapter.name, r["exercise"].grade_id, r["points"],
                        r["exercise"].points, r["status"], r["message"]) for r in got]
        rows.extend(new)
        append_csv(new, out_csv)
        write_feedback([r for r in rows if r.student == sub.student], feedback)

    settings = Settings(timeout=timeout, cell_timeout=cell_timeout, sandboxed=sandboxed,
                        limits=sandbox.Limits(cpu_seconds=int(timeout) + 120,
                                              wall_seconds=timeout + 180))
    jobs = jobs or os.cpu_count() or 1
    show = progress if progress is not None else log is sys.stdout and sys.stderr.isatty()
    from tqdm import tqdm
    students = {s.student for s, _ in tasks}
    left = {st: sum(1 for s, _ in tasks if s.student == st) for st in students}
    with tqdm(total=len(tasks), unit="notebook", desc="grading", disable=not show,
              dynamic_ncols=True) as bar:
        def step(sub: Submission) -> None:
            left[sub.student] -= 1
            bar.set_postfix_str(f"{sum(v == 0 for v in left.values())}/{len(left)} students done")
            bar.update(1)
            if not show:
                print(f"graded {sub.student}/{sub.name}", file=log)
        if cluster is None:
            run_all(tasks, settings, jobs, finished, step)
        else:
            from bplib.course.cluster import connect, run_on_cluster
            with connect(cluster) as client:
                run_on_cluster(client, tasks, settings, finished, step)

    rows.sort(key=lambda r: (r.student, r.notebook))
    write_csv(rows, out_csv)
    print(summary_table(rows), file=log)
    print(f"wrote {out_csv} and feedback in {feedback}", file=log)
    return rows


def _csv_line(r: GradeRow) -> list[str]:
    return [r.student, r.notebook, r.exercise, format_points(r.points),
            format_points(r.max_points), r.status, r.message]


def write_csv(rows: list[GradeRow], out_csv: Path) -> None:
    """One CSV line per student x exercise, columns ``CSV_FIELDS`` (replaced atomically)."""
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_csv.with_name(f".{out_csv.name}.part")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        writer.writerows(_csv_line(r) for r in rows)
    os.replace(tmp, out_csv)


def append_csv(rows: list[GradeRow], out_csv: Path) -> None:
    """Add one submission's rows to the gradebook and push them to disk."""
    with out_csv.open("a", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(_csv_line(r) for r in rows)
        f.flush()
        os.fsync(f.fileno())


def escape_message(text: str) -> str:
    """A gradebook message made safe for a markdown table (no HTML, no table breaks)."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("`", "\\`")


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
                      f"| {r.status} | {escape_message(r.message)} |" for r in part]
            lines.append("")
        lines.append(f"Total: {_points(mine)} points")
        target = folder / f"{student}.md"
        tmp = folder / f".{student}.md.part"
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, target)


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
