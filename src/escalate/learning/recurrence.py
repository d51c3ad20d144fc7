"""Recurrence: a fingerprint per ticket and "recurred within N days after a fix" flags.

A ticket's **fingerprint** is the tuple of the values of declared fields (by default
``service``, ``category``, ``subcategory``; any field a ``field-changed`` event may name,
``fields.<name>`` included), as the ticket stands after its last event. A ticket missing any
of them (no value, or an empty string) has **no** fingerprint: it recurs with nothing and
nothing recurs with it -- two tickets that both lack a service are not "the same problem".
Values other than strings are written ``type:value`` (``int:3``, ``bool:True``), so ``"3"``
and ``3`` differ.

A **fix** is an instant a ticket entered a status of the ``resolved`` or ``closed`` category
from an open one (every time it did: a ticket reopened and resolved again was fixed twice);
closing a ticket already resolved is the same fix, not a second one (ServiceNow closes
resolved incidents days later), and a cancellation ends a ticket without fixing anything.
Statuses are read with the status table of ``policy`` when one is given (its own statuses of
those categories, Jira's ``done``, included; a segment's variant for the tickets it decides),
else with the built-in statuses (:mod:`escalate.learning._history`, shared with the KPIs and
patterns). A fix counts while it holds: once its ticket is reopened, that fix is undone
for every ticket opened from then on (the reopened ticket is the same problem, still open).

A ticket **recurred** when another ticket with its fingerprint was fixed in
``[opened_at - within, opened_at]`` -- both ends included, so a ticket opened exactly
``within`` after a fix recurred -- and that fix still held at ``opened_at`` (its ticket not
reopened at or before then); ``after`` names the ticket of the latest such fix (of two at
one instant, the greater id). ``occurrences`` counts the tickets with its fingerprint opened
in ``[opened_at - within, opened_at]``, itself included: the third one in 30 days has 3. A
window reaching back before the earliest instant escalate computes with starts there.

The engine decides one ticket at a time and reads no other ticket, so recurrence counts reach
rules as ticket data a caller computes here and passes in; the engine itself never looks
across tickets. A policy's ``recurrence:`` section (``Policy.recurrence``) declares the
fingerprint, the window and the two integer fields: :func:`with_recurrences` fills them over
a corpus (:func:`recurrence_values`: just the values), :func:`recurrence_fields` for one
ticket in a middleware. ``fields.recurrences`` counts the other tickets fixed in the window
(``recurred`` is ``recurrences > 0``), ``fields.occurrences`` the tickets opened in it.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.calendars._instants import checked_utc
from escalate.engine.compiled import Policy
from escalate.engine.history import HISTORY_FIELDS
from escalate.engine.recurrence import RecurrenceDef
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, TicketError, shown
from escalate.learning._history import ends, statuses_of, tickets_of

__all__ = [
    "DEFAULT_FIELDS",
    "Recurrence",
    "fingerprint",
    "fixes",
    "recurrence_counts",
    "recurrence_fields",
    "recurrence_values",
    "recurrences",
    "with_recurrences",
]

#: The fingerprint's fields unless declared otherwise.
DEFAULT_FIELDS = ("service", "category", "subcategory")
_KNOWN = frozenset(HISTORY_FIELDS)
#: The earliest instant a window starts at.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)


def _check_fields(fields: Sequence[str]) -> None:
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        raise ArgumentError(
            f"fields must be a sequence of field names (e.g. ('service', 'category')), got "
            f"{type(fields).__name__} {fields!r}"
        )
    if not fields:
        raise ArgumentError("a fingerprint needs at least one field")
    for name in fields:
        if not isinstance(name, str) or (
            name not in _KNOWN and not (name.startswith("fields.") and len(name) > 7)
        ):
            known = ", ".join(sorted(_KNOWN))
            raise ArgumentError(
                f"unknown fingerprint field {name!r} (fields: {known}, fields.<name>)"
            )


def fingerprint(ticket: Ticket, fields: Sequence[str] = DEFAULT_FIELDS) -> tuple[str, ...] | None:
    """The fingerprint of ``ticket`` over ``fields``; ``None`` when any value is missing.

    >>> from datetime import UTC
    >>> t = Ticket("T1", datetime(2024, 6, 3, tzinfo=UTC), service="mail", category="outage")
    >>> fingerprint(t, ("service", "category")), fingerprint(t)
    (('mail', 'outage'), None)
    """
    _check_fields(fields)
    out: list[str] = []
    for name in fields:
        value = ticket.field_value(name)
        if value is None or value == "":
            return None
        out.append(value if isinstance(value, str) else f"{type(value).__name__}:{value}")
    return tuple(out)


def fixes(ticket: Ticket, policy: Policy | None = None) -> tuple[datetime, ...]:
    """Every fix of ``ticket`` (see the module docstring), oldest first: each entry into a
    status of the ``resolved`` or ``closed`` category from an open one, read with
    ``policy``'s statuses (the built-in ones without a policy).

    >>> from escalate.engine.history import Event
    >>> at = datetime(2024, 6, 3, 9, tzinfo=UTC)
    >>> t = Ticket("T1", at, status="closed", events=[
    ...     Event(0, at + timedelta(hours=1), "resolved"),
    ...     Event(1, at + timedelta(days=7), "closed")])
    >>> [f.isoformat() for f in fixes(t)]  # the close of a resolved ticket is no new fix
    ['2024-06-03T10:00:00+00:00']
    """
    return tuple(end.at for end in ends(ticket, statuses_of(policy, ticket)) if end.fix)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """One ticket's recurrence (see the module docstring). Read-only."""

    ticket_id: str
    opened_at: datetime
    fingerprint: tuple[str, ...] | None
    recurred: bool
    after: str | None  # the ticket whose fix it recurred after (the latest)
    fixed_at: datetime | None  # that fix
    occurrences: int  # tickets with the fingerprint opened in the window, itself included

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "ticket": self.ticket_id,
            "opened_at": self.opened_at.isoformat(),
            "fingerprint": None if self.fingerprint is None else list(self.fingerprint),
            "recurred": self.recurred,
            "after": self.after,
            "fixed_at": None if self.fixed_at is None else self.fixed_at.isoformat(),
            "occurrences": self.occurrences,
        }


