"""Sweeps: many tickets decided at one instant, sharing the work that does not depend on them.

A sweep (:meth:`escalate.Policy.evaluate_many`, :meth:`escalate.Policy.sweep`) holds one
:class:`Sweep`: the availability read once (a :class:`SharedAvailability`, remembering when the
availability of a set of people and schedules changes), and for each directory the policy (or
a segment of it) uses, a :class:`SharedDirectory` that remembers who a list of targets reaches
at an instant and the next hand-offs of schedules after one. Tickets of a sweep share ``now``
and the availability, so the same targets resolve the same way for each of them: on-call
lookups, fallback chains and the hand-off search behind ``next_evaluation_at`` are done once
per sweep, not once per ticket. The answers are exactly those of the directory itself (a
resolution is a pure function of targets, instant and availability); only their cost is shared.

The memory stays bounded whatever the number of tickets: a directory's memory is emptied when it
holds :data:`MAX_REMEMBERED` answers (instants other than ``now`` -- when a level was entered --
differ from ticket to ticket). The cache lives in the :class:`Sweep` its caller holds, never in
a module: two sweeps share nothing.

:class:`Swept` is what :meth:`escalate.Policy.sweep` yields per ticket: the decision and whether
it was evaluated (``False``: the previous decision stands, see :meth:`escalate.Decision.is_due`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.people.availability import Availability
from escalate.people.directory import Directory, Resolution

__all__ = [
    "MAX_REMEMBERED",
    "SharedAvailability",
    "SharedDirectory",
    "Sweep",
    "Swept",
    "event_count",
]

MAX_REMEMBERED = 65_536
"""Most answers a :class:`SharedDirectory` keeps; past that it forgets them all and starts
again (answers are recomputed, never different)."""


class Swept(NamedTuple):
    """One ticket of :meth:`escalate.Policy.sweep`: its ``decision`` as of the sweep's instant,
    and whether it was ``evaluated`` in this sweep (``False``: the ticket was not due and
    ``decision`` is the previous one given for it, whose actions still hold)."""

    decision: Decision
    evaluated: bool


class SharedDirectory(Directory):
    """A directory that remembers its answers for one availability: the same people, teams,
    roles and schedules as the directory it is made from, the same answers, each computed once.

    ``resolve`` and ``handoffs`` with the sweep's availability are remembered by their
    arguments; everything else (and any other availability) goes to :class:`Directory`.
    """

    __slots__ = ("_availability", "_handoffs", "_resolved")

    _availability: Availability
    _resolved: dict[tuple[tuple[str, ...], datetime], Resolution]
    _handoffs: dict[tuple[tuple[str, ...], datetime], list[datetime]]

    def __init__(self, directory: Directory, availability: Availability) -> None:
        super().__init__(
            directory.people,
            directory.teams,
            directory.roles,
            directory.schedules,
            directory.contact_max_age,
        )
        object.__setattr__(self, "_availability", availability)
        object.__setattr__(self, "_resolved", {})
        object.__setattr__(self, "_handoffs", {})

    def resolve(
        self, targets: Sequence[str], at: datetime, availability: Availability
    ) -> Resolution:
        """:meth:`Directory.resolve`, remembered for the sweep's availability."""
        if availability is not self._availability or not isinstance(targets, list | tuple):
            return super().resolve(targets, at, availability)
        key = (tuple(targets), at)
        found = self._resolved.get(key)
        if found is None:
            found = super().resolve(targets, at, availability)
            _remember(self._resolved, key, found)
        return found

    def handoffs(self, schedules: Sequence[str], after: datetime) -> list[datetime]:
        """:meth:`Directory.handoffs`, remembered (a new list each time: callers may keep it)."""
        if not isinstance(schedules, list | tuple):
            return super().handoffs(schedules, after)
        key = (tuple(schedules), after)
        found = self._handoffs.get(key)
        if found is None:
            found = super().handoffs(schedules, after)
            _remember(self._handoffs, key, found)
        return list(found)


class SharedAvailability(Availability):
    """An availability that remembers :meth:`Availability.changes` by its arguments: the
    same periods, covers and answers as the availability it is made from.

    Neither it nor :class:`Availability` has ``__slots__``: compiled, it is a mypyc class over a
    Python base, and mypyc refuses such a class any ``__slots__`` (docs/scale.md)."""

    _changes: dict[tuple[tuple[str, ...], tuple[str, ...]], list[datetime]]

    def __init__(self, availability: Availability) -> None:
        super().__init__(
            periods=availability.periods,
            unreachable=availability.unreachable,
            covers=availability.covers,
            _by_person=availability._by_person,
        )
        object.__setattr__(self, "_changes", {})

    def changes(self, people: Iterable[str], schedules: Iterable[str]) -> list[datetime]:
        """:meth:`Availability.changes`, remembered (a new list each time)."""
        if not isinstance(people, list | tuple) or not isinstance(schedules, list | tuple):
            return super().changes(people, schedules)
        key = (tuple(people), tuple(schedules))
        found = self._changes.get(key)
        if found is None:
            found = super().changes(people, schedules)
            _remember(self._changes, key, found)
        return list(found)


def _remember(memory: dict[Any, Any], key: object, value: object) -> None:
    if len(memory) >= MAX_REMEMBERED:
        memory.clear()
    memory[key] = value


class Sweep:
    """What the tickets of one sweep share: the instant, the availability (read once) and a
    :class:`SharedDirectory` per directory used. Held by the sweep, dropped with it."""

    __slots__ = ("_directories", "availability", "now")

    def __init__(self, now: datetime, availability: Availability) -> None:
        self.now = now
        self.availability: Availability = SharedAvailability(availability)
        self._directories: dict[int, tuple[Directory, SharedDirectory]] = {}

    def directory(self, directory: Directory) -> Directory:
        """The shared stand-in for ``directory`` (itself when it is empty: nothing to share)."""
        if directory.empty:
            return directory
        found = self._directories.get(id(directory))
        if found is None or found[0] is not directory:
            found = (directory, SharedDirectory(directory, self.availability))
            self._directories[id(directory)] = found  # the pair keeps ``directory`` alive
        return found[1]


def event_count(ticket: Ticket | Mapping[str, Any]) -> int | None:
    """How many events ``ticket`` holds, without reading it: ``len(ticket.events)``, or the
    length of a mapping's ``events`` list (none: ``0``). ``None`` when a mapping's ``events``
    is not a list (reading the ticket will say what is wrong with it).

    >>> event_count({"id": "T1", "events": [{}, {}]}), event_count({"id": "T1"})
    (2, 0)
    """
    if isinstance(ticket, Ticket):
        return len(ticket.events)
    if not isinstance(ticket, Mapping):
        return None
    events = ticket.get("events", ())
    return len(events) if isinstance(events, list | tuple) else None
