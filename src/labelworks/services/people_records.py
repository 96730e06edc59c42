"""The people report's records and how they are made: what one project's people did in a
period is read once (``gather``, through ``storage.people_stats``) and turned into
figures by the core (``stats.people_team``); the overall report combines several
projects' gatherings person by person.

A record is keyed by the person's email; people with warning signs come first, then
the busiest. Figures are what ``stats.people`` makes them (intervals, "few answers",
percentiles within the people of the report); this module adds who the people are,
their weeks and their Dawid–Skene confusion matrix.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection

from labelworks.domain.consensus import categories_of
from labelworks.domain.period import Period, week_of
from labelworks.domain.spec import ProjectSpec
from labelworks.stats.people import Proportion, confusion_matrices, proportions
from labelworks.stats.people_signs import Sign
from labelworks.stats.people_team import PersonFigures, TeamFigures, TeamInput, team_figures
from labelworks.storage import people_leases as leases_store
from labelworks.storage import people_stats as store
from labelworks.storage.people_leases import LeaseFigures
from labelworks.storage.people_stats import Person
from labelworks.storage.projects import ProjectRow


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week's annotations and gold answers (the team's: pooled, with the median
    person's annotations and gold accuracy that week)."""

    week: str
    annotations: int
    gold: Proportion
    median_annotations: float | None = None
    median_gold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "annotations": self.annotations,
            "gold": self.gold.to_dict(),
            "median_annotations": self.median_annotations,
            "median_gold": self.median_gold,
        }


@dataclass(frozen=True, slots=True)
class Confusion:
    """Dawid–Skene's estimate of how a person answers ``field``: ``matrix[t][g]`` is how
    often they give ``labels[g]`` when the item truly is ``labels[t]``."""

    field: str
    labels: list[str]
    matrix: list[list[float]]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "labels": list(self.labels), "matrix": self.matrix}


