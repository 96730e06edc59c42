"""What vendors delivered and cost: scorecards (volume, quality with intervals, turnaround
against the SLA, cost per accepted label, weekly trend, breaches), the usage statement of a
period with a line per annotation, the comparison of two vendors on gold, and a project's
average price of an accepted annotation (``cost_per_annotation``, for capacity planning).

Billing and SLA rules are ``stats.vendor_billing``'s. In-house people (no vendor) appear
as ``internal``: they have no rate card (their cost is salaries, not a price per label), so
their work is counted but never priced, and averages of price leave it out.

Figures cover the projects the caller may see (every project for admins and the local
operator) and, behind a vendor wall, that vendor's work only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.vendor_terms import (
    ALL_TIME,
    INTERNAL,
    Money,
    Period,
    VendorTerms,
    total,
    weeks_between,
)
from labelworks.services.access import project_for, visible_project_ids
from labelworks.services.vendor_facts import Facts, VendorFacts, kept_facts, vendor_facts
from labelworks.services.vendors import known_vendor, readable_vendors, stored_terms
from labelworks.stats.vendor_billing import (
    Breach,
    Cost,
    Proportion,
    Turnaround,
    WeekFacts,
    cost_of,
    sla_breaches,
    turnaround,
)
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.vendor_terms import vendor_names


@dataclass(frozen=True, slots=True)
class WeekLine:
    """One ISO week of a scorecard's trend."""

    week: str
    delivered: int
    accuracy: Proportion
    lease_hours: float | None
    final_hours: float | None


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A vendor's period (``vendor`` is ``internal`` for in-house people). ``delivered`` is
    billed + held; ``rejected`` counts annotations rejected in review; ``set_aside`` those
    set aside for another reason; ``sla`` is ``met``, ``breached``, ``no targets`` or
    ``no data``."""

    vendor: str
    in_house: bool
    period: str
    terms: VendorTerms | None
    delivered: int
    billed: int
    held: int
    reworked: int
    rejected: int
    set_aside: int
    accuracy: Proportion
    review_acceptance: Proportion
    lease: Turnaround
    final: Turnaround
    cost: Cost
    weeks: list[WeekLine]
    breaches: list[Breach]
    sla: str

    @property
    def empty(self) -> bool:
        return not (self.delivered or self.reworked or self.rejected or self.set_aside)


@dataclass(frozen=True, slots=True)
class Scorecards:
    """Every readable vendor's scorecard of a period (in-house last, when it worked)."""

    period: str
    cards: list[Scorecard]

    @property
    def totals(self) -> list[Money]:
        """What the vendors billed in all: one sum per currency, never added across."""
        amounts = [c.cost.amount for c in self.cards if c.cost.amount is not None]
        currencies = sorted({a.currency for a in amounts})
        return [total((a for a in amounts if a.currency == c), c) for c in currencies]

    @property
    def weekly(self) -> list[tuple[str, str, int]]:
        """(week, vendor, delivered), for the stacked weekly volume."""
        return [(w.week, c.vendor, w.delivered) for c in self.cards for w in c.weeks]


def _scope_of(conn: Connection, actor: Actor | None) -> frozenset[int] | None:
    found = visible_project_ids(conn, actor)
    return None if found is None else frozenset(found)


