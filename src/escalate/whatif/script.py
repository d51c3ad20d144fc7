"""Scripted events: read from JSON-like data, placed in time, appended to a ticket's history.

A scripted event is a ticket event as ``docs/ticket-format.md`` describes it (``type`` and its
payload: ``actor``, ``status``, ``group`` ...), placed in time by exactly one of ``at`` (an
aware instant, a ``datetime`` or an ISO-8601 string with an offset) or ``after`` (a duration
counted in wall time from the simulation's start: ``10m``, ``1h30m``, ``2d``, or a positive
``timedelta``; no business days, which would need a calendar). A script lists its events in
time order, none before the start. Problems raise :class:`ScriptedEventError` (a
:class:`~escalate.errors.TicketError`) with the path ``events[i].key`` of the script, never of
the ticket's own history; :class:`ScriptedEventErrors` when there are several.

Each event's own problems (its shape, its instant, its type and payload, its place before the
start or after ``until``) do not depend on the other events, so every one of them is found at
once. Whether the events are in time order is judged between events whose instants could be
read. Problems that depend on the events before (a ``from_priority`` that contradicts an
earlier event or the ticket's own history) are only looked for once every event reads on its
own, and the first is raised: after one, the history the later events are judged against is
not the one the script meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from escalate._models import read_instant
from escalate.calendars._durations import format_duration, parse_duration
from escalate.calendars._instants import MAX_US, MIN_US, to_us, utc
from escalate.engine.decision import iso
from escalate.engine.statuses import StatusTable
from escalate.engine.ticket import Event, Ticket
from escalate.errors import NaiveDatetimeError, PolicyError, TicketError, shown

__all__ = ["ScriptedEventError", "ScriptedEventErrors", "append", "read_script", "scripted_error"]

_INDEX = re.compile(r"events\[([0-9]+)\]")


class ScriptedEventError(TicketError):
    """A scripted event is invalid, or contradicts the ticket's history: ``path`` names it in
    the script (``events[2].type``), not in the ticket. ``value`` is what was given; the
    message shows instants and dates as ISO text and durations as ``1h30m`` (a YAML events
    file reads an unquoted ``2024-11-20T15:00:00`` as a datetime), not as Python reprs."""

    def __init__(
        self, message: str, *, path: Sequence[str | int] = (), value: object = None
    ) -> None:
        super().__init__(message, path=path, value=_as_written(value))
        self.value = value


class ScriptedEventErrors(ScriptedEventError):
    """Several independent problems of one script. ``errors`` holds each (at least two) as a
    :class:`ScriptedEventError`, by their place in the script; the exception itself reads as
    the first of them plus ``(and N more problems)``, and its ``path`` and ``value`` are the
    first one's, so code that handles one :class:`ScriptedEventError` keeps working."""

    def __init__(self, errors: Sequence[ScriptedEventError]) -> None:
        self.errors: tuple[ScriptedEventError, ...] = tuple(errors)
        first = self.errors[0]
        more = len(self.errors) - 1
        super().__init__(first.message, path=first.path, value=first.value)
        self.args = (f"{first} (and {more} more problem{'s' if more > 1 else ''})",)


def _joined(errors: Sequence[ScriptedEventError]) -> ScriptedEventError:
    """One error for ``errors`` (at least one), by event: the only one, or all of them."""
    ordered = sorted(errors, key=lambda e: e.path[1] if len(e.path) > 1 else -1)
    return ordered[0] if len(ordered) == 1 else ScriptedEventErrors(ordered)


