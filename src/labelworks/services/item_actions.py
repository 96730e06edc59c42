"""Bulk actions on a project's items, chosen by id or by the Items table's filters:
re-queue, change priority, delete items nobody has worked on.

Each is one transaction, all or nothing: an id that is not an item of the project, or an
item the action cannot apply to, refuses the whole request with the items named, and
nothing changes. Each is recorded in the audit trail. They need the manage right outside
any vendor wall: items, their queue and their annotations are shared by every vendor.

- **re-queue** asks for one more annotation of each selected item that already has all it
  needs: its target (the project's overlap, or its own raised by dynamic overlap or an
  earlier re-queue) becomes its submitted annotations plus one, so it goes back into the
  queue for someone who has not annotated it yet, and a final label that consensus decided
  is dropped, to be decided again from the new annotation. Items still short of their
  target are in the queue already and stay as they are. Gold questions (served by the gold
  draw, not the queue) and items whose final label an adjudicator decided are refused.
- **priority** sets the selected items' priority (higher is served first among items as
  far along; see ``domain.assignment``). The spec's routing keeps its hands off a priority
  set here, except 0, which hands the item back to it (``domain.routing``).
- **delete** deletes items nobody has worked on: refused for an item with annotations, a
  live lease, gold, or work kept for it (annotations set aside, late submissions,
  consistency retests, flags), so that nothing submitted is ever lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from labelworks.services import audit
from labelworks.services.access import project_for
from labelworks.services.catalog import forget_total
from labelworks.services.item_selection import ItemSelection, resolve_selection
from labelworks.storage import catalog
from labelworks.storage import item_actions as store
from labelworks.storage.engine import Database
from labelworks.storage.projects import ProjectRow

ACTIONS = ("requeue", "priority", "delete")
MAX_ITEMS = 10_000
# Priorities fit the column (32 bits) with room to spare.
MAX_PRIORITY = 1_000_000_000
NAMED = 20  # items named in a refusal before "and N more"


@dataclass(frozen=True, slots=True)
class ItemsChanged:
    """What a bulk action did: how many items were selected and how many it changed."""

    action: str
    selected: int
    changed: int
    priority: int | None = None

    def describe(self) -> str:
        """The outcome in a sentence, for the page and the CLI."""
        if self.selected == 0:
            return "No items match the filter; nothing changed."
        of = f"{self.changed:,} of {self.selected:,}" if self.changed != self.selected else None
        count = of or f"{self.changed:,}"
        noun = "item" if self.selected == 1 else "items"
        if self.action == "delete":
            return f"Deleted {count} {noun}."
        if self.action == "priority":
            rest = self.selected - self.changed
            already = f" ({rest:,} had it already)" if rest else ""
            return f"Set the priority of {count} {noun} to {self.priority}{already}."
        rest = self.selected - self.changed
        queued = (
            "; 1 still short of its annotations was in the queue already"
            if rest == 1
            else f"; {rest:,} still short of their annotations were in the queue already"
        )
        return f"Re-queued {count} {noun} for one more annotation{queued if rest else ''}."


def named(ids: Sequence[int]) -> str:
    """``item 4``, ``items 4 and 9``, ``items 1, 2, 3 … and 40 more``."""
    if len(ids) == 1:
        return f"item {ids[0]}"
    shown = [str(i) for i in ids[:NAMED]]
    if len(ids) > NAMED:
        return f"items {', '.join(shown)} and {len(ids) - NAMED:,} more"
    return f"items {', '.join(shown[:-1])} and {shown[-1]}"


def act_on_items(
    db: Database,
    project_name: str,
    action: str,
    *,
    ids: Sequence[int] | None = None,
    selection: ItemSelection | None = None,
    priority: int | None = None,
    actor: Actor | None = None,
) -> ItemsChanged:
    """Run ``action`` (``requeue``, ``priority`` or ``delete``) on the items ``ids`` or
    those ``selection`` matches (exactly one of them; an empty selection is every item)."""
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}, not '{action}'")
    if (priority is not None) != (action == "priority"):
        raise InvalidInput("give a priority with the priority action, and only then")
    if priority is not None and abs(priority) > MAX_PRIORITY:
        raise InvalidInput(f"priority must be between {-MAX_PRIORITY:,} and {MAX_PRIORITY:,}")
    if (ids is None) == (selection is None):
        raise InvalidInput("choose the items by ids or by a filter (one of them)")
    if ids is not None and not ids:
        raise InvalidInput("no items selected")
    if ids is not None and len(set(ids)) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS:,} items at a time")
    if selection is not None:
        selection.check()
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        if wall(actor) is not None:
            raise PermissionDenied(
                "bulk actions change items every vendor works on; vendors' staff may not use them"
            )
        chosen = _chosen(conn, project, actor, ids, selection)
        if not chosen:
            return ItemsChanged(action, 0, 0, priority)
        states = store.states(conn, project.id, chosen)
        missing = [i for i in chosen if i not in states]
        if missing:
            raise NotFound(
                f"{named(missing)} {'is' if len(missing) == 1 else 'are'} not in project "
                f"'{project_name}'; nothing was changed",
                details={"missing": missing[:MAX_ITEMS]},
            )
        if action == "priority":
            assert priority is not None
            changed = store.set_priority(conn, chosen, priority)
            details: dict[str, Any] = {"priority": priority}
        elif action == "requeue":
            _refuse(
                "re-queue",
                len(chosen),
                {
                    "gold": [i for i in chosen if states[i].gold],
                    "adjudicated": [i for i in chosen if states[i].adjudicated],
                },
            )
            raised = store.ask_one_more(conn, chosen, project.overlap)
            changed, details = len(raised), {"requeued": raised}
        else:
            kept = store.with_kept_work(conn, project.id, chosen)
            _refuse(
                "delete",
                len(chosen),
                {
                    "annotated": [i for i in chosen if states[i].n_submitted],
                    "leased": [i for i in chosen if states[i].n_leased],
                    "gold": [i for i in chosen if states[i].gold],
                    "kept_work": sorted(kept),
                },
            )
            changed, details = store.delete_unworked(conn, chosen), {}
            if changed != len(chosen):  # raced by a lease or a submit since the check
                raise Conflict("some of the items were picked up meanwhile; nothing was deleted")
            forget_total(db.cache_scope, project.id)
        audit.record(
            conn,
            project,
            actor,
            f"items.{action}",
            f"{len(chosen):,} {'item' if len(chosen) == 1 else 'items'}",
            ids=chosen,
            changed=changed,
            **details,
        )
        return ItemsChanged(action, len(chosen), changed, priority)


def _chosen(
    conn: Connection,
    project: ProjectRow,
    actor: Actor | None,
    ids: Sequence[int] | None,
    selection: ItemSelection | None,
) -> list[int]:
    if ids is not None:
        return sorted(set(ids))
    assert selection is not None
    f = resolve_selection(conn, project, actor, selection)
    if f is None:
        return []
    keys = catalog.matching_keys(conn, project.id, project.overlap, f, "id", limit=MAX_ITEMS + 1)
    if len(keys) > MAX_ITEMS:
        raise InvalidInput(
            f"the filter matches more than {MAX_ITEMS:,} items; narrow it, or act in steps"
        )
    return [i for i, _ in keys]


# Why an item is refused, as the refusal says it.
_REASONS = {
    "gold": ("is a gold question", "are gold questions"),
    "adjudicated": (
        "has a final label an adjudicator decided",
        "have final labels an adjudicator decided",
    ),
    "annotated": ("has annotations", "have annotations"),
    "leased": ("is being labelled now", "are being labelled now"),
    "kept_work": (
        "has work kept for it (set-aside annotations, late submissions, retests or flags)",
        "have work kept for them (set-aside annotations, late submissions, retests or flags)",
    ),
}


def _refuse(verb: str, selected: int, refused: dict[str, list[int]]) -> None:
    """Refuse the whole action, naming the items by reason, when any item is refused."""
    found = {reason: ids for reason, ids in refused.items() if ids}
    if not found:
        return
    total = len({i for ids in found.values() for i in ids})
    reasons = "; ".join(
        f"{named(ids)} {_REASONS[reason][0 if len(ids) == 1 else 1]}"
        for reason, ids in found.items()
    )
    what = "the item" if selected == 1 else f"{total:,} of the {selected:,} items"
    raise Conflict(
        f"cannot {verb} {what}, so nothing was changed: {reasons}",
        details={"refused": {reason: ids[:MAX_ITEMS] for reason, ids in found.items()}},
    )
