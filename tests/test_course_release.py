"""Tests for bplib.course.release: student versions of chapter notebooks."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from bplib.course.exercises import exercises, is_grade, is_solution, read_notebook
from bplib.course.release import release, release_notebook, repo_notebooks_dir

NOTEBOOKS = sorted(repo_notebooks_dir().glob("*.ipynb"))
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def _solution(source: str, gid: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata = {"nbgrader": {"grade": False, "solution": True, "locked": False,
                                  "grade_id": gid, "schema_version": 3}, "tags": ["hide-input"]}
    return cell


def _check(source: str, gid: str, points: float) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata = {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                  "points": points, "grade_id": gid, "schema_version": 3},
                     "tags": []}
    return cell


SOLUTIONS = {
    "ex1": "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x  # secret-one\n"
           "    ### END SOLUTION",
    "ex2": "def square(x):\n    if True:\n        ### BEGIN SOLUTION\n"
           "        result = x * x  # secret-two\n        ### END SOLUTION\n    return result",
    "ex3": "def greet(name):\n    ### BEGIN SOLUTION\n    return f'hello {name}'  # secret-three\n"
           "    ### END SOLUTION",
}
CHECKS = {
    "ex1": "assert double(3) == 6, 'double(3) should be 6'\nprint('passed: double works')\n"
           "### BEGIN HIDDEN TESTS\nassert double(-1) == -2, 'hidden-check-one'\n"
           "### END HIDDEN TESTS",
    "ex2": "assert square(4) == 16, 'square(4) should be 16'\nprint('passed: square works')",
    "ex3": "assert greet('ada') == 'hello ada', 'greet should say hello'\n"
           "print('passed: greet works')",
}
POINTS = {"ex1": 2, "ex2": 3, "ex3": 1}


def synthetic_chapter(solutions: dict[str, str] | None = None,
                      checks: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """A small chapter in the course's exercise format; override any solution or check source."""
    solutions = {**SOLUTIONS, **(solutions or {})}
    checks = {**CHECKS, **(checks or {})}
    story = new_code_cell("import numpy as np\nprint('the story so far')", execution_count=1,
                          outputs=[new_output("stream", name="stdout", text="the story so far\n")])
    cells = [new_markdown_cell("# Chapter 99: a synthetic chapter"),
             new_markdown_cell("Some prose with $x^2$."), story,
             new_markdown_cell("## Exercises")]
    for number, key in enumerate(("ex1", "ex2", "ex3"), start=1):
        cells.append(new_markdown_cell(f"### Exercise {number}: exercise {key}\n\nDo {key}."))
        solution = _solution(solutions[key], f"ch99-{key}-solution")
        check = _check(checks[key], f"ch99-{key}-check", POINTS[key])
        solution.execution_count, check.execution_count = 2 * number, 2 * number + 1
        check.outputs = [new_output("stream", name="stdout", text=f"passed: {key} answer-output\n")]
        cells += [solution, check]
    cells.append(new_markdown_cell("## Summary\n\nWe doubled, squared and greeted."))
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def chapter_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    nbformat.write(synthetic_chapter(), str(folder / "99_synthetic.ipynb"))
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def secret_lines(nb: nbformat.NotebookNode) -> set[str]:
    """Lines inside solution and hidden-test regions that occur nowhere in the public cells.

    Public text is every source line outside the regions and the outputs of the cells
    before the first exercise; a region line that is part of it (a call quoted in the prose,
    say) gives nothing away.
    """
    inside, public = set(), []
    first_solution = next((i for i, c in enumerate(nb.cells) if is_solution(c)), len(nb.cells))
    for index, cell in enumerate(nb.cells):
        region = False
        for line in cell.source.split("\n"):
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                region = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                region = False
            elif region and line.strip():
                inside.add(line.strip())
            elif not region:
                public.append(line)
        if index < first_solution:
            public.append(json.dumps(cell.get("outputs", [])))
    public_text = "\n".join(public)
    return {line for line in inside if line not in public_text}


def test_solution_regions_become_the_nbgrader_stub_with_indentation_kept():
    student = release_notebook(synthetic_chapter())
    sources = [c.source for c in student.cells if is_solution(c)]
    assert sources[0] == "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert sources[1] == ("def square(x):\n    if True:\n        # YOUR CODE HERE\n"
                          "        raise NotImplementedError()\n    return result")


def test_hidden_tests_are_removed_and_visible_checks_kept():
    student = release_notebook(synthetic_chapter())
    check = next(c for c in student.cells if is_grade(c))
    assert "hidden-check-one" not in check.source and "HIDDEN" not in check.source
    assert check.source.startswith("assert double(3) == 6")