class _Written:
    """A value shown in a message as the text it stands for, without quotes."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _as_written(value: object) -> object:
    """``value`` with instants, dates, times and durations (itself, or the items of a plain
    dict or list, as JSON and YAML build them) as the text a script would write for them."""
    if isinstance(value, date | time):
        return _Written(value.isoformat())
    if isinstance(value, timedelta):
        return _Written(format_duration(value))
    if type(value) is dict:
        return {key: _as_written_item(item) for key, item in value.items()}
    if type(value) is list:
        return [_as_written_item(item) for item in value]
    return value


def _as_written_item(value: object) -> object:
    return _as_written(value) if isinstance(value, date | time | timedelta) else value


def read_script(
    events: Iterable[Mapping[str, object]],
    *,
    ticket: Ticket,
    start: datetime,
    until: datetime | None = None,
    empty: Iterable[str] = (),
    statuses: StatusTable | None = None,
) -> tuple[Event, ...]:
    """Read ``events`` for ``ticket``, with ``after`` counted from ``start`` (aware, UTC): the
    events in time order, instants in UTC, each ``index`` its position in the script. An
    event after ``until`` (when given) is a problem: it would never happen.

    ``empty`` are the policy's empty-value markers, as for the ticket itself, and
    ``statuses`` its status table: a status it does not know is a problem of the script,
    reported with the others. The events are
    read the way :meth:`Ticket.from_mapping` reads a history and checked against the ticket's
    own history once appended (a ``from_priority`` that contradicts it is an error here, not
    during the simulation).
    """
    if isinstance(events, str | bytes | Mapping):
        raise ScriptedEventError(
            "scripted events must be a list of events", path=("events",), value=events
        )
    problems: list[ScriptedEventError] = []
    placed: list[dict[str, object]] = []
    previous: tuple[int, datetime] | None = None  # the last event whose instant reads
    for i, raw in enumerate(events):
        if not isinstance(raw, Mapping):
            problems.append(
                ScriptedEventError(
                    "a scripted event must be a mapping", path=("events", i), value=raw
                )
            )
            continue
        data = dict(raw)
        own: list[ScriptedEventError] = []
        if "index" in data:
            own.append(
                ScriptedEventError(
                    "a scripted event has no 'index': its place in the history follows from "
                    "its instant",
                    path=("events", i, "index"),
                    value=data.pop("index"),
                )
            )
        try:
            at: datetime | None = _instant(data, i, start)
        except ScriptedEventError as exc:
            own.append(exc)
            at = None
        if at is not None:
            own += _placement(at, i, "at" if "at" in data else "after", start, until, previous)
            previous = (i, at)
        data.pop("after", None)
        data["at"] = start if at is None else at
        own += _payload(data, i, ticket, start, empty)
        status = data.get("status")
        if statuses is not None and isinstance(status, str) and status not in empty:
            try:
                statuses.canonical(status, ("events", i, "status"))
            except TicketError as exc:
                own.append(ScriptedEventError(exc.message, path=exc.path, value=exc.value))
        problems += own
        placed.append(data)
    if problems:
        raise _joined(problems)
    # The events alone, read as the history of a ticket opened at the start: the format's own
    # reading (types, payloads, spellings) and the checks between events, with error paths
    # that are the script's.
    try:
        probe = Ticket.from_mapping(
            {"id": ticket.id, "opened_at": start, "events": placed}, empty=empty
        )
    except TicketError as exc:
        raise scripted_error(exc, 0) from None
    append(ticket, probe.events)  # the checks that need the ticket's own history
    return probe.events


def _placement(
    at: datetime,
    i: int,
    key: str,
    start: datetime,
    until: datetime | None,
    previous: tuple[int, datetime] | None,
) -> list[ScriptedEventError]:
    """The problems of event ``i``'s instant ``at`` (given by ``key``): before the start,
    after ``until``, earlier than the last event before it whose instant reads."""
    path = ("events", i, key)
    if at < start:
        return [
            ScriptedEventError(
                f"a scripted event cannot happen before the simulation's start ({iso(start)})",
                path=path,
                value=iso(at),
            )
        ]
    problems = []
    if previous is not None and at < previous[1]:
        problems.append(
            ScriptedEventError(
                f"scripted events are listed in time order; this one is earlier than "
                f"events[{previous[0]}] ({iso(previous[1])})",
                path=path,
                value=iso(at),
            )
        )
    if until is not None and at > until:
        problems.append(
            ScriptedEventError(
                f"a scripted event after until ({iso(until)}) would never happen in this "
                "simulation",
                path=("events", i),
                value=iso(at),
            )
        )
    return problems


def _payload(
    data: dict[str, object], i: int, ticket: Ticket, start: datetime, empty: Iterable[str]
) -> list[ScriptedEventError]:
    """The problems of event ``i``'s type and payload, read on its own (as the only event of
    a ticket opened at the start)."""
    try:
        Ticket.from_mapping({"id": ticket.id, "opened_at": start, "events": [data]}, empty=empty)
    except TicketError as exc:
        error = scripted_error(exc, 0)
        if isinstance(error, ScriptedEventError) and len(error.path) > 1:
            message = error.message.replace("events[0]", f"events[{i}]")
            return [
                ScriptedEventError(message, path=("events", i, *error.path[2:]), value=error.value)
            ]
        raise error from None  # not about the event: the ticket's id, say
    return []


def _instant(data: dict[str, object], i: int, start: datetime) -> datetime:
    """The instant of scripted event ``i``: its ``at``, or ``start`` plus its ``after``."""
    if ("at" in data) == ("after" in data):
        raise ScriptedEventError(
            "a scripted event needs exactly one of 'at' (an instant) and 'after' (a duration "
            "from the start, e.g. 10m)",
            path=("events", i),
            value={key: data[key] for key in ("at", "after") if key in data},
        )
    if "at" in data:
        return _at(data["at"], ("events", i, "at"))
    value = data["after"]
    path: tuple[str | int, ...] = ("events", i, "after")
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ScriptedEventError("'after' must be a positive duration", path=path, value=value)
        delta = value
    else:
        try:
            delta = parse_duration(value, path, allow_business_days=False).delta
        except PolicyError as exc:  # its message ends with the value, as ours will
            message = exc.message.removesuffix(f", got {shown(value)}")
            raise ScriptedEventError(message, path=path, value=value) from None
    us = to_us(start) + delta // timedelta(microseconds=1)
    if us > MAX_US:
        raise ScriptedEventError(
            "the event would fall after the last instant escalate computes with",
            path=path,
            value=value,
        )
    return start + delta


def _at(value: object, path: tuple[str | int, ...]) -> datetime:
    at = read_instant(value) if isinstance(value, str) else value
    if not isinstance(at, datetime):
        raise ScriptedEventError(
            "must be an ISO-8601 instant with an offset (e.g. 2024-11-20T15:00:00Z) or an aware "
            "datetime",
            path=path,
            value=value,
        )
    try:
        us = to_us(at)
    except NaiveDatetimeError:
        raise ScriptedEventError(
            "has no time zone (escalate never guesses whether a naive time is UTC or local)",
            path=path,
            value=value,
        ) from None
    if not MIN_US <= us <= MAX_US:
        raise ScriptedEventError(
            "is outside the instants escalate computes with", path=path, value=value
        )
    return utc(at)


def append(ticket: Ticket, events: Sequence[Event]) -> Ticket:
    """``ticket`` with ``events`` added to its history (:meth:`Ticket.with_events`); an event
    that contradicts the history is a :class:`ScriptedEventError` naming it by its position in
    ``events``."""
    try:
        return ticket.with_events(events)
    except TicketError as exc:
        raise scripted_error(exc, len(ticket.events)) from None


def scripted_error(exc: TicketError, n: int) -> TicketError:
    """``exc``, about a history whose first ``n`` events are the ticket's own, as a
    :class:`ScriptedEventError` when it names a later (scripted) event; else as it is."""
    path = exc.path
    if len(path) >= 2 and path[0] == "events" and isinstance(path[1], int) and path[1] >= n:
        message = _INDEX.sub(lambda m: _renumbered(int(m.group(1)), n), exc.message)
        return ScriptedEventError(message, path=("events", path[1] - n, *path[2:]), value=exc.value)
    return exc


def _renumbered(index: int, n: int) -> str:
    """How an error names event ``index`` of a history whose first ``n`` events are the
    ticket's own: ``the ticket's events[3]`` or ``events[0]`` (of the script)."""
    return f"the ticket's events[{index}]" if index < n else f"events[{index - n}]"
