"""Exact summary statistics shared by the tools: nearest-rank percentiles, shares, periods.

Used by vendor performance (``governance/vendors``) and the learning tools (``learning/``), so
both name the same rank for the same percentile and write a share the same way. No floats: a
percentile is always one of the measured values, a share is a :class:`~fractions.Fraction`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalate.errors import ArgumentError

__all__ = ["ALL_PERIODS", "nearest_rank", "percent_text", "period_of", "ratio_text", "zone_of"]

#: Every period label :func:`period_of` knows.
ALL_PERIODS = ("day", "week", "month", "quarter", "year")

_Value = TypeVar("_Value", timedelta, int)
# An IANA zone name as the tz database writes them (calendars/_instants checks the same).
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]{1,64}(?:/[A-Za-z0-9_+-]{1,64}){0,3}")


def percent_text(share: Fraction) -> str:
    """A share as a percentage with two decimals, rounded half to even.

    >>> percent_text(Fraction(1, 8)), percent_text(Fraction(1, 3)), percent_text(Fraction(0))
    ('12.50%', '33.33%', '0.00%')
    """
    return f"{ratio_text(share * 100)}%"


def ratio_text(value: Fraction) -> str:
    """A ratio with two decimals, rounded half to even (``2.50`` times an even spread).

    >>> ratio_text(Fraction(5, 2)), ratio_text(Fraction(2, 3)), ratio_text(Fraction(168))
    ('2.50', '0.67', '168.00')
    """
    hundredths = round(value * 100)
    return f"{Decimal(hundredths).scaleb(-2):.2f}"


def nearest_rank(values: Sequence[_Value], share: Fraction) -> _Value | None:
    """The nearest-rank percentile: the value at rank ``ceil(share * n)`` (at least 1) of the
    sorted ``values``; ``None`` for none.

    >>> m = [timedelta(minutes=n) for n in (40, 10, 30, 20)]
    >>> nearest_rank(m, Fraction(1, 2)), nearest_rank(m, Fraction(9, 10))
    (datetime.timedelta(seconds=1200), datetime.timedelta(seconds=2400))
    >>> nearest_rank([3, 1, 2], Fraction(99, 100))
    3

    ``share`` must be a fraction in ``(0, 1]`` (an :class:`~escalate.errors.ArgumentError`
    otherwise: ``0`` or a negative share has no rank, one above 1 none either).
    """
    if not isinstance(share, Fraction) or not 0 < share <= 1:
        raise ArgumentError(
            f"a percentile's share must be a Fraction greater than 0 and at most 1 "
            f"(e.g. Fraction(9, 10)), got {share!r}"
        )
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-share.numerator * len(ordered) // share.denominator))
    return ordered[rank - 1]


def period_of(at: datetime, period: str, zone: tzinfo = UTC) -> str:
    """The period label of instant ``at`` in ``zone``: ``2024-11-30`` (day), ``2024-W48``
    (ISO week, Monday first), ``2024-11`` (month), ``2024-Q4`` or ``2024``.

    >>> period_of(datetime(2024, 12, 31, 23, 30, tzinfo=UTC), "quarter")
    '2024-Q4'
    >>> period_of(datetime(2024, 12, 30, tzinfo=UTC), "week")
    '2025-W01'
    """
    local = at.astimezone(zone)
    if period == "day":
        return local.date().isoformat()
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if period == "month":
        return f"{local.year:04d}-{local.month:02d}"
    if period == "quarter":
        return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
    if period == "year":
        return f"{local.year:04d}"
    raise ArgumentError(f"unknown period {period!r} (periods: {', '.join(ALL_PERIODS)})")


def zone_of(zone: object) -> tzinfo:
    """``zone`` as a :class:`~datetime.tzinfo`: a ``tzinfo`` as it is, a string read as an IANA
    zone name; an :class:`~escalate.errors.ArgumentError` for anything else or an unknown name.

    >>> zone_of("Europe/Berlin"), zone_of(UTC)
    (zoneinfo.ZoneInfo(key='Europe/Berlin'), datetime.timezone.utc)
    """
    if isinstance(zone, tzinfo):
        return zone
    if isinstance(zone, str):
        try:
            if not _ZONE_NAME.fullmatch(zone):  # anything else would reach the file system
                raise ValueError(zone)
            return ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:
            raise ArgumentError(
                f"zone {zone!r} is not an IANA time zone (e.g. Europe/Berlin)"
            ) from error
    raise ArgumentError(
        f"zone must be an IANA zone name (e.g. 'Europe/Berlin') or a tzinfo, got "
        f"{type(zone).__name__} {zone!r}"
    )
