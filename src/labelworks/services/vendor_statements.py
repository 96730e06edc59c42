"""A vendor's usage statement for a period: one line per annotation of theirs still in the
data set and submitted in the period, its billing status (``stats.vendor_billing``), the
kinds of fields it answered, its rate and amount; the total is the sum of the lines.

The lines are the vendor's annotations that ``labelworks export`` writes (an export holds
every annotation in the data set): the same annotation on both sides is the same item id,
annotator and submit time. Annotations set aside before the statement was drawn are not in
the export and not billed; the statement counts them apart (rejected in review, or set
aside for another reason).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from labelworks.domain.access import Actor, wall
from labelworks.domain.errors import InvalidInput
from labelworks.domain.vendor_terms import LINE_STEP, Money, Period, VendorTerms, decimal_of
from labelworks.formats import escape_formula
from labelworks.formats.json_text import utc_text
from labelworks.services.access import visible_project_ids
from labelworks.services.specs import stored_spec
from labelworks.services.vendor_facts import kinds_by_project, kinds_of_value
from labelworks.services.vendors import known_vendor, stored_terms
from labelworks.stats.vendor_billing import Status, billing_status
from labelworks.storage import projects as project_store
from labelworks.storage import vendor_stats as store
from labelworks.storage.engine import Database
from labelworks.storage.vendor_stats import Scope

CSV_COLUMNS = (
    "annotation_id",
    "project",
    "item_id",
    "external_id",
    "annotator",
    "submitted_at",
    "field_kinds",
    "status",
    "active_seconds",
    "rate",
    "amount",
    "currency",
)


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One annotation: ``rate`` is the per-annotation price of its kinds (``None``: not
    priced), ``amount`` what it is billed (0 unless ``status`` is ``billed``; ``None``
    when a billed line cannot be priced)."""

    annotation_id: int
    project: str
    item_id: int
    external_id: str | None
    annotator: str
    submitted_at: datetime
    kinds: tuple[str, ...]
    status: Status
    seconds: float | None
    rate: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class Statement:
    """A vendor's statement for ``period``; ``total`` is the sum of the priced lines
    (``None`` without lines or without a price on the card); ``missing`` the kinds the card
    has no rate for (their billed lines are unpriced, and not in the total)."""

    vendor: str
    period: str
    terms: VendorTerms | None
    lines: list[StatementLine]
    total: Money | None
    rejected: int
    set_aside: int
    missing: tuple[str, ...]

    def count(self, status: Status) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def currency(self) -> str | None:
        return None if self.terms is None else self.terms.currency

    @property
    def billed(self) -> int:
        return self.count("billed")

    @property
    def held(self) -> int:
        return self.count("held")

    @property
    def reworked(self) -> int:
        return self.count("reworked")

    @property
    def unpriced(self) -> int:
        return sum(1 for line in self.lines if line.status == "billed" and line.amount is None)

    @property
    def empty(self) -> bool:
        return not self.lines and not self.rejected and not self.set_aside


def usage_statement(
    db: Database, vendor: str, *, period: Period, actor: Actor | None = None
) -> Statement:
    """The vendor's statement for ``period`` over the projects the actor may see."""
    with db.read(snapshot=True) as conn:
        name = known_vendor(conn, actor, vendor, internal=True)
        if name is None:
            raise InvalidInput("in-house people have no statement: they have no rate card")
        terms = stored_terms(conn, [name]).get(name)
        visible = visible_project_ids(conn, actor)
        scope = Scope(
            period.start, period.end, None if visible is None else frozenset(visible), wall(actor)
        )
        rows = store.lines(conn, name, scope)
        ids = {r.project_id for r in rows}
        specs = {p.id: stored_spec(p.spec) for p in project_store.all_projects(conn) if p.id in ids}
        kinds = kinds_by_project(specs)
        optional = [r.annotation_id for r in rows if kinds[r.project_id][1]]
        values = store.values_of(conn, optional)
        rejected = set_aside = 0
        for v, _, was_rejected, n in store.set_aside_counts(conn, scope):
            if v == name:
                rejected += n if was_rejected else 0
                set_aside += 0 if was_rejected else n
    lines = []
    missing: set[str] = set()
    price = _Pricer(terms) if terms is not None else None
    billed = Decimal(0)
    for r in rows:
        always, maybe = kinds[r.project_id]
        answered = kinds_of_value(values[r.annotation_id], always, maybe) if maybe else always
        status = billing_status(r.review)
        rate = amount = None
        if price is not None:
            rate, amount, gaps = price(answered, r.seconds)
            missing.update(gaps)
            if status != "billed":
                amount = Decimal(0)
            elif amount is not None:
                billed += amount
        lines.append(
            StatementLine(
                r.annotation_id,
                r.project,
                r.item_id,
                r.external_id,
                r.annotator,
                r.created_at,
                answered,
                status,
                r.seconds,
                rate,
                amount,
            )
        )
    found = None
    if terms is not None and terms.priced and lines:
        found = Money(billed, terms.currency)
    return Statement(
        name, period.label, terms, lines, found, rejected, set_aside, tuple(sorted(missing))
    )


class _Pricer:
    """``VendorTerms.price`` for many lines: the per-annotation part worked out once per
    combination of kinds (a month's statement has a hundred thousand lines)."""

    def __init__(self, terms: VendorTerms) -> None:
        self.terms = terms
        self.hourly = None if terms.per_hour is None else decimal_of(terms.per_hour)
        self.known: dict[tuple[str, ...], tuple[Decimal | None, list[str]]] = {}

    def __call__(
        self, kinds: tuple[str, ...], seconds: float | None
    ) -> tuple[Decimal | None, Decimal | None, list[str]]:
        """The line's rate, its price to ``LINE_STEP`` (``None``: unpriced) and the kinds
        without a rate."""
        found = self.known.get(kinds)
        if found is None:
            found = self.known[kinds] = (_rate(self.terms, kinds), self.terms.missing(kinds))
        rate, gaps = found
        if rate is None:
            return None, None, gaps
        amount = rate
        if self.hourly is not None and seconds:
            amount = rate + self.hourly * decimal_of(seconds) / 3600
        return rate, amount.quantize(LINE_STEP, rounding=ROUND_HALF_UP), gaps


def _rate(terms: VendorTerms, kinds: tuple[str, ...]) -> Decimal | None:
    """The per-annotation part of the price of ``kinds`` (0 on an hourly-only card)."""
    if not terms.priced or terms.missing(kinds):
        return None
    return sum((decimal_of(terms.per_annotation[k]) for k in kinds), Decimal(0))


def statement_csv(statement: Statement) -> str:
    """The statement's lines as CSV, cells a spreadsheet would run escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    currency = statement.terms.currency if statement.terms is not None else ""
    for x in statement.lines:
        # Only text people typed can start like a formula; numbers and our words cannot.
        writer.writerow(
            (
                x.annotation_id,
                escape_formula(x.project),
                x.item_id,
                escape_formula(x.external_id or ""),
                escape_formula(x.annotator),
                utc_text(x.submitted_at),
                "+".join(x.kinds),
                x.status,
                "" if x.seconds is None else repr(x.seconds),
                "" if x.rate is None else str(x.rate),
                "" if x.amount is None else str(x.amount),
                currency,
            )
        )
    return out.getvalue()
