"""Vendor contracts as the engine holds them, and what a decision says about each vendor.

The compiled contract (:class:`VendorDef`, from a policy's ``vendors:`` section) and the
values :func:`escalate.engine.vendors.run_vendors` returns (:class:`VendorState` with its
:class:`VendorClock` and :class:`PenaltyState`); money helpers (exact amounts rounded to a
currency's minor unit). See docs/vendors.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from escalate._frozen import FrozenMap
from escalate.calendars._durations import Duration, format_duration
from escalate.calendars.calendar import Calendar

__all__ = [
    "MONEY_SCALE",
    "NOT_ENGAGED",
    "PAUSED",
    "RUNNING",
    "STOPPED",
    "ClauseDef",
    "ContactDef",
    "EarlierEngagement",
    "PenaltyState",
    "ProcedureDef",
    "VendorClock",
    "VendorDef",
    "VendorState",
    "minor_units",
    "money",
    "money_scaled",
    "scaled",
]


def iso(at: datetime | None) -> str | None:
    """An instant as ISO-8601 in UTC (``None`` stays ``None``)."""
    return None if at is None else at.astimezone(UTC).isoformat()


#: ISO 4217 currencies whose minor unit is not 2 digits (all others: 2).
_MINOR_UNITS: Mapping[str, int] = FrozenMap(
    {
        "BHD": 3,
        "BIF": 0,
        "CLF": 4,
        "CLP": 0,
        "DJF": 0,
        "GNF": 0,
        "IQD": 3,
        "ISK": 0,
        "JOD": 3,
        "JPY": 0,
        "KMF": 0,
        "KRW": 0,
        "KWD": 3,
        "LYD": 3,
        "OMR": 3,
        "PYG": 0,
        "RWF": 0,
        "TND": 3,
        "UGX": 0,
        "UYI": 0,
        "UYW": 4,
        "VND": 0,
        "VUV": 0,
        "XAF": 0,
        "XOF": 0,
        "XPF": 0,
    },
    what="currency",
)


def minor_units(currency: str) -> int:
    """The digits after the point of ``currency``'s minor unit (ISO 4217; 2 unless listed).

    >>> minor_units("EUR"), minor_units("JPY"), minor_units("KWD")
    (2, 0, 3)
    """
    return _MINOR_UNITS.get(currency, 2)


def money(amount: Fraction, currency: str) -> Decimal:
    """An exact amount as a ``Decimal`` in ``currency``'s minor unit, rounded half to even.

    >>> money(Fraction(1, 8), "EUR"), money(Fraction(3, 8), "EUR"), money(Fraction(5, 2), "JPY")
    (Decimal('0.12'), Decimal('0.38'), Decimal('2'))
    """
    digits = minor_units(currency)
    units = round(amount * 10**digits)  # Fraction.__round__: half to even, exact
    return Decimal(units).scaleb(-digits) if digits else Decimal(units)


#: Penalty arithmetic is exact in integer units of 10**-12 of the currency: an amount has at
#: most 4 decimals and a percentage at most 6, so a unit (``fee * percent / 100``) and a cap
#: are whole numbers of them. The same value as a Fraction, at integer speed.
MONEY_SCALE = 10**12


def scaled(amount: Fraction) -> int:
    """``amount`` in units of :data:`MONEY_SCALE` (it must be a whole number of them).

    >>> scaled(Fraction(25, 100))
    250000000000
    """
    value = amount * MONEY_SCALE
    if value.denominator != 1:
        raise ValueError(f"{amount} is finer than 10**-12")
    return value.numerator


def money_scaled(value: int, currency: str) -> Decimal:
    """:func:`money` of ``value`` units of :data:`MONEY_SCALE` (integer arithmetic).

    >>> money_scaled(125 * 10**9, "EUR"), money_scaled(135 * 10**9, "EUR")
    (Decimal('0.12'), Decimal('0.14'))
    """
    digits = minor_units(currency)
    step = 10 ** (12 - digits)
    q, r = divmod(value, step)
    if 2 * r > step or (2 * r == step and q % 2):
        q += 1
    return Decimal(q).scaleb(-digits) if digits else Decimal(q)


# -- compiled definitions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClauseDef:
    """A penalty clause: ``clock`` (``response`` / ``resolution``) late by each ``per``
    (started or completed, ``count``) after target + ``grace`` costs ``unit`` (exact), at
    most ``cap`` (``None``: no cap). ``amount_text`` / ``percent_text`` as written."""

    id: str
    clock: str
    per: timedelta
    count: str
    unit: Fraction
    cap: Fraction | None
    grace: timedelta
    amount_text: str | None
    percent_text: str | None
    source: str | None
    #: ``unit`` and ``cap`` in units of :data:`MONEY_SCALE` (what the engine adds up).
    unit_scaled: int = field(init=False, repr=False, compare=False)
    cap_scaled: int | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_scaled", scaled(self.unit))
        object.__setattr__(self, "cap_scaled", None if self.cap is None else scaled(self.cap))


@dataclass(frozen=True, slots=True)
class ContactDef:
    """A vendor-side escalation level: reached ``after`` of the ``until`` clock's time (vendor
    calendar, pauses excluded), or ``share`` of its target, while that clock still runs."""

    name: str
    address: str | None
    channels: tuple[str, ...]
    after: timedelta
    until: str
    #: ``after`` written as a share of the ``until`` clock's target (``50%``): the exact
    #: fraction of one; ``after`` is then zero and unused.
    share: Fraction | None = None
    #: ``after`` as the contract wrote it (``15m``, ``50%``).
    after_text: str = ""


@dataclass(frozen=True, slots=True)
class ProcedureDef:
    """A joint step of the contract and who owns it (``us``, ``vendor`` or ``joint``)."""

    step: str
    owner: str
    description: str | None


@dataclass(frozen=True, slots=True)
class VendorDef:
    """A compiled vendor contract (``vendors.<id>``). Read-only."""

    id: str
    name: str
    path: str
    calendar_name: str
    calendar: Calendar
    response: Mapping[str, Duration]
    resolution: Mapping[str, Duration]
    pause: frozenset[str]
    contacts: tuple[ContactDef, ...]
    procedures: tuple[ProcedureDef, ...]
    clauses: tuple[ClauseDef, ...]
    currency: str | None
    monthly_fee: Fraction | None
    fields: tuple[str, ...]

    def target(self, clock: str, priority: str | None) -> Duration | None:
        """The ``clock``'s target for ``priority`` (else ``default``; ``None``: none)."""
        table = self.response if clock == "response" else self.resolution
        found = table.get(priority) if priority is not None else None
        return found if found is not None else table.get("default")


