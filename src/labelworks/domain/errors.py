"""One error tree for the whole package.

Every error carries a stable ``code`` that interfaces map once (HTTP status in the server,
exit code in the CLI, exception class in the SDK). Codes are a public contract: never rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Location:
    """Where in the user's input a problem is: file, 1-based line, and field path."""

    file: str | None = None
    line: int | None = None
    field: str | None = None

    def describe(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)


class LabelworksError(Exception):
    """Base of every error labelworks raises on purpose."""

    code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.location = location
        self.details = dict(details or {})
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.location.describe() if self.location else ""
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self)}
        if self.location is not None:
            body["location"] = {
                "file": self.location.file,
                "line": self.location.line,
                "field": self.location.field,
            }
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(LabelworksError):
    """The caller sent something malformed; nothing was changed."""

    code = "invalid_input"


class InvalidSpec(InvalidInput):
    """A project spec fails validation."""

    code = "invalid_spec"


class InvalidImport(InvalidInput):
    """An import file has a malformed row; the whole import is refused."""

    code = "invalid_import"


class InvalidAnnotation(InvalidInput):
    """An annotation value does not fit the project's label schema."""

    code = "invalid_annotation"


class InvalidPrompt(InvalidInput):
    """A prompt document fails validation: its YAML, keys, parameters, or a template that
    does not parse or whose variables differ from the declared ones."""

    code = "invalid_prompt"


class NotFound(LabelworksError):
    """The named thing does not exist (or the caller may not know it exists)."""

    code = "not_found"


class Conflict(LabelworksError):
    """The request is well-formed but clashes with the current state."""

    code = "conflict"


class UnsafeSpecChange(Conflict):
    """A spec change would invalidate existing annotations; needs ``force``."""

    code = "unsafe_spec_change"


class AlreadyExists(Conflict):
    """A unique name or key is already taken."""

    code = "already_exists"


class LeaseLost(Conflict):
    """A submit came after the lease expired and the item filled up meanwhile.

    The value is kept as a late submission; nothing is lost.
    """

    code = "lease_lost"


class GuidelinesChanged(Conflict):
    """The project's guidelines changed since the annotator last acknowledged them; the
    details carry the new version, its changelog and a short diff to read first."""

    code = "guidelines_changed"


class AssignmentClosed(Conflict):
    """The assignment was already submitted or skipped."""

    code = "assignment_closed"


class AcceptanceNotMet(Conflict):
    """A delivery was asked for while some of the project's acceptance criteria are not
    met; the message lists each with its value, ``details["unmet"]`` holds them."""

    code = "acceptance_not_met"


class Unauthenticated(LabelworksError):
    """No valid credentials were presented."""

    code = "unauthenticated"


class PermissionDenied(LabelworksError):
    """The caller's role does not allow this."""

    code = "permission_denied"


class AnnotatorPaused(PermissionDenied):
    """The annotator is paused in this project (e.g. their gold accuracy fell below the
    bar) until a manager reinstates them; the message says why."""

    code = "annotator_paused"


class NotQualified(PermissionDenied):
    """The annotator has not passed the project's qualification test and may not take it
    again (or no fresh test questions are left); the message says what to do."""

    code = "not_qualified"


class RateLimited(LabelworksError):
    """Too many attempts; try again later."""

    code = "rate_limited"


class PayloadTooLarge(InvalidInput):
    """A request body is over its route's size limit; nothing of it was used."""

    code = "payload_too_large"


def error_classes() -> dict[str, type[LabelworksError]]:
    """Every error class under ``LabelworksError`` (itself included), by its ``code``."""
    found: dict[str, type[LabelworksError]] = {}
    pending: list[type[LabelworksError]] = [LabelworksError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def error_class(code: str | None) -> type[LabelworksError]:
    """The class whose stable ``code`` this is (``LabelworksError`` for an unknown one), so
    a stored refusal can be raised again as itself."""
    return error_classes().get(code or "", LabelworksError)
