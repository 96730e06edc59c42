"""A crowd simulator: a project run end to end through the real service layer, in a
throwaway database, by simulated annotators — to choose overlap, gold rate and thresholds
before paying a vendor, and to prove that the quality settings work.

Every simulated annotator has an accuracy (honest: uniform in ``skill``; a wrong answer is
another class at random), an optional drift (accuracy lost per 1,000 tasks) and a speed (a
mean seconds per task, lognormal around it); spammers answer at random or always the same
label. Annotators work in simulated time, each leasing its next task when it finished the
last, so the leases interleave as they would on a real project. Gold items (honeypots) are
imported with their expert answers; ``auto_pause`` pauses whom it pauses; a qualification
test is taken before live work, and whom it blocks stops; dynamic overlap and consensus
decide the final labels, refitted once at the end as a delivery would.

The same items and the same crowd are then run under fixed overlap 3 with majority vote and
no gold (``baseline``), and the report sets the two side by side.
"""

from __future__ import annotations

import heapq
import io
import json
import math
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from labelworks.domain.access import Actor, Role
from labelworks.domain.consensus import categories_of
from labelworks.domain.errors import AnnotatorPaused, InvalidInput, NotQualified
from labelworks.domain.fields import ChoiceField
from labelworks.domain.spec import ProjectSpec, QualitySpec, spec_from_dict
from labelworks.services import consensus, ingestion
from labelworks.services import projects as project_service
from labelworks.services import users as user_service
from labelworks.services.adjudication import adjudicate, adjudication_queue
from labelworks.services.assignment import Task, next_task_for, submit_annotation
from labelworks.services.gold import requeue_annotations
from labelworks.storage import consensus as consensus_store
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade
from labelworks.storage.tables import (
    annotations_table,
    items,
    late_submissions,
    memberships,
    retests,
    set_aside_annotations,
)

MAX_ITEMS = 1_000_000
MAX_ROUNDS = 6
MAX_ANNOTATORS = 10_000
START = datetime(2026, 1, 5, 9, 0, 0)
# The keys every task carries; a gold task with anything else (or less) would leak.
TASK_KEYS = frozenset(Task.__slots__)


@dataclass(frozen=True, slots=True)
class CrowdSettings:
    items: int = 1000
    annotators: int = 30
    spammers: float = 0.1
    skill: tuple[float, float] = (0.6, 0.95)
    classes: int | None = None
    drift: float = 0.0
    gold_items: int | None = None
    expert_skill: float = 0.98
    seed: int = 0

    def check(self) -> None:
        low, high = self.skill
        problems = [
            (not 1 <= self.items <= MAX_ITEMS, f"--items must be 1 to {MAX_ITEMS:,}"),
            (
                not 1 <= self.annotators <= MAX_ANNOTATORS,
                f"--annotators must be 1 to {MAX_ANNOTATORS:,}",
            ),
            (not 0 <= self.spammers < 1, "--spammers must be a share from 0 to below 1"),
            (not 0 <= low <= high <= 1, "--skill must be LOW:HIGH with 0 <= LOW <= HIGH <= 1"),
            (
                self.classes is not None and not 2 <= self.classes <= 100,
                "--classes must be 2 to 100",
            ),
            (not 0 <= self.drift <= 1, "--drift must be 0 to 1 (accuracy lost per 1,000 tasks)"),
            (
                self.gold_items is not None and not 0 <= self.gold_items <= MAX_ITEMS,
                f"--gold-items must be 0 to {MAX_ITEMS:,}",
            ),
            (not 0 <= self.expert_skill <= 1, "--expert-skill must be 0 to 1"),
        ]
        for bad, message in problems:
            if bad:
                raise InvalidInput(message)


@dataclass(frozen=True, slots=True)
class Annotator:
    spammer: str | None  # None (honest), "random" or "constant"
    accuracy: float
    drift: float
    seconds: float
    seed: int


@dataclass
class RunResult:
    accuracy: float
    annotations_per_item: float
    paused: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)
    gold_leaks: int = 0
    lost: int = 0
    adjudication: int = 0
    annotations: int = 0
    seconds: float = 0.0


def crowd(settings: CrowdSettings) -> list[Annotator]:
    """The simulated annotators, the same for a seed."""
    rng = random.Random(settings.seed)
    n_spam = round(settings.annotators * settings.spammers)
    low, high = settings.skill
    out = []
    for k in range(settings.annotators):
        spammer = ("random", "constant")[k % 2] if k < n_spam else None
        out.append(
            Annotator(
                spammer=spammer,
                accuracy=rng.uniform(low, high),
                drift=settings.drift,
                seconds=rng.uniform(5.0, 30.0),
                seed=rng.randrange(2**31),
            )
        )
    rng.shuffle(out)
    return out


