"""What every benchmark here shares: one BLAS thread, one process per measurement, interleaved
rounds, medians, ratios taken round by round, and results written as JSON with the machine.

Why processes: numpy's and torch's thread pools and allocators interfere when they share a
process (an idle pool still spins on the second core). Why interleaving: background load then
hits every library alike, and the ratio of two measurements taken back to back is steadier than
the ratio of two medians taken minutes apart.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

STATISTIC = "median of steps in a process; median, min, max over rounds; ratios per round"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def limit_to_one_thread() -> None:
    """Call first thing in a worker: BLAS (and torch, if imported later) use one thread."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def median_step_time(step: Callable[[], object], steps: int, warmup: int = 3,
                     clock: Callable[[], float] = time.perf_counter) -> float:
    """Median time of ``step()`` over ``steps`` calls, after ``warmup`` untimed calls.

    ``clock`` is wall time by default; pure-Python benchmarks may pass ``time.process_time``
    (CPU seconds of this process), which other jobs on a shared machine do not inflate.
    """
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = clock()
        step()
        times.append(clock() - start)
    return statistics.median(times)


def matmul_gflops(dtype: str = "float32", n: int = 1024, repeats: int = 5) -> float:
    """Achieved GFLOP/s of an n×n×n numpy matmul in this process (2 n³ flops)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    seconds = median_step_time(lambda: a @ b, repeats, warmup=1)
    return 2 * n**3 / seconds / 1e9


def run_worker(script: str, args: list[str]) -> dict:
    """Run ``script --worker ...`` in a fresh one-thread process; it prints one JSON line last."""
    out = subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                         env={**os.environ, **ONE_THREAD})
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker failed: {' '.join(args)}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def module_available(name: str) -> bool:
    """Whether ``name`` imports in a fresh interpreter (without importing it here)."""
    return subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True).returncode == 0


def interleaved(measure: Callable[[str], float], libraries: list[str], rounds: int) -> dict[str, list[float]]:
    """``rounds`` rounds of ``measure(library)`` for each library in turn: ``{library: [seconds]}``."""
    samples: dict[str, list[float]] = {lib: [] for lib in libraries}
    for _ in range(rounds):
        for lib in libraries:
            samples[lib].append(measure(lib))
    return samples


def round_ratios(samples: dict[str, list[float]], ours: str, theirs: str) -> list[float]:
    """``ours / theirs`` for each round (each pair measured back to back)."""
    return [a / b for a, b in zip(samples[ours], samples[theirs])]


def machine() -> dict:
    """The machine and the library versions, for the record."""
    import numpy as np

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "arch": platform.machine(),
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "numpy": np.__version__, "threads": 1,
            # other jobs on the machine at the end of the run (1-minute load average)
            "load_average": round(os.getloadavg()[0], 2)}
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted({f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')})"
                               for p in threadpool_info() if p.get("user_api") == "blas"})
    except ImportError:
        pass
    for package in ("torch", "micrograd", "matplotlib"):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return info


def write_results(name: str, *, description: str, method: dict, results: list[dict],
                  goals: list[dict]) -> Path:
    """Write ``benchmarks/results/<name>.json``: the machine, how we measured, every row, the goals.

    All benchmark files share this shape, so ``report.py`` reads them alike.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "description": description,
               "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": machine(), "method": method, "goals": goals, "results": results}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def summarise(values: list[float]) -> dict:
    """Median, min and max of a list of numbers."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def goal(workload: str, metric: str, measured: dict, target: float, at_most: bool = True,
         statistic: str = "median") -> dict:
    """One speed goal with its verdict; ``measured`` summarises the metric (median, min, max).

    The goal is ``measured[statistic] <= target`` (``>=`` when ``at_most`` is False). Ratios use
    the median over rounds; a goal that every widget must meet uses the worst one ('max').
    """
    value = measured[statistic]
    met = value <= target if at_most else value >= target
    return {"workload": workload, "metric": metric, "statistic": statistic, "value": value,
            "target": target, "comparison": "<=" if at_most else ">=", **measured, "passed": bool(met)}


def print_goals(goals: list[dict]) -> None:
    """The goals on the terminal, one line each: PASS or MISS."""
    for g in goals:
        verdict = "PASS" if g["passed"] else "MISS"
        print(f"  {verdict}  {g['workload']}: {g['metric']} = {g['value']:.3g} "
              f"(goal {g['comparison']} {g['target']:g})")
