"""The benchmark tooling computes what it reports: ratios, goal verdicts, flop counts, the page.

Speed itself is measured by `make bench`, never asserted here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_mlp  # noqa: E402
import bench_widgets  # noqa: E402
import harness  # noqa: E402
import report  # noqa: E402


def test_ratios_are_taken_round_by_round_and_summarised():
    samples = {"bplib": [1.0, 2.0, 3.0], "torch": [2.0, 2.0, 2.0]}
    assert harness.round_ratios(samples, "bplib", "torch") == [0.5, 1.0, 1.5]
    assert harness.summarise([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0}


def test_interleaved_measures_every_library_once_per_round_in_turn():
    calls = []
    samples = harness.interleaved(lambda lib: calls.append(lib) or float(len(calls)), ["a", "b"], rounds=2)
    assert calls == ["a", "b", "a", "b"]
    assert samples == {"a": [1.0, 3.0], "b": [2.0, 4.0]}


@pytest.mark.parametrize(("value", "at_most", "passed"), [(0.2, True, True), (0.4, True, False),
                                                          (0.9, False, True), (0.7, False, False)])
def test_a_goal_passes_only_on_the_right_side_of_its_target(value, at_most, passed):
    measured = {"median": value, "min": value, "max": value}
    assert harness.goal("w", "m", measured, 0.3 if at_most else 0.8, at_most=at_most)["passed"] is passed


def test_flops_of_an_mlp_step_count_the_matmuls_done():
    # each matmul is 2*B*in*out; forward and weight gradient in every layer, input gradient in
    # every layer but the first (its input is the data)
    batch = 4
    first, second = 2 * batch * 2 * 3, 2 * batch * 3 * 1
    assert bench_mlp.flops_per_step(batch, [2, 3, 1]) == 2 * first + 3 * second


def test_the_numpy_floor_does_a_steps_elementwise_work_and_nothing_the_step_would_not():
    import numpy as np

    passes = bench_mlp.numpy_floor(8, [5, 4, 3], "float32")
    cells = passes.__closure__
    arrays = {name: cell.cell_contents for name, cell in zip(passes.__code__.co_freevars, cells)}
    params_before = [p.copy() for p in arrays["params"]]
    zs_before = [z.copy() for z in arrays["zs"]]
    passes()
    for p, before, g in zip(arrays["params"], params_before, arrays["grads"], strict=True):
        np.testing.assert_allclose(p, before - np.float32(0.01) * g, rtol=1e-6)  # one SGD update each
    for z, before, b in zip(arrays["zs"], zs_before, params_before[2:], strict=True):
        np.testing.assert_allclose(z, before + b, rtol=1e-6)  # one bias add each
    assert [p.shape for p in arrays["params"]] == [(4, 5), (3, 4), (4,), (3,)]


def test_widget_rounds_combine_by_median_and_most_often_slowest_settings():
    def measurement(default_ms, max_settings):
        times = dict.fromkeys(bench_widgets.TIMES, 1.0)
        return {**times, "explorer": "e", "frames": 4, "fallback_kb": 90.0, "default_ms": default_ms,
                "max_ms": default_ms + 1, "max_settings": max_settings}

    row = bench_widgets.combine_rounds([measurement(50.0, "a = 1"), measurement(120.0, "a = 2"),
                                        measurement(60.0, "a = 2")])
    assert row["default_ms"] == 60.0 and row["max_ms"] == 61.0  # one slow process does not decide
    assert row["max_settings"] == "a = 2" and row["fallback_kb"] == 90.0
    assert row["rounds"] == {"default_ms": [50.0, 120.0, 60.0], "max_ms": [51.0, 121.0, 61.0]}


@pytest.mark.parametrize("path", sorted((BENCHMARKS / "results").glob("*.json")), ids=lambda p: p.stem)
def test_stored_verdicts_agree_with_their_numbers(path):
    for g in json.loads(path.read_text())["goals"]:
        expected = g["value"] <= g["target"] if g["comparison"] == "<=" else g["value"] >= g["target"]
        assert g["passed"] is expected, g


def test_the_page_shows_every_goal_with_its_verdict():
    runs = {name: data for name in report.BENCHMARKS if (data := report.load(name)) is not None}
    page = report.page(runs)
    assert page.startswith("# How fast is bplib?")
    goals = [g for data in runs.values() for g in data["goals"]]
    for g in goals:
        assert g["workload"] in page
    assert page.count("**PASS**") >= sum(g["passed"] for g in goals)
    assert page.count("**MISS**") >= sum(not g["passed"] for g in goals)
