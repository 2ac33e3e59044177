"""Grade submissions: one sandboxed job per notebook, in parallel, judged on the host.

For each submission: read it safely, put back the instructor's locked cells (hidden tests
removed), swap every check cell for its harvest cell, run it in the sandbox, and judge the
harvested answers here with the instructor's full check cells. Each finished submission's rows
go to the gradebook at once (``on_rows``), so a run that is stopped keeps what it graded.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from bplib.course import sandbox
from bplib.course.answers import Unreadable
from bplib.course.delegation import (
    check_arguments,
    delegated,
    delegation_message,
    solution_functions,
)
from bplib.course.exercises import Exercise, exercises, grade_id, is_solution
from bplib.course.judge import judge_exercise, load_cells, load_harvest
from bplib.course.plan import import_aliases, plan_notebook, plans_json, sandbox_notebook
from bplib.course.release import release_notebook
from bplib.course.submissions import Submission, parse_submission, read_submission_bytes

_MESSAGE_CHARS = 500
_RESTORED = "its check cell was missing from the submission and was put back"
_CONTROL = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")


def one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
    """``text`` on one line, control characters removed, cut to ``limit`` characters."""
    text = " ".join(_CONTROL.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Chapter:
    """An instructor notebook prepared for grading: exercises, plans, check sources, imports."""

    name: str
    released: NotebookNode
    exercises: list[Exercise]
    plans: str
    checks: dict[str, str]
    imports: dict[str, str] = field(default_factory=dict)

    @classmethod
    def prepare(cls, name: str, source: NotebookNode) -> Chapter:
        """Plan every check cell (PlanError if one cannot be judged) and import its modules.

        What is kept is plain data a cluster worker can be sent: the released notebook (no
        solutions), the plans, the check cells (hidden tests included) and their imports.
        """
        plans = plan_notebook(source)
        checks = {grade_id(c): c.source for c in source.cells if grade_id(c) in plans}
        imports = {alias: statement for alias, statement in import_aliases(source).items()
                   if any(re.search(rf"\b{re.escape(alias)}\b", text) for text in checks.values())}
        chapter = cls(name, release_notebook(source, name=name), exercises(source),
                      plans_json(plans), checks, imports)
        _ = chapter.modules  # import now: a broken import line fails before grading starts
        return chapter

    @property
    def modules(self) -> dict[str, Any]:
        """alias -> module, for the check cells' namespace (imported once per process)."""
        return _import_all(tuple(sorted(self.imports.items())))


