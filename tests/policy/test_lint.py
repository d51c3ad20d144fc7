"""Tests for escalate.policy.lint: directory findings (contacts, backups, schedule gaps) and the
findings about clocks, paths, rules and calendars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escalate.errors import NaiveDatetimeError
from escalate.policy.lint import Finding, lint
from escalate.policy.loader import load
from tests.policy_helpers import OFFICE, policy

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

PEOPLE = """
directory:
  contact_max_age: 30d
  people:
    ann: {channels: {email: ann@example.com}, validated_at: 2024-02-15, backup: ben}
    ben: {channels: {sms: "+49 30 1"}, validated_at: 2024-01-31}
    cat: {channels: {voice: "+49 30 2"}, validated_at: 2024-01-30}
    dan: {channels: {chat: "@dan"}}
    eve: {}
"""
RATIONALE = "    rationale: because\n"


def codes(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in findings]


def directory_codes(body: str, **kwargs: object) -> list[tuple[str, str]]:
    """The findings about the directory, schedules and paths, sorted by key path; these
    fixtures list people only to check their contacts and backups, so ``unused-person`` (tested
    in test_lint_traps.py) is left out."""
    found = lint(policy(body), **kwargs)  # type: ignore[arg-type]
    return sorted(
        c
        for c in codes(found)
        if c[0].startswith(("directory.", "schedules.", "paths.")) and c[1] != "unused-person"
    )


# -- contacts ------------------------------------------------------------------------------------


def test_a_person_without_a_contact_channel_is_a_finding() -> None:
    assert [("directory.people.eve", "no-contact-channel")] == directory_codes(PEOPLE)


def test_without_as_of_contact_age_is_not_checked() -> None:
    assert [] == [c for c in directory_codes(PEOPLE) if c[1] != "no-contact-channel"]


def test_with_as_of_stale_and_never_validated_contacts_are_findings() -> None:
    assert [
        ("directory.people.cat.validated_at", "stale-contact"),
        ("directory.people.dan", "contact-never-validated"),
        ("directory.people.eve", "contact-never-validated"),
        ("directory.people.eve", "no-contact-channel"),
    ] == directory_codes(PEOPLE, as_of=AS_OF)


def test_a_contact_validated_exactly_contact_max_age_ago_is_not_stale() -> None:
    # ben: 2024-01-31, 30 days before 2024-03-01; cat: 2024-01-30, 31 days.
    stale = [c[0] for c in directory_codes(PEOPLE, as_of=AS_OF) if c[1] == "stale-contact"]
    assert ["directory.people.cat.validated_at"] == stale


def test_a_stale_contact_finding_says_when_it_was_validated_and_how_long_ago() -> None:
    found = [f for f in lint(policy(PEOPLE), as_of=AS_OF) if f.code == "stale-contact"]
    assert [
        "p.yaml:9:42: warning stale-contact: directory.people.cat.validated_at: contact details "
        "last validated 2024-01-30, 31 days ago"
    ] == [str(f) for f in found]


def test_contact_age_is_counted_in_utc_days() -> None:
    # 2024-03-01 00:30 in Berlin is still 2024-02-29 in UTC: cat is 30 days old there.
    berlin_morning = datetime(2024, 2, 29, 23, 30, tzinfo=UTC)
    stale = [c for c in directory_codes(PEOPLE, as_of=berlin_morning) if c[1] == "stale-contact"]
    assert [] == stale


def test_without_contact_max_age_contact_age_is_not_checked() -> None:
    body = PEOPLE.replace("  contact_max_age: 30d\n", "")
    assert [("directory.people.eve", "no-contact-channel")] == directory_codes(body, as_of=AS_OF)


def test_a_naive_as_of_is_rejected() -> None:
    with pytest.raises(NaiveDatetimeError):
        lint(policy(PEOPLE), as_of=datetime(2024, 3, 1, 12, 0))


def test_a_naive_as_of_is_rejected_when_schedules_are_checked() -> None:
    with pytest.raises(NaiveDatetimeError):
        lint(policy(GAPPY), as_of=datetime(2024, 3, 1, 12, 0))


# -- roles and levels without backups ------------------------------------------------------------

BACKUPS = """
directory:
  people:
    ann: {channels: {email: a}, backup: ben, managers: [max]}
    ben: {channels: {email: b}, managers: [max]}
    cat: {channels: {email: c}}
    dan: {channels: {email: d}}
    max: {channels: {email: m}}
  teams:
    pair: {members: [ben, cat]}
    solo: {members: [cat]}
    led: {members: [cat], lead: dan}
    backed: {members: [cat], backup: dan}
    ops: {schedule: rota}
  roles:
    owner: {person: cat, backup: dan}
    lonely: {person: cat}
    covered: {person: ann}
