"""A hostile student against the grader: every attack of issue 14, graded beside honest students.

The chapter is a small copy of chapter 4's exercises (``check_sigmoid_prime`` with a hidden
test, ``check_neuron_gradients``; 5 points). Grading runs through the command line, as an
instructor would run it, so ``/proc/<ppid>/cmdline`` names ``--source`` as in real use.
Attacks that would damage files outside the test's temporary folder only probe for write
access and report it through their own feedback.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bplib.course.release import release_notebook

pytestmark = pytest.mark.slow
NAME = "99_attack"
SECRET = "hidden-secret-xyz"
SLEEP_MARK = "613.4242"


def needs_bwrap() -> None:
    """Skip without bubblewrap locally; in CI (CI=true) a missing sandbox is a failure."""
    if shutil.which("bwrap") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("bubblewrap (bwrap) is missing in CI: .ci/run must install it")
        pytest.skip("bubblewrap (bwrap) is not installed: the sandbox tests cannot run here")


def _nbgrader(source: str, gid: str, *, solution: bool, points: float = 0) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata = {"nbgrader": {"grade": not solution, "solution": solution,
                                  "locked": not solution, "grade_id": gid, "schema_version": 3,
                                  **({} if solution else {"points": points})}}
    return cell


SIGMOID_PRIME = ("def sigmoid_prime(z):\n    ### BEGIN SOLUTION\n"
                 "    s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))\n    return s * (1 - s)\n"
                 "    ### END SOLUTION")
NEURON = ("def neuron_gradients(x, t, w, b):\n    ### BEGIN SOLUTION\n"
          "    y = 1 / (1 + np.exp(-(w * x + b)))\n    d = (y - t) * y * (1 - y)\n"
          "    return d * x, d\n    ### END SOLUTION")
WRONG = {"ch99-ex1-solution": "def sigmoid_prime(z):\n    return 0 * np.asarray(z, dtype=float)",
         "ch99-ex2-solution": "def neuron_gradients(x, t, w, b):\n    return 0.0, 0.0"}


def chapter() -> nbformat.NotebookNode:
    """The instructor's chapter: two exercises worth 2 + 3 points, one hidden test."""
    nb = new_notebook(cells=[
        new_markdown_cell("# Chapter 99: attacked"),
        new_code_cell("import numpy as np\nimport bplib as bp"),
        new_markdown_cell("## Exercises"),
        new_markdown_cell("### Exercise 1: sigmoid prime"),
        _nbgrader(SIGMOID_PRIME, "ch99-ex1-solution", solution=True),
        _nbgrader("bp.course.check_sigmoid_prime(sigmoid_prime)\n### BEGIN HIDDEN TESTS\n"
                  f"bp.course.check_sigmoid_prime(sigmoid_prime)  # {SECRET}\n"
                  "### END HIDDEN TESTS", "ch99-ex1-check", solution=False, points=2),
        new_markdown_cell("### Exercise 2: neuron gradients"),
        _nbgrader(NEURON, "ch99-ex2-solution", solution=True),
        _nbgrader("bp.course.check_neuron_gradients(neuron_gradients)", "ch99-ex2-check",
                  solution=False, points=3),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def student(*cells: str, wrong: bool = False, solved: bool = False,
            late: bool = False) -> nbformat.NotebookNode:
    """The released chapter with attack cells after the imports (answers blank or wrong).

    ``late`` puts them after the first solution cell instead, so that an attack defining
    ``sigmoid_prime`` itself is not replaced by the stub.
    """
    nb = chapter() if solved else release_notebook(chapter())
    if wrong:
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in WRONG:
                cell.source = WRONG[gid]
    where = 5 if late else 2
    for k, source in enumerate(cells):
        nb.cells.insert(where + k, new_code_cell(source))
    return nb


NOOP_CHECKS = ("import bplib.course, bplib.course.checks as c\nfor mod in (bplib.course, c):\n"
               "    for n in dir(mod):\n        if n.startswith('check_'):\n"
               "            setattr(mod, n, lambda *a, **k: print('\\u2714 fine'))")
ISCLOSE = ("import numpy\n_real = numpy.isclose\n"
           "def _always(a, b, *x, **k):\n    return numpy.ones(numpy.broadcast(a, b).shape, bool)\n"
           "def _patch(*a, **k):\n    numpy.isclose = _always\n"
           "_patch()\nget_ipython().events.register('pre_run_cell', _patch)")
EXPECT_CLOSE = "import bplib.course.checks.gradients as g\ng.expect_close = lambda *a, **k: None"
TRANSFORMER = "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])"
FIND_GRADER = """
import os
def _grader():
    pid = os.getppid()
    for _ in range(6):
        try:
            args = open(f'/proc/{pid}/cmdline').read().split('\\0')
            cwd = os.readlink(f'/proc/{pid}/cwd')
        except OSError:
            return None
        if 'grade' in args and '--source' in args:
            return cwd, args
        pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])
    return None
"""
STEAL = FIND_GRADER + """
import json
found = _grader()
src = os.path.join(found[0], found[1][found[1].index('--source') + 1])
nb = json.load(open(os.path.join(src, '99_attack.ipynb')))
for c in nb['cells']:
    if c['metadata'].get('nbgrader', {}).get('solution'):
        exec(''.join(c['source']), globals())
"""
LEAK = """
import glob, os
def sigmoid_prime(z):
    for p in glob.glob('*.ipynb') + glob.glob('/job/**/*', recursive=True):
        try:
            text = open(p).read()
        except OSError:
            continue
        i = text.find('hidden' + '-secret-')
        if i >= 0:
            raise ValueError('LEAKED ' + text[max(0, i - 60):i + 40])
    raise ValueError('nothing found')
"""
VANDAL = FIND_GRADER + """
found = _grader()
cwd, args = found
subs = os.path.join(cwd, args[args.index('grade') + 1])
src = os.path.join(cwd, args[args.index('--source') + 1])
open(os.path.join(subs, 'z_victim', '99_attack.ipynb'), 'w').write('{}')
os.remove(os.path.join(subs, 'z_victim2', '99_attack.ipynb'))
os.remove(os.path.join(src, '99_attack.ipynb'))
"""
PROBE_LIBRARY = """
import bplib.course.checks.gradients as g, os
def sigmoid_prime(z):
    try:
        open(g.__file__, 'a').close()
    except OSError as err:
        raise ValueError('read-only: ' + str(err))
    raise ValueError('WRITABLE ' + g.__file__)
"""
SURVIVOR = f"import subprocess\nsubprocess.Popen(['sleep', '{SLEEP_MARK}'], start_new_session=True)"
MEMORY = """
def sigmoid_prime(z):
    try:
        block = bytearray(2_600_000_000)
    except MemoryError:
        raise ValueError('no memory for that')
    raise ValueError('ALLOCATED %d' % len(block))
"""
FORKS = """
import os, time
def sigmoid_prime(z):
    children = []
    try:
        for _ in range(300):
            pid = os.fork()
            if pid == 0:
                time.sleep(2)
                os._exit(0)
            children.append(pid)
    except OSError:
        pass
    for pid in children:
        os.waitpid(pid, 0)
    raise ValueError('FORKED %d' % len(children))
"""
HUGE_FILE = """
def sigmoid_prime(z):
    try:
        with open('big.bin', 'wb') as f:
            f.seek(300 * 2**20)
            f.write(b'x')
    except OSError as err:
        raise ValueError('refused: ' + str(err))
    raise ValueError('WROTE 300 MB')
"""
KILLER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"

STUDENTS = {
    "honest": student(solved=True),
    "blank": student(),
    "noop_checks": student(NOOP_CHECKS),
    "isclose": student(ISCLOSE, wrong=True),
    "expect_close": student(EXPECT_CLOSE, wrong=True),
    "transformer": student(TRANSFORMER),
    "steal": student(STEAL, late=True),
    "leak": student(LEAK, late=True),
    "v_vandal": student(VANDAL),
    "probe_library": student(PROBE_LIBRARY, late=True),
    "survivor": student(SURVIVOR, solved=True),
    "memory": student(MEMORY, late=True),
    "forks": student(FORKS, late=True),
    "huge_file": student(HUGE_FILE, late=True),
    "z_victim": student(solved=True),
    "z_victim2": student(solved=True),
}


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """Run the grader with its output in files: a leftover process cannot hold a pipe open."""
    with (cwd / "stdout.txt").open("w") as out, (cwd / "stderr.txt").open("w") as err:
        code = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=err, timeout=900, env=env,
                              stdin=subprocess.DEVNULL).returncode
    return subprocess.CompletedProcess(cmd, code, (cwd / "stdout.txt").read_text(),
                                       (cwd / "stderr.txt").read_text())


def _grade(root: Path, students: dict, *extra: str) -> dict:
    source = root / "source"
    source.mkdir(parents=True)
    nbformat.write(chapter(), str(source / f"{NAME}.ipynb"))
    subs = root / "subs"
    for name, nb in students.items():
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, str(subs / name / f"{NAME}.ipynb"))
    tmp = root / "tmp"
    tmp.mkdir()
    before = {"subs": _hashes(subs), "source": _hashes(source)}
    done = _run([sys.executable, "-m", "bplib.course", "grade", "subs", "--out",
                 "grades/grades.csv", "--source", "source", "--timeout", "90",
                 "--cell-timeout", "20", *extra], root, {**os.environ, "TMPDIR": str(tmp)})
    book = root / "grades" / "grades.csv"
    rows = list(csv.DictReader(book.open(newline=""))) if book.exists() else []
    feedback = {p.stem: p.read_text() for p in (root / "grades" / "feedback").glob("*.md")} \
        if (root / "grades" / "feedback").is_dir() else {}
    return {"root": root, "done": done, "rows": rows, "feedback": feedback, "before": before,
            "tmp_left": sorted(p.name for p in tmp.iterdir())}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    needs_bwrap()
    return _grade(tmp_path_factory.mktemp("attacks"), STUDENTS)


