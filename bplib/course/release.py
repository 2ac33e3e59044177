"""Make student versions of chapter notebooks: solutions stubbed, hidden tests removed."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from bplib.course.exercises import is_solution, read_notebook

# cells that show the answer on the site; in the student's copy the stub must be visible
_SITE_ONLY_TAGS = ("hide-input", "remove-input", "hide-cell", "remove-cell")
_log = logging.getLogger("bplib.course.release")


def repo_notebooks_dir() -> Path:
    """The chapter notebooks folder of this checkout (``<repo>/notebooks``)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def release_notebook(nb: NotebookNode, *, name: str = "notebook") -> NotebookNode:
    """Return the student version of ``nb`` (the input is left unchanged).

    Solution regions become ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the
    region's indentation (nbgrader's ClearSolutions), ``### BEGIN HIDDEN TESTS`` regions are
    removed (ClearHiddenTests), and every code cell from the first exercise on loses its
    outputs, since those show the instructor's answers.
    """
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    student = copy.deepcopy(nb)
    language = student.metadata.get("kernelspec", {}).get("language", "python")
    clear_solutions = ClearSolutions(log=_log)
    clear_hidden = ClearHiddenTests(log=_log)
    if language not in clear_solutions.code_stub:
        raise ValueError(f"release: {name} has kernel language {language!r}; only "
                         f"{sorted(clear_solutions.code_stub)} notebooks can be released.")
    resources = {"language": language}
    in_exercises = False
    for index, cell in enumerate(student.cells):
        try:
            clear_solutions.preprocess_cell(cell, resources, index)
            clear_hidden.preprocess_cell(cell, resources, index)
        except RuntimeError as err:
            raise ValueError(
                f"release: {name}, cell {index}: {err}. Every '### BEGIN SOLUTION' needs an "
                "'### END SOLUTION' inside a cell whose nbgrader metadata has solution: true, "
                "and hidden tests belong in grade cells."
            ) from err
        in_exercises = in_exercises or is_solution(cell)
        if is_solution(cell):
            tags = cell.metadata.get("tags", [])
            cell.metadata["tags"] = [tag for tag in tags if tag not in _SITE_ONLY_TAGS]
        if cell.cell_type == "code" and in_exercises:
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    student.metadata.pop("celltoolbar", None)
    return student


def expand_sources(sources: list[str | Path]) -> list[Path]:
    """The notebook files named by ``sources``: files as given, folders as their ``*.ipynb``."""
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.ipynb") if p.is_file()))
        elif path.is_file() and path.suffix == ".ipynb":
            files.append(path)
        elif path.exists():
            raise ValueError(f"release: {path} is not a notebook (.ipynb) or a folder of them.")
        else:
            raise FileNotFoundError(f"release: {path} does not exist.")
    if not files:
        raise ValueError(f"release: no notebooks found in {', '.join(map(str, sources))}.")
    names = [f.name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"release: two sources share the file name {duplicates[0]}; "
                         "release them into separate --out folders.")
    return files


def check_out_dir(out: Path, files: list[Path]) -> None:
    """Refuse an ``out`` that is, or lies inside, a folder holding source notebooks."""
    protected = {f.resolve().parent for f in files} | {repo_notebooks_dir()}
    target = out.resolve()
    for folder in sorted(protected):
        if target == folder or target.is_relative_to(folder):
            raise ValueError(
                f"release: refusing --out {out}: it is or lies in {folder}, which holds source "
                "notebooks that must never be overwritten. Choose another folder, e.g. student/."
            )


def check_no_edited_copy(target: Path, text: str) -> None:
    """Refuse to replace a released notebook that someone has changed since (work would be lost)."""
    if target.exists() and target.read_text(encoding="utf-8") != text:
        raise ValueError(
            f"release: {target} already exists and differs from a fresh release (was it edited?). "
            "Nothing was written. Move it away, choose another --out, or pass --force to replace it."
        )


def release(sources: list[str | Path], out: str | Path, force: bool = False) -> list[Path]:
    """Write the student version of every source notebook into ``out``; return the paths written.

    An existing file in ``out`` that differs from the fresh release is never replaced unless
    ``force`` is given; the check runs for every file before anything is written.
    """
    files = expand_sources(sources)
    out = Path(out)
    check_out_dir(out, files)
    texts = [(out / f.name, nbformat.writes(release_notebook(read_notebook(f), name=str(f))) + "\n")
             for f in files]
    if not force:
        for target, text in texts:
            check_no_edited_copy(target, text)
    out.mkdir(parents=True, exist_ok=True)
    for target, text in texts:
        target.write_text(text, encoding="utf-8")
    return [target for target, _ in texts]
