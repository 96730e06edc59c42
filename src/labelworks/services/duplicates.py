"""Near-duplicate items of a project: texts by MinHash/LSH, images by perceptual hash;
a report of clusters, and keeping one item per cluster.

- **texts** (``text_key``): the payload's string under that key; pairs whose estimated
  Jaccard similarity of character 5-shingles is at least ``threshold`` are joined
  (``pipelines.minhash``).
- **images** (``image_key``): the pHash media processing stored in the item's metadata
  (``metadata.media[key].phash``, 16 hex digits) when present, else computed from the
  local file under the project's media folder; hashes at most ``floor((1 - threshold) ·
  64)`` bits apart are joined (``pipelines.phash``). Remote files are not fetched: their
  items are counted as skipped, as are unreadable files.

A cluster is a connected component of joined items; its representative is its earliest
item (smallest id). ``keep_one`` deletes every other member through the Items table's bulk
delete (``services.item_actions``): all or nothing, refused naming the items if any has
annotations, a lease, gold or kept work, and recorded in the audit trail.

Finding needs the manage right outside any vendor wall (it reads every item).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.pipelines import minhash, phash
from labelworks.services.access import project_for
from labelworks.services.item_actions import MAX_ITEMS, ItemsChanged, act_on_items
from labelworks.storage import item_scan
from labelworks.storage.engine import Database
from labelworks.storage.item_scan import ScannedItem

Kind = Literal["text", "image"]
Progress = Callable[[int, int], None]
DEFAULT_THRESHOLD = 0.85
PREVIEW = 300  # characters of a text shown per member
MAX_KEY = 200
NAMED_SKIPS = 20


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    external_id: str | None
    preview: str  # the text's start, or the image's path


@dataclass(frozen=True, slots=True)
class DuplicateCluster:
    representative: int
    members: list[Member]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def others(self) -> list[int]:
        return [m.id for m in self.members if m.id != self.representative]


@dataclass(frozen=True, slots=True)
class DuplicateReport:
    project: str
    kind: Kind
    key: str
    threshold: float
    max_distance: int | None  # images: the Hamming distance the threshold allows
    scanned: int
    skipped: dict[int, str] = field(default_factory=dict)  # item id -> why
    clusters: list[DuplicateCluster] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        """Items that keeping one per cluster would remove."""
        return sum(c.size - 1 for c in self.clusters)


@dataclass(frozen=True, slots=True)
class KeptOne:
    report: DuplicateReport
    removed: list[int]
    changed: ItemsChanged | None


def check_key(key: str, option: str) -> str:
    """A payload key as given by a person: 1 to 200 printable characters, valid UTF-8."""
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY or not key.isprintable():
        raise InvalidInput(f"{option} must be 1 to {MAX_KEY} printable characters")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{option} is not valid UTF-8") from None
    return key


def check_threshold(threshold: float) -> float:
    if not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise InvalidInput("threshold must be a number greater than 0 and at most 1")
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput("threshold must be greater than 0 and at most 1")
    return float(threshold)


def _which(text_key: str | None, image_key: str | None) -> tuple[Kind, str]:
    if (text_key is None) == (image_key is None):
        raise InvalidInput("give a text key or an image key (one of them)")
    if text_key is not None:
        return "text", check_key(text_key, "text key")
    assert image_key is not None
    return "image", check_key(image_key, "image key")


def _local_file(root: Path, project: str, relative: str) -> Path | None:
    """The file inside the project's media folder (the media route's rules), or None."""
    base = (root / project).resolve()
    parts = Path(relative).parts
    if not relative or "://" in relative or Path(relative).is_absolute():
        return None
    if ".." in parts or "\\" in relative or "\x00" in relative:
        return None
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def image_hash(item: ScannedItem, key: str, root: Path | None, project: str) -> int | str:
    """The item's pHash, or why there is none."""
    media = item.metadata.get("media")
    stored = media.get(key) if isinstance(media, dict) else None
    if isinstance(stored, dict) and isinstance(stored.get("phash"), str):
        try:
            return phash.from_hex(stored["phash"])
        except ValueError:
            pass  # a damaged stored hash: computed again from the file below
    value = item.payload.get(key)
    if not isinstance(value, str):
        return f"no '{key[:60]}' in the payload"
    if root is None:
        return "no stored hash and no media folder to read the file from"
    path = _local_file(root, project, value)
    if path is None:
        return "not a file in the project's media folder"
    try:
        with Image.open(path) as image:
            return phash.phash(image)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        return "the file is not a readable image"


