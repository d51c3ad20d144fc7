"""What reading a ServiceNow incident log gives, incident by incident.

Each incident's updates as events, the anomalies found in the log and how each was handled,
and both sets of counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from escalate.engine.ticket import Event, Ticket

__all__ = ["Anomaly", "Counters", "LogIncident", "Update", "merge_done"]

AnomalyKind = Literal["before-opened", "backwards", "duplicate-mod-count", "invalid-state"]


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A row of a log that does not fit, and what the mapping's declared rule did with it.

    ``number`` is the incident, ``line`` the row's line in the log (the header is line 1),
    ``kind`` one of ``before-opened``, ``backwards``, ``duplicate-mod-count``,
    ``invalid-state``; ``rule`` the rule applied (``clamp``, ``ordered``, ``keep``);
    ``value`` the value at fault as the log wrote it; ``detail`` says it in words.
    """

    number: str
    line: int
    kind: AnomalyKind
    rule: str
    value: str
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "line": self.line,
            "kind": self.kind,
            "rule": self.rule,
            "value": self.value,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Update:
    """One row of an incident's log, read: the instant it took effect (``at``, UTC, after the
    mapping's rules), its ``line``, ``sys_mod_count``, the ``events`` it makes (what changed
    since the row before; indexes are placeholders, :meth:`LogIncident.ticket_at` renumbers
    them), ServiceNow's own counters on that row, and the log's ``made_sla`` verdict on it
    (``None`` when the log has no such column or it is empty)."""

    at: datetime
    line: int
    mod_count: int
    events: tuple[Event, ...]
    reassignment_count: int | None
    reopen_count: int | None
    made_sla: bool | None


@dataclass(frozen=True, slots=True)
class Counters:
    """An incident's reassignment and reopen counts as ServiceNow wrote them on its last row
    (``None`` when the log has no such column) and as escalate derives them from the rows;
    ``used`` says which the tickets carry (the mapping's ``counters``)."""

    servicenow_reassignments: int | None
    servicenow_reopens: int | None
    derived_reassignments: int
    derived_reopens: int
    used: Literal["servicenow", "derived"]

    @property
    def agree(self) -> bool:
        """Whether ServiceNow's counts (where the log has them) equal the derived ones."""
        return self.servicenow_reassignments in (None, self.derived_reassignments) and (
            self.servicenow_reopens in (None, self.derived_reopens)
        )


@dataclass(frozen=True, slots=True, eq=False)
class LogIncident:
    """One incident rebuilt from a log: ``opened`` is the ticket as it stood before its first
    row (its fields as the first row gives them, no events), ``updates`` its rows in order
    (``sys_mod_count``, then ``sys_updated_at``), ``counters`` both sets of counts,
    ``anomalies`` what the mapping's rules handled, and ``made_sla`` the log's verdict on its
    last row."""

    number: str
    opened: Ticket
    updates: tuple[Update, ...]
    counters: Counters
    anomalies: tuple[Anomaly, ...]
    made_sla: bool | None

    def ticket_at(self, count: int, done: Iterable[Event] = ()) -> Ticket:
        """The ticket after its first ``count`` updates (``0``: as opened), with the events
        ``done`` (``action-done``, acknowledgements ... each at or after the update it follows)
        merged in time order: at equal instants the rows' events come first. It carries
        ServiceNow's counters from update ``count`` (when the mapping uses them and the log
        has them) or derived ones.
        """
        rows = [event for update in self.updates[:count] for event in update.events]
        ticket = self.opened.with_events(merge_done(rows, sorted(done, key=lambda e: e.at)))
        if self.counters.used == "servicenow" and count > 0:
            last = self.updates[count - 1]
            if last.reassignment_count is not None or last.reopen_count is not None:
                ticket = ticket.with_counters(last.reassignment_count, last.reopen_count)
        return ticket

    @property
    def ticket(self) -> Ticket:
        """The ticket after every update."""
        return self.ticket_at(len(self.updates))


def merge_done(rows: Sequence[Event], done: Sequence[Event]) -> list[Event]:
    """``rows`` and ``done`` (each in time order) in time order, rows first at equal
    instants: the order in which a replay's recorded actions join a log's events."""
    merged: list[Event] = []
    i = 0
    for event in rows:
        while i < len(done) and done[i].at < event.at:
            merged.append(done[i])
            i += 1
        merged.append(event)
    merged.extend(done[i:])
    return merged
