"""Availability: who cannot be reached, supplied as input with each evaluation.

Out-of-office periods, people unreachable right now, and temporary cover for a schedule. It is
never read from anywhere: the caller passes it to :meth:`escalate.Policy.evaluate`.

The input's shape is defined once, by the strict pydantic models :class:`AvailabilityInput`,
:class:`OutOfOfficeInput` and :class:`CoverInput` (no coercion, unknown keys rejected, instants
with an offset); ``escalate schema availability`` prints their JSON Schema. Pydantic's errors
become :class:`~escalate.errors.TicketError` naming the field path
(``availability.out_of_office[0].from``) and the value; checks that relate two fields (an
absence ends after it starts) are made in :meth:`Availability.from_mapping`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from escalate._models import _TEXT_ERROR as TEXT_ERROR
from escalate._models import INSTANT_PATTERN, Label, read_instant
from escalate.calendars._instants import MAX_US, MIN_US, OUT_OF_RANGE, to_us, utc
from escalate.errors import TicketError

__all__ = [
    "Availability",
    "AvailabilityInput",
    "CoverInput",
    "OutOfOfficeInput",
    "availability_error",
]


# --------------------------------------------------------------------------------------------
# The input format (pydantic): the one definition of its shape, and its JSON Schema
# --------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


def _instant(value: object) -> datetime:
    """An aware datetime or an ISO-8601 string with an offset, in UTC (the same strings the
    ticket format reads: :func:`escalate._models.read_instant`)."""
    if isinstance(value, str):
        at = read_instant(value)
        if at is None:
            try:
                naive_or_odd = datetime.fromisoformat(value)
            except ValueError:
                raise PydanticCustomError("instant", "expected an ISO-8601 instant") from None
            if naive_or_odd.utcoffset() is not None:
                raise PydanticCustomError(
                    "instant", "expected an ISO-8601 instant such as 2024-11-20T09:00:00+01:00"
                )
            at = naive_or_odd  # naive: rejected below
        value = at
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise PydanticCustomError("instant", "expected an aware instant (with a UTC offset)")
    if not MIN_US <= to_us(value) <= MAX_US:
        raise PydanticCustomError("instant", f"instant {OUT_OF_RANGE}")
    return utc(value)  # compared with other instants as instants, whatever the zone


Text = Label  # ids, names and reasons: non-blank single lines that hide nothing
Instant = Annotated[
    datetime,
    PlainValidator(_instant),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "description": "An instant: ISO-8601 with 'Z' or a UTC offset.",
            "examples": ["2024-11-18T00:00:00+01:00"],
        }
    ),
]

_CONFIG = ConfigDict(strict=True, extra="forbid", frozen=True)


class OutOfOfficeInput(BaseModel):
    """A person who cannot be paged from ``from`` until ``until`` (open-ended without)."""

    model_config = _CONFIG

    person: Text = Field(description="The person's id in the directory.")
    from_: Instant = Field(alias="from", description="When the absence starts.")
    until: Instant | None = Field(
        None, description="When it ends (exclusive; after 'from'); open-ended when left out."
    )
    reason: Text | None = Field(
        None, description="Shown in decision notes (default 'out of office')."
    )


class CoverInput(BaseModel):
    """Temporary cover: ``people`` are on call for ``schedule`` from ``start`` until ``end``."""

    model_config = _CONFIG

    schedule: Text = Field(description="The on-call schedule's name.")
    start: Instant = Field(description="When the cover starts.")
    end: Instant = Field(description="When it ends (exclusive; after 'start').")
    people: list[Text] = Field(description="Person ids on call instead, in paging order.")


class AvailabilityInput(BaseModel):
    """Who cannot be reached, supplied with each evaluation. Every key is optional."""

    model_config = _CONFIG

    out_of_office: list[OutOfOfficeInput] = Field(
        default_factory=list, description="Absences: leave, sickness, travel."
    )
    unreachable: list[Text] = Field(
        default_factory=list, description="Person ids that cannot be reached at all right now."
    )
    schedule_overrides: list[CoverInput] = Field(
        default_factory=list, description="Temporary cover that beats a schedule for its period."
    )


_KNOWN: dict[str, tuple[str, ...]] = {
    "out_of_office": ("person", "from", "until", "reason"),
    "schedule_overrides": tuple(CoverInput.model_fields),
}
_TOP = tuple(AvailabilityInput.model_fields)


def availability_error(exc: ValidationError, data: dict[str, object]) -> TicketError:
    """The first of pydantic's errors as a :class:`TicketError` under ``availability``."""
    errors = exc.errors(include_url=False)
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    return _convert(first, data)


def _convert(error: ErrorDetails, data: dict[str, object]) -> TicketError:
    loc: Path = tuple(error["loc"])
    kind = error["type"]
    value = None if kind == "missing" else error.get("input")
    path: Path = ("availability", *loc)
    if not loc:  # pydantic names no key when one is not valid text (a lone surrogate)
        return TicketError(f"a key is not valid text: {error['msg']}", path=path, value=value)
    if kind == "invalid_key":  # a key that is not a string: pydantic names it by its str()
        return TicketError("keys must be strings", path=path[:-1], value=error.get("input"))
    top = str(loc[0])
    if kind in ("instant", TEXT_ERROR):
        return TicketError(error["msg"], path=path, value=value)
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return TicketError(
                f"unknown availability key (known: {', '.join(_TOP)})", path=path, value=top
            )
        known = ", ".join(_KNOWN[top])
        return TicketError(f"unknown key (known: {known})", path=path, value=loc[-1])
    if top == "unreachable":
        return TicketError(
            "unreachable is a list of person ids", path=path[:2], value=data.get(top)
        )
    if len(loc) <= 2:  # the list itself, or an entry that is not a mapping
        return TicketError(f"{top} is a list of mappings", path=path[:2], value=data.get(top))
    if loc[2] == "people":
        return TicketError("people is a list of ids", path=path[:4], value=value)

    return TicketError("expected a non-empty string", path=path, value=value)


# --------------------------------------------------------------------------------------------
# The value
# --------------------------------------------------------------------------------------------


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


# Not slotted: the compiled build's SharedAvailability (engine/sweep.py) is a mypyc class over
# this Python one, and mypyc refuses a class that inherits a non-empty __slots__ (docs/scale.md).
@dataclass(frozen=True)
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
        :class:`~AvailabilityInput`); problems are
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
