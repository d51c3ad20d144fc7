"""Calendar months in durations (``1mo``): parsing, ``Calendar.add_months``, month clocks and
level timers, the places months are refused, and a cross-check against ``relativedelta``.

A month is the same wall time on the same day N months later in the calendar's zone, the
month's last day when it is shorter; a clock target of ``1mo`` is the calendar's working time
from the cycle start until then. 2024 is a leap year; Berlin switches to summer time on
2024-03-31 (02:00 -> 03:00) and back on 2024-10-27 (03:00 -> 02:00).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from escalate import Calendar, CalendarRangeError
from escalate.calendars._durations import MAX_MONTHS, parse_duration
from escalate.errors import ArgumentError, PolicyError
from tests.calendars.calendar_reference import ReferenceCalendar
from tests.calendars.test_calendar_properties import (
    PROPERTY,
    Scenario,
    answered,
    middle_scenarios,
)
from tests.policy_helpers import event, iso, policy, ticket, utc, yaml_text

BERLIN = ZoneInfo("Europe/Berlin")
ONE_US = timedelta(microseconds=1)
DAY = timedelta(days=1)
BERLIN_24X7 = {"timezone": "Europe/Berlin", "hours": "24x7"}
OFFICE = {"timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}, "years": [2024, 2025]}


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def months_later(config: object, start: datetime, months: int) -> datetime:
    return Calendar.from_config(config).add_months(start, months)


# -- parsing --------------------------------------------------------------------------------------


def test_mo_is_a_month_and_m_a_minute() -> None:
    month, minute = parse_duration("1mo", (), allow_months=True), parse_duration("1m", ())
    assert ((1, timedelta(0)), (0, timedelta(minutes=1))) == (
        (month.months, month.delta),
        (minute.months, minute.delta),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1mo2d", "calendar months cannot be mixed with other units in '1mo2d'"),
        ("1mo1mo", "calendar months cannot be mixed with other units in '1mo1mo'"),
        ("0mo", "duration must be positive, got '0mo'"),
        ("1201mo", "duration '1201mo' is longer than escalate accepts (1200 months)"),
        ("1y", "expected a duration like '30m', '4h', '1h30m', '2d', '3bd' or '1mo', got '1y'"),
        ("1month", "expected a duration like '30m', '4h', '1h30m', '2d', '3bd' or '1mo', got "),
    ],
    ids=["mixed with days", "given twice", "zero", "over a hundred years", "years", "a word"],
)
def test_a_malformed_month_duration_is_an_error(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_duration(text, ("within",), allow_months=True)
    assert caught.value.message.startswith(message)


def test_a_hundred_years_of_months_is_accepted() -> None:
    assert MAX_MONTHS == parse_duration(f"{MAX_MONTHS}mo", (), allow_months=True).months


def test_months_are_refused_where_a_duration_is_plain_elapsed_time() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_duration("1mo", ("ack_timeout",))
    assert caught.value.message.startswith(
        "calendar months ('mo') are not allowed here: a month has no fixed length"
    )


# -- Calendar.add_months --------------------------------------------------------------------------


def test_january_31_plus_a_month_is_february_29_in_a_leap_year() -> None:
    assert berlin(2024, 2, 29, 10) == months_later(BERLIN_24X7, berlin(2024, 1, 31, 10), 1)


def test_january_31_plus_a_month_is_february_28_in_other_years() -> None:
    assert berlin(2023, 2, 28, 10) == months_later(BERLIN_24X7, berlin(2023, 1, 31, 10), 1)


def test_february_29_plus_twelve_months_is_february_28() -> None:
    assert berlin(2025, 2, 28, 10) == months_later(BERLIN_24X7, berlin(2024, 2, 29, 10), 12)


def test_the_day_is_not_carried_on_from_a_short_month() -> None:
    # relativedelta adds the months at once: Jan 31 + 2 months is March 31, not March 29.
    assert berlin(2024, 3, 31, 10) == months_later(BERLIN_24X7, berlin(2024, 1, 31, 10), 2)


def test_a_month_keeps_the_wall_time_across_the_spring_switch() -> None:
    start, due = berlin(2024, 3, 15, 10), berlin(2024, 4, 15, 10)
    assert (due, timedelta(days=31) - timedelta(hours=1)) == (
        months_later(BERLIN_24X7, start, 1),
        due - start.astimezone(UTC),
    )


def test_month_end_in_berlin_across_the_autumn_switch() -> None:
    # August 31 23:30 summer time to October 31 23:30 winter time: 61 days and an hour.
    due = months_later(BERLIN_24X7, berlin(2024, 8, 31, 23, 30), 2)
    assert (datetime(2024, 10, 31, 22, 30, tzinfo=UTC), due.tzinfo) == (due, UTC)


def test_a_due_wall_time_in_the_spring_gap_moves_to_the_end_of_the_gap() -> None:
    assert datetime(2024, 3, 31, 1, tzinfo=UTC) == months_later(
        BERLIN_24X7, berlin(2024, 1, 31, 2, 30), 2
    )


def test_a_due_wall_time_in_the_repeated_hour_is_its_first_occurrence() -> None:
    assert datetime(2024, 10, 27, 0, 30, tzinfo=UTC) == months_later(
        BERLIN_24X7, berlin(2024, 9, 27, 2, 30), 1
    )


def test_months_run_between_dates_of_the_calendars_zone() -> None:
    # Berlin's 1 March 00:30 is still 29 February in UTC: a month later is 1 April in Berlin
    # and 29 March in UTC.
    start = berlin(2024, 3, 1, 0, 30)
    assert (berlin(2024, 4, 1, 0, 30), datetime(2024, 3, 29, 23, 30, tzinfo=UTC)) == (
        months_later(BERLIN_24X7, start, 1),
        months_later("24x7", start, 1),
    )


def test_opening_hours_do_not_move_a_month() -> None:
    # 2024-06-08 is a Saturday; a month later is Monday 8 July at the same (closed) wall time.
    assert berlin(2024, 7, 8, 20) == months_later(OFFICE, berlin(2024, 6, 8, 20), 1)


def test_negative_months_count_backwards() -> None:
    assert berlin(2024, 2, 29, 10) == months_later(BERLIN_24X7, berlin(2024, 3, 31, 10), -1)


def test_months_past_the_calendars_years_are_a_range_error() -> None:
    with pytest.raises(CalendarRangeError):
        months_later(OFFICE, berlin(2025, 12, 15, 10), 1)


def test_months_past_the_last_year_datetime_holds_are_a_range_error() -> None:
    with pytest.raises(CalendarRangeError):
        months_later("24x7", datetime(9999, 12, 1, tzinfo=UTC), 1)


def test_months_must_be_an_int() -> None:
    with pytest.raises(ArgumentError):
        months_later(BERLIN_24X7, berlin(2024, 1, 31), True)


@st.composite
def month_starts(draw: st.DrawFn, scenario: Scenario) -> tuple[datetime, int]:
    """A number of months and a start instant that many months before a wall time near the
    scenario's anchor (often a DST switch day), so that due wall times fall into gaps and
    repeated hours."""
    months = draw(st.integers(-3, 3))
    ref = ReferenceCalendar(scenario.config)
    switches = ref.transitions(scenario.anchor - timedelta(days=1), scenario.anchor + DAY * 2)
    if switches and draw(st.integers(0, 3)):  # mostly, when there is a switch
        # A wall time the switch skips or repeats: between the readings just before and at it.
        switch = draw(st.sampled_from(switches))
        before, after = ref.wall(switch - ONE_US) + ONE_US, ref.wall(switch)
        low, high = min(before, after), max(before, after)
        due_wall = low + (high - low) * draw(st.sampled_from((0, 1, 2, 3))) / 4
    else:
        day = scenario.anchor.date() + timedelta(days=draw(st.integers(-1, 1)))
        due_wall = datetime.combine(
            day, time(draw(st.integers(0, 23)), draw(st.sampled_from((0, 15, 30, 59))))
        )
    return ref.first_instant_at(due_wall - relativedelta(months=months)), months


@PROPERTY
@given(st.data())
def test_add_months_is_relativedelta_on_the_wall_clock(data: st.DataObject) -> None:
    # The reference resolves the wall time on its own (zoneinfo readings, gap ends).
    scenario = data.draw(middle_scenarios())
    start, months = data.draw(month_starts(scenario))
    cal, ref = Calendar.from_config(scenario.config), ReferenceCalendar(scenario.config)
    due = answered(lambda: cal.add_months(start, months))
    wall = ref.wall(start) + relativedelta(months=months)
    assert ref.first_instant_at(wall) == due


# -- clocks ---------------------------------------------------------------------------------------

# A NIS2 final report: one month after the incident notification, on Brussels dates.
FINAL_REPORT = """
calendars:
  brussels-24x7: {timezone: Europe/Brussels, hours: 24x7}
  office: {timezone: Europe/Brussels, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2025]}
