"""Properties of target resolution and of evaluating with a directory and availability.

Worlds are small random directories: up to six people with optional backups, a team of
members and a team on the schedule (each with an optional lead and backup), roles filled by a
person, a team and the schedule (each with an optional backup), one schedule in a zone with
DST, and random availability (absences around the instant, unreachable people, temporary
cover). The reference for fallbacks reads the documented chain literally: the person's backup,
the lead and backup of the team they came through, the backup of the role, then the people of
the next shift of their schedule that brings someone new (within 62 days).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escalate.people.availability import Availability
from escalate.people.directory import Directory
from escalate.people.schedule import Schedule
from escalate.policy.loader import loads

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe")
TURNS = ("8h", "12h", "1d", "1w")
LO = datetime(2024, 1, 1, tzinfo=UTC)
HORIZON = timedelta(days=62)


@dataclass(frozen=True)
class World:
    """A random directory (as configuration), availability input and an instant."""

    directory: dict[str, Any]
    schedules: dict[str, Any]
    availability: dict[str, Any]
    at: datetime

    @property
    def people(self) -> list[str]:
        return sorted(self.directory["people"])

    def targets(self) -> list[str]:
        kinds = (("person", "people"), ("team", "teams"), ("role", "roles"))
        out = [f"{kind}:{name}" for kind, key in kinds for name in self.directory[key]]
        return [*out, "schedule:s"]


def iso(at: datetime) -> str:
    return at.isoformat()


@st.composite
def instants(draw: st.DrawFn, lo: datetime = LO, days: int = 366) -> datetime:
    minutes = draw(st.integers(0, days * 24 * 4)) * 15
    return lo + timedelta(minutes=minutes)


@st.composite
def worlds(draw: st.DrawFn, *, covers: bool = True) -> World:
    ids = [f"p{i}" for i in range(draw(st.integers(2, 6)))]
    maybe = st.none() | st.sampled_from(ids)
    people: dict[str, Any] = {}
    for pid in ids:
        backup = draw(st.none() | st.sampled_from([p for p in ids if p != pid]))
        people[pid] = {} if backup is None else {"backup": backup}
    at = draw(instants())
    layer: dict[str, Any] = {
        "name": "main",
        "level": 1,
        "rotation": {
            "members": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4)),
            "turn": draw(st.sampled_from(TURNS)),
            "handoff": f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30])):02d}",
            "anchor": (LO.date() + timedelta(days=draw(st.integers(0, 300)))).isoformat(),
        },
    }
    if draw(st.booleans()):
        layer["restrictions"] = [{"days": "mon-fri", "time": "08:00-18:00"}]
    schedules = {"s": {"timezone": draw(st.sampled_from(ZONES)), "layers": [layer]}}

    def team(extra: dict[str, Any]) -> dict[str, Any]:
        out = dict(extra)
        for key in ("lead", "backup"):
            who = draw(maybe)
            if who is not None:
                out[key] = who
        return out

    members = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
    teams = {"crew": team({"members": members}), "watch": team({"schedule": "s"})}
    roles: dict[str, Any] = {}
    for name, filler in (
        ("by-person", {"person": draw(st.sampled_from(ids))}),
        ("by-team", {"team": draw(st.sampled_from(["crew", "watch"]))}),
        ("by-schedule", {"schedule": "s"}),
    ):
        backup = draw(maybe)
        roles[name] = filler if backup is None else {**filler, "backup": backup}
    periods = []
    for pid in draw(st.lists(st.sampled_from(ids), max_size=5)):
        start = at + timedelta(hours=draw(st.integers(-72, 24)))
        period = {"person": pid, "from": iso(start), "reason": "leave"}
        if draw(st.booleans()):
            period["until"] = iso(start + timedelta(hours=draw(st.integers(1, 96))))
        periods.append(period)
    unreachable = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    overrides = []
    if covers:
        for _ in range(draw(st.integers(0, 2))):
            start = at + timedelta(hours=draw(st.integers(-48, 24)))
            overrides.append(
                {
                    "schedule": "s",
                    "start": iso(start),
                    "end": iso(start + timedelta(hours=draw(st.integers(1, 72)))),
                    "people": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2)),
                }
            )
    return World(
        {"people": people, "teams": teams, "roles": roles},
        schedules,
        {"out_of_office": periods, "unreachable": unreachable, "schedule_overrides": overrides},
        at,
    )


def compile_world(world: World) -> tuple[Directory, Availability]:
    directory = Directory.from_config(world.directory, world.schedules)
    return directory, Availability.from_mapping(world.availability)


# --------------------------------------------------------------------------------------------
# The reference: who a target reaches directly, and each one's documented fallback chain
# --------------------------------------------------------------------------------------------


Reached = tuple[str, list[str], list[str]]  # (person, declared fallbacks, next on call)


def next_on_call(schedule: Schedule, at: datetime, current: tuple[str, ...]) -> list[str]:
    for shift in schedule.shifts(at, at + HORIZON):
        fresh = [p for p in shift.people if p not in current]
        if fresh:
            return fresh
    return []


def reference(
    directory: Directory, availability: Availability, target: str, at: datetime
) -> list[Reached]:
    """Who one target reaches directly, each with the declared chain and the rotation tail.

    The documented fallback order is the declared chain (own backup, team lead and backup,
    role backup), then the rotation tail (next on call in the schedule they came from).
    """
    kind, _, name = target.partition(":")

    def backup(pid: str) -> list[str]:
        found = directory.people[pid].backup
        return [] if found is None else [found]

    if kind == "person":
        return [(name, backup(name), [])]
    if kind == "schedule":
        covered = availability.cover(name, at)
        now_on = covered if covered is not None else directory.schedules[name].on_call(at)
        rotation = next_on_call(directory.schedules[name], at, now_on)
        return [(p, backup(p), rotation) for p in now_on]
    if kind == "team":
        team = directory.teams[name]
        extra = [p for p in (team.lead, team.backup) if p]
        if team.schedule is None:
            return [(m, [*backup(m), *extra], []) for m in team.members]
        inner = reference(directory, availability, f"schedule:{team.schedule}", at)
        return [(p, [*declared, *extra], rotation) for p, declared, rotation in inner]
    role = directory.roles[name]
    inner = reference(directory, availability, role.filled_by, at)
    more = [] if role.backup is None else [role.backup]
    return [(p, [*declared, *more], rotation) for p, declared, rotation in inner]


def available(availability: Availability, pid: str, at: datetime) -> bool:
    return availability.unavailable_because(pid, at) is None


def everyone(reached: list[Reached]) -> set[str]:
    return {p for person, declared, rotation in reached for p in (person, *declared, *rotation)}


# --------------------------------------------------------------------------------------------
# (1) Never an unavailable person while an available fallback exists
# --------------------------------------------------------------------------------------------


@PROPS
@given(worlds())
def test_resolution_never_returns_an_unavailable_person(world: World) -> None:
    directory, availability = compile_world(world)
    found = directory.resolve(world.targets(), world.at, availability)
    assert [] == [p for p in found.people if not available(availability, p, world.at)]


@PROPS
@given(worlds())
def test_a_target_with_someone_available_in_a_fallback_chain_reaches_someone(world: World) -> None:
    directory, availability = compile_world(world)
    for target in world.targets():
        reachable = everyone(reference(directory, availability, target, world.at))
        found = directory.resolve([target], world.at, availability)
        if any(available(availability, p, world.at) for p in reachable):
            assert found.people, target


@PROPS
@given(worlds())
def test_resolution_reaches_nobody_outside_the_targets_and_their_fallback_chains(
    world: World,
) -> None:
    directory, availability = compile_world(world)
    for target in world.targets():
        reachable = everyone(reference(directory, availability, target, world.at))
        found = directory.resolve([target], world.at, availability)
        assert set() == set(found.people) - reachable, target


def _first_available(
    availability: Availability, person: str, chain: list[str], at: datetime
) -> str | None:
    if available(availability, person, at):
        return person
    return next((p for p in chain if p != person and available(availability, p, at)), None)


@PROPS
@given(worlds())
def test_each_person_reached_is_paged_or_replaced_by_the_first_available_in_the_chain(
    world: World,
) -> None:
    directory, availability = compile_world(world)
    for target in world.targets():
        found = directory.resolve([target], world.at, availability)
        for person, declared, rotation in reference(directory, availability, target, world.at):
            expected = _first_available(availability, person, [*declared, *rotation], world.at)
            if expected is not None:
                assert expected in found.people, (target, person, declared, rotation)


@PROPS
@given(worlds())
def test_every_note_names_an_unavailable_person_and_why(world: World) -> None:
    directory, availability = compile_world(world)
    found = directory.resolve(world.targets(), world.at, availability)
    for note in found.notes:
        who = note.split(" ", 1)[0]
        why = availability.unavailable_because(who, world.at)
        assert why is not None and f"unavailable: {why}" in note, note


# --------------------------------------------------------------------------------------------
# (2) Determinism
# --------------------------------------------------------------------------------------------


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same configuration with every mapping's keys in another order."""
    if isinstance(value, Mapping):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


