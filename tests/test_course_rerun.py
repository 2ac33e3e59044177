"""bplib.course.rerun: re-run notebooks in place; a failure leaves the file as it was."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bplib.course.__main__ import main
from bplib.course.rerun import RerunFailed, rerun_notebook


def write_notebook(path: Path, *sources: str) -> Path:
    cells = [new_markdown_cell("# A chapter")]
    for source in sources:
        cell = new_code_cell(source)
        cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}  # an old record
        cell.metadata["tags"] = ["keep-me"]
        cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_rerun_stores_outputs_without_timing_records(tmp_path):
    path = write_notebook(tmp_path / "chapter.ipynb", "x = 6 * 7", "print(x)")
    assert rerun_notebook(path) == 2
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[1].outputs[0].text == "42\n"
    assert all("execution" not in c.metadata and c.metadata.tags == ["keep-me"] for c in code)
    assert nb.cells[0].source == "# A chapter"


def test_cells_run_in_the_notebook_folder(tmp_path):
    (tmp_path / "data.txt").write_text("from the folder")
    path = write_notebook(tmp_path / "chapter.ipynb", "print(open('data.txt').read())")
    rerun_notebook(path)
    assert nbformat.read(str(path), as_version=4).cells[1].outputs[0].text == "from the folder\n"


def test_a_failing_cell_is_named_and_the_file_is_left_as_it_was(tmp_path):
    path = write_notebook(tmp_path / "chapter.ipynb", "x = 1", "x / 0", "print('never')")
    before = path.read_bytes()
    with pytest.raises(RerunFailed, match=r"code cell 2 \(cell 3 of the notebook\) raised "
                                          r"ZeroDivisionError: division by zero"):
        rerun_notebook(path)
    assert path.read_bytes() == before


def test_a_cell_over_its_time_limit_fails_the_rerun(tmp_path):
    path = write_notebook(tmp_path / "chapter.ipynb", "import time\ntime.sleep(30)")
    before = path.read_bytes()
    with pytest.raises(RerunFailed, match="longer than 2 s"):
        rerun_notebook(path, cell_timeout=2)
    assert path.read_bytes() == before


def test_the_command_reruns_the_good_notebooks_and_reports_the_bad_one(tmp_path, capsys):
    good = write_notebook(tmp_path / "good.ipynb", "print('fine')")
    bad = write_notebook(tmp_path / "bad.ipynb", "raise RuntimeError('broken on purpose')")
    assert main(["rerun", str(bad), str(good)]) == 1
    captured = capsys.readouterr()
    assert f"re-ran {good} (1 code cell); its outputs are stored" in captured.out
    assert "RuntimeError: broken on purpose. The file is unchanged." in captured.err
    assert nbformat.read(str(good), as_version=4).cells[1].outputs[0].text == "fine\n"


@pytest.mark.parametrize(("name", "message"), [("notes.txt", "not a notebook"),
                                                ("missing.ipynb", "no such notebook"),
                                                ("damaged.ipynb", "cannot be read as a notebook")])
def test_the_command_rejects_what_is_not_a_notebook(tmp_path, capsys, name, message):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "damaged.ipynb").write_text('{"cells": [')
    assert main(["rerun", str(tmp_path / name)]) == 2
    assert message in capsys.readouterr().err
