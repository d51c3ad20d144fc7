"""Recurrence: a fingerprint per ticket and "recurred within N days after a fix" flags.

A ticket's **fingerprint** is the tuple of the values of declared fields (by default
``service``, ``category``, ``subcategory``; any field a ``field-changed`` event may name,
``fields.<name>`` included). A ticket missing any of them (no value, or an empty string) has
**no** fingerprint: it recurs with nothing and nothing recurs with it -- two tickets that both
lack a service are not "the same problem". Values other than strings are written
``type:value`` (``int:3``, ``bool:True``), so ``"3"`` and ``3`` differ.

Every fingerprint is read **as of the instant that counts**, with the ticket's events up to
it applied (a ``field-changed`` event recategorising it, an assignment): a ticket is counted
under the fingerprint it had when it **opened**, and an earlier ticket's fix under the
fingerprint that ticket had when it was **fixed**. So the counts of a ticket depend only on
what happened up to its opening: recategorising a ticket later changes nothing already
counted (a category corrected after opening is common in ServiceNow), and a ticket
recategorised before its fix counts under the fingerprint it had when fixed. A change the
ticket states only in its fields, without a ``field-changed`` event, has no instant: such a
value holds over the whole history.

A **fix** is an instant a ticket entered a status of the ``resolved`` or ``closed`` category
from an open one (every time it did: a ticket reopened and resolved again was fixed twice);
closing a ticket already resolved is the same fix, not a second one (ServiceNow closes
resolved incidents days later), and a cancellation ends a ticket without fixing anything. A
ticket given only as it stands (``status: resolved`` and no status events) has no fix
instant, so it is never counted as fixed. Statuses are read with the status table of
``policy`` when one is given (its own statuses of those categories, Jira's ``done``,
included; a segment's variant for the tickets it decides, chosen by the ticket as it stands)
else with the built-in statuses (:mod:`escalate.learning._history`, shared with the KPIs and
patterns). A fix counts while it holds: once its ticket is reopened, that fix is undone for
every ticket opened from then on (the reopened ticket is the same problem, still open).

A ticket **recurred** when another ticket was fixed, with the ticket's fingerprint, in
``[opened_at - within, opened_at]`` -- both ends included, so a ticket opened exactly
``within`` after a fix recurred -- and that fix still held at ``opened_at`` (its ticket not
reopened at or before then); ``after`` names the ticket of the latest such fix (of two at
one instant, the greater id). ``occurrences`` counts the tickets opened with its fingerprint
in ``[opened_at - within, opened_at]``, itself included: the third one in 30 days has 3. A
window reaching back before the earliest instant escalate computes with starts there.

The engine decides one ticket at a time and reads no other ticket, so recurrence counts reach
rules as ticket data a caller computes here and passes in; the engine itself never looks
across tickets. A policy's ``recurrence:`` section (``Policy.recurrence``) declares the
fingerprint, the window and the two integer fields: :func:`with_recurrences` fills them over
a corpus (:func:`recurrence_values`: just the values), :func:`recurrence_fields` for one
ticket in a middleware. ``fields.recurrences`` counts the other tickets fixed in the window
(``recurred`` is ``recurrences > 0``), ``fields.occurrences`` the tickets opened in it.
Because they depend only on the past, filling them once, when a ticket opens, and keeping
them is sound.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.calendars._instants import checked_utc
from escalate.engine.compiled import Policy
from escalate.engine.history import HISTORY_FIELDS, TicketState, Value
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
#: The fields a ticket's assignments set (the others change through ``field-changed`` only).
_ASSIGNED = frozenset({"assignment_group", "assignee"})
#: The earliest instant a window starts at.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)

Print = tuple[str, ...]


def _check_fields(fields: Sequence[str]) -> None:
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        raise ArgumentError(
            f"fields must be a sequence of field names (e.g. ('service', 'category')), got "
            f"{type(fields).__name__} {fields!r}"
        )
    if not fields:
        raise ArgumentError("a fingerprint needs at least one field")
    seen: set[str] = set()
    for name in fields:
        if not isinstance(name, str) or (
            name not in _KNOWN and not (name.startswith("fields.") and len(name) > 7)
        ):
            known = ", ".join(sorted(_KNOWN))
            raise ArgumentError(
                f"unknown fingerprint field {name!r} (fields: {known}, fields.<name>)"
            )
        if name in seen:  # the words of the policy's recurrence.fingerprint check
            raise ArgumentError(f"fingerprint field {name!r} is listed twice")
        seen.add(name)


def fingerprint(
    ticket: Ticket, fields: Sequence[str] = DEFAULT_FIELDS, *, at: datetime | None = None
) -> Print | None:
    """The fingerprint of ``ticket`` over ``fields``; ``None`` when any value is missing.

    ``at``: as the ticket stood at that instant, its events at or before it applied (the
    instant that counts: its opening, or a fix; see the module docstring); ``None``, as it
    stands now (after its last event). ``at`` must be aware
    (:class:`~escalate.errors.NaiveDatetimeError`).

    >>> from escalate.engine.history import Event
    >>> opened = datetime(2024, 6, 3, 9, tzinfo=UTC)
    >>> t = Ticket("T1", opened, service="mail", category="network", events=[
    ...     Event(0, opened + timedelta(hours=2), "field-changed", field="category",
    ...           from_value="outage", to_value="network")])
    >>> fingerprint(t, ("service", "category")), fingerprint(t)
    (('mail', 'network'), None)
    >>> fingerprint(t, ("service", "category"), at=opened)  # as it opened
    ('mail', 'outage')
    """
    _check_fields(fields)
    if at is not None:
        at = checked_utc(at, "at")
    return _print(ticket, fields, at if at is not None and _moves(ticket, fields) else None)


def _moves(ticket: Ticket, fields: Iterable[str]) -> bool:
    """Whether ticket's history may change one of ``fields`` (else they hold throughout)."""
    changed = ticket.changed_fields
    return any(name in changed or (name in _ASSIGNED and ticket.events) for name in fields)


