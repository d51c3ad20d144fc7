"""Tests for escalate.people.directory: who a target reaches at an instant, fallbacks, availability.

The directory below is used throughout. ``rota`` hands off daily at 09:00 UTC (anchor Monday
2024-11-18): carol on Monday, erin on Tuesday, gus on Wednesday, carol again on Thursday. Most
tests look at Wednesday 2024-11-20 12:00 UTC, when gus is on call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalate.errors import NaiveDatetimeError, PolicyError, TicketError
from escalate.people.availability import Availability
from escalate.people.directory import Directory, Resolution
from escalate.policy.loader import loads

AT = datetime(2024, 11, 20, 12, 0, tzinfo=UTC)

PEOPLE: dict[str, Any] = {
    "alice": {"backup": "bob", "managers": ["mona", "max"], "escalation_authority": "max"},
    "bob": {"managers": ["mona"]},
    "carol": {"backup": "dave", "managers": ["mona", "max"]},
    "dave": {},
    "erin": {},
    "gus": {"backup": "hana"},
    "hana": {},
    "lee": {},
    "tess": {},
    "rob": {},
    "mona": {},
    "max": {"backup": "mona"},
}
TEAMS: dict[str, Any] = {
    "desk": {"members": ["alice", "carol"], "lead": "lee", "backup": "tess"},
    "ops": {"schedule": "rota", "lead": "lee", "backup": "tess"},
    "solo": {"members": ["alice"]},
}
ROLES: dict[str, Any] = {
    "owner": {"person": "alice", "backup": "rob"},
    "support": {"team": "desk", "backup": "rob"},
    "duty": {"schedule": "rota", "backup": "rob"},
    "oncall-team": {"team": "ops", "backup": "rob"},
    "plain": {"person": "alice"},
}


def daily(members: list[Any], anchor: str = "2024-11-18", turn: str = "1d") -> dict[str, Any]:
    """A UTC schedule of one layer handing off at 09:00 every ``turn``."""
    rotation = {"members": members, "turn": turn, "handoff": "09:00", "anchor": anchor}
    return {"timezone": "UTC", "layers": [{"name": "main", "level": 1, "rotation": rotation}]}


SCHEDULES: dict[str, Any] = {"rota": daily(["carol", "erin", "gus"])}


def directory(
    *,
    people: Mapping[str, Any] = PEOPLE,
    teams: Mapping[str, Any] = TEAMS,
    roles: Mapping[str, Any] = ROLES,
    schedules: Mapping[str, Any] = SCHEDULES,
) -> Directory:
    return Directory.from_config(
        {"people": dict(people), "teams": dict(teams), "roles": dict(roles)}, dict(schedules)
    )


DIRECTORY = directory()


def availability(
    *,
    unreachable: Sequence[str] = (),
    away: Mapping[str, tuple[str, str | None]] | None = None,
    covers: Sequence[Mapping[str, Any]] = (),
) -> Availability:
    """Availability input: ``away`` maps a person to (from, until) ISO instants (reason leave)."""
    periods = [
        {"person": who, "from": start, "reason": "leave", **({"until": end} if end else {})}
        for who, (start, end) in (away or {}).items()
    ]
    return Availability.from_mapping(
        {
            "out_of_office": periods,
            "unreachable": list(unreachable),
            "schedule_overrides": list(covers),
        }
    )


def resolve(
    targets: Sequence[str], *unreachable: str, at: datetime = AT, directory: Directory = DIRECTORY
) -> Resolution:
    return directory.resolve(targets, at, availability(unreachable=unreachable))


def people(targets: Sequence[str], *unreachable: str, at: datetime = AT) -> tuple[str, ...]:
    return resolve(targets, *unreachable, at=at).people


# -- targets without fallbacks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("person:alice", ("alice",)),
        ("team:desk", ("alice", "carol")),
        ("team:ops", ("gus",)),
        ("role:owner", ("alice",)),
        ("role:support", ("alice", "carol")),
        ("role:duty", ("gus",)),
        ("role:oncall-team", ("gus",)),
        ("schedule:rota", ("gus",)),
        ("manager:alice", ("max",)),
        ("manager:bob", ("mona",)),
    ],
)
def test_each_kind_of_target_reaches_its_people(target: str, expected: tuple[str, ...]) -> None:
    assert expected == people([target])


def test_a_team_with_a_schedule_reaches_whoever_is_on_call_not_its_members() -> None:
    thursday = datetime(2024, 11, 21, 9, 0, tzinfo=UTC)
    assert (("gus",), ("carol",)) == (people(["team:ops"]), people(["team:ops"], at=thursday))


def test_a_manager_target_without_escalation_authority_and_two_managers_reaches_nobody() -> None:
    assert () == people(["manager:carol"])


def test_a_manager_target_for_someone_without_managers_reaches_nobody() -> None:
    assert () == people(["manager:dave"])


def test_people_come_in_target_order_then_member_order() -> None:
    assert ("gus", "alice", "carol") == people(["schedule:rota", "team:desk"])


def test_a_person_reached_twice_appears_once_at_the_first_place() -> None:
    assert ("carol", "alice") == people(["person:carol", "team:desk", "role:owner"])


def test_no_targets_reach_nobody() -> None:
    assert Resolution(()) == resolve([])


def test_a_resolution_lists_the_schedules_it_consulted() -> None:
    assert ("rota",) == resolve(["person:alice", "team:ops", "role:duty"]).schedules


def test_a_resolution_lists_everyone_considered_including_fallbacks_tried() -> None:
    assert ("alice", "bob", "lee", "carol") == resolve(["team:desk"], "alice", "bob").considered


def test_resolve_rejects_a_naive_instant() -> None:
    with pytest.raises(NaiveDatetimeError):
        DIRECTORY.resolve(["person:alice"], datetime(2024, 11, 20, 12), Availability())


# -- fallbacks -----------------------------------------------------------------------------------

FALLBACKS = [
    (
        "person:alice",
        ["alice"],
        ("bob",),
        ["alice (person:alice) unavailable: unreachable -> bob (backup of alice)"],
    ),
    (
        "person:alice",
        ["alice", "bob"],
        (),
        ["alice (person:alice) unavailable: unreachable; no available fallback"],
    ),
    (
        "person:bob",
        ["bob"],
        (),
        ["bob (person:bob) unavailable: unreachable; no available fallback"],
    ),
    (
        "team:desk",
        ["alice", "bob"],
        ("lee", "carol"),
        ["alice (team:desk) unavailable: unreachable -> lee (lead of team desk)"],
    ),
    (
        "team:desk",
        ["alice", "bob", "lee"],
        ("tess", "carol"),
        ["alice (team:desk) unavailable: unreachable -> tess (backup of team desk)"],
    ),
    (
        "team:desk",
        ["alice", "carol"],
        ("bob", "dave"),
        [
            "alice (team:desk) unavailable: unreachable -> bob (backup of alice)",
            "carol (team:desk) unavailable: unreachable -> dave (backup of carol)",
        ],
    ),
    (
        "role:owner",
        ["alice", "bob"],
        ("rob",),
        ["alice (role:owner) unavailable: unreachable -> rob (backup of role owner)"],
    ),
    (
        "role:support",
        ["alice", "bob", "lee", "tess"],
        ("rob", "carol"),
        ["alice (role:support) unavailable: unreachable -> rob (backup of role support)"],
    ),
    (
        "role:plain",
        ["alice", "bob"],
        (),
        ["alice (role:plain) unavailable: unreachable; no available fallback"],
    ),
    (
        "schedule:rota",
        ["gus"],
        ("hana",),
        ["gus (schedule:rota) unavailable: unreachable -> hana (backup of gus)"],
    ),
    (
        "schedule:rota",
        ["gus", "hana"],
        ("carol",),
        ["gus (schedule:rota) unavailable: unreachable -> carol (next on call in schedule rota)"],
    ),
    (
        "team:ops",
        ["gus", "hana"],
        ("lee",),
        ["gus (team:ops) unavailable: unreachable -> lee (lead of team ops)"],
    ),
    (
        "team:ops",
        ["gus", "hana", "lee", "tess"],
        ("carol",),
        ["gus (team:ops) unavailable: unreachable -> carol (next on call in schedule rota)"],
    ),
    (
        "manager:alice",
        ["max"],
        ("mona",),
        ["max (manager:alice) unavailable: unreachable -> mona (backup of max)"],
    ),
]


@pytest.mark.parametrize(("target", "unreachable", "expected", "notes"), FALLBACKS)
def test_an_unavailable_person_falls_back_along_the_declared_chain(
    target: str, unreachable: list[str], expected: tuple[str, ...], notes: list[str]
) -> None:
    found = resolve([target], *unreachable)
    assert (expected, tuple(notes)) == (found.people, found.notes)


@pytest.mark.parametrize(
    ("target", "unreachable"),
    [("role:duty", ["gus", "hana"]), ("role:oncall-team", ["gus", "hana", "lee", "tess"])],
)
def test_regression_the_backup_of_a_role_comes_before_the_next_on_call_in_the_schedule(
    target: str, unreachable: list[str]
) -> None:
    found = resolve([target], *unreachable)
    assert (
        ("rob",),
        (f"gus ({target}) unavailable: unreachable -> rob (backup of role {target[5:]})",),
    ) == (
        found.people,
        found.notes,
    )


def test_the_fallback_chain_is_not_followed_through_a_backup_of_a_backup() -> None:
    # alice's backup is bob; bob has no backup of his own, and dave (carol's backup) is unrelated.
    assert () == people(["person:alice"], "alice", "bob")


def test_a_substitute_already_reached_is_not_repeated() -> None:
    assert ("bob",) == people(["person:bob", "person:alice"], "alice")


def test_an_unavailable_substitute_is_skipped_for_the_next_in_the_chain() -> None:
    assert ("tess", "carol") == people(["team:desk"], "alice", "bob", "lee")


def test_everyone_unavailable_reaches_nobody_and_says_so_for_each_person() -> None:
    found = resolve(["team:desk"], "alice", "bob", "carol", "dave", "lee", "tess")
    assert (
        (),
        (
            "alice (team:desk) unavailable: unreachable; no available fallback",
            "carol (team:desk) unavailable: unreachable; no available fallback",
        ),
    ) == (found.people, found.notes)


def test_the_next_on_call_skips_shifts_that_bring_nobody_new() -> None:
    # Wednesday gus, Thursday gus again, Friday carol.
    rota = directory(schedules={"rota": daily(["gus", "gus", "carol"], anchor="2024-11-20")})
    found = rota.resolve(["schedule:rota"], AT, availability(unreachable=["gus", "hana"]))
    assert ("carol",) == found.people


@pytest.mark.parametrize(("turn", "expected"), [("8w", ("carol",)), ("9w", ())])
def test_the_next_on_call_is_looked_for_62_days_ahead(turn: str, expected: tuple[str, ...]) -> None:
    # gus's turn starts now; carol's starts 56 (8w) or 63 (9w) days later.
    rota = directory(schedules={"rota": daily(["gus", "carol"], "2024-11-20", turn)})
    at = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)
    assert (
        expected
        == rota.resolve(["schedule:rota"], at, availability(unreachable=["gus", "hana"])).people
    )


# -- availability --------------------------------------------------------------------------------

LEAVE = ("2024-11-20T00:00:00+00:00", "2024-11-21T00:00:00+00:00")


def test_out_of_office_names_the_reason_and_when_it_ends() -> None:
    found = DIRECTORY.resolve(["person:alice"], AT, availability(away={"alice": LEAVE}))
    assert (
        "alice (person:alice) unavailable: leave until 2024-11-21T00:00:00+00:00 -> bob "
        "(backup of alice)",
    ) == found.notes


def test_out_of_office_without_until_lasts_and_has_no_end_in_the_note() -> None:
    away = availability(away={"alice": (LEAVE[0], None)})
    found = DIRECTORY.resolve(["person:alice"], datetime(2030, 1, 1, tzinfo=UTC), away)
    assert ("alice (person:alice) unavailable: leave -> bob (backup of alice)",) == found.notes


def test_out_of_office_without_a_reason_says_out_of_office() -> None:
    away = Availability.from_mapping(
        {"out_of_office": [{"person": "alice", "from": LEAVE[0], "until": LEAVE[1]}]}
    )
    assert "out of office until 2024-11-21T00:00:00+00:00" == away.unavailable_because("alice", AT)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2024-11-19T23:59:59.999999+00:00", None),
        ("2024-11-20T00:00:00+00:00", "leave until 2024-11-21T00:00:00+00:00"),
        ("2024-11-20T23:59:59.999999+00:00", "leave until 2024-11-21T00:00:00+00:00"),
        ("2024-11-21T00:00:00+00:00", None),
    ],
)
def test_out_of_office_covers_from_up_to_but_not_including_until(
    at: str, expected: str | None
) -> None:
    away = availability(away={"alice": LEAVE})
    assert expected == away.unavailable_because("alice", datetime.fromisoformat(at))


def test_out_of_office_instants_with_other_offsets_compare_as_instants() -> None:
    away = availability(away={"alice": ("2024-11-20T13:00:00+01:00", None)})  # 12:00 UTC
    assert ("leave", None) == (
        away.unavailable_because("alice", AT),
        away.unavailable_because("alice", AT - timedelta(microseconds=1)),
    )


def test_unreachable_wins_over_out_of_office() -> None:
    away = availability(unreachable=["alice"], away={"alice": LEAVE})
    assert "unreachable" == away.unavailable_because("alice", AT)


def test_the_first_matching_out_of_office_period_gives_the_reason() -> None:
    away = Availability.from_mapping(
        {
            "out_of_office": [
                {"person": "alice", "from": LEAVE[0], "reason": "sick leave"},
                {"person": "alice", "from": LEAVE[0], "until": LEAVE[1], "reason": "training"},
            ]
        }
    )
    assert "sick leave" == away.unavailable_because("alice", AT)


def test_no_availability_means_everyone_is_available() -> None:
    assert (Availability(), None) == (
        Availability.from_mapping(None),
        Availability().unavailable_because("alice", AT),
    )


def test_an_availability_value_is_passed_through() -> None:
    away = availability(unreachable=["alice"])
    assert away is Availability.from_mapping(away)


def test_availability_changes_are_the_period_bounds_of_the_people_asked_about() -> None:
    away = availability(away={"alice": LEAVE, "bob": (LEAVE[0], None)})
    assert [
        datetime(2024, 11, 20, tzinfo=UTC),
        datetime(2024, 11, 21, tzinfo=UTC),
    ] == away.changes(["alice", "carol"], [])


def test_availability_changes_include_the_bounds_of_covers_of_the_schedules_asked_about() -> None:
    cover = {"schedule": "rota", "start": LEAVE[0], "end": LEAVE[1], "people": ["erin"]}
    other = {
        **cover,
        "schedule": "other",
        "start": "2024-11-22T00:00:00+00:00",
        "end": "2024-11-23T00:00:00+00:00",
    }
    away = availability(covers=[cover, other])
    assert (
        [datetime(2024, 11, 20, tzinfo=UTC), datetime(2024, 11, 21, tzinfo=UTC)],
        [],
    ) == (away.changes([], ["rota"]), away.changes(["erin"], []))


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ([], ("availability",), "availability must be a mapping"),
        (
            {"out_of_ofice": []},
            ("availability", "out_of_ofice"),
            "unknown availability key (known: out_of_office, unreachable, schedule_overrides)",
        ),
        (
            {"out_of_office": {}},
            ("availability", "out_of_office"),
            "out_of_office is a list of mappings",
        ),
        (
            {"out_of_office": [{"from": LEAVE[0]}]},
            ("availability", "out_of_office", 0, "person"),
            "expected a non-empty string",
        ),
        (
            {"out_of_office": [{"person": "alice", "from": "2024-11-20T00:00:00"}]},
            ("availability", "out_of_office", 0, "from"),
            "expected an aware instant (with a UTC offset)",
        ),
        (
            {"out_of_office": [{"person": "alice", "from": "yesterday"}]},
            ("availability", "out_of_office", 0, "from"),
            "expected an ISO-8601 instant",
        ),
        (
            {"out_of_office": [{"person": "alice", "from": LEAVE[0], "until": LEAVE[0]}]},
            ("availability", "out_of_office", 0, "until"),
            "'until' must be after 'from'",
        ),
        (
            {"unreachable": "alice"},
            ("availability", "unreachable"),
            "unreachable is a list of person ids",
        ),
        (
            {"schedule_overrides": [{"schedule": "rota", "start": LEAVE[0], "end": LEAVE[1]}]},
            ("availability", "schedule_overrides", 0, "people"),
            "people is a list of ids",
        ),
        (
            {
                "schedule_overrides": [
                    {"schedule": "rota", "start": LEAVE[1], "end": LEAVE[0], "people": ["erin"]}
                ]
            },
            ("availability", "schedule_overrides", 0, "end"),
            "'end' must be after 'start'",
        ),
        (
            {"schedule_overrides": [{"start": LEAVE[0], "end": LEAVE[1], "people": ["erin"]}]},
            ("availability", "schedule_overrides", 0, "schedule"),
            "expected a non-empty string",
        ),
    ],
)
def test_malformed_availability_is_a_ticket_error_naming_the_field(
    data: object, path: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(TicketError) as caught:
        Availability.from_mapping(data)  # type: ignore[arg-type]
    assert (path, message) == (caught.value.path, caught.value.message)


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            {"out_of_office": [{"person": "alice", "from": LEAVE[0], "untill": LEAVE[1]}]},
            ("availability", "out_of_office", 0, "untill"),
            "unknown key (known: person, from, until, reason)",
        ),
        (
            {
                "schedule_overrides": [
                    {"schedule": "rota", "start": LEAVE[0], "ends": LEAVE[1], "people": ["erin"]}
                ]
            },
            ("availability", "schedule_overrides", 0, "ends"),
            "unknown key (known: schedule, start, end, people)",
        ),
    ],
)
def test_regression_an_unknown_key_in_an_availability_entry_is_an_error(
    data: object, path: tuple[str | int, ...], message: str
) -> None:
    # A misspelt 'untill' used to be ignored, making the absence open-ended.
    with pytest.raises(TicketError) as caught:
        Availability.from_mapping(data)  # type: ignore[arg-type]
    assert (path, message) == (caught.value.path, caught.value.message)


# -- schedule overrides in availability (temporary cover) ----------------------------------------

COVER = {
    "schedule": "rota",
    "start": "2024-11-20T10:00:00+00:00",
    "end": "2024-11-20T14:00:00+00:00",
    "people": ["erin"],
}


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2024, 11, 20, 9, 59, tzinfo=UTC), ("gus",)),
        (datetime(2024, 11, 20, 10, 0, tzinfo=UTC), ("erin",)),
        (datetime(2024, 11, 20, 13, 59, tzinfo=UTC), ("erin",)),
        (datetime(2024, 11, 20, 14, 0, tzinfo=UTC), ("gus",)),
    ],
)
def test_temporary_cover_beats_the_schedule_for_its_half_open_period(
    at: datetime, expected: tuple[str, ...]
) -> None:
    assert expected == DIRECTORY.resolve(["schedule:rota"], at, availability(covers=[COVER])).people


def test_temporary_cover_also_changes_who_a_team_and_a_role_reach_through_the_schedule() -> None:
    found = DIRECTORY.resolve(["team:ops", "role:duty"], AT, availability(covers=[COVER]))
    assert ("erin",) == found.people


def test_overlapping_covers_are_on_call_together_in_the_order_given() -> None:
    second = {**COVER, "people": ["hana", "erin"]}
    found = DIRECTORY.resolve(["schedule:rota"], AT, availability(covers=[COVER, second]))
    assert ("erin", "hana") == found.people


def test_cover_for_another_schedule_changes_nothing() -> None:
    other = {**COVER, "schedule": "elsewhere"}
    assert ("gus",) == DIRECTORY.resolve(["schedule:rota"], AT, availability(covers=[other])).people


def test_temporary_cover_beats_the_schedules_own_overrides() -> None:
    rota = daily(["carol", "erin", "gus"])
    rota["overrides"] = [{"start": COVER["start"], "end": COVER["end"], "people": ["dave"]}]
    overridden = directory(schedules={"rota": rota})
    assert (("dave",), ("erin",)) == (
        overridden.resolve(["schedule:rota"], AT, Availability()).people,
        overridden.resolve(["schedule:rota"], AT, availability(covers=[COVER])).people,
    )


def test_an_unavailable_cover_falls_back_to_their_own_backup() -> None:
    cover = {**COVER, "people": ["carol"]}
    found = DIRECTORY.resolve(
        ["schedule:rota"], AT, availability(unreachable=["carol"], covers=[cover])
    )
    assert (
        ("dave",),
        ("carol (schedule:rota) unavailable: unreachable -> dave (backup of carol)",),
    ) == (found.people, found.notes)


# -- hand-offs -----------------------------------------------------------------------------------


def test_handoffs_are_the_next_change_of_each_schedule() -> None:
    assert [datetime(2024, 11, 21, 9, 0, tzinfo=UTC)] == DIRECTORY.handoffs(["rota"], AT)


def test_the_last_handoff_is_the_latest_change_in_the_half_open_span() -> None:
    start = datetime(2024, 11, 18, 9, 0, tzinfo=UTC)
    assert (
        datetime(2024, 11, 20, 9, 0, tzinfo=UTC),
        None,
        datetime(2024, 11, 20, 9, 0, tzinfo=UTC),
    ) == (
        DIRECTORY.last_handoff("rota", start, AT),
        DIRECTORY.last_handoff("rota", datetime(2024, 11, 20, 9, 0, tzinfo=UTC), AT),
        DIRECTORY.last_handoff("rota", start, datetime(2024, 11, 20, 9, 0, tzinfo=UTC)),
    )


# -- compiling the directory ---------------------------------------------------------------------


def test_a_compiled_directory_keeps_people_teams_roles_and_schedules() -> None:
    assert (
        ("bob", ("mona", "max"), "max"),
        (("alice", "carol"), "lee", "tess", None),
        ("schedule:rota", "rob"),
        ("rota",),
    ) == (
        (
            DIRECTORY.people["alice"].backup,
            DIRECTORY.people["alice"].managers,
            DIRECTORY.people["alice"].escalation_authority,
        ),
        (
            DIRECTORY.teams["desk"].members,
            DIRECTORY.teams["desk"].lead,
            DIRECTORY.teams["desk"].backup,
            DIRECTORY.teams["desk"].schedule,
        ),
        (DIRECTORY.roles["duty"].filled_by, DIRECTORY.roles["duty"].backup),
        tuple(DIRECTORY.schedules),
    )


def test_a_directory_without_anything_is_empty() -> None:
    assert (True, False) == (Directory.from_config(None, None).empty, DIRECTORY.empty)


def test_without_a_directory_targets_are_labels_that_are_not_checked() -> None:
    Directory.from_config(None, None).check_target("team:anything", ("x",))


BASE = """\
policy: p
version: 1
directory:
  people:
    alice: {backup: bob, managers: [carol]}
    bob: {}
    carol: {}
  teams:
    desk: {members: [alice, bob], lead: carol}
  roles:
    owner: {person: carol, backup: bob}