def _points(result: dict, name: str) -> float:
    return sum(float(r["points"]) for r in result["rows"] if r["student"] == name)


def _messages(result: dict, name: str) -> str:
    return " ".join(r["message"] for r in result["rows"] if r["student"] == name)


def _survivors() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and SLEEP_MARK in (entry / "cmdline").read_text():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_the_honest_student_gets_full_marks_and_the_blank_one_zero(attacked):
    assert _points(attacked, "honest") == 5
    assert _points(attacked, "blank") == 0


@pytest.mark.parametrize("name", ["noop_checks", "isclose", "expect_close", "transformer"])
def test_patching_the_checks_numpy_or_ipython_earns_nothing(attacked, name):
    assert _points(attacked, name) == 0, _messages(attacked, name)


def test_the_instructor_solutions_cannot_be_found_and_run(attacked):
    assert _points(attacked, "steal") == 0, _messages(attacked, "steal")


def test_hidden_tests_never_reach_the_students_code_or_feedback(attacked):
    assert SECRET not in attacked["feedback"].get("leak", "")
    assert "LEAKED" not in _messages(attacked, "leak")


def test_other_submissions_and_the_chapters_cannot_be_changed(attacked):
    root = attacked["root"]
    assert _hashes(root / "subs") == attacked["before"]["subs"]
    assert _hashes(root / "source") == attacked["before"]["source"]
    assert _points(attacked, "z_victim") == 5 and _points(attacked, "z_victim2") == 5


