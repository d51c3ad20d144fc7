"""Durations as policies write them: ``30m``, ``4h``, ``1h30m``, ``2d``, ``3bd``, ``75%``.

Units are explicit and never guessed: ``s``, ``m``, ``h``, ``d`` (a 24-hour block of the
clock's calendar time, as ServiceNow counts days), ``w`` (7 such days) and ``bd`` (business
days: the same wall time on the N-th next working day of the calendar, kept apart from hour
arithmetic). ``bd`` cannot be mixed with the other units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from escalate.errors import PolicyError, shown

Path = tuple[str | int, ...]

# ASCII digits only: ``\d`` (and ``int()``) would also read Arabic-Indic and other digits, so
# '٤h' would silently mean four hours. Twelve digits are plenty for the cap below and keep the
# cost of reading a number independent of what the author typed.
_PART = re.compile(r"([0-9]{1,12})(bd|w|d|h|m|s)")
# Longer than any SLA, regulatory clock or escalation delay, and short enough that adding it
# to any instant of the years escalate serves stays a valid datetime.
MAX_DURATION = timedelta(days=36_600)
MAX_BUSINESS_DAYS = 25_000
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


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed duration: an exact ``timedelta`` or a whole number of business days."""

    text: str
    delta: timedelta
    business_days: int = 0

    @property
    def is_business_days(self) -> bool:
        return self.business_days > 0


def parse_duration(value: object, path: Path, *, allow_business_days: bool = True) -> Duration:
    """Parse ``30m``, ``1h30m``, ``2d`` or ``3bd`` (no floats, no bare numbers).

    >>> parse_duration("1h30m", ()).delta
    datetime.timedelta(seconds=5400)
    >>> parse_duration("3bd", ()).business_days
    3
    """
    if isinstance(value, str):
        text = value.replace(" ", "")
        pos, total_us, days = 0, 0, 0
        units: list[str] = []
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            amount, unit = int(match.group(1)), match.group(2)
            units.append(unit)
            if unit == "bd":
                days += amount
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
        if pos == len(text) and units:
            delta = timedelta(microseconds=total_us)
            if "bd" in units and len(units) > 1:
                raise PolicyError(
                    f"business days cannot be mixed with other units in {shown(value)}", path=path
                )
            if days and not allow_business_days:
                raise PolicyError(
                    f"business days ('bd') are not allowed here, got {shown(value)}", path=path
                )
            if delta <= timedelta(0) and not days:
                raise PolicyError(f"duration must be positive, got {shown(value)}", path=path)
            return Duration(text=value, delta=delta, business_days=days)
    raise PolicyError(
        f"expected a duration like '30m', '4h', '1h30m', '2d' or '3bd', got {shown(value)}",
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