def recurrences(
    tickets: Iterable[Ticket | Mapping[str, Any]],
    *,
    within: timedelta = timedelta(days=30),
    fields: Sequence[str] = DEFAULT_FIELDS,
    policy: Policy | None = None,
) -> list[Recurrence]:
    """Each ticket's :class:`Recurrence`, sorted by opening then id (input order does not
    matter); ``policy`` names the statuses (see the module docstring). A ticket given as a
    mapping is read with :meth:`Ticket.from_mapping`; a bad one is a
    :class:`~escalate.errors.TicketError` naming its place, a ticket id given twice an
    :class:`~escalate.errors.ArgumentError`. Cost: one sort per fingerprint and a heap
    operation per fix and ticket."""
    if not isinstance(within, timedelta):
        raise ArgumentError(
            f"within must be a timedelta (e.g. timedelta(days=30)), got "
            f"{type(within).__name__} {within!r}"
        )
    if within < timedelta(0):
        raise ArgumentError(f"within must not be negative, got {within}")
    _check_fields(fields)
    listed = sorted(tickets_of(tickets), key=lambda t: (t.opened_at, t.id))
    by_print: dict[tuple[str, ...], list[Ticket]] = {}
    found: dict[str, Recurrence] = {}
    for t in listed:
        fp = fingerprint(t, fields)
        if fp is None:
            found[t.id] = Recurrence(t.id, t.opened_at, None, False, None, None, 1)
        else:
            by_print.setdefault(fp, []).append(t)
    for fp, members in by_print.items():
        for r in _recurrences(fp, members, within, policy):
            found[r.ticket_id] = r
    return [found[t.id] for t in listed]


def _since(opened_at: datetime, within: timedelta) -> datetime:
    """``opened_at - within``, or the earliest instant when that is before it."""
    if within >= opened_at - _EARLIEST:
        return _EARLIEST
    return opened_at - within


