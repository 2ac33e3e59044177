"""The repository address is one setting; every chapter opens with a cell that installs bplib where
it is missing (Colab), from that address, and does nothing in the course's own environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

from bplib.course.launch import (
    EXTRAS,
    has_install_cell,
    install_cell_source,
    repository_url,
    set_repository,
)
from bplib.course.release import repo_notebooks_dir

ROOT = repo_notebooks_dir().parent
NOTEBOOKS = sorted(repo_notebooks_dir().glob("*.ipynb"))


def test_the_address_is_a_real_github_address_and_no_placeholder_is_left():
    assert repository_url().startswith("https://github.com/")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    left = [name for name in tracked if Path(ROOT, name).suffix in {".md", ".yml", ".ipynb", ".py", ".toml"}
            and "YOUR-ORG" in Path(ROOT, name).read_text(encoding="utf-8", errors="ignore")
            and name != "tests/test_launch.py"]
    assert not left


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_opens_with_the_install_cell_for_the_configured_address(path):
    nb = nbformat.read(str(path), as_version=4)
    assert has_install_cell(nb), f"{path.name}: run python -m bplib.course set-repository URL"
    assert nb.cells[0].source == install_cell_source(repository_url(), EXTRAS.get(path.stem, ""))
    assert "remove-cell" in nb.cells[0].metadata["tags"]


def test_set_repository_rewrites_the_config_and_every_install_cell_once(tmp_path):
    config = tmp_path / "_config.yml"
    shutil.copyfile(ROOT / "_config.yml", config)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A chapter")])
    nbformat.write(nb, str(folder / "12_capstone.ipynb"))
    url = "https://github.com/some-school/backprop-course"
    assert set_repository(url, config, folder) == [config, folder / "12_capstone.ipynb"]
    assert repository_url(config) == url
    first = nbformat.read(str(folder / "12_capstone.ipynb"), as_version=4).cells[0]
    assert f"git+{url}" in first.source and "bplib[digits]" in first.source
    assert set_repository(url, config, folder) == []
    with pytest.raises(ValueError, match="GitHub address"):
        set_repository("ftp://example.org/x", config, folder)


def test_the_install_cell_does_nothing_where_bplib_is_installed(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda *a, **k: calls.append(a))
    exec(install_cell_source(repository_url()), {})  # noqa: S102
    assert calls == []


@pytest.mark.slow
def test_the_install_cell_installs_bplib_alone_in_a_fresh_environment(tmp_path):
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs the course as a git repository")
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # Colab's pip is recent; the venv module's bundled pip (23.2) cannot read git+file:// addresses
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-U", "pip"], check=True,
                   capture_output=True, timeout=300)
    cell = tmp_path / "cell.py"
    cell.write_text(install_cell_source(repository_url())
                    + "\nimport bplib\nprint('bplib', bplib.__version__)\n")
    env = {**os.environ, "BPLIB_SOURCE": f"git+file://{ROOT}", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(python), str(cell)], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "bplib 0." in done.stdout
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"],
                               capture_output=True, text=True).stdout.lower()
    assert "numpy==" in installed and "jupyter-book" not in installed and "nbgrader" not in installed
    again = subprocess.run([str(python), str(cell)], env={**env, "BPLIB_SOURCE": "git+file:///nowhere"},
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "bplib 0." in again.stdout
    assert sys.prefix != str(env_dir)