schedules:
  rota:
    timezone: UTC
    layers:
      - {name: main, level: 1, rotation: {members: [cat, dan], turn: 1d, anchor: 2024-01-01}}
  alone:
    timezone: UTC
    layers:
      - {name: main, level: 1, rotation: {members: [cat], turn: 1d, anchor: 2024-01-01}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: [TARGET]EXTRA}
"""


def level_findings(target: str, extra: str = "") -> list[tuple[str, str]]:
    body = BACKUPS.replace("TARGET", target).replace("EXTRA", extra)
    return [c for c in directory_codes(body) if c[1] == "level-without-backup"]


def test_a_role_without_a_backup_is_a_finding() -> None:
    body = BACKUPS.replace("TARGET", '"person:ann"').replace("EXTRA", "")
    assert [
        ("directory.roles.covered", "role-without-backup"),
        ("directory.roles.lonely", "role-without-backup"),
    ] == [c for c in directory_codes(body) if c[1] == "role-without-backup"]


@pytest.mark.parametrize(
    "target",
    [
        '"person:ann"',
        '"team:pair"',
        '"team:led"',
        '"team:backed"',
        '"role:owner"',
        '"role:covered"',
        '"schedule:rota"',
        '"person:cat", "person:ann"',
    ],
)
def test_a_level_with_someone_behind_its_targets_is_fine(target: str) -> None:
    assert [] == level_findings(target)


@pytest.mark.parametrize(
    "target", ['"person:cat"', '"team:solo"', '"role:lonely"', '"schedule:alone"']
)
def test_a_level_with_nobody_behind_its_targets_is_a_finding(target: str) -> None:
    assert [("paths.desk.levels[0]", "level-without-backup")] == level_findings(target)


def test_a_level_with_a_fallback_needs_no_backup_behind_its_targets() -> None:
    assert [] == level_findings('"person:cat"', ', fallback: ["person:dan"]')


def test_the_level_without_backup_finding_names_the_level() -> None:
    body = BACKUPS.replace("TARGET", '"person:cat"').replace("EXTRA", "")
    found = [f for f in lint(policy(body)) if f.code == "level-without-backup"]
    assert [
        "p.yaml:34:9: warning level-without-backup: paths.desk.levels[0]: nobody behind L1's "
        "targets has a backup and the level has no fallback"
    ] == [str(f) for f in found]


def test_regression_a_manager_target_is_judged_by_the_managers_backup() -> None:
    # It used to be judged by the backup of the person whose manager it names.
    assert [("paths.desk.levels[0]", "level-without-backup")] == level_findings('"manager:ann"')


def test_a_team_on_a_rotation_of_several_people_has_someone_behind_it() -> None:
    assert [] == level_findings('"team:ops"')


def test_without_a_directory_there_are_no_directory_findings() -> None:
    body = """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["person:nobody"]}
"""
    assert [] == directory_codes(body, as_of=AS_OF)


# -- schedule gaps -------------------------------------------------------------------------------

GAPPY = """
directory:
  people:
    ann: {channels: {email: a}, backup: ben}
    ben: {channels: {email: b}}
schedules:
  office:
    timezone: Europe/Berlin
    layers:
      - name: day
        level: 1
        rotation: {members: [ann, ben], turn: 1w, anchor: 2024-01-01}
        restrictions: [{days: mon-fri, time: "09:00-17:00"}]
  always:
    timezone: UTC
    layers:
      - {name: main, level: 1, rotation: {members: [ann, ben], turn: 1d, anchor: 2024-01-01}}
