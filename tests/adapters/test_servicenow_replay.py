"""escalate.replay: a ServiceNow log replayed through a policy, with hand-checked summaries.

The fixture log (``fixtures/servicenow/logs/three-incidents.csv``) and its policy
(``policy.yaml`` beside it: a 4 h P3 resolution clock warning at 50 % and at breach, a path
from L1 to L2 two hours after opening) are small enough to follow by hand; the README there
walks through every evaluation.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import escalate
from escalate import Policy
from escalate.adapters.servicenow import (
    UCI_LOG_MAPPING,
    LogReading,
    Replay,
    read_log,
    replay,
)
from escalate.adapters.servicenow._replay import _Feed
from escalate.engine.decision import Decision
from escalate.engine.ticket import Event
from escalate.errors import ArgumentError

LOGS = Path(__file__).parent / "fixtures" / "servicenow" / "logs"
POLICY = LOGS / "policy.yaml"
LOG = LOGS / "three-incidents.csv"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2016, 3, day, hour, minute, tzinfo=UTC)


def reading(path: Path = LOG) -> LogReading:
    with path.open(encoding="utf-8", newline="") as stream:
        return read_log(csv.DictReader(stream), UCI_LOG_MAPPING)


def policy(text: str | None = None) -> Policy:
    return escalate.loads(text if text is not None else POLICY.read_text(encoding="utf-8"))


def summary(result: Replay) -> dict[str, Any]:
    found = result.to_dict()
    del found["policy"]["hash"]
    return found


# -- the hand-checked summary ---------------------------------------------------------------------

#: INC1 opens 09:00 and is closed the next day: evaluated at its four rows and woken once at
#: 11:00 (50 % and L2 due together, on time); resolved at 12:00, before the 13:00 breach.
#: INC2 opens 09:00 but its first row is 12:00: the 11:00 warning and L2 are seen at 12:00,
#: an hour late and before the first row; woken at the 13:00 breach; Group A -> B -> A; never
#: closed: replayed up to its last row. INC3's first row (08:55) is before it opened
#: (clamped to 09:00, reported); it is resolved at 09:30, closed at 10:00, and the row that
#: comes after its closure is not replayed.
EXPECTED: dict[str, Any] = {
    "format": 1,
    "policy": {"id": "replay-fixture", "version": "1"},
    "clock": "resolution",
    "rows": 11,
    "incidents": {"total": 3, "closed": 2, "open": 1, "stopped": 0},
    "evaluations": {"total": 12, "at_updates": 10, "at_wake_ups": 2},
    "escalations": {"level_entries": 5, "by_path": {"desk": {"L1": 3, "L2": 2}}},
    "breaches": {
        "by_priority": {
            "P3": {
                "both": 1,
                "ours_only": 0,
                "log_only": 0,
                "neither": 2,
                "unknown": 0,
                "agreement": "100.00",
            }
        },
        "total": {
            "both": 1,
            "ours_only": 0,
            "log_only": 0,
            "neither": 2,
            "unknown": 0,
            "agreement": "100.00",
        },
    },
    "ping_pong": {
        "count": 1,
        "cases": [{"number": "INC2", "groups": ["Group A", "Group B", "Group A"]}],
    },
    "first_escalation": {
        "incidents": 2,
        "without": 1,
        "min": "2h",
        "p50": "2h",
        "p90": "2h",
        "p99": "2h",
        "max": "2h",
    },
    "actions": 5,
    "late_actions": {
        "count": 2,
        "before_first_row": 2,
        "lateness": {"min": "1h", "p50": "1h", "p90": "1h", "p99": "1h", "max": "1h"},
    },
    "duplicate_actions": {"count": 0, "cases": []},
    "anomalies": {
        "count": 1,
        "by_kind": {"before-opened": 1},
        "cases": [
            {
                "number": "INC3",
                "line": 9,
                "kind": "before-opened",
                "rule": "clamp",
                "value": "2/3/2016 08:55",
                "detail": "updated before opened_at '2/3/2016 09:00': read as opened_at, ahead "
                "of the rows updated after it",
            }
        ],
    },
    "counters": {"used": "servicenow", "disagree": 1, "disagreeing": ["INC1"]},
    "findings": [],
}


def test_the_fixture_log_replays_to_its_hand_checked_summary() -> None:
    assert EXPECTED == summary(replay(policy(), reading()))


def test_escalate_replay_is_the_adapters_replay() -> None:
    assert escalate.replay is replay


def test_each_incident_is_evaluated_at_its_rows_and_at_the_wake_ups_between_them() -> None:
    result = replay(policy(), reading())
    assert [("INC1", 4, 1), ("INC2", 3, 1), ("INC3", 3, 0)] == [
        (i.number, i.evaluations, i.wake_ups) for i in result.incidents
    ]


def test_the_replay_stops_at_the_first_closed_state() -> None:
    inc3 = replay(policy(), reading()).incidents[2]
    assert (True, at(2, 10), 3) == (inc3.closed, inc3.last_at, inc3.evaluations)


def test_an_incident_never_closed_is_replayed_up_to_its_last_row_and_counted_open() -> None:
    inc2 = replay(policy(), reading()).incidents[1]
    assert (False, at(1, 15), None) == (inc2.closed, inc2.last_at, inc2.finding)


def test_an_action_due_before_the_first_row_is_late_by_the_time_to_that_row() -> None:
    inc2 = replay(policy(), reading()).incidents[1]
    assert [
        ("INC2:clock:resolution#1@0:notify0", at(1, 11), at(1, 12), timedelta(hours=1), True),
        ("INC2:path:desk:1:0:L2", at(1, 11), at(1, 12), timedelta(hours=1), True),
    ] == sorted(
        (a.action_id, a.due_at, a.seen_at, a.lateness, a.before_first_row) for a in inc2.late
    )


def test_a_breach_seen_at_a_wake_up_counts_as_ours() -> None:
    inc2 = replay(policy(), reading()).incidents[1]
    assert (True, False, "P3") == (inc2.breached, inc2.made_sla, inc2.priority)


def test_level_entries_are_listed_in_time_order() -> None:
    inc1 = replay(policy(), reading()).incidents[0]
    assert [("desk", "L1", 1, at(1, 9)), ("desk", "L2", 1, at(1, 11))] == [
        (e.path, e.level, e.cycle, e.entered_at) for e in inc1.levels
    ]


def test_incidents_given_without_their_reading_replay_the_same_with_no_row_count() -> None:
    log = reading()
    from_reading = summary(replay(policy(), log))
    from_incidents = summary(replay(policy(), list(log.incidents)))
    assert {**from_reading, "rows": None} == from_incidents


def test_the_summary_is_the_same_bytes_every_time() -> None:
    assert replay(policy(), reading()).to_json() == replay(policy(), reading()).to_json()


def test_progress_is_reported_after_each_incident() -> None:
    seen: list[int] = []
    replay(policy(), reading(), progress=seen.append)
    assert [1, 2, 3] == seen


# -- actions fed back, and duplicates -------------------------------------------------------------


def test_every_due_action_is_fed_back_as_done_so_none_is_emitted_twice() -> None:
    result = replay(policy(), reading())
    assert (0, 5) == (result.duplicates, sum(i.actions for i in result.incidents))


def test_an_action_emitted_again_after_it_was_done_would_be_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A caller that forgets what it did: the done events never reach the ticket.
    original = _Feed.decide

    def forgetful(self: _Feed, count: int, done: Sequence[Event], at: datetime) -> Decision:
        return original(self, count, (), at)

    monkeypatch.setattr(_Feed, "decide", forgetful)
    found = replay(policy(), reading()).to_dict()["duplicate_actions"]
    # INC1: what was due at 11:00 is missed, not due, once resolved at 12:00. INC2: L2, due
    # from 12:00, again at 13:00, 14:00 and 15:00; the breach warning, due from 13:00 (the
    # ladder's top rung: the 50 % one is superseded), again at 14:00 and 15:00.
    assert 5 == found["count"]
    assert [
        ("INC2", "INC2:clock:resolution#1@1:notify0", "2016-03-01T14:00:00+00:00"),
        ("INC2", "INC2:clock:resolution#1@1:notify0", "2016-03-01T15:00:00+00:00"),
        ("INC2", "INC2:path:desk:1:0:L2", "2016-03-01T13:00:00+00:00"),
        ("INC2", "INC2:path:desk:1:0:L2", "2016-03-01T14:00:00+00:00"),
        ("INC2", "INC2:path:desk:1:0:L2", "2016-03-01T15:00:00+00:00"),
    ] == sorted((case["number"], case["action_id"], case["at"]) for case in found["cases"])
    assert {"due-after-done"} == {case["why"] for case in found["cases"]}


# -- incidents that stop early --------------------------------------------------------------------


def test_an_incident_beyond_the_step_cap_stops_and_is_reported() -> None:
    # INC1 needs five evaluations (four rows, one wake-up); the others four and three.
    result = replay(policy(), reading(), max_steps=4)
    inc1 = result.incidents[0]
    assert (3, 1, False) == (inc1.evaluations, inc1.wake_ups, inc1.closed)
    assert [("INC1", "step-cap", at(2, 12))] == [(f.number, f.kind, f.at) for f in result.findings]
    assert {"total": 3, "closed": 1, "open": 1, "stopped": 1} == result.to_dict()["incidents"]


def test_a_ticket_the_policy_refuses_stops_that_incident_only() -> None:
    text = POLICY.read_text(encoding="utf-8").replace(
        "active: {category: in-progress, aliases: [Active]}", "working: {category: in-progress}"
    )
    result = replay(policy(text), reading())
    assert [("INC1", "refused"), ("INC2", "refused")] == [
        (f.number, f.kind) for f in result.findings
    ]
    assert "unknown status" in result.findings[0].detail
    assert (True, None) == (result.incidents[2].closed, result.incidents[2].finding)


def test_a_wake_up_that_does_not_move_forward_stops_the_incident_instead_of_looping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decide = _Feed.decide

    class Stuck:
        def __init__(self, decision: object, now: datetime) -> None:
            self._decision = decision
            self.next_evaluation_at = now

        def __getattr__(self, name: str) -> object:
            return getattr(self._decision, name)

    def stuck(self: _Feed, count: int, done: Sequence[Event], at: datetime) -> Any:
        return Stuck(decide(self, count, done, at), at)

    monkeypatch.setattr(_Feed, "decide", stuck)
    result = replay(policy(), reading())
    assert [("INC1", 1), ("INC2", 1), ("INC3", 1)] == [
        (i.number, i.evaluations) for i in result.incidents
    ]
    assert {"wake-up-not-after"} == {f.kind for f in result.findings}


# -- arguments ------------------------------------------------------------------------------------


def test_the_clock_compared_with_made_sla_can_be_named() -> None:
    assert "resolution" == replay(policy(), reading(), clock="resolution").clock


def test_an_unknown_clock_is_an_argument_error_naming_the_known_ones() -> None:
    with pytest.raises(ArgumentError) as caught:
        replay(policy(), reading(), clock="response")
    assert "policy 'replay-fixture' has no clock 'response' (it has: resolution)" == str(
        caught.value
    )


def test_a_policy_without_a_resolution_clock_must_name_one() -> None:
    text = POLICY.read_text(encoding="utf-8").replace("type: resolution", "type: response")
    with pytest.raises(ArgumentError, match="no clock of type resolution"):
        replay(policy(text), reading())


def test_max_steps_must_be_a_positive_int() -> None:
    with pytest.raises(ArgumentError, match="max_steps must be a positive int"):
        replay(policy(), reading(), max_steps=0)


# -- level entries --------------------------------------------------------------------------------

#: A ping-pong rule (two reassignments) starting a path whose L1 lasts an hour. At 11:00 the
#: second reassignment starts the path; at 14:00 the count says 3 while the history shows two
#: hand-offs, so the second is now seen at 10:00: the same run, started an hour earlier.
MOVED_START_LOG = """\
number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,opened_at,\
sys_updated_by,sys_updated_at,priority,assignment_group
INC1,New,true,0,0,0,true,1/3/2016 09:00,Updated by 1,1/3/2016 09:00,3 - Moderate,Group A
INC1,Active,true,1,0,1,true,1/3/2016 09:00,Updated by 1,1/3/2016 10:00,3 - Moderate,Group B
INC1,Active,true,2,0,2,true,1/3/2016 09:00,Updated by 1,1/3/2016 11:00,3 - Moderate,Group C
INC1,Active,true,3,0,3,true,1/3/2016 09:00,Updated by 1,1/3/2016 14:00,3 - Moderate,?
"""


def ping_pong_policy(when: str = "{reassignment_count: {gte: 2}}") -> Policy:
    text = POLICY.read_text(encoding="utf-8")
    text = text.replace(
        "paths:\n  desk:\n    kind: vertical\n",
        "rules:\n  - id: ping-pong\n"
        f"    when: {when}\n"
        "    then: {escalate: {path: desk, to: L1}}\n"
        "paths:\n  desk:\n    kind: vertical\n    starts: on-trigger\n",
    ).replace("after: 2h", "after: 1h")
    return policy(text)


def test_a_row_that_moves_a_runs_start_earlier_moves_its_entries_and_adds_none() -> None:
    log = read_log(csv.DictReader(MOVED_START_LOG.splitlines()), UCI_LOG_MAPPING)
    result = replay(ping_pong_policy(), log)
    assert [("desk", "L1", 1, at(1, 10)), ("desk", "L2", 1, at(1, 11))] == [
        (e.path, e.level, e.cycle, e.entered_at) for e in result.incidents[0].levels
    ]
    assert {"level_entries": 2, "by_path": {"desk": {"L1": 1, "L2": 1}}} == result.to_dict()[
        "escalations"
    ]


#: A path that runs while Group B holds the incident: from 10:00 to 12:00, and again from
#: 13:00 (a new run: its history starts again).
TWO_RUNS_LOG = """\
number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,opened_at,\
sys_updated_by,sys_updated_at,priority,assignment_group
INC1,New,true,0,0,0,true,1/3/2016 09:00,Updated by 1,1/3/2016 09:00,3 - Moderate,Group A
INC1,Active,true,1,0,1,true,1/3/2016 09:00,Updated by 1,1/3/2016 10:00,3 - Moderate,Group B
INC1,Active,true,2,0,2,true,1/3/2016 09:00,Updated by 1,1/3/2016 12:00,3 - Moderate,Group A
INC1,Active,true,3,0,3,true,1/3/2016 09:00,Updated by 1,1/3/2016 13:00,3 - Moderate,Group B
INC1,Active,true,3,0,4,true,1/3/2016 09:00,Updated by 1,1/3/2016 16:00,3 - Moderate,Group B
"""


def test_each_run_of_a_path_counts_its_own_entries() -> None:
    text = POLICY.read_text(encoding="utf-8").replace(
        "    kind: vertical\n", "    kind: vertical\n    when: {assignment_group: Group B}\n"
    )
    log = read_log(csv.DictReader(TWO_RUNS_LOG.splitlines()), UCI_LOG_MAPPING)
    found = [(e.level, e.entered_at) for e in replay(policy(text), log).incidents[0].levels]
    # L1 at 10:00 (L2 would be due at 12:00, when Group A took it back); again at 13:00, L2 at
    # 15:00. Both runs are in the history's first place: each counts.
    assert [("L1", at(1, 10)), ("L1", at(1, 13)), ("L2", at(1, 15))] == found


# -- counters -------------------------------------------------------------------------------------


def test_the_counters_used_are_the_mappings_choice_as_one_name() -> None:
    derived = dataclasses.replace(UCI_LOG_MAPPING, counters="derived")
    with LOG.open(encoding="utf-8", newline="") as stream:
        log = read_log(csv.DictReader(stream), derived)
    assert ("servicenow", "derived", None) == (
        replay(policy(), reading()).counters_used,
        replay(policy(), log).counters_used,
        replay(policy(), ()).counters_used,
    )


def test_incidents_read_with_different_counters_are_refused() -> None:
    derived = dataclasses.replace(UCI_LOG_MAPPING, counters="derived")
    with LOG.open(encoding="utf-8", newline="") as stream:
        other = read_log(csv.DictReader(stream), derived).incidents[1]
    with pytest.raises(ArgumentError) as caught:
        replay(policy(), [reading().incidents[0], other])
    assert (
        "incident 1 (INC2) carries the derived counters, the ones before it the servicenow "
        "ones; replay the incidents of one mapping's counters at a time" == str(caught.value)
    )