def _recurrences(
    fp: tuple[str, ...], members: list[Ticket], within: timedelta, policy: Policy | None
) -> list[Recurrence]:
    """The recurrences of ``members`` (one fingerprint, sorted by opening then id): a sweep
    in opening order over their fixes, the latest fix still holding on top of a heap."""
    held: list[tuple[datetime, datetime | None, str]] = sorted(  # (fixed at, undone at, id)
        (
            (end.at, end.left_at, t.id)
            for t in members
            for end in ends(t, statuses_of(policy, t))
            if end.fix
        ),
        key=lambda fix: (fix[0], fix[2]),
    )
    starts = [t.opened_at for t in members]
    heap: list[tuple[int, int]] = []  # (-rank, rank): the latest fix (then greatest id) first
    added = 0
    out: list[Recurrence] = []
    for t in members:
        opened_at, since = t.opened_at, _since(t.opened_at, within)
        while added < len(held) and held[added][0] <= opened_at:
            heapq.heappush(heap, (-added, added))
            added += 1
        own: list[tuple[int, int]] = []
        after: tuple[datetime, datetime | None, str] | None = None
        while heap:
            fixed_at, undone_at, owner = held[heap[0][1]]
            if fixed_at < since or (undone_at is not None and undone_at <= opened_at):
                heapq.heappop(heap)  # too old or undone for this ticket and every later one
            elif owner == t.id:
                own.append(heapq.heappop(heap))  # its own fix at its opening: not a recurrence
            else:
                after = held[heap[0][1]]
                break
        for entry in own:
            heapq.heappush(heap, entry)
        occurrences = bisect.bisect_right(starts, opened_at) - bisect.bisect_left(starts, since)
        out.append(
            Recurrence(
                ticket_id=t.id,
                opened_at=opened_at,
                fingerprint=fp,
                recurred=after is not None,
                after=None if after is None else after[2],
                fixed_at=None if after is None else after[0],
                occurrences=occurrences,
            )
        )
    return out


def recurrence_counts(
    found: Iterable[Recurrence], *, since: datetime, until: datetime
) -> list[tuple[tuple[str, ...], int, int]]:
    """Per fingerprint, of the tickets opened in ``[since, until)``: how many, and how many
    recurred; sorted by fingerprint. Tickets without a fingerprint are left out. ``since`` and
    ``until`` must be aware (:class:`~escalate.errors.NaiveDatetimeError`), ``since`` not
    after ``until`` (:class:`~escalate.errors.ArgumentError`)."""
    since = checked_utc(since, "since")
    until = checked_utc(until, "until")
    if since > until:
        raise ArgumentError(
            f"since {since.isoformat()} is after until {until.isoformat()}: the window is empty"
        )
    counts: dict[tuple[str, ...], list[int]] = {}
    for r in found:
        if r.fingerprint is None or not since <= r.opened_at < until:
            continue
        entry = counts.setdefault(r.fingerprint, [0, 0])
        entry[0] += 1
        entry[1] += r.recurred
    return [(fp, n, k) for fp, (n, k) in sorted(counts.items())]


# --------------------------------------------------------------------------------------------
# Recurrence counts as ticket fields, for conditions (a policy's ``recurrence:`` section)
# --------------------------------------------------------------------------------------------


def recurrence_values(
    tickets: Iterable[Ticket | Mapping[str, Any]], policy: Policy
) -> list[dict[str, int]]:
    """The fields ``policy``'s ``recurrence:`` section fills, for each of ``tickets``, in input
    order: ``{"fields.recurrences": r, "fields.occurrences": o}`` (the names it declares).

    ``r`` counts the *other* tickets with the ticket's fingerprint fixed (a fix as the module
    docstring defines it, read with the policy's statuses) in ``[opened_at - within,
    opened_at]`` by a fix that still holds at ``opened_at`` (each such ticket once; ``r > 0``
    exactly when :func:`recurrences` with the same policy says the ticket recurred);
    ``o`` the tickets with the fingerprint opened in that window, itself included (as
    :attr:`Recurrence.occurrences`). A ticket without a fingerprint (a field missing) gets 0
    and 1. Pure: the values do not depend on the order of ``tickets``, and only on what
    happened up to each ticket's opening. Cost: one sort per fingerprint and binary searches,
    whatever ``within`` is. Mappings are read with the policy's ``empty_values``; two tickets
    with one id are an :class:`~escalate.errors.ArgumentError` (each is counted once).
    """
    spec = _declared(policy)
    listed = _read_all(tickets, policy)
    return [{spec.recurrences: r, spec.occurrences: o} for r, o in _counts(listed, spec, policy)]