"""


def gaps(**kwargs: object) -> list[str]:
    found = lint(policy(GAPPY), **kwargs)  # type: ignore[arg-type]
    return [f.message for f in found if f.code == "schedule-gap"]


def test_without_as_of_schedule_gaps_are_not_checked() -> None:
    assert [] == gaps()


def test_schedule_gaps_within_the_horizon_are_findings() -> None:
    # Friday 2024-03-01 13:00 Berlin, one day ahead: Friday 17:00 to Saturday 13:00.
    assert [
        "nobody on call from 2024-03-01T16:00:00+00:00 to 2024-03-02T12:00:00+00:00",
    ] == gaps(as_of=AS_OF, horizon=timedelta(days=1))


def test_the_default_horizon_is_two_weeks() -> None:
    # Two weekends and the eight weeknights in between; the last gap ends before the horizon.
    found = gaps(as_of=AS_OF)
    assert (
        10,
        "nobody on call from 2024-03-01T16:00:00+00:00 to 2024-03-04T08:00:00+00:00",
        "nobody on call from 2024-03-14T16:00:00+00:00 to 2024-03-15T08:00:00+00:00",
    ) == (len(found), found[0], found[-1])


def test_schedule_gaps_follow_the_wall_clock_across_a_dst_switch() -> None:
    # Friday 17:00 CET to Monday 09:00 CEST (Berlin springs forward on 2024-03-31).
    friday = datetime(2024, 3, 29, 12, 0, tzinfo=UTC)
    assert [
        "nobody on call from 2024-03-29T16:00:00+00:00 to 2024-04-01T07:00:00+00:00",
    ] == gaps(as_of=friday, horizon=timedelta(days=3))


def test_a_schedule_gap_finding_names_the_schedule() -> None:
    found = lint(policy(GAPPY), as_of=AS_OF, horizon=timedelta(days=1))
    assert [("schedules.office", "schedule-gap")] == [
        c for c in codes(found) if c[1] == "schedule-gap"
    ]


def test_a_schedule_that_is_always_covered_has_no_gap_findings() -> None:
    found = lint(policy(GAPPY), as_of=AS_OF)
    assert [] == [f for f in found if f.path == "schedules.always"]


# -- the shipped pack ----------------------------------------------------------------------------

ITIL = load(ROOT / "rules" / "itil-default.yaml")


def test_the_shipped_pack_has_no_findings_without_as_of() -> None:
    assert () == lint(ITIL)


def test_the_shipped_pack_has_no_findings_in_november_2024() -> None:
    assert () == lint(ITIL, as_of=datetime(2024, 11, 20, 15, 0, tzinfo=UTC))


def test_the_shipped_pack_reports_contacts_that_grow_stale() -> None:
    # a person id with a dot in it is quoted, so the path names one key path
    found = lint(ITIL, as_of=datetime(2025, 3, 1, tzinfo=UTC))
    pack = ITIL.source
    with open(pack, encoding="utf-8") as file:
        lines = file.read().splitlines()

    def at(person: str) -> int:  # the line of the person's validated_at
        start = lines.index(f"    {person}:")
        return next(n for n in range(start, len(lines)) if "validated_at" in lines[n]) + 1

    assert [
        f"{pack}:{at('jonas.weber')}:7: warning stale-contact: "
        f"directory.people.'jonas.weber'.validated_at: "
        "contact details last validated 2024-08-19, 194 days ago",
        f"{pack}:{at('mehmet.yilmaz')}:7: warning stale-contact: "
        f"directory.people.'mehmet.yilmaz'.validated_at: "
        "contact details last validated 2024-07-01, 243 days ago",
        f"{pack}:{at('markus.braun')}:7: warning stale-contact: "
        f"directory.people.'markus.braun'.validated_at: "
        "contact details last validated 2024-06-03, 271 days ago",
    ] == [str(f) for f in found]


# -- findings about clocks, paths, rules and calendars -------------------------------------------


def test_a_rule_without_rationale_is_a_finding() -> None:
    body = 'rules:\n  - id: r\n    when: {priority: P1}\n    then: {notify: {to: ["team:x"]}}\n'
    assert [("rules.r", "no-rationale")] == codes(lint(policy(body)))


def test_a_calendar_nobody_uses_is_a_finding() -> None:
    assert [("calendars.office", "unused-calendar")] == codes(lint(policy(OFFICE)))


PATH = """
paths:
  desk:
    kind: vertical
    STARTS
    levels:
      - {name: L1, targets: ["team:a"]L1EXTRA}
      - {name: L2, targets: ["team:b"]L2EXTRA}
