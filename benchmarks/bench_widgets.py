"""Time every chapter explorer in bplib.widgets and weigh its static fallback.

For each explorer, in its own process (so caches start cold, as in a fresh kernel), in CPU time
(rendering is single-threaded, so on an idle machine this is the wait a reader sees), in
``--rounds`` interleaved rounds (every explorer once per round) whose medians are reported, so a
minute in which other jobs slow the machine down does not decide a result:
- render time: ``explorer.png(dpi=LIVE_DPI, **settings)``, the figure plus its PNG, which is what
  a reader waits for when a slider moves in JupyterLab; median of repeats at the default settings
  and at the most expensive settings (the slowest of one warm render of every combination);
- the first render at the default settings (cold: includes any training run the widget caches);
- how much of the default render is the render function itself (the rest is matplotlib drawing
  the figure and encoding the PNG);
- the static fallback: the bytes of ``explorer.static_html()`` (every frame as PNG) and the time
  it takes to build, which the book build pays once per widget.

Goals (issue "Performance"): median render under 100 ms, static fallback under 1 MB per widget.

    python benchmarks/bench_widgets.py [--rounds 3] [--repeats 5] [--only nudge_explorer,bptt_explorer]

Prints a table and writes benchmarks/results/widgets.json.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import statistics
import time
from collections import Counter

import harness

RENDER_GOAL_MS = 100.0
FALLBACK_GOAL_KB = 1000.0  # 1 MB = 1,000,000 bytes


def nudge_explorer():
    """As notebooks/01_overview.ipynb builds it: the untrained 2-2-1 XOR network."""
    import numpy as np

    import bplib as bp

    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    model = bp.MLP([2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=1)
    return bp.widgets.nudge_explorer(model, bp.MSELoss(), x, y)


def backward_pass_explorer():
    """As notebooks/05_algorithm.ipynb builds it: a 3-4-4-2 sigmoid network, one column input."""
    import numpy as np

    import bplib as bp

    rng = np.random.default_rng(0)
    sizes = [3, 4, 4, 2]
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n_out, 1)) for n_out in sizes[1:]]
    x = rng.normal(size=(3, 1))
    y = np.array([[1.0], [0.0]])
    return bp.widgets.backward_pass_explorer(bp.algorithm.backprop(weights, biases, x, y))


# Explorers whose factory needs arguments: built as their chapter builds them.
BUILDERS = {"nudge_explorer": nudge_explorer, "backward_pass_explorer": backward_pass_explorer}


def explorer_names() -> list[str]:
    """Every explorer factory that bplib.widgets exports, in a stable order."""
    import bplib.widgets as widgets

    return sorted(name for name in dir(widgets) if name.endswith("_explorer"))


def build(name: str):
    import bplib.widgets as widgets

    if name in BUILDERS:
        return BUILDERS[name]()
    factory = getattr(widgets, name)
    needs = [p.name for p in inspect.signature(factory).parameters.values() if p.default is p.empty]
    if needs:
        raise RuntimeError(f"{name} needs arguments {needs}: add a builder to BUILDERS, made as its "
                           "chapter notebook makes it.")
    return factory()


def settings_text(explorer, params: dict) -> str:
    """Control values as the reader sees them, e.g. 'lr = 0.30, clip = none'."""
    return ", ".join(f"{c.label or c.name} = {c.text(params[c.name])}" for c in explorer.controls)


def measure_explorer(name: str, repeats: int) -> dict:
    """Everything about one explorer (run in a fresh process)."""
    import matplotlib

    matplotlib.use("Agg")
    from bplib.widgets.explorer import LIVE_DPI

    harness.limit_to_one_thread()
    start = time.process_time()
    explorer = build(name)
    build_s = time.process_time() - start

    def render_s(params: dict) -> float:
        start = time.process_time()
        explorer.png(dpi=LIVE_DPI, **params)
        return time.process_time() - start

    first_default = render_s(explorer.defaults)

    start = time.process_time()
    fallback_bytes = len(explorer.static_html().encode("utf-8"))
    fallback_s = time.process_time() - start

    # With every cache now warm, one render of each combination of control values finds the
    # most expensive settings.
    combinations = [dict(zip([c.name for c in explorer.controls], values))
                    for values in itertools.product(*(c.values for c in explorer.controls))]
    slowest = max(combinations, key=render_s)

    def median_ms(params: dict) -> float:
        return 1e3 * statistics.median(render_s(params) for _ in range(repeats))

    def live_update_s(params: dict) -> float:
        start = time.perf_counter()
        explorer.live_png(**params)  # what a slider move costs in JupyterLab once the cell has run
        return time.perf_counter() - start

    def figure_only_s() -> float:
        start = time.process_time()
        explorer.figure()  # bplib's part: compute and lay out artists, no drawing yet
        return time.process_time() - start

    return {"explorer": name, "frames": explorer.num_frames, "build_ms": 1e3 * build_s,
            "first_default_ms": 1e3 * first_default,
            "default_ms": median_ms(explorer.defaults), "default_settings": settings_text(explorer, explorer.defaults),
            "default_figure_ms": 1e3 * statistics.median(figure_only_s() for _ in range(repeats)),
            "max_ms": median_ms(slowest), "max_settings": settings_text(explorer, slowest),
            "live_update_ms": 1e3 * statistics.median(live_update_s(slowest) for _ in range(repeats)),
            "fallback_kb": fallback_bytes / 1e3, "fallback_build_s": fallback_s, "live_dpi": LIVE_DPI}


# Per-process measurements combined over rounds by their median; the rest is the same every round.
TIMES = ("build_ms", "first_default_ms", "default_ms", "default_figure_ms", "max_ms",
         "live_update_ms", "fallback_build_s")


def combine_rounds(measurements: list[dict]) -> dict:
    """One row from an explorer's measurements in several processes: the median of each time,
    the most often slowest settings, and every round's render times for the record."""
    row = {**measurements[0], **{key: statistics.median(m[key] for m in measurements) for key in TIMES}}
    row["max_settings"] = Counter(m["max_settings"] for m in measurements).most_common(1)[0][0]
    row["rounds"] = {"default_ms": [m["default_ms"] for m in measurements],
                     "max_ms": [m["max_ms"] for m in measurements]}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="processes per explorer, interleaved")
    parser.add_argument("--repeats", type=int, default=5, help="renders per median")
    parser.add_argument("--only", help="comma-separated explorer names (default: all)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure_explorer(args.worker, args.repeats)))
        return

    names = args.only.split(",") if args.only else explorer_names()
    print(f"Explorer render (figure + PNG at live dpi), median of {args.repeats} renders per process, "
          f"median over {args.rounds} interleaved rounds; static fallback size")
    samples = harness.interleaved(
        lambda name: harness.run_worker(__file__, ["--worker", name, "--repeats", str(args.repeats)]),
        names, args.rounds)
    print(f"{'explorer':<27} {'frames':>6} {'default ms':>10} {'max ms':>8} {'first ms':>9} "
          f"{'fallback KB':>11} {'build s':>8}")
    rows = []
    for name in names:
        row = combine_rounds(samples[name])
        row["passed"] = bool(max(row["default_ms"], row["max_ms"]) < RENDER_GOAL_MS
                             and row["fallback_kb"] < FALLBACK_GOAL_KB)
        rows.append(row)
        print(f"{name:<27} {row['frames']:>6} {row['default_ms']:10.1f} {row['max_ms']:8.1f} "
              f"{row['first_default_ms']:9.1f} {row['fallback_kb']:11.0f} {row['fallback_build_s']:8.2f}")

    def worst(key: str) -> dict:
        values = [row[key] for row in rows]
        return {**harness.summarise(values), "worst": rows[values.index(max(values))]["explorer"]}

    # A goal over all widgets holds only if it holds for the worst one: judge the maximum.
    goals = [
        harness.goal("slowest widget, default settings", "render ms", worst("default_ms"), RENDER_GOAL_MS,
                     statistic="max"),
        harness.goal("slowest widget, most expensive settings", "render ms", worst("max_ms"), RENDER_GOAL_MS,
                     statistic="max"),
        harness.goal("largest static fallback", "KB per widget", worst("fallback_kb"), FALLBACK_GOAL_KB,
                     statistic="max"),
    ]
    harness.print_goals(goals)
    path = harness.write_results(
        "widgets", description="Chapter explorers: render time and static fallback size",
        method={"repeats": args.repeats, "rounds": args.rounds, "threads": 1,
                "clock": "CPU time of the benchmark process (time.process_time): rendering is "
                         "single-threaded, so on an idle machine this is the wait a reader sees",
                "statistic": "median of repeats in each process, one fresh process per explorer and "
                             "round, median over the interleaved rounds; a goal over all widgets "
                             "holds for the worst one"},
        results=rows, goals=goals)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
