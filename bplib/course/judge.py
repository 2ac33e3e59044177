"""Verdicts made where student code never ran: replay the recorded answers through the checks.

For each exercise the judge reads what the sandbox harvested (JSON and ``.npy`` files only,
opened without following links, size-capped, dtypes checked), then runs the instructor's own
check cell, hidden tests included, in this process: the student's functions are
:class:`~bplib.course.replay.StudentFunction` stand-ins that answer from the record, so the
check's comparison and its feedback are computed here, against references computed here.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bplib.course import answers
from bplib.course.answers import Decoder, Unreadable, validate, validate_nodes
from bplib.course.plan import file_stem
from bplib.course.replay import (
    AnswerMissing,
    Bundle,
    Call,
    Interrupted,
    Replayer,
    StudentError,
    StudentFunction,
    active,
)

MAX_JSON_BYTES = 16 * 2**20
MAX_TOTAL_ARRAY_BYTES = 256 * 2**20
_ARRAY_NAME = re.compile(r"^[A-Za-z0-9_-]+\.[0-9]+\.npy$")


def read_capped(folder: Path, name: str, limit: int) -> bytes:
    """The bytes of regular file ``folder/name``; links, other file types and big files refused."""
    if "/" in name or name.startswith("."):
        raise Unreadable(f"refusing the file name {name!r}")
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as err:
        raise Unreadable(f"the answers folder cannot be opened: {err.strerror}") from None
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as err:
        raise Unreadable(f"cannot open {name}: {err.strerror}") from None
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{name} is not a regular file")
        if info.st_size > limit:
            raise Unreadable(f"{name} is larger than {limit} bytes")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(f"{name} is larger than {limit} bytes")
    return data


class _Arrays:
    """Loads recorded arrays: allow_pickle=False, numeric dtypes, a budget for all of them."""

    def __init__(self, folder: Path, stem: str) -> None:
        self.folder, self.stem, self.used = folder, stem, 0

    def load(self, names: Any) -> list[np.ndarray]:
        if type(names) is not list:
            raise Unreadable("recorded array list malformed")
        out = []
        for name in names:
            if type(name) is not str or not _ARRAY_NAME.match(name) \
                    or not name.startswith(self.stem + "."):
                raise Unreadable(f"refusing recorded array name {name!r}")
            raw = read_capped(self.folder, name, answers.MAX_ARRAY_BYTES + 4096)
            try:
                arr = np.load(io.BytesIO(raw), allow_pickle=False)
            except (ValueError, OSError, EOFError) as err:
                raise Unreadable(f"recorded array {name} refused: {err}") from None
            if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biufc" \
                    or arr.dtype.hasobject:
                raise Unreadable(f"recorded array {name} has a non-numeric dtype")
            self.used += arr.nbytes
            if self.used > MAX_TOTAL_ARRAY_BYTES:
                raise Unreadable("the recorded arrays are larger than the grader accepts")
            out.append(arr)
        return out


def _bundle(raw: Any, arrays: _Arrays) -> Bundle:
    if type(raw) is not dict:
        raise Unreadable("recorded call malformed")
    loaded = arrays.load(raw.get("arrays"))
    nodes = validate_nodes(raw.get("nodes"))
    data = raw.get("data")
    for item in data if type(data) is list and len(data) <= 2 else [data]:
        validate(item, loaded, nodes)
    return Bundle(raw.get("data"), loaded, nodes)


@dataclass
class Harvest:
    """What the sandbox recorded for one exercise, validated."""

    status: str
    names: dict[str, dict]
    calls: list[Call]
    values: dict[str, Bundle]


def load_harvest(out: Path, gid: str) -> Harvest | None:
    """The validated record for exercise ``gid``; None if there is none; Unreadable if bad."""
    stem = file_stem(gid)
    try:
        raw = json.loads(read_capped(out, f"{stem}.json", MAX_JSON_BYTES))
    except Unreadable as err:
        if "No such file" in str(err) and "folder" not in str(err):
            return None
        raise
    except (ValueError, RecursionError) as err:
        raise Unreadable(f"the record is not valid JSON ({err})") from None
    if type(raw) is not dict or type(raw.get("names")) is not dict \
            or type(raw.get("calls")) is not list or raw.get("status") not in ("done", "interrupted"):
        raise Unreadable("the record is malformed")
    arrays = _Arrays(out, stem)
    calls, values = [], {}
    for item in raw["calls"][:2_000]:
        if type(item) is not dict or type(item.get("name")) is not str:
            raise Unreadable("a recorded call is malformed")
        pre = _bundle(item.get("pre"), arrays)
        post = _bundle(item["post"], arrays) if item.get("post") is not None else None
        if post is not None and (type(post.data) is not list or len(post.data) != 2):
            raise Unreadable("a recorded answer is malformed")
        raised = item.get("raised")
        if raised is not None and (type(raised) is not list or len(raised) != 2
                                   or not all(type(x) is str for x in raised)):
            raise Unreadable("a recorded exception is malformed")
        calls.append(Call(item["name"], pre, post, tuple(raised) if raised else None))
    for name, info in raw["names"].items():
        if type(info) is not dict or info.get("kind") not in ("undefined", "function", "value",
                                                              "unreadable"):
            raise Unreadable(f"the record of name {name!r} is malformed")
        if info["kind"] == "value":
            values[name] = _bundle(info.get("value"), arrays)
    return Harvest(raw["status"], raw["names"], calls, values)


def load_cells(out: Path) -> dict:
    """The sandbox's own account of each cell (informational: used in messages only)."""
    try:
        data = json.loads(read_capped(out, "cells.json", MAX_JSON_BYTES))
    except (Unreadable, ValueError):
        return {}
    return data if type(data) is dict and type(data.get("cells")) is dict else {}


def _namespace(harvest: Harvest, modules: dict[str, Any], session: Replayer) -> dict:
    ns: dict[str, Any] = {"__builtins__": builtins, "__name__": "__check__",
                          "print": session.print, **modules}
    for name, info in harvest.names.items():
        if info["kind"] == "function":
            ns[name] = StudentFunction(name, session)
        elif info["kind"] == "value":
            b = harvest.values[name]
            ns[name] = Decoder(b.arrays, b.nodes, []).dec(b.data)
    return ns


def judge_exercise(source: str, gid: str, harvest: Harvest, modules: dict[str, Any]
                   ) -> tuple[str, str]:
    """(status, message) of instructor check cell ``source`` replayed against ``harvest``."""
    session = Replayer(harvest.calls)
    try:
        ns = _namespace(harvest, modules, session)
        with active(session):
            exec(compile(source, f"<check cell {gid}>", "exec"), ns)  # noqa: S102 (instructor's)
    except Interrupted:
        return "timeout", "the check did not finish within the cell time limit"
    except AnswerMissing as err:
        if harvest.status == "interrupted":
            return "timeout", "the check did not finish within the cell time limit"
        return "invalid", f"{err}; nothing the notebook printed counts."
    except Unreadable as err:
        return "failed", f"AssertionError: {err}"
    except NotImplementedError:
        return "unanswered", "the exercise still raises NotImplementedError"
    except AssertionError as err:
        return "failed", f"AssertionError: {err}"
    except StudentError as err:
        return "error", f"{type(err).__name__}: {err}"
    except Exception as err:  # a NameError for an undefined function, a TypeError, ...
        return "error", f"{type(err).__name__}: {err}"
    return "passed", "".join(session.messages)
