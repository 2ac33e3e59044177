"""Grade on a Dask cluster: one task per submission, each graded by a worker in the same sandbox.

``grade --cluster ADDRESS`` connects to a running Dask scheduler; ``--cluster local:N`` starts
a ``LocalCluster`` of N single-threaded worker processes here. Dask is imported only then (the
``cluster`` extra). A task carries the submission's bytes and the chapter prepared for grading
(``runner.Chapter``: the released notebook without solutions, the harvest plan, the check cells
with their hidden tests), sent to every worker once; the instructor's notebook never leaves
this machine. A worker runs ``runner.grade_guarded``, exactly what local grading runs, and the
rows come back as each task finishes. If a worker dies, Dask runs its task again elsewhere; a
task that keeps killing workers scores its submission "error" and the run goes on.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bplib.course.runner import Chapter, Settings, grade_guarded, one_line, read_raw
from bplib.course.submissions import Submission

_LOCAL = re.compile(r"^local:(\d+)$")
INSTALL = ("grade --cluster needs Dask's distributed scheduler: pip install 'bplib[cluster]' "
           "(or the course's requirements.txt) on this machine and on every worker.")


def parse_cluster(spec: str) -> tuple[str, int | str]:
    """``"local:4"`` -> ("local", 4); ``"tcp://host:8786"`` or ``"host:8786"`` -> ("address", …)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("grade: --cluster takes local:N (N worker processes here) or a Dask "
                         f"scheduler's address such as tcp://10.0.0.5:8786, got {spec!r}.")
    match = _LOCAL.match(spec.strip())
    if match:
        workers = int(match.group(1))
        if not 1 <= workers <= 512:
            raise ValueError(f"grade: --cluster local:N needs 1 <= N <= 512 workers, got {workers}.")
        return "local", workers
    if spec.startswith("local"):
        raise ValueError(f"grade: --cluster {spec!r}: write local:N with N the number of worker "
                         "processes, e.g. local:4.")
    return "address", spec.strip()


@contextlib.contextmanager
def connect(spec: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec``; a local cluster is closed when the block ends."""
    kind, where = parse_cluster(spec)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(INSTALL) from None
    if kind == "local":
        with LocalCluster(n_workers=where, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(where, timeout="30s")
    except OSError as err:
        raise ValueError(f"grade: no Dask scheduler answered at {where} ({err}). Start one with "
                         "`dask scheduler` and workers with `dask worker ADDRESS` in the course "
                         "environment.") from None
    with client:
        yield client


def worker_grade(sub: Submission, raw: bytes, chapter: Chapter, settings: Settings) -> list[dict]:
    """What a worker runs for one task: the local grader on the submission's bytes."""
    from bplib.course import sandbox

    if settings.sandboxed and sandbox.bwrap_path() is None:
        raise RuntimeError("this Dask worker has no bubblewrap (bwrap); install it on every worker "
                           "(Debian/Ubuntu: apt install bubblewrap)")
    return grade_guarded(sub, chapter, settings, raw)


def run_on_cluster(client: Any, tasks: Iterable[tuple[Submission, Chapter]], settings: Settings,
                   on_rows: Callable[[Submission, Chapter, list[dict]], None],
                   progress: Callable[[Submission], None] | None = None) -> None:
    """Grade every task on ``client``'s workers; ``on_rows`` runs here as each one finishes."""
    from distributed import as_completed

    tasks = list(tasks)
    sent: dict[str, Any] = {}
    futures: dict[Any, tuple[Submission, Chapter]] = {}
    for sub, chapter in tasks:
        raw = read_raw(sub, chapter)
        if isinstance(raw, list):  # refused or unreadable here: nothing to send
            on_rows(sub, chapter, raw)
            if progress:
                progress(sub)
            continue
        if chapter.name not in sent:
            sent[chapter.name] = client.scatter(chapter, broadcast=True, hash=False)
        future = client.submit(worker_grade, sub, raw, sent[chapter.name], settings,
                               key=f"grade-{sub.student}-{sub.name}-{uuid.uuid4().hex[:8]}",
                               pure=False)
        futures[future] = (sub, chapter)
    for future in as_completed(list(futures)):
        sub, chapter = futures.pop(future)
        try:
            rows = future.result()
        except Exception as err:  # the worker died on it every time it was tried
            rows = [{"exercise": e, "points": 0.0, "status": "error",
                     "message": one_line(f"the cluster could not grade this notebook: "
                                         f"{type(err).__name__}: {err}")}
                    for e in chapter.exercises]
        on_rows(sub, chapter, rows)
        if progress:
            progress(sub)