def with_recurrences(tickets: Iterable[Ticket | Mapping[str, Any]], policy: Policy) -> list[Ticket]:
    """``tickets`` (in input order) with the fields of :func:`recurrence_values` set, ready for
    :meth:`Policy.evaluate` and the conditions that read them.

    A ticket that already carries one of the fields keeps it when it holds the same count;
    with another value it is an :class:`~escalate.errors.ArgumentError` naming the ticket and
    the field, never overwritten silently (a count from another corpus or window, or a field
    of the ticketing system that happens to have the name).
    """
    spec = _declared(policy)
    listed = _read_all(tickets, policy)
    out: list[Ticket] = []
    for ticket, (r, o) in zip(listed, _counts(listed, spec, policy), strict=True):
        missing: dict[str, object] = {}
        for name, value in ((spec.recurrences, r), (spec.occurrences, o)):
            carried = ticket.field_value(name)
            if carried is None:
                missing[name] = value
            elif type(carried) is not int or carried != value:
                raise ArgumentError(
                    f"ticket {ticket.id!r}: {name} is already {shown(carried)}, and the "
                    f"recurrence counts give {value} (fingerprint "
                    f"{_shown_print(ticket, spec)}, within {spec.within_text}): remove the "
                    "field from the ticket, or name another in recurrence.fields"
                )
        out.append(ticket.with_fields(missing) if missing else ticket)
    return out


def recurrence_fields(
    ticket: Ticket | Mapping[str, Any],
    earlier: Iterable[Ticket | Mapping[str, Any]],
    policy: Policy,
) -> dict[str, int]:
    """The fields ``policy``'s ``recurrence:`` fills for one ``ticket``, counted over
    ``earlier`` (the other tickets a middleware knows: those with the ticket's fingerprint
    opened or fixed in the window are enough; others, later ones and the ticket itself are
    passed over). The same values :func:`recurrence_values` gives the ticket in a corpus of
    it and ``earlier``; cost linear in ``earlier``. Set them with
    ``ticket.with_fields(...)`` (``Ticket``) or in a mapping's ``fields`` under the name after
    ``fields.``. Unlike :func:`with_recurrences`, the ticket's own fields are not checked.
    """
    spec = _declared(policy)
    (own,) = _read_all([ticket], policy)
    found = fingerprint(own, spec.fingerprint)
    r, o = 0, 1
    if found is not None:
        until = own.opened_at
        since = _since(until, spec.within)
        seen: set[str] = set()
        for n, item in enumerate(earlier):
            other = _read(item, policy, n)
            if other.id in seen:
                raise ArgumentError(f"earlier[{n}]: ticket {other.id!r} is listed twice")
            seen.add(other.id)
            if other.id == own.id or fingerprint(other, spec.fingerprint) != found:
                continue
            o += since <= other.opened_at <= until
            r += _holding(other, policy, since, until)
    return {spec.recurrences: r, spec.occurrences: o}


def _declared(policy: Policy) -> RecurrenceDef:
    if not isinstance(policy, Policy):
        raise ArgumentError(f"expected an escalate.Policy, got {type(policy).__name__}")
    if policy.recurrence is None:
        raise ArgumentError(
            f"policy {policy.id!r} declares no recurrence: section (the fingerprint, the window "
            "and the fields to fill; docs/policy-reference.md#recurrence)"
        )
    return policy.recurrence


