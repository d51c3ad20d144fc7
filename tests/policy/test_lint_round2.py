"""Round-2 lint traps and load-error reporting: a backup page the path moves past
(``ack-after-move``), a ladder rung that withdraws a notification (``rung-drops-actions``),
time-based ignores under ``--strict``, ``calendar-ends`` dates, every independent load error in
one run, and hints for YAML's mapping-for-a-string and string-for-a-list slips."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate import PolicyError, PolicyErrors, lint, load
from escalate.cli import main
from escalate.errors import render_path
from escalate.policy.loader import loads
from tests.engine.test_oncall_evaluate import desk, evaluate
from tests.policy_helpers import HEADER, policy

FIXTURES = Path(__file__).parent / "lint_fixtures"
PACK = Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml"
AS_OF = datetime(2024, 11, 20, 15, 0, tzinfo=UTC)


def found(name: str, code: str) -> list[tuple[str, int]]:
    """(where, line) of the fixture's findings with ``code``."""
    return [
        (f.path, f.source[1] if f.source else 0)
        for f in lint(load(FIXTURES / name))
        if f.code == code
    ]


def line_of(path: Path, text: str, after: str = "") -> int:
    """The 1-based line of the first ``text`` at or after the first line holding ``after``."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines[start:], start) if text in line) + 1


def pack_codes(code: str) -> list[str]:
    return [f.path for f in lint(load(PACK), as_of=AS_OF) if f.code == code]


# -- ack-after-move ------------------------------------------------------------------------------


def test_the_engine_sends_no_unanswered_page_when_the_path_moves_at_that_instant() -> None:
    # the premise of ack-after-move: L2 is left at 10:45, when its 15m ack_within lapses
    moved = evaluate(desk(", after: 15m, ack_within: 15m"), "2024-11-20T10:45:00+00:00")
    sooner = evaluate(desk(", after: 15m, ack_within: 14m"), "2024-11-20T10:44:00+00:00")
    unack = "T1:path:desk:1:0:L2:unacknowledged"
    assert (False, True) == (
        unack in [a.id for a in moved.actions],
        unack in [a.id for a in sooner.actions],
    )


def test_an_ack_within_as_long_as_after_is_found() -> None:
    path = FIXTURES / "ack-after-move.yaml"
    assert [("paths.after-hours.levels[0].ack_within", line_of(path, "ack_within: 15m"))] == found(
        "ack-after-move.yaml", "ack-after-move"
    )


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("after: 30m, ack_within: 45m", "", ["paths.desk.levels[0].ack_within"]),
        ("after: 30m, ack_within: 29m", "", []),
        ("after: 1bd, ack_within: 45m", "", []),  # business days: not compared
        ("after: 10m", "at: 1h, ack_within: 45m", []),  # the last level is never left
    ],
)
def test_ack_after_move_compares_ack_within_with_the_levels_own_after(
    first: str, second: str, expected: list[str]
) -> None:
    body = f"""
    calendars:
      office: {{timezone: UTC, hours: {{mon-fri: ["08:00-17:00"]}}, years: [2024, 2025]}}
    paths:
      desk:
        kind: vertical
        starts: on-trigger
        levels:
          - {{name: L1, targets: ["team:desk"], calendar: office, {first}}}
          - {{name: L2, targets: ["team:desk"], {second}}}
    rules:
      - {{id: r, when: {{priority: P1}}, then: {{escalate: {{path: desk, to: L1}}}}, rationale: x}}
    """
    assert expected == [f.path for f in lint(policy(body)) if f.code == "ack-after-move"]


def test_the_last_level_is_found_only_when_the_path_repeats() -> None:
    def body(repeat: int) -> str:
        return f"""
        paths:
          desk:
            kind: vertical
            starts: on-trigger
            repeat: {repeat}
            levels:
              - {{name: L1, targets: ["team:desk"], after: 10m}}
              - {{name: L2, targets: ["team:desk"], after: 10m, ack_within: 10m}}
        rules:
          - id: r
            when: {{priority: P1}}
            then: {{escalate: {{path: desk, to: L1}}}}
            rationale: x
        """

    (finding,) = [f for f in lint(policy(body(1))) if f.code == "ack-after-move"]
    assert "in every round but the last" in finding.message
    assert [] == [f for f in lint(policy(body(0))) if f.code == "ack-after-move"]


def test_the_shipped_pack_pages_after_hours_backups_before_moving_on() -> None:
    assert [] == pack_codes("ack-after-move")


# -- rung-drops-actions --------------------------------------------------------------------------


def test_a_rung_that_only_escalates_above_a_notifying_rung_is_found() -> None:
    path = FIXTURES / "rung-drops-actions.yaml"
    ((where, line),) = found("rung-drops-actions.yaml", "rung-drops-actions")
    assert ("clocks.resolution.ladder[1]", line_of(path, "at: 100%", after="resolution:")) == (
        where,
        line,
    )


def test_rung_drops_actions_says_what_is_withdrawn_and_what_to_do() -> None:
    (finding,) = [
        f
        for f in lint(load(FIXTURES / "rung-drops-actions.yaml"))
        if f.code == "rung-drops-actions"
    ]
    assert ("warning", True, True) == (
        finding.severity,
        "withdraws rung 0's notify" in finding.message,
        "repeat the notify on this rung" in finding.message,
    )


def test_the_breach_of_such_a_ladder_leaves_nothing_due_when_the_path_is_there() -> None:
    # the premise: at 100% the 75% notification is superseded and the escalation is a no-op
    compiled = load(FIXTURES / "rung-drops-actions.yaml")
    ticket = {"id": "T1", "opened_at": "2024-11-20T08:00:00+00:00", "priority": "P3"}
    at_75 = compiled.evaluate(ticket, now=datetime(2024, 11, 20, 14, 0, tzinfo=UTC))
    at_breach = compiled.evaluate(ticket, now=datetime(2024, 11, 20, 16, 0, tzinfo=UTC))
    notified = [a.kind for a in at_75.actions if a.source.startswith("clock:resolution")]
    later = [a.kind for a in at_breach.actions if a.source.startswith("clock:resolution")]
    assert ("notify" in notified, "notify" in later) == (True, False)


def test_moves_above_moves_or_below_notifications_are_not_found() -> None:
    body = """
    clocks:
      c:
        start: {event: created}
        stop: {category: resolved}
        new_cycle_on: [reopened]
        targets: {default: {within: 8h}}
        ladder:
          - {at: 25%, escalate: {path: desk, to: L2}}
          - {at: 50%, escalate: {path: desk, to: L3}}
          - {at: 75%, notify: {to: [assignee]}}
    paths:
      desk:
        kind: vertical
        levels:
          - {name: L1, targets: ["team:desk"]}
          - {name: L2, targets: ["team:desk"]}
          - {name: L3, targets: ["team:desk"]}
    """
    assert [] == [f for f in lint(policy(body)) if f.code == "rung-drops-actions"]


def test_the_shipped_pack_repeats_its_notifications_on_moving_rungs() -> None:
    assert [] == pack_codes("rung-drops-actions")


def test_the_shipped_packs_former_after_hours_ack_within_is_found() -> None:
    # the pack had ack_within 15m with after 15m on the after-hours on-call level
    text = PACK.read_text().replace("ack_within: 10m ", "ack_within: 15m ")
    compiled = loads(text, filename=str(PACK))
    assert ["paths.after-hours.levels[0].ack_within"] == [
        f.path for f in lint(compiled, as_of=AS_OF) if f.code == "ack-after-move"
    ]


# -- load errors: every independent stage, in document order -------------------------------------

LOAD_FIXTURES = Path(__file__).parent / "load_fixtures"
IGNORE_FIXTURES = Path(__file__).parent / "ignore_fixtures"


def load_problems(path: Path) -> list[tuple[str, int]]:
    """(key path, line) of each problem of a policy that does not load, in the order given."""
    with pytest.raises(PolicyError) as caught:
        load(path)
    error = caught.value
    errors = error.errors if isinstance(error, PolicyErrors) else (error,)
    return [(render_path(e.path), e.source[1] if e.source else 0) for e in errors]


def test_a_clock_and_a_path_problem_do_not_hide_a_rules_misspelt_field() -> None:
    path = LOAD_FIXTURES / "independent-mistakes.yaml"
    assert [
        ("rules[0].when.status_categry", line_of(path, "status_categry")),
        ("clocks.response.targets.default.calendar", line_of(path, "calendar: ofice")),
        ("paths.desk.levels[0].targets[0]", line_of(path, "team:dsek")),
    ] == load_problems(path)


def test_a_rule_escalating_to_a_path_with_a_problem_is_not_reported_again() -> None:
    text = (LOAD_FIXTURES / "independent-mistakes.yaml").read_text()
    without_rule_typo = text.replace("status_categry", "status_category")
    with pytest.raises(PolicyErrors) as caught:
        loads(without_rule_typo, filename="p.yaml")
    assert ["clocks", "paths"] == [e.path[0] for e in caught.value.errors]


def test_terminology_and_calendar_problems_are_reported_together() -> None:
    body = """
    terminology:
      priorty: {P1: [critical]}
    calendars:
      office: {timezone: Mars/Olympus, hours: {mon-fri: ["08:00-17:00"]}, years: [2024, 2025]}
    """
    with pytest.raises(PolicyErrors) as caught:
        policy(body)
    assert [("terminology", "priorty"), ("calendars", "office", "timezone")] == [
        e.path for e in caught.value.errors
    ]


def test_schema_problems_are_reported_in_the_order_they_are_written() -> None:
    path = LOAD_FIXTURES / "schema-mistakes.yaml"
    lines = [line for _, line in load_problems(path)]
    assert (5, sorted(lines)) == (len(lines), lines)


def test_problems_of_several_files_keep_the_order_of_the_files() -> None:
    errors = [
        PolicyError("b", source=("base.yaml", 9, 1)),
        PolicyError("a", source=("child.yaml", 2, 1)),
        PolicyError("c", source=("base.yaml", 3, 1)),
        PolicyError("no position"),
    ]
    assert ["c", "b", "a", "no position"] == [e.message for e in PolicyErrors(errors).errors]


# -- ignores of time-dependent findings ----------------------------------------------------------


@pytest.mark.parametrize(
    "as_of",
    [None, datetime(2024, 11, 20, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)],
)
def test_an_ignore_of_a_time_dependent_finding_is_never_unused(as_of: datetime | None) -> None:
    # calendar-ends is found (and suppressed) on 2025-06-01 only
    assert [] == [f.code for f in lint(load(IGNORE_FIXTURES / "timed-ignore.yaml"), as_of=as_of)]


def test_the_suppressed_finding_is_there_on_the_day_it_is_found() -> None:
    text = (IGNORE_FIXTURES / "timed-ignore.yaml").read_text().split("lint:")[0]
    compiled = loads(text, filename="timed-ignore.yaml")
    june = datetime(2025, 6, 1, tzinfo=UTC)
    assert ["calendar-ends"] == [f.code for f in lint(compiled, as_of=june)]


def test_validate_strict_passes_on_a_day_the_timed_finding_is_not_found() -> None:
    path = str(IGNORE_FIXTURES / "timed-ignore.yaml")
    assert 0 == main(["validate", path, "--as-of", "2024-11-20T00:00:00Z", "--strict"])


def test_an_ignore_of_a_never_validated_contact_is_unused_only_when_contacts_are_checked() -> None:
    body = """
    directory:
      contact_max_age: 90d
      people:
        anna: {validated_at: 2024-11-01}
    rules:
      - {id: r, when: {priority: P1}, then: {notify: {to: [person:anna]}}, rationale: x}
    lint:
      ignore:
        - {code: contact-never-validated, reason: new hires are checked in their first week}
    """
    compiled = policy(body)
    assert ([], ["unused-ignore"]) == (
        [f.code for f in lint(compiled) if f.code == "unused-ignore"],
        [f.code for f in lint(compiled, as_of=AS_OF) if f.code == "unused-ignore"],
    )


# -- calendar-ends -------------------------------------------------------------------------------


def test_calendar_ends_names_the_same_last_day_in_every_zone() -> None:
    body = """
    calendars:
      london: {timezone: UTC, hours: {mon-fri: ["08:00-17:00"]}, years: [2024, 2026]}
      berlin: {timezone: Europe/Berlin, hours: {mon-fri: ["08:00-17:00"]}, years: [2024, 2026]}
      chicago: {timezone: America/Chicago, hours: {mon-fri: ["08:00-17:00"]}, years: [2024, 2026]}
    """
    june = datetime(2026, 6, 1, tzinfo=UTC)
    messages = [f.message for f in lint(policy(body), as_of=june) if f.code == "calendar-ends"]
    assert (
        3,
        {
            "the calendar covers the years 2024-2026, through 2026-12-31 (the last day of its "
            "years, in its zone): a ticket measured on it past then is refused "
            "(CalendarRangeError); extend its years"
        },
    ) == (len(messages), set(messages))


# -- hints for YAML's mapping-for-a-string and string-for-a-list slips ---------------------------


def load_messages(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        loads(HEADER + textwrap.dedent(text), filename="p.yaml")
    error = caught.value
    errors = error.errors if isinstance(error, PolicyErrors) else (error,)
    return [f"{render_path(e.path)}: {e.message}" for e in errors]


def test_the_schema_fixtures_slips_get_their_hints() -> None:
    with pytest.raises(PolicyErrors) as caught:
        load(LOAD_FIXTURES / "schema-mistakes.yaml")
    hinted = [e.message for e in caught.value.errors if "(write" in e.message]
    assert [
        "expected a list, got 'assignee' (write [assignee])",
        "expected a string, got {'team': 'desk'} (write \"team:desk\" in quotes: YAML reads "
        "'team: x' as a mapping)",
    ] == hinted


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (
            "[{name: L1, targets: [team: payments-desk]}]",
            "paths.desk.levels[0].targets[0]: expected a string, got {'team': 'payments-desk'} "
            "(write \"team:payments-desk\" in quotes: YAML reads 'team: x' as a mapping)",
        ),
        (
            '[{name: L1, targets: ["team:a"], fallback: "role:x"}]',
            "paths.desk.levels[0].fallback: expected a list, got 'role:x' (write [role:x])",
        ),
        (
            '[{name: L1, targets: "team:a"}]',
            "paths.desk.levels[0].targets: expected a list, got 'team:a' (write [team:a])",
        ),
    ],
)
def test_a_level_written_with_a_yaml_slip_says_how_to_write_it(levels: str, expected: str) -> None:
    body = f"""
    paths:
      desk:
        kind: vertical
        levels: {levels}
    """
    assert [expected] == load_messages(body)


def test_a_string_where_a_list_of_mappings_is_expected_gets_no_list_hint() -> None:
    body = """
    clocks:
      c:
        start: {event: created}
        stop: {event: acknowledged}
        targets: {default: {within: 1h}}
        ladder: at-50
    """
    (message,) = load_messages(body)
    assert "expected a list" in message and "(write" not in message
