"""A self-learner's own copy of the course: start it, record each check's result, show progress,
reveal a solution on request.

``python -m bplib.course start`` writes the student versions (solutions stubbed) into a work
folder with an empty progress file, ``.bplib-progress.json``. From then on every check cell run
in that folder records whether it passed (only there: a check run elsewhere, in ``notebooks/``,
under nbval or by the grader, records nothing). ``progress`` lists every exercise of every
chapter as passed, failed or not tried; ``solution`` prints one exercise's solution from the
instructor version, and only when asked.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import nbformat

from bplib.course.exercises import exercises, format_points, is_solution, read_notebook
from bplib.course.release import expand_sources, release_notebook, repo_notebooks_dir

PROGRESS_FILE = ".bplib-progress.json"
DEFAULT_WORK = "my-work"
_MESSAGE_CHARS = 300


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(check: str, ok: bool, message: str, folder: Path | None = None) -> None:
    """Note a check's result in ``folder``'s progress file, if the folder has one."""
    path = Path(folder or os.getcwd()) / PROGRESS_FILE
    if not path.is_file() or path.is_symlink():
        return
    data = _read(path)
    data[check] = {"passed": ok, "message": " ".join(message.split())[:_MESSAGE_CHARS],
                   "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    tmp = path.with_name(f".{PROGRESS_FILE}.part")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def recorded(check: Callable) -> Callable:
    """Wrap a ``check_*`` function so that, run by a student, its outcome is recorded."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        from bplib.course.replay import current

        if current() is not None:  # grading: the sandbox or the judge, never a student's folder
            return check(*args, **kwargs)
        try:
            result = check(*args, **kwargs)
        except AssertionError as err:
            _safe_record(check.__name__, False, str(err))
            raise
        except NotImplementedError:
            raise
        except Exception as err:
            _safe_record(check.__name__, False, f"{type(err).__name__}: {err}")
            raise
        _safe_record(check.__name__, True, "passed")
        return result
    return run


def _safe_record(check: str, ok: bool, message: str) -> None:
    try:
        record(check, ok, message)
    except OSError:  # a read-only folder must not turn a right answer into an error
        pass


def start(out: str | Path = DEFAULT_WORK, sources: list[str | Path] | None = None,
          log: TextIO | None = None) -> list[Path]:
    """Write the student version of every chapter into ``out``; keep any copy already edited.

    Returns the notebooks written. The progress file is created if it is missing; an existing
    one, and every notebook the learner changed, are left exactly as they are.
    """
    log = log or sys.stdout
    out = Path(out)
    files = expand_sources(sources or [repo_notebooks_dir()])
    if out.resolve() == repo_notebooks_dir() or out.resolve().is_relative_to(repo_notebooks_dir()):
        raise ValueError(f"start: {out} is the course's own notebooks folder; choose another, e.g. "
                         f"{DEFAULT_WORK}/.")
    out.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for source in files:
        target = out / source.name
        text = nbformat.writes(release_notebook(read_notebook(source), name=str(source))) + "\n"
        if target.exists() and target.read_text(encoding="utf-8") != text:
            kept.append(target.name)
            continue
        target.write_text(text, encoding="utf-8")
        written.append(target)
    progress = out / PROGRESS_FILE
    if not progress.exists():
        progress.write_text("{}", encoding="utf-8")
    print(f"{len(written)} chapters ready in {out}/ (solutions left for you to write)"
          + (f"; kept your own copies of {', '.join(kept)}" if kept else ""), file=log)
    return written


def progress_table(folder: str | Path = DEFAULT_WORK) -> str:
    """Every exercise of every chapter in ``folder``: passed, failed (with why) or not tried."""
    folder = Path(folder)
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"progress: {folder} has no notebooks; run `python -m bplib.course "
                                "start` first.")
    results = _read(folder / PROGRESS_FILE)
    lines, done, total = [], 0.0, 0.0
    for path in notebooks:
        found = exercises(read_notebook(path))
        if not found:
            continue
        got = sum(e.points for e in found if results.get(e.check, {}).get("passed"))
        lines.append(f"{path.stem}  ({format_points(got)}/{format_points(sum(e.points for e in found))} points)")
        for number, e in enumerate(found, 1):
            entry = results.get(e.check)
            word = "not tried" if entry is None else ("passed" if entry.get("passed") else "failed")
            why = f": {entry.get('message', '')}" if entry and not entry.get("passed") else ""
            lines.append(f"  [{word:>9}] {number}. {e.title}{why}")
        done += got
        total += sum(e.points for e in found)
    lines.append(f"total: {format_points(done)}/{format_points(total)} points")
    return "\n".join(lines)


def solution_text(chapter: str, number: int, source_dir: Path | None = None) -> str:
    """The instructor's solution cell of exercise ``number`` (1-based) of ``chapter``."""
    source_dir = source_dir or repo_notebooks_dir()
    matches = sorted(source_dir.glob(f"{chapter}*.ipynb"))
    if len(matches) != 1:
        names = ", ".join(p.stem for p in sorted(source_dir.glob("*.ipynb")))
        raise ValueError(f"solution: {chapter!r} names {len(matches)} chapters; give one of: {names}.")
    nb = read_notebook(matches[0])
    found = exercises(nb)
    if not 1 <= number <= len(found):
        raise ValueError(f"solution: {matches[0].stem} has exercises 1 to {len(found)}, not {number}.")
    exercise = found[number - 1]
    cell = next((c for c in reversed(nb.cells[:exercise.cell_index]) if is_solution(c)), None)
    if cell is None:
        raise ValueError(f"solution: exercise {number} of {matches[0].stem} has no solution cell.")
    return f"# {matches[0].stem}, {exercise.title}\n{cell.source}\n"
