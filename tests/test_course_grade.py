"""Tests for bplib.course.grade: autograding a folder of submissions into a CSV gradebook."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import nbformat
import pytest
from test_course_release import synthetic_chapter
from test_grade_attacks import needs_bwrap

from bplib.course.exercises import grade_id, is_grade, read_notebook
from bplib.course.grade import CSV_FIELDS, grade, restore_instructor_cells
from bplib.course.release import release_notebook, repo_notebooks_dir

pytestmark = pytest.mark.slow

SOLVED = {
    "ex1": "def double(x):\n    return x + x",
    "ex2": "def square(x):\n    return x ** 2",
    "ex3": "def greet(name):\n    return 'hello ' + name",
}
VANDAL = ("import os\nfor name in os.listdir('.'):\n    os.remove(name)\n"
          "open('junk.txt', 'w').write('junk')\nprint('x' * 3_000_000)")


def _student_version() -> nbformat.NotebookNode:
    return release_notebook(synthetic_chapter())


def _set_source(nb: nbformat.NotebookNode, gid: str, source: str) -> None:
    next(c for c in nb.cells if grade_id(c) == gid).source = source


def _solve(nb: nbformat.NotebookNode, *keys: str) -> nbformat.NotebookNode:
    for key in keys:
        _set_source(nb, f"ch99-{key}-solution", SOLVED[key])
    return nb


def _submissions() -> dict[str, nbformat.NotebookNode | str]:
    tampered = _solve(_student_version(), "ex2", "ex3")
    _set_source(tampered, "ch99-ex1-check", "print('passed: trust me')")
    next(c for c in tampered.cells if grade_id(c) == "ch99-ex1-check") \
        .metadata["nbgrader"]["points"] = 100
    _set_source(tampered, "ch99-ex3-check", "assert False, 'sabotaged'")
    tampered.cells = [c for c in tampered.cells if grade_id(c) != "ch99-ex2-check"]

    syntax = _solve(_student_version(), "ex3")
    _set_source(syntax, "ch99-ex1-solution", "def double(x):\n    return abs(2 * x)")
    _set_source(syntax, "ch99-ex2-solution", "def square(x) return x * x")

    loop = _solve(_student_version(), "ex2", "ex3")
    _set_source(loop, "ch99-ex1-solution", "def double(x):\n    while True:\n        pass")

    vandal = synthetic_chapter()
    vandal.cells.insert(1, nbformat.v4.new_code_cell(VANDAL))
    return {
        "instructor": synthetic_chapter(),
        "blank": _student_version(),
        "half": _solve(_student_version(), "ex1", "ex3"),
        "tampered": tampered,
        "syntax": syntax,
        "loop": loop,
        "vandal": vandal,
        "broken": "{ this is not a notebook",
        "weird": '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
                 '[{"cell_type": "code", "source": 42, "metadata": {}, "outputs": []}]}',
    }


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    needs_bwrap()
    root = tmp_path_factory.mktemp("course")
    source = root / "source"
    source.mkdir()
    nbformat.write(synthetic_chapter(), str(source / "99_synthetic.ipynb"))
    submissions = root / "submitted"
    for student, nb in _submissions().items():
        (submissions / student).mkdir(parents=True)
        target = submissions / student / "99_synthetic.ipynb"
        if isinstance(nb, str):
            target.write_text(nb)
        else:
            nbformat.write(nb, str(target))
    (root / "keep.txt").write_text("outside every temp folder")
    before = {"submitted": _hashes(submissions), "source": _hashes(source),
              "root": sorted(p.name for p in root.iterdir())}
    log = io.StringIO()
    rows = grade(submissions, root / "grades" / "grades.csv", source_dir=source, timeout=60,
                 cell_timeout=5, log=log)
    return {"root": root, "rows": rows, "log": log.getvalue(), "before": before,
            "by": {(r.student, r.exercise.split("-")[1]): r for r in rows}}


def _total(graded, student: str) -> float:
    return sum(r.points for r in graded["rows"] if r.student == student)


def test_the_instructor_version_gets_full_marks(graded):
    assert _total(graded, "instructor") == 6
    assert {graded["by"]["instructor", k].status for k in ("ex1", "ex2", "ex3")} == {"passed"}
    assert graded["by"]["instructor", "ex1"].message == "passed: double works"


def test_the_released_student_version_scores_zero_as_unanswered(graded):
    assert _total(graded, "blank") == 0
    assert {graded["by"]["blank", k].status for k in ("ex1", "ex2", "ex3")} == {"unanswered"}


def test_a_half_solved_notebook_gets_exactly_the_solved_exercises_points(graded):
    assert [graded["by"]["half", k].points for k in ("ex1", "ex2", "ex3")] == [2, 0, 1]


def test_tampered_and_deleted_check_cells_are_restored_from_the_instructor_version(graded):
    by = graded["by"]
    assert (by["tampered", "ex1"].points, by["tampered", "ex1"].max_points) == (0, 2)
    assert by["tampered", "ex1"].status == "unanswered"
    assert by["tampered", "ex3"].points == 1
    assert by["tampered", "ex2"].points == 3
    assert "put back" in by["tampered", "ex2"].message


def test_hidden_tests_count_and_a_syntax_error_scores_zero_for_its_exercise_only(graded):
    by = graded["by"]
    assert (by["syntax", "ex1"].status, by["syntax", "ex1"].points) == ("failed", 0)
    assert "hidden-check-one" in by["syntax", "ex1"].message
    assert (by["syntax", "ex2"].status, by["syntax", "ex2"].points) == ("error", 0)
    assert "NameError" in by["syntax", "ex2"].message
    assert "SyntaxError" in by["syntax", "ex2"].message
    assert by["syntax", "ex3"].points == 1


def test_an_infinite_loop_times_out_for_its_exercise_and_the_run_continues(graded):
    by = graded["by"]
    assert (by["loop", "ex1"].status, by["loop", "ex1"].points) == ("timeout", 0)
    assert (by["loop", "ex2"].points, by["loop", "ex3"].points) == (3, 1)


def test_a_notebook_that_deletes_files_and_floods_output_changes_nothing_outside(graded):
    assert _total(graded, "vandal") == 6
    assert graded["before"]["root"] == sorted(p.name for p in graded["root"].iterdir()
                                              if p.name != "grades")
    assert (graded["root"] / "keep.txt").read_text() == "outside every temp folder"
    assert (graded["root"] / "grades" / "grades.csv").stat().st_size < 20_000


@pytest.mark.parametrize("student", ["broken", "weird"])
def test_an_unreadable_notebook_scores_zero_without_stopping_the_run(graded, student):
    rows = [r for r in graded["rows"] if r.student == student]
    assert [(r.status, r.points, r.max_points) for r in rows] == \
        [("unreadable", 0, 2), ("unreadable", 0, 3), ("unreadable", 0, 1)]


def test_submissions_and_instructor_notebooks_are_never_modified(graded):
    root = graded["root"]
    assert _hashes(root / "submitted") == graded["before"]["submitted"]
    assert _hashes(root / "source") == graded["before"]["source"]


def test_the_csv_has_one_row_per_student_and_exercise(graded):
    with (graded["root"] / "grades" / "grades.csv").open(newline="") as f:
        lines = list(csv.reader(f))
    assert tuple(lines[0]) == CSV_FIELDS
    assert len(lines) == 1 + 9 * 3
    assert ["half", "99_synthetic", "ch99-ex1-check", "2", "2", "passed",
            "passed: double works"] in lines


def test_feedback_files_and_the_summary_table_cover_every_student(graded):
    feedback = graded["root"] / "grades" / "feedback"
    assert sorted(p.stem for p in feedback.glob("*.md")) == sorted(
        {r.student for r in graded["rows"]})
    text = (feedback / "half.md").read_text()
    assert "## 99_synthetic (3/6 points)" in text and "unanswered" in text
    summary = graded["log"]
    assert "student" in summary and "total" in summary
    assert any(line.split()[:2] == ["half", "3/6"] for line in summary.splitlines())


def test_restoring_cells_keeps_the_students_answers_and_the_instructors_tests():
    source = synthetic_chapter()
    submission = _solve(_student_version(), "ex1")
    _set_source(submission, "ch99-ex1-check", "pass")
    graded, restored = restore_instructor_cells(submission, source)
    assert restored == set()
    checks = [c.source for c in graded.cells if is_grade(c)]
    assert checks == [c.source for c in source.cells if is_grade(c)]
    assert SOLVED["ex1"] in [c.source for c in graded.cells]


def test_a_flood_of_output_is_cut_at_the_cap_and_the_next_cells_still_run():
    from bplib.course.execute import run_notebook

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("for i in range(2000):\n    print('y' * 1000)"),
        nbformat.v4.new_code_cell("print('still here')")])
    run = run_notebook(nb, max_output_chars=5_000, cell_timeout=30)
    flood = "".join(o.get("text", "") for o in run.nb.cells[0].outputs)
    assert 5_000 <= len(flood) < 6_000 and "output cut" in flood
    assert run.cells[1].stdout == "still here\n"


def test_the_notebook_time_limit_stops_the_run_and_marks_the_rest_not_run():
    from bplib.course.execute import run_notebook

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time\ntime.sleep(30)"),
        nbformat.v4.new_code_cell("print('never')")])
    run = run_notebook(nb, timeout=3, cell_timeout=20)
    assert [run.cells[0].status, run.cells[1].status] == ["timeout", "not run"]
    assert "time limit" in run.problem


def test_grade_refuses_a_gradebook_inside_the_submissions(tmp_path):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    with pytest.raises(ValueError, match="refusing --out"):
        grade(tmp_path / "subs", tmp_path / "subs" / "grades.csv", source_dir=tmp_path)


NOTEBOOKS = sorted(repo_notebooks_dir().glob("*.ipynb"))


@pytest.mark.skipif(not NOTEBOOKS, reason="no chapter notebooks yet")
def test_a_real_chapter_grades_full_for_the_instructor_and_zero_for_the_release(tmp_path):
    needs_bwrap()
    source = NOTEBOOKS[0]
    for student, nb in (("teacher", read_notebook(source)),
                        ("fresh", release_notebook(read_notebook(source)))):
        (tmp_path / "subs" / student).mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / "subs" / student / source.name))
    rows = grade(tmp_path / "subs", tmp_path / "grades.csv", log=io.StringIO())
    teacher = [r for r in rows if r.student == "teacher"]
    fresh = [r for r in rows if r.student == "fresh"]
    assert teacher and all(r.status == "passed" and r.points == r.max_points for r in teacher)
    assert fresh and all(r.status == "unanswered" and r.points == 0 for r in fresh)


def test_resume_keeps_finished_submissions_and_grades_only_the_rest(tmp_path, monkeypatch):
    needs_bwrap()
    from bplib.course import runner

    (tmp_path / "source").mkdir()
    nbformat.write(synthetic_chapter(), str(tmp_path / "source" / "99_synthetic.ipynb"))
    for student, nb in (("ann", synthetic_chapter()), ("bob", _student_version())):
        (tmp_path / "subs" / student).mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / "subs" / student / "99_synthetic.ipynb"))
    book = tmp_path / "grades" / "grades.csv"
    first = grade(tmp_path / "subs", book, source_dir=tmp_path / "source", timeout=60,
                  cell_timeout=10, log=io.StringIO(), jobs=1)
    # a run stopped while writing bob's rows: ann's three rows and half a line of bob's
    lines = book.read_text().splitlines()
    book.write_text("\n".join([lines[0], *[x for x in lines if x.startswith("ann,")],
                               "bob,99_synthetic,ch99-ex1-ch"]) + "\n")
    graded = []
    real = runner.grade_one
    monkeypatch.setattr(runner, "grade_one", lambda sub, *a: graded.append(sub.student)
                        or real(sub, *a))
    again = grade(tmp_path / "subs", book, source_dir=tmp_path / "source", timeout=60,
                  cell_timeout=10, log=io.StringIO(), resume=True)
    assert graded == ["bob"]
    assert [(r.student, r.exercise, r.points, r.status) for r in again] == \
        [(r.student, r.exercise, r.points, r.status) for r in first]
    assert len(book.read_text().splitlines()) == 1 + 6
