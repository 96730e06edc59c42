"""labelworks against the peer libraries' stored results, in the main environment.

The peers (crowd-kit, irrCAC, krippendorff, scikit-learn, statsmodels) are not installed
here: they would change the stack under test (irrCAC pins scipy 1.12, crowd-kit needs
pandas < 3). Their results on the seeded inputs are stored in reference_values.json by
``regenerate.py``; each case here recomputes labelworks' side and compares it at the
tolerance the live check uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.stats.peers.check import (
    REGENERATE,
    Check,
    Params,
    case_key,
    fingerprint,
    load_reference,
    plain,
)
from tests.stats.peers.regenerate import CHECKS

from labelworks.stats.aggregation import MajorityVote

REFERENCE = load_reference()
CASES = [(check, params) for check in CHECKS for params in check.cases]
BY_NAME = {check.name: check for check in CHECKS}
# GLAD and MACE are fitted differently from crowd-kit's (neither has a closed form), so they
# are compared on accuracy and agreement; every other check compares numbers and labels.
ACCURACY = ["crowdkit.GLAD", "crowdkit.MACE"]
EXACT = [c for c in CHECKS if c.name not in ACCURACY]


def stored(check: Check, params: Params) -> Any:
    """The stored case (``input`` hash and peer ``value``), or a failure saying to regenerate."""
    case = REFERENCE["checks"].get(check.name, {}).get("cases", {}).get(case_key(params))
    assert case is not None, f"no stored value for {check.name} {case_key(params)}: {REGENERATE}"
    return case


def shifted(value: Any, by: float) -> Any:
    """A copy with every float moved by ``by`` (ints, such as labels, left alone)."""
    if isinstance(value, dict):
        return {k: shifted(v, by) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, by) for v in value]
    return value + by if isinstance(value, float) else value


@pytest.mark.parametrize(
    ("check", "params"), CASES, ids=[f"{c.name}[{case_key(p)}]" for c, p in CASES]
)
def test_labelworks_matches_the_stored_peer_value(check: Check, params: Params) -> None:
    """On the same seeded input labelworks' result equals the stored peer result (the
    check's ``doc`` says what that shows)."""
    case = stored(check, params)
    data = check.data(params)
    assert fingerprint(data) == case["input"], f"the seeded input changed: {REGENERATE}"
    check.compare(check.ours(data, params), case["value"])


def test_the_fixture_holds_exactly_the_registered_cases() -> None:
    """reference_values.json has a value for every case and none for a case that is gone."""
    registered = {(c.name, case_key(p)) for c, p in CASES}
    in_file = {(name, key) for name, c in REFERENCE["checks"].items() for key in c["cases"]}
    assert in_file == registered, REGENERATE


@pytest.mark.parametrize("check", EXACT, ids=[c.name for c in EXACT])
def test_a_result_off_by_a_millionth_fails_the_comparison(check: Check) -> None:
    """labelworks' own result moved by 1e-6 fails each numeric comparison: the stored values
    pin the implementation down rather than wave it through."""
    params = check.cases[0]
    ours = plain(check.ours(check.data(params), params))
    check.compare(ours, stored(check, params)["value"])
    with pytest.raises(AssertionError):
        check.compare(shifted(ours, 1e-6), stored(check, params)["value"])


@pytest.mark.parametrize(
    "name", ["crowdkit.MajorityVote", "crowdkit.Wawa", "crowdkit.DawidSkene",
             "crowdkit.OneCoinDawidSkene", "crowdkit.DawidSkene.anaesthesia"],
)  # fmt: skip
def test_one_changed_label_fails_the_comparison(name: str) -> None:
    """An aggregator whose labels must equal crowd-kit's fails when a single label differs."""
    check = BY_NAME[name]
    params = check.cases[0]
    r = check.data(params)
    ours = plain(check.ours(r, params))
    ours["labels"][0] = next(c for c in r.categories if c != ours["labels"][0])
    with pytest.raises(AssertionError, match="labels"):
        check.compare(ours, stored(check, params)["value"])


@pytest.mark.parametrize("name", ACCURACY)
def test_majority_vote_does_not_pass_for_glad_or_mace(name: str) -> None:
    """Majority vote's labels, a plausible but wrong stand-in, fail the GLAD and MACE checks."""
    check = BY_NAME[name]
    r, truth = check.data({})
    codes = MajorityVote().fit(r).labels_.codes
    wrong = {"labels": [r.categories[c] for c in codes], "accuracy": np.mean(codes == truth)}
    with pytest.raises(AssertionError):
        check.compare(wrong, stored(check, {})["value"])
