"""Find and read submissions safely: regular files inside the submissions folder, nothing else.

A student folder or a notebook that is a symbolic link (to another student's work, to a chapter
in ``notebooks/``) is refused with a one-line reason, as is a hard-linked or oversized file.
Files are opened without following links and read with a size cap; nothing is ever written.
"""

from __future__ import annotations

import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

MAX_NOTEBOOK_BYTES = 20 * 2**20


@dataclass(frozen=True)
class Submission:
    """One student's file for one notebook, or the reason it is refused."""

    student: str
    name: str
    path: Path | None
    refusal: str = ""


def _refusal(path: Path, info: os.stat_result) -> str:
    if stat.S_ISLNK(info.st_mode):
        return "refused: the submitted notebook is a symbolic link, not the student's own file"
    if not stat.S_ISREG(info.st_mode):
        return "refused: the submission is not a regular file"
    if info.st_nlink > 1:
        return "refused: the submitted notebook is a hard link to another file"
    if info.st_size > MAX_NOTEBOOK_BYTES:
        return f"refused: the notebook is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"
    return ""


def find_submissions(root: Path) -> dict[str, dict[str, Submission] | str]:
    """student -> notebook name -> Submission, or student -> refusal for a linked folder.

    Notebooks are ``root/<student>/**/<name>.ipynb`` (nbgrader's exchange layout works); hidden
    (``.``) and ``_`` folders are skipped; linked folders below a student's folder are ignored.
    """
    if root.is_symlink():
        raise ValueError(f"grade: {root} is a symbolic link; pass the real submissions folder.")
    found: dict[str, dict[str, Submission] | str] = {}
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_symlink():
            if entry.is_dir():
                found[entry.name] = ("refused: the student folder is a symbolic link (to "
                                     "someone else's folder?); only real folders are graded")
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        notebooks: dict[str, Submission] = {}
        for folder, dirs, files in os.walk(entry.path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for file in sorted(files):
                if not file.endswith(".ipynb") or file.startswith("."):
                    continue
                path = Path(folder, file)
                reason = _refusal(path, path.lstat())
                notebooks.setdefault(path.stem, Submission(entry.name, path.stem,
                                                           None if reason else path, reason))
        found[entry.name] = notebooks
    return found


def read_submission_bytes(path: Path) -> bytes:
    """The file at ``path`` (no links followed, size-capped); ValueError if it is refused."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        reason = _refusal(path, os.fstat(f.fileno()))
        if reason:
            raise ValueError(reason)
        raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise ValueError("refused: the notebook grew while it was read")
    return raw


def parse_submission(raw: bytes) -> NotebookNode:
    """The notebook in ``raw`` (a submission's bytes); ValueError if it is not one."""
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"refused: the notebook is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    with warnings.catch_warnings():
        # old or hand-edited files warn about missing cell ids; grading does not need them
        warnings.simplefilter("ignore")
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    for cell in nb.cells:
        if not isinstance(cell.get("source"), str) or not isinstance(cell.get("metadata"), dict):
            raise ValueError("a cell's source or metadata is malformed")
    return nb


def read_submission(path: Path) -> NotebookNode:
    """The notebook at ``path`` (no links followed, size-capped); ValueError if it is not one."""
    return parse_submission(read_submission_bytes(path))
