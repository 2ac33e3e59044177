"""Every chapter's exercises make the student think: at least four, with a derive, a predict and a
debug exercise, each heading naming its kind (the instructor table lists it)."""

from __future__ import annotations

import pytest

from bplib.course.exercises import KINDS, Exercise, exercise_table_markdown, exercises, read_notebook
from bplib.course.release import repo_notebooks_dir

NOTEBOOKS = sorted(repo_notebooks_dir().glob("*.ipynb"))
CAPSTONE = "12_capstone"
REQUIRED = {"derive", "predict", "debug"}


def _chapter_exercises(path) -> list[Exercise]:
    return exercises(read_notebook(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_heading_names_a_known_kind(path):
    unnamed = [e.title for e in _chapter_exercises(path) if e.kind not in KINDS]
    assert not unnamed, f"{path.stem}: headings without a kind from {sorted(KINDS)}: {unnamed}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != CAPSTONE], ids=lambda p: p.stem)
def test_every_chapter_has_four_exercises_with_a_derive_a_predict_and_a_debug(path):
    found = _chapter_exercises(path)
    titles = {e.title for e in found}
    assert len(titles) >= 4, f"{path.stem} has {len(titles)} exercises, expected at least 4"
    missing = REQUIRED - {e.kind for e in found}
    assert not missing, f"{path.stem} has no {sorted(missing)} exercise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_warm_ups_are_worth_few_points(path):
    heavy = [(e.title, e.points) for e in _chapter_exercises(path) if e.kind == "warm-up" and e.points > 1]
    assert not heavy, f"{path.stem}: warm-ups worth more than 1 point: {heavy}"


def test_the_instructor_table_has_a_kind_column():
    table = exercise_table_markdown(NOTEBOOKS).splitlines()
    assert table[0].split("|")[3].strip() == "kind"
    first = table[2].split("|")
    assert first[3].strip() in KINDS, first
    assert Exercise("g", 1, "Exercise 3 (debug): a bug", "check_x", 0).kind == "debug"
    assert Exercise("g", 1, "Exercise 3: no kind", "check_x", 0).kind == ""
