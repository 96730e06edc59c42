"""Run the worked examples in the planning modules' docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labelworks.planning.forecast",
    "labelworks.planning.sample_size",
    "labelworks.planning.scenario",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """Every docstring example in the module runs and prints what it shows."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert (result.failed, result.attempted > 0) == (0, True)
