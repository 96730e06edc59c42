"""Vendors: scorecards, terms, usage statements (JSON and CSV) and comparisons on gold.

Managers and admins read; admins set terms; a vendor's manager reads their own vendor only
(another vendor is a 404).
"""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Query, Response

from labelworks.domain.vendor_terms import period_of
from labelworks.schemas.vendors import (
    ComparisonOut,
    ScorecardOut,
    ScorecardsOut,
    StatementOut,
    VendorOut,
    VendorTermsIn,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import TextKey
from labelworks.services import vendors
from labelworks.services.vendor_comparison import compare_vendors
from labelworks.services.vendor_statements import statement_csv, usage_statement
from labelworks.services.vendor_usage import scorecard, scorecards

router = APIRouter(prefix="/api/v1", tags=["vendors"], responses=ERRORS)
Period = Query(
    None,
    max_length=40,
    description="YYYY-MM, YYYY-Www (ISO week), YYYY-MM-DD..YYYY-MM-DD or all (default)",
)
CSV = "text/csv; charset=utf-8"


@router.get("/vendors", operation_id="list_vendors", response_model=ScorecardsOut)
def list_vendors(db: DB, actor: CurrentActor, period: str | None = Period) -> ScorecardsOut:
    """Every vendor's scorecard for the period (in-house people as ``internal``), as far as
    the caller may see: managers and admins; a vendor's manager sees their vendor only."""
    found = scorecards(db, period=period_of(period), actor=actor)
    return ScorecardsOut.model_validate(found, from_attributes=True)


@router.get("/vendors/{vendor}", operation_id="vendor_scorecard", response_model=ScorecardOut)
def vendor(
    vendor: TextKey, db: DB, actor: CurrentActor, period: str | None = Period
) -> ScorecardOut:
    """One vendor's scorecard (``internal``: the in-house people's)."""
    found = scorecard(db, vendor, period=period_of(period), actor=actor)
    return ScorecardOut.model_validate(found, from_attributes=True)


@router.get("/vendors/{vendor}/terms", operation_id="vendor_terms", response_model=VendorOut)
def terms(vendor: TextKey, db: DB, actor: CurrentActor) -> VendorOut:
    """The vendor's terms (``terms`` is null until an admin sets them)."""
    return VendorOut.model_validate(
        vendors.get_terms(db, vendor, actor=actor), from_attributes=True
    )


@router.put(
    "/vendors/{vendor}/terms",
    operation_id="set_vendor_terms",
    response_model=VendorOut,
    openapi_extra=json_body_doc(VendorTermsIn),
)
def set_terms(vendor: TextKey, db: DB, actor: CurrentActor, raw: RawBody) -> VendorOut:
    """Replace the vendor's terms (admins only): rate card, SLA targets, contact."""
    vendors.get_terms(db, vendor, actor=actor)  # 404 before the body is read
    body = parse_body(VendorTermsIn, raw)
    saved = vendors.set_terms(db, vendor, body.model_dump(), actor=actor)
    return VendorOut.model_validate(saved, from_attributes=True)


@router.get(
    "/vendors/{vendor}/statement",
    operation_id="vendor_statement",
    response_model=StatementOut,
    responses={200: {"content": {"application/json": {}, CSV: {}}}},
)
def statement(
    vendor: TextKey,
    db: DB,
    actor: CurrentActor,
    period: str = Query(..., min_length=1, max_length=40, description="e.g. 2026-11"),
    format: Literal["json", "csv"] = Query("json"),
) -> Response:
    """The vendor's usage statement for the period: a line per annotation (billed, held,
    reworked or rejected), its rate and amount, and the total; ``format=csv`` for the lines
    as CSV."""
    found = usage_statement(db, vendor, period=period_of(period), actor=actor)
    if format == "csv":
        # Only safe characters in a header: a vendor's name may hold anything.
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{found.vendor}-{found.period}") + ".csv"
        return Response(
            statement_csv(found),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    body = StatementOut.model_validate(found, from_attributes=True)
    return Response(body.model_dump_json(), media_type="application/json")


@router.get(
    "/vendors/{vendor}/compare/{other}",
    operation_id="compare_vendors",
    response_model=ComparisonOut,
)
def compare(
    vendor: TextKey,
    other: TextKey,
    db: DB,
    actor: CurrentActor,
    project: str = Query(..., min_length=1, max_length=64, pattern=r"^[^\x00]*$"),
) -> ComparisonOut:
    """``vendor`` against ``other`` on the project's gold: the difference in accuracy with
    its 95% interval (paired with McNemar's test on shared gold items, else independent)."""
    found = compare_vendors(db, vendor, other, project=project, actor=actor)
    return ComparisonOut.model_validate(found, from_attributes=True)
