"""Grading on a Dask cluster: the same sandboxed grader and the same gradebook as local grading."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from test_course_grade import _submissions
from test_course_release import synthetic_chapter
from test_grade_attacks import needs_bwrap

from bplib.course import sandbox
from bplib.course.cluster import parse_cluster
from bplib.course.grade import grade

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")
NAME = "99_synthetic.ipynb"


def _folder(root: Path, notebooks: dict) -> tuple[Path, Path]:
    source = root / "source"
    source.mkdir(parents=True)
    nbformat.write(synthetic_chapter(), str(source / NAME))
    subs = root / "submitted"
    for student, nb in notebooks.items():
        (subs / student).mkdir(parents=True)
        if isinstance(nb, str):
            (subs / student / NAME).write_text(nb)
        else:
            nbformat.write(nb, str(subs / student / NAME))
    return source, subs


def _gradebook(out: Path) -> dict[str, bytes]:
    """The CSV and every feedback file, as bytes."""
    files = {"grades.csv": out.read_bytes()}
    files.update({p.name: p.read_bytes() for p in sorted((out.parent / "feedback").glob("*.md"))})
    return files


def test_cluster_addresses_are_read_or_refused_in_a_sentence():
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("tcp://10.0.0.5:8786") == ("address", "tcp://10.0.0.5:8786")
    for bad, words in [("local:0", "1 <= N"), ("local:two", "local:N"), ("", "local:N"),
                       ("local", "local:N")]:
        with pytest.raises(ValueError, match=words):
            parse_cluster(bad)


def test_jobs_and_cluster_exclude_each_other(tmp_path):
    source, subs = _folder(tmp_path, {"ann": synthetic_chapter()})
    with pytest.raises(ValueError, match="--jobs and --cluster"):
        grade(subs, tmp_path / "g" / "grades.csv", source_dir=source, jobs=2, cluster="local:1")


def test_job_slots_are_never_shared_by_threads_or_processes():
    with sandbox.claim_slot() as first, sandbox.claim_slot() as second:
        assert first != second
        other = subprocess.run(
            [sys.executable, "-c", "from bplib.course import sandbox\n"
             "with sandbox.claim_slot() as s: print(s)"],
            capture_output=True, text=True, check=True)
        assert int(other.stdout) not in (first, second)
    with sandbox.claim_slot() as again:  # released slots are handed out again
        assert again == min(first, second)


@pytest.fixture(scope="module")
def three_ways(tmp_path_factory):
    """The same class (honest, failing and hostile notebooks) graded with --jobs 1, --jobs 2
    and --cluster local:2."""
    needs_bwrap()
    root = tmp_path_factory.mktemp("class")
    source, subs = _folder(root, _submissions())
    books, logs = {}, {}
    for how, kwargs in [("jobs1", {"jobs": 1}), ("jobs2", {"jobs": 2}),
                        ("cluster", {"cluster": "local:2"})]:
        out = root / how / "grades.csv"
        log = io.StringIO()
        grade(subs, out, source_dir=source, timeout=60, cell_timeout=5, log=log, **kwargs)
        books[how], logs[how] = _gradebook(out), log.getvalue()
    return {"root": root, "source": source, "subs": subs, "books": books, "logs": logs}


def test_the_gradebook_is_the_same_byte_for_byte_locally_in_parallel_and_on_a_cluster(three_ways):
    books = three_ways["books"]
    assert books["jobs1"]["grades.csv"].count(b"\n") == 1 + 9 * 3
    assert books["jobs1"] == books["jobs2"] == books["cluster"]
    rows = list(csv.DictReader(io.StringIO(books["cluster"]["grades.csv"].decode())))
    total = {s: sum(float(r["points"]) for r in rows if r["student"] == s) for s in
             {r["student"] for r in rows}}
    assert total["instructor"] == 6 and total["blank"] == 0 and total["half"] == 3
    assert total["loop"] == 4 and total["vandal"] == 6 and total["broken"] == 0


def test_a_cluster_run_resumes_where_a_stopped_run_ended(three_ways, tmp_path):
    out = tmp_path / "grades.csv"
    full = three_ways["books"]["cluster"]["grades.csv"].decode().splitlines(keepends=True)
    kept = [line for line in full if not line.startswith(("half,", "loop,"))]
    out.write_text("".join(kept))
    log = io.StringIO()
    grade(three_ways["subs"], out, source_dir=three_ways["source"], timeout=60, cell_timeout=5,
          log=log, cluster="local:2", resume=True)
    graded = sorted(line for line in log.getvalue().splitlines() if line.startswith("graded "))
    assert graded == [f"graded half/{NAME[:-6]}", f"graded loop/{NAME[:-6]}"]
    assert out.read_bytes() == three_ways["books"]["cluster"]["grades.csv"]


def test_a_killed_worker_costs_no_submission_and_none_is_graded_twice(tmp_path):
    needs_bwrap()
    slow = synthetic_chapter()
    slow.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(4)"))
    source, subs = _folder(tmp_path, {f"s{k}": slow for k in range(6)})
    out = tmp_path / "g" / "grades.csv"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        def kill_one_worker_while_it_grades() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                busy = [w for w, tasks in client.processing().items() if tasks]
                if busy:
                    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.2)

        killed: list[int] = []
        killer = threading.Thread(target=kill_one_worker_while_it_grades)
        killer.start()
        rows = grade(subs, out, source_dir=source, timeout=60, cell_timeout=20,
                     log=io.StringIO(), cluster=cluster.scheduler_address)
        killer.join()
    assert killed, "no worker was killed: the test proved nothing"
    seen = [(r.student, r.exercise) for r in rows]
    assert len(seen) == len(set(seen)) == 6 * 3
    assert all(r.points == r.max_points for r in rows), [r for r in rows if r.points != r.max_points]
    with out.open() as f:
        assert sum(1 for _ in f) == 1 + 6 * 3
