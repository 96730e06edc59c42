"""labelworks against the installed peer libraries (``peer`` marker, the peers extra).

Skipped where a peer is not installed, as in the main environment; run them in .venv-peers
(docs/testing.md). Each case also checks that the stored reference value is what the
installed peer computes, so a stale reference_values.json is caught there.
"""

from __future__ import annotations

import pytest
from tests.stats.peers.check import REGENERATE, Check, Params, case_key, load_reference, plain
from tests.stats.peers.regenerate import CHECKS

pytestmark = [
    pytest.mark.peer,
    # irrCAC assigns into DataFrame slices.
    pytest.mark.filterwarnings("ignore:(?s).*set on a copy of a slice"),
]
CASES = [(check, params) for check in CHECKS for params in check.cases]


@pytest.mark.parametrize(
    ("check", "params"), CASES, ids=[f"{c.name}[{case_key(p)}]" for c, p in CASES]
)
def test_labelworks_matches_the_installed_peer(check: Check, params: Params) -> None:
    """labelworks agrees with the installed peer on the seeded input, and the stored value is
    what that peer computes (to 1e-12)."""
    for module in check.peers:
        pytest.importorskip(module)
    data = check.data(params)
    theirs = plain(check.theirs(data, params))
    check.compare(check.ours(data, params), theirs)
    reference = load_reference()
    stored = reference["checks"][check.name]["cases"][case_key(params)]["value"]
    try:
        same_values(stored, theirs)
    except AssertionError as exc:
        raise AssertionError(
            f"the stored value came from {reference['versions']}; the installed peer now "
            f"computes something else: {REGENERATE}\n{exc}"
        ) from None


def same_values(stored: object, live: object) -> None:
    """Equal structure, labels and ints; floats within 1e-12."""
    if isinstance(stored, dict) and isinstance(live, dict):
        assert stored.keys() == live.keys()
        for k in stored:
            same_values(stored[k], live[k])
    elif isinstance(stored, list) and isinstance(live, list):
        assert len(stored) == len(live)
        for a, b in zip(stored, live, strict=True):
            same_values(a, b)
    elif isinstance(stored, float) or isinstance(live, float):
        assert stored == pytest.approx(live, rel=0, abs=1e-12)
    else:
        assert stored == live
