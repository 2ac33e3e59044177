"""The student's experience in a real JupyterLab: run chapter 4, move the live explorer, see the checks pass.

A JupyterLab server runs on 127.0.0.1 over a temporary copy of notebooks/, with its own config, data,
runtime, settings and workspace directories, so nothing of the user's (or of the repository) is touched.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.site

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
CHAPTER = "04_computing_gradients.ipynb"
EXPLORER_SOURCE = "bp.widgets.tangent_explorer()"
JUPYTER = Path(sys.executable).parent / "jupyter"
IN_CI = os.environ.get("CI", "").lower() == "true"

START_TIMEOUT_S = 60
RUN_TIMEOUT_MS = 90_000
UI_TIMEOUT_MS = 30_000
UPDATE_TIMEOUT_MS = 15_000
# the status bar reads "<kernel name> | Idle" once a kernel is connected ("No Kernel | ..." before)
KERNEL_IDLE = re.compile(r"^(?!No Kernel).+ \| Idle$")


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _copy_notebooks(target: Path) -> None:
    """Copy notebooks/ and forget the stored execution counts, so a prompt number proves the cell ran now."""
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    path = target / CHAPTER
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = None
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_settings(settings: Path) -> None:
    """User settings of the throw-away JupyterLab: lay out every cell, never ask about or fetch news."""
    for plugin, values in [("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("apputils-extension/notification", {"fetchNews": "false", "checkForUpdates": False})]:
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a temporary copy of notebooks/; yields (base_url, token, copy)."""
    if not JUPYTER.exists():
        _unavailable(f"JupyterLab is not installed in this environment ({JUPYTER} is missing)")
    if not (NOTEBOOKS / CHAPTER).exists():
        pytest.fail(f"{NOTEBOOKS / CHAPTER} is missing")
    root = tmp_path_factory.mktemp("lab")
    notebook_dir = root / "notebooks"
    _copy_notebooks(notebook_dir)
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        (root / sub).mkdir()
        env[var] = str(root / sub)
    env.pop("JUPYTER_TOKEN", None)
    _write_settings(root / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    log_path = root / "server.log"
    cmd = [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
           f"--ServerApp.token={token}", "--allow-root", f"--notebook-dir={notebook_dir}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(f"{base}/api/status?token={token}"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start (exit code {proc.poll()}):\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield base, token, notebook_dir
    finally:
        if proc.poll() is None:
            # a clean shutdown also stops the kernels the server started
            request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST", data=b"")
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except (urllib.error.URLError, OSError):
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


class LabVisit:
    """The chapter opened in JupyterLab in a fresh browser context, recording console errors and every URL."""

    def __init__(self, browser, base: str, token: str, notebook_dir: Path):
        self.base = base
        self.notebook = notebook_dir / CHAPTER
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(UI_TIMEOUT_MS)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(f"{base}/lab/tree/{CHAPTER}?token={token}", wait_until="domcontentloaded")

    def offsite_requests(self) -> list[str]:
        return [u for u in self.requests
                if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname != "127.0.0.1"]


@pytest.fixture
def lab(browser, jupyter_lab):
    visit = LabVisit(browser, *jupyter_lab)
    yield visit
    # JupyterLab logs its own noise (e.g. a kernel websocket closing); useful when a test fails, not a failure
    if visit.errors:
        print("browser console errors (diagnostics only):", *visit.errors[:20], sep="\n  ")
    visit.context.close()


ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
# True once Run All has finished: every code cell is on the page and has a number, or a cell raised (the
# queue stops: the first cell has a number, none is left waiting with [*], an error is shown); reported below.
RUN_FINISHED_JS = """([count, errorOutput]) => {
  const prompts = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt'),
                             p => p.textContent);
  const numbered = prompts.map(p => /\\[\\d+\\]/.test(p));
  const ran = prompts.length === count && numbered.every(Boolean);
  const raised = numbered[0] && !prompts.some(p => p.includes('*')) && document.querySelector(errorOutput) !== null;
  return ran || raised;
}"""


def _code_cell_count(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(cell["cell_type"] == "code" for cell in nb["cells"])


def _prompts(cells) -> list[str]:
    return cells.evaluate_all("cells => cells.map(c => c.querySelector('.jp-InputArea-prompt').textContent.trim())")


def test_chapter_4_runs_in_jupyterlab_with_a_live_explorer_and_passing_checks(lab):
    from playwright.sync_api import expect

    page = lab.page
    notebook = page.locator(".jp-NotebookPanel")
    notebook.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    code_cells = notebook.locator(".jp-CodeCell")
    code_cells.first.wait_for(state="visible")
    # Run All before the kernel is connected does nothing, and the toolbar's execution indicator already
    # says "idle" while the session is initializing: wait for the status bar to name the kernel as idle
    page.locator(".jp-StatusBar-TextItem").filter(has_text=KERNEL_IDLE).wait_for(timeout=RUN_TIMEOUT_MS)

    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    expect(code_cells.first.locator(".jp-InputArea-prompt"), "Run All Cells did not start the first cell") \
        .not_to_have_text("[ ]:")

    page.wait_for_function(RUN_FINISHED_JS, arg=[_code_cell_count(lab.notebook), ERROR_OUTPUT], polling=250,
                           timeout=RUN_TIMEOUT_MS)
    prompts = _prompts(code_cells)
    if not all(p.strip("[]:").isdigit() for p in prompts):
        errors = notebook.locator(ERROR_OUTPUT)
        detail = errors.first.inner_text() if errors.count() else "(no error output)"
        pytest.fail(f"not every code cell ran: prompts {prompts}\n{detail[-2000:]}")

    explorer = code_cells.filter(has_text=EXPLORER_SOURCE)
    expect(explorer, f"expected one code cell running {EXPLORER_SOURCE}").to_have_count(1)
    explorer.scroll_into_view_if_needed()
    output = explorer.locator(".jp-OutputArea-output")
    slider = output.locator(".jupyter-widgets.widget-slider")
    slider.wait_for(state="visible")
    image = output.locator("img.widget-image")
    image.wait_for(state="visible")
    assert output.locator("div.bp-explorer").count() == 0, "JupyterLab shows the static fallback, not the live view"

    readout, src = slider.locator(".widget-readout").inner_text(), image.get_attribute("src")
    assert src
    handle = slider.locator(".noUi-handle")
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    expect(slider.locator(".widget-readout")).not_to_have_text(readout)  # the slider moved
    # the kernel renders the new figure and sends it back; the widget shows it under a new blob: URL
    page.wait_for_function("([img, old]) => img.getAttribute('src') !== old", arg=[image.element_handle(), src],
                           polling=100, timeout=UPDATE_TIMEOUT_MS)

    checks = code_cells.filter(has_text="bp.course.check_")
    assert checks.count() >= 3, "chapter 4 should have at least three exercise check cells"
    for i in range(checks.count()):
        printed = checks.nth(i).locator(".jp-OutputArea").inner_text()
        assert "✔" in printed, f"exercise check {i + 1} did not print its success line: {printed!r}"

    assert lab.offsite_requests() == [], f"JupyterLab requested resources off 127.0.0.1: {lab.offsite_requests()[:5]}"
    assert any(u.startswith(lab.base) for u in lab.requests)
