"""Who should work on what: people allocated to projects so that deadlines are met by
priority, as a small linear program (``scipy.optimize.linprog``, HiGHS).

**Formulation.** Person ``i`` may work on the projects they are qualified for; ``r_ij`` is
the annotations they do in a day spent wholly on project ``j``. The variables are
``x_ij ≥ 0``, the share of person ``i``'s day given to ``j`` (only where allowed), with

    Σ_j x_ij ≤ 1                                 (nobody works more than their day)
    Σ_i r_ij x_ij + s_j ≥ need_j                (project j's pace, short by s_j ≥ 0)

where ``need_j = remaining_j / days_left_j`` is the daily pace that finishes ``j`` by its
deadline (projects without a deadline have no such row). Priorities are met in order
(lexicographically): for each priority level, highest first, the LP minimises the
relative shortfall ``Σ s_j / need_j`` of that level's projects while keeping the levels
already solved at their optimum. A last LP then keeps people where they are: it minimises
``Σ |x_ij − c_ij|`` (``c_ij`` the current shares, linearised with ``u_ij ≥ ±(x_ij − c_ij)``)
with every level's shortfall fixed, so nobody is moved without a deadline needing it.

**Moves.** A person's decreases are paired with their increases (spare time first), and
each move says why: the pace the receiving project needs and has, and why the giving
project can spare it (still on track, a lower priority, or no deadline).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack

from labelworks.domain.errors import InvalidInput

# Shares below this are rounding noise of the solver, never a move worth telling.
MIN_SHARE = 0.01
_SLACK = 1e-7


@dataclass(frozen=True, slots=True)
class Person:
    """``rates``: annotations a day on each project they may work on, full time;
    ``current``: the share of their day on each project now (summing to at most 1)."""

    name: str
    role: str
    vendor: str | None
    rates: Mapping[str, float]
    current: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Demand:
    """A project's remaining annotations, whole days to its deadline (``None``: none) and
    priority (higher first)."""

    name: str
    remaining: float
    days_left: int | None
    priority: int = 0

    @property
    def need(self) -> float | None:
        """Annotations a day that finish it by its deadline."""
        if self.days_left is None:
            return None
        return self.remaining / self.days_left


@dataclass(frozen=True, slots=True)
class Move:
    person: str
    role: str
    vendor: str | None
    source: str | None  # None: time the person had spare
    target: str
    share: float
    reason: str


@dataclass(frozen=True, slots=True)
class ProjectPlan:
    name: str
    priority: int
    need: float | None  # annotations a day its deadline needs
    current: float  # annotations a day at today's shares
    planned: float  # annotations a day at the suggested shares

    @property
    def shortfall(self) -> float:
        return 0.0 if self.need is None else max(self.need - self.planned, 0.0)

    @property
    def on_track(self) -> bool | None:
        return None if self.need is None else self.shortfall <= 1e-6 * max(self.need, 1.0)


@dataclass(frozen=True, slots=True)
class Allocation:
    shares: dict[str, dict[str, float]]  # person → project → share of their day
    projects: list[ProjectPlan]
    moves: list[Move]


def allocate(people: Sequence[Person], demands: Sequence[Demand]) -> Allocation:
    """The suggested shares, each project's pace before and after, and the moves."""
    names = [d.name for d in demands]
    if len(set(names)) != len(names):
        raise InvalidInput("each project may appear once")
    if len({p.name for p in people}) != len(people):
        raise InvalidInput("each person may appear once")
    known = set(names)
    for d in demands:
        if not (math.isfinite(d.remaining) and d.remaining >= 0):
            raise InvalidInput(f"{d.name}: remaining must be a number ≥ 0")
        if d.days_left is not None and d.days_left < 1:
            raise InvalidInput(f"{d.name}: days_left must be at least 1")
    for p in people:
        for project, rate in p.rates.items():
            if not (math.isfinite(rate) and rate >= 0):
                raise InvalidInput(f"{p.name}: the rate on {project} must be a number ≥ 0")
        if sum(p.current.values()) > 1 + 1e-9 or any(v < 0 for v in p.current.values()):
            raise InvalidInput(f"{p.name}: current shares must be ≥ 0 and sum to at most 1")
    cells = [(i, d) for i, p in enumerate(people) for d in p.rates if d in known]
    solved = _solve(people, demands, cells)
    shares: dict[str, dict[str, float]] = {p.name: {} for p in people}
    for (i, project), x in zip(cells, solved, strict=True):
        share = round(float(x), 6)
        if share > 0:
            shares[people[i].name][project] = share
    plans = [_plan(d, people, shares) for d in demands]
    by_name = {plan.name: plan for plan in plans}
    moves = [m for p in people for m in _moves(p, shares[p.name], by_name)]
    return Allocation(shares, plans, moves)


