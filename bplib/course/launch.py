"""The course's repository address, one setting, and the install cell every chapter opens with.

``repository.url`` in ``_config.yml`` is the only place the address is written by hand: the
site's repository, issue and launch buttons read it there, and ``python -m bplib.course
set-repository URL`` writes it there and into each notebook's first cell. That cell installs
``bplib`` (alone, with its ranged dependencies from ``pyproject.toml``, never the course's
pinned environment) when it is missing, as in Colab, and does nothing where it is installed.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from bplib.course.release import repo_notebooks_dir

CONFIG = repo_notebooks_dir().parent / "_config.yml"
INSTALL_TAG = "bplib-install"
# chapters that need an extra of bplib's (pyproject.toml [project.optional-dependencies])
EXTRAS = {"12_capstone": "digits"}
_URL_LINE = re.compile(r"^(repository:\n(?:  .*\n)*?  url: )(\S+)[ \t]*$", re.MULTILINE)
_GITHUB = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+$")


def repository_url(config: Path = CONFIG) -> str:
    """``repository.url`` of the book's ``_config.yml``."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    return str(data["repository"]["url"]).rstrip("/")


def install_cell_source(url: str, extra: str = "") -> str:
    """The first cell of a chapter: install bplib from ``url`` if it cannot be imported."""
    package = f"bplib[{extra}]" if extra else "bplib"
    return (
        "# Colab, Binder or any Jupyter without this course's environment: install bplib from the\n"
        "# course's repository. Where bplib is installed (the course's own .venv) this does nothing.\n"
        "import importlib.util, os, subprocess, sys\n"
        "if importlib.util.find_spec(\"bplib\") is None:\n"
        f"    source = os.environ.get(\"BPLIB_SOURCE\", \"git+{url}\")\n"
        "    subprocess.check_call([sys.executable, \"-m\", \"pip\", \"install\", \"-q\",\n"
        f"                           f\"{package} @ {{source}}\"])\n"
        "    importlib.invalidate_caches()"
    )


def install_cell(url: str, extra: str = "") -> nbformat.NotebookNode:
    """The install cell, tagged so the site leaves it out (``remove-cell``)."""
    cell = nbformat.v4.new_code_cell(install_cell_source(url, extra))
    cell.metadata["tags"] = ["remove-cell", INSTALL_TAG]
    return cell


def has_install_cell(nb: nbformat.NotebookNode) -> bool:
    """True when the notebook's first cell is an install cell."""
    return bool(nb.cells) and INSTALL_TAG in nb.cells[0].get("metadata", {}).get("tags", [])


def set_install_cell(path: Path, url: str) -> bool:
    """Put the current install cell first in the notebook at ``path``; True if it changed."""
    nb = nbformat.read(str(path), as_version=4)
    wanted = install_cell_source(url, EXTRAS.get(path.stem, ""))
    if has_install_cell(nb):
        if nb.cells[0].source == wanted:
            return False
        nb.cells[0].source = wanted
    else:
        nb.cells.insert(0, install_cell(url, EXTRAS.get(path.stem, "")))
    nbformat.write(nb, str(path))
    return True


def set_repository(url: str, config: Path = CONFIG, notebooks: Path | None = None) -> list[Path]:
    """Write ``url`` into ``_config.yml`` and every chapter's install cell; the files changed."""
    url = url.rstrip("/")
    if not _GITHUB.match(url):
        raise ValueError(f"set-repository: expected a GitHub address like https://github.com/ORG/REPO "
                         f"(the launch buttons need GitHub), got {url!r}.")
    text = config.read_text(encoding="utf-8")
    if not _URL_LINE.search(text):
        raise ValueError(f"set-repository: {config} has no '  url:' line under 'repository:'.")
    changed = []
    new = _URL_LINE.sub(lambda m: m.group(1) + url, text, count=1)
    if new != text:
        config.write_text(new, encoding="utf-8")
        changed.append(config)
    for path in sorted((notebooks or repo_notebooks_dir()).glob("*.ipynb")):
        if set_install_cell(path, url):
            changed.append(path)
    return changed
