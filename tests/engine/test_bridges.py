"""Bridges and war rooms: participants resolved to people through the directory, ``path:``
participants as the people of the path's current level, and ``bridge_join`` when a path moves
on after the bridge opened (docs/notifications.md, "Bridges and war rooms")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from escalate import Action, Decision, PolicyError, loads

POLICY_TEXT = """
policy: bridges
version: 1
directory:
  people:
    ann: {backup: bob}
    bob: {}
    cem: {}
    dia: {}
    eve: {}
    noc: {name: Carrier NOC}
  teams:
    desk: {members: [ann]}
    second: {members: [bob, cem]}
    vendor: {members: [noc]}
  roles:
    incident-manager: {person: dia}
schedules:
  night:
    timezone: UTC
    layers:
      - name: daily
        level: 1
        rotation: {members: [cem, eve], turn: 1d, handoff: "12:00", anchor: 2024-01-01}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["team:second"]}
  carrier:
    kind: horizontal
    levels:
      - {name: noc, targets: ["team:vendor"]}
rules:
  - id: bridge
    priority: 10
    when: {priority: P1}
    then:
      open_bridge:
        participants: ["role:incident-manager", "path:desk", "path:carrier"]
        room: war-room-1
  - id: carrier
    when: {category: network}
    then: {transfer: {path: carrier}}
"""
POLICY = loads(POLICY_TEXT)
BRIDGE = "T1:rule:bridge:20241120T100000Z:open_bridge0"


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2024-11-20T{text}:00+00:00")


def ticket(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "T1", "opened_at": "2024-11-20T10:00:00Z", "priority": "P1"}
    base.update(fields)
    return {**base, "events": list(events)}


def done(when: str, action_id: str) -> dict[str, Any]:
    return {"at": at(when).isoformat(), "type": "action-done", "action_id": action_id}


def of_kind(decision: Decision, kind: str) -> list[Action]:
    return [a for a in decision.actions if a.kind == kind]


def test_a_path_participant_is_the_people_of_the_path_s_current_level() -> None:
    [bridge] = of_kind(POLICY.evaluate(ticket(), now=at("10:05")), "open_bridge")
    assert (BRIDGE, ("dia", "ann")) == (bridge.id, bridge.people)
    assert (
        "role:incident-manager: dia",
        "path:desk at L1 (team:desk): ann",
        "path:carrier: not engaged, nobody from it",
    ) == bridge.notes
    assert {"room": "war-room-1"} == dict(bridge.details)
    assert ("role:incident-manager", "path:desk", "path:carrier") == bridge.targets


def test_a_horizontal_path_brings_the_team_or_vendor_it_engaged() -> None:
    [bridge] = of_kind(POLICY.evaluate(ticket(category="network"), now=at("10:05")), "open_bridge")
    assert ("dia", "ann", "noc") == bridge.people
    assert "path:carrier at noc (team:vendor): noc" == bridge.notes[-1]


def test_a_bridge_still_to_open_reaches_the_level_the_path_is_at_now() -> None:
    [bridge] = of_kind(POLICY.evaluate(ticket(), now=at("10:45")), "open_bridge")
    assert ("dia", "bob", "cem") == bridge.people
    assert "path:desk at L2 (team:second): bob, cem" == bridge.notes[1]


def test_substitutions_are_noted_under_the_participant_they_replace() -> None:
    leave = {"person": "ann", "from": "2024-11-20T00:00:00Z", "until": "2024-11-21T00:00:00Z"}
    away = {"out_of_office": [{**leave, "reason": "leave"}]}
    decision = POLICY.evaluate(ticket(), now=at("10:05"), availability=away)
    [bridge] = of_kind(decision, "open_bridge")
    assert ("dia", "bob") == bridge.people
    assert "path:desk at L1 (team:desk): bob" == bridge.notes[1]
    assert bridge.notes[2].startswith("ann (team:desk) unavailable: leave")


@pytest.mark.parametrize(
    ("opened", "now", "expected"),
    [
        # opened at L1; the path reached L2 at 10:30: second line joins (ann is on already)
        ("10:05", "10:40", [(f"{BRIDGE}:join:desk:20241120T103000Z", ("bob", "cem"), at("10:30"))]),
        # opened at L1, evaluated before the move: nothing joins yet
        ("10:05", "10:20", []),
        # opened after the move: it opened with second line
        ("10:35", "10:40", []),
    ],
)
def test_a_path_that_moves_on_after_the_bridge_opened_brings_its_new_level(
    opened: str, now: str, expected: list[Any]
) -> None:
    decision = POLICY.evaluate(ticket(done(opened, BRIDGE)), now=at(now))
    assert [] == of_kind(decision, "open_bridge")
    joins = of_kind(decision, "bridge_join")
    assert expected == [(a.id, a.people, a.due_at) for a in joins]


def test_a_join_names_its_bridge_path_and_level_and_is_done_once_recorded() -> None:
    decision = POLICY.evaluate(ticket(done("10:05", BRIDGE)), now=at("10:40"))
    [join] = of_kind(decision, "bridge_join")
    assert {"bridge": BRIDGE, "path": "desk", "level": "L2", "room": "war-room-1"} == dict(
        join.details
    )
    assert (("team:second",), "rule:bridge", True) == (join.targets, join.source, join.late)
    recorded = ticket(done("10:05", BRIDGE), done("10:41", join.id))
    assert [] == of_kind(POLICY.evaluate(recorded, now=at("10:50")), "bridge_join")


def test_a_bridge_recorded_under_an_earlier_stamp_of_its_stretch_still_brings_joins() -> None:
    # Regression: a bridge counted as open through a recording of an earlier id of the same
    # rule action during the stretch (a retroactive change moves the stamp) raised KeyError.
    earlier = "T1:rule:bridge:20241120T095959Z:open_bridge0"
    decision = POLICY.evaluate(ticket(done("10:05", earlier)), now=at("10:40"))
    assert [] == of_kind(decision, "open_bridge")
    assert [("bob", "cem")] == [a.people for a in of_kind(decision, "bridge_join")]


def test_the_move_that_brings_a_join_is_a_wake_up() -> None:
    decision = POLICY.evaluate(ticket(done("10:05", BRIDGE)), now=at("10:10"))
    assert at("10:30") == decision.next_evaluation_at


def test_a_join_invites_only_people_the_bridge_did_not_reach_when_it_opened() -> None:
    text = POLICY_TEXT.replace("second: {members: [bob, cem]}", "second: {members: [ann, cem]}")
    decision = loads(text).evaluate(ticket(done("10:05", BRIDGE)), now=at("10:40"))
    [join] = of_kind(decision, "bridge_join")
    assert ("cem",) == join.people


def test_a_bridge_waiting_to_open_wakes_when_a_hand_off_changes_its_people() -> None:
    text = POLICY_TEXT.replace(
        'participants: ["role:incident-manager", "path:desk", "path:carrier"]',
        'participants: ["schedule:night", "path:desk"]',
    )
    decision = loads(text).evaluate(ticket(), now=at("10:05"))
    [bridge] = of_kind(decision, "open_bridge")
    assert "schedule:night: " in bridge.notes[0]
    assert at("10:30") == decision.next_evaluation_at  # the path's move comes first
    later = loads(text).evaluate(ticket(), now=at("11:00"))
    assert at("12:00") == later.next_evaluation_at  # then the hand-off


def test_without_a_directory_path_participants_name_the_level_s_targets() -> None:
    text = """
