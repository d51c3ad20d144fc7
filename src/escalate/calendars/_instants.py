"""Exact instants: integer microseconds since the Unix epoch, zones, wall-clock conversion.

Everything here is integer arithmetic on microseconds (``int``); floats never touch an instant.
"""

from __future__ import annotations

import bisect
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalate.errors import (
    ArgumentError,
    InstantRangeError,
    NaiveDatetimeError,
    PolicyError,
    shown,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# The instants datetime can represent, as microseconds (UTC).
MIN_US = (datetime(1, 1, 2, tzinfo=UTC) - EPOCH) // ONE_US
MAX_US = (datetime(9999, 12, 30, tzinfo=UTC) - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    """The aware UTC datetime of microseconds since the epoch.

    >>> from_us(1_000_000).isoformat()
    '1970-01-01T00:00:01+00:00'
    """
    return EPOCH + timedelta(microseconds=us)


#: What an error says of an instant outside :data:`MIN_US` … :data:`MAX_US`.
OUT_OF_RANGE = (
    f"is out of range: escalate computes with instants from {from_us(MIN_US).isoformat()} "
    f"to {from_us(MAX_US).isoformat()}"
)


def to_us(at: datetime, what: str = "instant") -> int:
    """Exact microseconds since the epoch of an aware datetime; naive ones raise.

    >>> to_us(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC))
    1000000
    """
    try:
        return (at - EPOCH) // ONE_US
    except TypeError:
        raise naive_error(at, what) from None


def utc(at: datetime) -> datetime:
    """The same instant with ``tzinfo=UTC``; ``at`` itself when it already is.

    Comparing two datetimes that share a ``tzinfo`` compares their wall times, which is wrong
    across a DST fall-back (``02:10 fold=1`` is 40 minutes after ``02:30 fold=0``). Instants
    enter the engine through this, so every comparison inside is between instants. Raises
    ``OverflowError`` when the instant has no UTC datetime (after 9999-12-31T23:59:59Z).

    >>> from zoneinfo import ZoneInfo
    >>> utc(datetime(2024, 10, 27, 2, 10, fold=1, tzinfo=ZoneInfo("Europe/Berlin"))).isoformat()
    '2024-10-27T01:10:00+00:00'
    """
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def checked_utc(at: object, what: str) -> datetime:
    """``at`` in UTC, checked: an aware datetime between :data:`MIN_US` and :data:`MAX_US`.

    Raises :class:`NaiveDatetimeError` (naive), :class:`ArgumentError` (not a datetime) or
    :class:`InstantRangeError` (out of range), each naming ``what``.
    """
    if not isinstance(at, datetime):
        raise naive_error(at, what)
    us = to_us(at, what)
    if not MIN_US <= us <= MAX_US:
        raise InstantRangeError(f"{what} {at.isoformat()} {OUT_OF_RANGE}")
    return utc(at)


def naive_error(at: object, what: str) -> Exception:
    """The error for a value that is not an aware datetime."""
    if isinstance(at, datetime):
        return NaiveDatetimeError(
            f"{what} {at.isoformat()} has no time zone; pass an aware datetime "
            "(escalate never guesses whether a naive time is UTC or local)"
        )
    return ArgumentError(f"{what} must be an aware datetime, got {type(at).__name__}: {at!r}")


# An IANA zone name: ASCII parts joined by '/', as the tz database writes them (the longest
# is under 40 characters); anything else would reach the file system as a path.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]{1,64}(?:/[A-Za-z0-9_+-]{1,64}){0,3}")


def load_zone(name: object, path: tuple[str | int, ...] = ()) -> ZoneInfo:
    """The IANA zone called ``name``; a ``PolicyError`` naming the key if there is none."""
    if not isinstance(name, str) or not _ZONE_NAME.fullmatch(name):
        raise PolicyError(
            f"time zone must be an IANA name like 'Europe/Berlin', got {shown(name)}", path=path
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PolicyError(
            f"unknown time zone {name!r} (expected an IANA name like 'Europe/Berlin')", path=path
        ) from None


def offset_us(zone: tzinfo, us: int) -> int:
    """The zone's UTC offset, in microseconds, at an instant."""
    off = datetime.fromtimestamp(us // SECOND_US, zone).utcoffset()
    assert off is not None
    return off // ONE_US


class OffsetTable:
    """A zone's UTC offsets over a span of instants, as constant-offset segments.

    Segment ``i`` runs from ``starts[i]`` (UTC µs) to the next start with offset ``offsets[i]``.
    Transitions are found by sampling the zone once a day and bisecting each change to the
    second (tz transitions fall on whole seconds). Two transitions less than a day apart that
    cancel out would be missed; the tz database has none since 1970.
    """

    __slots__ = ("offsets", "starts", "zone")

    def __init__(self, zone: tzinfo, lo_us: int, hi_us: int) -> None:
        step = DAY_US
        starts = [lo_us - DAY_US]
        offsets = [offset_us(zone, lo_us - DAY_US)]
        t = lo_us - DAY_US
        end = hi_us + DAY_US
        while t < end:
            nxt = t + step
            off = offset_us(zone, nxt)
            if off != offsets[-1]:
                lo_s, hi_s = t // SECOND_US, nxt // SECOND_US  # offset changes in (lo_s, hi_s]
                while hi_s - lo_s > 1:
                    mid = (lo_s + hi_s) // 2
                    if offset_us(zone, mid * SECOND_US) == offsets[-1]:
                        lo_s = mid
                    else:
                        hi_s = mid
                starts.append(hi_s * SECOND_US)
                offsets.append(off)
            t = nxt
        self.zone = zone
        self.starts = starts
        self.offsets = offsets

    def offset_at(self, us: int) -> int:
        """The UTC offset (µs) in force at the UTC instant ``us``."""
        return self.offsets[max(bisect.bisect_right(self.starts, us) - 1, 0)]

    def wall_to_utc(self, lo_local: int, hi_local: int) -> list[tuple[int, int]]:
        """The UTC pieces of the instants whose wall time lies in ``[lo_local, hi_local)``.

        Wall times are microseconds of a naive local clock since 1970-01-01 00:00. A repeated
        hour yields two pieces (it is real time, counted twice on the wall); a nonexistent
        start moves to the end of the gap because no instant has that wall time.
        """
        pieces: list[tuple[int, int]] = []
        starts, offsets = self.starts, self.offsets
        # Every offset lies within ±1 day, so only segments overlapping this span can matter.
        i = max(bisect.bisect_right(starts, lo_local - DAY_US) - 1, 0)
        n = len(starts)
        while i < n:
            seg_lo = starts[i]
            if seg_lo >= hi_local + DAY_US:
                break
            seg_hi = starts[i + 1] if i + 1 < n else MAX_US
            off = offsets[i]
            lo = max(lo_local - off, seg_lo)
            hi = min(hi_local - off, seg_hi)
            if lo < hi:
                if pieces and pieces[-1][1] == lo:
                    pieces[-1] = (pieces[-1][0], hi)
                else:
                    pieces.append((lo, hi))
            i += 1
        return pieces


def wall_us(day: date, minute_of_day: int) -> int:
    """Naive wall-clock microseconds of a local date and a minute of that day (may be 1440)."""
    return (day.toordinal() - EPOCH_ORDINAL) * DAY_US + minute_of_day * MINUTE_US


def resolve_wall(local: datetime, zone: tzinfo) -> datetime:
    """The instant of a naive wall-clock time in ``zone``, in UTC.

    A repeated wall time means its first occurrence; a nonexistent one (inside a DST gap) means
    the end of the gap: on a day that jumps from 02:00 to 03:00, 02:30 becomes 03:00.

    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> resolve_wall(datetime(2024, 3, 31, 2, 30), berlin).isoformat()
    '2024-03-31T01:00:00+00:00'
    >>> resolve_wall(datetime(2024, 10, 27, 2, 30), berlin).isoformat()
    '2024-10-27T00:30:00+00:00'
    """
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == local:
        return first
    # Nonexistent: the transition lies between the two readings of the gap; find it exactly.
    later = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo_s, hi_s = sorted((to_us(first) // SECOND_US, to_us(later) // SECOND_US))
    base = offset_us(zone, lo_s * SECOND_US)
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if offset_us(zone, mid * SECOND_US) == base:
            lo_s = mid
        else:
            hi_s = mid
    return from_us(hi_s * SECOND_US)
