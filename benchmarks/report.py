"""Write the book page "How fast is bplib?" from the benchmark results.

Reads benchmarks/results/{mlp,rnn,value,widgets}.json (whichever exist), writes
book/performance.md and its figure book/figures/performance.png. Every number on the page comes
from those files; the text around them is fixed here.

    python benchmarks/report.py
"""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.figure import Figure

from bplib.plots.style import BLUE, VERMILION

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
PAGE = ROOT / "book" / "performance.md"
FIGURE = ROOT / "book" / "figures" / "performance.png"
BENCHMARKS = ("mlp", "rnn", "value", "widgets")

# Why a goal can stay missed on a 2-core machine: shown only under a missed goal. Facts about the
# code, never measured numbers (those come from the JSON).
WHY_MISSED = {
    "mlp_tiny": "At this size a step is a few dozen numpy calls on tiny arrays, so it costs what "
                "the calls cost, not arithmetic. bplib keeps its "
                "checks for students (shapes, NaN, labels) in every call; they now take a fast path "
                "when the input is already right, but they are not free.",
    "mlp_medium": "Both libraries spend the step in the same BLAS matrix products; what is left "
                  "is elementwise work (ReLU, bias, gradient accumulation, the update), which "
                  "torch fuses or runs in C++ and bplib runs as separate numpy passes.",
    "mlp_large": "Both libraries spend about 95% of the step in the same large matrix products "
                 "(bplib in the column order z = W x, which OpenBLAS runs fastest), so the ratio "
                 "sits near 1 and the spread over rounds is other jobs on the machine. What bplib "
                 "adds is memory traffic over the weights: zero_grad and then adding into .grad, "
                 "and SGD's temporary lr * grad, where torch assigns fresh gradients and updates "
                 "each weight in one pass.",
    "rnn": "BPTT runs T small matrix products one after another in Python; torch runs its loop "
           "in C++.",
    "value": "Building the chain creates Python objects for every operation (the node, its "
             "tuples, a leaf for the constant). With the collector on, Python re-scans the growing "
             "set of live objects again and again while they are made, which is most of the build "
             "(the gc-off column of the MLP step shows the same cost). bplib already takes a fast "
             "path for plain floats and pauses the collector while backward() sorts the graph; the "
             "build is the user's own loop, so pausing the collector there is the user's call. The "
             "spread between rounds is other jobs on the machine.",
    "widgets": "What is left of a render is matplotlib laying out and rasterising every text "
               "(tick labels, titles, legend entries) and encoding the PNG; bplib already draws "
               "each figure size on one shared renderer (warm text caches), with fixed layouts, "
               "few ticks and legends at named places. Fewer texts per frame are the lever; the "
               "spread between rounds is other jobs on the machine.",
}


def load(name: str) -> dict | None:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


