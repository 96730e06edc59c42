"""Diffs between two texts of a spec (or guidelines): the unified diff the CLI and the API
give, and the same diff as numbered, classified lines for a page to colour."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

LineKind = Literal["file", "hunk", "add", "remove", "same"]
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a unified diff: its kind, its text without the ``+``/``-``/`` `` mark,
    and its 1-based line number in the old and in the new text (``None`` where it has
    none: an added line has no old number, headers have neither)."""

    kind: LineKind
    text: str
    old: int | None = None
    new: int | None = None


def unified_diff(old: str, new: str, *, old_label: str, new_label: str, context: int = 3) -> str:
    """The whole unified diff of ``old`` and ``new`` (empty when they are equal)."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, n=context, lineterm=""
    )
    return "\n".join(lines)


def diff_lines(diff: str) -> list[DiffLine]:
    """A unified diff (as ``unified_diff`` writes it) as classified, numbered lines."""
    out: list[DiffLine] = []
    old = new = 0
    for line in diff.splitlines():
        if line.startswith(("--- ", "+++ ")) and (not out or out[-1].kind == "file"):
            out.append(DiffLine("file", line))
            continue
        found = _HUNK.match(line)
        if found:
            old, new = int(found.group(1)), int(found.group(2))
            out.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            out.append(DiffLine("add", line[1:], new=new))
            new += 1
        elif line.startswith("-"):
            out.append(DiffLine("remove", line[1:], old=old))
            old += 1
        else:
            out.append(DiffLine("same", line[1:], old=old, new=new))
            old += 1
            new += 1
    return out


def changed_lines(diff: str) -> tuple[int, int]:
    """How many lines the diff adds and removes."""
    lines = diff_lines(diff)
    return sum(d.kind == "add" for d in lines), sum(d.kind == "remove" for d in lines)
