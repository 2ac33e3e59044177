"""Shared pytest fixtures: seeded random generators and a gradient-check helper."""

from __future__ import annotations

import numpy as np
import pytest

# Largest relative error seen by the ``assert_gradcheck`` fixture in this session (for the summary).
_GRADCHECK_MAX = {"error": None}


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed, so every test sees the same numbers."""
    return np.random.default_rng(0)


@pytest.fixture
def make_rng():
    """Factory for further seeded generators: ``make_rng(seed)``."""
    return np.random.default_rng


@pytest.fixture
def assert_gradcheck():
    """``assert_gradcheck(fn, inputs, **kw)`` runs ``gradcheck`` and asserts that it passes."""
    from bplib.gradcheck import gradcheck

    def check(fn, inputs, **kwargs):
        report = gradcheck(fn, inputs, **kwargs)
        previous = _GRADCHECK_MAX["error"]
        _GRADCHECK_MAX["error"] = (
            report.max_error if previous is None else max(previous, report.max_error)
        )
        assert report.ok, repr(report)
        return report

    return check


def pytest_terminal_summary(terminalreporter):
    if _GRADCHECK_MAX["error"] is not None:
        terminalreporter.write_line(
            f"largest gradcheck relative error: {_GRADCHECK_MAX['error']:.2e}"
        )
