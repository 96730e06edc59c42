"""Pushing models' predictions into a project (API, SDK and ``labelworks predictions push``)
and listing the model versions it holds. Predictions imported with items take the same
check (``check_for``) in ``services.ingestion``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.fields import FieldSpec
from labelworks.domain.json_value import json_kind
from labelworks.domain.predictions import (
    InvalidPrediction,
    Prediction,
    model_key,
    parse_prediction,
)
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.storage import predictions as store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.predictions import ModelVersion, StoredPrediction

__all__ = ["MAX_PUSH", "ModelVersion", "PushResult", "check_for", "model_versions", "push"]

# Predictions per request; a larger set goes in several pushes or with the items' import.
MAX_PUSH = 10_000
# Ids are 32-bit on both databases: a larger one names no item (and would overflow).
MAX_ITEM_ID = 2**31 - 1
_ITEM_KEYS = ("item", "item_id")


@dataclass(frozen=True, slots=True)
class PushResult:
    project: str
    stored: int
    models: list[str]


def check_for(fields: Sequence[FieldSpec]) -> Callable[[Any, Mapping[str, Any]], Prediction]:
    """The check a project's predictions take, for the importer."""

    def check(obj: Any, payload: Mapping[str, Any]) -> Prediction:
        return parse_prediction(obj, fields, payload)

    return check


def push(
    db: Database,
    project: str,
    rows: Sequence[Any],
    *,
    actor: Actor | None = None,
    source: str = "request body",
    lines: Sequence[int] | None = None,
    limit: int | None = MAX_PUSH,
) -> PushResult:
    """Store ``rows`` (``{"item": external id | "item_id": id, "model", "version"?,
    "value", "score"?, "probabilities"?}``), all or none: the first bad row is refused with
    its field (``predictions[i]…``; with ``lines``, also ``source``'s line) and nothing is
    stored. ``limit`` caps a request's size (None: a file pushed from the command line)."""
    if type(rows) is not list or not rows:
        raise InvalidInput("predictions must be a non-empty list of objects")
    if limit is not None and len(rows) > limit:
        raise InvalidInput(
            f"{len(rows)} predictions in one push; at most {limit} (send several pushes)"
        )
    at: Callable[[int], int | None] = (lambda i: lines[i]) if lines is not None else _no_line

    def work(conn: Any) -> PushResult:
        row = project_for(conn, actor, project, Action.MANAGE)
        spec = stored_spec(row.spec)
        external_ids, ids = _item_names(at, rows, source)
        by_external, by_id = store.item_ids_by_key(conn, row.id, external_ids, ids)
        parsed: list[StoredPrediction] = []
        seen: set[tuple[int, str, str]] = set()
        for index, obj in enumerate(rows):
            item_id, payload_json = _item_of(at, obj, by_external, by_id, source, index)
            rest = {k: v for k, v in obj.items() if k not in _ITEM_KEYS}
            try:
                prediction = parse_prediction(rest, spec.fields, json.loads(payload_json))
            except InvalidPrediction as exc:
                raise _refused(at, exc.message, source, index, exc.where) from None
            key = (item_id, prediction.model, prediction.version)
            if key in seen:
                raise _refused(
                    at,
                    "the same item, model and version is predicted twice in this push",
                    source,
                    index,
                )
            seen.add(key)
            parsed.append(StoredPrediction(item_id, prediction))
        store.store(conn, row.id, parsed, utcnow(), spec.predictions)
        names = sorted({model_key(p.prediction.model, p.prediction.version) for p in parsed})
        return PushResult(project=row.name, stored=len(parsed), models=names)

    return db.run_write(work)


def model_versions(db: Database, project: str, *, actor: Actor | None = None) -> list[ModelVersion]:
    """The project's model versions with predictions, newest first."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.REVIEW)
        return store.model_versions(conn, row.id)


def _no_line(index: int) -> None:
    return None


def _refused(
    at: Callable[[int], int | None], message: str, source: str, index: int, where: str = ""
) -> InvalidInput:
    field = f"predictions[{index}]" + (f".{where}" if where else "")
    return InvalidInput(message, location=Location(file=source, line=at(index), field=field))


def _item_names(
    at: Callable[[int], int | None], rows: Sequence[Any], source: str
) -> tuple[list[str], list[int]]:
    external_ids: list[str] = []
    ids: list[int] = []
    for index, obj in enumerate(rows):
        if type(obj) is not dict:
            raise _refused(
                at, f"a prediction must be an object, not {json_kind(obj)}", source, index
            )
        named = [k for k in _ITEM_KEYS if k in obj]
        if len(named) != 1:
            raise _refused(
                at,
                "name the item with exactly one of 'item' (its external id) or 'item_id'",
                source,
                index,
            )
        given = obj[named[0]]
        if named[0] == "item" and type(given) in (str, int) and str(given):
            external_ids.append(str(given))
        elif named[0] == "item_id" and type(given) is int and 0 < given <= MAX_ITEM_ID:
            ids.append(given)
        else:
            raise _refused(
                at,
                f"{named[0]} must be "
                f"{'an external id' if named[0] == 'item' else 'an item id (1 to 2^31 - 1)'}, "
                f"got {json_kind(given)}",
                source,
                index,
                named[0],
            )
    return sorted(set(external_ids)), sorted(set(ids))


def _item_of(
    at: Callable[[int], int | None],
    obj: dict[str, Any],
    by_external: dict[str, tuple[int, str]],
    by_id: dict[int, str],
    source: str,
    index: int,
) -> tuple[int, str]:
    if "item" in obj:
        found = by_external.get(str(obj["item"]))
        if found is None:
            raise _refused(
                at,
                f"no item with external id '{obj['item']}' in this project",
                source,
                index,
                "item",
            )
        return found
    payload = by_id.get(obj["item_id"])
    if payload is None:
        raise _refused(
            at, f"no item with id {obj['item_id']} in this project", source, index, "item_id"
        )
    return obj["item_id"], payload
