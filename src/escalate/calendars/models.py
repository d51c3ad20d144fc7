"""The configuration formats of calendars and time windows, as strict pydantic models.

These models are the one definition of what a ``calendars:`` entry and an Alertmanager-style
time window may contain: :meth:`Calendar.from_config
<escalate.calendars.calendar.Calendar.from_config>` and :meth:`TimeWindow.from_config
<escalate.calendars.timewindow.TimeWindow.from_config>` validate through them, and the policy
JSON Schema is exported from them. They check the shape (keys, types, required keys, the
syntax of durations and intervals); what a schema cannot say (overlapping intervals, a time
zone that does not exist, dates outside ``years``) the compilers check.

The scalar mini-languages (``30m``, ``09:00-17:00``, ``mon-fri``, ``2024-12-24``) are named
types here, each with the pattern the JSON Schema carries, so that calendars, schedules and the
policy format describe them once.

Weekly hours are written in two forms that mean the same thing and share their types
(:data:`Weekdays`, :data:`Interval`): a calendar's ``hours`` mapping (``{mon-fri:
['09:00-17:00']}``) and a schedule layer's ``restrictions`` list (:class:`WeeklyTimes`). The
Alertmanager ``time_intervals`` format (:class:`TimeIntervalModel`) stays apart on purpose: it
is copied verbatim from Alertmanager so that an existing ``alertmanager.yml`` interval pastes in
unchanged, and its words differ (``monday:friday`` with a colon, weeks from Sunday, separate
``start_time``/``end_time``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from escalate._models import Label, StrictModel, model_problem, patterned
from escalate.calendars._durations import _PART, MAX_PERCENT, PERCENT_NUMBER

__all__ = [
    "CONFIG_YEARS",
    "DATE_PATTERN",
    "DURATION_PATTERN",
    "INSTANT_PATTERN",
    "INTERVAL_PATTERN",
    "PERCENT_PATTERN",
    "WEEKDAYS",
    "WEEKDAYS_PATTERN",
    "CalendarConfig",
    "CalendarModel",
    "DateText",
    "Duration",
    "HolidaysModel",
    "Instant",
    "Interval",
    "NamedTimeIntervalModel",
    "Percent",
    "TimeIntervalModel",
    "TimeOfDay",
    "TimeRangeModel",
    "TimeWindowConfig",
    "Weekdays",
    "WeeklyTimes",
]

#: Weekday names of calendars and schedules, Monday first.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# -- scalar mini-languages --------------------------------------------------------------------

#: A duration: one or more ``<number><unit>`` parts (the parser's own part syntax, see
#: :func:`escalate.calendars._durations.parse_duration`), spaces allowed between parts.
DURATION_PATTERN = rf"^(?: *{_PART.pattern})+ *$"
Duration = Annotated[
    str,
    patterned(DURATION_PATTERN, "a duration like '30m', '4h', '1h30m', '2d', '3bd' or '1mo'"),
    Field(
        examples=["30m", "4h", "1h30m", "2d", "3bd", "1mo"],
        description=(
            "units s, m (minutes), h, d (24 h), w (7 d); 'bd' (business days) and 'mo' "
            "(calendar months) stand alone"
        ),
    ),
]

#: A share of a target, like ``75%`` or ``87.5%``.
PERCENT_PATTERN = rf"^{PERCENT_NUMBER} *%$"
Percent = Annotated[
    str,
    patterned(PERCENT_PATTERN, f"a percentage of the target like '75%' (0 < p <= {MAX_PERCENT}%)"),
    Field(examples=["50%", "75%", "100%", "150%"]),
]

_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
#: ``HH:MM-HH:MM``: ``24:00`` may end a day; an end before the start runs overnight.
INTERVAL_PATTERN = rf"^ *{_CLOCK} *- *(?:{_CLOCK}|24:00) *$"
Interval = Annotated[
    str,
    patterned(
        INTERVAL_PATTERN,
        "an interval 'HH:MM-HH:MM' (end may be 24:00, or earlier than the start for an "
        "overnight range)",
    ),
    Field(examples=["09:00-17:00", "22:00-06:00", "00:00-24:00"]),
]


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


_DAY = "(?:" + "|".join(_any_case(d) for d in WEEKDAYS) + ")"
_DAYS = rf"{_DAY} *(?:- *{_DAY} *)?"
#: ``mon``, ``mon-fri``, ``fri-mon`` (wraps), ``sat,sun``; any case.
WEEKDAYS_PATTERN = rf"^ *{_DAYS}(?:, *{_DAYS})*$"
# Checked by the parser (parse_weekdays), which names the bad day and suggests a spelling;
# the JSON Schema carries the pattern for editors.
Weekdays = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": WEEKDAYS_PATTERN},
        examples=["mon-fri", "sat,sun", "mon"],
        description="weekdays: 'mon', ranges 'mon-fri' (may wrap: 'fri-mon'), lists 'sat,sun'",
    ),
]

#: The years a configuration may name: calendar and holiday ``years``, dates, and the instants
#: of schedules (anchors, effective bounds, overrides). Far from the ends of what ``datetime``
#: holds, so that any offset, turn or duration (at most 100 years) added to them stays valid.
CONFIG_YEARS = (1900, 2200)


def _in_config_years(value: date | str) -> date | str:
    """A date or instant of a configuration, refused when its year lies outside
    :data:`CONFIG_YEARS` (text that is no date at all is left to the compiler's message)."""
    day: date | None = value if isinstance(value, date) else None
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    first, last = CONFIG_YEARS
    if day is not None and not first <= day.year <= last:
        shown = value if isinstance(value, str) else value.isoformat()
        raise model_problem(
            f"{shown!r} lies outside the years a policy may name ({first} to {last})"
        )
    return value


#: ``YYYY-MM-DD``. YAML reads an unquoted date as a date, JSON and quoted YAML as text.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DateText = Annotated[
    date | str,
    AfterValidator(_in_config_years),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "examples": ["2024-12-24"],
        }
    ),
]