"""


def path_codes(
    starts: str = "", l1: str = "", l2: str = "", more: str = ""
) -> list[tuple[str, str]]:
    body = PATH.replace("STARTS", starts or "starts: on-open")
    return codes(lint(policy(body.replace("L1EXTRA", l1).replace("L2EXTRA", l2) + more)))


def test_a_path_without_findings_has_none() -> None:
    assert [] == path_codes(l1=", after: 30m")


def test_at_on_the_first_level_is_a_finding() -> None:
    found = path_codes(l1=", after: 30m, at: 30m")
    assert [("paths.desk.levels[0].at", "at-on-first-level")] == found


def test_an_ack_timeout_on_a_level_that_never_moves_on_is_a_finding() -> None:
    assert [("paths.desk.levels[1].ack_timeout", "ack-timeout-without-timer")] == path_codes(
        l1=", after: 30m", l2=", ack_timeout: 1h"
    )


def test_ack_within_on_the_first_level_of_an_on_open_path_is_a_finding() -> None:
    assert [("paths.desk.levels[0].ack_within", "ack-within-on-start-level")] == path_codes(
        l1=", after: 30m, ack_within: 15m"
    )


def test_ack_within_on_the_first_level_of_an_on_trigger_path_is_fine() -> None:
    rule = (
        "rules:\n  - id: r\n    when: {priority: P1}\n    then: {escalate: {path: desk, to: L1}}\n"
    )
    found = path_codes(starts="starts: on-trigger", l1=", after: 30m, ack_within: 15m", more=rule)
    assert [("rules.r", "no-rationale")] == found


def test_repeat_when_the_last_level_has_no_after_is_a_finding() -> None:
    found = path_codes(starts="repeat: 2\n    starts: on-open", l1=", after: 30m")
    assert [("paths.desk.repeat", "repeat-without-timer")] == found


def test_a_path_that_starts_on_trigger_that_nothing_sends_tickets_to_is_a_finding() -> None:
    assert [("paths.desk", "unreachable-path")] == path_codes(
        starts="starts: on-trigger", l1=", after: 30m"
    )


CLOCK = """
clocks:
  response:
    type: response
    start: {event: created}
    STOP
    targets: {P1: {within: 1h}}
"""


def test_a_clock_stopped_by_every_start_event_is_a_finding() -> None:
    body = CLOCK.replace("STOP", "stop: {event: created}")
    assert [("clocks.response.start", "start-within-stop")] == codes(lint(policy(body)))


def test_a_status_that_both_pauses_and_stops_a_clock_is_a_finding() -> None:
    body = CLOCK.replace(
        "STOP", "pause: {status: [on-hold]}\n    stop: {status: [on-hold, resolved]}"
    )
    assert [
        ("clocks.response.pause", "pause-is-stop"),
        ("clocks.response.stop", "stop-without-new-cycle"),  # on-hold is left by a status change
    ] == codes(lint(policy(body)))


def test_findings_are_sorted_by_position_and_print_as_position_severity_code_path_message() -> None:
    rule = 'rules:\n  - id: r\n    when: {priority: P1}\n    then: {notify: {to: ["person:ann"]}}\n'
    found = lint(policy(PEOPLE + rule))
    eve = next(f for f in found if f.code == "no-contact-channel")
    assert (
        tuple(sorted(found)),
        [f.source for f in found] == sorted(f.source for f in found if f.source is not None),
        "p.yaml:11:5: warning no-contact-channel: directory.people.eve: person has no contact "
        "channel",
    ) == (found, True, str(eve))


def test_findings_are_an_immutable_tuple_of_hashable_values() -> None:
    found = lint(policy(PEOPLE))
    with pytest.raises(AttributeError):
        found[0].code = "other"  # type: ignore[misc]
    assert (tuple, 1) == (type(found), len(set(found) & {found[0]}))
