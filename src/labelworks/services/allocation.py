"""The suggested allocation of people across the projects a manager runs
(``planning.allocate``'s linear program), from what each person did lately.

**Projects**: those the caller manages (every project in use for admins), each with its
remaining work (``capacity.work_left``; behind a vendor wall, that vendor's share), its
deadline from the spec's ``plan`` (none when unset or passed) and the project's priority.

**People**: those behind the caller's wall who worked on these projects in the last
``WINDOW`` days and are still active. A person's current share of a project is the share
of their working days spent on it; their pace there, full time, is what they did there per
calendar day (in the window, from their first day of work if that came later) divided by
that share. They may work on the projects they are a member of,
not paused and (where the spec asks for qualification) qualified; on such a project they
have not worked on lately, their pace is that project's median full-time pace (else their
own mean). Time spent on projects outside the plan is not seen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from statistics import median
from threading import Lock
from typing import Any

from labelworks.domain.access import Actor, Role, wall
from labelworks.domain.errors import PermissionDenied
from labelworks.planning import Demand, Move, Person, allocate
from labelworks.services.capacity_facts import facts_of, work_left
from labelworks.services.specs import stored_spec
from labelworks.storage import capacity as store
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow

WINDOW = 28


@dataclass(frozen=True, slots=True)
class ProjectLine:
    """One project of the plan; paces are annotations per day."""

    project: str
    priority: int
    deadline: date | None
    passed: bool  # the deadline is today or gone (planned without one)
    remaining: float
    need: float | None
    current: float
    planned: float
    on_track: bool | None

    @property
    def shortfall(self) -> float:
        """Annotations a day the deadline still lacks after the plan (0 without one)."""
        return 0.0 if self.need is None else round(max(self.need - self.planned, 0.0), 2)


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    today: date
    vendor: str | None
    window: int
    people: int
    projects: list[ProjectLine]
    moves: list[Move]
    shares: dict[str, dict[str, float]]


def allocation_plan(
    db: Database, actor: Actor | None = None, *, today: date | None = None
) -> AllocationPlan:
    """The suggested allocation over the projects ``actor`` manages (module docstring)."""
    if actor is not None and actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("capacity planning across projects is for managers and admins")
    day = today or utcnow().date()
    walled = wall(actor)
    with db.read() as conn:
        rows = [p for p in project_store.all_projects(conn) if p.archived_at is None]
        if actor is not None and not actor.is_admin:
            mine = set(user_store.project_ids_of(conn, actor.id))
            rows = [p for p in rows if p.id in mine]
        members = store.memberships_of(conn, {p.id for p in rows})
    since = (day - timedelta(days=WINDOW)).isoformat()
    until = (day - timedelta(days=1)).isoformat()
    kept_facts = {p.id: facts_of(db, p.id) for p in rows}
    key = (
        db.cache_scope, walled, day,
        tuple((p.id, p.spec_revision, p.priority, kept_facts[p.id].version()) for p in rows),
        tuple(sorted((m.project_id, m.user_id, m.paused, m.qualified) for m in members)),
    )  # fmt: skip
    with _lock:
        kept = _plans.get(key)
    if kept is not None:
        return kept
    demands: list[Demand] = []
    lines: dict[str, tuple[date | None, bool, float]] = {}
    # person id → project → (annotations, working days) in the window
    work: dict[int, dict[str, tuple[int, int]]] = {}
    people: dict[int, store.Person] = {}
    needs_qualification: set[int] = set()
    began: dict[int, str] = {}  # each person's first day of work in these projects
    for project in rows:
        spec = stored_spec(project.spec)
        if spec.quality.qualification is not None:
            needs_qualification.add(project.id)
        facts = kept_facts[project.id]
        left = work_left(project, spec, facts, walled)
        deadline = spec.plan.deadline if spec.plan is not None else None
        passed = deadline is not None and deadline <= day
        days_left = None if deadline is None or passed else (deadline - day).days
        demands.append(Demand(project.name, left.remaining, days_left, project.priority))
        lines[project.name] = (deadline, passed, left.remaining)
        for who, counts in left.per_person.items():
            recent = [n for d, n in counts.items() if since <= d <= until]
            if recent and facts.people[who].active:
                people[who] = facts.people[who]
                work.setdefault(who, {})[project.name] = (sum(recent), len(recent))
                began[who] = min(began.get(who, until), min(counts))
    allowed = _allowed(members, {p.id: p.name for p in rows}, needs_qualification)
    spans = {
        who: (date.fromisoformat(until) - date.fromisoformat(max(first, since))).days + 1
        for who, first in began.items()
    }
    planned = allocate(_people(people, work, spans, allowed), demands)
    out = [
        ProjectLine(
            project=plan.name,
            priority=plan.priority,
            deadline=lines[plan.name][0],
            passed=lines[plan.name][1],
            remaining=lines[plan.name][2],
            need=plan.need,
            current=plan.current,
            planned=plan.planned,
            on_track=plan.on_track,
        )
        for plan in planned.projects
    ]
    out.sort(key=lambda line: (-line.priority, line.project))
    found = AllocationPlan(day, walled, WINDOW, len(work), out, planned.moves, planned.shares)
    with _lock:
        if len(_plans) >= _KEEP:
            _plans.clear()
        _plans[key] = found
    return found


# Plans kept for the facts, projects and memberships they were made from.
_plans: dict[tuple[object, ...], AllocationPlan] = {}
_KEEP = 64
_lock = Lock()


def _allowed(
    members: list[store.Membership], names: dict[int, str], needs_qualification: set[int]
) -> dict[int, set[str]]:
    """The projects each person may work on: a member, not paused, qualified if asked."""
    out: dict[int, set[str]] = {}
    for m in members:
        if m.paused or (m.project_id in needs_qualification and not m.qualified):
            continue
        out.setdefault(m.user_id, set()).add(names[m.project_id])
    return out


def _people(
    people: dict[int, store.Person],
    work: dict[int, dict[str, tuple[int, int]]],
    spans: dict[int, int],
    allowed: dict[int, set[str]],
) -> list[Person]:
    """Each person's current shares and full-time paces (module docstring)."""
    shares: dict[int, dict[str, float]] = {}
    paces: dict[int, dict[str, float]] = {}
    for who, done in work.items():
        days = sum(d for _, d in done.values())
        shares[who] = {p: d / days for p, (_, d) in done.items()}
        paces[who] = {p: n / (shares[who][p] * spans[who]) for p, (n, _) in done.items()}
    by_project: dict[str, list[float]] = {}
    for mine in paces.values():
        for project, pace in mine.items():
            by_project.setdefault(project, []).append(pace)
    typical = {project: median(values) for project, values in by_project.items()}
    out = []
    for who in sorted(work, key=lambda w: people[w].email):
        own = sum(paces[who].values()) / len(paces[who])
        rates = {
            project: paces[who].get(project, typical.get(project, own))
            for project in sorted(allowed.get(who, set()))
        }
        person = people[who]
        out.append(Person(person.email, person.role, person.vendor, rates, shares[who]))
    return out


def plan_dict(plan: AllocationPlan) -> dict[str, Any]:
    """The wire form (``schemas.capacity.CapacityOut``), paces rounded to a hundredth."""
    return {
        "today": plan.today,
        "vendor": plan.vendor,
        "window": plan.window,
        "people": plan.people,
        "projects": [
            {
                **asdict(line),
                "need": None if line.need is None else round(line.need, 2),
                "current": round(line.current, 2),
                "planned": round(line.planned, 2),
                "remaining": round(line.remaining, 2),
                "shortfall": line.shortfall,
            }
            for line in plan.projects
        ],
        "moves": [asdict(m) for m in plan.moves],
    }
