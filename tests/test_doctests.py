"""The examples in docstrings run and print what they say they print."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dosecal

# __main__ runs the command line when imported; migrations.env is a script Alembic runs
# inside a migration, with its context set up.
SCRIPTS = {"dosecal.__main__", "dosecal.service.migrations.env"}
MODULES = sorted(m.name for m in pkgutil.walk_packages(dosecal.__path__, "dosecal.") if m.name not in SCRIPTS)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_dosing_examples_are_among_them() -> None:
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for t in finder.find(importlib.import_module("dosecal.core.dosing")))
    assert examples >= 3
