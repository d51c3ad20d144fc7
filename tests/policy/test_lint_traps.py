"""The lint traps that silently break SLAs, each found in a fixture policy
(tests/policy/lint_fixtures/), and the cases each must leave alone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from escalate import Finding, lint, load
from tests.policy_helpers import policy

FIXTURES = Path(__file__).parent / "lint_fixtures"
AS_OF = datetime(2024, 11, 20, 15, 0, tzinfo=UTC)


def found(name: str, *codes: str, as_of: datetime | None = None) -> list[tuple[str, str, int]]:
    """(where, code, line) of the fixture's findings with these codes."""
    return [
        (f.path, f.code, f.source[1] if f.source else 0)
        for f in lint(load(FIXTURES / name), as_of=as_of)
        if f.code in codes
    ]


def codes(body: str) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in lint(policy(body))]


# -- clocks: start, pause, stop ------------------------------------------------------------------


def test_a_clock_that_starts_in_a_status_that_pauses_it_is_found() -> None:
    assert [("clocks.vendor.start", "start-paused", 6)] == found(
        "start-paused.yaml", "start-paused"
    )


def test_a_clock_started_by_one_status_of_several_pause_statuses_is_still_found() -> None:
    body = """
    clocks:
      c:
        start: {status: [on-hold, awaiting-vendor]}
        pause: {status: [on-hold, awaiting-vendor, awaiting-user-info]}
        stop: {category: resolved}
        new_cycle_on: [reopened]
        targets: {default: {within: 1h}}
    """
    assert [("clocks.c.start", "start-paused")] == codes(body)


def test_a_clock_that_may_also_start_in_a_running_status_is_not_start_paused() -> None:
    body = """
    clocks:
      c:
        start: [{status: on-hold}, {event: created}]
        pause: {status: on-hold}
        stop: {category: resolved}
        new_cycle_on: [reopened]
        targets: {default: {within: 1h}}
    """
    assert [] == codes(body)


def test_a_clock_whose_start_status_is_also_a_stop_status_never_attaches() -> None:
    assert [("clocks.work.start", "start-within-stop", 7)] == found(
        "start-within-stop.yaml", "start-within-stop"
    )


def test_start_within_stop_is_an_error() -> None:
    (finding,) = [
        f for f in lint(load(FIXTURES / "start-within-stop.yaml")) if f.severity == "error"
    ]
    assert "start-within-stop" == finding.code


def test_a_stop_on_an_event_with_a_status_does_not_cover_a_start_on_the_event_alone() -> None:
    # The stop fires only when the acknowledgement also enters 'resolved'; the start always.
    body = """
    clocks:
      c:
        start: {event: acknowledged}
        stop: {event: acknowledged, category: resolved}
        new_cycle_on: [reopened]
        targets: {default: {within: 1h}}
    """
    assert [] == [c for c in codes(body) if c[1] == "start-within-stop"]


def test_a_stop_on_any_event_entering_the_start_status_covers_it() -> None:
    body = """
    clocks:
      c:
        start: {event: status-changed, status: in-progress}
        stop: {status: [in-progress, assigned]}
        new_cycle_on: [status-changed]
        targets: {default: {within: 1h}}
    """
    assert [("clocks.c.start", "start-within-stop")] == codes(body)


def test_a_clock_that_stops_on_a_reopenable_status_without_a_new_cycle_is_found() -> None:
    assert [
        ("clocks.resolution.stop", "stop-without-new-cycle", 8),
        ("clocks.waiting.stop", "stop-without-new-cycle", 12),
    ] == found("stop-without-new-cycle.yaml", "stop-without-new-cycle")


def test_the_stop_on_an_open_status_suggests_a_pause() -> None:
    (finding,) = [
        f
        for f in lint(load(FIXTURES / "stop-without-new-cycle.yaml"))
        if f.where[:2] == ("clocks", "waiting")
    ]
    assert "did you mean 'pause'?" in finding.message


def test_a_stop_on_closed_or_cancelled_needs_no_new_cycle() -> None:
    body = """
    clocks:
      c:
        stop: {category: [closed, cancelled]}
        targets: {default: {within: 1h}}
    """
    assert [] == codes(body)


# -- unreachable rules, definitions, levels ------------------------------------------------------


