"""What every adapter's mapping and time reading share.

Checked, frozen settings and the reading of a local wall time as an instant. A mapping is
frozen all the way down (its tables become read-only mappings, its name sets frozensets) and
hashable by value; a zone is checked when the mapping is built; a local time that a clock
change skips or repeats is refused rather than read one way or the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalate.errors import ArgumentError, TicketError

__all__ = [
    "check_zone",
    "freeze_name_sets",
    "freeze_tables",
    "in_range",
    "local_instant",
    "value_hash",
]

Path = tuple[str | int, ...]

_FIRST = datetime(1, 1, 2, tzinfo=UTC)
_LAST = datetime(9999, 12, 30, tzinfo=UTC)


def check_zone(name: object) -> None:
    """An :class:`ArgumentError` unless ``name`` is an IANA zone this machine knows."""
    if not isinstance(name, str):
        raise ArgumentError(f"time_zone must be an IANA zone name: {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ArgumentError(f"unknown time zone {name!r}") from exc


def freeze_tables(mapping: object, names: tuple[str, ...]) -> None:
    """Check that each attribute in ``names`` of a frozen dataclass maps strings to strings,
    and replace it with a read-only copy sorted by key."""
    for name in names:
        table = getattr(mapping, name)
        if not isinstance(table, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()
        ):
            raise ArgumentError(f"{name} must map strings to strings: {table!r}")
        object.__setattr__(mapping, name, MappingProxyType(dict(sorted(table.items()))))


def freeze_name_sets(mapping: object, names: tuple[str, ...], what: str) -> None:
    """Check that each attribute in ``names`` is a collection of strings (``what`` says of
    what, for the message) and replace it with a frozenset."""
    for name in names:
        values = getattr(mapping, name)
        if isinstance(values, str) or not all(isinstance(v, str) for v in values):
            raise ArgumentError(f"{name} must be a set of {what}: {values!r}")
        object.__setattr__(mapping, name, frozenset(values))


def value_hash(mapping: object) -> int:
    """The hash of a frozen dataclass whose fields may hold read-only mappings."""
    return hash(
        tuple(
            tuple(value.items()) if isinstance(value, Mapping) else value
            for value in (getattr(mapping, f.name) for f in dataclass_fields(mapping))  # type: ignore[arg-type]
        )
    )


def in_range(at: datetime, path: Path, text: str) -> datetime:
    """``at`` (UTC), or a :class:`TicketError` when it lies outside the instants escalate
    computes with (0001-01-02 to 9999-12-30)."""
    if not _FIRST <= at <= _LAST:
        raise TicketError("instant out of range", path=path, value=text)
    return at


def local_instant(naive: datetime, time_zone: str, path: Path, text: str) -> datetime:
    """The UTC instant of the wall time ``naive`` in ``time_zone``; a wall time a clock change
    skips or repeats is a :class:`TicketError` (either reading would be a guess), as is one
    out of range. ``path`` and ``text`` name the value in messages."""
    if time_zone == "UTC":
        return in_range(naive.replace(tzinfo=UTC), path, text)
    zone = ZoneInfo(time_zone)
    aware = naive.replace(tzinfo=zone)
    if aware.utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset():
        raise TicketError(
            f"local time skipped or repeated by a clock change in {time_zone}",
            path=path,
            value=text,
        )
    try:
        return in_range(aware.astimezone(UTC), path, text)
    except OverflowError:
        raise TicketError("instant out of range", path=path, value=text) from None
