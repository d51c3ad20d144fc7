"""Availability: who cannot be reached, supplied as input with each evaluation.

Out-of-office periods, people unreachable right now, and temporary cover for a schedule. It is
never read from anywhere: the caller passes it to :meth:`escalate.Policy.evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from escalate.errors import TicketError

__all__ = ["Availability"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Period:
    person: str
    start: datetime
    end: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Cover:
    schedule: str
    start: datetime
    end: datetime
    people: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Availability:
    """Who cannot be reached, supplied with each evaluation.

    ``out_of_office``: ``[{person, from, until (optional), reason (optional)}]``;
    ``unreachable``: person ids that cannot be reached at all right now;
    ``schedule_overrides``: ``[{schedule, start, end, people}]`` temporary cover that beats the
    schedule for its period. Instants are aware (ISO strings with an offset or datetimes).
    """

    periods: tuple[_Period, ...] = ()
    unreachable: frozenset[str] = frozenset()
    covers: tuple[_Cover, ...] = ()
    _by_person: Mapping[str, tuple[_Period, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, data: Availability | Mapping[str, Any] | None) -> Availability:
        """Validate availability input; problems are TicketErrors naming the field path."""
        if data is None:
            return cls()
        if isinstance(data, Availability):
            return data
        if not isinstance(data, Mapping):
            raise TicketError("availability must be a mapping", path=("availability",), value=data)
        known = ("out_of_office", "unreachable", "schedule_overrides")
        for key in data:
            if key not in known:
                raise TicketError(
                    f"unknown availability key (known: {', '.join(known)})",
                    path=("availability", str(key)),
                    value=key,
                )
        periods = []
        for i, item in enumerate(_items(data.get("out_of_office", []), "out_of_office")):
            where: Path = ("availability", "out_of_office", i)
            _known_input(item, ("person", "from", "until", "reason"), where)
            person = _text(item.get("person"), (*where, "person"))
            start = _instant(item.get("from"), (*where, "from"))
            end = _instant(item["until"], (*where, "until")) if item.get("until") else None
            if end is not None and end <= start:
                raise TicketError("'until' must be after 'from'", path=(*where, "until"), value=end)
            reason = item.get("reason") or "out of office"
            periods.append(_Period(person, start, end, str(reason)))
        unreachable = data.get("unreachable", [])
        if not isinstance(unreachable, list) or not all(isinstance(p, str) for p in unreachable):
            raise TicketError(
                "unreachable is a list of person ids",
                path=("availability", "unreachable"),
                value=unreachable,
            )
        covers = []
        for i, item in enumerate(_items(data.get("schedule_overrides", []), "schedule_overrides")):
            where = ("availability", "schedule_overrides", i)
            _known_input(item, ("schedule", "start", "end", "people"), where)
            people = item.get("people")
            if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
                raise TicketError("people is a list of ids", path=(*where, "people"), value=people)
            start = _instant(item.get("start"), (*where, "start"))
            end = _instant(item.get("end"), (*where, "end"))
            if end <= start:
                raise TicketError("'end' must be after 'start'", path=(*where, "end"), value=end)
            covers.append(
                _Cover(_text(item.get("schedule"), (*where, "schedule")), start, end, tuple(people))
            )
        by_person: dict[str, list[_Period]] = {}
        for period in periods:
            by_person.setdefault(period.person, []).append(period)
        return cls(
            periods=tuple(periods),
            unreachable=frozenset(unreachable),
            covers=tuple(covers),
            _by_person={k: tuple(v) for k, v in sorted(by_person.items())},
        )

    def unavailable_because(self, person: str, at: datetime) -> str | None:
        """Why ``person`` cannot be paged at ``at``, or ``None`` if they can."""
        if person in self.unreachable:
            return "unreachable"
        periods = self._by_person.get(person)
        if not periods:
            return None
        for period in periods:
            if period.start <= at and (period.end is None or at < period.end):
                until = f" until {period.end.isoformat()}" if period.end else ""
                return f"{period.reason}{until}"
        return None

    def cover(self, schedule: str, at: datetime) -> tuple[str, ...] | None:
        """Temporary cover for a schedule at ``at``, if any. Overlapping covers are on call
        together in the order given, as a schedule's own overrides are."""
        people: list[str] = []
        covered = False
        for cover in self.covers:
            if cover.schedule == schedule and cover.start <= at < cover.end:
                covered = True
                people += [p for p in cover.people if p not in people]
        return tuple(people) if covered else None

    def changes(self, people: Iterable[str], schedules: Iterable[str]) -> list[datetime]:
        """The instants at which availability of these people or schedules changes."""
        wanted = set(people)
        out = [p.start for p in self.periods if p.person in wanted]
        out += [p.end for p in self.periods if p.person in wanted and p.end is not None]
        names = set(schedules)
        for cover in self.covers:
            if cover.schedule in names:
                out += [cover.start, cover.end]
        return out


def _known_input(item: Mapping[str, Any], keys: Sequence[str], path: Path) -> None:
    for key in item:
        if key not in keys:
            raise TicketError(
                f"unknown key (known: {', '.join(keys)})",
                path=(*path, str(key)),
                value=key,
            )


def _items(value: object, key: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise TicketError(f"{key} is a list of mappings", path=("availability", key), value=value)
    return value


def _text(value: object, path: Path) -> str:
    if not isinstance(value, str) or not value:
        raise TicketError("expected a non-empty string", path=path, value=value)
    return value


def _instant(value: object, path: Path) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise TicketError("expected an ISO-8601 instant", path=path, value=value) from None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise TicketError("expected an aware instant (with a UTC offset)", path=path, value=value)
    return value