@PROPS
@given(worlds(), st.randoms(use_true_random=False))
def test_resolution_is_deterministic_whatever_the_order_of_keys(
    world: World, rng: random.Random
) -> None:
    directory, availability = compile_world(world)
    again = Directory.from_config(shuffled(world.directory, rng), shuffled(world.schedules, rng))
    unreachable = list(world.availability["unreachable"])
    rng.shuffle(unreachable)
    availability_again = Availability.from_mapping(
        {**world.availability, "unreachable": unreachable}
    )
    targets = world.targets()
    first = directory.resolve(targets, world.at, availability)
    assert first == directory.resolve(targets, world.at, availability)
    assert first == again.resolve(targets, world.at, availability_again)


def world_policy(world: World, levels: list[dict[str, Any]]) -> str:
    """The world as a policy (JSON is YAML) with a desk path of these levels."""
    return json.dumps(
        {
            "policy": "p",
            "version": 1,
            "directory": world.directory,
            "schedules": world.schedules,
            "paths": {"desk": {"kind": "vertical", "levels": levels}},
            "rules": [
                {
                    "id": "r",
                    "when": {"priority": "P1"},
                    "then": {"notify": {"to": ["assignee", "role:by-team"], "channel": "chat"}},
                }
            ],
        }
    )


@st.composite
def levels_of(draw: st.DrawFn, targets: list[str]) -> list[dict[str, Any]]:
    out = []
    for i, after in enumerate(("30m", "2h", None)):
        level: dict[str, Any] = {
            "name": f"L{i + 1}",
            "targets": draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2)),
        }
        if after is not None:
            level["after"] = after
        mode = draw(st.sampled_from(["skip", "wait", "defer_until_covered", "fallback"]))
        level["on_empty"] = mode
        if mode == "fallback" or draw(st.booleans()):
            level["fallback"] = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2))
        if draw(st.booleans()):
            level["ack_within"] = "15m"
        out.append(level)
    return out