def test_rules_whose_conditions_contradict_each_other_are_found() -> None:
    assert [
        ("rules.p1-and-p2.when", "unreachable-rule", 6),
        ("rules.in-and-not-in.when", "unreachable-rule", 10),
    ] == found("unreachable-rule.yaml", "unreachable-rule")


def test_a_contradiction_between_two_branches_of_any_is_not_reported() -> None:
    assert [] == [f for f in lint(load(FIXTURES / "unreachable-rule.yaml")) if "either" in f.path]


def test_a_priority_equal_to_one_of_the_listed_ones_is_reachable() -> None:
    body = """
    rules:
      - id: r
        when: {priority: P1, all: [{priority: {in: [P1, P2]}}]}
        then: {notify: {to: [assignee]}}
        rationale: reachable
    """
    assert [] == codes(body)


def test_a_scoped_definition_that_contradicts_itself_is_found() -> None:
    body = """
    clocks:
      c:
        stop: {category: closed}
        targets: {default: {within: 4h}}
        definitions:
          - {id: never, when: {all: [{customer.tier: gold}, {customer.tier: silver}]},
             targets: {P1: {within: 1h}}}
    """
    assert [("clocks.c.definitions[0].when", "unreachable-definition")] == codes(body)


def test_a_level_that_nothing_moves_the_path_to_is_found() -> None:
    assert [("paths.desk.levels[1]", "unreachable-level", 10)] == found(
        "unreachable-level.yaml", "unreachable-level"
    )


def test_a_level_reached_by_a_clock_rung_is_reachable() -> None:
    body = """
    clocks:
      c:
        stop: {category: closed}
        targets: {default: {within: 4h}}
        ladder:
          - {at: 100%, escalate: {path: desk, to: L2}}
    paths:
      desk:
        kind: vertical
        starts: on-open
        levels:
          - {name: L1, targets: ["team:a"]}
          - {name: L2, targets: ["team:b"]}
    """
    assert [] == [c for c in codes(body) if c[1] == "unreachable-level"]


def test_the_level_after_an_unreached_level_with_after_is_unreached_too() -> None:
    body = """
    paths:
      desk:
        kind: vertical
        starts: on-open
        levels:
          - {name: L1, targets: ["team:a"]}
          - {name: L2, targets: ["team:b"], after: 1h}
          - {name: L3, targets: ["team:b"]}
    """
    assert [
        ("paths.desk.levels[1]", "unreachable-level"),
        ("paths.desk.levels[2]", "unreachable-level"),
    ] == [c for c in codes(body) if c[1] == "unreachable-level"]


# Soundness: ``unreachable-rule`` is reported exactly when no value of the field satisfies the
# conjunction (brute force over every priority the policy knows).
PRIORITIES = ("P1", "P2", "P3")
_part = st.one_of(
    st.tuples(st.just("eq"), st.sampled_from(PRIORITIES)),
    st.tuples(st.sampled_from(["in", "not_in"]), st.sets(st.sampled_from(PRIORITIES), min_size=1)),
    st.tuples(st.just("ne"), st.sampled_from(PRIORITIES)),
)


def _holds(part: tuple[str, object], value: str) -> bool:
    op, operand = part
    return {
        "eq": value == operand,
        "ne": value != operand,
        "in": value in operand,  # type: ignore[operator]
        "not_in": value not in operand,  # type: ignore[operator]
    }[op]


def _yaml(part: tuple[str, object]) -> str:
    op, operand = part
    if isinstance(operand, set | frozenset):
        return f"{{priority: {{{op}: [{', '.join(sorted(operand))}]}}}}"
    return f"{{priority: {{{op}: {operand}}}}}"


@given(st.lists(_part, min_size=1, max_size=4))
def test_a_rule_is_unreachable_exactly_when_no_priority_satisfies_its_conjunction(
    parts: list[tuple[str, object]],
) -> None:
    body = f"""
    terminology:
      priority: {{P1: [], P2: [], P3: []}}
    rules:
      - id: r
        when: {{all: [{", ".join(_yaml(p) for p in parts)}]}}
        then: {{notify: {{to: [assignee]}}}}
        rationale: generated
    """
    satisfiable = any(all(_holds(p, v) for p in parts) for v in PRIORITIES)
    has_positive = any(op in ("eq", "in") for op, _ in parts)
    reported = ("rules.r.when", "unreachable-rule") in codes(body)
    # Sound: never reported when some priority matches; complete for eq/in (ne/not_in alone
    # cannot be decided without knowing every value a field may take).
    assert reported == (not satisfiable and has_positive)