@dataclass(frozen=True)
class PersonRecord:
    """One person's figures in a report (``figures``), who they are, their review
    outcomes by status, weeks, confusion matrix (``None``: not estimated) and the warning
    signs, each with the project it came from (``None`` in a project's own report)."""

    email: str
    name: str
    vendor: str | None
    team: str | None
    figures: PersonFigures
    reviews: dict[str, int]
    weeks: list[Week]
    confusion: Confusion | None
    signs: list[tuple[str | None, Sign]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        f = self.figures
        return {
            "email": self.email,
            "name": self.name,
            "vendor": self.vendor,
            "team": self.team,
            "annotations": f.annotations,
            "timed": f.timed,
            "throughput": f.throughput.to_dict(),
            "median_seconds": f.median_seconds,
            "median_seconds_by_kind": dict(f.median_by_kind),
            "gold": f.gold.to_dict(),
            "gold_before": f.gold_before.to_dict(),
            "gold_after": f.gold_after.to_dict(),
            "review": f.review.to_dict(),
            "reviews": dict(self.reviews),
            "agreement": f.agreement.to_dict(),
            "retest": f.retest.to_dict(),
            "percentiles": {k: p.to_dict() for k, p in f.percentiles.items()},
            "warnings": [{**s.to_dict(), "project": p} for p, s in self.signs],
            "weeks": [w.to_dict() for w in self.weeks],
            "confusion": None if self.confusion is None else self.confusion.to_dict(),
        }


@dataclass
class Gathered:
    """One project's period, read: per annotation (user id, seconds), and per user id the
    counts the figures need."""

    project: str
    kind: str
    label_field: str | None
    labels: list[str]
    version: int | None
    annotator: np.ndarray[Any, Any]
    seconds: np.ndarray[Any, Any]
    gold: dict[int, list[int]]  # before right, before, after right, after
    reviews: dict[int, dict[str, int]]
    agreed: dict[int, list[int]]  # right, compared
    retests: dict[int, list[int]]  # same, retested
    label_counts: dict[int, list[int]]
    leases: dict[int, LeaseFigures]
    days: list[tuple[int, str, int]]
    gold_days: list[tuple[int, str, int, int]]
    confusions: dict[int, list[list[float]]]
    # The median seconds from lease to submit of the period's newest submits.
    typical_lease: float | None = None

    def user_ids(self) -> set[int]:
        found = set(np.unique(self.annotator).tolist())
        for part in (self.gold, self.reviews, self.retests, self.leases):
            found.update(part)
        return found


def kind_of(spec: ProjectSpec) -> str:
    """The kind of task a project's items are: its fields' kinds, e.g. ``choice+spans``."""
    return "+".join(sorted({f.kind for f in spec.fields})) or "none"


def gather(
    conn: Connection, project: ProjectRow, spec: ProjectSpec, period: Period, wall: str | None
) -> Gathered:
    """Everything the project's report needs for ``period`` behind ``wall``."""
    since, until = period.since, period.until
    first = next((f for f in spec.fields if categories_of(f) is not None), None)
    categories = [] if first is None else list(categories_of(first) or [])
    labels = [str(c) for c in categories]
    field_name = None if first is None else first.name
    rows = store.annotation_rows(conn, project.id, since, until, wall, field_name, categories)
    version = store.newest_guideline_change(conn, project.id)
    gold: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for who, correct, after, n in store.gold_counts(conn, project.id, since, until, wall, version):
        slot = 2 if after else 0
        gold[who][slot + 1] += n
        if correct:
            gold[who][slot] += n
    review_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for who, status, n in store.review_counts(conn, project.id, since, until, wall):
        review_counts[who][status] = n
    retested: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for who, same in store.retest_pairs(conn, project.id, since, until, wall):
        retested[who][0] += int(same)
        retested[who][1] += 1
    label_counts: dict[int, list[int]] = {}
    agreed: dict[int, list[int]] = {}
    confusions: dict[int, list[list[float]]] = {}
    if field_name is not None:
        finals = store.final_codes(conn, project.id, field_name, categories)
        gold_ids = store.gold_items(conn, project.id)
        label_counts, agreed, confusions = _label_figures(rows, len(labels), finals, gold_ids)
    leases = {
        f.annotator: f for f in leases_store.lease_figures(conn, project.id, since, until, wall)
    }
    held_for = leases_store.lease_to_submit(conn, project.id, since, until, wall)
    return Gathered(
        project=project.name,
        kind=kind_of(spec),
        label_field=field_name,
        labels=labels,
        version=version,
        annotator=rows.annotator,
        seconds=rows.seconds,
        gold=dict(gold),
        reviews=dict(review_counts),
        agreed=agreed,
        retests=dict(retested),
        label_counts=label_counts,
        leases=leases,
        days=store.per_day(conn, project.id, since, until, wall),
        gold_days=store.gold_per_day(conn, project.id, since, until, wall),
        confusions=confusions,
        typical_lease=float(np.median(held_for)) if held_for else None,
    )


def _label_figures(
    rows: store.AnnotationRows,
    n_labels: int,
    finals: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
    gold_ids: np.ndarray[Any, Any],
) -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, list[list[float]]]]:
    """Per user id: how often they gave each label, their answers that matched the final
    label of those compared, and their Dawid–Skene confusion matrix (ordinary items)."""
    given = rows.label
    users, person = np.unique(rows.annotator, return_inverse=True)
    has = given >= 0
    counts = np.zeros((users.size, n_labels), dtype=np.int64)
    np.add.at(counts, (person[has], given[has]), 1)
    final_items, final_labels = finals
    # Each annotation's item looked up among the decided items (sorted ids).
    at = np.searchsorted(final_items, rows.item)
    found = at < final_items.size
    found[found] = final_items[at[found]] == rows.item[found]
    final = np.full(rows.item.size, -1, dtype=np.int64)
    final[found] = final_labels[at[found]]
    compared = has & (final >= 0)
    right = np.bincount(
        person[compared], weights=given[compared] == final[compared], minlength=users.size
    )
    total = np.bincount(person[compared], minlength=users.size)
    ordinary = has & ~np.isin(rows.item, gold_ids)
    matrices = confusion_matrices(
        rows.item[ordinary], person[ordinary], given[ordinary], users.size, n_labels
    )
    ids = users.tolist()
    return (
        {u: counts[k].tolist() for k, u in enumerate(ids)},
        {u: [int(right[k]), int(total[k])] for k, u in enumerate(ids)},
        {
            u: np.round(matrices[k], 6).tolist()
            for k, u in enumerate(ids)
            if not np.isnan(matrices[k]).any()
        },
    )


