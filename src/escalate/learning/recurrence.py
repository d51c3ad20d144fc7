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
rules as ticket data a caller computes here and passes in (e.g. ``fields.recurrences``); the
engine itself never looks across tickets.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from escalate.engine.history import HISTORY_FIELDS
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError

__all__ = [
    "DEFAULT_FIELDS",
    "Recurrence",
    "fingerprint",
    "fixes",
    "recurrence_counts",
    "recurrences",
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
