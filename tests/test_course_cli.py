"""Tests for the command line: python -m bplib.course release|check|grade|table|rerun."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_course_release import synthetic_chapter
from test_grade_attacks import needs_bwrap

from bplib.course.__main__ import main
from bplib.course.release import release_notebook, repo_notebooks_dir


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "source").mkdir()
    nbformat.write(synthetic_chapter(), str(tmp_path / "source" / "99_synthetic.ipynb"))
    return tmp_path


def test_the_module_runs_as_a_command_and_lists_its_subcommands():
    done = subprocess.run([sys.executable, "-m", "bplib.course", "--help"], capture_output=True,
                          text=True, check=True)
    for command in ("release", "check", "grade", "table", "rerun"):
        assert command in done.stdout


def test_release_prints_what_it_wrote(course, capsys):
    assert main(["release", str(course / "source"), "--out", str(course / "student")]) == 0
    out = capsys.readouterr().out
    assert "99_synthetic.ipynb (3 exercises, 6 points)" in out
    assert (course / "student" / "99_synthetic.ipynb").is_file()


def test_release_into_a_source_folder_is_an_error_line_and_exit_status_2(course, capsys):
    assert main(["release", str(course / "source"), "--out", str(course / "source")]) == 2
    assert capsys.readouterr().err.startswith("error: release: refusing --out")


def test_a_missing_notebook_is_an_error_line_not_a_traceback(course, capsys):
    assert main(["check", str(course / "nope.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.slow
def test_check_shows_each_exercise_with_the_checks_message(course, capsys):
    student = release_notebook(synthetic_chapter())
    cell = next(c for c in student.cells if "def double" in c.source)
    cell.source = "def double(x):\n    return 3 * x"
    path = course / "mine.ipynb"
    nbformat.write(student, str(path))
    before = path.read_bytes()
    assert main(["check", str(path), "--cell-timeout", "10"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] Exercise 1: exercise ex1 (ch99-ex1-check, 0/2 points)" in out
    assert "AssertionError: double(3) should be 6" in out
    assert "[TODO] Exercise 2" in out
    assert "Total: 0/6 points" in out
    assert path.read_bytes() == before


@pytest.mark.slow
def test_check_passes_the_instructor_version_with_exit_status_0(course, capsys):
    assert main(["check", str(course / "source" / "99_synthetic.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "[PASS] Exercise 3: exercise ex3" in out and "passed: greet works" in out
    assert "Total: 6/6 points" in out


@pytest.mark.slow
def test_grade_writes_the_csv_and_prints_the_summary(course, capsys):
    needs_bwrap()
    (course / "subs" / "ann").mkdir(parents=True)
    nbformat.write(synthetic_chapter(), str(course / "subs" / "ann" / "99_synthetic.ipynb"))
    out_csv = course / "grades" / "grades.csv"
    assert main(["grade", str(course / "subs"), "--out", str(out_csv), "--source",
                 str(course / "source"), "--timeout", "60", "--cell-timeout", "10"]) == 0
    with out_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["points"] for r in rows] == ["2", "3", "1"]
    assert "ann" in capsys.readouterr().out
    assert (course / "grades" / "feedback" / "ann.md").is_file()


@pytest.mark.slow
def test_without_bubblewrap_grade_needs_no_sandbox_and_then_judges_the_same_way(course, capsys,
                                                                                monkeypatch):
    from bplib.course import sandbox

    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    student = release_notebook(synthetic_chapter())
    next(c for c in student.cells if "def double" in c.source).source = \
        "def double(x):\n    return x + x"
    (course / "subs" / "ann").mkdir(parents=True)
    nbformat.write(student, str(course / "subs" / "ann" / "99_synthetic.ipynb"))
    out_csv = course / "grades" / "grades.csv"
    args = ["grade", str(course / "subs"), "--out", str(out_csv), "--source",
            str(course / "source"), "--timeout", "60", "--cell-timeout", "10"]
    assert main(args) == 2
    assert "bubblewrap" in capsys.readouterr().err and not out_csv.exists()
    assert main([*args, "--no-sandbox"]) == 0
    with out_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["points"], r["status"]) for r in rows] == \
        [("2", "passed"), ("0", "unanswered"), ("0", "unanswered")]


def test_table_lists_every_exercise_with_its_points(course, capsys):
    assert main(["table", "--source", str(course / "source")]) == 0
    out = capsys.readouterr().out
    # the synthetic headings name no kind, so the kind column is empty
    assert "| {doc}`/notebooks/99_synthetic` | Exercise 1: exercise ex1 |  | `ch99-ex1-check` | 2 |" \
        in out
    assert "|  | Exercise 2: exercise ex2 |  | `ch99-ex2-check` | 3 |" in out
    assert "**6**" in out


def test_the_default_source_folder_is_the_course_notebooks():
    assert repo_notebooks_dir() == Path(__file__).resolve().parents[1] / "notebooks"


def test_an_unwritten_value_answer_is_shown_as_todo_not_as_a_name_error(course, capsys):
    chapter = synthetic_chapter(
        solutions={"ex1": "### BEGIN SOLUTION\nprediction = 6\n### END SOLUTION"},
        checks={"ex1": "assert prediction == 6, 'predict 6'\nprint('passed: prediction')"})
    path = course / "mine.ipynb"
    nbformat.write(release_notebook(chapter), str(path))
    assert main(["check", str(path), "--cell-timeout", "10"]) == 1
    out = capsys.readouterr().out
    assert "[TODO] Exercise 1" in out and "NameError" not in out
