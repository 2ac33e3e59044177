"""A self-learner's path: start a work folder, checks record results there, progress, solutions."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

import bplib.course as course
from bplib.course.__main__ import main
from bplib.course.exercises import exercises, read_notebook
from bplib.course.progress import PROGRESS_FILE, progress_table, record, solution_text, start
from bplib.course.release import repo_notebooks_dir
from bplib.course.replay import Recorder, active

CHAPTER = repo_notebooks_dir() / "05b_gradient_checking.ipynb"
STUB = "raise NotImplementedError()"


def _rel_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


@pytest.fixture
def work(tmp_path, monkeypatch):
    folder = tmp_path / "my-work"
    start(folder, [CHAPTER], log=io.StringIO())
    monkeypatch.chdir(folder)
    return folder


def test_start_writes_student_versions_and_an_empty_progress_file(work):
    text = (work / CHAPTER.name).read_text()
    assert STUB in text and "### BEGIN SOLUTION" not in text
    assert json.loads((work / PROGRESS_FILE).read_text()) == {}


def test_starting_again_keeps_the_learners_edits_and_progress(work):
    mine = (work / CHAPTER.name).read_text().replace(STUB, "return 42", 1)
    (work / CHAPTER.name).write_text(mine)
    (work / PROGRESS_FILE).write_text('{"check_rel_error": {"passed": true}}')
    log = io.StringIO()
    assert start(work, [CHAPTER], log=log) == []
    assert (work / CHAPTER.name).read_text() == mine
    assert "kept your own copies of 05b_gradient_checking.ipynb" in log.getvalue()
    assert json.loads((work / PROGRESS_FILE).read_text()) == {"check_rel_error": {"passed": True}}


def test_start_refuses_the_course_notebooks_folder():
    with pytest.raises(ValueError, match="course's own notebooks folder"):
        start(repo_notebooks_dir(), [CHAPTER], log=io.StringIO())


def test_a_check_run_in_the_work_folder_records_failure_then_success(work):
    with pytest.raises(AssertionError):
        course.check_rel_error(lambda a, b: np.max(np.abs(a - b)))
    saved = json.loads((work / PROGRESS_FILE).read_text())["check_rel_error"]
    assert saved["passed"] is False and "absolute error" in saved["message"]
    course.check_rel_error(_rel_error)
    assert json.loads((work / PROGRESS_FILE).read_text())["check_rel_error"]["passed"] is True


def test_checks_record_nothing_outside_a_work_folder_or_while_grading(work, tmp_path, monkeypatch):
    with active(Recorder({})):
        course.check_rel_error(_rel_error)
    assert json.loads((work / PROGRESS_FILE).read_text()) == {}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    course.check_rel_error(_rel_error)
    record("check_rel_error", True, "passed")
    assert list(elsewhere.iterdir()) == []


def test_progress_lists_passed_failed_and_untried_exercises_with_points(work):
    found = exercises(read_notebook(work / CHAPTER.name))
    course.check_rel_error(_rel_error)
    with pytest.raises(AssertionError):
        course.check_rel_error(lambda a, b: 0.0)
    course.check_rel_error(_rel_error)
    second = found[1].check
    record(second, False, "rel error of a one-sided difference is too large")
    table = progress_table(work)
    assert "[   passed] 1." in table
    assert "[   failed] 2." in table and "one-sided difference" in table
    assert table.count("not tried") == len(found) - 2
    points = sum(e.points for e in found)
    assert f"({found[0].points:g}/{points:g} points)" in table
    assert table.splitlines()[-1] == f"total: {found[0].points:g}/{points:g} points"


def test_a_solution_is_shown_only_when_asked_for_by_chapter_and_number(capsys):
    text = solution_text("05b", 1)
    assert text.startswith("# 05b_gradient_checking, Exercise 1") and "### BEGIN SOLUTION" in text
    with pytest.raises(ValueError, match="has exercises 1 to"):
        solution_text("05b", 99)
    with pytest.raises(ValueError, match="names 0 chapters"):
        solution_text("nope", 1)
    assert main(["solution", "05b", "1"]) == 0
    assert "def rel_error" in capsys.readouterr().out


def test_progress_of_a_folder_without_notebooks_says_to_start(tmp_path, capsys):
    assert main(["progress", str(tmp_path)]) == 2
    assert "run `python -m bplib.course start` first" in capsys.readouterr().err
