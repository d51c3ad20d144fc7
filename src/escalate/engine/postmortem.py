"""Post-mortem follow-up definitions and values: due dates, owners, action items.

The compiled ``postmortem:`` section (:class:`PostmortemDef`, built by
:mod:`escalate.policy.postmortem`) and what a decision carries (:class:`Postmortem`,
:class:`PostmortemItem`); the stage that computes them is :mod:`escalate.engine.followup`.

A post-mortem exists for a ticket once a ``require_postmortem`` action of the policy became
due (recorded done or not): it is ``required_at`` that instant and due ``due_by`` (the action's
``within`` later, or the ``due`` of the last ``postmortem`` ``assigned`` event that gives one).
``postmortem`` events then record its owner, its action items and its publication. Each item
and the document are measured like a clock cycle (:class:`~escalate.engine.clocks.ClockState`):
from the item's first recording (the requirement) to its closing (the publication), against
its allowed time -- the section's ``items.due`` on ``items.calendar``, or the real time until
an explicit ``due`` -- and the section's thresholds are that clock's ladder. Everything here
is a value: nothing reads a clock or does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from escalate.calendars.calendar import Calendar
from escalate.engine.clocks import ClockDef

__all__ = [
    "DOCUMENT_STATUSES",
    "ITEM_STATUSES",
    "PM_OVERDUE_ITEMS",
    "PM_STATUS",
    "PM_STATUSES",
    "Postmortem",
    "PostmortemDef",
    "PostmortemItem",
]

#: A post-mortem document's status in a decision.
DOCUMENT_STATUSES = ("pending", "overdue", "published")
#: An action item's status in a decision.
ITEM_STATUSES = ("open", "done", "dropped", "overdue")
#: The condition facts rules read (policies with a ``postmortem:`` section), and the values of
#: ``postmortem.status`` (``none``: no post-mortem required, or not yet).
PM_STATUS = "postmortem.status"
PM_OVERDUE_ITEMS = "postmortem.overdue_items"
PM_STATUSES = ("none", *DOCUMENT_STATUSES)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _percent(value: Fraction | None) -> str | None:
    return None if value is None else f"{float(value):.2f}"


@dataclass(frozen=True, slots=True)
class PostmortemDef:
    """The ``postmortem:`` section compiled.

    ``items`` is the clock every action item is measured with: its ``default`` target is
    ``items.due`` on ``items.calendar`` (no target: an item without its own ``due`` has no
    due date), its ladder the ``escalation`` thresholds; ``document`` the clock of the
    document (its target set per ticket, in real time), its ladder ``document_escalation``.
    ``items_due`` and ``calendar`` are ``items.due`` (``None``: not given) and
    ``items.calendar`` as written, ``items_calendar`` that calendar compiled: thresholds
    written ``after:`` count on it for every item and the document, whatever their due.
    """

    items: ClockDef
    document: ClockDef
    items_due: str | None
    calendar: str
    items_calendar: Calendar | None = None


@dataclass(frozen=True, slots=True)
class PostmortemItem:
    """One action item of a post-mortem, as of the evaluated instant. A value.

    ``id``, ``title`` and ``owner`` as the last ``item`` event for it wrote them;
    ``recorded_at`` its first recording; ``due_at`` when it is due (``None``: no due date);
    ``target`` the time allowed: ``items.due`` as written (``10bd``), or for an explicit
    ``due`` the real time from the recording to it (``2d4h``; ``None``: no due date);
    ``revision`` how many due dates it has had (1, 2 ... : part of its threshold actions' ids,
    so a new due date arms the thresholds again); ``status`` one of :data:`ITEM_STATUSES`;
    ``percent`` the time elapsed of the allowed time as an exact fraction (``None`` without a
    due date or with no time allowed); ``overdue_since`` when it became overdue (its due
    instant, or the event that set a due already past), kept once it is closed; ``closed_at``
    when it was done or dropped and ``reason`` why it was dropped.
    """

    id: str
    title: str
    owner: str
    recorded_at: datetime
    due_at: datetime | None
    target: str | None
    revision: int
    status: str
    percent: Fraction | None
    overdue_since: datetime | None
    closed_at: datetime | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used in ``Decision.to_dict()["postmortem"]["items"]``."""
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "recorded_at": _iso(self.recorded_at),
            "due": _iso(self.due_at),
            "target": self.target,
            "revision": self.revision,
            "status": self.status,
            "percent": _percent(self.percent),
            "overdue_since": _iso(self.overdue_since),
            "closed_at": _iso(self.closed_at),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Postmortem:
    """Where a ticket's post-mortem stands at the evaluated instant. A value.

    ``required_at`` is when the ``require_postmortem`` action ``required_by`` (its id) became
    due; ``due_by`` when the document is due and ``revision`` how many due dates it has had;
    ``owner`` who owns it (``None``: nobody yet) and ``owner_from`` where that came from
    (``event``: a ``postmortem`` ``assigned`` event; ``policy``: the action's ``owner``);
    ``published_at`` when the document was published; ``status`` one of
    :data:`DOCUMENT_STATUSES`; ``percent`` the time elapsed of the time allowed;
    ``overdue_since`` when it became overdue (kept once published late); ``items`` the action
    items in the order they were first recorded.
    """

    required_at: datetime
    required_by: str
    due_by: datetime
    revision: int
    owner: str | None
    owner_from: str | None
    published_at: datetime | None
    status: str
    percent: Fraction | None
    overdue_since: datetime | None
    items: tuple[PostmortemItem, ...]

    @property
    def overdue_items(self) -> int:
        """How many action items are overdue (open past their due instant)."""
        return sum(1 for item in self.items if item.status == "overdue")

    def item(self, item_id: str) -> PostmortemItem:
        """The action item ``item_id``; ``KeyError`` naming the known ones."""
        for found in self.items:
            if found.id == item_id:
                return found
        known = ", ".join(i.id for i in self.items) or "none"
        raise KeyError(f"no action item {item_id!r} (items: {known})")

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used in ``Decision.to_dict()["postmortem"]``."""
        return {
            "required_at": _iso(self.required_at),
            "required_by": self.required_by,
            "due_by": _iso(self.due_by),
            "revision": self.revision,
            "owner": self.owner,
            "owner_from": self.owner_from,
            "published_at": _iso(self.published_at),
            "status": self.status,
            "percent": _percent(self.percent),
            "overdue_since": _iso(self.overdue_since),
            "overdue_items": self.overdue_items,
            "items": [item.to_dict() for item in self.items],
        }

    def explain(self) -> list[str]:
        """The lines ``Decision.explain()`` shows for the post-mortem."""
        owner = "nobody yet" if self.owner is None else f"{self.owner} ({self.owner_from})"
        if self.status == "published":
            late = "" if self.overdue_since is None else f", late (due {_iso(self.due_by)})"
            state = f"published {_iso(self.published_at)}{late}"
        elif self.status == "overdue":
            state = f"OVERDUE since {_iso(self.overdue_since)}"
        else:
            state = f"pending, due {_iso(self.due_by)}"
        lines = [
            f"post-mortem: required {_iso(self.required_at)} ({self.required_by}), "
            f"owner {owner}; {state}"
        ]
        for item in self.items:
            share = "" if item.percent is None else f", {_percent(item.percent)}%"
            if item.status in ("done", "dropped"):
                why = "" if item.reason is None else f": {item.reason}"
                late = "" if item.overdue_since is None else " late"
                state = f"{item.status}{late} {_iso(item.closed_at)}{why}"
            elif item.status == "overdue":
                state = f"OVERDUE since {_iso(item.overdue_since)}{share}"
            elif item.due_at is None:
                state = "open, no due date"
            else:
                state = f"open, due {_iso(item.due_at)}{share}"
            lines.append(f"  item {item.id} ({item.owner}): {item.title}; {state}")
        return lines
