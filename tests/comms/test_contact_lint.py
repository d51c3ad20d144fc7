"""Lint: a point of contact that can name several people at once is reported."""

from __future__ import annotations

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
    assert message.startswith("team:desk is team desk of 2 people: a message to customer")


def test_a_role_filled_by_a_team_is_reported_through_the_role() -> None:
    (message,) = _findings("[assignee, role:desk-lead]")
    assert message.startswith(
        "role:desk-lead is role desk-lead, filled by team:desk, which is team"
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
