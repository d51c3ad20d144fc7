"""Lint: a point of contact that can name several people at once is reported."""

from __future__ import annotations

import textwrap

from escalate import lint, load, loads
from tests.comms.helpers import COMMS


def _findings(contact: str) -> list[str]:
    text = COMMS.replace("point_of_contact: role:account-manager", f"point_of_contact: {contact}")
    policy = loads(text, filename="comms.yaml")
    return [f.message for f in lint(policy) if f.code == "multiple-points-of-contact"]


def test_a_person_or_a_role_filled_by_one_is_not_reported() -> None:
    assert [] == _findings("role:account-manager")
    assert [] == _findings("person:cleo")
    assert [] == _findings("assignee")


def test_a_team_of_several_people_is_reported() -> None:
    (message,) = _findings("team:desk")
    assert message.startswith(
        "team:desk: team desk has 2 members, all named at once; a message to customer names "
        "exactly one owner"
    )


def test_a_role_filled_by_a_team_is_reported_through_the_role() -> None:
    (message,) = _findings("[assignee, role:desk-lead]")
    assert message.startswith(
        "role:desk-lead: role desk-lead is filled by team:desk: team desk has 2 members"
    )


def test_the_finding_stands_at_the_audiences_point_of_contact() -> None:
    text = COMMS.replace("point_of_contact: role:account-manager", "point_of_contact: team:desk")
    (finding,) = [
        f for f in lint(loads(text, filename="c.yaml")) if f.code == "multiple-points-of-contact"
    ]
    assert ("audiences", "customer", "point_of_contact") == finding.where
    assert finding.source is not None and finding.source[0] == "c.yaml"


def test_the_shipped_pack_names_single_points_of_contact() -> None:
    policy = load("rules/itil-default.yaml")
    assert [] == [f for f in lint(policy) if f.code == "multiple-points-of-contact"]
    assert "role:incident-manager" in policy.points_of_contact["customer"]


def test_a_person_named_only_as_a_point_of_contact_is_used() -> None:
    text = COMMS.replace("point_of_contact: person:cleo", "point_of_contact: person:ben")
    text = text.replace(
        "    ben: {name: Ben Weber",
        "    dora: {name: Dora Lang, channels: {email: d@example.com}}\n    ben: {name: Ben Weber",
    )
    text = text.replace("point_of_contact: person:ben", "point_of_contact: person:dora")
    unused = [f.where for f in lint(loads(text)) if f.code == "unused-person"]
    assert ("directory", "people", "dora") not in unused


def _with_schedule(layers: str, overrides: str = "") -> str:
    schedule = (
        "schedules:\n  desk-oncall:\n    timezone: UTC\n    layers:\n"
        + textwrap.indent(textwrap.dedent(layers), "      ")
        + ("" if not overrides else "    overrides:\n" + textwrap.indent(overrides, "      "))
    )
    return COMMS.replace("clocks:\n", schedule + "clocks:\n", 1)


ONE_LAYER = """\
- name: weekly
  level: 1
  rotation: {members: [anna, ben, cleo], turn: 1w, handoff: "09:00", anchor: 2024-01-01}
"""
TWO_LAYERS = (
    ONE_LAYER
    + """\
- name: backup
  level: 1
  rotation: {members: [cleo], turn: 1w, handoff: "09:00", anchor: 2024-01-01}
"""
)


def _schedule_findings(text: str, contact: str) -> list[str]:
    text = text.replace("point_of_contact: role:account-manager", f"point_of_contact: {contact}")
    policy = loads(text, filename="comms.yaml")
    return [f.message for f in lint(policy) if f.code == "multiple-points-of-contact"]


def test_a_schedule_with_one_person_on_call_at_a_time_is_not_reported() -> None:
    # its hand-offs change the owner; each message still names exactly one
    assert [] == _schedule_findings(_with_schedule(ONE_LAYER), "schedule:desk-oncall")


def test_a_schedule_that_can_put_two_on_call_is_reported_once_in_plain_words() -> None:
    (message,) = _schedule_findings(_with_schedule(TWO_LAYERS), "schedule:desk-oncall")
    assert message.startswith(
        "schedule:desk-oncall: on-call schedule desk-oncall, which has layers on one level "
        "(weekly, backup) that can both have someone on call; a message to customer"
    )
    assert 1 == message.count("desk-oncall,")


def test_overlapping_overrides_are_reported() -> None:
    overrides = (
        "- {start: 2024-12-24T00:00:00Z, end: 2024-12-26T00:00:00Z, people: [anna]}\n"
        "- {start: 2024-12-25T00:00:00Z, end: 2024-12-27T00:00:00Z, people: [ben]}\n"
    )
    (message,) = _schedule_findings(_with_schedule(ONE_LAYER, overrides), "schedule:desk-oncall")
    assert "overrides that put several people on call at once" in message
    single = "- {start: 2024-12-24T00:00:00Z, end: 2024-12-26T00:00:00Z, people: [anna]}\n"
    assert [] == _schedule_findings(_with_schedule(ONE_LAYER, single), "schedule:desk-oncall")


def test_a_turn_of_a_group_is_reported_and_a_team_names_its_schedule_once() -> None:
    group = ONE_LAYER.replace("members: [anna, ben, cleo]", "members: [[anna, ben], cleo]")
    text = _with_schedule(group).replace(
        "    desk: {members: [anna, ben]}",
        "    desk: {members: [anna, ben], schedule: desk-oncall}",
    )
    (message,) = _schedule_findings(text, "team:desk")
    assert message.startswith(
        "team:desk: team desk is staffed by on-call schedule desk-oncall, which has turns of "
        "several people (layer weekly); a message"
    )
    one = _with_schedule(ONE_LAYER).replace(
        "    desk: {members: [anna, ben]}",
        "    desk: {members: [anna, ben], schedule: desk-oncall}",
    )
    assert [] == _schedule_findings(one, "team:desk")
