"""The people part of the client: users, project membership, deactivation and tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import httpx
from pydantic import TypeAdapter

from labelworks.schemas.api import (
    MemberIn,
    RoleName,
    TokenIn,
    TokenInfoOut,
    TokenOut,
    UserCreatedOut,
    UserIn,
    UserOut,
)
from labelworks.sdk.paths import segment

_USERS = TypeAdapter(list[UserOut])
_TOKENS = TypeAdapter(list[TokenInfoOut])


class PeopleApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def users(self) -> list[UserOut]:
        """Everyone (admins) or the people of the caller's projects (managers)."""
        return _USERS.validate_python(self._request("GET", "/users").json())

    def create_user(
        self,
        email: str,
        *,
        role: RoleName = "annotator",
        name: str = "",
        projects: Iterable[str] = (),
        vendor: str | None = None,
        team: str | None = None,
        password: str | None = None,
        token: bool = False,
    ) -> UserCreatedOut:
        """Create a new user; ``token`` (admins only) mints an API token for them, returned
        once in the result. An existing email raises ``AlreadyExists``: use ``add_member``."""
        body = UserIn(
            email=email,
            role=role,
            name=name,
            projects=list(projects),
            vendor=vendor,
            team=team,
            password=password,
            token=token,
        )
        response = self._request("POST", "/users", json_body=body.model_dump())
        return UserCreatedOut.model_validate(response.json())

    def add_member(self, project: str, email: str) -> UserOut:
        """Add an existing person to a project you manage."""
        body = MemberIn(email=email).model_dump()
        url = f"/projects/{segment(project)}/members"
        return UserOut.model_validate(self._request("POST", url, json_body=body).json())

    def remove_member(self, project: str, email: str) -> None:
        """Take a person off a project you manage (their annotations stay)."""
        self._request("DELETE", f"/projects/{segment(project)}/members/{segment(email)}")

    def deactivate_user(self, email: str) -> UserOut:
        """End every session and token of the person at once; they can no longer log in."""
        url = f"/users/{segment(email)}/deactivate"
        return UserOut.model_validate(self._request("POST", url).json())

    def reactivate_user(self, email: str) -> UserOut:
        """Let a deactivated person log in again."""
        url = f"/users/{segment(email)}/reactivate"
        return UserOut.model_validate(self._request("POST", url).json())

    def issue_token(self, email: str, label: str = "") -> str:
        """Admins only: a new API token for someone else (shown once)."""
        body = TokenIn(label=label).model_dump()
        url = f"/users/{segment(email)}/tokens"
        return TokenOut.model_validate(self._request("POST", url, json_body=body).json()).token

    def me(self) -> UserOut:
        """The caller: email, name, role, vendor, team and projects."""
        return UserOut.model_validate(self._request("GET", "/me").json())

    def tokens(self) -> list[TokenInfoOut]:
        """The caller's API tokens: id, label and date (never the token itself)."""
        return _TOKENS.validate_python(self._request("GET", "/me/tokens").json())

    def create_token(self, label: str = "") -> str:
        """A new API token for the caller (shown once)."""
        body = TokenIn(label=label).model_dump()
        return TokenOut.model_validate(
            self._request("POST", "/me/tokens", json_body=body).json()
        ).token

    def revoke_token(self, token_id: int) -> None:
        """Revoke one of the caller's tokens; it stops working at once."""
        self._request("DELETE", f"/me/tokens/{token_id}")
