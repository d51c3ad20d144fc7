from datetime import UTC, datetime, timedelta

import pytest

from escalate import Calendar, NaiveDatetimeError

OFFICE = {"timezone": "Europe/Berlin", "hours": {"mon-fri": ["09:00-17:00"]}}


def test_a_working_day_has_eight_hours() -> None:
    cal = Calendar.from_config(OFFICE)
    start = datetime(2024, 6, 3, 0, tzinfo=UTC)
    assert cal.elapsed(start, start + timedelta(days=1)) == timedelta(hours=8)


def test_naive_datetimes_are_rejected() -> None:
    cal = Calendar.from_config(OFFICE)
    with pytest.raises(NaiveDatetimeError):
        cal.elapsed(datetime(2024, 6, 3), datetime(2024, 6, 4, tzinfo=UTC))
