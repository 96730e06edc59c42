"""What media processing left on a project's items: counts by kind, what is still to do,
and every failure with its reason (the first ``MAX_FAILURES`` of them listed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labelworks.domain.access import Action, Actor
from labelworks.domain.media import is_object, is_remote
from labelworks.services.access import project_for
from labelworks.services.media_processing import PAGE, media_kinds
from labelworks.services.specs import stored_spec
from labelworks.storage import item_metadata as store
from labelworks.storage.engine import Database

MAX_FAILURES = 500


@dataclass(frozen=True, slots=True)
class MediaFailure:
    """One payload key of one item that could not be processed, and why."""

    item_id: int
    external_id: str | None
    key: str
    reason: str


@dataclass(slots=True)
class MediaReport:
    """A project's media: ``keys`` the spec reads media from (with their kind), files
    processed per kind, failed, still pending, remote URLs (not processed), and failures."""

    project: str
    keys: dict[str, str]
    items: int = 0
    processed: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    pending: int = 0
    remote: int = 0
    failures: list[MediaFailure] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        """Whether more failures exist than ``failures`` lists."""
        return self.failed > len(self.failures)


def media_report(db: Database, project: str, *, actor: Actor | None = None) -> MediaReport:
    """Count the project's media results; one read per page of items."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.REVIEW)
    kinds = media_kinds(stored_spec(row.spec).fields)
    report = MediaReport(row.name, dict(kinds), processed={kind: 0 for kind in kinds.values()})
    after = 0
    while kinds:
        with db.read() as conn:
            rows = store.page(conn, row.id, after_id=after, limit=PAGE)
        if not rows:
            break
        for item in rows:
            report.items += 1
            media = item.metadata.get("media")
            errors = item.metadata.get("media_error")
            media = media if isinstance(media, dict) else {}
            errors = errors if isinstance(errors, dict) else {}
            for key, kind in kinds.items():
                value = item.payload.get(key)
                if not isinstance(value, str) or not value:
                    continue
                if key in errors:
                    report.failed += 1
                    if len(report.failures) < MAX_FAILURES:
                        reason = str(errors[key])
                        report.failures.append(MediaFailure(item.id, item.external_id, key, reason))
                elif key in media:
                    report.processed[kind] = report.processed.get(kind, 0) + 1
                elif is_remote(value) or (":" in value.split("/", 1)[0] and not is_object(value)):
                    report.remote += 1  # s3:// objects are processed where they are: pending
                else:
                    report.pending += 1
        after = rows[-1].id
    return report