#: An aware date and time: ISO 8601 with a UTC offset.
INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$"
)
Instant = Annotated[
    datetime | date | str,
    AfterValidator(_in_config_years),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "examples": ["2024-06-03T09:00:00+02:00"],
            "description": "an aware date and time (with its UTC offset)",
        }
    ),
]

MonthDay = Annotated[
    str,
    patterned(r"(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", "a yearly date MM-DD like '12-24'"),
    Field(examples=["12-24", "12-31"]),
]

YearRange = Annotated[
    list[int],
    Field(
        min_length=2,
        max_length=2,
        description="[first, last], inclusive",
        examples=[[2024, 2026]],
    ),
]

#: Alertmanager's clock time: two-digit hours, ``24:00`` only as an end. Checked by the time
#: window parser, which explains YAML's base-60 reading of an unquoted ``17:00``.
TimeOfDay = Annotated[
    str | int,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^(?:{_CLOCK}|24:00)$",
            "examples": ["09:00", "17:30", "24:00"],
        }
    ),
]


# -- shared weekly hours ----------------------------------------------------------------------


class WeeklyTimes(StrictModel):
    """Weekdays and a time of day: ``{days: mon-fri, time: '09:00-17:00'}``.

    The same words as a calendar's ``hours`` (which writes them as a mapping ``{mon-fri:
    ['09:00-17:00']}``): :data:`Weekdays` and :data:`Interval`. Without ``days`` every day is
    meant, without ``time`` the whole day; an overnight ``time`` belongs to the day it starts.
    """

    days: Weekdays | None = None
    time: Interval | None = None


# -- calendars --------------------------------------------------------------------------------


