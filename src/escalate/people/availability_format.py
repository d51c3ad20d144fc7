"""The availability input format: strict pydantic models, the one definition of its shape.

:meth:`escalate.people.availability.Availability.from_mapping` validates through
:class:`AvailabilityInput` and turns pydantic's errors into
:class:`~escalate.errors.TicketError` naming the field path (``availability.out_of_office[0]
.from``) and the bad value (:func:`availability_error`). Checks that relate two fields (an
absence ends after it starts) stay in :mod:`escalate.people.availability`. The JSON Schema
(``escalate schema availability``) is generated from these models.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from escalate.errors import TicketError

__all__ = [
    "INSTANT_PATTERN",
    "AvailabilityInput",
    "CoverInput",
    "OutOfOfficeInput",
    "availability_error",
]

Path = tuple[str | int, ...]

#: An instant as the format writes it: ISO-8601 date and time with ``Z`` or a ``±HH:MM`` offset
#: (the same pattern as the ticket format's).
INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?)$"
)
_INSTANT_RE = re.compile(INSTANT_PATTERN)


def _instant(value: object) -> datetime:
    """An aware datetime or an ISO-8601 string with an offset, kept in its offset."""
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("instant", "expected an ISO-8601 instant") from None
        if at.utcoffset() is not None and _INSTANT_RE.match(value) is None:
            raise PydanticCustomError(
                "instant", "expected an ISO-8601 instant such as 2024-11-20T09:00:00+01:00"
            )
        value = at
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise PydanticCustomError("instant", "expected an aware instant (with a UTC offset)")
    return value


Text = Annotated[str, StringConstraints(min_length=1)]
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
    top = str(loc[0])
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
    if kind == "instant":
        return TicketError(error["msg"], path=path, value=value)
    return TicketError("expected a non-empty string", path=path, value=value)
