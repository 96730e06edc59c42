"""LLM judges (spec ``evaluation.judges``): run one over its campaign's items, and list a
project's judges with what they have answered so far.

A pairwise item is asked twice, once with its outputs swapped; each verdict is stored in the
item's own terms (``a``: the item's left output wins). A rating item is asked once for a
score on the judged field's scale. Replies are cached by request (``services.llm_runs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from labelworks.config import Settings
from labelworks.domain.access import Action, Actor
from labelworks.domain.campaign import CAMPAIGN_KEY, CampaignSpec, campaign_field
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.domain.fields import FieldSpec, PairwiseField, RatingField
from labelworks.domain.judges import (
    JudgeSpec,
    judge_variables,
    parse_score,
    parse_verdict,
    unswapped,
)
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import unwalled_project
from labelworks.services.chat_endpoint import Endpoint
from labelworks.services.evaluation import evaluable_project
from labelworks.services.llm_runs import (
    Planned,
    RunOutcome,
    endpoint_for,
    plan_request,
    prompt_reading,
    run_requests,
)
from labelworks.services.specs import stored_spec
from labelworks.storage import llm_replies as reply_store
from labelworks.storage.engine import Database
from labelworks.storage.llm_replies import CampaignItem
from labelworks.storage.prompts import PromptRow

__all__ = ["JudgeRun", "JudgeSummary", "check_judge", "judge_task", "list_judges", "run_judge"]

CHUNK = 500


def judge_task(name: str) -> str:
    """The ``llm_replies`` task a judge's verdicts are stored under."""
    return f"judge:{name}"


@dataclass(frozen=True, slots=True)
class JudgeRun:
    """What a run of a judge did."""

    project: str
    judge: str
    prompt: str
    model: str
    items: int
    outcome: RunOutcome


@dataclass(frozen=True, slots=True)
class JudgeSummary:
    """A judge of the project's spec and its stored answers."""

    name: str
    endpoint: str
    model: str
    prompt: str
    concurrency: int
    ok: int
    malformed: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    last: datetime | None


def campaign_of(spec: ProjectSpec, project: str) -> CampaignSpec:
    if spec.evaluation is None:
        raise InvalidInput(
            f"project '{project}' has no evaluation campaign: add an 'evaluation' section "
            "to its spec (docs/evaluation.md)"
        )
    return spec.evaluation


def judge_of(campaign: CampaignSpec, project: str, name: str) -> JudgeSpec:
    judge = campaign.judges.get(name)
    if judge is None:
        known = ", ".join(sorted(campaign.judges)) or "none: add evaluation.judges to the spec"
        raise NotFound(f"project '{project}' has no judge '{name}' (judges: {known})")
    return judge


def rated_field(campaign: CampaignSpec, judge: JudgeSpec, fields: list[FieldSpec]) -> RatingField:
    """The rating field a judge of a rating campaign scores."""
    ratings = [f for f in fields if isinstance(f, RatingField)]
    chosen = [f for f in ratings if judge.field in (None, f.name)]
    return chosen[0]


@dataclass(frozen=True, slots=True)
class _Setup:
    project_id: int
    project: str
    spec: ProjectSpec
    campaign: CampaignSpec
    judge: JudgeSpec
    prompt: PromptRow
    endpoint: Endpoint
    ids: list[int]


def _setup(
    db: Database, project: str, name: str, settings: Settings, actor: Actor | None
) -> _Setup:
    with db.read() as conn:
        why = "judges compare models across every vendor's work; vendors' staff may not run them"
        row = unwalled_project(conn, actor, project, Action.MANAGE, why)
        spec = stored_spec(row.spec)
        campaign = campaign_of(spec, row.name)
        judge = judge_of(campaign, row.name, name)
        reader = f"a {campaign.mode} judge's prompt"
        prompt = prompt_reading(conn, judge.prompt, judge_variables(campaign.mode), reader)
        ids = reply_store.item_ids(conn, row.id, gold=False)
    endpoint = endpoint_for(settings, judge.endpoint, judge.model, judge.api_key_env)
    return _Setup(row.id, row.name, spec, campaign, judge, prompt, endpoint, ids)


def check_judge(
    db: Database, project: str, name: str, *, settings: Settings, actor: Actor | None = None
) -> None:
    """Refuse a run that could not start (unknown judge, prompt or key variable) before a
    job is queued for it."""
    _setup(db, project, name, settings, actor)


