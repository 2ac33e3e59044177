"""Time the scalar autodiff engine: bplib.Value against micrograd (when installed).

1. One training step of a 2-16-16-1 MLP (ReLU hidden layers, linear output, as micrograd's
   ``MLP(2, [16, 16, 1])``) on 100 samples: forward over all samples, mean squared error,
   backward, SGD update. bplib's ``ScalarMLP`` against micrograd's ``MLP``, plus the vectorised
   ``bplib.MLP`` for scale. We time CPU seconds (``time.process_time``: pure Python on one core,
   which other jobs on a shared machine do not inflate) with Python's cycle collector on, as
   users run it, and off. micrograd's nodes form reference cycles (closures that hold their
   output), so its garbage waits for the collector; bplib's does not.
2. A chain of 1,000,000 operations: time to build it and to run ``backward()``. micrograd's
   recursive topological sort is tried at growing depths until it raises RecursionError.

Every engine and every chain runs in its own process, in interleaved rounds (harness.py).

    python benchmarks/bench_value.py [--rounds 3] [--steps 5] [--chain 1000000]

micrograd is optional (``pip install micrograd``). Prints a table and writes
benchmarks/results/value.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import harness

SIZES, SAMPLES, LR = [2, 16, 16, 1], 100, 0.05
STEP_GOAL = 0.2  # bplib Value step time / micrograd step time (issue "Performance")
CHAIN_GOAL_S = 5.0  # build + backward of the 1,000,000-step chain, seconds
ENGINES = {"bplib": "bplib Value (ScalarMLP)", "micrograd": "micrograd",
           "vectorised": "bplib.MLP (vectorised)"}


def data():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (SAMPLES, 2))
    return x, (x[:, :1] * x[:, 1:] > 0).astype(float)  # XOR-like quadrants


def bplib_value_step():
    from bplib.autodiff import ScalarMLP

    x, y = data()
    model = ScalarMLP(SIZES, activation="relu", seed=0)

    def step():
        loss = model.mse(x, y)
        loss.backward()  # resets every grad in the graph first: no zero_grad needed
        for p in model.parameters():
            p.data -= LR * p.grad

    return step


def micrograd_step():
    from micrograd.nn import MLP

    x, y = data()
    xs, ys = x.tolist(), y[:, 0].tolist()
    model = MLP(SIZES[0], SIZES[1:])

    def step():
        preds = [model(row) for row in xs]
        loss = sum(((p - t) ** 2 for p, t in zip(preds, ys, strict=True)), 0) * (1.0 / SAMPLES)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad

    return step


def vectorised_step():
    import bplib as bp

    x, y = data()
    model = bp.MLP(SIZES, activation="relu", seed=0)
    loss_fn = bp.MSELoss()

    def step():
        loss_fn(model(x), y)
        model.zero_grad()
        model.backward(loss_fn.backward(), input_grad=False)
        for p in model.parameters():
            p.data -= LR * p.grad

    return step


def step_times(engine: str, steps: int) -> dict:
    """Median CPU seconds per step of one engine, with the cycle collector on (default) and off."""
    step = {"bplib": bplib_value_step, "micrograd": micrograd_step, "vectorised": vectorised_step}[engine]()
    with_gc = harness.median_step_time(step, steps, warmup=1, clock=time.process_time)
    gc.collect()
    gc.disable()
    without_gc = harness.median_step_time(step, steps, warmup=0, clock=time.process_time)
    gc.enable()
    return {"gc_on": with_gc, "gc_off": without_gc}


def chain_times(length: int) -> dict:
    """CPU seconds to build a chain of ``length`` multiplications and to run its backward pass."""
    from bplib.autodiff import Value

    start = time.process_time()
    x = Value(0.5)
    y = x
    for _ in range(length):
        y = y * 1.0000001
    built = time.process_time()
    y.backward()
    done = time.process_time()
    assert x.grad > 0
    return {"build": built - start, "backward": done - built}


def micrograd_recursion_depth() -> dict:
    """Smallest chain length (in steps of 100) at which micrograd's backward() fails."""
    from micrograd.engine import Value as MValue

    for n in range(100, 5001, 100):
        y = MValue(0.5)
        for _ in range(n):
            y = y * 1.0
        try:
            y.backward()
        except RecursionError:
            return {"fails_at": n}
    return {"fails_at": None}