@st.composite
def evaluations(draw: st.DrawFn) -> tuple[World, str, dict[str, Any], datetime]:
    world = draw(worlds())
    text = world_policy(world, draw(levels_of(world.targets())))
    opened = world.at - timedelta(minutes=draw(st.integers(0, 6 * 60)))
    tkt = {
        "id": "T1",
        "opened_at": iso(opened),
        "priority": "P1",
        "assignee": draw(st.sampled_from(world.people)),
    }
    return world, text, tkt, world.at


@SLOW_PROPS
@given(evaluations())
def test_evaluating_with_availability_is_deterministic(
    case: tuple[World, str, dict[str, Any], datetime],
) -> None:
    world, text, tkt, now = case
    first = loads(text).evaluate(tkt, now=now, availability=world.availability)
    again = loads(text).evaluate(dict(tkt), now=now, availability=dict(world.availability))
    assert first.to_dict() == again.to_dict()


@SLOW_PROPS
@given(evaluations())
def test_no_action_pages_an_unavailable_person(
    case: tuple[World, str, dict[str, Any], datetime],
) -> None:
    world, text, tkt, now = case
    decision = loads(text).evaluate(tkt, now=now, availability=world.availability)
    availability = Availability.from_mapping(world.availability)
    paged = {p for a in decision.actions for p in a.people}
    assert set() == {p for p in paged if not available(availability, p, now)}


# --------------------------------------------------------------------------------------------
# (3) Temporary cover always wins over the schedule
# --------------------------------------------------------------------------------------------


@st.composite
def covered(draw: st.DrawFn) -> tuple[World, dict[str, Any], datetime]:
    world = draw(worlds(covers=False))
    start = world.at - timedelta(minutes=draw(st.integers(0, 48 * 60)))
    end = world.at + timedelta(minutes=draw(st.integers(1, 48 * 60)))
    cover = {
        "schedule": "s",
        "start": iso(start),
        "end": iso(end),
        "people": draw(st.lists(st.sampled_from(world.people), min_size=1, max_size=3)),
    }
    return world, cover, world.at


@PROPS
@given(covered(), st.booleans())
def test_temporary_cover_wins_over_the_schedule_whatever_it_says(
    case: tuple[World, dict[str, Any], datetime], own_override: bool
) -> None:
    world, cover, at = case
    schedules = world.schedules
    if own_override:  # the schedule's own override at the same time loses too
        schedules = {"s": {**schedules["s"], "overrides": [{**cover, "people": ["p0"]}]}}
        schedules["s"]["overrides"][0].pop("schedule")
    directory = Directory.from_config(world.directory, schedules)
    found = directory.resolve(
        ["schedule:s", "team:watch", "role:by-schedule"],
        at,
        Availability.from_mapping({"schedule_overrides": [cover]}),
    )
    assert tuple(dict.fromkeys(cover["people"])) == found.people


