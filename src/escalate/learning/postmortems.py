"""Post-mortem follow-up KPIs over many tickets.

How many post-mortems were required, published, published on time and how fast, what became
of their action items, and whose items are overdue.

Pure: read from decisions (``Decision.postmortem``, as of each decision's ``evaluated_at``);
input order never matters. Shares are exact :class:`~fractions.Fraction` values and percentiles
nearest-rank (:mod:`escalate._stats`), as in :mod:`escalate.learning.kpis`. Every overdue count
carries its evidence: the tickets and the action items behind it. See docs/postmortems.md,
"Follow-up KPIs".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

from escalate._stats import nearest_rank, percent_text
from escalate.calendars._durations import format_duration
from escalate.engine.decision import Decision

__all__ = ["OwnerOverdue", "PostmortemKpis", "postmortem_kpis"]

_P50 = Fraction(1, 2)
_P90 = Fraction(9, 10)


def _text(d: timedelta | None) -> str | None:
    return None if d is None else format_duration(d)


def _share(part: int, whole: int) -> Fraction | None:
    return None if whole == 0 else Fraction(part, whole)


@dataclass(frozen=True, slots=True)
class OwnerOverdue:
    """One owner's overdue action items: ``items`` as ``(ticket id, item id)`` pairs, sorted;
    ``tickets`` the ticket ids among them."""

    owner: str
    items: tuple[tuple[str, str], ...]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def tickets(self) -> tuple[str, ...]:
        return tuple(sorted({ticket for ticket, _ in self.items}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "count": self.count,
            "tickets": list(self.tickets),
            "items": [{"ticket": t, "item": i} for t, i in self.items],
        }


@dataclass(frozen=True, slots=True)
class PostmortemKpis:
    """Post-mortem follow-up KPIs over the decided tickets.

    ``tickets``: decisions read; ``required``: those with a post-mortem; ``published`` and
    ``on_time`` (published at or before its ``due_by``); ``on_time_share`` the share of the
    required ones published on time (``None``: none required); ``time_to_publish_p50`` /
    ``_p90``: nearest-rank percentiles of ``published_at - required_at`` over the published
    ones; action items ``items`` recorded, then ``done``, ``dropped``, ``open`` (not yet due)
    and ``overdue`` (they add up to ``items``), ``closure_share`` (done or dropped of
    recorded) and ``dropped_share``; ``overdue_by_owner`` the owners with overdue items, most
    first (then by owner).
    """

    tickets: int
    required: int
    published: int
    on_time: int
    on_time_share: Fraction | None
    time_to_publish_p50: timedelta | None
    time_to_publish_p90: timedelta | None
    items: int
    done: int
    dropped: int
    open: int
    overdue: int
    closure_share: Fraction | None
    dropped_share: Fraction | None
    overdue_by_owner: tuple[OwnerOverdue, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: shares as exact fractions (``"3/4"``) and percentages, durations as
        written in policies (``1d2h``)."""

        def share(value: Fraction | None) -> dict[str, str] | None:
            if value is None:
                return None
            return {"rate": str(value), "percent": percent_text(value)}

        return {
            "tickets": self.tickets,
            "required": self.required,
            "published": self.published,
            "on_time": self.on_time,
            "on_time_share": share(self.on_time_share),
            "time_to_publish": {
                "p50": _text(self.time_to_publish_p50),
                "p90": _text(self.time_to_publish_p90),
            },
            "items": {
                "recorded": self.items,
                "done": self.done,
                "dropped": self.dropped,
                "open": self.open,
                "overdue": self.overdue,
                "closure_share": share(self.closure_share),
                "dropped_share": share(self.dropped_share),
            },
            "overdue_by_owner": [o.to_dict() for o in self.overdue_by_owner],
        }


def postmortem_kpis(decisions: Iterable[Decision]) -> PostmortemKpis:
    """The follow-up KPIs of ``decisions`` (one per ticket, each as of its ``evaluated_at``;
    decisions without a post-mortem count in ``tickets`` only)."""
    tickets = required = published = on_time = 0
    to_publish: list[timedelta] = []
    counts = {"done": 0, "dropped": 0, "open": 0, "overdue": 0}
    owners: dict[str, list[tuple[str, str]]] = {}
    for decision in decisions:
        tickets += 1
        pm = decision.postmortem
        if pm is None:
            continue
        required += 1
        if pm.published_at is not None:
            published += 1
            to_publish.append(pm.published_at - pm.required_at)
            if pm.published_at <= pm.due_by:
                on_time += 1
        for item in pm.items:
            counts[item.status] += 1
            if item.status == "overdue":
                owners.setdefault(item.owner, []).append((decision.ticket_id, item.id))
    recorded = sum(counts.values())
    overdue = tuple(
        sorted(
            (OwnerOverdue(owner, tuple(sorted(found))) for owner, found in owners.items()),
            key=lambda o: (-o.count, o.owner),
        )
    )
    return PostmortemKpis(
        tickets=tickets,
        required=required,
        published=published,
        on_time=on_time,
        on_time_share=_share(on_time, required),
        time_to_publish_p50=nearest_rank(to_publish, _P50),
        time_to_publish_p90=nearest_rank(to_publish, _P90),
        items=recorded,
        done=counts["done"],
        dropped=counts["dropped"],
        open=counts["open"],
        overdue=counts["overdue"],
        closure_share=_share(counts["done"] + counts["dropped"], recorded),
        dropped_share=_share(counts["dropped"], recorded),
        overdue_by_owner=overdue,
    )
