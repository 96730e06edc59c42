"""Guideline versions: the short diff an annotator reads before acknowledging a new one."""

from __future__ import annotations

import difflib

MAX_DIFF_LINES = 80


def short_diff(old: str, new: str, *, old_label: str, new_label: str) -> str:
    """A unified diff of the guideline texts with two lines of context, cut at
    ``MAX_DIFF_LINES`` (with a note saying how many lines were left out)."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_label, new_label, n=2, lineterm=""
        )
    )
    if len(lines) <= MAX_DIFF_LINES:
        return "\n".join(lines)
    hidden = len(lines) - MAX_DIFF_LINES
    return "\n".join([*lines[:MAX_DIFF_LINES], f"… {hidden} more lines: read the guidelines"])
