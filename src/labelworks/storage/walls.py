"""Vendor walls in SQL: the one condition every query over people's work adds for a caller
who is walled to a vendor (``domain.access.wall``), so filters, lists, counts and exports
can only ever reach that vendor's annotators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, true

from labelworks.storage.tables import users, vendors


def within_wall(annotator_id: Any, vendor: str | None) -> Any:
    """``annotator_id`` belongs to someone of ``vendor`` (always true without a wall)."""
    if vendor is None:
        return true()
    people = (
        select(users.c.id)
        .join(vendors, vendors.c.id == users.c.vendor_id)
        .where(vendors.c.name == vendor)
    )
    return annotator_id.in_(people)
