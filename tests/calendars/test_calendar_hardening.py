"""Regression tests for hostile calendar, duration and percentage configuration (issue #8).

Each bad value is a :class:`~escalate.errors.PolicyError` naming where it stands, never a
foreign exception, a silent reading (``'٤h'`` as four hours) nor a failure at evaluation.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from escalate import Calendar, PolicyError
from escalate.calendars._durations import parse_duration, parse_percent


@pytest.mark.parametrize("text", ["\u0664h", "1\u0660m", "\uff14h", "\u09ea\u09e6m", "\U0001d7dah"])
def test_a_duration_in_non_ascii_digits_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="expected a duration"):
        parse_duration(text, ("within",))


@pytest.mark.parametrize("text", ["\u0667\u0665%", "7\u0665%", "\uff17\uff15%"])
def test_a_percentage_in_non_ascii_digits_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="expected a percentage"):
        parse_percent(text, ("at",))


@pytest.mark.parametrize(
    "text",
    [
        "1" * 5000 + "%",
        "1." + "1" * 5000 + "%",
        "75.1234567%",
        "1000.5%",
        "00001%",
        "nan%",
        "inf%",
        "1e3%",
        "0%",
        "0.0000001%",
    ],
)
def test_a_percentage_with_too_many_digits_or_out_of_range_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="expected a percentage"):
        parse_percent(text, ("at",))


def test_the_largest_percentage_with_six_decimals_reads_exactly() -> None:
    assert Fraction(999_999_999, 10**8) == parse_percent("999.999999%", ())
    assert Fraction(10) == parse_percent("1000%", ())
    assert Fraction(1, 10**8) == parse_percent("0.000001%", ())


def _calendar(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}}
    config.update(changes)
    return config


def test_calendar_hours_with_a_non_ascii_digit_are_a_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"hours\.mon-fri"):
        Calendar.from_config(_calendar(hours={"mon-fri": ["\u0660\u0669:00-17:00"]}))
