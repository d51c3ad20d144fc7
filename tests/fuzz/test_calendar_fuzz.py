"""Mutated calendars through the public API: ``Calendar.from_config`` builds a calendar or
raises an ``EscalateError``, and a calendar answers any instant, duration or day count with a
value or an ``EscalateError``, never a foreign exception.

The configurations are ``escalate.testing.strategies.calendar_configs`` (the strategies shipped
to users), mutated like policies; the arguments are edge instants (year 1, year 9999, offsets
of ±23:59, DST gaps and folds), wrong types, and durations and day counts up to the limits of
``timedelta``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.calendars.calendar import Calendar
from escalate.calendars.timewindow import TimeWindow
from escalate.errors import EscalateError
from escalate.testing.strategies import calendar_configs
from tests.fuzz.hostile import default_recursion_limit, failure, mutated_trees, show

_BERLIN = ZoneInfo("Europe/Berlin")

INSTANTS = st.sampled_from(
    (
        datetime(2024, 11, 20, 10, tzinfo=UTC),
        datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=_BERLIN),
        datetime(2024, 3, 31, 2, 30, tzinfo=_BERLIN),  # in the gap
        datetime(
            2025, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-23, minutes=-59))
        ),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-14))),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2024, 11, 20, 10),  # naive
        "2024-11-20T10:00:00Z",
        None,
        0,
    )
)
DURATIONS = st.sampled_from(
    (
        timedelta(0),
        timedelta(minutes=30),
        timedelta(days=3),
        timedelta(days=36_600),
        timedelta(days=-1),
        timedelta.max,
        timedelta.min,
        timedelta(microseconds=1),
        30,
        "30m",
        None,
    )
)
DAYS = st.sampled_from(
    (0, 1, -1, 3, 250, 25_000, -25_000, 10**9, 2**63, 10**5000, 1.5, "2", None, True)
)
DAYS_OR_DATES = st.sampled_from(
    (date(2024, 11, 20), date.min, date.max, date(2024, 2, 29), None, "2024-11-20", 5)
)
OTHERS = st.sampled_from(("self", None, "24x7", 5))


@dataclass
class CalendarCase:
    log: list[str]
    config: Any
    calls: list[tuple[str, tuple[Any, ...]]]

    def __repr__(self) -> str:
        calls = [f"{name}({', '.join(show(a, 60) for a in args)})" for name, args in self.calls]
        return (
            f"CalendarCase(config={show(self.config, 500)}, mutations={self.log!r}, calls={calls})"
        )


@st.composite
def calendar_cases(draw: st.DrawFn) -> CalendarCase:
    config = draw(calendar_configs())
    log: list[str] = []
    if draw(st.integers(0, 2)) > 0:
        mutated = draw(mutated_trees(config, max_mutations=2))
        config, log = mutated.tree, mutated.log
    calls: list[tuple[str, tuple[Any, ...]]] = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(
            st.sampled_from(
                (
                    "is_open",
                    "next_open",
                    "next_close",
                    "add",
                    "subtract",
                    "elapsed",
                    "add_business_days",
                    "is_working_day",
                    "windows",
                    "union",
                    "intersection",
                    "difference",
                )
            )
        )
        if name in ("is_open", "next_open", "next_close"):
            args: tuple[Any, ...] = (draw(INSTANTS),)
        elif name in ("add", "subtract"):
            args = (draw(INSTANTS), draw(DURATIONS))
        elif name == "add_business_days":
            args = (draw(INSTANTS), draw(DAYS))
        elif name == "is_working_day":
            args = (draw(DAYS_OR_DATES),)
        elif name == "windows":  # at most a week apart: the answer's size grows with the span
            start = draw(INSTANTS)
            end = (
                start + timedelta(days=7)
                if isinstance(start, datetime) and start.year < 9999
                else start
            )
            args = (start, end)
        elif name in ("union", "intersection", "difference"):
            args = (draw(OTHERS),)
        else:
            args = (draw(INSTANTS), draw(INSTANTS))
        calls.append((name, args))
    return CalendarCase(log, config, calls)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=calendar_cases())
def test_a_mutated_calendar_answers_any_argument_or_raises_an_escalate_error(
    case: CalendarCase,
) -> None:
    try:
        with default_recursion_limit():
            calendar = Calendar.from_config(case.config)
    except EscalateError:
        return
    except Exception as exc:
        raise AssertionError(
            failure("Calendar.from_config: a foreign exception", case, exc)
        ) from exc
    for name, given_args in case.calls:
        args = tuple(calendar if a == "self" else a for a in given_args)
        try:
            with default_recursion_limit():
                answer = getattr(calendar, name)(*args)
        except EscalateError:
            continue
        except Exception as exc:
            call = f"{name}({', '.join(show(a, 60) for a in args)})"
            raise AssertionError(
                failure(f"Calendar.{call}: a foreign exception", case, exc)
            ) from exc
        if name in ("union", "intersection", "difference"):
            assert isinstance(answer, Calendar), (
                f"Calendar.{name}({show(args[0])}) returned {answer!r}, not a Calendar or an error"
            )


# --------------------------------------------------------------------------------------------
# Time windows (Alertmanager's time intervals)
# --------------------------------------------------------------------------------------------

WINDOW_SEEDS: tuple[Any, ...] = (
    {
        "weekdays": ["monday:friday"],
        "times": [{"start_time": "09:00", "end_time": "17:00"}],
        "location": "Europe/Berlin",
    },
    [
        {"weekdays": ["monday:friday"], "times": [{"start_time": "18:00", "end_time": "24:00"}]},
        {"weekdays": ["saturday", "sunday"]},
    ],
    {
        "name": "out-of-hours",
        "time_intervals": [
            {"weekdays": ["saturday", "sunday"]},
            {"times": [{"start_time": "00:00", "end_time": "08:00"}]},
        ],
    },
    {
        "days_of_month": ["1:5", "-3:-1"],
        "months": ["january:march", 12],
        "years": ["2024", "2026:2028"],
        "location": "Australia/Lord_Howe",
    },
    {"years": ["9999"], "months": ["december"], "days_of_month": ["-1"]},
)


@dataclass
class WindowCase:
    log: list[str]
    config: Any
    instants: list[Any]

    def __repr__(self) -> str:
        shown = [show(a, 80) for a in self.instants]
        return f"WindowCase(config={show(self.config, 500)}, mutations={self.log!r}, at={shown})"


@st.composite
def window_cases(draw: st.DrawFn) -> WindowCase:
    config = draw(st.sampled_from(WINDOW_SEEDS))
    log: list[str] = []
    if draw(st.integers(0, 2)) > 0:
        mutated = draw(mutated_trees(config, max_mutations=2))
        config, log = mutated.tree, mutated.log
    return WindowCase(log, config, draw(st.lists(INSTANTS, min_size=1, max_size=3)))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=window_cases())
def test_a_mutated_time_window_answers_any_instant_or_raises_an_escalate_error(
    case: WindowCase,
) -> None:
    try:
        with default_recursion_limit():
            window = TimeWindow.from_config(case.config)
    except EscalateError:
        return
    except Exception as exc:
        raise AssertionError(
            failure("TimeWindow.from_config: a foreign exception", case, exc)
        ) from exc
    for at in case.instants:
        for name in ("contains", "next_change"):
            try:
                with default_recursion_limit():
                    getattr(window, name)(at)
            except EscalateError:
                continue
            except Exception as exc:
                what = f"TimeWindow.{name}({show(at, 80)}): a foreign exception"
                raise AssertionError(failure(what, case, exc)) from exc
