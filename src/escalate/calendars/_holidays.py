"""Holiday sets from configuration: the ``holidays`` package for explicit years, plus dates.

The ``holidays`` package expands itself lazily to any year it is asked about. escalate never
relies on that: it asks for exactly the configured ``years`` once, keeps the dates as a frozen
set, and calendars refuse instants outside those years (``CalendarRangeError``).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from escalate.calendars.models import CONFIG_YEARS, HolidaysModel
from escalate.errors import PolicyError, shown, suggest

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class HolidaySet:
    """Closed dates with their names, and the years they are known for (``None``: any year)."""

    names: Mapping[date, str]
    years: tuple[int, int] | None
    source: str

    @property
    def dates(self) -> frozenset[date]:
        return frozenset(self.names)


def parse_date(value: object, path: Path) -> date:
    """A calendar date from YAML (a ``date`` or an ISO ``YYYY-MM-DD`` string).

    >>> parse_date("2024-12-24", ())
    datetime.date(2024, 12, 24)
    """
    if isinstance(value, datetime):
        raise PolicyError(
            f"expected a date YYYY-MM-DD, got a date and time {shown(value)}", path=path
        )
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
    raise PolicyError(f"expected a date YYYY-MM-DD, got {shown(value)}", path=path)


def parse_years(value: object, path: Path) -> tuple[int, int]:
    """An inclusive ``[first, last]`` year range."""
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(y, int) and not isinstance(y, bool) for y in value)
    ):
        raise PolicyError(
            f"years must be [first, last], two whole years, got {shown(value)}", path=path
        )
    first, last = value
    lowest, highest = CONFIG_YEARS
    if not lowest <= first <= last <= highest:
        raise PolicyError(
            f"years must satisfy {lowest} <= first <= last <= {highest}, got {shown(list(value))}",
            path=path,
        )
    return first, last


def _parse_month_day(value: object, path: Path) -> tuple[int, int]:
    digits = value[:2] + value[3:] if isinstance(value, str) else ""
    # ASCII digits only: int() would also read '١٢' as 12
    if (
        isinstance(value, str)
        and len(value) == 5
        and value[2] == "-"
        and digits.isascii()
        and digits.isdigit()
    ):
        try:
            month, day = int(value[:2]), int(value[3:])
            date(2000, month, day)  # 2000 is a leap year, so 02-29 is accepted
        except ValueError:
            pass
        else:
            return month, day
    raise PolicyError(f"expected a yearly date MM-DD like '12-24', got {shown(value)}", path=path)


def resolve_holidays(config: HolidaysModel, path: Path = ()) -> HolidaySet:
    """Build the holiday set a validated ``holidays:`` mapping describes.

    Keys: ``country`` (ISO code, with optional ``subdiv`` and ``categories``) and ``years:
    [first, last]`` (required with ``country`` or ``recurring``); ``dates``: explicit dates;
    ``recurring``: ``MM-DD`` dates closed every year of the range (02-29 only in leap years).
    The shape is the model's job; what depends on several keys, or on the holidays package,
    is checked here.
    """
    years = parse_years(config.years, (*path, "years")) if config.years is not None else None
    names: dict[date, str] = {}
    sources: list[str] = []

    if config.country is not None:
        if years is None:
            raise PolicyError(
                "holidays from a country need an explicit 'years: [first, last]' "
                "(escalate never lets the holidays package guess further years)",
                path=(*path, "years"),
            )
        names.update(_country_holidays(config, config.country, years, path))
        sub = f"/{config.subdiv}" if config.subdiv is not None else ""
        cat = f" [{', '.join(config.categories)}]" if config.categories else ""
        version = importlib.metadata.version("holidays")
        sources.append(f"holidays {version} {config.country}{sub}{cat} {years[0]}-{years[1]}")
    else:
        for key in ("subdiv", "categories"):
            if getattr(config, key) is not None:
                raise PolicyError(f"{shown(key)} needs 'country'", path=(*path, key))

    for i, raw in enumerate(config.dates):
        day = parse_date(raw, (*path, "dates", i))
        if years is not None and not years[0] <= day.year <= years[1]:
            raise PolicyError(
                f"date {day.isoformat()} lies outside years {list(years)}",
                path=(*path, "dates", i),
            )
        names.setdefault(day, "closed (dates)")
    if "dates" in config.model_fields_set:
        sources.append("explicit dates")

    recurring = config.recurring
    if recurring and years is None:
        raise PolicyError(
            "recurring dates need 'years: [first, last]' to know which years they apply to",
            path=(*path, "years"),
        )
    for i, raw in enumerate(recurring):
        month, day_of_month = _parse_month_day(raw, (*path, "recurring", i))
        assert years is not None
        for year in range(years[0], years[1] + 1):
            try:
                day = date(year, month, day_of_month)
            except ValueError:  # 02-29 outside leap years
                continue
            names.setdefault(day, f"closed (recurring {month:02d}-{day_of_month:02d})")
    if recurring:
        sources.append("recurring dates")

    return HolidaySet(
        names=dict(sorted(names.items())), years=years, source="; ".join(sources) or "none"
    )


def _country_holidays(
    config: HolidaysModel, country: str, years: tuple[int, int], path: Path
) -> dict[date, str]:
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise PolicyError(
            f"the holidays package has no country {shown(country)}",
            path=(*path, "country"),
            suggestion=suggest(country, supported),
        )
    subdiv = config.subdiv
    if subdiv is not None:
        subdivs = supported[country]
        if subdiv not in subdivs:
            raise PolicyError(
                f"country {shown(country)} has no subdivision {shown(subdiv)}",
                path=(*path, "subdiv"),
                suggestion=suggest(subdiv, subdivs),
            )
    categories = config.categories
    try:
        found = holidays.country_holidays(
            country,
            subdiv=subdiv,
            years=range(years[0], years[1] + 1),
            categories=tuple(categories) if categories else None,
        )
    except (RuntimeError, ValueError) as exc:
        # The package signals an unsupported country/subdivision/category with ValueError or
        # a RuntimeError subclass; countries and subdivisions are checked above already.
        raise PolicyError(f"the holidays package rejected this: {exc}", path=path) from None
    return {
        day: str(name) for day, name in sorted(found.items()) if years[0] <= day.year <= years[1]
    }
