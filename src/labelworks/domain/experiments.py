"""An experiment's design: its name, what it randomises (annotators or items), its two arms
and, optionally, the treatment labelworks applies itself.

The arms are labels of whatever the operation changes between them (a guideline version,
a vendor's workflow, a UI setting): the split is recorded and the analysis compares them.
One treatment is applied by labelworks itself: ``suggestions``, where the first arm is
shown the project's suggestions (pre-annotations) and the second is not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labelworks.domain.errors import InvalidInput, Location

UNITS = ("annotator", "item")
TREATMENTS = ("suggestions",)
MAX_NAME = 200
MAX_ARM = 64
MAX_DESCRIPTION = 2000
MAX_SEED = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Arm:
    """An arm: its name, what it stands for, and (under the ``suggestions`` treatment)
    whether its units are shown suggestions; ``None`` without a treatment."""

    name: str
    description: str = ""
    suggestions: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.suggestions is not None:
            out["suggestions"] = self.suggestions
        return out


def _text(value: str, field: str, most: int, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{field} must not be empty", location=Location(field=field))
    if len(text) > most:
        raise InvalidInput(
            f"{field} must be at most {most} characters, not {len(text)}",
            location=Location(field=field),
        )
    if "\x00" in text:
        raise InvalidInput(
            f"{field} must not contain a NUL character", location=Location(field=field)
        )
    return text


def design(
    name: str,
    unit: str,
    arms: Sequence[tuple[str, str]],
    treatment: str | None = None,
    description: str = "",
) -> tuple[str, str, list[Arm]]:
    """The checked ``(name, description, arms)``; every problem names its field.

    >>> design("guide", "annotator", [("A", "v3"), ("B", "v4")], "suggestions")[2][1]
    Arm(name='B', description='v4', suggestions=False)
    """
    name = _text(name, "name", MAX_NAME, required=True)
    if "/" in name:
        # The name is a segment of the experiment's URLs.
        raise InvalidInput("name must not contain '/'", location=Location(field="name"))
    description = _text(description, "description", MAX_DESCRIPTION, required=False)
    if unit not in UNITS:
        raise InvalidInput(
            f"unit must be one of {', '.join(UNITS)}, not '{unit}'", location=Location(field="unit")
        )
    if treatment is not None and treatment not in TREATMENTS:
        raise InvalidInput(
            f"treatment must be one of {', '.join(TREATMENTS)} (or none), not '{treatment}'",
            location=Location(field="treatment"),
        )
    if len(arms) != 2:
        raise InvalidInput(
            f"an experiment has exactly two arms, not {len(arms)}", location=Location(field="arms")
        )
    made = []
    for k, (arm_name, arm_description) in enumerate(arms):
        field = f"arms[{k}]"
        shown = None if treatment is None else k == 0
        made.append(
            Arm(
                _text(arm_name, f"{field}.name", MAX_ARM, required=True),
                _text(arm_description, f"{field}.description", MAX_DESCRIPTION, required=False),
                shown,
            )
        )
    if made[0].name == made[1].name:
        raise InvalidInput(
            f"the two arms need different names (both are '{made[0].name}')",
            location=Location(field="arms[1].name"),
        )
    return name, description, made


def arms_json(arms: Sequence[Arm]) -> str:
    return json.dumps([a.as_dict() for a in arms], ensure_ascii=False)


def arms_from_json(text: str) -> list[Arm]:
    return [
        Arm(str(a["name"]), str(a.get("description", "")), a.get("suggestions"))
        for a in json.loads(text)
    ]


def treatment_of(arms: Sequence[Arm]) -> str | None:
    """``"suggestions"`` when the arms say who is shown suggestions, else ``None``."""
    return "suggestions" if any(a.suggestions is not None for a in arms) else None
