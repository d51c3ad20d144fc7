"""Exports for audiences other than ``internal`` carry no vendor states and no governance
flags (other parties' contract state, penalties, internal oversight); the vendor audience's
export of a policy with vendors is one vendor's view (docs/vendors.md, "Data sharing")."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import ArgumentError
from escalate.cli import main
from tests.vendors.helpers import CONTRACT, contract, engaged_ticket

NOW = datetime.fromisoformat("2024-11-20T20:00:00+00:00")
GOVERNED = CONTRACT + "governance:\n  overrides: {unauthorised: flag}\n"
BETA = (
    "vendors:\n=>vendors:\n  beta:\n    name: Beta Networks\n    path: acme\n"
    "    response: {default: 1h}\n    currency: USD\n"
    '    clauses: [{id: x, clock: response, per: 1h, amount: "999.00"}]\n'
    '    contacts: [{name: beta-boss, address: "ceo@beta.example", after: 1h}]\n'
)


@pytest.mark.parametrize(
    ("audience", "keeps"),
    [("internal", True), ("executive", False), ("customer", False), ("regulator", False)],
)
def test_only_internal_reads_vendor_states_and_governance(audience: str, keeps: bool) -> None:
    policy = contract(GOVERNED)
    decision = policy.evaluate(engaged_ticket(), now=NOW)
    assert {"vendors", "governance"} <= set(decision.to_dict())
    exported = policy.export(decision, audience=audience)
    assert ("vendors" in exported, "governance" in exported) == (keeps, keeps)
    text = json.dumps(exported)
    assert ("account-manager" in text) is keeps  # the vendor-side contact reached
    assert ("1000.00" in text) is keeps  # its accrued penalty


def test_the_vendor_export_names_its_vendor() -> None:
    policy = contract(beta=BETA)
    decision = policy.evaluate(engaged_ticket(), now=NOW)
    with pytest.raises(ArgumentError, match=r"name it .*vendors: acme, beta\)"):
        policy.export(decision, audience="vendor")
    with pytest.raises(ArgumentError, match=r"no vendor 'acne' \(vendors: acme, beta\)"):
        policy.export(decision, audience="vendor", vendor="acne")
    with pytest.raises(ArgumentError, match="audience 'vendor' only"):
        policy.export(decision, audience="customer", vendor="acme")


def test_the_vendor_export_is_the_vendor_view_and_holds_no_other_vendor() -> None:
    policy = contract(beta=BETA)
    decision = policy.evaluate(engaged_ticket(region="eu-west"), now=NOW)
    exported = policy.export(decision, audience="vendor", vendor="acme")
    assert exported == policy.vendor_view(decision, "acme")
    assert exported["state"]["vendor"] == "acme"
    text = json.dumps(exported)
    for other in ("beta", "Beta Networks", "ceo@beta.example", "USD", "eu-west"):
        assert other not in text
    beta = json.dumps(policy.export(decision, audience="vendor", vendor="beta"))
    assert "noc@acme.example" not in beta and "ACME" not in beta


_VALUE = st.text(alphabet="qxzjkQXZJK", min_size=6, max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {
            "region": _VALUE,
            "business_unit": _VALUE,
            "subcategory": _VALUE,
            "assignment_group": _VALUE,
            "configuration_item": _VALUE,
            "service_line": _VALUE,
        }
    ),
    comment=_VALUE,
)
def test_no_unlisted_field_value_reaches_the_vendor(values: dict[str, str], comment: str) -> None:
    policy = contract()
    ticket = engaged_ticket(
        {"at": "2024-11-20T15:00:00+00:00", "type": "comment", "text": comment}, **values
    )
    decision = policy.evaluate(ticket, now=NOW)
    text = json.dumps(policy.export(decision, audience="vendor", vendor="acme"))
    for value in [*values.values(), comment]:
        assert value not in text


def test_cli_vendor_audience_takes_vendor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text("policy: p\nversion: 1\n" + CONTRACT)
    (tmp_path / "t.json").write_text(json.dumps(engaged_ticket(region="eu-west")))
    argv = ["evaluate", "--policy", str(tmp_path / "p.yaml"), "--ticket", str(tmp_path / "t.json")]
    argv += ["--at", NOW.isoformat(), "--json", "--audience", "vendor"]
    assert main(argv) != 0
    out, err = capsys.readouterr()
    assert "vendors: acme" in err and "Traceback" not in err
    assert main([*argv, "--vendor", "acme"]) == 0
    out, err = capsys.readouterr()
    view = json.loads(out)
    assert (view["vendor"], view["ticket"]["category"]) == ("acme", "storage")
    assert "eu-west" not in out
    assert main([*argv[:-2], "--vendor", "acme"]) != 0  # --vendor without the vendor audience
