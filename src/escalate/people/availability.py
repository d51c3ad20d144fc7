"""Availability: who cannot be reached, supplied as input with each evaluation.

Out-of-office periods, people unreachable right now, and temporary cover for a schedule. It is
never read from anywhere: the caller passes it to :meth:`escalate.Policy.evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from escalate.errors import TicketError
from escalate.people.availability_format import AvailabilityInput, availability_error

__all__ = ["Availability"]


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
    _by_person: Mapping[str, tuple[_Period, ...]] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False, hash=False
    )

    @classmethod
    def from_mapping(cls, data: Availability | Mapping[str, Any] | None) -> Availability:
        """Validate availability input (the format is
        :class:`~escalate.people.availability_format.AvailabilityInput`); problems are
        TicketErrors naming the field path and the value."""
        if data is None:
            return cls()
        if isinstance(data, Availability):
            return data
        if not isinstance(data, Mapping):
            raise TicketError("availability must be a mapping", path=("availability",), value=data)
        raw = dict(data)
        try:
            model = AvailabilityInput.model_validate(raw)
        except ValidationError as exc:
            raise availability_error(exc, raw) from None
        periods = []
        for i, item in enumerate(model.out_of_office):
            if item.until is not None and item.until <= item.from_:
                raise TicketError(
                    "'until' must be after 'from'",
                    path=("availability", "out_of_office", i, "until"),
                    value=item.until,
                )
            reason = item.reason or "out of office"
            periods.append(_Period(item.person, item.from_, item.until, reason))
        covers = []
        for i, cover in enumerate(model.schedule_overrides):
            if cover.end <= cover.start:
                raise TicketError(
                    "'end' must be after 'start'",
                    path=("availability", "schedule_overrides", i, "end"),
                    value=cover.end,
                )
            covers.append(_Cover(cover.schedule, cover.start, cover.end, tuple(cover.people)))
        by_person: dict[str, list[_Period]] = {}
        for period in periods:
            by_person.setdefault(period.person, []).append(period)
        return cls(
            periods=tuple(periods),
            unreachable=frozenset(model.unreachable),
            covers=tuple(covers),
            _by_person=MappingProxyType({k: tuple(v) for k, v in sorted(by_person.items())}),
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
