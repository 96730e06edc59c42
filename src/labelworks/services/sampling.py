"""Sampling what to label: draw items of one project and copy them into another, noting
what was sampled and why.

Strategies:

- **random**: ``n`` items drawn uniformly (``seed`` makes the draw repeatable).
- **stratified** (``by``): the items grouped by the value under ``by`` (the payload's key,
  else the metadata's; missing is the stratum ``(none)``); ``n`` allocated over the
  strata by largest remainder (``equal`` for an even split, ``pipelines.strata``), and
  drawn at random within each.
- **diverse**: k-center greedy (farthest-point) picks over TF-IDF vectors of the text under
  ``by``, or over embeddings under ``vectors`` (a list of numbers in each payload, all of
  one length; ``pipelines.diversity``). Deterministic; the seed is not used.
- **uncertain**: the ``n`` items whose pre-annotation scores are least sure by ``measure``
  (``least``, ``margin`` or ``entropy``; ``pipelines.uncertainty``), ties by item id.

The picks are copied (payload and metadata; not the external id, annotations or
predictions) into ``into`` by the regular importer: all or nothing, checked against the
target's spec, with payloads the target already has skipped as duplicates. Each copy's
metadata gains ``sampled_from``: ``project``, ``item``, ``strategy``, ``seed`` and
``reason`` (the stratum, the k-center distance, or the uncertainty score). An audit event
``items.sample`` in the target project records the parameters. ``preview=True`` returns
the picks (and the allocation per stratum) without copying anything.
"""

from __future__ import annotations

import io
import json
import math
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.annotation import validate_annotation
from labelworks.domain.errors import InvalidAnnotation, InvalidInput, PermissionDenied
from labelworks.domain.fields import FieldSpec
from labelworks.domain.media import media_keys
from labelworks.pipelines import diversity, strata, uncertainty
from labelworks.services import media_roots
from labelworks.services.access import project_for
from labelworks.services.duplicates import check_key
from labelworks.services.ingestion import import_items
from labelworks.services.specs import stored_spec
from labelworks.storage import audit as audit_store
from labelworks.storage import item_scan
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.item_scan import ScannedItem

STRATEGIES = ("random", "stratified", "diverse", "uncertain")
MAX_SAMPLE = 100_000
MAX_SEED = 2**63 - 1
NONE_STRATUM = "(none)"
AUDIT_ACTION = "items.sample"
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Pick:
    item: int
    reason: str | float  # the stratum, the k-center distance or the uncertainty


@dataclass(frozen=True, slots=True)
class SampleResult:
    project: str
    into: str
    strategy: str
    n: int
    seed: int | None
    picks: list[Pick]
    allocation: dict[str, int] = field(default_factory=dict)  # stratified: per stratum
    available: dict[str, int] = field(default_factory=dict)  # stratified: stratum sizes
    inserted: int = 0
    skipped_duplicates: int = 0
    preview: bool = False
    # The copies' suggestions (pre-annotations) carried over, and those left behind because
    # the target's fields do not take them.
    suggestions: int = 0
    suggestions_left: int = 0


def _check(strategy: str, n: int, seed: int | None, by: str | None, vectors: str | None) -> None:
    if strategy not in STRATEGIES:
        raise InvalidInput(f"strategy must be one of {', '.join(STRATEGIES)}, not '{strategy}'")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLE:
        raise InvalidInput(f"n must be a whole number from 1 to {MAX_SAMPLE:,}")
    if seed is not None and (isinstance(seed, bool) or not 0 <= seed <= MAX_SEED):
        raise InvalidInput(f"seed must be a whole number from 0 to {MAX_SEED}")
    if by is not None:
        check_key(by, "by")
    if vectors is not None:
        check_key(vectors, "vectors")
    if strategy == "stratified" and by is None:
        raise InvalidInput("stratified sampling needs 'by', the key to stratify by")
    if strategy == "diverse" and (by is None) == (vectors is None):
        raise InvalidInput("diverse sampling needs 'by', a text key, or 'vectors', a vectors key")


def stratum_of(item: ScannedItem, key: str) -> str:
    """The item's value under ``key`` (payload first, then metadata) as a stratum name."""
    value = item.payload.get(key, item.metadata.get(key))
    if value is None:
        return NONE_STRATUM
    if isinstance(value, str):
        return value[:200]
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:200]