def figures(
    parts: list[Gathered], people: list[Person], now: datetime, floor: float | None = None
) -> tuple[TeamFigures, list[PersonRecord], list[Week]]:
    """The team's figures, each person's record and the team's weeks from one or more
    projects' gatherings (several: the overall report, where straight-lining and the
    guideline drop are each project's own and come from ``signs_of``)."""
    index = {p.id: k for k, p in enumerate(people)}
    n = len(people)
    kinds = sorted({g.kind for g in parts})
    one = parts[0] if len(parts) == 1 else None
    labels = one.labels if one is not None else []
    data = TeamInput.empty(n, kinds, labels)
    annotator = np.concatenate([_indices(g.annotator, index) for g in parts] or [np.zeros(0)])
    kind = np.concatenate(
        [np.full(g.annotator.size, kinds.index(g.kind)) for g in parts] or [np.zeros(0)]
    )

    def summed(attr: str, width: int) -> np.ndarray[Any, Any]:
        out = np.zeros((n, width), dtype=np.int64)
        for g in parts:
            for who, values in getattr(g, attr).items():
                if who in index:
                    out[index[who]] += np.asarray(values, dtype=np.int64)
        return out

    gold = summed("gold", 4)
    agreed = summed("agreed", 2)
    retests = summed("retests", 2)
    review = np.zeros((n, 2), dtype=np.int64)
    outcomes: list[dict[str, int]] = [defaultdict(int) for _ in range(n)]
    for g in parts:
        for who, statuses in g.reviews.items():
            if who in index:
                for status, count in statuses.items():
                    outcomes[index[who]][status] += count
    for k, o in enumerate(outcomes):
        review[k] = [
            o.get("accepted", 0),
            o.get("accepted", 0) + o.get("rejected", 0) + o.get("fixed", 0),
        ]
    held = np.full(n, np.nan)
    lapsed = np.zeros(n, dtype=np.int64)
    taken = np.zeros(n, dtype=np.int64)
    typicals = [g.typical_lease for g in parts if g.typical_lease is not None]
    for g in parts:
        for who, lease in g.leases.items():
            if who not in index:
                continue
            k = index[who]
            taken[k] += lease.taken
            lapsed[k] += lease.lapsed
            if lease.holding_since is not None:
                age = (now - lease.holding_since).total_seconds()
                held[k] = age if np.isnan(held[k]) else max(held[k], age)
    data = replace(
        data,
        annotator=annotator.astype(np.int64),
        seconds=np.concatenate([g.seconds for g in parts] or [np.zeros(0)]),
        kind=kind.astype(np.int64),
        gold_before_correct=gold[:, 0],
        gold_before_total=gold[:, 1],
        gold_after_correct=gold[:, 2],
        gold_after_total=gold[:, 3],
        review_accepted=review[:, 0],
        review_decided=review[:, 1],
        final_agreed=agreed[:, 0],
        final_compared=agreed[:, 1],
        retest_same=retests[:, 0],
        retest_total=retests[:, 1],
        label_counts=summed("label_counts", len(labels)) if one else data.label_counts,
        held_seconds=held,
        lapsed=lapsed,
        leases=taken,
        typical_lease_seconds=float(np.median(typicals)) if typicals else None,
        version=one.version if one else None,
        floor_seconds=floor,
    )
    team = team_figures(data)
    weeks, team_weeks = _weeks(parts, index, n)
    records = []
    for k, person in enumerate(people):
        confusion = None
        if one is not None and one.label_field and person.id in one.confusions:
            confusion = Confusion(one.label_field, one.labels, one.confusions[person.id])
        mine = team.people[k]
        records.append(
            PersonRecord(
                email=person.email,
                name=person.name,
                vendor=person.vendor,
                team=person.team,
                figures=mine,
                reviews={
                    s: outcomes[k].get(s, 0) for s in ("accepted", "rejected", "fixed", "pending")
                },
                weeks=weeks[k],
                confusion=confusion,
                signs=[(None, s) for s in mine.signs] if one is not None else [],
            )
        )
    return team, records, team_weeks


def _indices(user_ids: np.ndarray[Any, Any], index: dict[int, int]) -> np.ndarray[Any, Any]:
    """Each user id's position in the report (every id must be in ``index``)."""
    keys = np.fromiter(index, dtype=np.int64, count=len(index))
    order = np.argsort(keys)
    positions = np.fromiter(index.values(), dtype=np.int64, count=len(index))[order]
    return positions[np.searchsorted(keys[order], user_ids)]


def _weeks(
    parts: list[Gathered], index: dict[int, int], n: int
) -> tuple[list[list[Week]], list[Week]]:
    """Each person's weeks and the team's, from the days the gatherings counted."""
    per: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    weeks: dict[str, str] = {}

    def week(day: str) -> str:
        found = weeks.get(day)
        if found is None:
            found = weeks[day] = week_of(date.fromisoformat(day))
        return found

    for g in parts:
        for who, day, count in g.days:
            if who in index:
                per[(index[who], week(day))][0] += count
        for who, day, right, answered in g.gold_days:
            if who in index:
                slot = per[(index[who], week(day))]
                slot[1] += right
                slot[2] += answered
    keys = sorted(per, key=lambda k: (k[1], k[0]))
    shares = proportions([per[k][1] for k in keys], [per[k][2] for k in keys])
    people: list[list[Week]] = [[] for _ in range(n)]
    by_week: dict[str, list[Week]] = defaultdict(list)
    for key, share in zip(keys, shares, strict=True):
        found = Week(key[1], per[key][0], share)
        people[key[0]].append(found)
        by_week[key[1]].append(found)
    names = sorted(by_week)
    pooled = proportions(
        [sum(w.gold.successes for w in by_week[x]) for x in names],
        [sum(w.gold.trials for w in by_week[x]) for x in names],
    )
    team = []
    for name, share in zip(names, pooled, strict=True):
        mine = by_week[name]
        accuracies = [w.gold.value for w in mine if w.gold.value is not None]
        team.append(
            Week(
                name,
                sum(w.annotations for w in mine),
                share,
                float(np.median([w.annotations for w in mine])),
                float(np.median(accuracies)) if accuracies else None,
            )
        )
    return people, team


def ordered(records: list[PersonRecord]) -> list[PersonRecord]:
    """People with warning signs first, then the busiest, then by email."""
    return sorted(records, key=lambda r: (not r.signs, -r.figures.annotations, r.email))
