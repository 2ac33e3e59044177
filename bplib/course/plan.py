"""What the sandbox must harvest for each check cell, and the notebook it runs.

The instructor's check cell (with its hidden tests) never goes into the sandbox. From its
syntax tree the grader takes only (1) the student names it reads, (2) the ``check_*`` calls it
makes with their arguments (student names or literals) and (3) direct calls of student
functions whose arguments are literals (``double(-1)`` in a plain ``assert``). In the sandbox
each check cell is replaced by a harvest cell that makes exactly those calls and records the
answers; the judge later runs the instructor's full cell against the record.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import re
from dataclasses import asdict, dataclass, field

from nbformat import NotebookNode

from bplib.course.exercises import grade_id, is_grade

_CHECK = re.compile(r"^check_\w+$")
SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


class PlanError(ValueError):
    """A check cell the grader cannot judge outside the sandbox; the message says why."""


@dataclass
class Step:
    """One call the harvest makes: a ``check_*`` function, or a student function directly."""

    kind: str            # "check" or "call"
    target: str          # check function name, or student function name
    args: list[dict]     # {"name": n} or {"literal": source}
    kwargs: dict[str, dict]
    position: tuple[int, int]


@dataclass
class ExercisePlan:
    """The names a check cell reads from the student and the calls to record for it."""

    grade_id: str
    names: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def file_stem(gid: str) -> str:
    """A file-name-safe form of a grade_id (harvest files are named after it)."""
    return SAFE_ID.sub("_", gid)[:100] or "exercise"


def import_aliases(nb: NotebookNode) -> dict[str, str]:
    """Top-level ``import`` statements of the instructor notebook: alias -> statement source."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    if alias.name != "*":
                        found[name] = ast.unparse(
                            type(node)(**{**node.__dict__, "names": [alias]}))
    return found


def _locals(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name.split(".")[0]) for a in node.names)
    return names


def _literal(node: ast.AST) -> str | None:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return ast.unparse(node)


def _check_name(func: ast.AST, modules: set[str]) -> str | None:
    if isinstance(func, ast.Attribute) and _CHECK.match(func.attr):
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        return func.attr if isinstance(root, ast.Name) and root.id in modules else None
    if isinstance(func, ast.Name) and _CHECK.match(func.id) and func.id in modules:
        return func.id
    return None


def plan_exercise(gid: str, source: str, modules: set[str]) -> ExercisePlan:
    """The harvest plan of one instructor check cell; PlanError if it cannot be judged."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise PlanError(f"check cell {gid} has a syntax error: {err}") from err
    local = _locals(tree) | set(dir(builtins)) | modules
    reads = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                    and isinstance(n.ctx, ast.Load) and n.id not in local})
    plan = ExercisePlan(gid, names=reads)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        check = _check_name(node.func, modules)
        direct = isinstance(node.func, ast.Name) and node.func.id in reads
        if not check and not direct:
            continue
        args: list[dict] = []
        kwargs: dict[str, dict] = {}
        usable = True
        for arg, key in [(a, None) for a in node.args] + [(k.value, k.arg) for k in node.keywords]:
            if isinstance(arg, ast.Name) and arg.id in reads:
                spec = {"name": arg.id}
            elif (lit := _literal(arg)) is not None:
                spec = {"literal": lit}
            else:
                usable = False
                break
            if key is None:
                args.append(spec)
            else:
                kwargs[key] = spec
        if check and not usable:
            raise PlanError(f"check cell {gid}: the arguments of {check}(...) must be names of the "
                            "student's functions or literal values, so the grader can repeat the "
                            "call in the sandbox.")
        if usable:
            plan.steps.append(Step("check" if check else "call", check or node.func.id, args,
                                   kwargs, (node.lineno, node.col_offset)))
    plan.steps.sort(key=lambda s: s.position)
    return plan


def plan_notebook(source: NotebookNode) -> dict[str, ExercisePlan]:
    """Harvest plans for every graded cell of the instructor notebook, by grade_id."""
    modules = set(import_aliases(source))
    return {grade_id(c): plan_exercise(grade_id(c), c.source, modules)
            for c in source.cells if is_grade(c) and grade_id(c)}


def plans_json(plans: dict[str, ExercisePlan]) -> str:
    """The plans as JSON for the sandbox (names and literal inputs only: no expected values)."""
    return json.dumps({gid: asdict(p) for gid, p in plans.items()})


HARVEST_CELL = ("import bplib.course.harvest as _bp_harvest\n"
                "_bp_harvest.harvest_exercise({job!r}, {gid!r})")


def sandbox_notebook(graded: NotebookNode, job: str) -> NotebookNode:
    """The notebook the sandbox runs: every grade cell replaced by its harvest cell.

    ``graded`` must already have the released (hidden-test-free) instructor cells restored.
    """
    nb = copy.deepcopy(graded)
    for cell in nb.cells:
        if cell.cell_type == "code" and is_grade(cell) and grade_id(cell):
            cell.source = HARVEST_CELL.format(job=job, gid=grade_id(cell))
        if cell.cell_type == "code":
            cell.outputs = []
    return nb
