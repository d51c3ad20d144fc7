"""Durations as policies write them: ``30m``, ``4h``, ``1h30m``, ``2d``, ``3bd``, ``1mo``, ``75%``.

Units are explicit and never guessed: ``s``, ``m`` (minutes), ``h``, ``d`` (a 24-hour block of
the clock's calendar time, as ServiceNow counts days), ``w`` (7 such days), ``bd`` (business
days: the same wall time on the N-th next working day of the calendar, kept apart from hour
arithmetic) and ``mo`` (calendar months: the same wall time on the same day N months later in
the calendar's zone, the month's last day when it is shorter). ``bd`` and ``mo`` have no fixed
length and cannot be mixed with other units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from fractions import Fraction
from typing import Protocol

from escalate.calendars._instants import resolve_wall
from escalate.errors import PolicyError, shown

Path = tuple[str | int, ...]

# ASCII digits only: ``\d`` (and ``int()``) would also read Arabic-Indic and other digits, so
# '٤h' would silently mean four hours. Twelve digits are plenty for the cap below and keep the
# cost of reading a number independent of what the author typed.
# ``mo`` comes before ``m`` so that ``1mo`` is a month and ``1m`` a minute, never a guess.
_PART = re.compile(r"([0-9]{1,12})(bd|mo|w|d|h|m|s)")
# Longer than any SLA, regulatory clock or escalation delay, and short enough that adding it
# to any instant of the years escalate serves stays a valid datetime.
MAX_DURATION = timedelta(days=36_600)
MAX_BUSINESS_DAYS = 25_000
#: The most calendar months a duration may hold (100 years, like :data:`MAX_DURATION`).
MAX_MONTHS = 1200
#: Percentages of a target (ladder rungs): ``0 < p <= MAX_PERCENT``, written with at most
#: :data:`PERCENT_DIGITS` digits before the point and :data:`PERCENT_DECIMALS` after it.
MAX_PERCENT = 1000
PERCENT_DIGITS = 4
PERCENT_DECIMALS = 6
#: The text of a percentage, without the ``%`` (ASCII digits, bounded length).
PERCENT_NUMBER = rf"[0-9]{{1,{PERCENT_DIGITS}}}(?:\.[0-9]{{1,{PERCENT_DECIMALS}}})?"
_PERCENT_RE = re.compile(PERCENT_NUMBER)
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}


class DayArithmetic(Protocol):
    """The wall-date arithmetic of :class:`~escalate.calendars.calendar.Calendar` that ``bd``
    and ``mo`` need (named here because the calendar module imports this one)."""

    @property
    def zone(self) -> tzinfo: ...

    def add_business_days(self, start: datetime, days: int) -> datetime: ...

    def add_months(self, start: datetime, months: int) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed duration: an exact ``timedelta``, a whole number of business days or a whole
    number of calendar months (exactly one of the three is non-zero)."""

    text: str
    delta: timedelta
    business_days: int = 0
    months: int = 0

    @property
    def is_business_days(self) -> bool:
        return self.business_days > 0

    @property
    def is_months(self) -> bool:
        return self.months > 0

    def due_at(
        self, calendar: DayArithmetic, start: datetime, by: int | None = None
    ) -> datetime | None:
        """The wall-clock due instant of a ``bd`` or ``mo`` duration counted from ``start`` on
        ``calendar`` (UTC); ``None`` for a fixed duration, which is counted as elapsed time.

        With ``by`` (minutes of the day, 0 to 1440) the due instant is that wall time, in the
        calendar's zone, on the due date: for ``bd`` and ``mo`` the date of the instant above;
        for whole days (``d``, ``w``) the N-th calendar date after the start's wall date. 1440
        (``24:00``) is the end of that date, the next date's midnight; a wall time inside a DST
        gap is the end of the gap (:func:`~escalate.calendars._instants.resolve_wall`).

        >>> from datetime import UTC
        >>> from escalate.calendars.calendar import Calendar
        >>> always, jan_31 = Calendar.from_config("24x7"), datetime(2024, 1, 31, tzinfo=UTC)
        >>> print(parse_duration("1mo", (), allow_months=True).due_at(always, jan_31))
        2024-02-29 00:00:00+00:00
        >>> print(parse_duration("4h", ()).due_at(always, jan_31))
        None
        >>> print(parse_duration("2d", ()).due_at(always, jan_31, by=17 * 60 + 30))
        2024-02-02 17:30:00+00:00
        """
        if by is not None:
            zone = calendar.zone
            if self.business_days:
                day = calendar.add_business_days(start, self.business_days).astimezone(zone)
            elif self.months:
                day = calendar.add_months(start, self.months).astimezone(zone)
            else:
                day = start.astimezone(zone) + timedelta(days=self.delta.days)
            wall = datetime.combine(day.date(), time()) + timedelta(minutes=by)
            return resolve_wall(wall, zone)
        if self.business_days:
            return calendar.add_business_days(start, self.business_days)
        if self.months:
            return calendar.add_months(start, self.months)
        return None


