"""Run every benchmark, then write the book page "How fast is bplib?" (book/performance.md).

    python benchmarks/run_all.py            # the defaults: about 8 minutes on 2 cores
    python benchmarks/run_all.py --quick    # one round each, short chain: a smoke test
    python benchmarks/run_all.py --only mlp,widgets

Each benchmark prints its table and writes benchmarks/results/<name>.json; report.py then reads
every JSON file there (so a partial run keeps the other benchmarks' latest figures).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {"mlp": "bench_mlp.py", "rnn": "bench_rnn.py", "value": "bench_value.py",
              "widgets": "bench_widgets.py"}
QUICK = {"mlp": ["--rounds", "1"], "rnn": ["--rounds", "1", "--steps", "3"],
         "value": ["--rounds", "1", "--steps", "2", "--chain", "100000"],
         "widgets": ["--rounds", "1", "--repeats", "1"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of everything: a smoke test (about 3 minutes)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--no-report", action="store_true", help="do not rewrite book/performance.md")
    args = parser.parse_args()

    for name in args.only.split(","):
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        start = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        command = [sys.executable, str(HERE / BENCHMARKS[name]), *(QUICK[name] if args.quick else [])]
        subprocess.run(command, check=True)
        print(f"({name}: {time.perf_counter() - start:.0f} s)", flush=True)
    if not args.no_report:
        subprocess.run([sys.executable, str(HERE / "report.py")], check=True)


if __name__ == "__main__":
    main()