def worker(task: str, steps: int, length: int) -> dict:
    harness.limit_to_one_thread()
    if task == "chain":
        return chain_times(length)
    if task == "recursion":
        return micrograd_recursion_depth()
    return step_times(task, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per process and gc setting")
    parser.add_argument("--chain", type=int, default=1_000_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps, args.chain)))
        return

    has_micrograd = harness.module_available("micrograd")
    engines = [e for e in ENGINES if e != "micrograd" or has_micrograd]

    def measure(task: str) -> dict:
        return harness.run_worker(__file__, ["--worker", task, "--steps", str(args.steps),
                                             "--chain", str(args.chain)])

    samples = harness.interleaved(measure, [*engines, "chain"], args.rounds)
    rows, goals = [], []
    print(f"2-16-16-1 MLP, {SAMPLES} samples, one step (forward + backward + update): CPU time, "
          f"{args.rounds} interleaved rounds of one process per engine")
    print(f"  {'engine':<26} {'gc on (default)':>16} {'gc off':>10}")
    for engine in engines:
        row = {"workload": "scalar MLP step", "engine": ENGINES[engine]}
        for setting in ("gc_on", "gc_off"):
            row[f"{setting}_ms"] = harness.summarise([1e3 * s[setting] for s in samples[engine]])
        rows.append(row)
        print(f"  {row['engine']:<26} {row['gc_on_ms']['median']:13.2f} ms {row['gc_off_ms']['median']:7.2f} ms")
    if has_micrograd:
        row = {"workload": "scalar MLP step", "engine": "ratio bplib Value / micrograd"}
        for setting in ("gc_on", "gc_off"):
            ratios = [a[setting] / b[setting] for a, b in zip(samples["bplib"], samples["micrograd"])]
            row[f"{setting}_ratio"] = harness.summarise(ratios)
        rows.append(row)
        print(f"  {'ratio bplib / micrograd':<26} {row['gc_on_ratio']['median']:16.3f} "
              f"{row['gc_off_ratio']['median']:10.3f}")
        goals.append(harness.goal("scalar MLP step (gc on, as users run it)", "bplib Value time / micrograd time",
                                  row["gc_on_ratio"], STEP_GOAL))

    chain = {part: harness.summarise([s[part] for s in samples["chain"]]) for part in ("build", "backward")}
    total = harness.summarise([s["build"] + s["backward"] for s in samples["chain"]])
    rows.append({"workload": "Value chain", "length": args.chain, "build_s": chain["build"],
                 "backward_s": chain["backward"], "total_s": total})
    goals.append(harness.goal(f"{args.chain:,}-step Value chain", "build + backward, CPU seconds",
                              total, CHAIN_GOAL_S))
    print(f"Chain of {args.chain:,} operations (CPU time): build {chain['build']['median']:.2f} s, "
          f"backward {chain['backward']['median']:.2f} s")
    if has_micrograd:
        depth = measure("recursion")["fails_at"]
        rows.append({"workload": "micrograd recursion limit", "fails_at": depth})
        print("micrograd backward on a chain: " + (f"RecursionError at {depth:,} steps" if depth
                                                    else "no failure up to 5,000 steps"))
    harness.print_goals(goals)
    path = harness.write_results(
        "value", description="Scalar autodiff: a 2-16-16-1 MLP step on 100 samples, and a long Value chain",
        method={"rounds": args.rounds, "steps_per_process": args.steps, "threads": 1,
                "clock": "CPU time of the benchmark process (time.process_time)",
                "statistic": harness.STATISTIC},
        results=rows, goals=goals)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
