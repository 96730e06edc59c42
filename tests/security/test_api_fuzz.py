"""Schemathesis over the whole OpenAPI document: every operation, stateless, generated from
the schema (valid and invalid requests alike), sent as a manager, an annotator and an admin, with
a fixed seed and a bounded number of examples. No request may get a server error, an
answer the document does not declare, or a body that does not match its declared schema.

Every request body's media type is reached (custom serializers for JSONL, YAML, CSV and
Parquet bodies), so the body routes are fuzzed too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from tests.security.conftest import SPEC, build_world

from labelworks.domain.escalation import Flag
from labelworks.domain.qualification import Rule
from labelworks.domain.spec import spec_from_dict
from labelworks.services import (
    assignment,
    consensus,
    escalations,
    gold,
    reviews,
    simulation_runs,
)
from labelworks.services.projects import apply_spec
from labelworks.services.simulation import CrowdSettings
from labelworks.storage import consensus as consensus_store
from labelworks.storage import migration
from labelworks.storage import qualification as qualification_store
from labelworks.storage.engine import Database, utcnow

EXAMPLES = 25
SEED = 20261202
CALLERS = ("lead", "acme_ann", "admin")
# A schema-valid request may still break a business rule (a spec naming another project,
# an unknown label), which is a 409 or 422 by design; every other check stays on.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def _text(ctx: Any, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


for _media in ("application/x-ndjson", "application/yaml", "text/csv"):
    schemathesis.serializer(_media)(_text)
schemathesis.serializer("application/vnd.apache.parquet")(_text)
schemathesis.serializer("application/zip")(_text)  # YOLO and VOC folders, zipped


def _fuzzer(
    operation: Any,
    tokens: dict[str, str],
    reached: Counter[tuple[str, str]],
    media_type: str | None = None,
) -> Callable[[], None]:
    """The seeded, bounded Hypothesis test of one operation (with bodies of ``media_type``
    when given), calling it as each caller."""
    strategy = (
        operation.as_strategy()
        if media_type is None
        else operation.as_strategy(media_type=media_type)
    )

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        for who in CALLERS:
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
            if case.media_type and response.status_code not in (401, 403):
                reached[(operation.label, case.media_type)] += 1

    return fuzz  # type: ignore[no-any-return]


# Every acceptance criterion: the acceptance route answers with criteria to check.
ACCEPTANCE = {
    "agreement": {"lower_bound": 0.8},
    "gold_accuracy": 0.9,
    "gold_accuracy_lower_bound": 0.8,
    "all_final": True,
    "no_open_escalations": True,
}


def _with_consensus(db: Database, item_id: int) -> None:
    """Alpha decides by majority (its labelled items become final) and ``item_id`` waits
    for an expert: the final-label and adjudication routes answer with rows to check."""
    quality = {"consensus": "majority", "acceptance": ACCEPTANCE}
    apply_spec(db, spec_from_dict({**SPEC, "quality": quality}), guidelines=None)
    consensus.refit_project(db, "alpha")
    with db.write() as conn:
        consensus_store.record_final(
            conn,
            item_id=item_id,
            project_id=1,
            value={"sentiment": "pos"},
            method="majority",
            confidence=0.5,
            fields={"sentiment": 0.5},
            annotation_ids=[],
            status="adjudication",
            now=utcnow(),
        )


def _with_standings(db: Database, ids: dict[str, int]) -> None:
    """acme's annotator passed a one-question test and globex's failed it: the
    qualification report answers with a date and counts to check."""
    rule = Rule(items=1, pass_share=1.0, retries=0)
    with db.write() as conn:
        qualification_store.record_answer(conn, 1, ids["acme_ann"], rule, True, utcnow())
        qualification_store.record_answer(conn, 1, ids["globex_ann"], rule, False, utcnow())


def _with_escalations(db: Database, lead: int) -> None:
    """The lead flags alpha's last two tasks (a skip, a submit) and resolves the first: the
    queue and the library answer with rows to check."""
    for n, kind in enumerate(("ambiguous", "edge_case")):
        task = assignment.next_task_for(db, "alpha", lead)
        assert task is not None
        flag = Flag(kind, f"flag {n}")
        if n == 0:
            assignment.skip_task(db, task.assignment_id, lead, flag=flag)
        else:
            value = {"sentiment": "meh"}
            key = f"fuzz-{n}"
            assignment.submit_annotation(
                db,
                task.assignment_id,
                lead,
                value=value,
                seconds=1.0,
                idempotency_key=key,
                flag=flag,
            )
    answer = {"sentiment": "neg"}
    escalations.resolve_escalation(
        db, "alpha", 1, answer=answer, note="decided", guideline_section="2.1"
    )


def _with_reviews(db: Database, leases: dict[str, int], ids: dict[str, int]) -> None:
    """Review on: both vendors' annotators submit their live lease (reviews 1 and 2) and
    the first is accepted: the queue and the report answer with rows and an interval."""
    quality = {"review": {"first_n": 10, "reasons": ["wrong label"]}}
    apply_spec(db, spec_from_dict({**SPEC, "quality": quality}), guidelines=None)
    for who in ("acme_ann", "globex_ann"):
        assignment.submit_annotation(
            db, leases[who], ids[who], value={"sentiment": "pos"}, seconds=1.0, idempotency_key=who
        )
    reviews.decide_review(db, "alpha", 1, decision="accept")


def _one_report() -> Callable[..., dict[str, Any]]:
    """``simulate`` answering every valid request with one real (tiny) run's report: the
    fuzzer checks the route, not the simulator, whose largest runs take minutes."""
    real = simulation_runs.simulate
    spec = spec_from_dict({**SPEC, "quality": {"consensus": "majority"}})
    report = real(spec, CrowdSettings(items=4, annotators=2), baseline=True)
    return lambda *args, **kwargs: report


def test_every_operation_survives_the_fuzzer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No operation, called by a manager or an annotator with generated requests, answers
    with a 5xx or anything its schema does not declare; every body media type is sent."""
    db = Database(f"sqlite:///{tmp_path / 'fuzz.db'}")
    migration.upgrade(db)
    world = build_world(db, tmp_path / "data")
    _with_reviews(db, world.assignments, world.ids)
    # A gold item and a paused annotator: the gold list and report answer with rows to check.
    gold.mark_gold(db, "alpha", world.items[0], value={"sentiment": "pos"}, explanation="why")
    gold.pause_annotator(db, "alpha", world.email("globex_ann"), reason="audit")
    _with_consensus(db, world.items[1])
    _with_escalations(db, world.ids["lead"])
    _with_standings(db, world.ids)
    monkeypatch.setattr(simulation_runs, "simulate", _one_report())
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    failures: dict[str, str] = {}
    reached: Counter[tuple[str, str]] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Token ids are small, so the fuzzer revokes the callers' own tokens: every operation
    # after that one would answer them 401 only. It goes last.
    operations.sort(key=lambda op: op.label == "DELETE /api/v1/me/tokens/{token_id}")
    for operation in operations:
        # Each request body type gets its own run: left to chance, a type an operation
        # rarely draws (Parquet beside JSON, CSV and JSONL imports) may never be sent.
        media = list(operation.definition.raw.get("requestBody", {}).get("content") or {})
        for media_type in media or [None]:
            try:
                _fuzzer(operation, world.tokens, reached, media_type)()
            except Exception as exc:  # the first failure of this operation, reduced
                failures[f"{operation.label} {media_type or ''}".strip()] = str(exc)[:2000]
    declared = {
        (op.label, media)
        for op in operations
        for media in (op.definition.raw.get("requestBody", {}).get("content") or {})
    }
    db.dispose()
    assert (failures, sorted(declared - set(reached)), len(operations) > 20) == ({}, [], True)