def test_exercise_outputs_are_cleared_and_the_story_keeps_its_outputs():
    student = release_notebook(synthetic_chapter())
    story = student.cells[2]
    assert story.outputs[0]["text"] == "the story so far\n"
    exercise_cells = [c for c in student.cells if is_solution(c) or is_grade(c)]
    assert all(c.outputs == [] and c.execution_count is None for c in exercise_cells)
    assert "answer-output" not in json.dumps(student)


def test_release_keeps_prose_metadata_and_points_but_drops_the_site_hide_tag():
    original = synthetic_chapter()
    student = release_notebook(original)
    assert [c.cell_type for c in student.cells] == [c.cell_type for c in original.cells]
    assert [c.source for c in student.cells if c.cell_type == "markdown"] == \
        [c.source for c in original.cells if c.cell_type == "markdown"]
    assert [(e.grade_id, e.points) for e in exercises(student)] == \
        [(e.grade_id, e.points) for e in exercises(original)]
    assert all("hide-input" not in c.metadata["tags"] for c in student.cells if is_solution(c))


def test_release_notebook_leaves_its_input_unchanged():
    original = synthetic_chapter()
    before = copy.deepcopy(original)
    release_notebook(original)
    assert original == before


def test_release_writes_every_notebook_and_never_touches_the_sources(chapter_dir, tmp_path):
    before = _hashes(chapter_dir)
    written = release([chapter_dir], tmp_path / "student")
    assert [p.name for p in written] == ["99_synthetic.ipynb"]
    assert _hashes(chapter_dir) == before
    text = written[0].read_text()
    for secret in ("secret-one", "secret-two", "secret-three", "hidden-check-one"):
        assert secret not in text


def test_releasing_again_never_overwrites_a_student_edited_copy_without_force(chapter_dir, tmp_path):
    out = tmp_path / "student"
    (target,) = release([chapter_dir], out)
    assert release([chapter_dir], out) == [target]  # an unchanged copy is simply rewritten
    edited = target.read_text().replace("YOUR CODE HERE", "my own work")
    target.write_text(edited)
    with pytest.raises(ValueError, match="already exists and differs.*--force"):
        release([chapter_dir], out)
    assert target.read_text() == edited
    release([chapter_dir], out, force=True)
    assert "my own work" not in target.read_text()


@pytest.mark.parametrize("out", [".", "sub/folder"])
def test_release_refuses_an_out_folder_that_holds_or_lies_in_a_source_folder(chapter_dir, out):
    with pytest.raises(ValueError, match="refusing --out"):
        release([chapter_dir / "99_synthetic.ipynb"], chapter_dir / out)
    assert sorted(p.name for p in chapter_dir.iterdir()) == ["99_synthetic.ipynb"]


def test_release_refuses_to_write_into_the_course_notebooks_folder(chapter_dir):
    with pytest.raises(ValueError, match="refusing --out"):
        release([chapter_dir], repo_notebooks_dir() / "student")
    assert not (repo_notebooks_dir() / "student").exists()


