"""What one peer cross-check is made of, and the stored reference values.

A :class:`Check` names a seeded input, how labelworks computes a result on it, how the peer
library computes the same thing, and how closely the two must agree. The same checks serve
three places: ``test_reference_values.py`` (main environment, against the values stored in
``reference_values.json``), ``test_live_peers.py`` (``peer`` marker, against the installed
peer) and ``regenerate.py`` (writes ``reference_values.json`` from the installed peers).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelworks.stats import Ratings

REFERENCE_PATH = Path(__file__).with_name("reference_values.json")
REGENERATE = "python -m tests.stats.peers.regenerate (in .venv-peers, see docs/testing.md)"

Params = dict[str, Any]
Compare = Callable[[Any, Any], None]


@dataclass(frozen=True)
class Check:
    """One cross-check, run on every parameter set in ``cases``."""

    name: str  # key in reference_values.json
    doc: str  # what agreeing with the peer shows
    peers: tuple[str, ...]  # modules the peer side imports (skipped when one is missing)
    cases: tuple[Params, ...]
    data: Callable[[Params], Any]  # the seeded input
    ours: Callable[[Any, Params], Any]  # labelworks' result, JSON-shaped
    theirs: Callable[[Any, Params], Any]  # the peer's result, JSON-shaped
    compare: Compare  # compare(ours, reference) raises AssertionError on a mismatch


def grid(**axes: Iterable[Any]) -> tuple[Params, ...]:
    """Every combination of the given parameter values, in a stable order."""
    names = list(axes)
    return tuple(
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes.values())
    )


def case_key(params: Params) -> str:
    """The stable string a parameter set is stored under, e.g. ``level=nominal,seed=0``."""
    return ",".join(f"{k}={v}" for k, v in params.items()) or "default"


def plain(value: Any) -> Any:
    """numpy scalars and arrays as the Python floats, ints and lists JSON stores."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def fingerprint(data: Any) -> str:
    """A short hash of an input, stored beside each value: if a seeded generator ever draws a
    different input (a numpy stream change, an edit to simulate_crowd), the fixture test says
    so instead of reporting a numerical mismatch."""

    def canonical(x: Any) -> Any:
        if isinstance(x, Ratings):
            return [x.items, x.annotators, x.categories, x.item, x.annotator, x.label]
        if isinstance(x, tuple | list):
            return [canonical(v) for v in x]
        return plain(x)

    text = json.dumps(plain(canonical(data)), default=repr, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def close(atol: float) -> Compare:
    """Element-wise agreement within ``atol`` (numbers or nested lists of numbers)."""

    def compare(ours: Any, reference: Any) -> None:
        np.testing.assert_allclose(
            np.asarray(ours, dtype=float), np.asarray(reference, dtype=float), rtol=0, atol=atol
        )

    return compare


def equal(ours: Any, reference: Any) -> None:
    """Exact equality (labels)."""
    assert plain(ours) == reference


def fields(**compares: Compare) -> Compare:
    """Compare a dict result field by field, each with its own rule."""

    def compare(ours: Any, reference: Any) -> None:
        assert set(reference) == set(compares), f"fields {sorted(reference)}"
        for name, rule in compares.items():
            try:
                rule(ours[name], reference[name])
            except AssertionError as exc:
                raise AssertionError(f"field {name!r}: {exc}") from None

    return compare


def load_reference() -> dict[str, Any]:
    """The stored reference values: ``["checks"][name]["cases"][case_key]`` holds the
    ``input`` hash and the peer's ``value``; ``["versions"]`` the libraries used."""
    with REFERENCE_PATH.open(encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


def all_cases(checks: Iterable[Check]) -> Iterator[tuple[Check, Params]]:
    """Every (check, parameter set) pair."""
    for check in checks:
        for params in check.cases:
            yield check, params
