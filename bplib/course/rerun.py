"""Re-run chapter notebooks in place, storing the outputs that ``make test`` (nbval) compares with.

For an author who changed a chapter: every code cell runs in the notebook's own folder, and the
file is rewritten only when every cell ran; if one fails, the file stays exactly as it was. Cell
timing is not recorded (earlier records are dropped), so a re-run changes only what the cells
print and draw, and the widget state the explorers need.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from bplib.course.exercises import read_notebook


class RerunFailed(Exception):
    """A cell of the notebook failed; the message says which one and how."""


def _failed_cell(nb: nbformat.NotebookNode) -> str:
    """'code cell K (cell N of the notebook)' for the first cell with an error output."""
    code_number = 0
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        code_number += 1
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return f"code cell {code_number} (cell {index} of the notebook)"
    return "a code cell"


def _read(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or a ValueError/FileNotFoundError that says what is wrong."""
    if path.suffix != ".ipynb":
        raise ValueError(f"{path}: not a notebook (expected a file ending in .ipynb).")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook.")
    try:
        return read_notebook(path)
    except (ValueError, nbformat.ValidationError) as err:
        raise ValueError(f"{path}: cannot be read as a notebook ({err}).") from err


def rerun_notebook(path: str | Path, cell_timeout: float = 600) -> int:
    """Run every cell of the notebook at ``path`` and store the outputs in it.

    Returns the number of code cells run. Raises RerunFailed (the file untouched) if a cell
    raises, runs longer than ``cell_timeout`` seconds, or kills the kernel.
    """
    path = Path(path)
    nb = _read(path)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timing records of earlier runs
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name=kernel, record_timing=False,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute()
    except CellTimeoutError as err:
        raise RerunFailed(f"a cell ran longer than {cell_timeout:g} s ({err})") from err
    except DeadKernelError as err:
        raise RerunFailed(f"the kernel died ({err})") from err
    except CellExecutionError as err:
        raise RerunFailed(f"{_failed_cell(nb)} raised {err.ename}: {err.evalue}") from err
    nbformat.write(nb, str(path))
    return sum(cell.cell_type == "code" for cell in nb.cells)