@functools.cache
def _import_all(imports: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    modules: dict[str, Any] = {}
    for alias, statement in imports:
        scope: dict[str, Any] = {}
        exec(statement, scope)  # noqa: S102  the instructor's own import line
        modules[alias] = scope[alias]
    return modules


@dataclass(frozen=True)
class Settings:
    """How to run each job."""

    timeout: float = 600
    cell_timeout: float = 120
    sandboxed: bool = True
    limits: sandbox.Limits = sandbox.Limits()


def _rows(sub: Submission, chapter: Chapter, status: str, message: str) -> list[dict]:
    return [{"exercise": e, "points": 0.0, "status": status, "message": one_line(message)}
            for e in chapter.exercises]


def _solution_end(index: int, graded: NotebookNode, cells: dict) -> dict | None:
    """What the sandbox says of the solution cell above check cell ``index``, if it failed."""
    solution = next((i for i in range(index - 1, -1, -1) if is_solution(graded.cells[i])), None)
    info = cells.get("cells", {}).get(str(solution)) if solution is not None else None
    return info if isinstance(info, dict) and info.get("status") not in ("ok", None) else None


def _verdict(exercise: Exercise, index: int | None, graded: NotebookNode, out: Path,
             cells: dict, chapter: Chapter, end: sandbox.JobEnd) -> tuple[float, str, str]:
    if index is None:
        return 0.0, "missing", "the check cell is not in the notebook"
    try:
        harvest = load_harvest(out, exercise.grade_id)
    except Unreadable as err:
        return 0.0, "invalid", f"the answers recorded for this exercise were refused: {err}"
    if harvest is None:
        info = cells.get("cells", {}).get(str(index))
        if isinstance(info, dict) and info.get("status") in ("timeout", "not run"):
            why = cells.get("problem") or "the check did not finish within the time limit"
            return 0.0, info["status"], str(why)
        if cells and not end.timed_out and end.returncode == 0:
            return 0.0, "error", ("no answers were recorded for this exercise: the notebook's own "
                                  "code kept its check from running")
        return 0.0, "killed", f"no answers were recorded for this exercise: {end.reason()}"
    status, message = judge_exercise(chapter.checks[exercise.grade_id], exercise.grade_id,
                                     harvest, chapter.modules)
    if status == "error":
        ended = _solution_end(index, graded, cells)
        if ended and ended.get("ename") == "NotImplementedError":
            # a value answer (``prediction = ...``) not written yet: its stub raised, nothing was set
            return 0.0, "unanswered", "the answer cell above still raises NotImplementedError"
        if ended:
            message += f" (the solution cell above ended with {ended.get('ename')}: {ended.get('evalue')})"
    if status == "passed":
        used = _delegation(exercise, index, graded)
        if used:
            return 0.0, "failed", delegation_message(used)
    return (exercise.points if status == "passed" else 0.0), status, message


def _delegation(exercise: Exercise, index: int, graded: NotebookNode) -> str | None:
    """The library name the exercise's solution cell hands the answer to, if any."""
    solution = next((graded.cells[i] for i in range(index - 1, -1, -1)
                     if is_solution(graded.cells[i])), None)
    if solution is None or not exercise.check:
        return None
    own = solution_functions([c.source for c in graded.cells if is_solution(c)])
    return delegated(exercise.check, solution.source, own, check_arguments(graded.cells[index].source))


def read_raw(sub: Submission, chapter: Chapter) -> bytes | list[dict]:
    """The submission's bytes (to send to a worker), or its rows if it is refused or unreadable:
    the same rows ``grade_one`` gives such a file."""
    if sub.refusal:
        return _rows(sub, chapter, "refused", sub.refusal)
    try:
        return read_submission_bytes(sub.path)
    except Exception as err:  # any broken file scores zero, whatever the parser says
        return _rows(sub, chapter, "unreadable", f"the notebook could not be read: {err}")


def grade_one(sub: Submission, chapter: Chapter, settings: Settings, slot: int,
              work: Path, raw: bytes | None = None) -> list[dict]:
    """Grade one submission (its bytes ``raw``, else read from ``sub.path``) in its own job
    folder under ``work``; never raises for bad input."""
    if sub.refusal:
        return _rows(sub, chapter, "refused", sub.refusal)
    if raw is None:
        raw = read_raw(sub, chapter)
        if isinstance(raw, list):
            return raw
    try:
        nb = parse_submission(raw)
    except Exception as err:  # any broken file scores zero, whatever the parser says
        return _rows(sub, chapter, "unreadable", f"the notebook could not be read: {err}")
    from bplib.course.grade import restore_instructor_cells
    try:
        graded, restored = restore_instructor_cells(nb, chapter.released)
    except Exception as err:  # malformed cells (a number as source, say) fail here
        return _rows(sub, chapter, "unreadable", f"the notebook's cells could not be run: {err}")
    job = work / f"job-{uuid.uuid4().hex}"
    job.mkdir()
    try:
        inside = "/job" if settings.sandboxed else str(job)
        (job / "notebook.ipynb").write_text(json.dumps(sandbox_notebook(graded, inside)),
                                            encoding="utf-8")
        (job / "plan.json").write_text(chapter.plans, encoding="utf-8")
        (job / "settings.json").write_text(json.dumps(
            {"timeout": settings.timeout, "cell_timeout": settings.cell_timeout}),
            encoding="utf-8")
        user = sandbox.job_user(slot) if settings.sandboxed else None
        end = sandbox.run_job(job, limits=settings.limits, user=user,
                              sandboxed=settings.sandboxed)
        out = job / "out"
        cells = load_cells(out)
        by_id = {grade_id(c): i for i, c in enumerate(graded.cells) if grade_id(c)}
        rows = []
        for exercise in chapter.exercises:
            points, status, message = _verdict(exercise, by_id.get(exercise.grade_id), graded,
                                               out, cells, chapter, end)
            if exercise.grade_id in restored:
                message = f"{message} ({_RESTORED})"
            rows.append({"exercise": exercise, "points": points, "status": status,
                         "message": one_line(message)})
        return rows
    finally:
        shutil.rmtree(job, ignore_errors=True)


def run_all(tasks: Iterable[tuple[Submission, Chapter]], settings: Settings, jobs: int,
            on_rows: Callable[[Submission, Chapter, list[dict]], None],
            progress: Callable[[Submission], None] | None = None) -> None:
    """Grade every task with ``jobs`` concurrent sandboxes; ``on_rows`` runs in this thread."""
    tasks = list(tasks)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_guarded, sub, chapter, settings): (sub, chapter)
                   for sub, chapter in tasks}
        for future in as_completed(futures):
            sub, chapter = futures[future]
            on_rows(sub, chapter, future.result())
            if progress:
                progress(sub)


def grade_guarded(sub: Submission, chapter: Chapter, settings: Settings,
                  raw: bytes | None = None) -> list[dict]:
    """``grade_one`` with a free job slot of this machine and a private work folder; a grader
    bug scores the notebook with the reason instead of stopping the class."""
    work = Path(tempfile.mkdtemp(prefix="bp-grade-"))
    os.chmod(work, 0o711)
    try:
        with sandbox.claim_slot() as slot:
            return grade_one(sub, chapter, settings, slot, work, raw)
    except Exception as err:
        return _rows(sub, chapter, "error", f"the grader failed on this notebook: {err}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
