"""Update cadence: the audiences a policy keeps informed, and where each stands.

A policy's ``audiences:`` may give an audience a cadence per priority (``customer: {cadence:
{P1: 60m}}``): while a ticket of that priority is open, the audience hears from us at least
that often. The engine emits the update as a ``notify`` action and lists every audience with
a cadence in ``Decision.communications``; it renders nothing (``Policy.messages`` does, on
request). :func:`escalate.engine.cadence.run_audiences` is the stage; this module holds
the values it reads and returns.

The rules, all a function of the history (no walking of time):

* the audience's updates are the actions ``<ticket>:audience:<name>@0``, ``@1``, ... ; ``n`` is how
  many of them are recorded done, counted from ``@0`` while each next one is;
* its last update is when update ``n-1`` was recorded done, or the start of the
  ticket's current cycle (its opening or last reopen) when that is later or there is none;
* the next update ``@<n>`` is due at last update + the cadence of the
  ticket's current priority (wall time); at that instant the decision changes (a wake-up);
  from then until it is recorded done it is due at every evaluation (``late`` once past);
* a ticket that has ended (resolved, closed, cancelled) owes no update (an update that was
  due before it ended and never recorded is listed in ``Decision.missed``); a priority
  without a cadence owes none either (the audience is absent from the decision's list).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate._frozen import FrozenMap, freeze_map
from escalate.calendars._durations import format_duration

__all__ = ["AudienceDef", "Communication", "update_id"]


def update_id(ticket_id: str, audience: str, number: int) -> str:
    """The id of update ``number`` (from 0) of ticket ``ticket_id`` to ``audience``: stable,
    never derived from an instant.

    >>> update_id("INC1", "customer", 2)
    'INC1:audience:customer@2'
    """
    return f"{ticket_id}:audience:{audience}@{number}"


@dataclass(frozen=True, slots=True)
class AudienceDef:
    """A compiled audience with a cadence: ``cadence`` maps a canonical priority to the
    longest wall time between two updates; an update is a ``notify`` to ``targets`` on
    ``channel`` with ``template`` (``details`` as the action carries them)."""

    name: str
    cadence: Mapping[str, timedelta]
    targets: tuple[str, ...]
    details: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "cadence", FrozenMap(self.cadence, what="priority"))
        object.__setattr__(self, "details", freeze_map(self.details))


@dataclass(frozen=True, slots=True)
class Communication:
    """Where one audience stands at the evaluated instant.

    ``every`` is the cadence for the ticket's priority; ``updates`` how many updates are
    recorded done; ``last_update_at`` the last of them (or the cycle's start); ``due_at`` when
    the next is due (``None``: the ticket has ended); ``overdue`` whether that is at or
    before the evaluated instant (the update action is then in the decision's actions).
    """

    audience: str
    every: timedelta
    updates: int
    last_update_at: datetime
    due_at: datetime | None
    overdue: bool
    action_id: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used in ``Decision.to_dict()["communications"]``."""
        return {
            "audience": self.audience,
            "every": format_duration(self.every),
            "updates": self.updates,
            "last_update_at": self.last_update_at.astimezone(UTC).isoformat(),
            "due_at": None if self.due_at is None else self.due_at.astimezone(UTC).isoformat(),
            "overdue": self.overdue,
            "action_id": self.action_id,
        }