def parse_duration(
    value: object, path: Path, *, allow_business_days: bool = True, allow_months: bool = False
) -> Duration:
    """Parse ``30m``, ``1h30m``, ``2d``, ``3bd`` or ``1mo`` (no floats, no bare numbers).

    Calendar months are refused unless the caller counts them on a calendar
    (``allow_months``): a month has no fixed length, so where a duration is a plain
    ``timedelta`` (wall-time timeouts, condition operands) ``1mo`` is a load error, not 30 days.

    >>> parse_duration("1h30m", ()).delta
    datetime.timedelta(seconds=5400)
    >>> parse_duration("3bd", ()).business_days
    3
    >>> parse_duration("1mo", (), allow_months=True).months
    1
    """
    if isinstance(value, str):
        text = value.replace(" ", "")
        pos, total_us, days, months = 0, 0, 0, 0
        units: list[str] = []
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            amount, unit = int(match.group(1)), match.group(2)
            units.append(unit)
            if unit == "bd":
                days += amount
            elif unit == "mo":
                months += amount
            else:
                total_us += amount * (_UNITS[unit] // timedelta(microseconds=1))
            pos = match.end()
        too_long = total_us > MAX_DURATION // timedelta(microseconds=1)
        if pos == len(text) and units and (too_long or days > MAX_BUSINESS_DAYS):
            raise PolicyError(
                f"duration {shown(value)} is longer than escalate accepts "
                f"({MAX_DURATION.days} days or {MAX_BUSINESS_DAYS} business days)",
                path=path,
            )
        if pos == len(text) and units and months > MAX_MONTHS:
            raise PolicyError(
                f"duration {shown(value)} is longer than escalate accepts ({MAX_MONTHS} months)",
                path=path,
            )
        if pos == len(text) and units:
            delta = timedelta(microseconds=total_us)
            for unit, what in (("bd", "business days"), ("mo", "calendar months")):
                if unit in units and len(units) > 1:
                    raise PolicyError(
                        f"{what} cannot be mixed with other units in {shown(value)}", path=path
                    )
            if days and not allow_business_days:
                raise PolicyError(
                    f"business days ('bd') are not allowed here, got {shown(value)}", path=path
                )
            if months and not allow_months:
                raise PolicyError(
                    f"calendar months ('mo') are not allowed here: a month has no fixed length "
                    f"and this duration is counted as plain elapsed time; write days like "
                    f"'30d', got {shown(value)}",
                    path=path,
                )
            if delta <= timedelta(0) and not days and not months:
                raise PolicyError(f"duration must be positive, got {shown(value)}", path=path)
            return Duration(text=value, delta=delta, business_days=days, months=months)
    raise PolicyError(
        f"expected a duration like '30m', '4h', '1h30m', '2d', '3bd' or '1mo', got {shown(value)}",
        path=path,
    )


def parse_percent(value: object, path: Path) -> Fraction:
    """A percentage such as ``75%`` or ``87.5%`` as an exact fraction of one.

    ASCII digits only, at most :data:`PERCENT_DECIMALS` decimal places, ``0 < p <=``
    :data:`MAX_PERCENT`; anything else is a :class:`PolicyError` (never a ``ValueError`` from
    ``Fraction`` nor a cost that grows with the digits written).

    >>> parse_percent("75%", ())
    Fraction(3, 4)
    >>> parse_percent("87.5%", ())
    Fraction(7, 8)
    """
    if isinstance(value, str) and value.endswith("%"):
        number = value[:-1].strip(" ")
        if _PERCENT_RE.fullmatch(number):
            share = Fraction(number) / 100
            if 0 < share and share * 100 <= MAX_PERCENT:
                return share
    raise PolicyError(
        f"expected a percentage of the target like '75%' (0 < p <= {MAX_PERCENT}%), "
        f"got {shown(value)}",
        path=path,
    )


def format_duration(delta: timedelta) -> str:
    """Compact human form of a timedelta, for explanations.

    >>> format_duration(timedelta(hours=26, minutes=5))
    '1d2h5m'
    >>> format_duration(timedelta(seconds=-90))
    '-1m30s'
    >>> format_duration(timedelta(0))
    '0s'
    """
    us = delta // timedelta(microseconds=1)
    sign = "-" if us < 0 else ""
    us = abs(us)
    seconds, micro = divmod(us, 1_000_000)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    out = "".join(
        f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n
    )
    if micro:
        out += f"{micro}us"
    return sign + (out or "0s")
