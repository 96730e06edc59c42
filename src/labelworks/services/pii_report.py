"""The PII screening report of a project: what its privacy policy finds, where, how often.

A read-only pass over every item (keyset pages in one snapshot), so it can run as a
background job: ``progress(done, total)`` after each page, and a callback that raises
cancels it with nothing to undo. Found values are never returned whole: samples are
masked (``masked_sample``). Projects without a ``privacy`` section are screened with the
default policy (every kind, every text value), to show what a policy would meet.

Everything the policy screens on the way out is counted: the payload (by key), the
item's metadata (``metadata.<key>``; media processing's facts are not screened) and its
annotations' values (``annotations.<field>``; behind a vendor wall, that vendor's
annotations only), so an item counts as affected when any of them holds something.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.media import media_keys
from labelworks.domain.pii import Analyser, Finding, find_in_payload, find_in_value, masked_sample
from labelworks.domain.privacy import AUDIENCES, PrivacySpec
from labelworks.services.access import project_for
from labelworks.services.privacy import METADATA_SKIP, analyser_in_use
from labelworks.services.specs import stored_spec
from labelworks.storage import export_rows
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database

__all__ = ["AffectedItem", "PiiReport", "screen_project"]

MAX_AFFECTED = 200  # items listed in a report (all are counted)
MAX_SAMPLES = 3  # masked values per listed item


@dataclass(frozen=True, slots=True)
class AffectedItem:
    """An item where something was found: the kinds and keys, and masked samples."""

    item_id: int
    external_id: str | None
    kinds: list[str]
    keys: list[str]
    samples: list[str]


@dataclass(frozen=True, slots=True)
class PiiReport:
    """Counts of findings by kind and by where they are (a payload key,
    ``metadata.<key>``, ``annotations.<field>``), items affected, and the first
    ``MAX_AFFECTED`` affected items; ``policy`` is the project's (``configured``) or the
    default one the scan used, with the treatment of each audience."""

    project: str
    configured: bool
    detect: list[str]
    keys: list[str] | None
    analyser: bool
    audiences: dict[str, str]
    items: int
    affected: int
    findings: int
    by_kind: dict[str, int] = field(default_factory=dict)
    items_by_kind: dict[str, int] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)
    listed: list[AffectedItem] = field(default_factory=list)


def screen_project(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    progress: Callable[[int, int], None] | None = None,
    page_size: int = 1000,
) -> PiiReport:
    """Screen every item of the project with its privacy policy (managers and admins)."""
    with db.read(snapshot=True) as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        spec = stored_spec(project.spec)
        policy = spec.privacy or PrivacySpec()
        analyser = analyser_in_use(policy)
        skip = media_keys(spec.fields)
        total = item_store.count_items(conn, project.id)
        by_kind: Counter[str] = Counter()
        items_by_kind: Counter[str] = Counter()
        by_key: Counter[str] = Counter()
        listed: list[AffectedItem] = []
        affected = done = after = 0
        if progress is not None:
            progress(0, total)
        while page := item_store.page(conn, project.id, after_id=after, limit=page_size):
            values: dict[int, list[Any]] = {}
            for item_id, _annotator, text in export_rows.page_votes(
                conn, project.id, after_id=after, last_id=page[-1].id, only_vendor=wall(actor)
            ):
                values.setdefault(item_id, []).append(json.loads(text))
            for item in page:
                found = [
                    (f, item.payload[f.key])
                    for f in find_in_payload(
                        item.payload, policy.detect, keys=policy.keys, skip=skip, analyser=analyser
                    )
                ]
                found += _found_beside(policy, analyser, item.metadata, values.get(item.id, []))
                if not found:
                    continue
                affected += 1
                kinds = sorted({f.kind for f, _text in found})
                by_kind.update(f.kind for f, _text in found)
                items_by_kind.update(kinds)
                by_key.update(f.key for f, _text in found)
                if len(listed) < MAX_AFFECTED:
                    samples = [masked_sample(t[f.start : f.end]) for f, t in found[:MAX_SAMPLES]]
                    keys = list(dict.fromkeys(f.key for f, _text in found))
                    listed.append(AffectedItem(item.id, item.external_id, kinds, keys, samples))
            done += len(page)
            after = page[-1].id
            if progress is not None:
                progress(done, total)
    return PiiReport(
        project=project.name,
        configured=spec.privacy is not None,
        detect=list(policy.detect),
        keys=policy.keys,
        analyser=policy.analyser,
        audiences={audience: policy.treatment(audience) for audience in AUDIENCES},
        items=done,
        affected=affected,
        findings=sum(by_kind.values()),
        by_kind=dict(by_kind.most_common()),
        items_by_kind=dict(items_by_kind.most_common()),
        by_key=dict(by_key.most_common()),
        listed=listed,
    )


def _found_beside(
    policy: PrivacySpec, analyser: Analyser | None, metadata: Any, values: list[Any]
) -> list[tuple[Finding, str]]:
    """Findings in an item's metadata and its annotations' values, each with its text."""
    found = find_in_value(
        metadata, policy.detect, prefix="metadata.", skip=METADATA_SKIP, analyser=analyser
    )
    for value in values:
        found += find_in_value(value, policy.detect, prefix="annotations.", analyser=analyser)
    return found