class HolidaysModel(StrictModel):
    """Holidays: a country's for explicit years, explicit dates, yearly dates."""

    country: str | None = Field(default=None, description="ISO code", examples=["DE", "US"])
    subdiv: str | None = Field(default=None, description="subdivision", examples=["BE"])
    categories: list[str] | None = Field(default=None, examples=[["public"]])
    years: YearRange | None = None
    dates: list[DateText] = Field(default_factory=list, description="YYYY-MM-DD")
    recurring: list[MonthDay] = Field(default_factory=list, description="MM-DD, every year")


class CalendarModel(StrictModel):
    """A business-hours calendar (docs/calendars.md).

    ``hours`` is ``24x7`` or weekday keys mapped to intervals; ``closures`` and
    ``extra_hours`` map dates to intervals closed or open on that date only.
    """

    timezone: str = Field(description="IANA name", examples=["Europe/Berlin", "UTC"])
    hours: Literal["24x7"] | dict[Weekdays, Interval | list[Interval]] = Field(
        description="'24x7', or weekday keys ('mon', 'mon-fri', 'sat,sun') -> intervals",
        examples=["24x7", {"mon-fri": ["09:00-17:00"]}],
    )
    holidays: HolidaysModel | None = None
    closures: dict[DateText, Interval | list[Interval]] = Field(
        default_factory=dict, description="date -> intervals closed on that date only"
    )
    extra_hours: dict[DateText, Interval | list[Interval]] = Field(
        default_factory=dict, description="date -> intervals open on that date only"
    )
    years: YearRange | None = Field(
        default=None, description="range to compile when holidays give none (default 2000-2050)"
    )


#: A ``calendars:`` entry: a calendar mapping or the string ``24x7``.
CalendarConfig = CalendarModel | Literal["24x7"]


# -- time windows (Alertmanager time_intervals) ----------------------------------------------


class TimeRangeModel(StrictModel):
    """A ``times`` entry: ``start_time`` to ``end_time`` (Alertmanager's words, verbatim)."""

    start_time: TimeOfDay
    end_time: TimeOfDay


_AM = "Alertmanager syntax: "


class TimeIntervalModel(StrictModel):
    """One Alertmanager ``time_intervals`` entry, plus escalate's ``holidays``/``on_holidays``.

    Kept verbatim from Alertmanager rather than merged with :class:`WeeklyTimes`: a pasted
    ``alertmanager.yml`` interval must mean the same here, and its words differ (``monday:
    friday``, weeks from Sunday, numeric and negative days of the month). Every key is
    optional; an omitted key matches every value, so ``{}`` matches every instant. A key given
    as ``null`` or ``[]`` is an error (Alertmanager reads it as matching nothing).
    """

    times: list[TimeRangeModel] | None = None
    weekdays: list[str | int] | None = Field(
        default=None, description=_AM + "'monday', 'monday:friday'", examples=[["monday:friday"]]
    )
    days_of_month: list[str | int] | None = Field(
        default=None, description=_AM + "1, -1 (the last), '1:5'", examples=[["1:7", -1]]
    )
    months: list[str | int] | None = Field(
        default=None, description=_AM + "'january', 1, 'june:august'", examples=[["december"]]
    )
    years: list[str | int] | None = Field(
        default=None, description=_AM + "2024, '2024:2026'", examples=[["2024:2026"]]
    )
    location: str | None = Field(default=None, description="IANA name", examples=["Europe/Berlin"])
    holidays: HolidaysModel | None = None
    on_holidays: Literal["exclude", "only"] | None = None


class NamedTimeIntervalModel(StrictModel):
    """Alertmanager's named form: ``{name: ..., time_intervals: [entries]}``."""

    name: Label | None = None
    time_intervals: list[TimeIntervalModel]


#: A time window: one entry, a list of entries (any matches), or a named interval.
TimeWindowConfig = NamedTimeIntervalModel | TimeIntervalModel | list[TimeIntervalModel]