policy: labels
version: 1
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["team:second"]}
rules:
  - id: bridge
    when: {priority: P1}
    then: {open_bridge: {participants: ["role:incident-manager", "path:desk"]}}
"""
    [bridge] = of_kind(loads(text).evaluate(ticket(), now=at("10:45")), "open_bridge")
    assert ((), ("path:desk at L2 (team:second)",)) == (bridge.people, bridge.notes)
    assert {} == dict(bridge.details)  # no room named: the details bridges always had


def test_a_bridge_without_path_participants_is_resolved_as_before() -> None:
    text = POLICY_TEXT.replace(
        'participants: ["role:incident-manager", "path:desk", "path:carrier"]',
        'participants: ["role:incident-manager", "team:desk"]',
    ).replace("        room: war-room-1\n", "")
    decision = loads(text).evaluate(ticket(done("10:05", BRIDGE)), now=at("10:40"))
    assert ([], []) == (of_kind(decision, "open_bridge"), of_kind(decision, "bridge_join"))
    [bridge] = of_kind(loads(text).evaluate(ticket(), now=at("10:40")), "open_bridge")
    assert (("dia", "ann"), (), {}) == (bridge.people, bridge.notes, dict(bridge.details))


def test_a_rung_s_bridge_reads_paths_too() -> None:
    text = (
        POLICY_TEXT
        + """
clocks:
  resolution:
    stop: {category: [resolved, closed, cancelled]}
    targets: {P1: {within: 4h}}
    ladder:
      - at: 50%
        open_bridge: {participants: ["path:desk"]}
"""
    )
    decision = loads(text).evaluate(ticket(), now=at("12:05"))
    [rung_bridge] = [a for a in of_kind(decision, "open_bridge") if a.source.startswith("clock:")]
    assert ("T1:clock:resolution#1@0:open_bridge0", ("bob", "cem")) == (
        rung_bridge.id,
        rung_bridge.people,
    )
    opened = ticket(done("10:05", BRIDGE), done("12:00", rung_bridge.id))
    # opened at 12:00, after the path reached L2 at 10:30: nobody joins from the rung's bridge
    joins = of_kind(loads(text).evaluate(opened, now=at("12:10")), "bridge_join")
    assert [f"{BRIDGE}:join:desk:20241120T103000Z"] == [a.id for a in joins]


# -- bad policies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"path:carrier"]',
            '"path:carier"]',
            "rules[0].then.open_bridge.participants[2]: unknown path 'carier' (a 'path:' "
            "participant is the people of a path's current level) (did you mean 'carrier'?)",
        ),
        ('"path:carrier"]', '"paht:carrier"]', "rules[0].then.open_bridge.participants[2]"),
        (
            '{name: noc, targets: ["team:vendor"]}',
            '{name: noc, targets: ["path:desk"]}',
            "paths.carrier.levels[0].targets[0]",
        ),
        ("room: war-room-1", "room: ''", "rules[0].then.open_bridge.room"),
    ],
)
def test_a_bad_participant_is_a_load_error_naming_its_key(old: str, new: str, message: str) -> None:
    assert old in POLICY_TEXT
    with pytest.raises(PolicyError) as caught:
        loads(POLICY_TEXT.replace(old, new, 1))
    assert message in str(caught.value)


def test_path_participants_are_refused_in_notify() -> None:
    text = POLICY_TEXT.replace(
        "then: {transfer: {path: carrier}}", 'then: {notify: {to: ["path:desk"]}}'
    )
    with pytest.raises(PolicyError, match=r"rules\[1\]\.then\.notify\.to\[0\]"):
        loads(text)
