"""Items as each person may see them under the project's ``privacy:`` policy.

This module is the one place the policy is applied, one function per shape handed to
people: ``payload_for`` (payloads), ``suggestions_for`` (pre-annotations),
``annotation_value_for`` (what annotators, reviewers and experts submitted),
``metadata_for`` (item metadata), ``text_for`` (comments and notes people typed),
``item_for`` (the item page: all of these with one warning), ``rows_for`` (queue rows'
payloads) and the ``*_text_for`` ones for stored JSON text (exports). Redaction happens on
the way out; the stored item never changes. Projects without a ``privacy`` section skip
all of it. Writes that may carry back what a redacting audience was shown (an annotation's
spans, a review's fix, an expert's answer) pass through ``restored``, so masks never become
data; searches over stored text pass through ``check_search``, so they never test guesses.

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
from labelworks.domain.annotation import spans_as_stored
from labelworks.domain.errors import InvalidInput
from labelworks.domain.media import media_keys
from labelworks.domain.pii import (
    Analyser,
    Finding,
    find_in_payload,
    find_in_text,
    find_in_value,
    redact_payload,
    redact_value,
)
from labelworks.domain.privacy import PrivacySpec, Treatment, treatment_for
from labelworks.domain.spec import ProjectSpec

__all__ = [
    "METADATA_SKIP",
    "Screened",
    "ScreenedItem",
    "analyser_in_use",
    "annotation_value_for",
    "check_search",
    "findings_in",
    "install_analyser",
    "item_for",
    "load_analyser",
    "metadata_for",
    "metadata_text_for",
    "payload_for",
    "payload_text_for",
    "restored",
    "rows_for",
    "suggestions_for",
    "text_for",
    "value_text_for",
]

# Metadata keys never screened: media processing's facts name the derived files (thumbnails)
# pages load, as the payload's media keys name the files themselves.
METADATA_SKIP = ("media",)

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
        return _warning(self.treatment, self.kinds, self.keys)


def _warning(treatment: Treatment, kinds: Sequence[str], where: Sequence[str]) -> str | None:
    if not kinds:
        return None
    what = ", ".join(kinds)
    places = ", ".join(where)
    if treatment == "redact":
        return f"Personal data masked ({what}) in {places}."
    return f"This item may hold personal data ({what}) in {places}; handle it with care."


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


def _redacting(actor: Actor | None, spec: ProjectSpec) -> PrivacySpec | None:
    """The policy when ``actor`` gets values masked under it, else ``None``."""
    privacy = spec.privacy
    if privacy is None or treatment_for(actor, privacy) != "redact":
        return None
    return privacy


def _masked(privacy: PrivacySpec, value: Any, skip: Sequence[str] = ()) -> Any:
    return redact_value(value, privacy.detect, skip=skip, analyser=analyser_in_use(privacy))


def suggestions_for(
    actor: Actor | None, spec: ProjectSpec, suggestions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Pre-annotations as ``actor`` may see them: for a ``redact`` audience every text in
    their values masked as the payload is (a model's suggested rationale or span text can
    quote what the payload holds); otherwise as stored."""
    privacy = _redacting(actor, spec)
    if not suggestions or privacy is None:
        return suggestions
    return [{**s, "value": _masked(privacy, s.get("value"))} for s in suggestions]


ValueT = TypeVar("ValueT", bound=dict[str, Any] | None)


def annotation_value_for(actor: Actor | None, spec: ProjectSpec, value: ValueT) -> ValueT:
    """A submitted value (an annotation, a review's fix, an expert's answer or final label)
    as ``actor`` may see it: for a ``redact`` audience every text in it masked, however
    deep (a free-text answer or a span's text can quote the payload, or hold what the
    annotator typed); otherwise as stored. The policy's ``keys`` name payload keys, so they
    do not narrow this."""
    privacy = _redacting(actor, spec)
    if value is None or privacy is None:
        return value
    masked: ValueT = _masked(privacy, value)
    return masked


def metadata_for(
    actor: Actor | None, spec: ProjectSpec, metadata: dict[str, Any]
) -> dict[str, Any]:
    """An item's metadata as ``actor`` may see it: for a ``redact`` audience every text in
    it masked except media processing's facts (``METADATA_SKIP``); otherwise as stored."""
    privacy = _redacting(actor, spec)
    if not metadata or privacy is None:
        return metadata
    masked: dict[str, Any] = _masked(privacy, metadata, METADATA_SKIP)
    return masked


def text_for(actor: Actor | None, spec: ProjectSpec, text: str) -> str:
    """A comment or note a person typed about an item (a flag's comment, a reviewer's or
    expert's note) as ``actor`` may see it: masked for a ``redact`` audience."""
    privacy = _redacting(actor, spec)
    if not text or privacy is None:
        return text
    masked: str = _masked(privacy, text)
    return masked


def value_text_for(actor: Actor | None, spec: ProjectSpec, text: str) -> str:
    """A stored JSON value's text (an annotation's value, a final label, a pre-annotation's
    value) as ``actor`` may see it (exports): as stored unless their treatment is
    ``redact``, then re-encoded with every text masked."""
    privacy = _redacting(actor, spec)
    if privacy is None:
        return text
    return json.dumps(_masked(privacy, json.loads(text)), ensure_ascii=False)


