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


def test_the_numpy_floor_does_each_pass_of_a_step_on_the_same_values_every_call():
    import numpy as np

    passes = bench_mlp.numpy_floor(8, [5, 4, 3], "float32")
    state = dict(zip(passes.__code__.co_freevars, (c.cell_contents for c in passes.__closure__)))
    params = [p.copy() for p in state["params"] + state["biases"]]
    for call in (1, 2):
        biases = [b - (call - 1) * g for b, g in zip(params[2:], state["grads"][2:])]  # as the call found them
        passes()
        for z, product, b in zip(state["zs"][:-1], state["products"], biases):
            np.testing.assert_allclose(z, np.maximum(product + b, 0), rtol=1e-5)  # bias add, ReLU
        logits = state["products"][-1] + biases[-1]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(8), state["labels"]] -= 1
        np.testing.assert_allclose(state["zs"][-1], 0.01 / 8 * p, rtol=1e-5, atol=1e-9)  # the loss gradient
        for now, before, g in zip(state["params"] + state["biases"], params, state["grads"]):
            np.testing.assert_allclose(now, before - call * g, rtol=1e-5)  # one update per call


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
