"""Run a notebook copy cell by cell in a throwaway folder, with time limits and capped outputs."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

import nbformat
from jupyter_client import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode

TIMEOUT_ENAME = "Timeout"
MAX_OUTPUT_CHARS = 20_000
_MAX_TRACEBACK_LINES = 30


@dataclass
class CellResult:
    """How one code cell ended ('ok', 'error', 'timeout' or 'not run'), its error and stdout."""

    index: int
    status: str
    ename: str = ""
    evalue: str = ""
    stdout: str = ""


@dataclass
class RunResult:
    """The executed notebook, a CellResult per code cell index, and a notebook-level problem."""

    nb: NotebookNode
    cells: dict[int, CellResult] = field(default_factory=dict)
    problem: str = ""


class _CappedClient(NotebookClient):
    """nbclient keeping at most ``max_output_chars`` of output per cell, so floods cost nothing."""

    def __init__(self, nb: NotebookNode, *, max_output_chars: int, **kw) -> None:
        super().__init__(nb, **kw)
        self._cap = max_output_chars
        self._used: dict[int, int] = {}

    def output(self, outs: list, msg: dict, display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        content = msg.get("content", {})
        if msg.get("msg_type") == "error":
            content["traceback"] = content.get("traceback", [])[-_MAX_TRACEBACK_LINES:]
            return super().output(outs, msg, display_id, cell_index)
        used = self._used.get(cell_index, 0)
        if used >= self._cap:
            return None
        size = len(content["text"]) if "text" in content else len(json.dumps(content))
        self._used[cell_index] = used + size
        if used + size <= self._cap:
            return super().output(outs, msg, display_id, cell_index)
        note = f"\n[output cut: this cell printed more than {self._cap} characters]\n"
        if "text" in content:
            content["text"] = content["text"][: self._cap - used] + note
            return super().output(outs, msg, None, cell_index)
        outs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
        return None


def _stdout_of(cell: NotebookNode, limit: int = 2_000) -> str:
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return text[:limit]


def run_notebook(
    nb: NotebookNode,
    *,
    timeout: float = 600,
    cell_timeout: float = 120,
    max_output_chars: int = MAX_OUTPUT_CHARS,
    kernel_name: str = "python3",
    setup: str = "",
    setup_timeout: float = 120,
) -> RunResult:
    """Execute a copy of ``nb`` in a new temporary folder (the kernel's cwd); report each code cell.

    Errors never stop the run: each cell runs, and one that exceeds ``cell_timeout`` seconds
    (or the notebook's remaining ``timeout``) is interrupted and marked 'timeout'. Cells left
    when the notebook's time is used up, or after the kernel dies, are marked 'not run'.
    ``setup`` is code run first, within ``setup_timeout`` seconds and outside the notebook's
    own time (grading uses it to import the harvest before any of the notebook's cells).
    """
    work = copy.deepcopy(nb)
    for cell in work.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    result = RunResult(nb=work)
    replies: dict[int, dict] = {}

    def record(cell: NotebookNode, cell_index: int, execute_reply: dict | None) -> None:
        replies[cell_index] = (execute_reply or {}).get("content", {})

    with tempfile.TemporaryDirectory(prefix="bp-course-", ignore_cleanup_errors=True) as tmp:
        # a copy for code that reads its own notebook; plain json, so a malformed one still works
        Path(tmp, "notebook.ipynb").write_text(json.dumps(work, indent=1), encoding="utf-8")
        client = _CappedClient(
            work, max_output_chars=max_output_chars, kernel_name=kernel_name,
            allow_errors=True, interrupt_on_timeout=True, shutdown_kernel="immediate",
            error_on_timeout={"ename": TIMEOUT_ENAME,
                              "evalue": "the cell did not finish within the time limit"},
            resources={"metadata": {"path": tmp}}, record_timing=False, iopub_timeout=4,
            # the async manager notices a kernel that died; the sync one can block in get_msg
            kernel_manager_class=AsyncKernelManager,
            on_cell_executed=record,
        )
        code = [i for i, c in enumerate(work.cells) if c.cell_type == "code" and c.source.strip()]
        try:
            with client.setup_kernel(stderr=subprocess.DEVNULL):
                if setup:
                    work.cells.append(nbformat.v4.new_code_cell(setup))
                    client.timeout = max(1, math.ceil(setup_timeout))
                    client.execute_cell(work.cells[-1], len(work.cells) - 1, execution_count=0)
                    work.cells.pop()
                start = monotonic()
                for position, index in enumerate(code):
                    remaining = timeout - (monotonic() - start)
                    if remaining <= 0:
                        result.problem = f"the notebook ran out of its {timeout:g} s time limit"
                        break
                    client.timeout = max(1, math.ceil(min(cell_timeout, remaining)))
                    try:
                        client.execute_cell(work.cells[index], index,
                                            execution_count=position + 1)
                    except DeadKernelError:
                        result.cells[index] = CellResult(index, "error", "DeadKernelError",
                                                         "the Python kernel died in this cell")
                        result.problem = f"the kernel died in cell {index}"
                        break
                    result.cells[index] = _cell_result(index, work.cells[index],
                                                       replies.get(index))
        except Exception as err:  # a kernel that cannot start or dies at shutdown
            result.problem = result.problem or f"the notebook could not run: {err}"
    for index in code:
        result.cells.setdefault(index, CellResult(index, "not run", "", result.problem))
    return result


def _cell_result(index: int, cell: NotebookNode, reply: dict | None) -> CellResult:
    stdout = _stdout_of(cell)
    if reply is None:
        return CellResult(index, "error", "NoReply", "the kernel sent no reply for this cell",
                          stdout)
    if reply.get("status", "ok") != "error":
        return CellResult(index, "ok", stdout=stdout)
    ename = str(reply.get("ename", "Error"))
    status = "timeout" if ename == TIMEOUT_ENAME else "error"
    return CellResult(index, status, ename, str(reply.get("evalue", "")), stdout)