def _read(ticket: object, policy: Policy, n: int) -> Ticket:
    if isinstance(ticket, Ticket):
        return ticket
    if isinstance(ticket, Mapping):
        try:
            return Ticket.from_mapping(ticket, empty=policy.empty_values)
        except TicketError as exc:
            raise TicketError(f"item {n}: {exc.message}", path=exc.path, value=exc.value) from None
    raise ArgumentError(f"item {n}: expected a Ticket or a mapping, got {type(ticket).__name__}")


def _read_all(tickets: Iterable[object], policy: Policy) -> list[Ticket]:
    if isinstance(tickets, Ticket | Mapping | str | bytes):
        raise ArgumentError("expected an iterable of tickets, got one ticket")
    listed = [_read(t, policy, n) for n, t in enumerate(tickets)]
    places: dict[str, int] = {}
    for n, t in enumerate(listed):
        if t.id in places:
            raise ArgumentError(
                f"item {n}: ticket {t.id!r} is also item {places[t.id]}: recurrence counts "
                "need each ticket once (as it stands now)"
            )
        places[t.id] = n
    return listed


def _holding(ticket: Ticket, policy: Policy, since: datetime, until: datetime) -> bool:
    """Whether ``ticket`` has a fix in ``[since, until]`` that still holds at ``until``."""
    return any(
        end.fix and since <= end.at <= until and (end.left_at is None or end.left_at > until)
        for end in ends(ticket, statuses_of(policy, ticket))
    )


class _Counter:
    """A Fenwick tree: counts of marked positions, prefix sums in logarithmic time."""

    __slots__ = ("_tree",)

    def __init__(self, size: int) -> None:
        self._tree = [0] * (size + 1)

    def mark(self, position: int) -> None:
        position += 1
        while position < len(self._tree):
            self._tree[position] += 1
            position += position & -position

    def before(self, position: int) -> int:
        """How many marked positions are ``< position``."""
        total = 0
        while position > 0:
            total += self._tree[position]
            position -= position & -position
        return total


def _counts(listed: Sequence[Ticket], spec: RecurrenceDef, policy: Policy) -> list[tuple[int, int]]:
    """(recurrences, occurrences) of each ticket, in order (see :func:`recurrence_values`).

    Per fingerprint, a sweep in opening order: the fixes in the window, less those undone (their
    ticket reopened) by then -- a ticket's fixed stretches never overlap, so a ticket counts at
    most once -- less the ticket's own. Cost: sorts and a Fenwick tree, ``O(n log n)``."""
    out = [(0, 1)] * len(listed)
    groups: dict[tuple[str, ...], list[int]] = {}
    for n, t in enumerate(listed):
        found = fingerprint(t, spec.fingerprint)
        if found is not None:
            groups.setdefault(found, []).append(n)
    for members in groups.values():
        opened = sorted(listed[n].opened_at for n in members)
        held = [
            (end.at, end.left_at)
            for n in members
            for end in ends(listed[n], statuses_of(policy, listed[n]))
            if end.fix
        ]
        fixed = sorted(at for at, _ in held)
        undone = sorted(
            (left, bisect.bisect_left(fixed, at)) for at, left in held if left is not None
        )
        counter, marked = _Counter(len(fixed)), 0
        for n in sorted(members, key=lambda n: listed[n].opened_at):
            until = listed[n].opened_at
            since = _since(until, spec.within)
            while marked < len(undone) and undone[marked][0] <= until:
                counter.mark(undone[marked][1])
                marked += 1
            low, high = bisect.bisect_left(fixed, since), bisect.bisect_right(fixed, until)
            r = high - low - (counter.before(high) - counter.before(low))
            r -= _holding(listed[n], policy, since, until)  # its own fix at its opening
            o = bisect.bisect_right(opened, until) - bisect.bisect_left(opened, since)
            out[n] = (r, o)
    return out


def _shown_print(ticket: Ticket, spec: RecurrenceDef) -> str:
    found = fingerprint(ticket, spec.fingerprint)
    return "none" if found is None else " / ".join(found)
