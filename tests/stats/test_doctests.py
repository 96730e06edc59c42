"""Run the worked examples in the statistics modules' docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labelworks.stats.battle_table",
    "labelworks.stats.bootstrap",
    "labelworks.stats.bradley_terry_bootstrap",
    "labelworks.stats.chance",
    "labelworks.stats.disagreement",
    "labelworks.stats.icc",
    "labelworks.stats.krippendorff",
    "labelworks.stats.leaderboard",
    "labelworks.stats.length_control",
    "labelworks.stats.pair_sampling",
    "labelworks.stats.pairwise",
    "labelworks.stats.structured",
    "labelworks.stats.weights",
    "labelworks.stats.aggregation.dawid_skene",
    "labelworks.stats.aggregation.glad",
    "labelworks.stats.aggregation.gold",
    "labelworks.stats.aggregation.mace",
    "labelworks.stats.aggregation.majority",
    "labelworks.stats.ranking",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """Every docstring example in the module runs and prints what it shows."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert (result.failed, result.attempted > 0) == (0, True)
