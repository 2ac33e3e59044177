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
    "mlp_large": "Both libraries spend most of the step in the same large matrix products, so the "
                 "ratio follows the two BLASes' ratio on them (the BLAS ratio column) and the spread "
                 "over rounds is other jobs on the machine. What bplib adds is elementwise memory "
                 "traffic (ReLU, bias, SGD's temporary lr * grad), which other jobs sharing the "
                 "memory bandwidth slow down more than the matmuls; zero_grad followed by adding "
                 "into .grad is gone (the first gradient after zero_grad is written, not added).",
    "mlp_medium_matmul": "The rest of the step is a dozen separate numpy passes over the activations "
                         "and weights (the ReLU mask and product, their backward product, the bias add "
                         "and its gradient sum, softmax cross-entropy, SGD's lr * grad and subtraction, "
                         "each layer's NaN check on its input) plus a few Python calls per layer. At "
                         "this size the matmuls take a few milliseconds, so those passes are a larger "
                         "share than at large; torch does the same passes in fused C++ loops. Reaching "
                         "95% would take fusing them outside numpy, which bplib (numpy only, every "
                         "line readable) does not do.",
    "mlp_large_matmul": "What is left besides the matmuls is the same dozen numpy passes as at medium "
                        "size (ReLU, bias, softmax cross-entropy, the SGD update, NaN checks), each over "
                        "arrays of a million numbers; torch fuses them in C++. They are memory-bound, so "
                        "their share grows when other jobs load the machine (compare the load column).",
    "mlp_fit": "Per step, fit does what a hand-written loop skips: it copies every parameter (into "
               "arrays kept for the whole run) so that a step that overflows can be undone, checks "
               "the new weights and the output for NaN (one x·x pass each), and records every "
               "gradient's norm for the History; per call it also checks all of x for NaN and walks "
               "the model's modules.",
    "rnn": "BPTT runs T small matrix products one after another in Python; torch runs its loop "
           "in C++.",
    "rnn_readout": "The cause the issue suspected is fixed: Linear returned dx column-major, so the "
                   "readout's gradient reshaped to (N, T, H) gave RNN.backward a strided slice at "
                   "every time step; it now arrives row-major, laid out like the bare step's. What is "
                   "left is elementwise work the bare step does not have: the hidden states are stored "
                   "time-major (T, N, H), so hs.reshape(-1, H) in batch order copies them, and the "
                   "readout's Linear and MSELoss run their NaN check, bias add, error and bias-gradient "
                   "sum over all N T rows. At hidden 64 those passes cost more than the readout's "
                   "matmuls and the bare step's own loss on the hidden states together, and the "
                   "recurrence is small, so they show. Storing the states batch-major would remove "
                   "the copy but move one into the weight-gradient sums of BPTT. The spread between "
                   "rounds is other jobs on the machine.",
}


