"""The grading job inside the sandbox: run one notebook (harvest cells included), report cells.

``python -m bplib.course.worker JOB [--uid U --gid G]``: drops to the job's unprivileged user
first (when started as root inside bubblewrap), then runs ``JOB/notebook.ipynb`` with nbclient
and a kernel, both inside the sandbox, and writes ``JOB/out/cells.json`` (how each code cell
ended). The harvest cells write the answers next to it. The host reads both as data only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

_CELL_TEXT = 1_000


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good (no supplementary groups, no capabilities left)."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("could not drop privileges")


def main(argv: list[str] | None = None) -> int:
    """Run the job in folder JOB."""
    parser = argparse.ArgumentParser(prog="python -m bplib.course.worker")
    parser.add_argument("job")
    parser.add_argument("--uid", type=int)
    parser.add_argument("--gid", type=int)
    args = parser.parse_args(argv)
    if args.uid is not None:
        drop_privileges(args.uid, args.gid if args.gid is not None else args.uid)
    job = Path(args.job)
    settings = json.loads((job / "settings.json").read_text(encoding="utf-8"))

    import nbformat

    from bplib.course.execute import run_notebook

    nb = nbformat.from_dict(json.loads((job / "notebook.ipynb").read_text(encoding="utf-8")))
    run = run_notebook(nb, timeout=settings["timeout"], cell_timeout=settings["cell_timeout"],
                       setup="import bplib.course.harvest")
    cells = {str(i): {"status": r.status, "ename": r.ename[:100], "evalue": r.evalue[:_CELL_TEXT]}
             for i, r in run.cells.items()}
    tmp = job / "out" / ".cells.json.part"
    tmp.write_text(json.dumps({"cells": cells, "problem": run.problem[:_CELL_TEXT]}),
                   encoding="utf-8")
    os.replace(tmp, job / "out" / "cells.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
