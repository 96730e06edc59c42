"""How far an LLM judge agrees with the people of its campaign (``labelworks calibration``):
agreement with the human consensus (percent and Cohen's κ with intervals, overall and per
category), its position bias and order inconsistency, its own leaderboard beside the
people's with Kendall's τ between their ratings, and the items where they disagree most
(``stats.judge_calibration``). The verdicts read are those of the judge's newest setup
(prompt version and model): figures never mix two versions of a judge."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from labelworks.domain.access import Actor
from labelworks.domain.campaign import CAMPAIGN_KEY, campaign_field
from labelworks.domain.fields import PairwiseField
from labelworks.services.evaluation import evaluable_project
from labelworks.services.evaluation_data import plain
from labelworks.services.judges import campaign_of, judge_of, judge_task, rated_field
from labelworks.services.leaderboards import RESAMPLES, board_of, category_of, human_battles
from labelworks.services.rating_calibration import rating_calibration
from labelworks.services.specs import stored_spec
from labelworks.stats.judge_calibration import (
    Calibration,
    JudgedItem,
    RankCorrelation,
    Verdict,
    calibrate,
    judge_verdict,
    kendall_tau,
)
from labelworks.stats.leaderboard import Battle
from labelworks.stats.ratings import InvalidRatingsError
from labelworks.stats.score_calibration import ScoreCalibration
from labelworks.storage import campaigns as campaign_store
from labelworks.storage import llm_replies as reply_store
from labelworks.storage.engine import Database

__all__ = ["CalibrationReport", "judge_calibration", "wire"]

TOP = 50


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    """``calibration`` (pairwise) or ``rating`` (a rating campaign, its judge's ``field``)
    is None with ``reason`` when there is nothing to compare yet; ``shown`` gives each
    listed disagreement's external id (and pairwise, its left and right models)."""

    project: str
    judge: str
    prompt: str | None
    model: str | None
    reason: str | None
    by: str | None
    calibration: Calibration | None = None
    human_board: list[dict[str, Any]] = field(default_factory=list)
    judge_board: list[dict[str, Any]] = field(default_factory=list)
    tau: RankCorrelation | None = None
    shown: dict[str, dict[str, Any]] = field(default_factory=dict)
    rating: ScoreCalibration | None = None
    field: str | None = None
    mode: str = "pairwise"


def judge_calibration(
    db: Database,
    project: str,
    judge: str,
    *,
    by: str | None = None,
    actor: Actor | None = None,
    seed: int = 0,
) -> CalibrationReport:
    """The judge's agreement with the campaign's people; ``by`` groups by a metadata key."""
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        spec = stored_spec(row.spec)
        campaign = campaign_of(spec, row.name)
        judge_of(campaign, row.name, judge)
        task = judge_task(judge)
        setup = reply_store.latest_setup(conn, row.id, task)
        stored = reply_store.replies(conn, row.id, task, setup) if setup else iter(())
        # A judge's replies are about items (never about campaign input rows).
        replies = [r for r in stored if r.item_id is not None]
        votes = list(campaign_store.votes(conn, row.id))
    prompt = f"{setup[0]}@{setup[1]}" if setup else None
    model = setup[2] if setup else None
    base = CalibrationReport(row.name, judge, prompt, model, None, by, mode=campaign.mode)
    if not replies:
        return replace(base, reason=f"no verdicts yet: labelworks judge {row.name} --judge {judge}")
    if campaign.mode == "rating":
        field = rated_field(campaign, judge_of(campaign, row.name, judge), spec.fields)
        ids = sorted({v.item_id for v in votes} | {r.item_id or 0 for r in replies} - {0})
        with db.read() as conn:
            outputs = {i.item_id: i for i in reply_store.items_by_id(conn, ids)}
        rated, shown = rating_calibration(votes, replies, field, outputs, by, seed)
        return replace(base, rating=rated, field=field.name, shown=shown)
    target = campaign_field(campaign, spec.fields)
    assert isinstance(target, PairwiseField)
    mine = [v for v in votes if isinstance(v.metadata.get(CAMPAIGN_KEY), dict)]
    people = human_battles(mine, target, campaign, None)
    verdicts: dict[int, dict[bool, Verdict]] = defaultdict(dict)
    for r in replies:
        item_id = r.item_id or 0
        if r.status == "ok" and r.parsed in ("a", "b", "tie"):
            verdicts[item_id][r.swapped] = r.parsed
        else:
            verdicts[item_id].pop(r.swapped, None)
    records: dict[int, dict[str, Any]] = {}
    for v in mine:
        records[v.item_id] = {
            **v.metadata[CAMPAIGN_KEY],
            "category": category_of(v.metadata, v.payload, by),
        }
    votes_of: dict[int, list[Verdict]] = defaultdict(list)
    for battle in people:
        votes_of[int(battle.item or 0)].append(battle.winner)
    judged_ids = set(verdicts) | set(votes_of)
    with db.read() as conn:
        known = {i.item_id: i for i in reply_store.items_by_id(conn, sorted(judged_ids))}
    items = []
    for item_id in sorted(judged_ids):
        item = known.get(item_id)
        if item is None or not isinstance(item.metadata.get(CAMPAIGN_KEY), dict):
            continue
        record = item.metadata[CAMPAIGN_KEY]
        records.setdefault(
            item_id, {**record, "category": category_of(item.metadata, item.payload, by)}
        )
        orders = verdicts.get(item_id, {})
        items.append(
            JudgedItem(
                item=str(item_id),
                category=records[item_id]["category"],
                human=tuple(votes_of.get(item_id, ())),
                first=orders.get(False),
                swapped=orders.get(True),
            )
        )
    found = calibrate(items, n_resamples=RESAMPLES, seed=seed, top=TOP)
    judged = _judge_battles(items, records)
    human_board, judge_board = _standings(people, seed), _standings(judged, seed)
    shown = {
        d.item: {
            "external_id": known[int(d.item)].external_id,
            "left": records[int(d.item)].get("left"),
            "right": records[int(d.item)].get("right"),
        }
        for d in found.disagreements
    }
    return replace(
        base,
        calibration=found,
        human_board=human_board,
        judge_board=judge_board,
        tau=_tau(human_board, judge_board),
        shown=shown,
    )


def _judge_battles(items: list[JudgedItem], records: dict[int, dict[str, Any]]) -> list[Battle]:
    found = []
    for item in items:
        verdict = judge_verdict(item.first, item.swapped)
        record = records[int(item.item)]
        left, right = record.get("left"), record.get("right")
        if verdict is None or not isinstance(left, str) or not isinstance(right, str):
            continue
        found.append(Battle(model_a=left, model_b=right, winner=verdict, left="a", item=item.item))
    return found


def _standings(battles: list[Battle], seed: int) -> list[dict[str, Any]]:
    board, _ = board_of(battles, seed)
    standings: list[dict[str, Any]] = board["models"] if board else []
    return standings


def _tau(human: list[dict[str, Any]], judge: list[dict[str, Any]]) -> RankCorrelation | None:
    theirs = {m["model"]: m["rating"] for m in judge}
    common = [m for m in human if m["model"] in theirs]
    if len(common) < 2:
        return None
    try:
        return kendall_tau([m["rating"] for m in common], [theirs[m["model"]] for m in common])
    except InvalidRatingsError:
        return None


def wire(report: CalibrationReport) -> dict[str, Any]:
    """The report as the API and ``--json`` give it."""
    c = report.calibration
    disagreements = []
    if c is not None:
        for d in c.disagreements:
            disagreements.append({**plain(d), **report.shown.get(d.item, {})})
    rating = None
    if report.rating is not None:
        r = report.rating
        rating = {
            "field": report.field,
            "overall": plain(r.overall),
            "by_category": plain(r.by_category),
            "models": plain(r.models),
            "model_tau": plain(r.model_tau),
            "disagreements": [
                {**plain(d), **report.shown.get(d.item, {})} for d in r.disagreements
            ],
        }
    counted: ScoreCalibration | Calibration | None = report.rating or c
    return {
        "project": report.project,
        "mode": report.mode,
        "judge": report.judge,
        "prompt": report.prompt,
        "model": report.model,
        "reason": report.reason,
        "by": report.by,
        "judged": counted.judged if counted else 0,
        "humans_only": counted.humans_only if counted else 0,
        "judge_only": counted.judge_only if counted else 0,
        "overall": plain(c.overall) if c else None,
        "by_category": plain(c.by_category) if c else {},
        "position_bias": plain(c.position_bias) if c else None,
        "human_board": report.human_board,
        "judge_board": report.judge_board,
        "tau": plain(report.tau),
        "disagreements": disagreements,
        "rating": rating,
    }
