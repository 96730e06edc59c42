"""Vendors and their contracts (``vendor_terms``): the rate card and SLA kept as the JSON
``domain.vendor_terms`` validated before they were written."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from labelworks.storage.tables import vendor_terms, vendors


@dataclass(frozen=True, slots=True)
class StoredTerms:
    """A vendor's terms as stored, JSON decoded (``domain.vendor_terms.terms_from_dict``
    makes them a model again)."""

    vendor: str
    data: dict[str, Any]
    updated_at: datetime


def vendor_names(conn: Connection) -> list[str]:
    return [str(n) for n in conn.execute(select(vendors.c.name).order_by(vendors.c.name)).scalars()]


def vendor_id(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(vendors.c.id).where(vendors.c.name == name)).scalar()
    return None if found is None else int(found)


def terms_of(conn: Connection, names: list[str] | None = None) -> dict[str, StoredTerms]:
    """The terms of the named vendors (every vendor's when ``names`` is ``None``), by
    vendor name; vendors without terms are left out."""
    query = select(
        vendors.c.name,
        vendor_terms.c.currency,
        vendor_terms.c.per_annotation,
        vendor_terms.c.per_hour,
        vendor_terms.c.sla,
        vendor_terms.c.contact,
        vendor_terms.c.updated_at,
    ).join(vendor_terms, vendor_terms.c.vendor_id == vendors.c.id)
    if names is not None:
        query = query.where(vendors.c.name.in_(names))
    found = {}
    for r in conn.execute(query):
        data = {
            "currency": r.currency,
            "per_annotation": json.loads(r.per_annotation),
            "per_hour": r.per_hour,
            "sla": json.loads(r.sla),
            "contact": r.contact,
        }
        found[str(r.name)] = StoredTerms(str(r.name), data, r.updated_at)
    return found


def save_terms(conn: Connection, vendor: int, data: dict[str, Any], now: datetime) -> None:
    """Write a vendor's terms (``data`` as ``VendorTerms.model_dump()``), replacing any."""
    values = {
        "currency": data["currency"],
        "per_annotation": json.dumps(data["per_annotation"], sort_keys=True),
        "per_hour": data["per_hour"],
        "sla": json.dumps(data["sla"], sort_keys=True),
        "contact": data["contact"],
        "updated_at": now,
    }
    # One write lock (SQLite) or the vendor's row lock (PostgreSQL) serialises two saves.
    conn.execute(select(vendors.c.id).where(vendors.c.id == vendor).with_for_update())
    exists = conn.execute(
        select(vendor_terms.c.vendor_id).where(vendor_terms.c.vendor_id == vendor)
    ).first()
    if exists is None:
        conn.execute(insert(vendor_terms).values(vendor_id=vendor, **values))
    else:
        conn.execute(
            update(vendor_terms).where(vendor_terms.c.vendor_id == vendor).values(**values)
        )
