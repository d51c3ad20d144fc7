"""``vendors:`` is a named section like the others: a policy that ``extends`` another, and a
segment, override, add and remove vendor contracts by id (docs/vendors.md, "Extending and
segments")."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from escalate import PolicyError
from escalate.policy.loader import load, loads
from tests.vendors.helpers import CONTRACT, T0, engaged_ticket

BASE = "policy: base\nversion: 1\n" + textwrap.dedent(CONTRACT)
BETA = "{name: Beta, path: acme, response: {default: 1h}}"


def _child(tmp_path: Path, body: str) -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\npolicy: child\nversion: 2\n" + textwrap.dedent(body))
    return child


def _ids(policy: object) -> list[str]:
    return [v.id for v in policy.vendors]  # type: ignore[attr-defined]


def test_extending_policy_inherits_the_base_vendors(tmp_path: Path) -> None:
    assert _ids(load(_child(tmp_path, ""))) == ["acme"]


def test_extending_policy_overrides_a_vendor_whole(tmp_path: Path) -> None:
    child = load(
        _child(tmp_path, "vendors:\n  acme: {name: ACME EU, path: acme, response: {default: 1h}}\n")
    )
    (vendor,) = child.vendors
    assert vendor.name == "ACME EU"
    assert vendor.clauses == ()  # replaced whole, as other sections' entries are
    d = child.evaluate(engaged_ticket(), now=datetime.fromisoformat(T0))
    assert d.vendors[0].response.target == "1h"


def test_extending_policy_adds_and_removes_vendors(tmp_path: Path) -> None:
    assert _ids(load(_child(tmp_path, f"add:\n  vendors:\n    beta: {BETA}\n"))) == ["acme", "beta"]
    assert _ids(load(_child(tmp_path, "remove:\n  vendors: [acme]\n"))) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            f"vendors:\n  acmee: {BETA}\n",
            "child.yaml:5:3: vendors.acmee: 'child.yaml' overrides vendors.acmee, which the "
            "base does not define; to add it, write it under 'add:' (did you mean 'acme'?)",
        ),
        (
            f"add:\n  vendors:\n    acme: {BETA}\n",
            "adds vendors.acme, which the base already defines",
        ),
        ("remove:\n  vendors: [beta]\n", "removes vendors.beta, which the base does not define"),
    ],
)
def test_overlay_errors_as_for_other_sections(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load(_child(tmp_path, body))
    assert expected in str(caught.value)


def test_a_segment_may_override_a_vendor_contract() -> None:
    text = BASE + textwrap.dedent(
        """
        segments:
          - id: emea
            when: {region: emea}
            precedence: 1
            vendors:
              acme: {name: ACME EU, path: acme, response: {default: 1h}}
        """
    )
    policy = loads(text, filename="p.yaml")
    at = datetime.fromisoformat(T0)
    emea = policy.evaluate(engaged_ticket(region="emea", priority="P3"), now=at)
    other = policy.evaluate(engaged_ticket(region="us", priority="P3"), now=at)
    assert (emea.vendors[0].name, emea.vendors[0].response.target) == ("ACME EU", "1h")
    assert (other.vendors[0].name, other.vendors[0].response.target) == ("ACME Storage Inc.", "2h")