def _solve(
    people: Sequence[Person], demands: Sequence[Demand], cells: list[tuple[int, str]]
) -> np.ndarray:
    n_x = len(cells)
    if n_x == 0:
        return np.zeros(0)
    deadline = [d for d in demands if d.need is not None and d.need > 0]
    slot = {d.name: k for k, d in enumerate(deadline)}
    n_s = len(deadline)
    current = np.array([people[i].current.get(d, 0.0) for i, d in cells])
    # Variables: x (n_x), s (n_s), u (n_x).
    n_var = 2 * n_x + n_s
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    b_ub: list[float] = []

    def row(entries: list[tuple[int, float]], bound: float) -> None:
        r = len(b_ub)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        b_ub.append(bound)

    by_person: dict[int, list[tuple[int, float]]] = {}
    by_project: dict[str, list[tuple[int, float]]] = {}
    for k, (i, project) in enumerate(cells):
        by_person.setdefault(i, []).append((k, 1.0))
        by_project.setdefault(project, []).append((k, people[i].rates[project]))
    for mine in by_person.values():
        row(mine, 1.0)
    for d in deadline:
        # −Σ r x − s ≤ −need, scaled by 1/need so every project's row is of size 1.
        need = float(d.need or 0.0)
        entries = [(k, -rate / need) for k, rate in by_project.get(d.name, [])]
        row([*entries, (n_x + slot[d.name], -1.0 / need)], -1.0)
    for k in range(n_x):
        row([(k, 1.0), (n_x + n_s + k, -1.0)], float(current[k]))
        row([(k, -1.0), (n_x + n_s + k, -1.0)], -float(current[k]))
    bounds = [(0.0, 1.0)] * n_x + [(0.0, None)] * n_s + [(0.0, None)] * n_x
    fixed: list[tuple[np.ndarray, float]] = []
    for level in sorted({d.priority for d in deadline}, reverse=True):
        objective = np.zeros(n_var)
        for d in deadline:
            if d.priority == level:
                objective[n_x + slot[d.name]] = 1.0 / float(d.need or 1.0)
        best = _linprog(objective, rows, cols, vals, b_ub, fixed, bounds)
        fixed.append((objective, float(objective @ best)))
    objective = np.zeros(n_var)
    objective[n_x + n_s :] = 1.0
    return _linprog(objective, rows, cols, vals, b_ub, fixed, bounds)[:n_x]


def _linprog(
    objective: np.ndarray,
    rows: list[int],
    cols: list[int],
    vals: list[float],
    b_ub: list[float],
    fixed: list[tuple[np.ndarray, float]],
    bounds: Sequence[tuple[float, float | None]],
) -> np.ndarray:
    n_var = objective.size
    a = coo_matrix((vals, (rows, cols)), shape=(len(b_ub), n_var)).tocsr()
    bound = list(b_ub)
    if fixed:
        a = vstack([a, csr_matrix(np.vstack([f[0] for f in fixed]))], format="csr")
        bound += [value + _SLACK * max(1.0, abs(value)) for _, value in fixed]
    result = linprog(objective, A_ub=a, b_ub=np.array(bound), bounds=bounds, method="highs")
    if result.status != 0:  # the program is always feasible (x = 0, s = need)
        raise RuntimeError(f"allocation LP failed: {result.message}")
    return np.asarray(result.x, dtype=np.float64)


def _plan(d: Demand, people: Sequence[Person], shares: dict[str, dict[str, float]]) -> ProjectPlan:
    current = sum(p.rates.get(d.name, 0.0) * p.current.get(d.name, 0.0) for p in people)
    planned = sum(p.rates.get(d.name, 0.0) * shares[p.name].get(d.name, 0.0) for p in people)
    return ProjectPlan(d.name, d.priority, d.need, current, planned)


def _moves(
    person: Person, planned: dict[str, float], plans: Mapping[str, ProjectPlan]
) -> list[Move]:
    projects = sorted(set(person.current) | set(planned))
    delta = {p: planned.get(p, 0.0) - person.current.get(p, 0.0) for p in projects}
    gains = [(p, d) for p, d in delta.items() if d >= MIN_SHARE]
    spare = 1.0 - sum(person.current.values())
    names: list[str | None] = [None] if spare >= MIN_SHARE else []
    left: list[float] = [spare] if spare >= MIN_SHARE else []
    for p, d in delta.items():
        if d <= -MIN_SHARE:
            names.append(p)
            left.append(-d)
    moves = []
    for target, wanted in gains:
        for k, source in enumerate(names):
            if wanted < MIN_SHARE / 2 or left[k] < MIN_SHARE / 2:
                continue
            share = min(wanted, left[k])
            left[k] -= share
            wanted -= share
            reason = _reason(person, source, target, plans)
            who = (person.name, person.role, person.vendor)
            moves.append(Move(*who, source, target, round(share, 2), reason))
    return moves


def _pace(value: float) -> str:
    return f"{value:,.0f}/day"


def _reason(
    person: Person, source: str | None, target: str, plans: Mapping[str, ProjectPlan]
) -> str:
    to = plans[target]
    rate = person.rates.get(target, 0.0)
    if to.need is None:
        why = f"{target} has no deadline but {person.name} can do {_pace(rate)} there"
    else:
        why = (
            f"{target} (priority {to.priority}) needs {_pace(to.need)} to meet its deadline "
            f"and has {_pace(to.current)}; {person.name} does {_pace(rate)} there"
        )
    if source is None:
        return f"{why}; from time {person.name} has spare"
    frm = plans.get(source)
    if frm is None:
        return f"{why}; {source} is not being planned"
    if frm.need is None:
        return f"{why}; {source} has no deadline"
    if frm.on_track:
        return f"{why}; {source} stays on track without it ({_pace(frm.planned)} planned)"
    if frm.priority < to.priority:
        return f"{why}; {source} has a lower priority ({frm.priority})"
    return f"{why}; {source} is short too, but {person.name}'s time closes more of the gap here"