# -- calendars -----------------------------------------------------------------------------------


def test_a_calendar_year_without_working_time_is_found() -> None:
    assert [("calendars.stock-take", "calendar-closed-year", 6)] == found(
        "calendar-closed-year.yaml", "calendar-closed-year"
    )


def test_a_calendar_whose_years_end_within_a_year_of_as_of_is_found() -> None:
    before = found(
        "calendar-closed-year.yaml", "calendar-ends", as_of=datetime(2025, 12, 1, tzinfo=UTC)
    )
    after = found(
        "calendar-closed-year.yaml", "calendar-ends", as_of=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert ([], [("calendars.stock-take", "calendar-ends", 6)]) == (before, after)


def test_calendar_ends_is_only_judged_with_as_of() -> None:
    assert [] == found("calendar-closed-year.yaml", "calendar-ends")


# -- unused entries ------------------------------------------------------------------------------


def test_unused_calendars_and_unreachable_paths_are_found() -> None:
    assert [
        ("calendars.office", "unused-calendar", 5),
        ("paths.vendor", "unreachable-path", 7),
    ] == found("unused.yaml", "unused-calendar", "unreachable-path")


def test_a_person_nothing_names_is_found_and_backups_and_managers_count_as_names() -> None:
    assert [("directory.people.zoe", "unused-person", 9)] == found(
        "unused-person.yaml", "unused-person"
    )


def test_a_person_named_only_by_a_segment_is_not_unused() -> None:
    body = """
    directory:
      people:
        ann: {channels: {email: a}}
        uma: {channels: {email: u}}
    rules:
      - id: r
        when: {priority: P1}
        then: {notify: {to: ["person:ann"]}}
        rationale: base
    segments:
      - id: uk
        when: {region: uk}
        precedence: 1
        add:
          rules:
            - id: uk-rule
              when: {priority: P1}
              then: {notify: {to: ["person:uma"]}}
              rationale: the UK desk
    """
    assert [] == [c for c in codes(body) if c[1] == "unused-person"]


# -- rungs ---------------------------------------------------------------------------------------


def test_rungs_out_of_order_keep_their_code() -> None:
    assert [("clocks.response.ladder[1]", "rungs-out-of-order", 12)] == found(
        "rungs-out-of-order.yaml", "rungs-out-of-order"
    )


def test_a_rung_notifying_a_schedule_while_nobody_is_on_call_is_found() -> None:
    (finding,) = [
        f
        for f in lint(load(FIXTURES / "notify-off-hours.yaml"), as_of=AS_OF)
        if f.code == "notify-off-hours"
    ]
    assert (
        ("clocks", "around-the-clock", "ladder", 0),
        27,
        "the rung notifies schedule 'office-hours', which has nobody on call from "
        "2024-11-20T17:00:00+00:00 to 2024-11-21T09:00:00+00:00 while calendar '24x7' is open: "
        "a rung falling due then reaches nobody",
    ) == (finding.where, finding.source[1] if finding.source else 0, finding.message)


def test_notify_off_hours_needs_as_of() -> None:
    assert [] == found("notify-off-hours.yaml", "notify-off-hours")


# -- every fixture -------------------------------------------------------------------------------


def test_every_fixture_trips_a_finding_and_each_finding_names_its_fixture_file() -> None:
    for path in sorted(FIXTURES.glob("*.yaml")):
        findings: tuple[Finding, ...] = lint(load(path), as_of=AS_OF)
        assert findings, path.name
        assert {str(path)} == {f.source[0] for f in findings if f.source}, path.name


def test_every_trap_code_has_a_fixture_that_trips_it() -> None:
    traps = {
        "start-paused",
        "start-within-stop",
        "stop-without-new-cycle",
        "unreachable-rule",
        "unreachable-level",
        "rungs-out-of-order",
        "calendar-closed-year",
        "unused-calendar",
        "unreachable-path",
        "unused-person",
        "notify-off-hours",
        "ack-after-move",
        "rung-drops-actions",
    }
    tripped = set(
        itertools.chain.from_iterable(
            (f.code for f in lint(load(p), as_of=AS_OF)) for p in FIXTURES.glob("*.yaml")
        )
    )
    assert set() == traps - tripped