# -- state --------------------------------------------------------------------------------------

NOT_ENGAGED, RUNNING, PAUSED, STOPPED = "not-engaged", "running", "paused", "stopped"


@dataclass(frozen=True, slots=True)
class VendorClock:
    """One vendor clock (``response`` or ``resolution``) at the evaluated instant.

    ``state`` is ``running``, ``paused`` or ``stopped``; ``target`` the duration as written
    (``None``: no target for the priority, then nothing is measured against it);
    ``elapsed`` working time on the vendor calendar, pauses excluded; ``remaining`` until
    the target (negative when late; ``None`` without target); ``breach_at`` the instant
    elapsed reaches the target (a future one assumes no new events; ``None``: not without
    new events); ``breached`` whether that is at or before ``now``; ``stopped_at`` the
    response (acknowledgement) or resolution instant, or the end of the engagement."""

    clock: str
    state: str
    target: str | None
    elapsed: timedelta
    remaining: timedelta | None
    breach_at: datetime | None
    breached: bool
    stopped_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (instants in UTC, durations as ``1h30m``)."""
        rem = self.remaining
        return {
            "clock": self.clock,
            "state": self.state,
            "target": self.target,
            "elapsed": format_duration(self.elapsed),
            "remaining": None if rem is None else _signed(rem),
            "breach_at": iso(self.breach_at),
            "breached": self.breached,
            "stopped_at": iso(self.stopped_at),
        }


@dataclass(frozen=True, slots=True)
class PenaltyState:
    """What one clause has accrued: ``units`` counted, ``amount`` (rounded to the minor
    unit), ``capped`` whether the cap holds it."""

    clause: str
    clock: str
    units: int
    amount: Decimal
    capped: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the amount as a decimal string)."""
        return {
            "clause": self.clause,
            "clock": self.clock,
            "units": self.units,
            "amount": str(self.amount),
            "capped": self.capped,
        }


