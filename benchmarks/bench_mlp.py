"""Time whole MLP training steps: bplib against PyTorch CPU autograd (when installed).

A step is forward, softmax cross-entropy, backward and an SGD update. Shapes (batch, sizes):
tiny (32, 2-16-16-2), small (64, 64-128-10), medium (256, 784-256-256-10),
large (512, 1024-1024-1024-10), in float32 and float64, ReLU, one BLAS thread.

    python benchmarks/bench_mlp.py [--rounds 5] [--steps N] [--shapes tiny,large] [--dtypes float32]

Prints a table and writes benchmarks/results/mlp.json.
"""

from __future__ import annotations

import argparse
import json

import harness

SHAPES = {
    "tiny": (32, [2, 16, 16, 2]),
    "small": (64, [64, 128, 10]),
    "medium": (256, [784, 256, 256, 10]),
    "large": (512, [1024, 1024, 1024, 10]),
}
# bplib time / torch time, float32 (issue "Performance"); None: no goal for this workload
GOALS = {"tiny": 0.30, "medium": 0.95, "large": 1.0}
PEAK_FRACTION_GOAL = 0.8  # large MLP: at least 80% of the matmul's GFLOP/s
MATMUL_N = 1024  # the peak: GFLOP/s of an n×n×n matmul, measured in every round


# Timed steps per process: enough for a steady median, few enough that the large net stays quick.
STEPS = {"tiny": 200, "small": 100, "medium": 20, "large": 8}


def flops_per_step(batch: int, sizes: list[int]) -> int:
    """Matmul flops of one step (2·B·in·out per matmul): forward x W^T and backward dout^T x in
    every layer, dout W in every layer but the first (whose input is data; neither library
    computes that gradient)."""
    layers = list(zip(sizes[:-1], sizes[1:]))
    return sum((4 if i == 0 else 6) * batch * n_in * n_out for i, (n_in, n_out) in enumerate(layers))


def _data(batch: int, sizes: list[int], dtype: str):
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.standard_normal((batch, sizes[0])).astype(dtype), rng.integers(0, sizes[-1], size=batch)


def bplib_step(batch: int, sizes: list[int], dtype: str):
    import numpy as np

    import bplib as bp

    x, labels = _data(batch, sizes, dtype)
    model = bp.MLP(sizes, activation="relu", seed=0, dtype=np.dtype(dtype))
    loss_fn = bp.CrossEntropyLoss()
    optimizer = bp.optim.SGD(model.parameters(), lr=0.01)

    def step():
        loss_fn(model(x), labels)
        optimizer.zero_grad()
        model.backward(loss_fn.backward(), input_grad=False)  # x is data: skip its gradient
        optimizer.step()

    return step


def torch_step(batch: int, sizes: list[int], dtype: str):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, labels = _data(batch, sizes, dtype)
    x, labels = torch.from_numpy(x), torch.from_numpy(labels)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out, dtype=getattr(torch, dtype)))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        loss = loss_fn(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def worker(library: str, shape: str, dtype: str, steps: int) -> dict:
    harness.limit_to_one_thread()
    batch, sizes = SHAPES[shape]
    if library == "peak":
        return {"gflops": harness.matmul_gflops(dtype, n=MATMUL_N)}
    make = bplib_step if library == "bplib" else torch_step
    return {"seconds": harness.median_step_time(make(batch, sizes, dtype), steps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, help="timed steps per process (default: per shape)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.shape, args.dtype, args.steps)))
        return

    libraries = ["bplib", "torch"] if harness.module_available("torch") else ["bplib"]
    rows, goals = [], []
    print(f"MLP training step, 1 BLAS thread, {args.rounds} interleaved rounds of one process per "
          "library (and one for the matmul peak)")
    print(f"{'shape':>7} {'dtype':>8} {'bplib ms':>9} {'torch ms':>9} {'ratio':>6} {'goal':>5} "
          f"{'GFLOP/s':>8} {'% peak':>7}")
    for dtype in args.dtypes.split(","):
        for shape in args.shapes.split(","):
            batch, sizes = SHAPES[shape]
            steps = args.steps or STEPS[shape]

            def measure(lib, shape=shape, dtype=dtype, steps=steps):
                result = harness.run_worker(__file__, ["--worker", lib, "--shape", shape, "--dtype", dtype,
                                                       "--steps", str(steps)])
                return result["gflops"] if lib == "peak" else result["seconds"]

            # The matmul peak is measured in every round too, so each round's fraction of peak
            # compares two measurements taken under the same background load.
            samples = harness.interleaved(measure, [*libraries, "peak"], args.rounds)
            flops = flops_per_step(batch, sizes)
            gflops = [flops / s / 1e9 for s in samples["bplib"]]
            fractions = [g / peak for g, peak in zip(gflops, samples["peak"])]
            row = {"shape": shape, "batch": batch, "sizes": sizes, "dtype": dtype, "steps_per_process": steps,
                   "bplib_ms": harness.summarise([1e3 * s for s in samples["bplib"]]),
                   "gflops": harness.summarise(gflops),
                   "matmul_peak_gflops": harness.summarise(samples["peak"]),
                   "fraction_of_peak": harness.summarise(fractions),
                   "goal": GOALS.get(shape) if dtype == "float32" else None}
            if "torch" in samples:
                row["torch_ms"] = harness.summarise([1e3 * s for s in samples["torch"]])
                row["ratio"] = harness.summarise(harness.round_ratios(samples, "bplib", "torch"))
                if row["goal"] is not None:
                    goals.append(harness.goal(f"MLP {shape} ({dtype})", "bplib time / torch time",
                                              row["ratio"], row["goal"]))
            if shape == "large" and dtype == "float32":
                goals.append(harness.goal(f"MLP {shape} ({dtype})", "fraction of matmul peak",
                                          row["fraction_of_peak"], PEAK_FRACTION_GOAL, at_most=False))
            rows.append(row)
            torch_ms = f"{row['torch_ms']['median']:9.3f}" if "torch_ms" in row else f"{'-':>9}"
            ratio = f"{row['ratio']['median']:6.2f}" if "ratio" in row else f"{'-':>6}"
            goal = f"{row['goal']:5.2f}" if row["goal"] else f"{'':>5}"
            print(f"{shape:>7} {dtype:>8} {row['bplib_ms']['median']:9.3f} {torch_ms} {ratio} {goal} "
                  f"{row['gflops']['median']:8.1f} {100 * row['fraction_of_peak']['median']:6.0f}%")
    harness.print_goals(goals)
    path = harness.write_results(
        "mlp", description="MLP training step (forward, softmax cross-entropy, backward, SGD update)",
        method={"rounds": args.rounds, "clock": "wall time (time.perf_counter)", "threads": 1,
                "matmul_n": MATMUL_N,
                "statistic": harness.STATISTIC},
        results=rows, goals=goals)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
