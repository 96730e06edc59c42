"""The spec's ``privacy:`` policy: what to look for in items, and per audience whether
people see it as stored (``show``), with a warning naming the kinds found (``flag``), or
with each found value masked (``redact``). docs/project-spec.md, "privacy".

Audiences are the roles (``admin``, ``manager``, ``reviewer``, ``annotator``) and
``vendor``: anyone who belongs to a vendor, whatever their role. A vendor's staff get the
stricter of their role's and the vendor's treatment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from labelworks.domain.access import Actor
from labelworks.domain.fields import quoted, spec_error

__all__ = ["AUDIENCES", "PrivacySpec", "Treatment", "treatment_for"]

Treatment = Literal["show", "flag", "redact"]
Audience = Literal["vendor", "admin", "manager", "reviewer", "annotator"]
AUDIENCES: tuple[Audience, ...] = ("vendor", "admin", "manager", "reviewer", "annotator")
_STRICTNESS: dict[Treatment, int] = {"show": 0, "flag": 1, "redact": 2}
DEFAULT_AUDIENCES: dict[Audience, Treatment] = {
    "vendor": "redact",
    "admin": "show",
    "manager": "show",
    "reviewer": "show",
    "annotator": "flag",
}
PiiKind = Literal["email", "phone", "card", "iban", "ip"]


def _all_kinds() -> list[PiiKind]:
    return ["email", "phone", "card", "iban", "ip"]


class PrivacySpec(BaseModel):
    """``privacy``: screen items for personal data before people see them. ``detect``
    names the kinds (default all); ``analyser: true`` adds what the server's analyser
    (``LABELWORKS_PII_ANALYSER``) finds; ``keys`` names the payload keys screened (default
    every text value); ``audiences`` maps audiences to ``show|flag|redact`` (those not
    named keep the defaults: vendor redact, annotator flag, the rest show)."""

    model_config = ConfigDict(extra="forbid")

    detect: list[PiiKind] = Field(default_factory=_all_kinds, min_length=1, max_length=5)
    analyser: StrictBool = False
    keys: list[str] | None = Field(default=None, min_length=1, max_length=100)
    audiences: dict[Audience, Treatment] = Field(default_factory=dict, max_length=5)

    @field_validator("detect")
    @classmethod
    def _distinct_kinds(cls, value: list[PiiKind]) -> list[PiiKind]:
        seen: set[str] = set()
        for index, kind in enumerate(value):
            if kind in seen:
                raise spec_error(f"{kind!r} is listed twice", index)
            seen.add(kind)
        return value

    @field_validator("keys")
    @classmethod
    def _sane_keys(cls, value: list[str] | None) -> list[str] | None:
        for index, key in enumerate(value or []):
            if not key or len(key) > 200:
                raise spec_error("a payload key is 1 to 200 characters", index)
        if value is not None and len(set(value)) != len(value):
            raise spec_error(f"keys are listed more than once: {quoted(value)}")
        return value

    def treatment(self, audience: Audience) -> Treatment:
        return self.audiences.get(audience, DEFAULT_AUDIENCES[audience])


def treatment_for(actor: Actor | None, privacy: PrivacySpec | None) -> Treatment:
    """How ``actor`` sees items under ``privacy``: no policy or a trusted local operator
    (``None``) sees them as stored; a vendor's staff the stricter of role and vendor."""
    if privacy is None or actor is None:
        return "show"
    by_role = privacy.treatment(actor.role.value)
    if actor.vendor is None:
        return by_role
    by_vendor = privacy.treatment("vendor")
    return by_role if _STRICTNESS[by_role] >= _STRICTNESS[by_vendor] else by_vendor