def simulation_spec(spec: ProjectSpec, classes: int | None) -> tuple[ProjectSpec, str, list[Any]]:
    """The spec to run: the spec's first choice field is labelled (``classes`` replaces the
    fields by one choice field of that many classes)."""
    if classes is None:
        for f in spec.fields:
            if isinstance(f, ChoiceField) and f.when is None:
                cats = categories_of(f) or []
                return spec, f.name, cats
        classes = 5
    labels = [f"class-{k}" for k in range(classes)]
    data = spec.model_dump(mode="json", exclude_none=True, by_alias=True)
    data["fields"] = [{"name": "label", "kind": "choice", "labels": labels}]
    return spec_from_dict(data), "label", labels


def default_gold_items(quality: QualitySpec, items: int) -> int:
    """Gold items when ``--gold-items`` is not given: 5% of the items and at least 50 with
    a ``gold_rate``, plus fresh questions for every attempt of a qualification test."""
    n = min(items, max(50, round(0.05 * items))) if quality.gold_rate else 0
    test = quality.qualification
    return n if test is None else n + test.items * (test.retries + 1)


def simulate(
    spec: ProjectSpec,
    settings: CrowdSettings,
    *,
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the project's quality settings and the fixed-overlap baseline on one crowd."""
    settings.check()
    run_spec, field_name, labels = simulation_spec(spec, settings.classes)
    people = crowd(settings)
    rng = random.Random(settings.seed + 1)
    truth = [rng.randrange(len(labels)) for _ in range(settings.items)]
    n_gold = settings.gold_items
    if n_gold is None:
        n_gold = default_gold_items(run_spec.quality, settings.items)
    gold_truth = [rng.randrange(len(labels)) for _ in range(n_gold)]
    if progress:
        progress("quality settings")
    ours = _run(run_spec, field_name, labels, people, truth, gold_truth, settings.expert_skill)
    quality: dict[str, Any] = run_spec.quality.model_dump(
        mode="json", exclude_none=True, by_alias=True
    )
    report: dict[str, Any] = {
        "accuracy": ours.accuracy,
        "annotations_per_item": ours.annotations_per_item,
        "spammers": sum(1 for p in people if p.spammer),
        "spammers_paused": sum(1 for k in ours.paused if people[k].spammer),
        "honest_paused": sum(1 for k in ours.paused if not people[k].spammer),
        "spammers_blocked": sum(1 for k in ours.blocked if people[k].spammer),
        "honest_blocked": sum(1 for k in ours.blocked if not people[k].spammer),
        "gold_leaks": ours.gold_leaks,
        "lost": ours.lost,
        "adjudication": ours.adjudication,
        "items": settings.items,
        "gold_items": n_gold,
        "annotators": settings.annotators,
        "classes": len(labels),
        "annotations": ours.annotations,
        "seconds": round(ours.seconds, 2),
        "annotations_per_second": round(ours.annotations / ours.seconds, 1) if ours.seconds else 0,
        "quality": quality,
        "seed": settings.seed,
    }
    if baseline:
        if progress:
            progress("baseline: fixed overlap 3, majority vote")
        fixed = run_spec.model_copy(
            update={"overlap": 3, "quality": QualitySpec.model_validate({"consensus": "majority"})}
        )
        base = _run(fixed, field_name, labels, people, truth, [], settings.expert_skill)
        report["baseline"] = {
            "accuracy": base.accuracy,
            "annotations_per_item": base.annotations_per_item,
            "lost": base.lost,
            "seconds": round(base.seconds, 2),
        }
    return report


def _run(
    spec: ProjectSpec,
    field_name: str,
    labels: list[Any],
    people: list[Annotator],
    truth: list[int],
    gold_truth: list[int],
    expert: float,
) -> RunResult:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="labelworks-sim-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'sim.db'}")
        try:
            # Refits of this database run where they are asked for: reproducible.
            with consensus.refits_inline(db):
                upgrade(db)
                result = _drive(db, spec, field_name, labels, people, truth, gold_truth, expert)
        finally:
            db.dispose()
    result.seconds = time.perf_counter() - started
    return result