clocks:
  final-report:
    type: regulatory
    pause: {status: [awaiting-user-info]}
    stop: {status: [resolved, closed]}
    targets:
      P1: {within: 1mo, calendar: brussels-24x7}
      P2: {within: 1mo, calendar: office}
"""


def test_a_one_month_clock_breaches_on_the_same_day_next_month() -> None:
    tkt = ticket("2024-01-31T16:00:00+01:00")
    state = policy(FINAL_REPORT).evaluate(tkt, now=utc("2024-02-01T00:00:00+00:00"))
    clock = state.clock("final-report")
    assert ("1mo", utc("2024-02-29T16:00:00+01:00"), timedelta(days=29)) == (
        clock.target_text,
        clock.breach_at,
        clock.target,
    )


def test_a_pause_pushes_a_month_clock_back_by_its_length() -> None:
    tkt = ticket(
        "2024-01-31T16:00:00+01:00",
        event("2024-02-05T16:00:00+01:00", "status-changed", status="awaiting-user-info"),
        event("2024-02-07T16:00:00+01:00", "status-changed", status="in-progress"),
    )
    state = policy(FINAL_REPORT).evaluate(tkt, now=utc("2024-02-10T00:00:00+00:00"))
    assert utc("2024-03-02T16:00:00+01:00") == state.clock("final-report").breach_at


def test_a_month_on_an_office_calendar_is_the_working_time_until_the_same_date() -> None:
    # Wednesday 31 January 10:00 to Thursday 29 February 10:00: 7 hours that Wednesday, 20
    # working days of 8 hours up to 28 February and one hour on the 29th; with no pause the
    # clock breaches at the due instant itself.
    tkt = ticket("2024-01-31T10:00:00+01:00", priority="P2")
    clock = policy(FINAL_REPORT).evaluate(tkt, now=utc("2024-02-01T00:00:00+00:00"))
    state = clock.clock("final-report")
    assert (timedelta(hours=7 + 20 * 8 + 1), utc("2024-02-29T10:00:00+01:00")) == (
        state.target,
        state.breach_at,
    )


def test_a_month_on_an_office_calendar_due_at_night_breaches_at_the_last_closing() -> None:
    # Due on Friday 1 March at 20:00, when the office is closed: the working time runs out at
    # 17:00 that day, before the regulator's date rather than after it.
    tkt = ticket("2024-02-01T20:00:00+01:00", priority="P2")
    clock = policy(FINAL_REPORT).evaluate(tkt, now=utc("2024-02-02T00:00:00+00:00"))
    assert utc("2024-03-01T17:00:00+01:00") == clock.clock("final-report").breach_at


def test_a_month_target_appears_in_the_decision_as_written() -> None:
    tkt = ticket("2024-01-31T16:00:00+01:00")
    decision = policy(FINAL_REPORT).evaluate(tkt, now=utc("2024-02-01T00:00:00+00:00"))
    clock = next(c for c in decision.to_dict()["clocks"] if c["name"] == "final-report")
    assert ("1mo", "brussels-24x7", iso(utc("2024-02-29T16:00:00+01:00"))) == (
        clock["target"],
        clock["calendar"],
        clock["breach_at"],
    )


def test_a_scoped_month_clock_runs_only_for_the_tickets_it_covers() -> None:
    body = """