def metadata_text_for(actor: Actor | None, spec: ProjectSpec, text: str) -> str:
    """Stored metadata JSON text as ``actor`` may see it (exports), as ``metadata_for``."""
    privacy = _redacting(actor, spec)
    if privacy is None:
        return text
    return json.dumps(_masked(privacy, json.loads(text), METADATA_SKIP), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ScreenedItem:
    """An item as one person sees it on its page: payload, metadata and the values of
    its annotations with ``treatment`` applied; ``kinds`` names what was found anywhere in
    them and ``where`` where (payload keys, then ``metadata``, ``annotations``)."""

    payload: dict[str, Any]
    metadata: dict[str, Any]
    values: list[dict[str, Any]]
    treatment: Treatment = "show"
    kinds: Sequence[str] = ()
    where: Sequence[str] = ()

    @property
    def warning(self) -> str | None:
        """The sentence the page shows above the item, or ``None``."""
        return _warning(self.treatment, self.kinds, self.where)


def item_for(
    actor: Actor | None,
    spec: ProjectSpec,
    payload: dict[str, Any],
    metadata: dict[str, Any],
    values: list[dict[str, Any]],
) -> ScreenedItem:
    """An item with its metadata and annotations' values as ``actor`` may see it:
    ``payload_for``, ``metadata_for`` and ``annotation_value_for`` in one, with one warning
    naming every kind found (``flag`` and ``redact``)."""
    shown = payload_for(actor, spec, payload)
    privacy = spec.privacy
    if privacy is None or shown.treatment == "show":
        return ScreenedItem(payload, metadata, values)
    analyser = analyser_in_use(privacy)
    kinds = set(shown.kinds)
    where = list(shown.keys)
    for place, value, skip in (
        ("metadata", metadata, METADATA_SKIP),
        ("annotations", values, ()),
    ):
        found = find_in_value(value, privacy.detect, skip=skip, analyser=analyser)
        if found:
            kinds.update(finding.kind for finding, _text in found)
            where.append(place)
    if shown.treatment == "redact":
        metadata = metadata_for(actor, spec, metadata)
        values = [annotation_value_for(actor, spec, value) for value in values]
    return ScreenedItem(
        shown.payload, metadata, values, shown.treatment, tuple(sorted(kinds)), tuple(where)
    )


def restored(
    actor: Actor | None,
    spec: ProjectSpec,
    sent: dict[str, Any],
    stored: Sequence[dict[str, Any] | None],
    *,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``sent`` (a value a person submits about an item) with each field that is exactly a
    stored value's field as ``actor`` was shown it masked replaced by the stored field,
    taken from the first of ``stored`` that matches: a reviewer's fix keeps the original's
    masked free text, an expert taking an annotation takes it as it was given. With the
    item's ``payload``, each span marked on the payload as ``actor`` was shown it takes
    the stored text at its offsets (``domain.annotation.spans_as_stored``). Without
    masking for ``actor`` (or nothing masked), ``sent`` as it is."""
    privacy = _redacting(actor, spec)
    if privacy is None:
        return sent
    out = dict(sent)
    if payload is not None:
        shown = payload_for(actor, spec, payload).payload
        out = dict(spans_as_stored(spec.fields, out, payload, shown))
    for name, given in sent.items():
        for original in stored:
            if original is None or name not in original:
                continue
            if original[name] == given:
                break  # given as stored: nothing was masked in it
            if _masked(privacy, original[name]) == given:
                out[name] = original[name]
                break
    return out


def check_search(
    actor: Actor | None, spec: ProjectSpec, terms: Sequence[tuple[str, str | None]]
) -> None:
    """Refuse, for someone who sees personal data masked, a search term (``(filter name,
    term)``) holding some: matched against the stored text, it would tell them whether a
    masked value is the one they guessed. ``InvalidInput`` names the filter and the kinds,
    never the term; refused rather than matching nothing, so an empty page never passes
    for an answer and the refusal depends on the term alone."""
    privacy = _redacting(actor, spec)
    if privacy is None:
        return
    analyser = analyser_in_use(privacy)
    for name, term in terms:
        found = find_in_text(term, privacy.detect, analyser=analyser) if term else []
        if found:
            kinds = ", ".join(sorted({kind for kind, _start, _end in found}))
            raise InvalidInput(
                f"the {name} filter holds personal data ({kinds}), which project "
                f"'{spec.name}' masks for you: filter by other words",
                details={"field": name},
            )


def payload_text_for(actor: Actor | None, spec: ProjectSpec, text: str) -> str:
    """Stored payload JSON text as ``actor`` may see it (the items table's preview): as
    stored unless their treatment is ``redact``, then re-encoded with values masked."""
    if _redacting(actor, spec) is None:
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
    if _redacting(actor, spec) is None:
        return rows
    return [
        replace(row, payload=payload_for(actor, spec, row.payload).payload)  # type: ignore[type-var]
        for row in rows
    ]