@PROPS
@given(covered(), st.sampled_from([-1, 0]))
def test_outside_temporary_cover_the_schedule_answers(
    case: tuple[World, dict[str, Any], datetime], side: int
) -> None:
    world, cover, _ = case
    directory = Directory.from_config(world.directory, world.schedules)
    at = datetime.fromisoformat(cover["start" if side else "end"]) + timedelta(microseconds=side)
    found = directory.resolve(
        ["schedule:s"], at, Availability.from_mapping({"schedule_overrides": [cover]})
    )
    assert directory.schedules["s"].on_call(at) == found.people


@SLOW_PROPS
@given(covered())
def test_an_escalation_to_a_covered_schedule_pages_the_cover(
    case: tuple[World, dict[str, Any], datetime],
) -> None:
    world, cover, now = case
    text = world_policy(
        world,
        [
            {"name": "L1", "targets": ["person:p0"], "after": "1m"},
            {"name": "L2", "targets": ["schedule:s"]},
        ],
    )
    tkt = {"id": "T1", "opened_at": iso(now - timedelta(minutes=1)), "priority": "P1"}
    decision = loads(text).evaluate(tkt, now=now, availability={"schedule_overrides": [cover]})
    found = next(a for a in decision.actions if a.id == "T1:path:desk:1:0:L2")
    assert tuple(dict.fromkeys(cover["people"])) == found.people


# --------------------------------------------------------------------------------------------
# next_evaluation_at: hand-offs and availability changes
# --------------------------------------------------------------------------------------------


@st.composite
def watched_evaluations(draw: st.DrawFn) -> tuple[World, str, dict[str, Any], datetime, int]:
    """Random levels (every on_empty mode, fallbacks) without ack_within, and a share of the
    way from now to the next evaluation. The unacknowledged page of ack_within is left out:
    see the xfail about it in test_oncall_evaluate.py."""
    world = draw(worlds())
    levels = [
        {k: v for k, v in level.items() if k != "ack_within"}
        for level in draw(levels_of(world.targets()))
    ]
    opened = world.at - timedelta(minutes=draw(st.integers(0, 6 * 60)))
    tkt = {"id": "T1", "opened_at": iso(opened), "priority": "P1", "assignee": "p0"}
    return world, world_policy(world, levels), tkt, world.at, draw(st.integers(1, 999))


def observable(decision: Any) -> list[tuple[Any, ...]]:
    """What a caller acts on: which actions, whom they page, since when (notes may change)."""
    return [(a.id, a.people, a.due_at, a.targets) for a in decision.actions]


# p0 is on leave for 20 hours; an hourly rotation of p0 and p1 hands off 19 times in between
# without changing who is paged (p1, the next on call), then p0 is back on their turn.
HOURLY = World(
    {
        "people": {"p0": {}, "p1": {}, "p2": {}},
        "teams": {"crew": {"members": ["p2"]}, "watch": {"schedule": "s"}},
        "roles": {"by-person": {"person": "p2"}, "by-team": {"team": "watch"}},
    },
    {
        "s": {
            "timezone": "UTC",
            "layers": [
                {
                    "name": "main",
                    "level": 1,
                    "rotation": {"members": ["p0", "p1"], "turn": "1h", "anchor": "2024-11-20"},
                }
            ],
        }
    },
    {
        "out_of_office": [
            {
                "person": "p0",
                "from": "2024-11-20T00:00:00+00:00",
                "until": "2024-11-21T06:00:00+00:00",
            }
        ]
    },
    datetime(2024, 11, 20, 10, 30, tzinfo=UTC),
)
HOURLY_CASE = (
    HOURLY,
    world_policy(HOURLY, [{"name": "L1", "targets": ["person:p2"]}]),
    {"id": "T1", "opened_at": "2024-11-20T10:00:00+00:00", "priority": "P1", "assignee": "p2"},
    HOURLY.at,
    100,  # 24 hours later, when nothing is due
)


@SLOW_PROPS
@example(HOURLY_CASE)
@given(watched_evaluations())
def test_what_is_paged_does_not_change_before_the_next_evaluation(
    case: tuple[World, str, dict[str, Any], datetime, int],
) -> None:
    world, text, tkt, now, share = case
    compiled = loads(text)
    first = compiled.evaluate(tkt, now=now, availability=world.availability)
    until = first.next_evaluation_at or now + timedelta(days=10)
    later = now + (until - now) * share // 1000
    if later <= now:
        return
    second = compiled.evaluate(tkt, now=later, availability=world.availability)
    assert observable(first) == observable(second)
