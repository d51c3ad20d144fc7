"""Vendor performance over many decisions: per vendor and period, how they answered and fixed.

:func:`vendor_performance` reads the ``vendors`` of decisions (one per ticket, all at the same
instant, e.g. from :meth:`escalate.Policy.evaluate_many`) and groups the engagements per
vendor and period (``month``, ``quarter`` or ``year`` of the engagement instant, in UTC or a
stated zone). Per group:

* ``engagements``: how many tickets engaged the vendor in the period;
* response and resolution times: the elapsed vendor-calendar time of the clocks that
  stopped (the vendor responded, resolved, or the engagement ended), as the median and the
  90th percentile, both **nearest-rank** (the value at rank ``ceil(p * n)`` of the sorted
  times: always one of the measured values, no interpolation, no floats); ``None`` when no
  clock of that kind stopped;
* ``breaches`` and ``breach_rate``: the engagements with a breached response or resolution
  clock (or both: such an engagement counts once), and their share of the engagements (a
  :class:`~fractions.Fraction`; printed as a percentage rounded half to even to two
  decimals); a clock counts as breached when its ``breached`` flag is set at the decision's
  instant (a running clock past its target included; an earlier cycle's engagement as it
  ended);
* ``response_breaches`` / ``response_breach_rate`` and ``resolution_breaches`` /
  ``resolution_breach_rate``: the same per clock, the engagements whose response (resp.
  resolution) clock breached; ``breaches`` is at most their sum and at least the larger;
* ``recurrences``: engagements of the vendor for the same service and category within
  ``recurrence_window`` (default 30 days) after an earlier engagement of it for them (a
  ticket without a service or a category recurs with nothing). This is a *re-engagement*
  count, measured between engagement instants, whether or not the earlier ticket was fixed:
  not the learning tools' recurrence (:mod:`escalate.learning.recurrence`: a ticket opened
  within N days after a *fix* of another with its fingerprint, the fix still holding), which
  reads ticket histories and answers another question (did the fix last?);
* ``penalties``: accrued penalty totals per currency (exact ``Decimal`` sums of the
  decisions' rounded totals).

The result is sorted by vendor id, then period: deterministic whatever the input order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

from escalate._frozen import FrozenMap
from escalate._stats import nearest_rank, percent_text, period_of
from escalate.calendars._durations import format_duration
from escalate.engine.decision import Decision
from escalate.errors import ArgumentError

__all__ = [
    "PERIODS",
    "VendorEngagement",
    "VendorPerformance",
    "nearest_rank",
    "period_of",
    "vendor_engagements",
    "vendor_performance",
]

#: The periods performance is grouped by.
PERIODS = ("month", "quarter", "year")
_MEDIAN, _P90 = Fraction(1, 2), Fraction(9, 10)


@dataclass(frozen=True, slots=True)
class VendorEngagement:
    """One ticket's engagement of one vendor, as its decision saw it."""

    vendor: str
    ticket: str
    service: str | None
    category: str | None
    engaged_at: datetime
    response: timedelta | None  # elapsed when the response clock stopped (None: still running)
    resolution: timedelta | None
    response_breached: bool
    resolution_breached: bool
    penalty: Decimal | None
    currency: str | None

    @property
    def breached(self) -> bool:
        """Either clock breached (an engagement counts once in ``breaches``)."""
        return self.response_breached or self.resolution_breached


