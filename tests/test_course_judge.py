"""Fast tests of the grading pieces that never start a kernel: record, read back, replay, judge."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import bplib as bp
from bplib.autodiff import Value
from bplib.course.answers import Unreadable
from bplib.course.delegation import check_arguments, delegated, solution_functions
from bplib.course.harvest import harvest_exercise
from bplib.course.judge import judge_exercise, load_harvest
from bplib.course.plan import PlanError, plan_exercise, plans_json
from bplib.course.submissions import find_submissions, read_submission

MODULES = {"bp": bp, "np": np}


def _judge(tmp_path: Path, check: str, ns: dict, gid: str = "ex-check", tamper=None):
    """Harvest ``check`` against the functions in ``ns`` (in this process), then judge it."""
    plan = plan_exercise(gid, check, set(MODULES))
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "plan.json").write_text(plans_json({gid: plan}))
    harvest_exercise(str(tmp_path), gid, {**MODULES, **ns})
    if tamper:
        tamper(tmp_path / "out")
    return judge_exercise(check, gid, load_harvest(tmp_path / "out", gid), MODULES)


def sigmoid_prime(z):
    s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    return s * (1 - s)


def test_a_right_answer_passes_with_the_checks_own_message(tmp_path):
    status, message = _judge(tmp_path, "bp.course.check_sigmoid_prime(sigmoid_prime)",
                             {"sigmoid_prime": sigmoid_prime})
    assert status == "passed" and message.startswith("\u2714 sigmoid_prime")


def test_a_wrong_answer_fails_with_the_specific_feedback_computed_outside(tmp_path):
    status, message = _judge(tmp_path, "bp.course.check_sigmoid_prime(sigmoid_prime)",
                             {"sigmoid_prime": lambda z: -sigmoid_prime(z)})
    assert status == "failed"
    assert "wrong at [0]" in message and "opposite sign" in message


def test_the_student_exception_and_not_implemented_are_replayed(tmp_path):
    def broken(z):
        raise KeyError("oops")

    def todo(z):
        raise NotImplementedError()

    check = "bp.course.check_sigmoid_prime(sigmoid_prime)"
    status, message = _judge(tmp_path, check, {"sigmoid_prime": broken}, "a")
    assert status == "error" and message == "KeyError: 'oops'"
    assert _judge(tmp_path, check, {"sigmoid_prime": todo}, "b")[0] == "unanswered"


def test_answers_recorded_for_other_inputs_are_refused(tmp_path):
    def swap_inputs(out: Path):
        arrays = sorted(out.glob("*.npy"))
        np.save(arrays[0], np.load(arrays[0]) + 1.0)

    status, message = _judge(tmp_path, "bp.course.check_sigmoid_prime(sigmoid_prime)",
                             {"sigmoid_prime": sigmoid_prime}, tamper=swap_inputs)
    assert status == "invalid" and "do not fit" in message


@pytest.mark.parametrize("attack", ["pickle", "object", "symlink", "huge", "tag"])
def test_anything_but_plain_data_is_refused(tmp_path, attack):
    def tamper(out: Path):
        target = sorted(out.glob("*.npy"))[-1]
        if attack == "pickle":
            np.save(target, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        elif attack == "object":
            np.save(target, np.array(["text"]))
        elif attack == "symlink":
            target.unlink()
            target.symlink_to("/etc/passwd")
        elif attack == "huge":
            with target.open("wb") as f:
                f.truncate(64 * 2**20)
        else:
            record = json.loads((out / "ex-check.json").read_text())
            record["calls"][0]["post"]["data"][1] = {"t": "pickle", "v": "cos\nsystem"}
            (out / "ex-check.json").write_text(json.dumps(record))

    plan = plan_exercise("ex-check", "bp.course.check_sigmoid_prime(sigmoid_prime)", {"bp"})
    (tmp_path / "out").mkdir()
    (tmp_path / "plan.json").write_text(plans_json({"ex-check": plan}))
    harvest_exercise(str(tmp_path), "ex-check", {"bp": bp, "sigmoid_prime": sigmoid_prime})
    tamper(tmp_path / "out")
    with pytest.raises(Unreadable):
        load_harvest(tmp_path / "out", "ex-check")


def test_value_graphs_and_in_place_updates_replay(tmp_path):
    def tanh_op(x):
        t = float(np.tanh(x.data))
        return Value.from_op(t, (x,), (1 - t * t,), "tanh")

    def sgd_step(params, lr):
        for p in params:
            p.data -= lr * p.grad

    assert _judge(tmp_path, "bp.course.check_tanh_op(tanh_op)", {"tanh_op": tanh_op},
                  "a")[0] == "passed"
    assert _judge(tmp_path, "bp.course.check_value_sgd_step(sgd_step)", {"sgd_step": sgd_step},
                  "b")[0] == "passed"
    status, message = _judge(tmp_path, "bp.course.check_value_sgd_step(sgd_step)",
                             {"sgd_step": lambda params, lr: None}, "c")
    assert status == "failed" and "No parameter changed" in message


def test_plain_asserts_with_hidden_literal_calls_are_judged(tmp_path):
    check = ("assert double(3) == 6, 'double(3) should be 6'\nprint('passed: double works')\n"
             "assert double(-1) == -2, 'hidden-check-one'")
    assert _judge(tmp_path, check, {"double": lambda x: 2 * x}) == \
        ("passed", "passed: double works\n")
    assert _judge(tmp_path, check, {"double": lambda x: abs(2 * x)}, "b") == \
        ("failed", "AssertionError: hidden-check-one")
    assert _judge(tmp_path, check, {}, "c")[1] == "NameError: name 'double' is not defined"


def test_a_check_whose_inputs_cannot_be_repeated_in_the_sandbox_is_refused():
    with pytest.raises(PlanError, match="literal"):
        plan_exercise("x", "bp.course.check_sigmoid_prime(make())", {"bp"})


def test_delegating_to_the_library_is_found_in_the_solution_cell():
    assert delegated("check_neuron_gradients", "def neuron_gradients(x, t, w, b):\n"
                     "    return bp.neuron.neuron_gradients(x, t, w, b)") == "neuron_gradients"
    assert delegated("check_tanh_op", "def tanh_op(x):\n    return x.tanh()") == "tanh"
    assert delegated("check_tanh_op", "import math\ndef tanh_op(x):\n"
                     "    return Value.from_op(math.tanh(x.data), (x,), (1.0,), 'tanh')") is None
    own = solution_functions(["def neuron_gradients(x, t, w, b):\n    return 0, 0"])
    assert delegated("check_neuron_gradients_batch", "def neuron_gradients_batch(x, t, w, b):\n"
                     "    return neuron_gradients(x, t, w, b)", own) is None


def test_symlinked_and_hard_linked_submissions_are_refused(tmp_path):
    real = tmp_path / "notebooks" / "04_x.ipynb"
    real.parent.mkdir()
    real.write_text("{}")
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / "04_x.ipynb").symlink_to(real)
    (subs / "bob").mkdir()
    os.link(real, subs / "bob" / "04_x.ipynb")
    (subs / "eve").symlink_to(subs / "ann", target_is_directory=True)
    found = find_submissions(subs)
    assert "symbolic link" in found["ann"]["04_x"].refusal
    assert "hard link" in found["bob"]["04_x"].refusal
    assert "symbolic link" in found["eve"]
    with pytest.raises(OSError):
        read_submission(subs / "ann" / "04_x.ipynb")


def test_grade_refuses_to_run_without_bubblewrap_unless_told(tmp_path, monkeypatch):
    from bplib.course import grade as grade_module
    from bplib.course import sandbox

    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "source").mkdir()
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(ValueError, match="--no-sandbox"):
        grade_module.grade(tmp_path / "subs", tmp_path / "grades" / "g.csv",
                           source_dir=tmp_path / "source")


def test_feedback_escapes_what_a_student_can_put_in_a_message(tmp_path):
    from bplib.course.grade import GradeRow, write_feedback
    from bplib.course.runner import one_line

    message = one_line("ValueError: <script>alert(1)</script> | col \x1b[31mred\n" + "x" * 900)
    write_feedback([GradeRow("ann", "04", "ex1", 0, 2, "error", message)], tmp_path)
    text = (tmp_path / "ann.md").read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\| col" in text and "\x1b" not in text
    assert len(message) == 500


@pytest.mark.parametrize("source", [
    "from bplib.course.checks.rnn import _hidden_gradients_reference as hidden_gradients",
    "import bplib.course.checks.rnn as r\nhidden_gradients = r._hidden_gradients_reference",
    "def hidden_gradients(*a):\n    return bp.course.checks.rnn._hidden_gradients_reference(*a)",
    "import importlib\nref = importlib.import_module('bplib.course.checks.rnn')",
])
def test_a_solution_that_borrows_the_checks_reference_answers_is_refused(source):
    # every exercise, listed in FORBIDDEN or not: the checks' references live in bplib.course
    assert delegated("check_hidden_gradients", source) is not None
    assert delegated("check_minibatch_indices", source) is not None


def test_only_the_statements_that_define_the_answer_are_read():
    answers = check_arguments("bp.course.check_tanh_linear_deltas(tanh_linear_deltas)\nprint('ok')")
    assert answers == {"tanh_linear_deltas"}
    cell = ("def tanh_linear_deltas(a1, y_hat, y, W2):\n    d2 = y_hat - y\n    return d2, (d2 @ W2) * (1 - a1**2)\n"
            "g = bp.gradcheck.numerical_gradient(lambda w: 0.0, W)\n"      # the prompt's own check
            "from bplib.course.checks.rnn import gated_step_forward\n")
    assert delegated("check_tanh_linear_deltas", cell, answers=answers) is None
    assert delegated("check_tanh_linear_deltas", cell) is not None  # the whole cell is read
    borrowed = ("import bplib.course.checks.rnn as R\n"
                "def hidden_gradients(*a):\n    return R._hidden_gradients_reference(*a)\n")
    assert delegated("check_hidden_gradients", borrowed, answers={"hidden_gradients"}) == "bplib.course"
    bound = "from bplib.course.checks.rnn import _hidden_gradients_reference as hidden_gradients"
    assert delegated("check_hidden_gradients", bound, answers={"hidden_gradients"}) is not None
    assert delegated("check_gradient_horizon", "prediction = bp.course.checks.rnn.gradient_horizon()",
                     answers={"prediction"}) == "bplib.course"


def test_a_forbidden_call_hidden_behind_a_helper_name_in_the_cell_is_still_found():
    cell = ("helper = bp.neuron.neuron_gradients\n"
            "def neuron_gradients(x, t, w, b):\n    return helper(x, t, w, b)\n"
            "g = bp.gradcheck.numerical_gradient(lambda: 0.0, w0)\n")
    assert delegated("check_neuron_gradients", cell, answers={"neuron_gradients"}) == "neuron_gradients"
    fine = "def neuron_gradients(x, t, w, b):\n    return 0, 0\nprint(bp.neuron.neuron_gradients)\n"
    assert delegated("check_neuron_gradients", fine, answers={"neuron_gradients"}) is None