custom_fields: {nis2_significant: boolean}
calendars:
  brussels-24x7: {timezone: Europe/Brussels, hours: 24x7}
clocks:
  final-report:
    type: regulatory
    when: {fields.nis2_significant: true}
    stop: {status: [closed]}
    targets: {default: {within: 1mo, calendar: brussels-24x7}}
"""
    now = utc("2024-02-01T00:00:00+00:00")
    significant = ticket("2024-01-31T16:00:00+01:00", fields={"nis2_significant": True})
    other = ticket("2024-01-31T16:00:00+01:00", fields={"nis2_significant": False})
    decisions = [policy(body).evaluate(t, now=now) for t in (significant, other)]
    assert ([utc("2024-02-29T16:00:00+01:00")], []) == tuple(
        [c.breach_at for c in d.clocks.values()] for d in decisions
    )


@PROPERTY
@given(st.data())
def test_a_month_clock_without_pauses_breaches_at_the_last_working_instant_before_the_date(
    data: st.DataObject,
) -> None:
    # Reference: the due wall time by relativedelta, then the end of the last working time
    # up to it, both answered by the brute-force calendar.
    scenario = data.draw(middle_scenarios())
    start, months = data.draw(month_starts(scenario))
    months = abs(months) or 1
    ref = ReferenceCalendar(scenario.config)
    due = ref.first_instant_at(ref.wall(start) + relativedelta(months=months))
    compiled = policy(
        "calendars:\n  c: " + flow_yaml(scenario.config) + "\nclocks:\n  x:\n"
        "    stop: {status: resolved}\n"
        f"    targets: {{default: {{within: {months}mo, calendar: c}}}}\n"
    )
    state = answered(lambda: compiled.evaluate(ticket(start.isoformat()), now=start)).clock("x")
    expected = ref.subtract(due, timedelta(0)) if ref.elapsed(start, due) else None
    assert expected == state.breach_at


def flow_yaml(config: object) -> str:
    """A calendar configuration as flow-style YAML (JSON is YAML; dates as ISO text)."""

    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        return value

    return json.dumps(plain(config), default=str)


# -- level timers ---------------------------------------------------------------------------------

LEVELS = """
calendars:
  berlin-24x7: {timezone: Europe/Berlin, hours: 24x7}