def _drive(
    db: Database,
    spec: ProjectSpec,
    field_name: str,
    labels: list[Any],
    people: list[Annotator],
    truth: list[int],
    gold_truth: list[int],
    expert: float,
) -> RunResult:
    project_service.apply_spec(db, spec, guidelines=None)
    rows: list[dict[str, Any]] = [
        {"external_id": f"i{k}", "text": f"item {k}"} for k in range(len(truth))
    ]
    rows += [
        {
            "external_id": f"g{k}",
            "text": f"check {k}",
            "gold": {field_name: labels[t]},
            "gold_explanation": f"expert-note-{k}",
        }
        for k, t in enumerate(gold_truth)
    ]
    body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    ingestion.import_items(db, spec.name, io.BytesIO(body), format="jsonl", source="sim.jsonl")
    with db.read() as conn:
        by_id = {int(i): str(e) for i, e in conn.execute(select(items.c.id, items.c.external_id))}
    answer_of = {
        item_id: (truth if ext[0] == "i" else gold_truth)[int(ext[1:])]
        for item_id, ext in by_id.items()
    }
    users = [
        user_service.add_user(
            db, f"sim{k}@crowd.example", role="annotator", projects=[spec.name]
        ).user
        for k in range(len(people))
    ]
    ids = [u.id for u in users]
    # Each simulated annotator acts for themselves, as a signed-in request would.
    actors = [Actor(u.id, u.email, Role.ANNOTATOR) for u in users]
    rngs = [random.Random(p.seed) for p in people]
    draws = random.Random(people[0].seed if people else 0)
    done = [0] * len(people)
    paused: set[int] = set()
    # Members the qualification test blocked: they may not work, so they stop.
    blocked: set[int] = set()
    clock = [0.0] * len(people)
    leaks = submitted = 0
    # Refitting at the end re-decides every item; those it finds unsure go back for more
    # annotations, so the crowd works again until the labels settle (a few rounds at most).
    for _ in range(MAX_ROUNDS):
        out = paused | blocked
        queue = [(clock[k], k) for k in range(len(people)) if k not in out]
        heapq.heapify(queue)
        while queue:
            at, k = heapq.heappop(queue)
            now = START + timedelta(seconds=at)
            try:
                task = next_task_for(db, spec.name, ids[k], now=now, actor=actors[k], rng=draws)
            except AnnotatorPaused:
                # What an operations lead does with a paused annotator: their work goes
                # back for others to redo.
                paused.add(k)
                requeue_annotations(db, spec.name, f"sim{k}@crowd.example")
                continue
            except NotQualified:
                blocked.add(k)
                continue
            if task is None:
                continue
            leaks += _leaks(task)
            answer = _answer(people[k], rngs[k], answer_of[task.item_id], len(labels), done[k])
            took = rngs[k].lognormvariate(math.log(people[k].seconds), 0.5)
            submit_annotation(
                db,
                task.assignment_id,
                ids[k],
                value={field_name: labels[answer]},
                seconds=took,
                idempotency_key=f"s{k}-{done[k]}",
                now=now + timedelta(seconds=took),
            )
            done[k] += 1
            submitted += 1
            clock[k] = at + took
            heapq.heappush(queue, (clock[k], k))
        if not consensus.refit_project(db, spec.name).get("more"):
            break
    adjudicated = _adjudicate(db, spec.name, field_name, labels, answer_of, expert, draws)
    result = _score(db, truth, by_id, labels, field_name, sorted(paused), leaks, submitted)
    result.blocked = sorted(blocked)
    result.adjudication = adjudicated
    result.annotations_per_item += adjudicated / len(truth)
    return result


def _adjudicate(
    db: Database,
    project: str,
    field_name: str,
    labels: list[Any],
    answer_of: dict[int, int],
    skill: float,
    rng: random.Random,
) -> int:
    """An expert (right with probability ``skill``) decides every item at adjudication."""
    expert = Annotator(None, skill, 0.0, 60.0, 0)
    decided = 0
    while cases := adjudication_queue(db, project, limit=200):
        for case in cases:
            answer = _answer(expert, rng, answer_of[case.item_id], len(labels), 0)
            adjudicate(db, project, case.item_id, value={field_name: labels[answer]})
            decided += 1
    return decided


def _answer(person: Annotator, rng: random.Random, true: int, q: int, done: int) -> int:
    if person.spammer == "constant":
        return 0
    if person.spammer == "random":
        return rng.randrange(q)
    accuracy = max(0.0, person.accuracy - person.drift * done / 1000)
    if rng.random() < accuracy:
        return true
    wrong = rng.randrange(q - 1)
    return wrong if wrong < true else wrong + 1


def _leaks(task: Task) -> int:
    """Whether what the annotator was handed carries anything of a gold answer: a field
    beyond an ordinary task's, or the expert's explanation anywhere in it."""
    if set(type(task).__slots__) != TASK_KEYS:
        return 1
    shown = json.dumps([task.payload, task.pre_annotations], default=str)
    return int("expert-note-" in shown)


def _score(
    db: Database,
    truth: list[int],
    by_id: dict[int, str],
    labels: list[Any],
    field_name: str,
    paused: list[int],
    leaks: int,
    submitted: int,
) -> RunResult:
    with db.read() as conn:
        finals = consensus_store.finals(conn, 1)
        counted = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (annotations_table, set_aside_annotations, late_submissions, retests)
        }
        kept = sum(counted.values())
        # A consistency audit's second answer is paid work too, though not an annotation.
        annotations = counted["annotations"] + counted["retests"]
        still_paused = int(
            conn.execute(
                select(func.count())
                .select_from(memberships)
                .where(memberships.c.paused_at.is_not(None))
            ).scalar_one()
        )
    right = 0
    for f in finals:
        ext = by_id[f.item_id]
        if ext[0] == "i" and f.value.get(field_name) == labels[truth[int(ext[1:])]]:
            right += 1
    assert still_paused == len(paused), (still_paused, paused)
    return RunResult(
        accuracy=right / len(truth),
        annotations_per_item=annotations / len(truth),
        paused=paused,
        gold_leaks=leaks,
        lost=submitted - kept,
        adjudication=0,
        annotations=annotations,
    )
