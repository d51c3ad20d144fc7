"""Recurrence: a fingerprint per ticket and "recurred within N days after a fix" flags.

A ticket's **fingerprint** is the tuple of the values of declared fields (by default
``service``, ``category``, ``subcategory``; any field a ``field-changed`` event may name,
``fields.<name>`` included), as the ticket stands after its last event. A ticket missing any
of them (no value, or an empty string) has **no** fingerprint: it recurs with nothing and
nothing recurs with it -- two tickets that both lack a service are not "the same problem".
Values other than strings are written ``type:value`` (``int:3``, ``bool:True``), so ``"3"``
and ``3`` differ.

A **fix** is an instant a ticket went to ``resolved`` or ``closed`` (every time it did: a
ticket reopened and resolved again was fixed twice). A ticket **recurred** when another
ticket with its fingerprint was fixed in ``[opened_at - within, opened_at]`` -- both ends
included, so a ticket opened exactly ``within`` after a fix recurred; ``after`` names the
ticket of the latest such fix. ``occurrences`` counts the tickets with its fingerprint opened
in ``[opened_at - within, opened_at]``, itself included: the third one in 30 days has 3.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.engine.compiled import Policy
from escalate.engine.history import HISTORY_FIELDS
from escalate.engine.recurrence import RecurrenceDef
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, TicketError, shown

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
_FIXED = frozenset({"resolved", "closed"})


def _check_fields(fields: Sequence[str]) -> None:
    if not fields:
        raise ArgumentError("a fingerprint needs at least one field")
    for name in fields:
        if name not in _KNOWN and not (name.startswith("fields.") and len(name) > 7):
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


def fixes(ticket: Ticket) -> tuple[datetime, ...]:
    """Every instant ``ticket`` went to ``resolved`` or ``closed``, oldest first."""
    return tuple(
        e.at
        for e in ticket.events
        if e.type in _FIXED or (e.type == "status-changed" and e.status in _FIXED)
    )


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
    tickets: Iterable[Ticket],
    *,
    within: timedelta = timedelta(days=30),
    fields: Sequence[str] = DEFAULT_FIELDS,
) -> list[Recurrence]:
    """Each ticket's :class:`Recurrence`, sorted by opening then id (input order does not
    matter). Cost: one sort per fingerprint and a binary search per ticket."""
    if within < timedelta(0):
        raise ArgumentError(f"within must not be negative, got {within}")
    _check_fields(fields)
    listed = sorted(tickets, key=lambda t: (t.opened_at, t.id))
    by_print: dict[tuple[str, ...], list[Ticket]] = {}
    prints: dict[int, tuple[str, ...] | None] = {}
    for n, t in enumerate(listed):
        fp = fingerprint(t, fields)
        prints[n] = fp
        if fp is not None:
            by_print.setdefault(fp, []).append(t)
    fixed: dict[tuple[str, ...], list[tuple[datetime, str]]] = {
        fp: sorted((at, t.id) for t in members for at in fixes(t))
        for fp, members in by_print.items()
    }
    opened: dict[tuple[str, ...], list[datetime]] = {
        fp: [t.opened_at for t in members] for fp, members in by_print.items()
    }
    out: list[Recurrence] = []
    for n, t in enumerate(listed):
        fp = prints[n]
        if fp is None:
            out.append(Recurrence(t.id, t.opened_at, None, False, None, None, 1))
            continue
        since = t.opened_at - within
        starts = opened[fp]
        occurrences = bisect.bisect_right(starts, t.opened_at) - bisect.bisect_left(starts, since)
        fix_list = fixed[fp]
        i = bisect.bisect_right(fix_list, (t.opened_at, "\U0010ffff"))
        after: tuple[datetime, str] | None = None
        while i > 0 and fix_list[i - 1][0] >= since:
            if fix_list[i - 1][1] != t.id:
                after = fix_list[i - 1]
                break
            i -= 1
        out.append(
            Recurrence(
                ticket_id=t.id,
                opened_at=t.opened_at,
                fingerprint=fp,
                recurred=after is not None,
                after=None if after is None else after[1],
                fixed_at=None if after is None else after[0],
                occurrences=occurrences,
            )
        )
    return out


def recurrence_counts(
    found: Iterable[Recurrence], *, since: datetime, until: datetime
) -> list[tuple[tuple[str, ...], int, int]]:
    """Per fingerprint, of the tickets opened in ``[since, until)``: how many, and how many
    recurred; sorted by fingerprint. Tickets without a fingerprint are left out."""
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

    ``r`` counts the *other* tickets with the ticket's fingerprint fixed (resolved or closed)
    at least once in ``[opened_at - within, opened_at]`` (each such ticket once, however often
    it was fixed then; ``r > 0`` exactly when :func:`recurrences` says the ticket recurred);
    ``o`` the tickets with the fingerprint opened in that window, itself included (as
    :attr:`Recurrence.occurrences`). A ticket without a fingerprint (a field missing) gets 0
    and 1. Pure: the values do not depend on the order of ``tickets``, and only on what
    happened up to each ticket's opening. Cost: one sort per fingerprint and binary searches,
    whatever ``within`` is. Mappings are read with the policy's ``empty_values``; two tickets
    with one id are an :class:`~escalate.errors.ArgumentError` (each is counted once).
    """
    spec = _declared(policy)
    listed = _read_all(tickets, policy)
    return [{spec.recurrences: r, spec.occurrences: o} for r, o in _counts(listed, spec)]


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
    for ticket, (r, o) in zip(listed, _counts(listed, spec), strict=True):
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
            r += any(since <= at <= until for at in fixes(other))
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


def _since(until: datetime, within: timedelta) -> datetime:
    """``until - within``, or the first instant when that is before year 1."""
    try:
        return until - within
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _runs(at: Sequence[datetime], within: timedelta) -> list[tuple[datetime, datetime]]:
    """A ticket's fixes (oldest first) cut into runs whose gaps are at most ``within``: the
    ticket has a fix in ``[q - within, q]`` exactly when some run ``(first, last)`` has
    ``first <= q`` and ``last >= q - within``, and for one ``q`` at most one run does."""
    runs: list[tuple[datetime, datetime]] = []
    for fix in at:
        if runs and fix - runs[-1][1] <= within:
            runs[-1] = (runs[-1][0], fix)
        else:
            runs.append((fix, fix))
    return runs


def _counts(listed: Sequence[Ticket], spec: RecurrenceDef) -> list[tuple[int, int]]:
    """(recurrences, occurrences) of each ticket, in order (see :func:`recurrence_values`)."""
    out = [(0, 1)] * len(listed)
    groups: dict[tuple[str, ...], list[int]] = {}
    for n, t in enumerate(listed):
        found = fingerprint(t, spec.fingerprint)
        if found is not None:
            groups.setdefault(found, []).append(n)
    for members in groups.values():
        opened = sorted(listed[n].opened_at for n in members)
        runs = {n: _runs(fixes(listed[n]), spec.within) for n in members}
        firsts = sorted(first for n in members for first, _ in runs[n])
        lasts = sorted(last for n in members for _, last in runs[n])
        for n in members:
            until = listed[n].opened_at
            since = _since(until, spec.within)
            o = bisect.bisect_right(opened, until) - bisect.bisect_left(opened, since)
            r = bisect.bisect_right(firsts, until) - bisect.bisect_left(lasts, since)
            r -= any(first <= until and last >= since for first, last in runs[n])  # itself
            out[n] = (r, o)
    return out


def _shown_print(ticket: Ticket, spec: RecurrenceDef) -> str:
    found = fingerprint(ticket, spec.fingerprint)
    return "none" if found is None else " / ".join(found)