def vectors_of(items: list[ScannedItem], key: str) -> NDArray[np.float64]:
    """The embeddings under ``key``: lists of finite numbers of one length, or a refusal
    naming the first item that breaks the rule."""
    rows: list[list[float]] = []
    width: int | None = None
    for item in items:
        value = item.payload.get(key)
        where = f"item {item.id}, payload key '{key[:60]}'"
        if not isinstance(value, list) or not value:
            raise InvalidInput(f"{where}: not a list of numbers")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            raise InvalidInput(f"{where}: not a list of numbers")
        if not all(math.isfinite(v) for v in value):
            raise InvalidInput(f"{where}: holds NaN or infinity")
        if width is None:
            width = len(value)
        elif len(value) != width:
            raise InvalidInput(f"{where}: {len(value)} numbers, earlier items have {width}")
        rows.append([float(v) for v in value])
    return np.array(rows, dtype=np.float64)


def _draw(
    items: list[ScannedItem],
    strategy: str,
    n: int,
    rng: random.Random,
    *,
    by: str | None,
    vectors: str | None,
    measure: str,
    equal: bool,
    scores: dict[int, list[float]],
    progress: Progress | None,
) -> tuple[list[Pick], dict[str, int], dict[str, int]]:
    if strategy == "uncertain":
        if not scores:
            raise InvalidInput(
                "no item has a pre-annotation with a score; uncertain sampling needs model "
                "predictions (import them as pre_annotations with a score)"
            )
        if measure not in uncertainty.MEASURES:
            raise InvalidInput(f"measure must be one of {', '.join(uncertainty.MEASURES)}")
        ranked: list[tuple[float, int]] = []
        for item in items:
            if item.id in scores:
                try:
                    ranked.append((uncertainty.uncertainty(scores[item.id], measure), item.id))
                except ValueError as exc:
                    raise InvalidInput(f"item {item.id}: pre-annotation scores: {exc}") from None
        _enough(n, len(ranked), "items with scored predictions")
        ranked.sort(key=lambda pair: (-pair[0], pair[1]))
        return [Pick(i, round(u, 6)) for u, i in ranked[:n]], {}, {}
    _enough(n, len(items), "items")
    if strategy == "random":
        return [Pick(item.id, "random") for item in rng.sample(items, n)], {}, {}
    if strategy == "stratified":
        assert by is not None
        groups: dict[str, list[ScannedItem]] = {}
        for item in items:
            groups.setdefault(stratum_of(item, by), []).append(item)
        sizes = {name: len(group) for name, group in sorted(groups.items())}
        allocation = (strata.equal if equal else strata.proportional)(sizes, n)
        picks = [
            Pick(item.id, name)
            for name in sizes
            for item in rng.sample(groups[name], allocation[name])
        ]
        return picks, allocation, sizes
    if vectors is not None:
        matrix: Any = vectors_of(items, vectors)
    else:
        assert by is not None
        texts = [item.payload.get(by) for item in items]
        missing = next(
            (it.id for it, t in zip(items, texts, strict=True) if not isinstance(t, str)), None
        )
        if missing is not None:
            raise InvalidInput(f"item {missing}: no text under payload key '{by[:60]}'")
        matrix = diversity.tfidf([t for t in texts if isinstance(t, str)])
    picked = diversity.k_center(matrix, n, progress)
    return [Pick(items[i].id, round(d, 6)) for i, d in picked], {}, {}


def _enough(n: int, available: int, what: str) -> None:
    if n > available:
        raise InvalidInput(f"cannot sample {n:,}: the project has {available:,} {what}")


def sample_items(
    db: Database,
    project_name: str,
    *,
    strategy: str,
    n: int,
    into: str,
    by: str | None = None,
    vectors: str | None = None,
    measure: str = "least",
    equal: bool = False,
    seed: int | None = None,
    preview: bool = False,
    actor: Actor | None = None,
    progress: Progress | None = None,
    data_dir: Path | None = None,
) -> SampleResult:
    """Draw ``n`` items of ``project_name`` by ``strategy`` and copy them into ``into``
    (unless ``preview``). Needs the manage right on both projects, outside vendor walls.
    With ``data_dir``, the local media files the copies name are made reachable from
    ``into`` (``media_roots.carry``)."""
    _check(strategy, n, seed, by, vectors)
    if not isinstance(into, str) or not into:
        raise InvalidInput("name the project to copy the sample into")
    if seed is None and strategy in ("random", "stratified"):
        seed = secrets.randbelow(2**31)  # recorded, so the draw can be repeated
    with db.read() as conn:
        source = project_for(conn, actor, project_name, Action.MANAGE)
        if wall(actor) is not None:
            raise PermissionDenied("sampling reads every vendor's items; vendors' staff may not")
        target = project_for(conn, actor, into, Action.MANAGE)
        if target.id == source.id:
            raise InvalidInput("copy the sample into another project, not the one sampled")
        items = list(item_scan.scan(conn, source.id))
        scores = item_scan.prediction_scores(conn, source.id) if strategy == "uncertain" else {}
    picks, allocation, sizes = _draw(
        items,
        strategy,
        n,
        random.Random(seed),
        by=by,
        vectors=vectors,
        measure=measure,
        equal=equal,
        scores=scores,
        progress=progress,
    )
    result = SampleResult(
        source.name, target.name, strategy, n, seed, picks, allocation, sizes, preview=preview
    )
    if preview:
        return result
    if data_dir is not None:
        keys = media_keys(stored_spec(source.spec).fields)
        picked = {p.item for p in picks}
        items = [
            _carried(data_dir, source.name, target.name, keys, item) if item.id in picked else item
            for item in items
        ]
    return _copy(db, result, items, actor, by=by, vectors=vectors, measure=measure, equal=equal)


