"""The shared exact statistics (escalate/_stats): percentiles' shares, zones, one share format."""

from __future__ import annotations

from datetime import UTC, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from escalate import _stats
from escalate._stats import nearest_rank, percent_text
from escalate.errors import ArgumentError


@pytest.mark.parametrize("share", [Fraction(0), Fraction(-1, 2), Fraction(11, 10), 0.5])
def test_a_percentile_share_outside_zero_to_one_is_refused(share: object) -> None:
    # review defect 23: above 1 raised IndexError, 0 or below silently gave the minimum
    with pytest.raises(ArgumentError, match="greater than 0 and at most 1"):
        nearest_rank([timedelta(minutes=1), timedelta(minutes=2)], share)  # type: ignore[arg-type]


def test_the_whole_share_is_the_largest_value() -> None:
    assert 3 == nearest_rank([3, 1, 2], Fraction(1))
    assert nearest_rank([], Fraction(1, 2)) is None


def test_one_way_to_write_a_share() -> None:
    assert ("40.00%", "2.50") == (percent_text(Fraction(2, 5)), _stats.ratio_text(Fraction(5, 2)))
    assert "0.01%" == percent_text(Fraction(1, 10_000))  # rounded half to even, 2 decimals


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Europe/Berlin", ZoneInfo("Europe/Berlin")), (UTC, UTC), (ZoneInfo("UTC"), ZoneInfo("UTC"))],
)
def test_a_zone_is_a_name_or_a_tzinfo(zone: object, expected: object) -> None:
    assert expected == _stats.zone_of(zone)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../etc/passwd", "", None, 1])
def test_anything_else_is_not_a_zone(zone: object) -> None:
    with pytest.raises(ArgumentError, match="zone"):
        _stats.zone_of(zone)
