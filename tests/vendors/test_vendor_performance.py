"""Vendor performance over the three example tickets (examples/vendors/tickets), hand-worked:

* INC-V1 (Nov 20, P1, san/storage): responded after 1h10m of a 30m target (breached), still
  unresolved at the report instant (no resolution time), 300.00 + 1000.00 (capped) accrued;
* INC-V2 (Nov 25, P3, san/storage): responded after 30m, resolved after 8h of working time,
  nothing accrued; a recurrence (the same service and category 5 days after INC-V1);
* INC-V3 (Dec 2, P1, nas/storage): responded after 45m (15m late: one started 15m unit,
  100.00), resolved after 3h of a 4h target.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from escalate import load
from escalate.cli import main
from escalate.engine.decision import Decision
from escalate.governance.vendors import nearest_rank, period_of, vendor_performance

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "vendors"
AT = datetime(2024, 12, 5, tzinfo=UTC)


def decisions() -> list[Decision]:
    policy = load(EXAMPLES / "policy.yaml")
    tickets = [json.loads(p.read_text()) for p in sorted((EXAMPLES / "tickets").glob("*.json"))]
    return [policy.evaluate(t, now=AT) for t in tickets]


def test_performance_per_vendor_and_month() -> None:
    assert [
        {
            "vendor": "acme",
            "period": "2024-11",
            "engagements": 2,
            "response_median": "30m",
            "response_p90": "1h10m",
            "resolution_median": "8h",
            "resolution_p90": "8h",
            "breaches": 1,
            "breach_rate": "50.00%",
            # INC-V1 breached both clocks: one engagement in breaches, one in each clock's
            "response_breaches": 1,
            "response_breach_rate": "50.00%",
            "resolution_breaches": 1,
            "resolution_breach_rate": "50.00%",
            "recurrences": 1,
            "penalties": {"EUR": "1300.00"},
        },
        {
            "vendor": "acme",
            "period": "2024-12",
            "engagements": 1,
            "response_median": "45m",
            "response_p90": "45m",
            "resolution_median": "3h",
            "resolution_p90": "3h",
            "breaches": 1,
            "breach_rate": "100.00%",
            "response_breaches": 1,  # INC-V3: 45m of 30m
            "response_breach_rate": "100.00%",
            "resolution_breaches": 0,  # 3h of 4h
            "resolution_breach_rate": "0.00%",
            "recurrences": 0,
            "penalties": {"EUR": "100.00"},
        },
    ] == [row.to_dict() for row in vendor_performance(decisions())]


def test_a_quarter_holds_both_months_and_the_breach_rate_is_exact() -> None:
    (row,) = vendor_performance(decisions(), period="quarter")
    assert ("2024-Q4", 3, Fraction(2, 3), "66.67%", "45m") == (
        row.period,
        row.engagements,
        row.breach_rate,
        row.to_dict()["breach_rate"],
        row.to_dict()["response_median"],
    )


def test_breaches_count_engagements_and_each_clock_is_counted_apart() -> None:
    """Over the quarter: INC-V1 breached both clocks, INC-V3 its response only. Two
    engagements breached (V1 once, not twice); two response breaches, one resolution breach."""
    (row,) = vendor_performance(decisions(), period="quarter")
    assert (row.breaches, row.response_breaches, row.resolution_breaches) == (2, 2, 1)
    assert (row.response_breach_rate, row.resolution_breach_rate) == (
        Fraction(2, 3),
        Fraction(1, 3),
    )
    d = row.to_dict()
    assert (d["response_breach_rate"], d["resolution_breach_rate"]) == ("66.67%", "33.33%")


def test_the_cli_text_shows_each_clock_s_breach_rate(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["vendors", "--policy", str(EXAMPLES / "policy.yaml")]
    argv += ["--tickets", str(EXAMPLES / "tickets"), "--at", "2024-12-05T00:00:00+00:00"]
    assert main(argv) == 0
    header, nov, dec, _total = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "vendor", "period", "engaged", "resp", "p50", "resp", "p90", "resol", "p50", "resol",
        "p90", "breach", "resp", "br", "resol", "br", "recur", "penalties",
    ]  # fmt: skip
    assert nov.split()[7:10] == ["50.00%", "50.00%", "50.00%"]
    assert dec.split()[7:10] == ["100.00%", "100.00%", "0.00%"]


def test_a_shorter_recurrence_window_finds_no_recurrence() -> None:
    rows = vendor_performance(decisions(), recurrence_window=timedelta(days=4))
    assert [0, 0] == [row.recurrences for row in rows]


def test_the_report_does_not_depend_on_the_order_of_the_decisions() -> None:
    found = decisions()
    shuffled = list(found)
    random.Random(7).shuffle(shuffled)
    assert vendor_performance(found, period="year") == vendor_performance(shuffled, period="year")


@pytest.mark.parametrize(
    ("zone", "expected"), [(UTC, "2024-12"), (ZoneInfo("Europe/Berlin"), "2025-01")]
)
def test_periods_are_cut_in_the_stated_zone(zone: object, expected: str) -> None:
    assert expected == period_of(datetime(2024, 12, 31, 23, 30, tzinfo=UTC), "month", zone)  # type: ignore[arg-type]


NEAREST = [
    # n values 1..n minutes: median rank ceil(n/2), p90 rank ceil(0.9 n)
    (1, 1, 1),
    (2, 1, 2),
    (10, 5, 9),
    (11, 6, 10),
    (20, 10, 18),
]


@pytest.mark.parametrize(("n", "median", "p90"), NEAREST)
def test_percentiles_are_nearest_rank(n: int, median: int, p90: int) -> None:
    values = [timedelta(minutes=m) for m in range(n, 0, -1)]
    assert (timedelta(minutes=median), timedelta(minutes=p90)) == (
        nearest_rank(values, Fraction(1, 2)),
        nearest_rank(values, Fraction(9, 10)),
    )


def test_the_cli_prints_the_report_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "vendors",
            "--policy",
            str(EXAMPLES / "policy.yaml"),
            "--tickets",
            str(EXAMPLES / "tickets"),
            "--at",
            "2024-12-05T00:00:00+00:00",
            "--period",
            "quarter",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert (0, 3, ["2024-Q4"], {"EUR": "1400.00"}) == (
        code,
        out["tickets"],
        [row["period"] for row in out["vendors"]],
        out["vendors"][0]["penalties"],
    )


def test_the_cli_refuses_a_policy_without_vendors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policy: p\nversion: 1\n")
    argv = ["vendors", "--policy", str(policy), "--tickets", str(EXAMPLES / "tickets")]
    code = main([*argv, "--at", "2024-12-05T00:00:00+00:00"])
    assert (
        2,
        "escalate: error: --policy: policy 'p' declares no vendors: (see docs/vendors.md)\n",
    ) == (
        code,
        capsys.readouterr().err,
    )


def test_a_ticket_the_vendor_calendar_cannot_measure_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The example vendor calendar covers 2024-2025: one stale ticket stops the report, and
    # the error says which one (found by the new-user trial).
    argv = ["vendors", "--policy", str(EXAMPLES / "policy.yaml")]
    argv += ["--tickets", str(EXAMPLES / "tickets"), "--at", "2027-01-05T10:00:00+00:00"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"escalate: error: {EXAMPLES / 'tickets'}")
    assert ".json: " in err and "acme-hours" in err
