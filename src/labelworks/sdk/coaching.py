"""The coaching part of the client: a person's coaching page, the caller's own, and a
manager's new note."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.coaching import CoachingOut, NoteOut
from labelworks.sdk.paths import segment


class CoachingApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def coaching(self, project: str, email: str) -> dict[str, Any]:
        """A person's coaching page: ``headline`` (annotations, ``gold`` and review
        ``acceptance`` as ``{correct, total, share, low, high}`` with the 95% Wilson
        interval), ``trend`` (per ISO week their gold accuracy and median seconds per item
        against the team's medians, ``None`` under three people), ``gold_mistakes`` and
        ``review_mistakes`` (the newest 50 of each: the item, their answer, the expert's
        answer or the reviewer's fix, and ``guideline`` with the section), their totals,
        and ``notes`` newest first. Managers see anyone behind their wall (another
        vendor's person raises ``NotFound``); others only themselves (``PermissionDenied``)."""
        url = f"/projects/{segment(project)}/people/{segment(email)}/coaching"
        return CoachingOut.model_validate(self._request("GET", url).json()).model_dump()

    def my_coaching(self, project: str) -> dict[str, Any]:
        """The caller's own coaching page in the project (as ``coaching`` gives it)."""
        url = f"/projects/{segment(project)}/me/coaching"
        return CoachingOut.model_validate(self._request("GET", url).json()).model_dump()

    def add_coaching_note(self, project: str, email: str, body: str) -> dict[str, Any]:
        """Add a note to a person's coaching log (managers and admins): 1 to 5,000
        characters once trimmed; returns ``{id, body, author, created_at}``. Notes are
        never edited: a correction is another note."""
        url = f"/projects/{segment(project)}/people/{segment(email)}/notes"
        # Sent as given: the server trims and checks it, and says what is wrong.
        response = self._request("POST", url, json_body={"body": body})
        return NoteOut.model_validate(response.json()).model_dump()
