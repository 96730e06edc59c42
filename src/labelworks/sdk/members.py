"""The members part of the client: a project's members, a password reset by their manager,
and an admin's view of someone's API tokens."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from pydantic import TypeAdapter

from labelworks.schemas.members import (
    MemberOut,
    PasswordResetIn,
    PasswordResetOut,
    UserTokenOut,
)
from labelworks.sdk.paths import segment

_MEMBERS = TypeAdapter(list[MemberOut])
_TOKENS = TypeAdapter(list[UserTokenOut])


class MembersApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def members(self, project: str) -> list[MemberOut]:
        """The project's members: role, vendor, team, active, joined, last annotation."""
        url = f"/projects/{segment(project)}/members"
        return _MEMBERS.validate_python(self._request("GET", url).json())

    def reset_password(self, project: str, email: str, password: str | None = None) -> str:
        """Give a member of the project a new password and return it (generated when
        ``password`` is None); every session of theirs ends."""
        body = PasswordResetIn(password=password).model_dump()
        url = f"/projects/{segment(project)}/members/{segment(email)}/password"
        done = PasswordResetOut.model_validate(self._request("POST", url, json_body=body).json())
        return password if password is not None else str(done.password)

    def user_tokens(self, email: str) -> list[UserTokenOut]:
        """Admins only: someone's API tokens (id, label and date)."""
        url = f"/users/{segment(email)}/tokens"
        return _TOKENS.validate_python(self._request("GET", url).json())

    def revoke_user_token(self, email: str, token_id: int) -> None:
        """Admins only: revoke one of someone's API tokens; it stops working at once."""
        self._request("DELETE", f"/users/{segment(email)}/tokens/{token_id}")
