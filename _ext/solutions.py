"""Sphinx extension for the exercises on the site: solutions shown or left out, the exercise table.

``BP_SOLUTIONS=hide`` (``make book SOLUTIONS=hide``) leaves every exercise solution out of the
site: solution cells (nbgrader ``solution: true``) get myst-nb's ``remove-cell`` tag as the
notebook is read, hidden-test regions are cut from check cells, and the downloadable
``_sources/*.ipynb`` copies are replaced by the student versions. The cells still execute,
so check cells below them work. Without it, solutions stay on the page, collapsed by their
``hide-input`` tag, without nbgrader's ``### BEGIN/END SOLUTION`` marker lines (a reader has no
use for them; the downloadable notebook keeps them) and tagged ``bp-solution`` (the cell's
class on the page is ``tag_bp-solution``).

The ``exercise-table`` directive renders the table of every exercise by chapter
(``bplib.course.exercises.exercise_table_markdown``) from the notebooks at build time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

HIDE = "hide"
SOLUTION_TAG = "bp-solution"
_HIDDEN_TESTS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")


def _solutions_mode() -> str:
    return os.environ.get("BP_SOLUTIONS", "show").strip().lower() or "show"


def _cut_hidden_tests(source: str) -> str:
    kept, hidden = [], False
    for line in source.split("\n"):
        if _HIDDEN_TESTS[0] in line:
            hidden = True
        elif _HIDDEN_TESTS[1] in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def _cells(nb: dict):
    """Each cell with its role: 'solution', 'grade' (a check cell) or None; and its source text."""
    for cell in nb.get("cells", []):
        meta = cell.setdefault("metadata", {})
        grading = meta.get("nbgrader", {}) if isinstance(meta.get("nbgrader"), dict) else {}
        role = "solution" if grading.get("solution") else ("grade" if grading.get("grade") else None)
        source = cell.get("source", "")
        yield cell, role, "".join(source) if isinstance(source, list) else source


def _add_tag(cell: dict, tag: str) -> None:
    tags = cell["metadata"].setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


def remove_solutions(notebook_json: str) -> str:
    """The notebook JSON with solution cells tagged ``remove-cell`` and hidden tests cut out."""
    nb = json.loads(notebook_json)
    for cell, role, text in _cells(nb):
        if role == "solution":
            _add_tag(cell, "remove-cell")
        elif role == "grade":
            cell["source"] = _cut_hidden_tests(text)
    return json.dumps(nb, ensure_ascii=False)


def _is_marker(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("#") and any(marker in stripped for marker in _SOLUTION_MARKERS)


def show_solutions(notebook_json: str) -> str:
    """The notebook JSON with solution cells tagged ``bp-solution`` and their marker lines gone."""
    nb = json.loads(notebook_json)
    for cell, role, text in _cells(nb):
        if role == "solution":
            _add_tag(cell, SOLUTION_TAG)
            cell["source"] = "\n".join(line for line in text.split("\n") if not _is_marker(line))
    return json.dumps(nb, ensure_ascii=False)


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    prepare = remove_solutions if app.config.bp_solutions == HIDE else show_solutions
    source[0] = prepare(source[0])


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.config.bp_solutions != HIDE or app.builder.format != "html":
        return
    import nbformat

    from bplib.course.release import release_notebook

    # Sphinx copies the original file here for the page's download button
    suffixes = (".ipynb", ".ipynb" + (app.config.html_sourcelink_suffix or ""))
    for path in sorted((Path(app.outdir) / "_sources").rglob("*.ipynb*")):
        if not path.name.endswith(suffixes):
            continue
        student = release_notebook(nbformat.read(str(path), as_version=4), name=path.name)
        nbformat.write(student, str(path))


class ExerciseTable(SphinxDirective):
    """``exercise-table``: every exercise of the book's chapter notebooks, points and check."""

    has_content = False

    def run(self) -> list:
        from bplib.course.exercises import exercise_table_markdown

        # re-read on every build, so a chapter added to the book shows up (see _always_outdated)
        self.env.bp_exercise_table_docs = getattr(self.env, "bp_exercise_table_docs", set())
        self.env.bp_exercise_table_docs.add(self.env.docname)
        # only chapters that are part of the book (in _toc.yml) can be linked
        notebooks = [p for p in sorted((Path(self.env.srcdir) / "notebooks").glob("*.ipynb"))
                     if f"notebooks/{p.stem}" in self.env.found_docs]
        for path in notebooks:
            self.env.note_dependency(str(path))
        text = exercise_table_markdown(notebooks)
        node = nodes.container(classes=["bp-exercise-table"])
        self.state.nested_parse(StringList(text.splitlines(), source="exercise-table"),
                                self.content_offset, node)
        return [node]


def _always_outdated(app: Sphinx, env, added, changed, removed) -> list[str]:
    docs = getattr(env, "bp_exercise_table_docs", set())
    return sorted(d for d in docs if d in env.found_docs and d not in removed)


def _purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, "bp_exercise_table_docs", set()).discard(docname)


def _merge(app: Sphinx, env, docnames, other) -> None:
    env.bp_exercise_table_docs = (getattr(env, "bp_exercise_table_docs", set())
                                  | getattr(other, "bp_exercise_table_docs", set()))


def setup(app: Sphinx) -> dict:
    """Register the BP_SOLUTIONS switch (a full rebuild when it changes) and the directive."""
    app.add_config_value("bp_solutions", _solutions_mode(), "env", types=[str])
    app.connect("source-read", _on_source_read)
    app.connect("build-finished", _on_build_finished)
    app.add_directive("exercise-table", ExerciseTable)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
