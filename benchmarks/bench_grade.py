"""Grading throughput: notebooks per minute with --jobs 1, --jobs 2 and --cluster local:2.

    python benchmarks/bench_grade.py                       # 2 students x every chapter
    python benchmarks/bench_grade.py --students 1 --chapters 01_overview,03_chain_rule

Each student submits the instructor version of every chapter (every exercise runs and passes,
the slowest honest submission). Needs bubblewrap, and Dask for the cluster row (the ``cluster``
extra). Also measures the cluster's overhead per task: the round trip of a task that does
nothing, and the time to send a chapter to the workers. Writes benchmarks/results/grade.json.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from harness import write_results

from bplib.course.grade import grade
from bplib.course.release import repo_notebooks_dir


def _class(root: Path, students: int, chapters: list[Path]) -> Path:
    subs = root / "submitted"
    for k in range(students):
        (subs / f"student{k:03d}").mkdir(parents=True)
        for path in chapters:
            shutil.copyfile(path, subs / f"student{k:03d}" / path.name)
    return subs


def _noop() -> None:
    return None


def task_overhead(workers: int = 2, tasks: int = 200) -> dict:
    """Median seconds per do-nothing task, submitted one at a time and all at once."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.submit(_noop, pure=False).result()
        one = []
        for _ in range(50):
            start = time.perf_counter()
            client.submit(_noop, pure=False).result()
            one.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.gather([client.submit(_noop, pure=False) for _ in range(tasks)])
        batch = (time.perf_counter() - start) / tasks
    return {"round_trip_s": statistics.median(one), "per_task_in_a_batch_s": batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2)
    parser.add_argument("--chapters", default="", help="comma-separated stems (default: all)")
    parser.add_argument("--ways", default="jobs1,jobs2,cluster2")
    args = parser.parse_args()
    source = repo_notebooks_dir()
    chapters = sorted(source.glob("*.ipynb"))
    if args.chapters:
        wanted = set(args.chapters.split(","))
        chapters = [p for p in chapters if p.stem in wanted]
    ways = {"jobs1": {"jobs": 1}, "jobs2": {"jobs": 2}, "cluster2": {"cluster": "local:2"}}
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        subs = _class(Path(tmp), args.students, chapters)
        notebooks = args.students * len(chapters)
        for way in args.ways.split(","):
            out = Path(tmp, way, "grades.csv")
            start = time.perf_counter()
            rows = grade(subs, out, source_dir=source, log=io.StringIO(), **ways[way])
            seconds = time.perf_counter() - start
            full = sum(r.points for r in rows) == sum(r.max_points for r in rows)
            results.append({"way": way, "notebooks": notebooks, "seconds": seconds,
                            "notebooks_per_minute": 60 * notebooks / seconds, "all_full_marks": full})
            print(f"{way:9s} {notebooks} notebooks in {seconds:6.1f} s = "
                  f"{60 * notebooks / seconds:5.2f} notebooks/min (full marks: {full})", flush=True)
    overhead = task_overhead() if "cluster2" in args.ways else {}
    if overhead:
        print(f"cluster overhead: {1e3 * overhead['round_trip_s']:.1f} ms per task round trip, "
              f"{1e3 * overhead['per_task_in_a_batch_s']:.2f} ms per task in a batch of 200")
    path = write_results("grade", description="autograding throughput (sandboxed), instructor "
                         "versions as submissions", method={"students": args.students,
                         "chapters": [p.stem for p in chapters], "overhead": overhead},
                         results=results, goals=[])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