def run_judge(
    db: Database,
    project: str,
    name: str,
    *,
    settings: Settings,
    actor: Actor | None = None,
    job_id: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> JudgeRun:
    """Ask judge ``name`` about every campaign item it has not answered with this prompt
    version and model; store each verdict as it comes."""
    s = _setup(db, project, name, settings, actor)
    campaign, judge, prompt, ids = s.campaign, s.judge, s.prompt, s.ids
    overrides = {"temperature": judge.temperature, "max_tokens": judge.max_tokens}
    asks = 2 if campaign.mode == "pairwise" else 1
    parse: Callable[[str], Any]
    read_back: Callable[[Any, bool], Any]
    if campaign.mode == "pairwise":
        target = campaign_field(campaign, s.spec.fields)
        assert isinstance(target, PairwiseField)
        plans = _pairwise_plans(db, ids, target, prompt, judge.model, overrides)
        parse, read_back = parse_verdict, unswapped
    else:
        field = rated_field(campaign, judge, s.spec.fields)
        plans = _rating_plans(db, ids, campaign, prompt, judge.model, overrides)
        low, high = field.min, field.max

        def parse(text: str) -> int:
            return parse_score(text, low, high)

        def read_back(score: Any, swapped: bool) -> Any:
            return score

    outcome = run_requests(
        db,
        project_id=s.project_id,
        task=judge_task(name),
        endpoint=s.endpoint,
        prompt=prompt,
        planned=plans,
        total=len(ids) * asks,
        parse=parse,
        read_back=read_back,
        concurrency=judge.concurrency,
        backoff=settings.llm_backoff,
        job_id=job_id,
        progress=progress,
    )
    return JudgeRun(
        project=s.project,
        judge=name,
        prompt=f"{prompt.name}@{prompt.version}",
        model=judge.model,
        items=len(ids),
        outcome=outcome,
    )


def _chunks(db: Database, ids: list[int]) -> Iterator[CampaignItem]:
    # Short read transactions: the run writes its replies between them.
    for start in range(0, len(ids), CHUNK):
        with db.read() as conn:
            found = reply_store.items_by_id(conn, ids[start : start + CHUNK])
        for item in found:
            if isinstance(item.metadata.get(CAMPAIGN_KEY), dict):
                yield item


def _context(item: CampaignItem) -> dict[str, Any]:
    return {k: v for k, v in item.metadata.items() if k != CAMPAIGN_KEY}


def _pairwise_plans(
    db: Database,
    ids: list[int],
    target: PairwiseField,
    prompt: PromptRow,
    model: str,
    overrides: dict[str, Any],
) -> Iterator[Planned]:
    for item in _chunks(db, ids):
        p = item.payload
        shown = (p.get(target.a_source), p.get(target.b_source))
        question = p.get(target.prompt_source, "") if target.prompt_source else ""
        for swapped in (False, True):
            first, second = shown[::-1] if swapped else shown
            values = {
                "prompt": question,
                "response_a": first,
                "response_b": second,
                "metadata": _context(item),
            }
            chosen = _used(prompt, values)
            yield plan_request(prompt, model, item.item_id, swapped, chosen, overrides)


def _rating_plans(
    db: Database,
    ids: list[int],
    campaign: CampaignSpec,
    prompt: PromptRow,
    model: str,
    overrides: dict[str, Any],
) -> Iterator[Planned]:
    for item in _chunks(db, ids):
        values = {
            "prompt": item.payload.get(campaign.prompt_key, ""),
            "response": item.payload.get(campaign.response_key, ""),
            "metadata": _context(item),
        }
        yield plan_request(prompt, model, item.item_id, False, _used(prompt, values), overrides)


def _used(prompt: PromptRow, values: dict[str, Any]) -> dict[str, Any]:
    # Only what the template reads: the rest must not change the request's cache key.
    return {k: v for k, v in values.items() if k in prompt.content.variables}


def list_judges(db: Database, project: str, *, actor: Actor | None = None) -> list[JudgeSummary]:
    """The project's judges (its spec's), each with its stored answers."""
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        campaign = campaign_of(stored_spec(row.spec), row.name)
        counts = reply_store.summaries(conn, row.id, "judge:")
    out = []
    for name, judge in campaign.judges.items():
        s = counts.get(judge_task(name))
        out.append(
            JudgeSummary(
                name=name,
                endpoint=judge.endpoint,
                model=judge.model,
                prompt=judge.prompt,
                concurrency=judge.concurrency,
                ok=s.ok if s else 0,
                malformed=s.malformed if s else 0,
                failed=s.failed if s else 0,
                prompt_tokens=s.prompt_tokens if s else 0,
                completion_tokens=s.completion_tokens if s else 0,
                last=s.last if s else None,
            )
        )
    return out
