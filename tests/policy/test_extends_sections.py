"""A policy that ``extends`` another merges every top-level section it writes: none is
dropped without a word (``governance:``, ``channels:``, ``notification_plans:`` and
``notifications:`` once were)."""

from __future__ import annotations

from pathlib import Path

from escalate import load
from escalate.policy.models import PolicyRemoveSpec, PolicySectionsSpec, PolicySpec
from escalate.policy.segments import _HANDLED, NAMED_SECTIONS

BASE = """
policy: base
version: 1
directory:
  people:
    ann: {channels: {sms: "+491700000001", email: ann@example.com}}
  teams:
    desk: {members: [ann]}
channels:
  text: {kind: sms}
notification_plans:
  on-call:
    steps: [{channel: text}]
notifications: {default_plan: on-call}
clocks:
  resolution:
    stop: {status: [resolved]}
    targets: {default: {within: 4h}}
paths:
  desk:
    kind: vertical
    levels: [{name: L1, targets: ["team:desk"]}]
"""


def child(tmp_path: Path, body: str) -> Path:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    path = tmp_path / "child.yaml"
    path.write_text(f"policy: child\nversion: 2\nextends: base.yaml\n{body}", encoding="utf-8")
    return path


def test_an_extending_policy_declares_governance(tmp_path: Path) -> None:
    policy = load(child(tmp_path, 'governance:\n  audit_sample: {rate: "1/1"}\n'))
    assert policy.governance is not None
    assert policy.governance.audit_sample is not None
    assert policy.governance.audit_sample.rate_text == "1/1"


def test_an_extending_policy_adds_channels_and_plans_and_replaces_notifications(
    tmp_path: Path,
) -> None:
    body = (
        "add:\n  channels:\n    mail: {kind: email}\n"
        "  notification_plans:\n    office:\n      steps: [{channel: mail}]\n"
        "notifications: {default_plan: office}\n"
    )
    policy = load(child(tmp_path, body))
    assert policy.notifications is not None
    assert "office" == policy.notifications.default_plan
    assert {"on-call", "office"} == set(policy.notifications.plans)


def test_every_top_level_key_of_a_policy_is_merged_by_an_extension() -> None:
    assert set(PolicySpec.model_fields) <= _HANDLED
    # and each named section can be added and removed by id, as the docs promise
    assert set(NAMED_SECTIONS) <= set(PolicySectionsSpec.model_fields)
    assert set(NAMED_SECTIONS) - {"priority_matrix"} <= set(PolicyRemoveSpec.model_fields)
