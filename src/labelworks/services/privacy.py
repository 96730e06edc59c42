"""Items as each person may see them under the project's ``privacy:`` policy.

``payload_for`` is the one place the policy is applied: every path that hands an item's
payload to a person (the work API and labeling page, item, review and adjudication pages,
the preview, exports) passes it through here. Redaction happens on the way out; the stored
item never changes. Projects without a ``privacy`` section skip all of it.

The optional analyser (``LABELWORKS_PII_ANALYSER=module:function``) is installed once by
the entry point (``install_analyser``) and used by every project whose policy says
``analyser: true``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput
from labelworks.domain.media import media_keys
from labelworks.domain.pii import (
    Analyser,
    Finding,
    find_in_payload,
    find_in_text,
    redact_payload,
    redact_text,
)
from labelworks.domain.privacy import PrivacySpec, Treatment, treatment_for
from labelworks.domain.spec import ProjectSpec

__all__ = [
    "Screened",
    "analyser_in_use",
    "findings_in",
    "install_analyser",
    "load_analyser",
    "payload_for",
    "payload_text_for",
    "rows_for",
]

_installed: list[Analyser] = []


def load_analyser(path: str) -> Analyser:
    """The callable a ``module:function`` path names; ``InvalidInput`` naming the setting
    when it cannot be imported or is not callable."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise InvalidInput(
            f"LABELWORKS_PII_ANALYSER must be 'module:function', got {path!r}",
            details={"setting": "pii_analyser"},
        )
    try:
        found: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise InvalidInput(
            f"LABELWORKS_PII_ANALYSER {path!r} cannot be loaded: {exc}",
            details={"setting": "pii_analyser"},
        ) from None
    if not callable(found):
        raise InvalidInput(
            f"LABELWORKS_PII_ANALYSER {path!r} is not callable", details={"setting": "pii_analyser"}
        )
    analyser: Analyser = found
    return analyser


def install_analyser(analyser: Analyser | None) -> None:
    """Use ``analyser`` for policies with ``analyser: true`` (``None``: none installed)."""
    _installed.clear()
    if analyser is not None:
        _installed.append(analyser)


def install_setting(path: str) -> None:
    """Install the analyser the ``pii_analyser`` setting names (none when it is empty);
    ``InvalidInput`` naming the setting when it cannot be loaded."""
    install_analyser(load_analyser(path) if path else None)


def analyser_in_use(privacy: PrivacySpec) -> Analyser | None:
    """The installed analyser if the policy asks for one; a policy that asks for one where
    none is installed is refused rather than quietly screening less than it says."""
    if not privacy.analyser:
        return None
    if not _installed:
        raise InvalidInput(
            "the project's privacy policy asks for an analyser, and this server has none "
            "(set LABELWORKS_PII_ANALYSER=module:function)",
            details={"field": "privacy.analyser"},
        )
    return _installed[0]


def findings_in(spec: ProjectSpec, payload: Mapping[str, Any]) -> list[Finding]:
    """What the project's policy finds in one payload ([] without a policy). Media paths
    (the keys boxes and segments fields load) are never screened: masking them would only
    break the page."""
    privacy = spec.privacy
    if privacy is None:
        return []
    return find_in_payload(
        payload,
        privacy.detect,
        keys=privacy.keys,
        skip=media_keys(spec.fields),
        analyser=analyser_in_use(privacy),
    )


@dataclass(frozen=True, slots=True)
class Screened:
    """A payload as one person sees it: ``treatment`` applied; ``kinds`` names what was
    found (for ``flag`` and ``redact``, the warning a page shows); ``keys`` where."""

    payload: dict[str, Any]
    treatment: Treatment = "show"
    kinds: Sequence[str] = field(default_factory=tuple)
    keys: Sequence[str] = field(default_factory=tuple)

    @property
    def warning(self) -> str | None:
        """The sentence a page shows above the item, or ``None``."""
        if not self.kinds:
            return None
        what = ", ".join(self.kinds)
        where = ", ".join(self.keys)
        if self.treatment == "redact":
            return f"Personal data masked ({what}) in {where}."
        return f"This item may hold personal data ({what}) in {where}; handle it with care."


def payload_for(actor: Actor | None, spec: ProjectSpec, payload: dict[str, Any]) -> Screened:
    """``payload`` as ``actor`` may see it in a project with ``spec``: as stored, flagged
    with the kinds found, or with each found value masked character for character (the
    text keeps its length, so span offsets mean the same on both). ``payload`` is not
    changed."""
    treatment = treatment_for(actor, spec.privacy)
    if treatment == "show":
        return Screened(payload)
    findings = findings_in(spec, payload)
    if not findings:
        return Screened(payload, treatment)
    kinds = tuple(sorted({finding.kind for finding in findings}))
    keys = tuple(dict.fromkeys(finding.key for finding in findings))
    shown = redact_payload(payload, findings) if treatment == "redact" else payload
    return Screened(shown, treatment, kinds, keys)


def _masked(value: Any, kinds: Sequence[str], analyser: Analyser | None) -> Any:
    if isinstance(value, str):
        found = find_in_text(value, kinds, analyser=analyser)
        return redact_text(value, [(start, end) for _kind, start, end in found]) if found else value
    if isinstance(value, list):
        return [_masked(v, kinds, analyser) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, kinds, analyser) for k, v in value.items()}
    return value


def suggestions_for(
    actor: Actor | None, spec: ProjectSpec, suggestions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Pre-annotations as ``actor`` may see them: for a ``redact`` audience every text in
    their values masked as the payload is (a model's suggested rationale or span text can
    quote what the payload holds); otherwise as stored."""
    privacy = spec.privacy
    if not suggestions or privacy is None or treatment_for(actor, privacy) != "redact":
        return suggestions
    analyser = analyser_in_use(privacy)
    return [{**s, "value": _masked(s.get("value"), privacy.detect, analyser)} for s in suggestions]


def payload_text_for(actor: Actor | None, spec: ProjectSpec, text: str) -> str:
    """Stored payload JSON text as ``actor`` may see it (the items table's preview): as
    stored unless their treatment is ``redact``, then re-encoded with values masked."""
    if treatment_for(actor, spec.privacy) != "redact":
        return text
    payload = json.loads(text)
    if not isinstance(payload, dict):
        return text
    return json.dumps(payload_for(actor, spec, payload).payload, ensure_ascii=False)


class _HasPayload(Protocol):
    @property
    def payload(self) -> dict[str, Any]: ...


RowT = TypeVar("RowT", bound=_HasPayload)


def rows_for(actor: Actor | None, spec: ProjectSpec, rows: list[RowT]) -> list[RowT]:
    """Rows of a queue (frozen dataclasses with a ``payload``) with each payload as
    ``actor`` may see it; the same list when their treatment leaves payloads as stored."""
    if treatment_for(actor, spec.privacy) != "redact":
        return rows
    return [
        replace(row, payload=payload_for(actor, spec, row.payload).payload)  # type: ignore[type-var]
        for row in rows
    ]
