"""Which final labels a labels=final export reads from a record: decided ones only."""

from __future__ import annotations

from typing import Any

from labelworks.formats.labelled_records import Labelling, labellings, with_decided_final


def _record(final: dict[str, Any]) -> dict[str, Any]:
    return {"id": 1, "payload": {}, "annotations": [], "final": final}


def test_a_final_label_awaiting_adjudication_is_no_label_yet() -> None:
    """final and adjudicated labels (and one naming no status) are read; a proposal
    awaiting adjudication is taken out of the record and gives no labelling."""
    value = {"topic": "sport"}
    given = {
        status: _record({"value": value, "status": status})
        for status in ("final", "adjudicated", "adjudication")
    }
    unnamed = _record({"value": value})
    assert [with_decided_final(given[s]) for s in given] + [with_decided_final(unnamed)] == [
        given["final"],
        given["adjudicated"],
        {"id": 1, "payload": {}, "annotations": []},
        unnamed,
    ]
    assert [labellings(r, "final") for r in (*given.values(), unnamed)] == [
        [Labelling(None, None, None, value)],
        [Labelling(None, None, None, value)],
        [],
        [Labelling(None, None, None, value)],
    ]