def find_duplicates(
    db: Database,
    project_name: str,
    *,
    text_key: str | None = None,
    image_key: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    media_root: Path | None = None,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> DuplicateReport:
    """The project's clusters of near-duplicate items by ``text_key`` or ``image_key``.

    ``media_root`` is the data directory's ``media`` folder (images without a stored hash
    are read from ``media_root/<project>/<path>``). ``progress(done, total)`` is called as
    items are hashed; it may raise to cancel (nothing is changed by finding)."""
    kind, key = _which(text_key, image_key)
    threshold = check_threshold(threshold)
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        if wall(actor) is not None:
            raise PermissionDenied(
                "finding duplicates reads every vendor's items; vendors' staff may not"
            )
        total = item_scan.count(conn, project.id)
        scanned = list(item_scan.scan(conn, project.id))
    if progress is not None:
        progress(0, total)
    skipped: dict[int, str] = {}
    kept: list[ScannedItem] = []
    if kind == "text":
        texts: list[str] = []
        for item in scanned:
            value = item.payload.get(key)
            if isinstance(value, str):
                kept.append(item)
                texts.append(value)
            else:
                skipped[item.id] = f"no text under '{key[:60]}' in the payload"
        sig = minhash.signatures(
            texts, progress=None if progress is None else lambda d, _t: progress(d, total)
        )
        groups = minhash.clusters(sig, threshold)
        distance = None
    else:
        hashes: list[int] = []
        for done, item in enumerate(scanned, 1):
            found = image_hash(item, key, media_root, project.name)
            if isinstance(found, int):
                kept.append(item)
                hashes.append(found)
            else:
                skipped[item.id] = found
            if progress is not None and (done % 500 == 0 or done == len(scanned)):
                progress(done, total)
        distance = phash.distance_for(threshold)
        groups = phash.clusters(np.array(hashes, dtype=np.uint64), distance)
    clusters = [
        DuplicateCluster(
            representative=kept[g[0]].id,
            members=[_member(kept[i], kind, key) for i in g],
        )
        for g in groups
    ]
    return DuplicateReport(
        project.name, kind, key, threshold, distance, len(scanned), skipped, clusters
    )


def _member(item: ScannedItem, kind: Kind, key: str) -> Member:
    value = item.payload.get(key)
    text = value if isinstance(value, str) else ""
    if kind == "text" and len(text) > PREVIEW:
        text = text[: PREVIEW - 1] + "…"
    return Member(item.id, item.external_id, text)


def keep_one(
    db: Database,
    project_name: str,
    *,
    text_key: str | None = None,
    image_key: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    media_root: Path | None = None,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> KeptOne:
    """Find the clusters, then delete every member but the earliest of each: one
    transaction, refused as a whole (naming the items) if any of them has been worked on."""
    report = find_duplicates(
        db,
        project_name,
        text_key=text_key,
        image_key=image_key,
        threshold=threshold,
        media_root=media_root,
        actor=actor,
        progress=progress,
    )
    removed = sorted(i for c in report.clusters for i in c.others)
    if not removed:
        return KeptOne(report, [], None)
    if len(removed) > MAX_ITEMS:
        raise InvalidInput(
            f"{len(removed):,} duplicates to remove, more than {MAX_ITEMS:,} at a time; "
            "raise the threshold or remove them in steps"
        )
    changed = act_on_items(db, project_name, "delete", ids=removed, actor=actor)
    return KeptOne(report, removed, changed)


def report_dict(report: DuplicateReport) -> dict[str, Any]:
    """The report as JSON for the CLI's --json and the API."""
    return {
        "project": report.project,
        "kind": report.kind,
        "key": report.key,
        "threshold": report.threshold,
        "max_distance": report.max_distance,
        "scanned": report.scanned,
        "duplicates": report.duplicates,
        "skipped": len(report.skipped),
        "skipped_items": [
            {"id": i, "reason": why} for i, why in list(report.skipped.items())[:NAMED_SKIPS]
        ],
        "clusters": [
            {
                "size": c.size,
                "representative": c.representative,
                "members": [
                    {"id": m.id, "external_id": m.external_id, "preview": m.preview}
                    for m in c.members
                ],
            }
            for c in report.clusters
        ],
    }
