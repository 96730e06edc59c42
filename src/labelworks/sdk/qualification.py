"""The qualification part of the client: each member's standing in a project's
qualification test (or a training project's progress), and letting a member try again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.qualification import QualificationOut
from labelworks.sdk.paths import segment


class QualificationApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def qualification(self, project: str) -> dict[str, Any]:
        """The project's rule (``{items, pass, retries}``, ``None`` without a test),
        ``training``, ``gold_items``, and ``members``: each one's ``state`` (``untested``,
        ``training``, ``not_started``, ``testing``, ``blocked``, ``qualified``),
        ``qualified_at`` (a UTC datetime), ``failed_attempts``, ``attempt``, the current
        attempt's ``answered`` and ``correct``, ``questions_left`` and every gold answer's
        ``gold_answered`` and ``gold_correct``; blocked people first. Behind a vendor wall,
        that vendor's people only."""
        response = self._request("GET", f"/projects/{segment(project)}/qualification")
        return QualificationOut.model_validate(response.json()).model_dump(by_alias=True)

    def allow_qualification_retry(self, project: str, email: str) -> None:
        """Let a member who has not passed take the test again from a fresh attempt
        (``NotFound`` if they already passed)."""
        url = f"/projects/{segment(project)}/members/{segment(email)}/qualification/retry"
        self._request("POST", url)