def scorecards(
    db: Database,
    *,
    period: Period = ALL_TIME,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Scorecards:
    """The scorecards of every vendor the actor may read (in-house people too, for callers
    outside a vendor wall, when they worked in the period); weekly volumes are judged on
    the weeks over by ``now``."""
    found = _scorecards(db, period, actor, now, wait=True)
    assert found is not None
    return found


def ready_scorecards(
    db: Database, *, period: Period = ALL_TIME, actor: Actor | None = None
) -> Scorecards | None:
    """``scorecards`` for pages: ``None`` while a big installation's first facts of the
    period are gathered in the background (``vendor_facts.kept_facts``)."""
    return _scorecards(db, period, actor, None, wait=False)


def _scorecards(
    db: Database, period: Period, actor: Actor | None, now: datetime | None, *, wait: bool
) -> Scorecards | None:
    with db.read() as conn:
        names = readable_vendors(conn, actor)
        terms = stored_terms(conn, names)
        projects = _scope_of(conn, actor)
    facts = _facts(db, period, projects, wall(actor), wait)
    if facts is None:
        return None
    now = now or utcnow()
    cards = [card(facts.vendors.get(n) or VendorFacts(n), terms.get(n), period, now) for n in names]
    internal = facts.vendors.get(None)
    if wall(actor) is None and internal is not None:
        cards.append(card(internal, None, period, now))
    return Scorecards(period.label, cards)


def scorecard(
    db: Database,
    vendor: str,
    *,
    period: Period = ALL_TIME,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Scorecard:
    """One vendor's scorecard (``internal``: the in-house people's)."""
    found = _scorecard(db, vendor, period, actor, now, wait=True)
    assert found is not None
    return found


def ready_scorecard(
    db: Database, vendor: str, *, period: Period = ALL_TIME, actor: Actor | None = None
) -> Scorecard | None:
    """``scorecard`` for pages (see ``ready_scorecards``); the vendor is checked first."""
    return _scorecard(db, vendor, period, actor, None, wait=False)


def _scorecard(
    db: Database,
    vendor: str,
    period: Period,
    actor: Actor | None,
    now: datetime | None,
    *,
    wait: bool,
) -> Scorecard | None:
    with db.read() as conn:
        name = known_vendor(conn, actor, vendor, internal=True)
        terms = stored_terms(conn, [name]) if name is not None else {}
        projects = _scope_of(conn, actor)
    facts = _facts(db, period, projects, wall(actor), wait)
    if facts is None:
        return None
    found = facts.vendors.get(name) or VendorFacts(name)
    return card(found, terms.get(name or ""), period, now or utcnow())


def _facts(
    db: Database, period: Period, projects: frozenset[int] | None, walled: str | None, wait: bool
) -> Facts | None:
    if wait:
        return vendor_facts(db, period, projects, walled)
    return kept_facts(db, period, projects, walled)


def judged_weeks(facts: VendorFacts, period: Period, now: datetime) -> list[str]:
    """The full ISO weeks a weekly volume is judged over: from the vendor's first week of
    work in the period to the period's end (all time: to its last week of work), wholly
    inside the period and over by ``now``."""
    if facts.first_day is None or facts.last_day is None:
        return []
    last = facts.last_day if period.end is None else (period.end - timedelta(days=1)).date()
    found = []
    for week in weeks_between(facts.first_day, last):
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        start = datetime(monday.year, monday.month, monday.day)
        end = start + timedelta(days=7)
        inside = (period.start is None or start >= period.start) and (
            period.end is None or end <= period.end
        )
        if inside and end <= now:
            found.append(week)
    return found


def card(facts: VendorFacts, terms: VendorTerms | None, period: Period, now: datetime) -> Scorecard:
    """A scorecard from a vendor's facts and terms."""
    by_status: Counter[str] = Counter()
    for g in facts.groups:
        by_status[g.status] += g.count
    sla = terms.sla if terms is not None else None
    q = sla.percentile if sla is not None else 90.0
    full = judged_weeks(facts, period, now)
    weeks = dict(facts.weeks)
    for week in full:
        weeks.setdefault(week, WeekFacts(week))
    breaches = [] if sla is None else sla_breaches(weeks.values(), sla, set(full))
    trend = [
        WeekLine(
            w.week,
            w.delivered,
            Proportion(w.gold_correct, w.gold_total),
            turnaround(w.lease, q, None).at_percentile,
            turnaround(w.final, q, None).at_percentile,
        )
        for w in sorted(weeks.values(), key=lambda w: w.week)
    ]
    decided = sum(facts.reviews[s] for s in ("accepted", "rejected", "fixed"))
    delivered = by_status["billed"] + by_status["held"]
    empty = not facts.groups and not facts.set_aside
    if sla is None or not sla.any:
        status = "no targets"
    elif empty:
        status = "no data"
    else:
        status = "breached" if any(b.certain for b in breaches) else "met"
    return Scorecard(
        vendor=facts.vendor or INTERNAL,
        in_house=facts.vendor is None,
        period=period.label,
        terms=terms,
        delivered=delivered,
        billed=by_status["billed"],
        held=by_status["held"],
        reworked=by_status["reworked"],
        rejected=by_status["rejected"] + facts.set_aside["rejected"],
        set_aside=facts.set_aside["other"],
        accuracy=Proportion(facts.gold_correct, facts.gold_total),
        review_acceptance=Proportion(facts.reviews["accepted"], decided),
        lease=turnaround(facts.lease, q, sla.lease_to_submit_hours if sla else None),
        final=turnaround(facts.final, q, sla.import_to_final_hours if sla else None),
        cost=cost_of(facts.groups, terms),
        weeks=trend,
        breaches=breaches,
        sla=status,
    )


def cost_per_annotation(
    db: Database, project: str, *, actor: Actor | None = None
) -> tuple[float, str] | None:
    """The project's average price of an accepted annotation so far, from its vendors'
    rate cards, and the currency; ``None`` when none could be priced (no vendor work yet,
    or no terms). Anyone with the review right on the project may ask; behind a vendor
    wall it is that vendor's price. In-house work is left out (it has no rate); vendors
    billing in two currencies are refused (``InvalidInput``): those cannot be averaged."""
    with db.read() as conn:
        found = project_for(conn, actor, project, Action.REVIEW)
        terms = stored_terms(conn, vendor_names(conn))
    facts = vendor_facts(db, ALL_TIME, frozenset({found.id}), wall(actor))
    amount: Money | None = None
    priced = 0
    for vendor in sorted(v for v in facts.vendors if v is not None):
        cost = cost_of(facts.vendors[vendor].groups, terms.get(vendor))
        if cost.amount is None:
            continue
        amount = cost.amount if amount is None else amount + cost.amount
        priced += cost.priced
    if amount is None or priced == 0:
        return None
    return float(amount.amount / priced), amount.currency