def test_release_names_the_cell_of_an_unclosed_solution_region(tmp_path):
    nb = synthetic_chapter(solutions={"ex2": "def square(x):\n    ### BEGIN SOLUTION\n    x"})
    (tmp_path / "src").mkdir()
    nbformat.write(nb, str(tmp_path / "src" / "bad.ipynb"))
    with pytest.raises(ValueError, match=r"bad.ipynb, cell 8: .*END SOLUTION"):
        release([tmp_path / "src" / "bad.ipynb"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_release_reports_missing_sources_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        release([tmp_path / "nope.ipynb"], tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no notebooks found"):
        release([tmp_path / "empty"], tmp_path / "out")


def _all_text(nb: nbformat.NotebookNode) -> str:
    """Every source and every text output of the notebook, unescaped."""
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            parts += [v if isinstance(v, str) else "".join(v)
                      for v in output.get("data", {}).values() if isinstance(v, (str, list))]
    return "\n".join(parts)


# ---- the real chapters ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def released_chapters(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    release([repo_notebooks_dir()], out)
    return out


@pytest.mark.skipif(not NOTEBOOKS, reason="no chapter notebooks yet")
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_solution_or_hidden_test_text_leaks_into_a_released_chapter(source, released_chapters):
    instructor = read_notebook(source)
    assert exercises(instructor), f"{source.name} has no graded exercises"
    text = _all_text(read_notebook(released_chapters / source.name))
    secrets = secret_lines(instructor)
    assert secrets and all(line in _all_text(instructor) for line in secrets)
    leaked = [line for line in secrets if line in text]
    assert leaked == []
    assert text.count(STUB.split("\n")[1]) >= sum(is_solution(c) for c in instructor.cells)


@pytest.mark.slow
@pytest.mark.skipif(not NOTEBOOKS, reason="no chapter notebooks yet")
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_released_chapter_runs_and_stops_only_at_its_exercises(source, released_chapters):
    from bplib.course.execute import run_notebook

    run = run_notebook(read_notebook(released_chapters / source.name), timeout=300)
    assert run.problem == ""
    failures = {i: r for i, r in run.cells.items() if r.status != "ok"}
    assert failures, "an unanswered exercise should fail its check"
    for index, result in failures.items():
        cell = run.nb.cells[index]
        if is_solution(cell):  # a value to write (prediction = ...): its stub raises at once
            assert result.ename == "NotImplementedError", (index, result)
            continue
        assert is_grade(cell), (index, result)
        stub_above = failures.get(index - 1)
        if stub_above is not None and is_solution(run.nb.cells[index - 1]):
            assert result.ename in ("NotImplementedError", "NameError"), (index, result)
        else:
            assert result.ename == "NotImplementedError", (index, result)


# ---- the site: BP_SOLUTIONS=hide (the _ext/solutions.py Sphinx extension) -------------------

def _solutions_extension():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bp_solutions_ext", repo_notebooks_dir().parent / "_ext" / "solutions.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    return ext


def test_remove_solutions_tags_solution_cells_and_cuts_hidden_tests():
    nb = json.loads(_solutions_extension().remove_solutions(nbformat.writes(synthetic_chapter())))
    solutions = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert solutions and all("remove-cell" in c["metadata"]["tags"] for c in solutions)
    assert "hidden-check-one" not in json.dumps(nb)
    assert nb["cells"][2]["metadata"].get("tags", []) == []


def test_show_solutions_drops_only_the_marker_lines_and_tags_the_cells():
    original = synthetic_chapter()
    nb = json.loads(_solutions_extension().show_solutions(nbformat.writes(original)))
    for before, after in zip(original.cells, nb["cells"], strict=True):
        text = "".join(after["source"])  # the JSON may hold a source as a list of lines
        if not before.metadata.get("nbgrader", {}).get("solution"):
            assert text == before.source  # other cells untouched
            continue
        assert "bp-solution" in after["metadata"]["tags"]
        kept = [line for line in before.source.split("\n") if "SOLUTION" not in line]
        assert text.split("\n") == kept  # indentation and every other line kept
    assert "secret-two" in json.dumps(nb) and "BEGIN SOLUTION" not in json.dumps(nb)


def _build_site(tmp_path: Path, mode: str) -> Path:
    import os
    import subprocess
    import sys

    src = tmp_path / f"site-{mode}"
    (src / "notebooks").mkdir(parents=True)
    nbformat.write(synthetic_chapter(), str(src / "notebooks" / "99_synthetic.ipynb"))
    ext_dir = repo_notebooks_dir().parent / "_ext"
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ext_dir)!r})\n"
        "extensions = ['myst_nb', 'solutions']\nnb_execution_mode = 'off'\n"
        "exclude_patterns = ['_build']\n")
    (src / "index.md").write_text("# Site\n\n```{toctree}\nnotebooks/99_synthetic\n```\n\n"
                                  "## Exercises\n\n```{exercise-table}\n```\n")
    env = {**os.environ, "BP_SOLUTIONS": mode}
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", str(src),
                           str(src / "_build")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return src / "_build"


@pytest.mark.slow
def test_the_site_leaves_solutions_out_only_when_bp_solutions_is_hide(tmp_path):
    hidden = _build_site(tmp_path, "hide")
    page = (hidden / "notebooks" / "99_synthetic.html").read_text()
    download = (hidden / "_sources" / "notebooks" / "99_synthetic.ipynb.txt").read_text()
    for secret in ("secret-one", "secret-two", "secret-three", "hidden-check-one"):
        assert secret not in page and secret not in download
    assert "double(3) should be 6" in page and "raise NotImplementedError()" in download
    index = (hidden / "index.html").read_text()
    assert "ch99-ex2-check" in index and "99_synthetic.html" in index

    shown = (_build_site(tmp_path, "show") / "notebooks" / "99_synthetic.html").read_text()
    assert "secret-one" in shown and "hidden-check-one" in shown
    assert "BEGIN SOLUTION" not in shown and "tag_bp-solution" in shown
