"""Time one RNN training step: bplib.RNN against torch.nn.RNN (when installed).

A step is forward over the whole sequence, a mean-squared-error loss on every hidden state,
full backpropagation through time, and a plain SGD update. Batch 32, input 16, T = 200, float32,
hidden 64 and 256, one BLAS thread. Each measurement runs in its own process, in interleaved
rounds (bplib, torch, bplib, torch, ...), and the ratio is taken round by round (harness.py).

    python benchmarks/bench_rnn.py [--rounds 5] [--steps 10]

Prints a table and writes benchmarks/results/rnn.json.
"""

from __future__ import annotations

import argparse
import json

import harness

BATCH, INPUT, STEPS_IN_TIME = 32, 16, 200
HIDDEN_SIZES = (64, 256)
GOALS = {64: 0.6, 256: 0.85}  # bplib time / torch time must not exceed these


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
        rnn.backward(dhs)
        for p in rnn.parameters():
            p.data -= lr * p.grad

    return step


def _torch_step(hidden: int):
    import numpy as np
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((BATCH, STEPS_IN_TIME, INPUT)).astype(np.float32))
    y = torch.from_numpy(rng.standard_normal((BATCH, STEPS_IN_TIME, hidden)).astype(np.float32))
    rnn = torch.nn.RNN(INPUT, hidden, batch_first=True)
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


def worker(library: str, hidden: int, steps: int) -> dict:
    """Median seconds per training step, measured in this process."""
    harness.limit_to_one_thread()
    step = _bplib_step(hidden) if library == "bplib" else _torch_step(hidden)
    return {"seconds": harness.median_step_time(step, steps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved repeats")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per process")
    parser.add_argument("--worker", choices=("bplib", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--hidden", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.hidden, args.steps)))
        return

    libraries = ["bplib", "torch"] if harness.module_available("torch") else ["bplib"]
    rows, goals = [], []
    print(f"RNN training step: batch {BATCH}, input {INPUT}, T = {STEPS_IN_TIME}, float32, 1 thread; "
          f"{args.rounds} interleaved rounds of one process per library x {args.steps} steps")
    print(f"{'hidden':>6}  {'bplib ms':>9}  {'torch ms':>9}  {'ratio':>6}  {'goal':>5}")
    for hidden in HIDDEN_SIZES:
        def measure(lib, hidden=hidden):
            return harness.run_worker(__file__, ["--worker", lib, "--hidden", str(hidden),
                                                 "--steps", str(args.steps)])["seconds"]

        samples = harness.interleaved(measure, libraries, args.rounds)
        row = {"hidden": hidden, "batch": BATCH, "input": INPUT, "T": STEPS_IN_TIME, "dtype": "float32",
               "bplib_ms": harness.summarise([1e3 * s for s in samples["bplib"]]), "goal": GOALS[hidden]}
        if "torch" in samples:
            row["torch_ms"] = harness.summarise([1e3 * s for s in samples["torch"]])
            row["ratio"] = harness.summarise(harness.round_ratios(samples, "bplib", "torch"))
            goals.append(harness.goal(f"RNN hidden {hidden}, T = {STEPS_IN_TIME} (float32)",
                                      "bplib time / torch time", row["ratio"], GOALS[hidden]))
        rows.append(row)
        torch_ms = f"{row['torch_ms']['median']:9.2f}" if "torch_ms" in row else f"{'-':>9}"
        ratio = f"{row['ratio']['median']:6.2f}" if "ratio" in row else f"{'-':>6}"
        print(f"{hidden:>6}  {row['bplib_ms']['median']:9.2f}  {torch_ms}  {ratio}  {GOALS[hidden]:5.2f}")
    harness.print_goals(goals)
    path = harness.write_results(
        "rnn", description="RNN training step (forward over T steps, MSE on every hidden state, full BPTT, SGD)",
        method={"rounds": args.rounds, "steps_per_process": args.steps, "threads": 1,
                "clock": "wall time (time.perf_counter)",
                "statistic": harness.STATISTIC},
        results=rows, goals=goals)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
