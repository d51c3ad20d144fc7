"""KPIs over the hand-worked corpus (tests/learning/corpus.py): every instant and statistic
below is worked from the ticket histories there, not read back from the code."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import load, loads
from escalate._stats import nearest_rank
from escalate.errors import ArgumentError
from escalate.learning.kpis import Stats, TicketFacts, decision_facts, facts_of, kpis, ticket_facts

from .corpus import NOW, POLICY, TICKETS

H, M = timedelta(hours=1), timedelta(minutes=1)
FACTS = ticket_facts(POLICY, TICKETS, now=NOW)


def by_id() -> dict[str, TicketFacts]:
    return {f.ticket_id: f for f in FACTS}


def test_per_ticket_instants_counters_and_breaches() -> None:
    f = by_id()
    t2, t3, t4 = f["T2"], f["T3"], f["T4"]
    assert (datetime(2024, 3, 4, 12, 30, tzinfo=UTC), datetime(2024, 3, 4, 15, tzinfo=UTC)) == (
        t2.acknowledged_at,
        t2.resolved_at,
    )
    assert (("desk/L2", datetime(2024, 3, 4, 11, tzinfo=UTC)),) == t2.escalations
    assert (("desk/L1", H), ("desk/L2", 4 * H)) == t2.time_at_level
    assert (1, 0, "network") == (t2.reassignment_count, t2.reopen_count, t2.team)
    # T3: the first acknowledgement and the first resolution, one reopen, both cycles' time
    assert (datetime(2024, 3, 5, 9, 30, tzinfo=UTC), datetime(2024, 3, 5, 11, tzinfo=UTC)) == (
        t3.acknowledged_at,
        t3.resolved_at,
    )
    assert (1, (), (("desk/L1", 4 * H),)) == (t3.reopen_count, t3.escalations, t3.time_at_level)
    assert [(1, (("desk/L1", 2 * H),)), (2, (("desk/L1", 2 * H),))] == [
        (c.number, c.time_at_level) for c in t3.cycles
    ]
    assert (None, None) == (t4.acknowledged_at, t4.resolved_at)
    assert (
        ("desk/L2", datetime(2024, 3, 7, 0, 30, tzinfo=UTC)),
        ("desk/L3", datetime(2024, 3, 7, 2, 30, tzinfo=UTC)),
    ) == t4.escalations
    assert (("desk/L1", H), ("desk/L2", 2 * H), ("desk/L3", 69 * H + 30 * M)) == t4.time_at_level
    assert {"T2", "T4"} == {x.ticket_id for x in FACTS if dict(x.breached)["response"]}
    assert {"T2", "T4"} == {x.ticket_id for x in FACTS if dict(x.breached)["resolution"]}
    # the first level of an on-open path is where the ticket starts: not an escalation
    assert () == f["T1"].escalations == f["T5"].escalations


def test_all_tickets_mtta_mttr_mtte_with_nearest_rank_percentiles_and_exact_means() -> None:
    g = kpis(FACTS).group(None)
    assert 5 == g.tickets
    # MTTA: 5m, 10m, 30m, 2h30m (T4 never acknowledged, still open): p50 rank 2, p90/p99 rank 4
    assert (4, 0, 1, 10 * M, 150 * M, 150 * M) == (
        g.mtta.count,
        g.mtta.missing,
        g.mtta.open,
        g.mtta.p50,
        g.mtta.p90,
        g.mtta.p99,
    )
    assert Fraction(195 * 60_000_000, 4) == g.mtta.mean_us  # 48m45s exactly
    assert 48 * M + timedelta(seconds=45) == g.mtta.mean
    # MTTR (resolve, first resolution): 45m, 1h, 2h, 5h; mean 525m / 4 = 2h11m15s
    assert (4, 0, 1, H, 5 * H) == (
        g.mttr.count,
        g.mttr.missing,
        g.mttr.open,
        g.mttr.p50,
        g.mttr.p90,
    )
    assert timedelta(hours=2, minutes=11, seconds=15) == g.mttr.mean
    mtte = dict(g.mtte)
    assert (2, 3, 0, H, H) == (  # T1, T3, T5 ended without L2; T4 is open and has it
        mtte["desk/L2"].count,
        mtte["desk/L2"].missing,
        mtte["desk/L2"].open,
        mtte["desk/L2"].p50,
        mtte["desk/L2"].mean,
    )
    assert (1, 4, 3 * H) == (mtte["desk/L3"].count, mtte["desk/L3"].missing, mtte["desk/L3"].p99)
    assert ["desk/L2", "desk/L3"] == list(mtte)  # L1 is nobody's escalation


def test_breach_rates_reopen_rate_reassignments_and_time_at_level() -> None:
    g = kpis(FACTS).group(None)
    assert (Fraction(2, 5), Fraction(2, 5)) == (
        g.breach_rate("response"),
        g.breach_rate("resolution"),
    )
    assert g.breach_rate("no-such-clock") is None
    # reopened T3 / ever resolved T1, T2, T3, T5 (T4 never was: it cannot have been reopened)
    assert (1, 4, Fraction(1, 4)) == (g.reopened, g.resolved, g.reopen_rate)
    assert (1, 0, 1, 1) == g.reassignments  # counts 0,0,0,0,1: p90 rank ceil(4.5) = 5
    at_level = dict(g.time_at_level)
    # L1: 45m, 1h, 1h, 1h, 4h (T3's two cycles) -> p50 rank 3 = 1h, mean 465m / 5 = 93m
    assert (5, H, 4 * H, 93 * M) == (
        at_level["desk/L1"].count,
        at_level["desk/L1"].p50,
        at_level["desk/L1"].p90,
        at_level["desk/L1"].mean,
    )
    assert (2 * H, 4 * H, 3 * H) == (
        at_level["desk/L2"].p50,
        at_level["desk/L2"].p90,
        at_level["desk/L2"].mean,
    )


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("priority", {"P1": ["T1", "T2", "T5"], "P3": ["T3", "T4"]}),
        ("service", {"db": ["T3", "T4"], "mail": ["T1", "T2", "T5"]}),
        ("category", {"outage": ["T1", "T2"], "slow": ["T3", "T4"], None: ["T5"]}),
        ("team", {"desk": ["T1", "T3", "T5"], "network": ["T2", "T4"]}),
        ("segment", {None: ["T1", "T2", "T3", "T4", "T5"]}),
        ("vendor", {None: ["T1", "T2", "T3", "T4", "T5"]}),
    ],
)
def test_groupings_put_each_ticket_where_it_belongs(
    by: str, expected: dict[str | None, list[str]]
) -> None:
    report = kpis(FACTS, by=by)
    assert list(expected) == [g.key for g in report.groups]  # sorted, None last
    for key, ids in expected.items():
        assert len(ids) == report.group(key).tickets


def test_per_priority_kpis() -> None:
    report = kpis(FACTS, by="priority")
    p1, p3 = report.group("P1"), report.group("P3")
    # P1 MTTA 5m, 10m, 2h30m: p50 rank 2 = 10m; P3 MTTA 30m (T4 open, unacknowledged)
    assert (10 * M, 150 * M, 55 * M) == (p1.mtta.p50, p1.mtta.p90, p1.mtta.mean)
    assert (30 * M, 0, 1) == (p3.mtta.p50, p3.mtta.missing, p3.mtta.open)
    assert (Fraction(1, 3), Fraction(1, 2)) == (
        p1.breach_rate("response"),
        p3.breach_rate("response"),
    )
    # reopened / ever resolved: P1 0/3; P3 T3 / T3 (T4 was never resolved)
    assert (Fraction(0), Fraction(1)) == (p1.reopen_rate, p3.reopen_rate)


def test_a_ticket_engaging_two_vendors_counts_in_both_groups_and_segments_group() -> None:
    f = by_id()
    facts = [
        replace(f["T1"], vendors=("acme", "globex"), segment="emea"),
        replace(f["T2"], vendors=("acme",), segment="emea"),
        replace(f["T3"], segment="apac"),
    ]
    vendors = kpis(facts, by="vendor")
    assert [("acme", 2), ("globex", 1), (None, 1)] == [(g.key, g.tickets) for g in vendors.groups]
    assert Fraction(1, 2) == vendors.group("acme").breach_rate("response")
    segments = kpis(facts, by="segment")
    assert [("apac", 1), ("emea", 2)] == [(g.key, g.tickets) for g in segments.groups]


def test_vendor_grouping_reads_the_engaged_vendors_of_real_decisions() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "vendors"
    policy = load(examples / "policy.yaml")
    tickets = [json.loads(p.read_text()) for p in sorted((examples / "tickets").glob("*.json"))]
    facts = ticket_facts(policy, tickets, now=datetime(2024, 12, 5, tzinfo=UTC))
    assert [("acme", 3)] == [(g.key, g.tickets) for g in kpis(facts, by="vendor").groups]


BERLIN = ZoneInfo("Europe/Berlin")  # CET +1 until Sun 2024-03-31 02:00, then CEST +2


@pytest.mark.parametrize(
    ("period", "zone", "expected"),
    [
        # 03-30 22:30Z = 23:30 CET (same day); 03-31 22:30Z = 04-01 00:30 CEST (next day)
        ("day", BERLIN, ["2024-03-30", "2024-04-01"]),
        ("day", UTC, ["2024-03-30", "2024-03-31"]),
        # Sunday 03-31 is ISO week 13; Monday 04-01 local starts week 14
        ("week", BERLIN, ["2024-W13", "2024-W14"]),
        ("week", UTC, ["2024-W13"]),
        ("month", BERLIN, ["2024-03", "2024-04"]),
        ("month", UTC, ["2024-03"]),
        # "last quarter" and the year, cut in the zone too
        ("quarter", BERLIN, ["2024-Q1", "2024-Q2"]),
        ("quarter", UTC, ["2024-Q1"]),
        ("year", BERLIN, ["2024"]),
    ],
)
def test_periods_are_cut_in_the_stated_zone_across_dst(
    period: str, zone: ZoneInfo, expected: list[str]
) -> None:
    t1 = by_id()["T1"]
    facts = [
        replace(t1, ticket_id="A", opened_at=datetime(2024, 3, 30, 22, 30, tzinfo=UTC)),
        replace(t1, ticket_id="B", opened_at=datetime(2024, 3, 31, 22, 30, tzinfo=UTC)),
    ]
    report = kpis(facts, by="period", period=period, zone=zone)
    assert expected == [g.key for g in report.groups]
    assert (period, str(zone)) == (report.period, report.zone)


def test_nearest_rank_is_the_shared_one_and_never_interpolates() -> None:
    values = [timedelta(minutes=n) for n in range(1, 11)]  # 1..10 minutes
    # p50: rank 5; p90: rank 9; p99: rank ceil(9.9) = 10; interpolation would give 5.5m, 9.1m
    assert [5 * M, 9 * M, 10 * M] == [nearest_rank(values, Fraction(p, 100)) for p in (50, 90, 99)]
    from escalate.governance import vendors

    assert vendors.nearest_rank is nearest_rank  # moved, not copied


def test_shuffled_input_gives_the_same_bytes() -> None:
    expected = json.dumps([kpis(FACTS, by=by).to_dict() for by in ("priority", "team")])
    for seed in range(3):
        shuffled = list(TICKETS)
        random.Random(seed).shuffle(shuffled)
        facts = ticket_facts(POLICY, shuffled, now=NOW)
        random.Random(seed).shuffle(facts)
        assert expected == json.dumps([kpis(facts, by=by).to_dict() for by in ("priority", "team")])


def test_to_dict_is_json_ready_with_exact_shares() -> None:
    d = kpis(FACTS).to_dict()
    g = d["groups"][0]
    assert {"breached": 2, "applicable": 5, "rate": "2/5", "percent": "40.00%"} == g["breaches"][
        "response"
    ]
    assert {"count": 4, "missing": 0, "open": 1, "mean": "48m45s", "mean_us": "2925000000",
            "p50": "10m", "p90": "2h30m", "p99": "2h30m"} == g["mtta"]  # fmt: skip
    assert ("1/4", "25.00%") == (g["reopen_rate"], g["reopen_percent"])
    json.dumps(d)


@pytest.mark.parametrize(
    ("kwargs", "word"), [({"by": "colour"}, "grouping"), ({"period": "hour"}, "period")]
)
def test_unknown_grouping_or_period_is_an_argument_error(kwargs: dict[str, str], word: str) -> None:
    with pytest.raises(ArgumentError, match=word):
        kpis(FACTS, **kwargs)  # type: ignore[arg-type]


SEGMENTED = loads(
    """