# ------------------------------------------------------------------ formatting
def num(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, no exponent for everyday sizes."""
    if x is None:
        return "–"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 else f"{x:.2e}"


def spread(summary: dict | None, digits: int = 3) -> str:
    """'median (min–max)' of a summary."""
    if not summary:
        return "–"
    return f"{num(summary['median'], digits)} ({num(summary['min'], digits)}–{num(summary['max'], digits)})"


def ratio(summary: dict | None) -> str:
    """A ratio's 'median (min–max)' with two decimals, so 1.01 never reads as 1."""
    if not summary:
        return "–"
    return f"{summary['median']:.2f} ({summary['min']:.2f}–{summary['max']:.2f})"


def verdict(passed: bool | None) -> str:
    return "–" if passed is None else ("**PASS**" if passed else "**MISS**")


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; a '|' inside a cell (e.g. a widget's setting) is escaped."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def goal_text(g: dict) -> str:
    return f"{'≤' if g['comparison'] == '<=' else '≥'} {num(g['target'])}"


# ------------------------------------------------------------------ sections
def machine_section(runs: dict[str, dict]) -> str:
    first = next(iter(runs.values()))["machine"]
    rows = [["CPU", f"{first['cpu']} ({first['arch']}), {first['cores']} cores"],
            ["operating system", first.get("os", "–")],
            ["BLAS", ", ".join(first.get("blas", [])) or "–"],
            ["threads", f"{first['threads']} (BLAS and torch limited to one thread)"],
            ["Python, numpy", f"{first['python']}, {first['numpy']}"]]
    for package in ("torch", "micrograd", "matplotlib"):
        if package in first:
            rows.append([package, first[package]])
    text = table(["", ""], rows)
    run_rows = [[name, data["measured_at"], num(data["machine"]["load_average"], 2),
                 data["method"]["clock"].split(" (")[0]] for name, data in runs.items()]
    return ("## The machine\n\n" + text + "\n\n"
            "Each benchmark file records when it ran and the machine's 1-minute load average at the "
            f"end of the run (other jobs sharing the {first['cores']} cores):\n\n"
            + table(["benchmark", "measured", "load average", "clock"], run_rows) + "\n")


def goals_section(goals: list[dict]) -> str:
    rows = []
    for g in goals:
        measured = spread(g) if g["statistic"] == "median" else f"{num(g['value'])} (worst: {g.get('worst', '–')})"
        rows.append([g["workload"], g["metric"], goal_text(g), measured, verdict(g["passed"])])
    passed = sum(g["passed"] for g in goals)
    return ("## Goals at a glance\n\n"
            f"{passed} of {len(goals)} goals are met. Ratios are bplib's time divided by the other "
            "library's, taken round by round; the table gives the median over rounds and, in brackets, "
            "the smallest and largest round.\n\n"
            + table(["workload", "metric", "goal", "measured", "result"], rows) + "\n\n"
            f"![Horizontal bars, one per speed goal, showing each measured value divided by its goal; "
            f"a dashed line at 1 marks the goal, and {passed} of {len(goals)} bars end left of it]"
            f"(figures/{FIGURE.name})\n\n"
            "Figure: each goal's measured value relative to the goal (for time ratios and times, "
            "measured ÷ goal; for the fraction of matmul peak, goal ÷ measured), so a bar that ends left "
            "of the dashed line at 1 meets its goal. Whiskers span the smallest and largest round.\n")


def mlp_section(data: dict) -> str:
    rows = []
    goals = {g["workload"]: g for g in data["goals"] if g["metric"] == "bplib time / torch time"}
    for r in data["results"]:
        workload = f"MLP {r['shape']} ({r['dtype']})"
        g = goals.get(workload)
        rows.append([r["shape"], str(r["batch"]), "-".join(map(str, r["sizes"])), r["dtype"],
                     num(r["bplib_ms"]["median"]), num(r.get("torch_ms", {}).get("median")),
                     ratio(r.get("ratio")), goal_text(g) if g else "–",
                     num(r["gflops"]["median"]), f"{100 * r['fraction_of_peak']['median']:.0f}%",
                     verdict(g["passed"] if g else None)])
    peak = [g for g in data["goals"] if g["metric"] == "fraction of matmul peak"]
    peak_text = ""
    if peak:
        g, n = peak[0], data["method"].get("matmul_n")
        matmul = f"{n}³" if n else "square"
        peak_text = (f"\n\nThe large network reaches {100 * g['value']:.0f}% of the GFLOP/s of a {matmul} "
                     f"matmul measured in the same rounds (goal ≥ {100 * g['target']:.0f}%): "
                     f"{verdict(g['passed'])}.")
    return ("## MLP training step\n\n"
            f"{data['description']}, ReLU hidden layers, bplib against PyTorch autograd. "
            f"{data['method']['rounds']} rounds; in each, bplib, torch and a matmul run in fresh processes "
            "one after the other. Times are per step (median over the steps of a process, then over "
            "rounds). GFLOP/s counts the matrix products of the step: forward, the weight gradients, and "
            "the input gradients of every layer but the first (neither library computes the gradient "
            "with respect to the data).\n\n"
            + table(["shape", "batch", "sizes", "dtype", "bplib ms", "torch ms", "ratio (min–max)", "goal",
                     "GFLOP/s", "% of matmul peak", "result"], rows)
            + peak_text + "\n")


def rnn_section(data: dict) -> str:
    rows = [[str(r["hidden"]), str(r["T"]), str(r["batch"]), num(r["bplib_ms"]["median"]),
             num(r.get("torch_ms", {}).get("median")), ratio(r.get("ratio")), f"≤ {num(r['goal'])}",
             verdict(r["ratio"]["median"] <= r["goal"] if "ratio" in r else None)] for r in data["results"]]
    return ("## RNN training step\n\n"
            f"{data['description']}: `bplib.RNN` against `torch.nn.RNN`, input size "
            f"{data['results'][0]['input']}, float32, {data['method']['rounds']} interleaved rounds.\n\n"
            + table(["hidden", "T", "batch", "bplib ms", "torch ms", "ratio (min–max)", "goal", "result"], rows)
            + "\n")


def value_section(data: dict) -> str:
    steps = [r for r in data["results"] if r["workload"] == "scalar MLP step"]
    rows = []
    for r in steps:
        if "gc_on_ms" in r:
            rows.append([r["engine"], spread(r["gc_on_ms"]), spread(r["gc_off_ms"])])
        else:
            rows.append([f"*{r['engine']}*", ratio(r["gc_on_ratio"]), ratio(r["gc_off_ratio"])])
    chain = next(r for r in data["results"] if r["workload"] == "Value chain")
    recursion = next((r for r in data["results"] if r["workload"] == "micrograd recursion limit"), None)
    goals = {g["metric"]: g for g in data["goals"]}
    text = ("## Scalar autodiff: `Value` against micrograd\n\n"
            f"{data['description']}. Times are CPU seconds of the benchmark process, with Python's cycle "
            "collector on (as everyone runs Python) and off. micrograd's graph nodes hold closures that "
            "refer back to their own node, so every step leaves reference cycles that only the collector "
            "frees; bplib's `Value` keeps its local derivatives as numbers and leaves none.\n\n"
            + table(["engine (one MLP step)", "ms, gc on (min–max)",
                     "ms, gc off (min–max)"], rows) + "\n\n")
    step_goal = goals.get("bplib Value time / micrograd time")
    if step_goal:
        text += (f"Goal: bplib `Value` step ≤ {num(step_goal['target'])} × micrograd's, with the collector "
                 f"on: {verdict(step_goal['passed'])}.\n\n")
    chain_goal = goals["build + backward, CPU seconds"]
    text += (f"A chain of {chain['length']:,} multiplications takes {num(chain['build_s']['median'])} s to "
             f"build and {num(chain['backward_s']['median'])} s for `backward()`, "
             f"{num(chain['total_s']['median'])} s in all (goal < {num(chain_goal['target'])} s): "
             f"{verdict(chain_goal['passed'])}.")
    if recursion and recursion["fails_at"]:
        text += (f" micrograd's recursive topological sort raises `RecursionError` on a chain of "
                 f"{recursion['fails_at']:,} operations.")
    return text + "\n"


def widgets_section(data: dict) -> str:
    target_ms = next(g["target"] for g in data["goals"] if g["metric"] == "render ms")
    target_kb = next(g["target"] for g in data["goals"] if g["metric"] == "KB per widget")
    rows = [[f"`{r['explorer']}`", str(r["frames"]), num(r["default_ms"]), num(r["default_figure_ms"]),
             num(r["max_ms"]), r["max_settings"], num(r["first_default_ms"]), num(r.get("live_update_ms")),
             num(r["fallback_kb"]), num(r["fallback_build_s"]), verdict(r["passed"])]
            for r in data["results"]]
    return ("## Widgets\n\n"
            "Every explorer in `bplib.widgets`, each in a fresh process, in CPU milliseconds, every "
            f"figure the median over {data['method'].get('rounds', 1)} interleaved rounds of processes. "
            "*Render* is "
            "the figure and its PNG at the live view's resolution, which is what a reader would wait for "
            "if a slider moved to a value with no frame drawn yet: the median of "
            f"{data['method']['repeats']} renders at the "
            "default settings and at the most expensive ones (the slowest in one pass over every "
            "combination of control values). *Of which figure* is the widget's own render function, "
            "before matplotlib draws the figure and encodes the PNG. *First* is the first render at the "
            "default settings, which also fills any cache the widget keeps. The static fallback is every "
            "frame as PNG inside the page; *build s* is what the book build spends on it. The live view "
            "reuses those frames: every value a live slider can take has one, so *live update ms* (a "
            "slider move in JupyterLab after the cell has run, wall time) is a dictionary look-up. "
            "Goals: render "
            f"< {num(target_ms)} ms, fallback < {num(target_kb)} KB (1 KB = 1,000 bytes).\n\n"
            + table(["explorer", "frames", "render ms, default", "of which figure ms",
                     "render ms, most expensive", "most expensive at", "first ms", "live update ms",
                     "fallback KB", "build s",
                     "result"], rows) + "\n")


def grade_section(data: dict) -> str:
    rows = [[r["way"], str(r["notebooks"]), f"{r['seconds']:.0f} s", num(r["notebooks_per_minute"], 2),
             "yes" if r["all_full_marks"] else "no"] for r in data["results"]]
    over = data["method"].get("overhead") or {}
    extra = (f"\n\nA cluster task that does nothing takes {1e3 * over['round_trip_s']:.1f} ms there and "
             f"back, {1e3 * over['per_task_in_a_batch_s']:.1f} ms each in a batch of 200: next to a "
             "notebook's seconds in the sandbox, the cluster's own cost is negligible."
             if over else "")
    return ("## Grading\n\nSandboxed autograding of instructor versions submitted as students' work "
            f"(`benchmarks/bench_grade.py`; chapters: {len(data['method']['chapters'])}, students: "
            f"{data['method']['students']}):\n\n"
            + table(["how", "notebooks", "time", "notebooks / min", "full marks"], rows) + extra + "\n")


def pages_section(data: dict) -> str:
    rows = [[f"`{r['page']}`", num(r["performance"], 2), f"{r['lcp_s']:.1f} s", f"{r['tbt_ms']:.0f} ms",
             f"{r['kib']:,.0f} KiB", num(r["accessibility"], 2), "yes" if r["meets_goal"] else "no"]
            for r in data["results"]]
    text = ("## Page speed\n\nLighthouse, mobile preset, the site served with gzip "
            f"(`benchmarks/bench_pages.py`). The goal: {data['method']['goal']}, what a plain Jupyter "
            "Book 1 page scores on a fast machine.\n\n"
            + table(["page", "performance", "LCP", "total blocking time", "bytes", "accessibility",
                     "goal met"], rows) + "\n")
    for key, title in (("baseline", "A plain Jupyter Book"), ("before", "Before explorer frames moved out")):
        if key in data["method"]:
            ref = data["method"][key]
            text += (f"\n{title} ({ref['what']}):\n\n"
                     + table(["page", "performance", "total blocking time", "bytes"],
                             [[f"`{r['page']}`", num(r["performance"], 2), f"{r['tbt_ms']:.0f} ms",
                               f"{r['kib']:,.0f} KiB"] for r in ref["results"]]) + "\n")
    return text + ("\nLighthouse simulates a slow phone by scaling the time this machine's CPU takes, so "
                   "every score here, the plain book's included, is lower than on a fast machine; compare "
                   "pages measured together.\n")


def missed_section(runs: dict[str, dict]) -> str:
    missed: dict[str, list[str]] = {}  # the reason's key -> the goals it explains
    for name, data in runs.items():
        for g in data["goals"]:
            if not g["passed"]:
                key = f"mlp_{g['workload'].split()[1]}" if name == "mlp" else name
                missed.setdefault(key, []).append(f"**{g['workload']}** ({g['metric']}): measured "
                                                  f"{num(g['value'])}, goal {goal_text(g)}")
    if not missed:
        return "## Where bplib misses a goal\n\nNowhere in this run.\n"
    notes = [f"- {'; '.join(goals)}. {WHY_MISSED.get(key, '')}".rstrip() for key, goals in missed.items()]
    return ("## Where bplib misses a goal\n\n"
            "What the profile shows for each goal missed in this run:\n\n" + "\n".join(notes) + "\n")


def plot(goals: list[dict]) -> Figure:
    """Each goal's measured value relative to it (≤ 1 meets the goal), with the rounds' spread."""
    labels, values, lows, highs, colours = [], [], [], [], []
    for g in goals:
        if g["comparison"] == "<=":
            rel, low, high = g["value"] / g["target"], g["min"] / g["target"], g["max"] / g["target"]
        else:  # 'at least' goals: goal ÷ measured, so that smaller is better here too
            rel, low, high = g["target"] / g["value"], g["target"] / g["max"], g["target"] / g["min"]
        if g["statistic"] != "median":  # a worst case has no spread over rounds
            low = high = rel
        labels.append(f"{g['workload']}\n{g['metric']}")
        values.append(rel)
        lows.append(rel - low)
        highs.append(high - rel)
        colours.append(BLUE if g["passed"] else VERMILION)
    fig = Figure(figsize=(8, 0.55 * len(goals) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(len(goals)))[::-1]
    ax.barh(y, values, color=colours, xerr=[lows, highs], ecolor="#444444", capsize=3, height=0.6)
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlabel("measured relative to goal (≤ 1 meets the goal)")
    ax.set_title("bplib speed goals: blue met, vermilion missed")
    for yi, v, h, g in zip(y, values, highs, goals):  # the verdict in words too, not only in colour
        ax.text(v + h, yi, f"  {v:.2f} {'met' if g['passed'] else 'missed'}", va="center", ha="left", fontsize=7)
    ax.set_xlim(0, max(1.3, max(v + h for v, h in zip(values, highs)) * 1.25))
    return fig


def page(runs: dict[str, dict]) -> str:
    goals = [g for data in runs.values() for g in data["goals"]]
    sections = [
        "# How fast is bplib?\n\n"
        "bplib is written to be read, but a library that is also quick is one readers keep using after the "
        "course. This page shows the latest benchmark run: whole training steps of bplib against PyTorch "
        "on the CPU, the scalar `Value` engine against micrograd, and how long each chapter's widget takes "
        "to draw. Everything runs on one thread; each library is timed in its own process, in interleaved "
        "rounds, so background load hits both alike, and ratios are taken round by round.\n\n"
        "The ratios depend on the CPU and on the kernels its BLAS picks (the machine table below names "
        "both): the same code measured on another kind of CPU gives other ratios, and a goal met here "
        "can be missed there.\n\n"
        "Re-run the benchmarks and regenerate this page with `make bench` (or "
        "`python benchmarks/run_all.py`); the numbers come from `benchmarks/results/*.json`.\n",
        machine_section(runs),
        goals_section(goals),
    ]
    for name, section in (("mlp", mlp_section), ("rnn", rnn_section), ("value", value_section),
                          ("widgets", widgets_section)):
        if name in runs:
            sections.append(section(runs[name]))
    for name, section in (("grade", grade_section), ("pages", pages_section)):
        if (data := load(name)) is not None:
            sections.append(section(data))
    sections.append(missed_section(runs))
    return "\n".join(sections)


def main() -> None:
    runs = {name: data for name in BENCHMARKS if (data := load(name)) is not None}
    if not runs:
        raise SystemExit(f"no results in {RESULTS_DIR}: run benchmarks/run_all.py first")
    goals = [g for data in runs.values() for g in data["goals"]]
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    plot(goals).savefig(FIGURE, dpi=100, metadata={"Software": None})
    PAGE.write_text(page(runs))
    print(f"wrote {PAGE.relative_to(ROOT)} and {FIGURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
