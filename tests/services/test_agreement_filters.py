"""Agreement over a period and a vendor, behind vendor walls, and on a spans field, through
the service layer on every database: each filtered report equals the stats core on the
annotations the filters keep (read back from the database with their moments and vendors),
a vendor's staff read their own vendor's annotations only, the cache keeps one report per
filters, and a spans field's F1 is the stats core's."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.services.agreement_world import ANNOTATORS, LABELS, SPEC, AgreementWorld, build

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.domain.spec import spec_from_dict
from labelworks.services import agreement
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.stats.agreement import bootstrap_ci, krippendorff_alpha, segment_agreement
from labelworks.stats.ratings import Ratings
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, users

VENDOR = {email: vendor for email, vendor, _ in ANNOTATORS}


def _votes(db: Database) -> list[tuple[int, str, dict[str, Any], datetime]]:
    """Every annotation as stored: (item, annotator email, value, submitted at)."""
    a = annotations_table
    query = (
        select(a.c.item_id, users.c.email, a.c.value, a.c.created_at)
        .join(users, users.c.id == a.c.annotator_id)
        .order_by(a.c.item_id, a.c.id)
    )
    with db.read() as conn:
        return [(int(i), str(e), json.loads(v), t) for i, e, v, t in conn.execute(query)]


def _alpha(votes: list[tuple[int, str, dict[str, Any], datetime]]) -> dict[str, Any]:
    """The stats core's alpha with its interval on the sentiment labels of ``votes``, on the
    items with two or more of them."""
    per_item: dict[int, int] = {}
    for item, *_ in votes:
        per_item[item] = per_item.get(item, 0) + 1
    records = [(i, e, v["sentiment"]) for i, e, v, _ in votes if per_item[i] >= 2]
    r = Ratings.from_records(records, categories=LABELS)
    value, low, high = bootstrap_ci(krippendorff_alpha, r, n_resamples=1000, seed=20260601)
    return {"value": value, "low": low, "high": high, "items": r.n_items}


def _got(report: agreement.AgreementReport) -> dict[str, Any]:
    field = report.to_dict()["fields"]["sentiment"]
    return {**field["krippendorff_alpha"], "items": field["items"]}


@pytest.fixture
def world(db: Database) -> AgreementWorld:
    return build(db, n_items=45)


def test_a_period_and_a_vendor_keep_exactly_their_annotations(
    db: Database, world: AgreementWorld
) -> None:
    """since/until keep the annotations submitted in [since, until), vendor those of its
    people; each report equals the stats core on those annotations, and each differs from
    the unfiltered one."""
    votes = _votes(db)
    since, until = world.now - timedelta(days=30), world.now - timedelta(days=10)
    cases = {
        "all": ({}, votes),
        "period": (
            {"since": since, "until": until},
            [v for v in votes if since <= v[3] < until],
        ),
        "since": ({"since": since}, [v for v in votes if v[3] >= since]),
        "globex": ({"vendor": "globex"}, [v for v in votes if VENDOR[v[1]] == "globex"]),
        "acme, until": (
            {"vendor": "acme", "until": until},
            [v for v in votes if VENDOR[v[1]] == "acme" and v[3] < until],
        ),
    }
    got = {
        name: _got(agreement.project_agreement(db, world.project, **filters))
        for name, (filters, _) in cases.items()
    }
    expected = {name: _alpha(kept) for name, (_, kept) in cases.items()}
    assert {name: pytest.approx(g) for name, g in got.items()} == expected
    assert len({g["items"] for g in got.values()}) == len(cases)
    filtered = agreement.project_agreement(db, world.project, since=since, vendor="acme")
    assert filtered.to_dict()["filters"] == {
        "since": since.isoformat(),
        "until": None,
        "vendor": "acme",
    }


def test_every_figure_of_a_vendor_names_only_its_people(
    db: Database, world: AgreementWorld
) -> None:
    """Pairs, each annotator against the rest and the contested items' votes of a vendor's
    report hold that vendor's annotators only."""
    report = agreement.project_agreement(db, world.project, vendor="acme").to_dict()
    field = report["fields"]["sentiment"]
    seen = {
        *field["pairwise"]["annotators"],
        *(a["annotator"] for a in field["annotator_agreement"]),
        *(v["annotator"] for c in field["contested"] for v in c["votes"]),
        *report["fields"]["names"]["structured"]["annotators"],
    }
    assert seen == {e for e, v in VENDOR.items() if v == "acme"}