def _print(ticket: Ticket, fields: Iterable[str], at: datetime | None) -> Print | None:
    """The fingerprint of ``ticket`` as of ``at`` (``None``: as it stands), fields checked.

    Read through :meth:`Ticket.state_at` (the history folded once per ticket, then one binary
    search per instant)."""
    state: TicketState | None = None if at is None else ticket.state_at(at)
    changed = ticket.changed_fields
    out: list[str] = []
    for name in fields:
        value: Value
        if state is None:
            value = ticket.field_value(name)
        elif name == "assignment_group":
            value = state.assignment_group
        elif name == "assignee":
            value = state.assignee
        elif name in changed:
            value = state.field_value(name)
        else:
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
    """One ticket's recurrence (see the module docstring). Read-only. ``fingerprint`` is the
    one the ticket had when it opened."""

    ticket_id: str
    opened_at: datetime
    fingerprint: Print | None
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


@dataclass(slots=True)
class _Group:
    """One fingerprint over a corpus: the tickets that opened with it (their places, in
    opening order) and the fixes made under it, ``(fixed at, undone at, place)``."""

    members: list[int] = field(default_factory=list)
    fixes: list[tuple[datetime, datetime | None, int]] = field(default_factory=list)


def _grouped(
    listed: Sequence[Ticket], fields: Sequence[str], policy: Policy | None
) -> tuple[list[Print | None], dict[Print, _Group]]:
    """Each ticket's fingerprint at its opening, and the groups by fingerprint: the tickets
    that opened with it and the fixes made under it (each read as of its own instant).
    ``listed`` must be in opening order for the members to be. Linear in the histories, one
    binary search per instant read."""
    opening: list[Print | None] = []
    groups: dict[Print, _Group] = {}
    for n, t in enumerate(listed):
        moves = _moves(t, fields)
        found = _print(t, fields, t.opened_at if moves else None)
        opening.append(found)
        if found is not None:
            groups.setdefault(found, _Group()).members.append(n)
        if found is None and not moves:
            continue  # no fingerprint, ever: its fixes count for nobody
        for end in ends(t, statuses_of(policy, t)):
            if not end.fix:
                continue
            under = _print(t, fields, end.at) if moves else found
            if under is not None:
                groups.setdefault(under, _Group()).fixes.append((end.at, end.left_at, n))
    return opening, groups


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
    operation per fix and ticket, plus a pass over each history whose events change a
    fingerprint field."""
    if not isinstance(within, timedelta):
        raise ArgumentError(
            f"within must be a timedelta (e.g. timedelta(days=30)), got "
            f"{type(within).__name__} {within!r}"
        )
    if within <= timedelta(0):  # as the policy's recurrence.within and --within
        raise ArgumentError(f"within must be longer than zero, got {within}")
    _check_fields(fields)
    listed = sorted(tickets_of(tickets), key=lambda t: (t.opened_at, t.id))
    opening, groups = _grouped(listed, fields, policy)
    found: list[Recurrence | None] = [
        None if fp is not None else Recurrence(t.id, t.opened_at, None, False, None, None, 1)
        for t, fp in zip(listed, opening, strict=True)
    ]
    for fp, group in groups.items():
        for n, r in _recurrences(fp, listed, group, within):
            found[n] = r
    return [r for r in found if r is not None]


def _since(opened_at: datetime, within: timedelta) -> datetime:
    """``opened_at - within``, or the earliest instant when that is before it."""
    if within >= opened_at - _EARLIEST:
        return _EARLIEST
    return opened_at - within


def _recurrences(
    fp: Print, listed: Sequence[Ticket], group: _Group, within: timedelta
) -> list[tuple[int, Recurrence]]:
    """The recurrences of the tickets that opened with ``fp`` (``group.members``, in opening
    then id order): a sweep in opening order over the fixes made under it, the latest fix
    still holding on top of a heap."""
    held = sorted(group.fixes, key=lambda fix: (fix[0], listed[fix[2]].id))
    starts = [listed[n].opened_at for n in group.members]
    heap: list[tuple[int, int]] = []  # (-rank, rank): the latest fix (then greatest id) first
    added = 0
    out: list[tuple[int, Recurrence]] = []
    for n in group.members:
        t = listed[n]
        opened_at, since = t.opened_at, _since(t.opened_at, within)
        while added < len(held) and held[added][0] <= opened_at:
            heapq.heappush(heap, (-added, added))
            added += 1
        own: list[tuple[int, int]] = []
        after: tuple[datetime, datetime | None, int] | None = None
        while heap:
            fixed_at, undone_at, owner = held[heap[0][1]]
            if fixed_at < since or (undone_at is not None and undone_at <= opened_at):
                heapq.heappop(heap)  # too old or undone for this ticket and every later one
            elif owner == n:
                own.append(heapq.heappop(heap))  # its own fix at its opening: not a recurrence
            else:
                after = held[heap[0][1]]
                break
        for entry in own:
            heapq.heappush(heap, entry)
        occurrences = bisect.bisect_right(starts, opened_at) - bisect.bisect_left(starts, since)
        out.append(
            (
                n,
                Recurrence(
                    ticket_id=t.id,
                    opened_at=opened_at,
                    fingerprint=fp,
                    recurred=after is not None,
                    after=None if after is None else listed[after[2]].id,
                    fixed_at=None if after is None else after[0],
                    occurrences=occurrences,
                ),
            )
        )
    return out


def recurrence_counts(
    found: Iterable[Recurrence], *, since: datetime, until: datetime
) -> list[tuple[Print, int, int]]:
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
    counts: dict[Print, list[int]] = {}
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

    ``r`` counts the *other* tickets fixed with the ticket's fingerprint (a fix as the module
    docstring defines it, read with the policy's statuses; the fingerprint each had when
    fixed) in ``[opened_at - within, opened_at]`` by a fix that still holds at ``opened_at``
    (each such ticket once; ``r > 0`` exactly when :func:`recurrences` with the same policy
    says the ticket recurred); ``o`` the tickets opened with the fingerprint in that window,
    itself included (as :attr:`Recurrence.occurrences`). The ticket's own fingerprint is the
    one it had when it opened. A ticket without a fingerprint (a field missing) gets 0 and 1.
    Pure: the values do not depend on the order of ``tickets``, and only on what happened up
    to each ticket's opening (later events of any ticket, a recategorisation included, change
    nothing). Cost: one sort per fingerprint and binary searches, whatever ``within`` is,
    plus a pass over each history whose events change a fingerprint field. Mappings are read
    with the policy's ``empty_values``; two tickets with one id are an
    :class:`~escalate.errors.ArgumentError` (each is counted once).
    """
    spec = _declared(policy)
    listed = _read_all(tickets, policy)
    return [{spec.recurrences: r, spec.occurrences: o} for r, o in _counts(listed, spec, policy)]