@dataclass(frozen=True, slots=True)
class VendorPerformance:
    """One vendor's figures for one period (see the module docstring)."""

    vendor: str
    period: str
    engagements: int
    response_median: timedelta | None
    response_p90: timedelta | None
    resolution_median: timedelta | None
    resolution_p90: timedelta | None
    breaches: int
    breach_rate: Fraction
    response_breaches: int
    response_breach_rate: Fraction
    resolution_breaches: int
    resolution_breach_rate: Fraction
    recurrences: int
    penalties: Mapping[str, Decimal]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: durations as ``1h30m``, the breach rate as ``"12.50%"``, amounts as
        decimal strings."""

        def duration(value: timedelta | None) -> str | None:
            return None if value is None else format_duration(value)

        return {
            "vendor": self.vendor,
            "period": self.period,
            "engagements": self.engagements,
            "response_median": duration(self.response_median),
            "response_p90": duration(self.response_p90),
            "resolution_median": duration(self.resolution_median),
            "resolution_p90": duration(self.resolution_p90),
            "breaches": self.breaches,
            "breach_rate": percent_text(self.breach_rate),
            "response_breaches": self.response_breaches,
            "response_breach_rate": percent_text(self.response_breach_rate),
            "resolution_breaches": self.resolution_breaches,
            "resolution_breach_rate": percent_text(self.resolution_breach_rate),
            "recurrences": self.recurrences,
            "penalties": {c: str(a) for c, a in sorted(self.penalties.items())},
        }


def vendor_engagements(decisions: Iterable[Decision]) -> list[VendorEngagement]:
    """Every engagement the decisions show, sorted by vendor, engagement instant, ticket."""
    out: list[VendorEngagement] = []
    for decision in decisions:
        if not isinstance(decision, Decision):
            raise ArgumentError(f"expected Decision values, got {type(decision).__name__}")
        ticket = decision.ticket
        for state in decision.vendors or ():
            for e in state.earlier:  # engagements of earlier cycles keep their final figures
                out.append(
                    VendorEngagement(
                        vendor=state.vendor,
                        ticket=decision.ticket_id,
                        service=ticket.service,
                        category=ticket.category,
                        engaged_at=e.engaged_at,
                        response=e.response_elapsed,
                        resolution=e.resolution_elapsed,
                        response_breached=e.response_breached,
                        resolution_breached=e.resolution_breached,
                        penalty=e.penalty_total,
                        currency=state.currency,
                    )
                )
            if not state.engaged or state.engaged_at is None:
                continue
            response, resolution = state.response, state.resolution
            out.append(
                VendorEngagement(
                    vendor=state.vendor,
                    ticket=decision.ticket_id,
                    service=ticket.service,
                    category=ticket.category,
                    engaged_at=state.engaged_at,
                    response=_stopped(response),
                    resolution=_stopped(resolution),
                    response_breached=response is not None and response.breached,
                    resolution_breached=resolution is not None and resolution.breached,
                    penalty=state.penalty_total,
                    currency=state.currency,
                )
            )
    out.sort(key=lambda e: (e.vendor, e.engaged_at, e.ticket))
    return out


def _stopped(clock: Any) -> timedelta | None:
    if clock is None or clock.state != "stopped":
        return None
    elapsed: timedelta = clock.elapsed
    return elapsed


def vendor_performance(
    decisions: Iterable[Decision],
    *,
    period: str = "month",
    zone: tzinfo = UTC,
    recurrence_window: timedelta = timedelta(days=30),
) -> tuple[VendorPerformance, ...]:
    """Per vendor and period, the figures of the module docstring, sorted by vendor, period."""
    if period not in PERIODS:
        raise ArgumentError(f"unknown period {period!r} (periods: {', '.join(PERIODS)})")
    if not isinstance(zone, tzinfo):
        raise ArgumentError(
            f"zone must be a tzinfo (e.g. zoneinfo.ZoneInfo('Europe/Berlin')), got "
            f"{type(zone).__name__} {zone!r}"
        )
    if not isinstance(recurrence_window, timedelta):
        raise ArgumentError(
            "recurrence_window must be a timedelta (e.g. timedelta(days=30)), got "
            f"{type(recurrence_window).__name__} {recurrence_window!r}"
        )
    if recurrence_window < timedelta(0):
        raise ArgumentError("recurrence_window must not be negative")
    found = vendor_engagements(decisions)
    groups: dict[tuple[str, str], list[VendorEngagement]] = {}
    recurring: set[tuple[str, str]] = set()  # (vendor, ticket) engaged again within the window
    last: dict[tuple[str, str | None, str | None], datetime] = {}
    for e in found:  # sorted by vendor and instant
        if e.service is not None and e.category is not None:
            # Tickets without a service or a category are not "the same" fault: no recurrence.
            key = (e.vendor, e.service, e.category)
            before = last.get(key)
            if before is not None and e.engaged_at - before <= recurrence_window:
                recurring.add((e.vendor, e.ticket))
            last[key] = e.engaged_at
        groups.setdefault((e.vendor, period_of(e.engaged_at, period, zone)), []).append(e)
    out = []
    for (vendor, label), items in sorted(groups.items()):
        responses = [e.response for e in items if e.response is not None]
        resolutions = [e.resolution for e in items if e.resolution is not None]
        penalties: dict[str, Decimal] = {}
        for e in items:
            if e.penalty is not None and e.currency is not None:
                penalties[e.currency] = penalties.get(e.currency, Decimal(0)) + e.penalty
        breaches = sum(1 for e in items if e.breached)
        response_breaches = sum(1 for e in items if e.response_breached)
        resolution_breaches = sum(1 for e in items if e.resolution_breached)
        out.append(
            VendorPerformance(
                vendor=vendor,
                period=label,
                engagements=len(items),
                response_median=nearest_rank(responses, _MEDIAN),
                response_p90=nearest_rank(responses, _P90),
                resolution_median=nearest_rank(resolutions, _MEDIAN),
                resolution_p90=nearest_rank(resolutions, _P90),
                breaches=breaches,
                breach_rate=Fraction(breaches, len(items)),
                response_breaches=response_breaches,
                response_breach_rate=Fraction(response_breaches, len(items)),
                resolution_breaches=resolution_breaches,
                resolution_breach_rate=Fraction(resolution_breaches, len(items)),
                recurrences=sum(1 for e in items if (e.vendor, e.ticket) in recurring),
                penalties=FrozenMap(sorted(penalties.items()), what="currency"),
            )
        )
    return tuple(out)
