"""Time whole MLP training steps: bplib against PyTorch CPU autograd (when installed).

A step is forward, softmax cross-entropy, backward and an SGD update. Shapes (batch, sizes):
tiny (32, 2-16-16-2), small (64, 64-128-10), medium (256, 784-256-256-10),
large (512, 1024-1024-1024-10), in float32 and float64, ReLU, one BLAS thread.

Each library's process also times the step's own matmuls alone (same shapes, same layouts, the
same arrays), interleaved with the steps: the step's fraction of time in its matmuls, and the
ratio of the two BLASes on those matmuls, come from the same processes as the step ratio.
A last workload times ``bp.fit`` for one epoch against the same epoch written by hand.

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
# issue 20, float32 medium and large: the step spends >= 95% of its time in its own matmuls, and
# its ratio to torch is at most the two BLASes' ratio on those matmuls plus 0.03
MATMUL_FRACTION_GOAL = 0.95
BLAS_MARGIN = 0.03
MATMUL_GOAL_SHAPES = ("medium", "large")
# bp.fit for one epoch within 5% of the same epoch written by hand (medium, float32)
FIT_SHAPE, FIT_BATCHES, FIT_GOAL = "medium", 4, 1.05


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

    return step, _bplib_matmuls(model, x)


def _bplib_matmuls(model, x):
    """The step's matmuls alone, on the arrays the step uses: forward x W^T, dW = dout^T x, and
    dx = dout W in every layer but the first (layouts as in bplib.functional.linear_*)."""
    import numpy as np

    model(x)
    rng = np.random.default_rng(1)
    operands = [(layer._cache[0], layer.W.data,
                 rng.standard_normal((len(x), layer.out_features)).astype(x.dtype))
                for layer in model.linear_layers()]

    def matmuls():
        for i, (inputs, W, dout) in enumerate(operands):
            inputs @ W.T
            dout.T @ inputs
            if i > 0:
                dout @ W

    return matmuls


def numpy_floor(batch: int, sizes: list[int], dtype: str):
    """The elementwise passes any numpy version of the step needs, written lean: in place where
    numpy allows, the learning rate folded into the loss gradient's scaling (so SGD is one
    subtraction), no checks, no modules. The bias add, ReLU and its backward, softmax cross-entropy
    and its gradient, the bias gradients and the update of every parameter. Timed beside the
    step's matmuls, it bounds the share of a numpy step that its matmuls can take: matmuls /
    (matmuls + this). Every call starts from the same matmul outputs, so the values stay put."""
    import numpy as np

    rng = np.random.default_rng(2)
    products = [rng.standard_normal((batch, n)).astype(dtype) for n in sizes[1:]]  # x W^T of each layer
    zs = [np.empty_like(z) for z in products]
    upstream = [rng.standard_normal((batch, n)).astype(dtype) for n in sizes[1:-1]]  # dout W of each layer
    params = [rng.standard_normal((n_out, n_in)).astype(dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal(n).astype(dtype) for n in sizes[1:]]
    grads = [rng.standard_normal(p.shape).astype(dtype) for p in params + biases]
    labels, rows, scale = rng.integers(0, sizes[-1], size=batch), np.arange(batch), 0.01 / batch

    def passes():
        for z, product, b in zip(zs, products, biases):
            np.add(product, b, out=z)                     # bias add
        for z in zs[:-1]:
            np.maximum(z, 0, out=z)                       # ReLU, in place
        logits = zs[-1]
        logits -= logits.max(axis=1, keepdims=True)
        picked = logits[rows, labels]
        np.exp(logits, out=logits)
        total = logits.sum(axis=1, keepdims=True)
        np.mean(np.log(total[:, 0]) - picked)             # the loss
        logits /= total
        logits[rows, labels] -= 1.0
        logits *= scale                                   # its gradient, times lr / batch
        for d, z in zip(upstream, zs[:-1]):
            np.multiply(d, z > 0, out=d)                  # ReLU backward, in place
        [d.sum(axis=0) for d in [*upstream, logits]]      # bias gradients
        for p, g in zip(params + biases, grads):
            p -= g                                        # SGD (lr already in g)

    return passes


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

    # the same matmuls alone, as torch's Linear runs them (x W^T, dout^T x, dout W)
    with torch.no_grad():
        inputs, operands = x, []
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                operands.append((inputs, layer.weight.detach(), torch.randn(len(x), layer.out_features,
                                                                            dtype=x.dtype)))
            inputs = layer(inputs)

    def matmuls():
        with torch.no_grad():
            for i, (inputs, W, dout) in enumerate(operands):
                inputs @ W.t()
                dout.t() @ inputs
                if i > 0:
                    dout @ W

    return step, matmuls


def _hand_epoch(batch: int, sizes: list[int], dtype: str, batches: int):
    """``bp.fit`` for one epoch, and the same epoch by hand: shuffle, the fast step on each
    mini-batch, then the accuracy on the whole set (what fit records after every epoch)."""
    import numpy as np

    import bplib as bp
    from bplib.train import accuracy

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch * batches, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], size=len(x))
    model = bp.MLP(sizes, activation="relu", seed=0, dtype=np.dtype(dtype))
    loss_fn = bp.CrossEntropyLoss()
    optimizer = bp.optim.SGD(model.parameters(), lr=0.01)
    order_rng = np.random.default_rng(1)

    def by_hand():
        order = order_rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            loss_fn(model(x[idx]), labels[idx])
            optimizer.zero_grad()
            model.backward(loss_fn.backward(), input_grad=False)
            optimizer.step()
        model.eval()
        accuracy(model(x), labels)
        model.train()

    def with_fit():
        bp.fit(model, loss_fn, optimizer, x, labels, epochs=1, batch_size=batch, rng=order_rng,
               progress=False)

    return with_fit, by_hand


def _interleaved_in_process(first, second, steps: int, warmup: int = 3) -> tuple[float, float]:
    """Median seconds of ``first()`` and ``second()``, called alternately ``steps`` times each."""
    import statistics
    import time

    for _ in range(warmup):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(steps):
        for fn, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def worker(library: str, shape: str, dtype: str, steps: int) -> dict:
    import os

    harness.limit_to_one_thread()
    batch, sizes = SHAPES[shape]
    if library == "peak":
        return {"gflops": harness.matmul_gflops(dtype, n=MATMUL_N)}
    if library == "fit":
        fit_s, hand_s = _interleaved_in_process(*_hand_epoch(batch, sizes, dtype, FIT_BATCHES), steps)
        return {"fit_seconds": fit_s, "hand_seconds": hand_s, "load_average": os.getloadavg()[0]}
    make = bplib_step if library == "bplib" else torch_step
    step, matmuls = make(batch, sizes, dtype)
    seconds, matmul_seconds = _interleaved_in_process(step, matmuls, steps)
    out = {"seconds": seconds, "matmul_seconds": matmul_seconds, "load_average": os.getloadavg()[0]}
    if library == "bplib":
        floor_seconds, alone = _interleaved_in_process(numpy_floor(batch, sizes, dtype), matmuls, steps)
        out["numpy_share_ceiling"] = alone / (alone + floor_seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, help="timed steps per process (default: per shape)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--no-fit", action="store_true", help="skip the bp.fit workload")
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
          f"{'GFLOP/s':>8} {'% peak':>7} {'% matmul':>8} {'numpy max':>9} {'BLAS ratio':>10} {'load':>5}")
    for dtype in args.dtypes.split(","):
        for shape in args.shapes.split(","):
            batch, sizes = SHAPES[shape]
            steps = args.steps or STEPS[shape]

            def measure(lib, shape=shape, dtype=dtype, steps=steps):
                return harness.run_worker(__file__, ["--worker", lib, "--shape", shape, "--dtype", dtype,
                                                     "--steps", str(steps)])

            # The matmul peak is measured in every round too, so each round's fraction of peak
            # compares two measurements taken under the same background load.
            runs = harness.interleaved(measure, [*libraries, "peak"], args.rounds)
            samples = {lib: [r["gflops"] if lib == "peak" else r["seconds"] for r in runs[lib]] for lib in runs}
            flops = flops_per_step(batch, sizes)
            gflops = [flops / s / 1e9 for s in samples["bplib"]]
            fractions = [g / peak for g, peak in zip(gflops, samples["peak"])]
            in_matmuls = [r["matmul_seconds"] / r["seconds"] for r in runs["bplib"]]
            ceiling = [r["numpy_share_ceiling"] for r in runs["bplib"]]
            loads = [r["load_average"] for lib in libraries for r in runs[lib]]
            row = {"shape": shape, "batch": batch, "sizes": sizes, "dtype": dtype, "steps_per_process": steps,
                   "bplib_ms": harness.summarise([1e3 * s for s in samples["bplib"]]),
                   "bplib_matmul_ms": harness.summarise([1e3 * r["matmul_seconds"] for r in runs["bplib"]]),
                   "matmul_fraction": harness.summarise(in_matmuls),
                   "numpy_share_ceiling": harness.summarise(ceiling),
                   "gflops": harness.summarise(gflops),
                   "matmul_peak_gflops": harness.summarise(samples["peak"]),
                   "fraction_of_peak": harness.summarise(fractions),
                   "load_average": harness.summarise(loads),
                   "goal": GOALS.get(shape) if dtype == "float32" else None, "meets_goal": {}}
            matmul_goals = dtype == "float32" and shape in MATMUL_GOAL_SHAPES
            if matmul_goals:
                g = harness.goal(f"MLP {shape} ({dtype})", "fraction of the step in its own matmuls",
                                 row["matmul_fraction"], MATMUL_FRACTION_GOAL, at_most=False)
                goals.append(g)
                row["meets_goal"]["matmul_fraction"] = g["passed"]
            if "torch" in samples:
                row["torch_ms"] = harness.summarise([1e3 * s for s in samples["torch"]])
                row["torch_matmul_ms"] = harness.summarise([1e3 * r["matmul_seconds"] for r in runs["torch"]])
                row["ratio"] = harness.summarise(harness.round_ratios(samples, "bplib", "torch"))
                blas = [a["matmul_seconds"] / b["matmul_seconds"] for a, b in zip(runs["bplib"], runs["torch"])]
                row["blas_ratio"] = harness.summarise(blas)  # numpy's BLAS / torch's, same matmuls
                if row["goal"] is not None:
                    g = harness.goal(f"MLP {shape} ({dtype})", "bplib time / torch time", row["ratio"], row["goal"])
                    goals.append(g)
                    row["meets_goal"]["ratio"] = g["passed"]
                if matmul_goals:
                    target = round(row["blas_ratio"]["median"] + BLAS_MARGIN, 3)
                    g = harness.goal(f"MLP {shape} ({dtype})", "bplib time / torch time, against the BLAS "
                                     f"ratio on its matmuls ({row['blas_ratio']['median']:.2f}) + {BLAS_MARGIN}",
                                     row["ratio"], target)
                    goals.append(g)
                    row["meets_goal"]["ratio_vs_blas"] = g["passed"]
            if shape == "large" and dtype == "float32":
                g = harness.goal(f"MLP {shape} ({dtype})", "fraction of matmul peak",
                                 row["fraction_of_peak"], PEAK_FRACTION_GOAL, at_most=False)
                goals.append(g)
                row["meets_goal"]["fraction_of_peak"] = g["passed"]
            rows.append(row)
            torch_ms = f"{row['torch_ms']['median']:9.3f}" if "torch_ms" in row else f"{'-':>9}"
            ratio = f"{row['ratio']['median']:6.2f}" if "ratio" in row else f"{'-':>6}"
            blas = f"{row['blas_ratio']['median']:10.2f}" if "blas_ratio" in row else f"{'-':>10}"
            goal = f"{row['goal']:5.2f}" if row["goal"] else f"{'':>5}"
            print(f"{shape:>7} {dtype:>8} {row['bplib_ms']['median']:9.3f} {torch_ms} {ratio} {goal} "
                  f"{row['gflops']['median']:8.1f} {100 * row['fraction_of_peak']['median']:6.0f}% "
                  f"{100 * row['matmul_fraction']['median']:7.1f}% "
                  f"{100 * row['numpy_share_ceiling']['median']:8.1f}% {blas} {row['load_average']['max']:5.2f}",
                  flush=True)
    fit_row = None
    if not args.no_fit:
        batch, sizes = SHAPES[FIT_SHAPE]
        steps = args.steps or STEPS[FIT_SHAPE]
        runs = harness.interleaved(
            lambda lib: harness.run_worker(__file__, ["--worker", "fit", "--shape", FIT_SHAPE, "--dtype",
                                                      "float32", "--steps", str(steps)]), ["fit"], args.rounds)
        fit_ratios = [r["fit_seconds"] / r["hand_seconds"] for r in runs["fit"]]
        fit_row = {"workload": "fit", "shape": FIT_SHAPE, "batch": batch, "sizes": sizes, "dtype": "float32",
                   "batches_per_epoch": FIT_BATCHES, "epochs_per_process": steps,
                   "fit_ms": harness.summarise([1e3 * r["fit_seconds"] for r in runs["fit"]]),
                   "hand_ms": harness.summarise([1e3 * r["hand_seconds"] for r in runs["fit"]]),
                   "ratio": harness.summarise(fit_ratios),
                   "load_average": harness.summarise([r["load_average"] for r in runs["fit"]]),
                   "goal": FIT_GOAL}
        g = harness.goal(f"bp.fit, MLP {FIT_SHAPE} (float32)", "fit epoch time / hand-written epoch time",
                         fit_row["ratio"], FIT_GOAL)
        fit_row["meets_goal"] = {"ratio": g["passed"]}
        goals.append(g)
        rows.append(fit_row)
        print(f"bp.fit one epoch of {FIT_BATCHES} batches ({FIT_SHAPE}, float32): "
              f"{fit_row['fit_ms']['median']:.2f} ms, by hand {fit_row['hand_ms']['median']:.2f} ms, "
              f"ratio {fit_row['ratio']['median']:.3f} (goal <= {FIT_GOAL})")
    harness.print_goals(goals)
    path = harness.write_results(
        "mlp", description="MLP training step (forward, softmax cross-entropy, backward, SGD update)",
        method={"rounds": args.rounds, "clock": "wall time (time.perf_counter)", "threads": 1,
                "matmul_n": MATMUL_N, "matmul_fraction": "the step's own matmuls timed alone in the same "
                "process, alternating with the steps: median matmul time / median step time",
                "numpy_share_ceiling": "the most of a numpy step its matmuls can take: matmuls / "
                "(matmuls + the elementwise passes every step needs, bare numpy, timed alone)",
                "blas_margin": BLAS_MARGIN,
                "fit": f"bp.fit(epochs=1) over {FIT_BATCHES} mini-batches against the same epoch by hand "
                       "(shuffle, fast step per batch, then the accuracy on the whole set), alternating "
                       "in one process",
                "statistic": harness.STATISTIC},
        results=rows, goals=goals)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
