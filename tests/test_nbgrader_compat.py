"""The chapter notebooks drop into an nbgrader course unchanged (nbgrader's own CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_course_release import synthetic_chapter

from bplib.course.exercises import grade_id, is_solution, read_notebook
from bplib.course.release import release_notebook, repo_notebooks_dir

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.slow

NOTEBOOKS = sorted(repo_notebooks_dir().glob("*.ipynb"))


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    bindir = str(Path(sys.executable).parent)
    # nbgrader runs the `alembic` script of its own environment to set up the gradebook
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([str(Path(bindir) / "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _course(tmp_path: Path, assignment: str, notebooks: dict[str, nbformat.NotebookNode]) -> Path:
    course = tmp_path / "course"
    (course / "source" / assignment).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n")
    for name, nb in notebooks.items():
        nbformat.write(nb, str(course / "source" / assignment / name))
    return course


@pytest.mark.skipif(not NOTEBOOKS, reason="no chapter notebooks yet")
def test_generate_assignment_accepts_every_chapter_and_matches_our_release(tmp_path):
    chapters = {p.name: read_notebook(p) for p in NOTEBOOKS}
    course = _course(tmp_path, "chapters", chapters)
    _nbgrader(course, "generate_assignment", "chapters", "--force")
    for name, nb in chapters.items():
        theirs = read_notebook(course / "release" / "chapters" / name)
        ours = release_notebook(nb, name=name)
        assert [c.source for c in theirs.cells] == [c.source for c in ours.cells], name


def test_generate_assignment_strips_solutions_and_hidden_tests_of_the_exercise_format(tmp_path):
    course = _course(tmp_path, "ch99", {"99_synthetic.ipynb": synthetic_chapter()})
    _nbgrader(course, "generate_assignment", "ch99", "--force")
    text = (course / "release" / "ch99" / "99_synthetic.ipynb").read_text()
    for secret in ("secret-one", "secret-two", "hidden-check-one"):
        assert secret not in text
    assert "raise NotImplementedError()" in text


def test_nbgrader_autograde_scores_a_submission_like_our_grader(tmp_path):
    from nbgrader.api import Gradebook

    course = _course(tmp_path, "ch99", {"99_synthetic.ipynb": synthetic_chapter()})
    _nbgrader(course, "generate_assignment", "ch99", "--force")
    _nbgrader(course, "db", "student", "add", "ann")
    student = release_notebook(synthetic_chapter())
    for cell in student.cells:
        if is_solution(cell) and grade_id(cell) == "ch99-ex1-solution":
            cell.source = "def double(x):\n    return 2 * x"
    (course / "submitted" / "ann" / "ch99").mkdir(parents=True)
    nbformat.write(student, str(course / "submitted" / "ann" / "ch99" / "99_synthetic.ipynb"))
    _nbgrader(course, "autograde", "ch99", "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook("99_synthetic", "ch99", "ann")
        scores = {g.name: g.score for g in submission.grades}
    assert scores == {"ch99-ex1-check": 2, "ch99-ex2-check": 0, "ch99-ex3-check": 0}