def _carried(
    data_dir: Path, source: str, target: str, keys: list[str], item: ScannedItem
) -> ScannedItem:
    payload = dict(item.payload)
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value:
            payload[key] = media_roots.carry(data_dir, source, target, value)
    return replace(item, payload=payload)


def _copy(
    db: Database,
    result: SampleResult,
    items: list[ScannedItem],
    actor: Actor | None,
    **params: Any,
) -> SampleResult:
    by_id = {item.id: item for item in items}
    with db.read() as conn:
        fields = stored_spec(project_for(conn, actor, result.into, Action.MANAGE).spec).fields
        suggested = item_store.pre_annotations_by_item(conn, [p.item for p in result.picks])
    lines = []
    carried = left = 0
    for pick in result.picks:
        item = by_id[pick.item]
        note = {
            "project": result.project,
            "item": item.id,
            "strategy": result.strategy,
            "reason": pick.reason,
            "seed": result.seed,
        }
        row: dict[str, Any] = {
            "payload": item.payload,
            "metadata": {**item.metadata, "sampled_from": note},
        }
        # Suggestions go along where the target's fields take them (the uncertain strategy
        # picks by them); the others stay behind rather than refuse the whole copy.
        fit = [p for p in suggested.get(item.id, []) if _fits(fields, p["value"], item.payload)]
        carried += len(fit)
        left += len(suggested.get(item.id, [])) - len(fit)
        if fit:
            row["pre_annotations"] = fit
        lines.append(json.dumps(row, ensure_ascii=False))
    stream = io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))
    source = f"sample of {result.project} ({result.strategy})"
    summary = import_items(db, result.into, stream, format="jsonl", source=source, actor=actor)
    with db.write() as conn:
        target = project_for(conn, actor, result.into, Action.MANAGE)
        audit_store.record(
            conn,
            project_id=target.id,
            actor_id=None if actor is None else actor.id,
            action=AUDIT_ACTION,
            subject=f"{len(result.picks):,} items from {result.project}",
            details={
                "from": result.project,
                "strategy": result.strategy,
                "n": result.n,
                "seed": result.seed,
                **{k: v for k, v in params.items() if v is not None},
                "allocation": result.allocation,
                "items": [p.item for p in result.picks],
                "inserted": summary.inserted,
                "import_id": summary.import_id,
            },
            guideline_version=target.guideline_version,
            now=utcnow(),
        )
    return SampleResult(
        result.project,
        result.into,
        result.strategy,
        result.n,
        result.seed,
        result.picks,
        result.allocation,
        result.available,
        inserted=summary.inserted,
        skipped_duplicates=summary.skipped_duplicates,
        suggestions=carried,
        suggestions_left=left,
    )


def _fits(fields: Sequence[FieldSpec], value: Any, payload: dict[str, Any]) -> bool:
    try:
        validate_annotation(fields, value, payload)
    except InvalidAnnotation:
        return False
    return True


def suggestions_note(result: SampleResult) -> str:
    """What became of the copies' suggestions, for the end of a sentence ("" for none)."""
    if not result.suggestions and not result.suggestions_left:
        return ""
    text = f"; {result.suggestions:,} suggestions went along"
    left = result.suggestions_left
    return text + (f", {left:,} stayed (the target's fields do not take them)" if left else "")


def result_dict(result: SampleResult) -> dict[str, Any]:
    """The result as JSON for the CLI's --json and the API."""
    return {
        "project": result.project,
        "into": result.into,
        "strategy": result.strategy,
        "n": result.n,
        "seed": result.seed,
        "preview": result.preview,
        "allocation": [
            {"stratum": k, "available": result.available[k], "sampled": v}
            for k, v in result.allocation.items()
        ],
        "picks": [{"item": p.item, "reason": p.reason} for p in result.picks],
        "inserted": result.inserted,
        "skipped_duplicates": result.skipped_duplicates,
        "suggestions": result.suggestions,
        "suggestions_left": result.suggestions_left,
    }


__all__ = ["STRATEGIES", "Pick", "SampleResult", "result_dict", "sample_items", "suggestions_note"]