def test_vendor_staff_read_their_own_vendor_only(db: Database, world: AgreementWorld) -> None:
    """A vendor's manager gets the report of their vendor's annotations (as an admin's
    vendor filter gives it), may name their own vendor, and is refused another; a reviewer
    outside any vendor reads everything."""
    lead = add_user(
        db, "lead@acme.example", role="manager", projects=[world.project], vendor="acme"
    )
    walled = Actor(lead.user.id, "lead@acme.example", Role.MANAGER, "acme")
    reviewer = add_user(db, "r@example.com", role="reviewer", projects=[world.project])
    theirs = agreement.project_agreement(db, world.project, actor=walled)
    named = agreement.project_agreement(db, world.project, vendor="acme", actor=walled)
    with pytest.raises(PermissionDenied) as refused:
        agreement.project_agreement(db, world.project, vendor="globex", actor=walled)
    by_reviewer = agreement.project_agreement(
        db, world.project, actor=Actor(reviewer.user.id, "r@example.com", Role.REVIEWER)
    )
    assert theirs == named == agreement.project_agreement(db, world.project, vendor="acme")
    assert refused.value.message == "behind a vendor wall you read acme's work only"
    assert by_reviewer == agreement.project_agreement(db, world.project)
    # 135 annotations, the newest with id 135: the state a page hands to kept_agreement.
    assert agreement.agreement_choices(db, world.project, actor=walled) == agreement.Choices(
        ["sentiment", "names"], ["acme"], 135, (135, 135)
    )
    assert agreement.agreement_choices(db, world.project).vendors == ["acme", "globex"]


def test_bad_filters_are_refused_saying_why(db: Database, world: AgreementWorld) -> None:
    """An unknown vendor (or one no database could hold), since not before until and a
    date that is not one are InvalidInput naming what is wrong."""
    t = world.now
    refusals = []
    for call in (
        lambda: agreement.project_agreement(db, world.project, vendor="initech"),
        lambda: agreement.project_agreement(db, world.project, vendor="ac\x00me"),
        lambda: agreement.project_agreement(db, world.project, since=t, until=t),
        lambda: agreement.moment("2026-02-30", "since"),
        lambda: agreement.moment("x" * 5000, "until"),
    ):
        with pytest.raises(InvalidInput) as refused:
            call()
        refusals.append(refused.value.message)
    assert refusals == [
        "unknown vendor 'initech'",
        "unknown vendor 'ac\\x00me'",
        "since must be before until",
        "since must be a date such as 2026-01-31 or 2026-01-31T12:00, not '2026-02-30'",
        f"until must be a date such as 2026-01-31 or 2026-01-31T12:00, not '{'x' * 40}…'",
    ]
    assert agreement.moment("2026-01-31T12:00+02:00", "since") == datetime(2026, 1, 31, 10, 0)


def test_the_cache_keeps_one_report_per_filters(db: Database, world: AgreementWorld) -> None:
    """Each filter set is kept apart: asking again returns the same report object; the
    page's poll (kept_agreement) finds the whole report with those filters, and one field
    of it."""
    since = world.now - timedelta(days=7)
    whole = agreement.project_agreement(db, world.project)
    week = agreement.project_agreement(db, world.project, since=since)
    assert week is not whole and week != whole
    assert agreement.project_agreement(db, world.project, since=since) is week
    assert agreement.kept_agreement(db, world.project, since=since) is week
    assert agreement.kept_agreement(db, world.project, vendor="globex") is None
    one = agreement.kept_agreement(db, world.project, field="names", since=since)
    assert one is not None and one.fields == [week.fields[1]]


def test_a_spans_field_is_the_stats_cores_pairwise_f1(db: Database, world: AgreementWorld) -> None:
    """The spans field's F1, overall, per pair and per annotator, is the stats core's
    segment F1 (same label, IoU >= 0.5) over the same answers; it has no alpha."""
    records, annotated = [], []
    for item, email, value, _ in _votes(db):
        annotated.append((item, email))
        records += [(item, email, o["start"], o["end"], o["label"]) for o in value["names"]]
    s = segment_agreement(records, iou=0.5, annotated=annotated)
    field = agreement.project_agreement(db, world.project, field="names").to_dict()["fields"]
    got = field["names"]
    pooled = [2 * s.matched[i].sum() / s.marked[i].sum() for i in range(len(s.annotators))]
    assert (got["level"], got["krippendorff_alpha"], got["items"]) == (
        None,
        {"value": None, "low": None, "high": None},
        45,
    )
    assert got["structured"] == {
        "match": "same label, IoU >= 0.5",
        "f1": pytest.approx(s.overall()),
        "items": 45,
        "sampled": False,
        "annotators": s.annotators,
        "pair_f1": [[None if x != x else pytest.approx(x) for x in row] for row in s.f1.tolist()],
        "shared": s.shared_items.tolist(),
        "annotator_f1": pytest.approx(pooled),
    }


def test_answers_a_structured_field_cannot_read_leave_it_unmeasured(db: Database) -> None:
    """Objects without coordinates (say, given before the field became a spans field) leave
    the field's F1 undefined instead of failing the report."""
    world = build(db, n_items=6)
    boxes = {"name": "names", "kind": "boxes", "labels": ["PER", "ORG"], "source": "text"}
    spec = {**SPEC, "fields": [SPEC["fields"][0], boxes]}
    apply_spec(db, spec_from_dict(spec), guidelines=None, force=True)
    report = agreement.project_agreement(db, world.project)
    assert [(f.field, f.kind, f.structured) for f in report.fields][1] == ("names", "boxes", None)