paths:
  regulator:
    kind: vertical
    levels:
      - {name: team, targets: ["team:desk"], after: 1mo, calendar: berlin-24x7}
      - {name: board, targets: ["role:owner"]}
"""


def test_a_level_moves_on_a_calendar_month_after_entry() -> None:
    tkt = ticket("2024-01-31T10:00:00+01:00")
    path = policy(LEVELS).evaluate(tkt, now=utc("2024-02-01T00:00:00+00:00")).path("regulator")
    assert utc("2024-02-29T10:00:00+01:00") == path.next_move_at


def test_months_on_a_level_without_a_calendar_are_an_error() -> None:
    with pytest.raises(PolicyError) as caught:
        policy(LEVELS.replace(", calendar: berlin-24x7", ""))
    assert (
        "calendar months ('1mo') need the level's 'calendar': its time zone says which dates "
        "a month runs between",
        ("paths", "regulator", "levels", 0, "calendar"),
    ) == (caught.value.message, caught.value.path)


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("ack_timeout: 1mo", ("paths", "regulator", "levels", 0, "ack_timeout")),
        ("ack_within: 1mo", ("paths", "regulator", "levels", 0, "ack_within")),
    ],
    ids=["ack_timeout", "ack_within"],
)
def test_months_in_a_wall_time_level_key_are_an_error(key: str, path: tuple[object, ...]) -> None:
    with pytest.raises(PolicyError) as caught:
        policy(LEVELS.replace("calendar: berlin-24x7", f"calendar: berlin-24x7, {key}"))
    assert (True, path) == (
        caught.value.message.startswith("calendar months ('mo') are not allowed here"),
        caught.value.path,
    )


def test_months_in_resolve_within_are_passed_through() -> None:
    compiled = policy(LEVELS.replace("after: 1mo,", "after: 1mo, resolve_within: 3mo,"))
    (path,) = compiled.paths
    assert "3mo" == path.levels[0].resolve_within


# -- other places a duration stands ---------------------------------------------------------------


def test_months_in_a_postmortem_deadline_are_an_error() -> None:
    body = FINAL_REPORT + "    ladder:\n      - {at: 100%, require_postmortem: {within: 1mo}}\n"
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert (
        "calendar months ('mo') are not allowed here: a month has no fixed length and this "
        "duration is counted as plain elapsed time; write days like '30d', got '1mo'",
        ("clocks", "final-report", "ladder", 0, "require_postmortem", "within"),
    ) == (caught.value.message, caught.value.path)


def test_months_as_an_elapsed_operand_of_a_condition_are_an_error() -> None:
    body = FINAL_REPORT + (
        "rules:\n"
        "  - id: late-report\n"
        "    when: {clock.final-report.elapsed: {gte: 1mo}}\n"
        "    then: {notify: {to: ['role:owner']}}\n"
    )
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert caught.value.message.startswith(
        "calendar months ('mo') are not allowed here: a month has no fixed length"
    )


def test_a_month_clock_loads_from_text_with_its_line_and_column_in_errors() -> None:
    text = yaml_text(FINAL_REPORT.replace("P2: {within: 1mo", "P2: {within: 1mo2h"))
    with pytest.raises(PolicyError) as caught:
        policy(FINAL_REPORT.replace("P2: {within: 1mo", "P2: {within: 1mo2h"))
    line = text.splitlines().index(next(x for x in text.splitlines() if "1mo2h" in x)) + 1
    assert ("p.yaml", line) == caught.value.source[:2]