# Figures measured by the author of issue 20 on another kind of machine (float32, one thread, fresh
# processes, 7 interleaved rounds), with the code as it was before that changes. Quoted
# here as a source; this machine's figures come from the JSON files.
INTEL = {
    "machine": "an Intel Xeon (AVX-512), OpenBLAS 0.3.31 with its SkylakeX kernel, torch 2.13 with MKL",
    "mlp": [  # (shape, bench_mlp.py as shipped then, the chapters' call model.backward(loss_fn.backward()))
        ("tiny", "0.35", "0.36"), ("medium", "1.03–1.04", "1.31"), ("large", "1.10–1.17", "1.36")],
    "mlp_blas": "MKL ran the large step's matmuls at 201–214 GFLOP/s, numpy's OpenBLAS at 189–196",
    "rnn_readout": ("256", "40.7", "27.4", "1.04", "0.76"),  # hidden, readout ms, bare ms, ratios
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
    run_rows = [[name, data["measured_at"], data["machine"]["cpu"], ", ".join(data["machine"].get("blas", [])) or "–",
                 num(data["machine"]["load_average"], 2), data["method"]["clock"].split(" (")[0]]
                for name, data in runs.items()]
    return ("## The machine\n\n" + text + "\n\n"
            "Each benchmark file records when it ran, on which CPU, with which BLAS and BLAS kernel (in "
            "brackets: the kernel OpenBLAS picked for this CPU), and the machine's 1-minute load average "
            f"at the end of the run (other jobs sharing the {first['cores']} cores):\n\n"
            + table(["benchmark", "measured", "CPU", "BLAS (kernel)", "load average", "clock"], run_rows) + "\n\n"
            "The ratios to PyTorch depend on the CPU: numpy's OpenBLAS and torch's BLAS pick different "
            "kernels on different CPUs, and a goal met on one machine can be missed on another. The MLP "
            "and RNN sections below give, beside this machine's figures, those the issue's author measured "
            f"on {INTEL['machine']}.\n")


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
    rows, fit = [], None
    goals = {g["workload"]: g for g in data["goals"] if g["metric"] == "bplib time / torch time"}
    for r in data["results"]:
        if r.get("workload") == "fit":
            fit = r
            continue
        workload = f"MLP {r['shape']} ({r['dtype']})"
        g = goals.get(workload)
        rows.append([r["shape"], str(r["batch"]), "-".join(map(str, r["sizes"])), r["dtype"],
                     num(r["bplib_ms"]["median"]), num(r.get("torch_ms", {}).get("median")),
                     ratio(r.get("ratio")), goal_text(g) if g else "–",
                     f"{100 * r['matmul_fraction']['median']:.1f}%" if "matmul_fraction" in r else "–",
                     f"{100 * r['numpy_share_ceiling']['median']:.1f}%" if "numpy_share_ceiling" in r else "–",
                     ratio(r.get("blas_ratio")),
                     num(r["gflops"]["median"]), f"{100 * r['fraction_of_peak']['median']:.0f}%",
                     num(r["load_average"]["max"], 2) if "load_average" in r else "–",
                     verdict(g["passed"] if g else None)])
    peak = [g for g in data["goals"] if g["metric"] == "fraction of matmul peak"]
    peak_text = ""
    if peak:
        g, n = peak[0], data["method"].get("matmul_n")
        matmul = f"{n}³" if n else "square"
        peak_text = (f"\n\nThe large network reaches {100 * g['value']:.0f}% of the GFLOP/s of a {matmul} "
                     f"matmul measured in the same rounds (goal ≥ {100 * g['target']:.0f}%): "
                     f"{verdict(g['passed'])}.")
    matmul_goals = [g for g in data["goals"] if g["metric"].startswith(("fraction of the step",
                                                                          "bplib time / torch time, against"))]
    matmul_text = ""
    if matmul_goals:
        margin = data["method"].get("blas_margin", 0.03)
        matmul_text = (
            "\n\nIn its own matmuls is the share of the step that the step's matrix products take when "
            "they are timed alone (the same shapes, layouts and arrays, alternating with the steps in the "
            "same process). BLAS ratio is numpy's time on those matmuls divided by torch's, so it says how "
            "much of the step ratio is the two BLASes. Goals for medium and large (float32): at least 95% "
            f"of the step in its own matmuls, and a step ratio at most the BLAS ratio + {margin}. "
            "*Most any numpy step can* bounds the first goal for a numpy implementation: the same "
            "matmuls against the elementwise passes every such step needs (the bias add, ReLU and its "
            "backward, softmax cross-entropy and its gradient, the bias gradients, the update), written "
            "lean (in place where numpy allows, the learning rate folded into the loss gradient, no "
            "checks, no modules) and timed alone in the same process: matmuls / (matmuls + those "
            "passes). Where it is below 95%, a numpy step with these passes cannot reach the goal on "
            "this machine, bplib's included; the one trick it leaves out is folding each bias into its "
            "matmul with a column of ones:\n\n"
            + table(["workload", "metric", "goal", "measured", "result"],
                    [[g["workload"], g["metric"], goal_text(g), spread(g), verdict(g["passed"])]
                     for g in matmul_goals]))
    fit_text = ""
    if fit:
        g = next(g for g in data["goals"] if g["workload"].startswith("bp.fit"))
        fit_text = (f"\n\n`bp.fit` for one epoch of {fit['batches_per_epoch']} mini-batches of "
                    f"{fit['batch']} ({fit['shape']}, {fit['dtype']}) against the same epoch written by "
                    "hand (shuffle, the fast step above on each mini-batch, then the accuracy on the whole "
                    "set, which fit records after every epoch), alternating in one process: "
                    f"{num(fit['fit_ms']['median'])} ms against {num(fit['hand_ms']['median'])} ms, "
                    f"ratio {ratio(fit['ratio'])} (goal {goal_text(g)}): {verdict(g['passed'])}. "
                    "fit, like the fast step, skips the gradient with respect to the data.")
    intel = ("\n\nOn another CPU. The issue's author measured, on "
             f"{INTEL['machine']}, with the code before these changes ({INTEL['mlp_blas']}):\n\n"
             + table(["float32, 1 thread", "goal", "Intel, bench_mlp.py as shipped then",
                      "Intel, the chapters' call model.backward(loss_fn.backward())", "this machine, now"],
                     [[f"MLP {shape}", goal_text(goals[f"MLP {shape} (float32)"])
                       if f"MLP {shape} (float32)" in goals else "–", shipped, chapters,
                       ratio(next((r.get("ratio") for r in data["results"]
                                   if r.get("shape") == shape and r.get("dtype") == "float32"
                                   and r.get("workload") != "fit"), None))]
                      for shape, shipped, chapters in INTEL["mlp"]]))
    return ("## MLP training step\n\n"
            f"{data['description']}, ReLU hidden layers, bplib against PyTorch autograd. "
            f"{data['method']['rounds']} rounds; in each, bplib, torch and a matmul run in fresh processes "
            "one after the other. Times are per step (median over the steps of a process, then over "
            "rounds). GFLOP/s counts the matrix products of the step: forward, the weight gradients, and "
            "the input gradients of every layer but the first (neither library computes the gradient "
            "with respect to the data). Load is the highest 1-minute load average any of the row's "
            "processes saw.\n\n"
            + table(["shape", "batch", "sizes", "dtype", "bplib ms", "torch ms", "ratio (min–max)", "goal",
                     "in its own matmuls", "most any numpy step can", "BLAS ratio (min–max)", "GFLOP/s",
                     "% of matmul peak", "load", "result"], rows)
            + peak_text + matmul_text + fit_text + intel + "\n")


def rnn_section(data: dict) -> str:
    goals = {(g["workload"], g["metric"]): g for g in data["goals"]}
    rows = []
    for r in data["results"]:
        readout = r.get("workload") == "readout"
        workload = (f"RNN + readout ({r['readout']}) on every step, hidden {r['hidden']}, T = {r['T']} (float32)"
                    if readout else f"RNN hidden {r['hidden']}, T = {r['T']} (float32)")
        g = goals.get((workload, "bplib time / torch time"))
        over = goals.get((workload, "bplib time / (bare RNN + readout matmuls)"))
        rows.append([f"+ readout ({r['readout']})" if readout else "bare", str(r["hidden"]), str(r["T"]),
                     str(r["batch"]), num(r["bplib_ms"]["median"]), num(r.get("torch_ms", {}).get("median")),
                     ratio(r.get("ratio")), f"≤ {num(r['goal'])}",
                     num(r["bare_plus_readout_matmuls_ms"]["median"]) if readout else "",
                     ratio(r["overhead_ratio"]) if readout else "",
                     num(r["load_average"]["max"], 2) if "load_average" in r else "–",
                     verdict(all(x["passed"] for x in (g, over) if x) if (g or over) else None)])
    hidden, ro_ms, bare_ms, ro_ratio, bare_ratio = INTEL["rnn_readout"]
    readout_size = data["method"].get("readout")
    readout_text = ""
    if readout_size:
        readout_text = (
            f"\n\nThe second workload puts a linear readout, hidden size → {readout_size}, on every step "
            "and takes the MSE on its outputs (torch: `nn.RNN` + `nn.Linear`). *Bare + readout matmuls* is "
            "the bare step plus the readout's own three matmuls (forward, weight gradient, gradient into "
            "the hidden states) alone, both timed in the readout step's process, alternating with it; goal: the "
            "readout step costs no more (ratio ≤ 1), and it meets the bare RNN's ratio goals to torch. "
            "Before these changes the readout's gradient reached `RNN.backward` column-major, so every "
            "time step's slice of it was strided; it now arrives row-major, laid out like the bare step's. "
            f"On {INTEL['machine']}, the issue's author measured at hidden {hidden}: {ro_ms} ms a step "
            f"with the readout against {bare_ms} ms bare, ratios to torch {ro_ratio} against {bare_ratio}.")
    return ("## RNN training step\n\n"
            f"{data['description']}: `bplib.RNN` against `torch.nn.RNN`, input size "
            f"{data['results'][0]['input']}, float32, {data['method']['rounds']} interleaved rounds.\n\n"
            + table(["workload", "hidden", "T", "batch", "bplib ms", "torch ms", "ratio (min–max)", "goal",
                     "bare + readout matmuls ms", "÷ bare + readout matmuls (min–max)", "load", "result"], rows)
            + readout_text + "\n")


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


def _page_row(r: dict) -> list[str]:
    lcp = r.get("lcp_s_median")
    return [f"`{r['page']}`", num(r["performance_median"], 2), "–" if lcp is None else f"{lcp:.1f} s",
            f"{r['tbt_ms_median']:.0f} ms", f"{r['kib']:,.0f} KiB"]


def pages_section(data: dict) -> str:
    method = data["method"]
    bar = method.get("bar")
    head = ["page", "performance", "LCP", "total blocking time", "bytes"]
    rows = [_page_row(r) + [num(r["accessibility"], 2), "yes" if r["meets_goal"] else "no"]
            for r in data["results"]]
    loads = method.get("load_average")
    text = ("## Page speed\n\nLighthouse 12.8, mobile preset, the site served with gzip "
            f"(`benchmarks/bench_pages.py`), medians of {method.get('rounds', 3)} rounds"
            + (f" (load average {loads[0]:.1f}–{loads[1]:.1f})" if loads else "") + ". "
            "A plain Jupyter Book 1 (`jupyter-book create`, the same versions) is measured in the same "
            "rounds. The goal (issue 18): performance ≥ 0.9, total blocking time ≤ 200 ms, LCP ≤ 2.5 s, "
            "what the plain book scores on a fast machine; where this machine is too slow for the plain "
            "book's chapter page to reach that, the plain page's own medians are the bar"
            + (f" (here: performance ≥ {bar['performance']:.2f}, TBT ≤ {bar['tbt_ms']:.0f} ms, "
               f"LCP ≤ {bar['lcp_s']:.1f} s)" if bar else "") + ". Accessibility must be 1.\n\n"
            + table(head + ["accessibility", "goal met"], rows) + "\n")
    if "baseline" in method:
        text += ("\nThe plain Jupyter Book, the same rounds:\n\n"
                 + table(head, [_page_row(r) for r in method["baseline"]["results"]]) + "\n")
    for past in method.get("history", []):
        loads = past.get("load_average")
        text += (f"\nEarlier: {past['what']} ({past['measured_at']}"
                 + (f", load average {loads[0]:.1f}–{loads[1]:.1f}" if loads else "") + "):\n\n"
                 + table(["site"] + head, [[r.get("site", "ours")] + _page_row(r) for r in past["results"]])
                 + "\n")
    return text + ("\nLighthouse simulates a slow phone by scaling the time this machine's CPU takes, so "
                   "every score here, the plain book's included, is lower than on a fast machine and moves "
                   "with the machine's load; compare pages measured in the same rounds.\n")


def _missed_key(name: str, g: dict) -> str:
    """Which WHY_MISSED note explains a missed goal."""
    if name == "mlp":
        if g["workload"].startswith("bp.fit"):
            return "mlp_fit"
        shape = g["workload"].split()[1]
        matmul = g["metric"].startswith(("fraction of the step", "bplib time / torch time, against"))
        return f"mlp_{shape}_matmul" if matmul else f"mlp_{shape}"
    if name == "rnn" and "readout" in g["workload"]:
        return "rnn_readout"
    return name


def missed_section(runs: dict[str, dict]) -> str:
    missed: dict[str, list[str]] = {}  # the reason's key -> the goals it explains
    for name, data in runs.items():
        for g in data["goals"]:
            if not g["passed"]:
                key = _missed_key(name, g)
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