def with_recurrences(
    tickets: Iterable[Ticket | Mapping[str, Any]], policy: Policy, *, recount: bool = False
) -> list[Ticket]:
    """``tickets`` (in input order) with the fields of :func:`recurrence_values` set, ready for
    :meth:`Policy.evaluate` and the conditions that read them.

    A ticket that already carries one of the fields keeps it when it holds the same count.
    With another value (a count from another corpus or window, one a middleware filled
    knowing fewer tickets, or a field of the ticketing system that happens to have the
    name) it is an :class:`~escalate.errors.ArgumentError` naming the ticket and the field,
    never overwritten silently; with ``recount=True`` the corpus's count replaces it.
    """
    spec = _declared(policy)
    if type(recount) is not bool:
        raise ArgumentError(f"recount must be True or False, got {recount!r}")
    listed = _read_all(tickets, policy)
    out: list[Ticket] = []
    for ticket, (r, o) in zip(listed, _counts(listed, spec, policy), strict=True):
        changed: dict[str, object] = {}
        for name, value in ((spec.recurrences, r), (spec.occurrences, o)):
            carried = ticket.field_value(name)
            if type(carried) is int and carried == value:
                continue
            if carried is not None and not recount:
                raise ArgumentError(
                    f"ticket {ticket.id!r}: {name} is already {shown(carried)}, and the "
                    f"recurrence counts give {value} (fingerprint "
                    f"{_shown_print(ticket, spec)}, within {spec.within_text}): remove the "
                    "field from the ticket, name another in recurrence.fields, or pass "
                    "recount=True to replace it"
                )
            changed[name] = value
        out.append(ticket.with_fields(changed) if changed else ticket)
    return out


