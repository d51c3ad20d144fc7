"""escalate evaluate --messages / --audience: messages rendered, decisions exported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalate.cli import main
from tests.comms.helpers import p1_ticket

ROOT = Path(__file__).resolve().parents[2]
PACK = str(ROOT / "rules" / "itil-default.yaml")


def _run(tmp_path: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    ticket = tmp_path / "t.json"
    data = p1_ticket(fields={"patient_name": "Jane Roe", "root_cause_guess": "bad BGP config"})
    del data["assignee"]
    data["events"] = [e for e in data["events"] if e["type"] != "assigned"]
    ticket.write_text(json.dumps(data))
    code = main(
        [
            "evaluate",
            "--policy",
            PACK,
            "--ticket",
            str(ticket),
            "--at",
            "2024-11-20T10:05:00Z",
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_messages_follow_the_explanation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(tmp_path, "--messages", capsys=capsys)
    assert (0, "") == (code, err)
    assert "(template customer-notice, owner ravi.patel)" in out
    assert "subject: [INC1] We are working on your incident" in out
    assert "ACME-4711" not in out.split("message INC1:rule:p1-customer-notice")[1]


def test_json_with_messages_holds_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(tmp_path, "--messages", "--json", "--audience", "customer", capsys=capsys)
    document = json.loads(out)
    assert 0 == code
    assert {"decision", "messages"} == set(document)
    assert {"customer"} == {m["audience"] for m in document["messages"]}
    assert "Jane Roe" not in out and "ACME-4711" not in out


def test_audience_without_json_or_messages_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(tmp_path, "--audience", "customer", capsys=capsys)
    assert 2 == code
    assert "--audience chooses what --json or --messages show" in err
