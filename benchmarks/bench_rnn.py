"""Time one RNN training step: bplib.RNN against torch.nn.RNN (when installed).

A step is forward over the whole sequence, a mean-squared-error loss on every hidden state,
full backpropagation through time, and a plain SGD update. Batch 32, input 16, T = 200, float32,
hidden 64 and 256, one BLAS thread. Each measurement runs in its own process, in interleaved
rounds (bplib, torch, bplib, torch, ...), and the ratio is taken round by round (harness.py).

A second workload puts a linear readout (H -> 16) on every step and takes the MSE on its outputs
(torch: nn.RNN + nn.Linear). Its process also times the bare step and the readout's own three
matmuls alone (forward, weight gradient, gradient into the hidden states), alternating with the
readout steps, so that the readout step is compared with the bare step plus those matmuls under
the same conditions.

    python benchmarks/bench_rnn.py [--rounds 5] [--steps 10]

Prints a table and writes benchmarks/results/rnn.json.
"""

from __future__ import annotations

import argparse
import json

import harness

BATCH, INPUT, STEPS_IN_TIME = 32, 16, 200
HIDDEN_SIZES = (64, 256)
GOALS = {64: 0.6, 256: 0.85}  # bplib time / torch time must not exceed these (both workloads)
READOUT = 16  # outputs of the readout on every step
# the readout step must cost no more than the bare step plus the readout's own matmuls
READOUT_OVERHEAD_GOAL = 1.0


def _bplib_step(hidden: int):
    import numpy as np

    import bplib as bp

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, STEPS_IN_TIME, INPUT)).astype(np.float32)
    y = rng.standard_normal((BATCH, STEPS_IN_TIME, hidden)).astype(np.float32)
    rnn = bp.RNN(INPUT, hidden, rng=rng, dtype=np.float32)
    lr = np.float32(0.01)

    def step():
        hs = rnn(x)
        dhs = (2.0 / hs.size) * (hs - y)  # gradient of the mean squared error
        rnn.zero_grad()
        rnn.backward(dhs, input_grad=False)  # x is data: skip its gradient (torch skips it too)
        for p in rnn.parameters():
            p.data -= lr * p.grad

    return step