schedules:
  ops:
    timezone: UTC
    layers:
      - {name: w, level: 1, rotation: {members: [alice, bob], turn: 1w, anchor: 2024-01-01}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["role:owner"], on_empty: fallback, fallback: ["person:bob"]}
rules:
  - id: r
    when: {priority: P1}
    then: {notify: {to: ["person:alice"], channel: chat}}
  - id: b
    when: {priority: P1}
    then: {open_bridge: {participants: ["person:alice"]}}
"""


def load_error(old: str, new: str) -> PolicyError:
    assert old in BASE, old
    with pytest.raises(PolicyError) as caught:
        loads(BASE.replace(old, new, 1), filename="p.yaml")
    return caught.value


def test_the_base_policy_of_the_load_error_tests_loads() -> None:
    assert "ops" in loads(BASE).directory.schedules


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'targets: ["team:desk"]',
            'targets: ["team:dsk"]',
            "p.yaml:21:30: paths.desk.levels[0].targets[0]: unknown team 'dsk' "
            "(did you mean 'desk'?)",
        ),
        (
            'targets: ["role:owner"]',
            'targets: ["role:ownr"]',
            "p.yaml:22:30: paths.desk.levels[1].targets[0]: unknown role 'ownr' "
            "(did you mean 'owner'?)",
        ),
        (
            'targets: ["team:desk"]',
            'targets: ["schedule:opz"]',
            "p.yaml:21:30: paths.desk.levels[0].targets[0]: unknown schedule 'opz' "
            "(did you mean 'ops'?)",
        ),
        (
            'targets: ["team:desk"]',
            'targets: ["manager:alicee"]',
            "p.yaml:21:30: paths.desk.levels[0].targets[0]: unknown manager 'alicee' "
            "(did you mean 'alice'?)",
        ),
        (
            'fallback: ["person:bob"]',
            'fallback: ["person:bobb"]',
            "p.yaml:22:76: paths.desk.levels[1].fallback[0]: unknown person 'bobb' "
            "(did you mean 'bob'?)",
        ),
        (
            'to: ["person:alice"]',
            'to: ["person:alicee"]',
            "p.yaml:26:26: rules[0].then.notify.to[0]: unknown person 'alicee' "
            "(did you mean 'alice'?)",
        ),
        (
            'participants: ["person:alice"]',
            'participants: ["schedule:opz"]',
            "p.yaml:29:41: rules[1].then.open_bridge.participants[0]: unknown schedule 'opz' "
            "(did you mean 'ops'?)",
        ),
        (
            "members: [alice, bob], lead",
            "members: [alice, bobby], lead",
            "p.yaml:9:29: directory.teams.desk.members[1]: unknown person 'bobby' "
            "(did you mean 'bob'?)",
        ),
        (
            "lead: carol}",
            "lead: carl}",
            "p.yaml:9:35: directory.teams.desk.lead: unknown person 'carl' (did you mean 'carol'?)",
        ),
        (
            "desk: {members: [alice, bob], lead: carol}",
            "desk: {members: [alice, bob], backup: bobb}",
            "p.yaml:9:35: directory.teams.desk.backup: unknown person 'bobb' (did you mean 'bob'?)",
        ),
        (
            "desk: {members: [alice, bob], lead: carol}",
            "desk: {members: [alice, bob], lead: carol, schedule: opz}",
            "p.yaml:9:48: directory.teams.desk.schedule: unknown schedule 'opz' "
            "(did you mean 'ops'?)",
        ),
        (
            "alice: {backup: bob,",
            "alice: {backup: bobb,",
            "p.yaml:5:13: directory.people.alice.backup: unknown person 'bobb' "
            "(did you mean 'bob'?)",
        ),
        (
            "managers: [carol]}",
            "managers: [carl]}",
            "p.yaml:5:37: directory.people.alice.managers[0]: unknown person 'carl' "
            "(did you mean 'carol'?)",
        ),
        (
            "backup: bob}\nschedules",
            "backup: bobb}\nschedules",
            "p.yaml:11:28: directory.roles.owner.backup: unknown person 'bobb' "
            "(did you mean 'bob'?)",
        ),
        (
            "owner: {person: carol,",
            "owner: {person: carl,",
            "p.yaml:11:5: directory.roles.owner: unknown person 'carl' (did you mean 'carol'?)",
        ),
        (
            "owner: {person: carol,",
            "owner: {team: dsk,",
            "p.yaml:11:5: directory.roles.owner: unknown team 'dsk' (did you mean 'desk'?)",
        ),
        (
            "owner: {person: carol,",
            "owner: {schedule: opz,",
            "p.yaml:11:5: directory.roles.owner: unknown schedule 'opz' (did you mean 'ops'?)",
        ),
        (
            "members: [alice, bob], turn",
            "members: [alice, bobb], turn",
            "p.yaml:13:3: schedules.ops: schedule 'ops' names unknown person 'bobb' "
            "(did you mean 'bob'?)",
        ),
        (
            "managers: [carol]}",
            "managers: [carol], escalation_authority: bob}",
            "p.yaml:5:45: directory.people.alice.escalation_authority: escalation_authority "
            "'bob' is not one of managers ['carol']",
        ),
        (
            "alice: {backup: bob,",
            "alice: {backup: alice,",
            "p.yaml:5:13: directory.people.alice.backup: a person cannot be their own backup",
        ),
        (
            "    bob: {}\n",
            "    bob: {chanels: {}}\n",
            "p.yaml:6:11: directory.people.bob.chanels: unknown key 'chanels' "
            "(did you mean 'channels'?)",
        ),
        (
            "    bob: {}\n",
            "    bob: {channels: {emial: bob@example.com}}\n",
            "p.yaml:6:22: directory.people.bob.channels.emial: expected 'email', 'sms', 'chat', "
            "'voice', 'push' or 'phone', got 'emial' (did you mean 'email'?)",
        ),
        (
            'targets: ["team:desk"]',
            'targets: ["manager:bob"]',
            "p.yaml:21:30: paths.desk.levels[0].targets[0]: 'bob' has no manager to escalate to "
            "(give 'managers', and 'escalation_authority' when there are several)",
        ),
        (
            "owner: {person: carol,",
            "owner: {person: carol, team: desk,",
            "p.yaml:11:5: directory.roles.owner: a role is filled by exactly one of person, "
            "team or schedule",
        ),
        (
            "desk: {members: [alice, bob], lead: carol}",
            "desk: {lead: carol}",
            "p.yaml:9:5: directory.teams.desk.members: a team needs members or a schedule",
        ),
    ],
)
def test_a_directory_mistake_is_a_policy_error_with_its_place_and_a_suggestion(
    old: str, new: str, expected: str
) -> None:
    assert expected == str(load_error(old, new))


def test_schedule_members_are_not_checked_when_no_people_are_declared() -> None:
    found = Directory.from_config({}, {"rota": daily(["somebody"])})
    assert ("somebody",) == found.resolve(["schedule:rota"], AT, Availability()).people


def test_a_compiled_directory_cannot_be_changed() -> None:
    directory = Directory.from_config(
        {"people": {"bob": {"channels": {"email": "bob@example.com"}}}}, {}
    )
    with pytest.raises(AttributeError, match="immutable"):
        directory.people = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        directory.people["eve"] = directory.people["bob"]  # type: ignore[index]
    with pytest.raises(TypeError):
        directory.people["bob"].channels["sms"] = "+1"  # type: ignore[index]


def test_a_person_is_a_hashable_value() -> None:
    spec = {"people": {"bob": {"channels": {"email": "bob@example.com"}}}}
    first = Directory.from_config(spec, {}).people["bob"]
    second = Directory.from_config(spec, {}).people["bob"]
    assert (first, 1) == (second, len({first, second}))


def test_availability_reads_instants_as_the_ticket_format_does() -> None:
    written = {"out_of_office": [{"person": "alice", "from": "2024-11-20T08:00:00z"}]}
    availability = Availability.from_mapping(written)
    assert availability.unavailable_because("alice", datetime(2024, 11, 20, 8, tzinfo=UTC))
    assert not availability.unavailable_because("alice", datetime(2024, 11, 20, 7, tzinfo=UTC))