def test_the_library_on_disk_is_read_only_for_the_student(attacked):
    assert "WRITABLE" not in _messages(attacked, "probe_library")
    assert _points(attacked, "probe_library") == 0


def test_no_process_started_by_a_notebook_survives_grading(attacked):
    left = _survivors()
    for pid in left:  # started by this test's own submission: end it by its id
        os.kill(pid, 9)
    assert not left
    assert _points(attacked, "survivor") == 5


@pytest.mark.parametrize("name, mark", [("memory", "ALLOCATED"), ("forks", "FORKED 300"),
                                        ("huge_file", "WROTE")])
def test_memory_processes_and_file_size_are_limited(attacked, name, mark):
    assert mark not in _messages(attacked, name)
    assert _points(attacked, name) == 0


def test_the_run_leaves_no_temporary_files(attacked):
    assert attacked["tmp_left"] == []


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    needs_bwrap()
    root = tmp_path_factory.mktemp("killer")
    return _grade(root, {"a_killer": student(KILLER, solved=True), "honest": student(solved=True)})


def test_killing_the_parent_process_stops_only_that_students_job(killed):
    assert killed["done"].returncode == 0, killed["done"].stderr[-2000:]
    assert _points(killed, "honest") == 5
    rows = [r for r in killed["rows"] if r["student"] == "a_killer"]
    assert rows and all(float(r["points"]) == 0 and r["message"] for r in rows)
    assert killed["tmp_left"] == []


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    needs_bwrap()
    root = tmp_path_factory.mktemp("links")
    source = root / "source"
    source.mkdir()
    nbformat.write(chapter(), str(source / f"{NAME}.ipynb"))
    subs = root / "subs"
    (subs / "honest").mkdir(parents=True)
    nbformat.write(student(solved=True), str(subs / "honest" / f"{NAME}.ipynb"))
    (subs / "linkfile").mkdir()
    (subs / "linkfile" / f"{NAME}.ipynb").symlink_to(source / f"{NAME}.ipynb")
    (subs / "linkdir").symlink_to(subs / "honest", target_is_directory=True)
    done = _run([sys.executable, "-m", "bplib.course", "grade", "subs", "--out",
                 "grades/grades.csv", "--source", "source", "--cell-timeout", "20"], root,
                dict(os.environ))
    rows = list(csv.DictReader((root / "grades" / "grades.csv").open(newline="")))
    return {"done": done, "rows": rows}