def _torch_rnn(hidden: int, targets: int):
    """One-thread torch, seeded: inputs (B, T, D), targets (B, T, targets) and an nn.RNN."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((BATCH, STEPS_IN_TIME, INPUT)).astype(np.float32))
    y = torch.from_numpy(rng.standard_normal((BATCH, STEPS_IN_TIME, targets)).astype(np.float32))
    return x, y, torch.nn.RNN(INPUT, hidden, batch_first=True)


def _torch_step(hidden: int):
    import torch

    x, y, rnn = _torch_rnn(hidden, hidden)
    lr = 0.01

    def step():
        hs, _ = rnn(x)
        loss = torch.mean((hs - y) ** 2)
        rnn.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in rnn.parameters():
                p -= lr * p.grad

    return step


def _bplib_readout_step(hidden: int):
    import numpy as np

    import bplib as bp

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, STEPS_IN_TIME, INPUT)).astype(np.float32)
    y = rng.standard_normal((BATCH * STEPS_IN_TIME, READOUT)).astype(np.float32)
    rnn = bp.RNN(INPUT, hidden, rng=rng, dtype=np.float32)
    readout = bp.Linear(hidden, READOUT, init="lecun", rng=rng, dtype=np.float32)
    loss_fn = bp.MSELoss()
    params = rnn.parameters() + readout.parameters()
    lr = np.float32(0.01)

    def step():
        hs = rnn(x)
        loss_fn(readout(hs.reshape(-1, hidden)), y)  # the readout on every step: (N T, H) -> (N T, 16)
        for p in params:
            p.zero_grad()
        dhs = readout.backward(loss_fn.backward()).reshape(hs.shape)
        rnn.backward(dhs, input_grad=False)
        for p in params:
            p.data -= lr * p.grad

    hs_flat = np.ascontiguousarray(rnn(x).reshape(-1, hidden))
    W, dout = readout.W.data, rng.standard_normal((len(hs_flat), READOUT)).astype(np.float32)

    def matmuls():  # the readout's own matmuls, as bplib.functional.linear_* runs them
        hs_flat @ W.T
        dout.T @ hs_flat
        dout @ W

    return step, matmuls


def _torch_readout_step(hidden: int):
    import torch

    x, y, rnn = _torch_rnn(hidden, READOUT)
    readout = torch.nn.Linear(hidden, READOUT)
    params = list(rnn.parameters()) + list(readout.parameters())
    lr = 0.01

    def step():
        hs, _ = rnn(x)
        loss = torch.mean((readout(hs) - y) ** 2)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad

    with torch.no_grad():
        hs_flat = rnn(x)[0].reshape(-1, hidden).contiguous()
    W, dout = readout.weight.detach(), torch.randn(len(hs_flat), READOUT)

    def matmuls():
        with torch.no_grad():
            hs_flat @ W.t()
            dout.t() @ hs_flat
            dout @ W

    return step, matmuls


def _alternating(functions, steps: int, warmup: int = 2) -> list[float]:
    """Median seconds of each of ``functions``, called in turn ``steps`` times in this process."""
    import statistics
    import time

    for _ in range(warmup):
        for fn in functions:
            fn()
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(steps):
        for fn, out in zip(functions, times):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def worker(library: str, hidden: int, steps: int, workload: str = "bare") -> dict:
    """Median seconds per training step, measured in this process."""
    import os

    harness.limit_to_one_thread()
    if workload == "readout":
        make = _bplib_readout_step if library == "bplib" else _torch_readout_step
        bare = _bplib_step(hidden) if library == "bplib" else _torch_step(hidden)
        seconds, matmul_seconds, bare_seconds = _alternating([*make(hidden), bare], steps)
        return {"seconds": seconds, "matmul_seconds": matmul_seconds, "bare_seconds": bare_seconds,
                "load_average": os.getloadavg()[0]}
    step = _bplib_step(hidden) if library == "bplib" else _torch_step(hidden)
    return {"seconds": harness.median_step_time(step, steps), "load_average": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved repeats")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per process")
    parser.add_argument("--worker", choices=("bplib", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--hidden", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workload", default="bare", choices=("bare", "readout"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.hidden, args.steps, args.workload)))
        return

    libraries = ["bplib", "torch"] if harness.module_available("torch") else ["bplib"]
    rows, goals = [], []
    print(f"RNN training step: batch {BATCH}, input {INPUT}, T = {STEPS_IN_TIME}, float32, 1 thread; "
          f"{args.rounds} interleaved rounds of one process per library x {args.steps} steps")
    print(f"{'workload':>8}  {'hidden':>6}  {'bplib ms':>9}  {'torch ms':>9}  {'ratio':>6}  {'goal':>5}  "
          f"{'bare + readout matmuls ms':>25}  {'load':>5}")
    for hidden in HIDDEN_SIZES:
        def measure(job, hidden=hidden):
            lib, workload = job.split("/")
            return harness.run_worker(__file__, ["--worker", lib, "--hidden", str(hidden), "--steps",
                                                 str(args.steps), "--workload", workload])

        # the bare and the readout step of each library in the same round, so that the readout
        # step and "bare + readout matmuls" are measured under the same background load
        jobs = [f"{lib}/{workload}" for workload in ("bare", "readout") for lib in libraries]
        runs = harness.interleaved(measure, jobs, args.rounds)
        for workload in ("bare", "readout"):
            samples = {lib: [r["seconds"] for r in runs[f"{lib}/{workload}"]] for lib in libraries}
            row = {"workload": workload, "hidden": hidden, "batch": BATCH, "input": INPUT, "T": STEPS_IN_TIME,
                   "dtype": "float32", "bplib_ms": harness.summarise([1e3 * s for s in samples["bplib"]]),
                   "load_average": harness.summarise([r["load_average"] for j in jobs for r in runs[j]]),
                   "goal": GOALS[hidden], "meets_goal": {}}
            name = f"RNN hidden {hidden}, T = {STEPS_IN_TIME} (float32)" if workload == "bare" else \
                f"RNN + readout ({READOUT}) on every step, hidden {hidden}, T = {STEPS_IN_TIME} (float32)"
            if workload == "readout":
                row["readout"] = READOUT
                bplib_runs = runs[f"bplib/{workload}"]
                row["readout_matmul_ms"] = harness.summarise([1e3 * r["matmul_seconds"] for r in bplib_runs])
                # the bare step and the readout's matmuls timed in the readout step's own process
                bare_plus = [r["bare_seconds"] + r["matmul_seconds"] for r in bplib_runs]
                row["bare_plus_readout_matmuls_ms"] = harness.summarise([1e3 * s for s in bare_plus])
                row["overhead_ratio"] = harness.summarise([r["seconds"] / s for r, s in zip(bplib_runs, bare_plus)])
                g = harness.goal(name, "bplib time / (bare RNN + readout matmuls)", row["overhead_ratio"],
                                 READOUT_OVERHEAD_GOAL)
                goals.append(g)
                row["meets_goal"]["overhead_ratio"] = g["passed"]
            if "torch" in samples:
                row["torch_ms"] = harness.summarise([1e3 * s for s in samples["torch"]])
                row["ratio"] = harness.summarise(harness.round_ratios(samples, "bplib", "torch"))
                g = harness.goal(name, "bplib time / torch time", row["ratio"], GOALS[hidden])
                goals.append(g)
                row["meets_goal"]["ratio"] = g["passed"]
                if workload == "readout":
                    row["torch_readout_matmul_ms"] = harness.summarise(
                        [1e3 * r["matmul_seconds"] for r in runs[f"torch/{workload}"]])
            rows.append(row)
            torch_ms = f"{row['torch_ms']['median']:9.2f}" if "torch_ms" in row else f"{'-':>9}"
            ratio = f"{row['ratio']['median']:6.2f}" if "ratio" in row else f"{'-':>6}"
            plus = f"{row['bare_plus_readout_matmuls_ms']['median']:25.2f}" if workload == "readout" else f"{'':>25}"
            print(f"{workload:>8}  {hidden:>6}  {row['bplib_ms']['median']:9.2f}  {torch_ms}  {ratio}  "
                  f"{GOALS[hidden]:5.2f}  {plus}  {row['load_average']['max']:5.2f}", flush=True)
    harness.print_goals(goals)
    path = harness.write_results(
        "rnn", description="RNN training step (forward over T steps, MSE on every hidden state, full BPTT, SGD)",
        method={"rounds": args.rounds, "steps_per_process": args.steps, "threads": 1,
                "clock": "wall time (time.perf_counter)", "readout": READOUT,
                "readout_workload": f"a Linear(H, {READOUT}) readout on every step, MSE on its outputs; "
                                    "its three matmuls also timed alone in the same process, "
                                    "alternating with the steps",
                "statistic": harness.STATISTIC},
        results=rows, goals=goals)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
