"""The page-speed benchmark's verdicts: medians over rounds, judged against the plain book's bar."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_pages  # noqa: E402


def _run(performance, lcp_s, tbt_ms, accessibility=1.0, kib=900.0):
    return {"performance": performance, "lcp_s": lcp_s, "tbt_ms": tbt_ms,
            "accessibility": accessibility, "kib": kib}


def test_a_row_keeps_the_median_run_and_the_median_of_each_metric():
    row = bench_pages.median_row("p.html", [_run(0.5, 9.0, 300), _run(0.7, 7.0, 900), _run(0.6, 8.0, 100)])
    assert row["performance"] == 0.6 and row["tbt_ms"] == 100  # the median-performance run, whole
    assert (row["performance_median"], row["lcp_s_median"], row["tbt_ms_median"]) == (0.6, 8.0, 300)
    assert (row["performance_min"], row["performance_max"], row["runs"]) == (0.5, 0.7, 3)


def test_the_bar_is_the_issue_bar_unless_the_plain_page_cannot_reach_it_here():
    assert bench_pages.bar_from(None) == {"performance": 0.9, "tbt_ms": 200.0, "lcp_s": 2.5}
    slow = bench_pages.median_row("notebooks.html", [_run(0.55, 7.9, 268)])
    assert bench_pages.bar_from(slow) == {"performance": 0.55, "tbt_ms": 268, "lcp_s": 7.9}
    fast = bench_pages.median_row("notebooks.html", [_run(0.97, 1.9, 40)])
    assert bench_pages.bar_from(fast) == {"performance": 0.9, "tbt_ms": 200.0, "lcp_s": 2.5}


@pytest.mark.parametrize("run, met", [
    (_run(0.55, 7.9, 268), True),
    (_run(0.54, 7.0, 100), False),   # performance below the bar
    (_run(0.60, 8.0, 100), False),   # LCP above it
    (_run(0.60, 7.0, 300), False),   # blocking time above it
    (_run(0.60, 7.0, 100, accessibility=0.98), False),
])
def test_a_page_meets_the_goal_only_on_every_count(run, met):
    bar = {"performance": 0.55, "tbt_ms": 268, "lcp_s": 7.9}
    assert bench_pages.meets(bench_pages.median_row("p.html", [run]), bar) is met