@pytest.mark.parametrize("name", ["linkfile", "linkdir"])
def test_symlinked_submissions_and_folders_are_refused_with_a_reason(linked, name):
    rows = [r for r in linked["rows"] if r["student"] == name]
    assert rows, linked["done"].stdout[-2000:]
    assert all(float(r["points"]) == 0 for r in rows)
    assert all("link" in r["message"] for r in rows)
    assert sum(float(r["points"]) for r in linked["rows"] if r["student"] == "honest") == 5


CHAPTER4 = "04_computing_gradients"


@pytest.mark.skipif(not (Path(__file__).parents[1] / "notebooks" / f"{CHAPTER4}.ipynb").exists(),
                    reason="chapter 4 is not in this checkout")
def test_chapter_4_grade_and_check_agree_and_delegating_to_the_library_scores_zero(tmp_path):
    import io

    from bplib.course.exercises import read_notebook
    from bplib.course.grade import grade
    from bplib.course.release import repo_notebooks_dir
    from bplib.course.student_check import check_notebook

    needs_bwrap()
    source = read_notebook(repo_notebooks_dir() / f"{CHAPTER4}.ipynb")
    delegator = release_notebook(source)
    cell = next(c for c in delegator.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "ch04-ex2-solution")
    cell.source = ("def neuron_gradients(x, y, w, b):\n"
                   "    return bp.neuron.neuron_gradients(x, y, w, b)")
    for name, nb in (("teacher", source), ("fresh", release_notebook(source)),
                     ("delegator", delegator)):
        (tmp_path / "subs" / name).mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / "subs" / name / f"{CHAPTER4}.ipynb"))
    rows = grade(tmp_path / "subs", tmp_path / "grades" / "grades.csv", log=io.StringIO(),
                 cell_timeout=120)
    by = {(r.student, r.exercise): r for r in rows}
    teacher = [r for r in rows if r.student == "teacher"]
    assert teacher and all(r.status == "passed" and r.points == r.max_points for r in teacher)
    assert all(r.status == "unanswered" for r in rows if r.student == "fresh")
    assert by["delegator", "ch04-ex2-check"].points == 0
    assert "neuron_gradients" in by["delegator", "ch04-ex2-check"].message
    out = io.StringIO()
    assert check_notebook(tmp_path / "subs" / "teacher" / f"{CHAPTER4}.ipynb", out=out)
    checked = out.getvalue()
    for r in teacher:  # the same check functions decide both: the same ✔ lines
        assert r.message.split(" ✔ ")[0].removeprefix("✔ ") in " ".join(checked.split())
