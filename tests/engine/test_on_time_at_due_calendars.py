"""``on_time_at_due`` counts "the first instant after the deadline" in real time: with a
working-hours calendar (and no ``by``) that instant would only come at the next opening, and
a stop hours after the deadline would read as on time, so such a target is refused at load
(found by the final review of issue 14)."""

from __future__ import annotations

import pytest

from escalate import Calendar, PolicyError, loads

POLICY = """
policy: p
version: 1
calendars:
  office: {{timezone: Europe/Berlin, hours: {{mon-fri: ["09:00-17:00"]}}, years: [2024, 2025]}}
  brussels: {{timezone: Europe/Brussels, hours: 24x7}}
clocks:
  reply:
    stop: {{status: [resolved]}}
    targets:
      default: {{within: 8h, calendar: {calendar}, on_time_at_due: true{by}}}
"""


def test_on_time_at_due_on_working_hours_without_by_is_refused_naming_the_key() -> None:
    with pytest.raises(PolicyError) as caught:
        loads(POLICY.format(calendar="office", by=""))
    error = caught.value
    assert ("clocks", "reply", "targets", "default", "on_time_at_due") == tuple(error.path)
    assert "round the clock" in str(error) and "'office'" in str(error)


@pytest.mark.parametrize(
    ("calendar", "by", "within"),
    [("brussels", "", "8h"), ("24x7", "", "8h"), ("office", ', by: "17:00"', "1bd")],
)
def test_on_time_at_due_with_real_time_or_a_by_deadline_loads(
    calendar: str, by: str, within: str
) -> None:
    text = POLICY.format(calendar=calendar, by=by).replace("within: 8h", f"within: {within}")
    assert loads(text).clocks[0].name == "reply"


def test_a_calendar_says_whether_it_is_open_round_the_clock() -> None:
    always = Calendar.from_config({"timezone": "Europe/Brussels", "hours": "24x7"})
    holidays = Calendar.from_config(
        {"timezone": "UTC", "hours": "24x7", "holidays": {"country": "DE", "years": [2024, 2025]}}
    )
    weekdays = Calendar.from_config(
        {"timezone": "UTC", "hours": {"mon-fri": ["00:00-24:00"]}, "years": [2024, 2024]}
    )
    assert (True, False, False) == (
        always.round_the_clock,
        holidays.round_the_clock,
        weekdays.round_the_clock,
    )