def recurrence_fields(
    ticket: Ticket | Mapping[str, Any],
    earlier: Iterable[Ticket | Mapping[str, Any]],
    policy: Policy,
) -> dict[str, int]:
    """The fields ``policy``'s ``recurrence:`` fills for one ``ticket``, counted over
    ``earlier`` (the other tickets a middleware knows; those opened or fixed in the window
    with the ticket's fingerprint are enough -- each is read as of the instant that counts,
    so a ticket recategorised since is passed over or counted as it stood then; others,
    later ones and the ticket itself are passed over). The same values
    :func:`recurrence_values` gives the ticket in a corpus of it and ``earlier``; cost linear
    in ``earlier``. Set them with ``ticket.with_fields(...)`` (``Ticket``) or in a mapping's
    ``fields`` under the name after ``fields.``. Unlike :func:`with_recurrences`, the
    ticket's own fields are not checked.
    """
    spec = _declared(policy)
    (own,) = _read_all([ticket], policy)
    fields = spec.fingerprint
    found = _print(own, fields, own.opened_at if _moves(own, fields) else None)
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
            if other.id == own.id:
                continue
            moves = _moves(other, fields)
            if since <= other.opened_at <= until:
                o += _print(other, fields, other.opened_at if moves else None) == found
            r += any(
                end.fix
                and since <= end.at <= until
                and (end.left_at is None or end.left_at > until)
                and _print(other, fields, end.at if moves else None) == found
                for end in ends(other, statuses_of(policy, other))
            )
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

    Per fingerprint (the tickets that opened with it, the fixes made under it), a sweep in
    opening order: the fixes in the window, less those undone (their ticket reopened) by then
    -- a ticket's fixed stretches never overlap, so a ticket counts at most once -- less the
    ticket's own (a fix at its opening). Cost: sorts and a Fenwick tree, ``O(n log n)``."""
    out = [(0, 1)] * len(listed)
    _, groups = _grouped(listed, spec.fingerprint, policy)
    for group in groups.values():
        if not group.members:
            continue
        opened = sorted(listed[n].opened_at for n in group.members)
        fixed = sorted(at for at, _, _ in group.fixes)
        undone = sorted(
            (left, bisect.bisect_left(fixed, at)) for at, left, _ in group.fixes if left is not None
        )
        own = {  # the tickets fixed under it at their opening, by a fix holding then
            n
            for at, left, n in group.fixes
            if at == listed[n].opened_at and (left is None or left > at)
        }
        counter, marked = _Counter(len(fixed)), 0
        for n in sorted(group.members, key=lambda n: listed[n].opened_at):
            until = listed[n].opened_at
            since = _since(until, spec.within)
            while marked < len(undone) and undone[marked][0] <= until:
                counter.mark(undone[marked][1])
                marked += 1
            low, high = bisect.bisect_left(fixed, since), bisect.bisect_right(fixed, until)
            r = high - low - (counter.before(high) - counter.before(low)) - (n in own)
            o = bisect.bisect_right(opened, until) - bisect.bisect_left(opened, since)
            out[n] = (r, o)
    return out


def _shown_print(ticket: Ticket, spec: RecurrenceDef) -> str:
    fields = spec.fingerprint
    found = _print(ticket, fields, ticket.opened_at if _moves(ticket, fields) else None)
    return "none" if found is None else " / ".join(found)