policy: seg
version: 1
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 1h}
      - {name: L2, targets: ["team:second-line"]}
segments:
  - id: emea
    when: {region: emea}
    precedence: 10
    paths:
      desk:
        kind: vertical
        levels:
          - {name: first, targets: ["team:desk"], after: 30m}
          - {name: second, targets: ["team:second-line"]}
"""
)


def test_a_segment_names_its_own_levels_and_groups_its_tickets() -> None:
    # both opened 08:00, never acknowledged: the base moves to L2 at 09:00, EMEA to second 08:30
    tickets = [
        {"id": "A", "opened_at": "2024-03-04T08:00:00Z", "events": []},
        {"id": "B", "opened_at": "2024-03-04T08:00:00Z", "region": "emea", "events": []},
    ]
    facts = ticket_facts(SEGMENTED, tickets, now=datetime(2024, 3, 4, 10, tzinfo=UTC))
    assert [
        ("A", None, (("desk/L2", datetime(2024, 3, 4, 9, tzinfo=UTC)),)),
        ("B", "emea", (("desk/second", datetime(2024, 3, 4, 8, 30, tzinfo=UTC)),)),
    ] == [(f.ticket_id, f.segment, f.escalations) for f in facts]
    report = kpis(facts, by="segment")
    assert [("emea", ["desk/second"]), (None, ["desk/L2"])] == [
        (g.key, [level for level, _ in g.mtte]) for g in report.groups
    ]


def test_facts_from_decisions_are_the_facts_from_tickets() -> None:
    decisions = list(POLICY.evaluate_many(TICKETS, now=NOW))
    assert FACTS == decision_facts(reversed(decisions), POLICY)
    # a decision is read as of its own instant: T2 with the history known at 10:45
    t2 = {**TICKETS[1], "events": TICKETS[1]["events"][:2]}
    early = facts_of(POLICY.evaluate(t2, now=datetime(2024, 3, 4, 10, 45, tzinfo=UTC)), POLICY)
    assert (None, None, ()) == (early.acknowledged_at, early.resolved_at, early.escalations)
    assert (("desk/L1", 45 * M),) == early.time_at_level


def test_ticket_facts_serialise_to_json() -> None:
    assert {
        "ticket": "T4",
        "opened_at": "2024-03-06T23:30:00+00:00",
        "evaluated_at": "2024-03-10T00:00:00+00:00",
        "priority": "P3",
        "segment": None,
        "service": "db",
        "category": "slow",
        "team": "network",
        "vendors": [],
        "open": True,
        "ended_at": None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
        "reopen_count": 0,
        "reassignment_count": 0,
        "escalations": {
            "desk/L2": "2024-03-07T00:30:00+00:00",
            "desk/L3": "2024-03-07T02:30:00+00:00",
        },
        "escalated_after": {"desk/L2": "1h", "desk/L3": "3h"},
        "first_escalated_at": "2024-03-07T00:30:00+00:00",
        "first_escalation_after": "1h",
        "time_at_level": {"desk/L1": "1h", "desk/L2": "2h", "desk/L3": "2d21h30m"},
        "breached": {"resolution": True, "response": True},
        "cycles": [
            {
                "number": 1,
                "started_at": "2024-03-06T23:30:00+00:00",
                "closed_at": "2024-03-10T00:00:00+00:00",
                "ended_at": None,
                "resolved_at": None,
                "acknowledged_at": None,
                "acknowledged_by": None,
                "escalations": {
                    "desk/L2": "2024-03-07T00:30:00+00:00",
                    "desk/L3": "2024-03-07T02:30:00+00:00",
                },
                "time_at_level": {"desk/L1": "1h", "desk/L2": "2h", "desk/L3": "2d21h30m"},
                "breached": {"resolution": True, "response": True},
            }
        ],
    } == json.loads(json.dumps(by_id()["T4"].to_dict()))


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=40))
@settings(max_examples=100, deadline=None)
def test_stats_are_measured_values_in_order_and_the_mean_is_exact(us: list[int]) -> None:
    values = [timedelta(microseconds=n) for n in us]
    s = Stats.of(values)
    assert s.p50 is not None and s.p90 is not None and s.p99 is not None
    assert min(values) <= s.p50 <= s.p90 <= s.p99 <= max(values)
    assert {s.p50, s.p90, s.p99} <= set(values)
    assert s.mean_us is not None and s.mean_us * len(us) == sum(us)