@dataclass(frozen=True, slots=True)
class EarlierEngagement:
    """An engagement of the vendor that ended in an earlier cycle of the ticket (before a
    reopen): when it started and ended, whether each clock met its target, and the penalty
    it accrued. It keeps its final values: a reopen starts a new engagement, it does not
    undo what the vendor owes for the last one."""

    engaged_at: datetime
    ended_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    response_elapsed: timedelta | None
    resolution_elapsed: timedelta | None
    penalty_total: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (instants in UTC, the amount as a decimal string)."""
        return {
            "engaged_at": iso(self.engaged_at),
            "ended_at": iso(self.ended_at),
            "response_breached": self.response_breached,
            "resolution_breached": self.resolution_breached,
            "response_elapsed": (
                None if self.response_elapsed is None else format_duration(self.response_elapsed)
            ),
            "resolution_elapsed": (
                None
                if self.resolution_elapsed is None
                else format_duration(self.resolution_elapsed)
            ),
            "penalty_total": None if self.penalty_total is None else str(self.penalty_total),
        }


@dataclass(frozen=True, slots=True)
class VendorState:
    """A vendor as of the evaluated instant. A value: immutable, hashable.

    ``vendor`` and ``name`` name it, ``path`` its path; ``engaged`` whether that path runs
    and ``engaged_at`` since when; ``calendar`` the vendor calendar's name; ``response`` and
    ``resolution`` the clocks (``None`` when not engaged); ``penalties`` per clause;
    ``penalty_total`` their exact sum rounded once (so it may differ from the sum of the
    rounded amounts by a minor unit); ``currency``; ``next_penalty_at`` when the next unit
    starts counting (assuming no new events; ``None`` when every clause is capped, its clock
    stopped or paused, or it has none) and ``next_penalty_amount`` what that adds;
    ``cap_reached`` whether every clause with a cap has reached it (``False`` without
    clauses); ``contact_level`` the vendor-side contact level in force (1-based: the
    highest-numbered level reached whose clock still runs, else the highest reached; ``None``:
    none) and ``contact`` its name; ``next_contact_at`` when the next is reached.
    """

    vendor: str
    name: str
    path: str
    engaged: bool
    engaged_at: datetime | None
    calendar: str
    response: VendorClock | None
    resolution: VendorClock | None
    penalties: tuple[PenaltyState, ...]
    penalty_total: Decimal | None
    currency: str | None
    next_penalty_at: datetime | None
    next_penalty_amount: Decimal | None
    cap_reached: bool
    contact_level: int | None
    contact: str | None
    next_contact_at: datetime | None
    #: The engagements of earlier cycles of the ticket (before each reopen), oldest first.
    earlier: tuple[EarlierEngagement, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used in ``Decision.to_dict()["vendors"]`` (amounts as
        decimal strings, instants in UTC); ``earlier`` only when there are any."""
        out = self._fields()
        if self.earlier:
            out["earlier"] = [e.to_dict() for e in self.earlier]
        return out

    def _fields(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "name": self.name,
            "path": self.path,
            "engaged": self.engaged,
            "engaged_at": iso(self.engaged_at),
            "calendar": self.calendar,
            "response": None if self.response is None else self.response.to_dict(),
            "resolution": None if self.resolution is None else self.resolution.to_dict(),
            "penalties": [p.to_dict() for p in self.penalties],
            "penalty_total": None if self.penalty_total is None else str(self.penalty_total),
            "currency": self.currency,
            "next_penalty_at": iso(self.next_penalty_at),
            "next_penalty_amount": (
                None if self.next_penalty_amount is None else str(self.next_penalty_amount)
            ),
            "cap_reached": self.cap_reached,
            "contact_level": self.contact_level,
            "contact": self.contact,
            "next_contact_at": iso(self.next_contact_at),
        }

    def _earlier_lines(self) -> list[str]:
        return [
            f"  earlier engagement {iso(e.engaged_at)} - {iso(e.ended_at)}: penalty "
            f"{e.penalty_total} {self.currency}"
            + (" (response breached)" if e.response_breached else "")
            + (" (resolution breached)" if e.resolution_breached else "")
            for e in self.earlier
        ]

    def explain(self) -> list[str]:
        """The lines ``Decision.explain()`` shows for this vendor."""
        if not self.engaged:
            return [
                f"vendor {self.vendor}: not engaged (path {self.path})",
                *self._earlier_lines(),
            ]
        lines = [f"vendor {self.vendor} ({self.name}): engaged {iso(self.engaged_at)}"]
        for clock in (self.response, self.resolution):
            if clock is None:
                continue
            if clock.target is None:
                lines.append(f"  {clock.clock}: {clock.state}, no target for this priority")
                continue
            rem = "" if clock.remaining is None else f", remaining {_signed(clock.remaining)}"
            breach = "" if clock.breach_at is None else f", breach at {iso(clock.breach_at)}"
            mark = " BREACHED" if clock.breached else ""
            lines.append(
                f"  {clock.clock}: {clock.state}, {format_duration(clock.elapsed)} of "
                f"{clock.target} on {self.calendar}{rem}{breach}{mark}"
            )
        if self.penalties:
            capped = " (cap reached)" if self.cap_reached else ""
            lines.append(f"  penalty accrued: {self.penalty_total} {self.currency}{capped}")
            for p in self.penalties:
                lines.append(f"    {p.clause}: {p.units} unit(s), {p.amount} {self.currency}")
            if self.next_penalty_at is not None:
                lines.append(
                    f"  next penalty step: {iso(self.next_penalty_at)} "
                    f"+{self.next_penalty_amount} {self.currency}"
                )
            else:
                lines.append("  next penalty step: none without new events")
        if self.contact_level is not None:
            lines.append(f"  vendor contact level {self.contact_level}: {self.contact}")
        if self.next_contact_at is not None:
            lines.append(f"  next vendor contact level at {iso(self.next_contact_at)}")
        lines += self._earlier_lines()
        return lines


def _signed(delta: timedelta) -> str:
    return "-" + format_duration(-delta) if delta < timedelta(0) else format_duration(delta)
