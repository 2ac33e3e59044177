"""Every check the exercise cells call is exported from bp.course and listed for delegation."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bplib as bp
import bplib.course.checks as checks_package
from bplib.course.delegation import FORBIDDEN

MODULES = [importlib.import_module(f"bplib.course.checks.{m.name}")
           for m in pkgutil.iter_modules(checks_package.__path__)]
NAMES = [(module, name) for module in MODULES for name in module.__all__]


@pytest.mark.parametrize("module, name", NAMES, ids=[f"{m.__name__.rsplit('.', 1)[1]}.{n}" for m, n in NAMES])
def test_each_name_of_a_checks_module_is_exported_from_bp_course(module, name):
    exported = getattr(bp.course, name)  # check_* are wrapped to record a self-learner's progress
    assert getattr(exported, "__wrapped__", exported) is getattr(module, name)


@pytest.mark.parametrize("module, name", [(m, n) for m, n in NAMES if n.startswith("check_")],
                         ids=[n for _, n in NAMES if n.startswith("check_")])
def test_each_check_says_which_library_names_would_answer_it(module, name):
    assert name in FORBIDDEN, f"add {name} to bplib.course.delegation.FORBIDDEN (() if none)"
