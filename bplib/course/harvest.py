"""Inside the sandbox, in the student's kernel: record the answers one check cell needs.

A harvest cell stands where the check cell was. It reads the plan (``plan.json`` in the job
folder: student names, ``check_*`` calls, literal calls; no expected values), runs the check
functions with a :class:`~bplib.course.replay.Recorder` active so every call of the student's
function is recorded, and writes ``out/<exercise>.json`` plus ``.npy`` arrays. Nothing here
decides a grade: whatever the student's code does to this process can change what is
recorded, and the judge outside only accepts answers that are right.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bplib.course.answers import Encoder
from bplib.course.plan import file_stem
from bplib.course.replay import Bundle, Recorder, active, bundle

_MISSING = object()


def _value(spec: dict, ns: dict) -> Any:
    if "name" in spec:
        return ns.get(spec["name"], _MISSING)
    return ast.literal_eval(spec["literal"])


class _Writer:
    """Writes bundles: arrays as ``<stem>.<k>.npy`` (no pickle), the rest into the JSON."""

    def __init__(self, out: Path, stem: str) -> None:
        self.out, self.stem, self.count = out, stem, 0

    def bundle(self, b: Bundle) -> dict:
        names = []
        for arr in b.arrays:
            name = f"{self.stem}.{self.count}.npy"
            self.count += 1
            np.save(self.out / name, np.asarray(arr), allow_pickle=False)
            names.append(name)
        return {"data": b.data, "arrays": names, "nodes": b.nodes}


def _names(plan: dict, ns: dict) -> tuple[dict[str, dict], dict[int, str], list[tuple]]:
    info: dict[str, dict] = {}
    ids: dict[int, str] = {}
    values = []
    for name in plan["names"]:
        obj = ns.get(name, _MISSING)
        if obj is _MISSING:
            info[name] = {"kind": "undefined"}
        elif callable(obj):
            info[name] = {"kind": "function"}
            ids.setdefault(id(obj), name)
        else:
            values.append((name, obj))
    return info, ids, values


def harvest_exercise(job: str, gid: str, ns: dict | None = None) -> None:
    """Record the answers for check cell ``gid``; the judge outside gives the verdict."""
    job_dir = Path(job)
    ns = ns if ns is not None else sys._getframe(1).f_globals
    plan = json.loads((job_dir / "plan.json").read_text(encoding="utf-8"))[gid]
    out = job_dir / "out"
    writer = _Writer(out, file_stem(gid))
    info, ids, values = _names(plan, ns)
    recorder = Recorder(ids)
    status = "done"
    try:
        import bplib.course as course
        with active(recorder):
            for step in plan["steps"]:
                try:
                    args = [_value(a, ns) for a in step["args"]]
                    kwargs = {k: _value(v, ns) for k, v in step["kwargs"].items()}
                    if any(a is _MISSING for a in [*args, *kwargs.values()]):
                        continue
                    if step["kind"] == "check":
                        getattr(course, step["target"])(*args, **kwargs)
                    else:
                        fn = ns.get(step["target"], _MISSING)
                        if callable(fn):
                            recorder.call(fn, tuple(args), kwargs, step["target"])
                except KeyboardInterrupt:
                    status = "interrupted"
                    break
                except BaseException:  # noqa: BLE001  the verdict is made outside
                    continue
    finally:
        for name, obj in values:
            try:
                enc = Encoder()
                info[name] = {"kind": "value", "value": writer.bundle(bundle(enc, enc.enc(obj)))}
            except Exception as err:  # noqa: BLE001
                info[name] = {"kind": "unreadable", "why": str(err)[:200]}
        calls = [{"name": c.name, "pre": writer.bundle(c.pre),
                  "post": writer.bundle(c.post) if c.post is not None else None,
                  "raised": list(c.raised) if c.raised else None} for c in recorder.calls]
        record = {"grade_id": gid, "status": status, "names": info, "calls": calls}
        tmp = out / f".{writer.stem}.json.part"
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, out / f"{writer.stem}.json")
