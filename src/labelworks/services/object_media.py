"""Which object an item's media key names, for one caller: the check behind handing out an
``s3://`` object (a presigned URL or a streamed copy).

Staff who may review the project reach every item's media; an annotator only the items
they hold a live lease on or have submitted. Everyone else, and every item, key or value
that is not an object of this project, gets the same ``NotFound``: nothing says whether
the item exists or what it holds.
"""

from __future__ import annotations

import json

from labelworks.domain.access import Action, Actor, allowed
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.domain.media import media_refs
from labelworks.domain.sources import ObjectPrefix, parse_source
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.storage import media_access
from labelworks.storage.engine import Database, utcnow

NO_SUCH = "no such media file"


def object_of(
    db: Database, project_name: str, item_id: int, key: str, *, actor: Actor | None
) -> tuple[str, str]:
    """The (bucket, key) of the object the item's payload ``key`` names, if the caller
    may see that item."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.VIEW)
        payload = media_access.payload_in_project(conn, project.id, item_id)
        if payload is None:
            raise NotFound(NO_SUCH)
        annotator = actor if actor and not allowed(actor, Action.REVIEW, member=True) else None
        if annotator and not media_access.annotator_holds(conn, item_id, annotator.id, utcnow()):
            raise NotFound(NO_SUCH)
        fields = stored_spec(project.spec).fields
    try:
        decoded = json.loads(payload)
    except ValueError:
        raise NotFound(NO_SUCH) from None
    ref = media_refs(fields, decoded, allow_remote=False, item_id=item_id).get(key)
    if ref is None or ref.where != "object":
        raise NotFound(NO_SUCH)
    try:
        found = parse_source(ref.value)
    except InvalidInput:
        raise NotFound(NO_SUCH) from None
    if not isinstance(found, ObjectPrefix) or not found.prefix:
        raise NotFound(NO_SUCH)
    return found.bucket, found.prefix
