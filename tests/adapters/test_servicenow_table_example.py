"""examples/servicenow/handler.py: a webhook payload in, the PATCH request out, run as a user."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import escalate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "servicenow"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "servicenow"
POLICY = escalate.load(str(ROOT / "rules" / "itil-default.yaml"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE / "handler.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize("mode", ["all", "true"])
def test_the_handler_prints_the_patch_request_for_a_bundled_payload(mode: str) -> None:
    done = run(str(EXAMPLE / f"INC0010042-{mode}.json"), "--at", "2024-06-03T08:20:00Z")
    assert 0 == done.returncode, done.stderr
    out = json.loads(done.stdout)
    assert ("PATCH", "/api/now/table/incident/9d385017c611228701d22104cc95c371", "3") == (
        out["method"],
        out["path"],
        out["body"]["escalation"],
    )
    assert out["body"]["work_notes"].startswith("ticket INC0010042 at 2024-06-03T08:20:00")


@pytest.mark.parametrize(("mode", "history"), [("all", "sys_audit"), ("true", "sys_history_line")])
def test_the_bundled_payloads_hold_the_documented_fixtures(mode: str, history: str) -> None:
    payload = json.loads((EXAMPLE / f"INC0010042-{mode}.json").read_text(encoding="utf-8"))
    record = json.loads((FIXTURES / f"INC0010042-{mode}.json").read_text(encoding="utf-8"))
    rows = json.loads((FIXTURES / f"INC0010042-{history}.json").read_text(encoding="utf-8"))
    assert (mode, history, record, rows) == (
        payload["display_value"],
        payload["history_table"],
        payload["record"],
        payload["history"],
    )


def test_a_payload_that_does_not_fit_is_refused_with_its_field(tmp_path: Path) -> None:
    payload = json.loads((EXAMPLE / "INC0010042-all.json").read_text(encoding="utf-8"))
    payload["record"]["result"]["opened_at"] = "2024-06-03 07:00:00"  # "all" has two sides
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(payload), encoding="utf-8")
    done = run(str(bad))
    assert (1, "") == (done.returncode, done.stdout)
    assert "result.opened_at" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_handler_is_deterministic() -> None:
    module = runpy.run_path(str(EXAMPLE / "handler.py"))
    payload = json.loads((EXAMPLE / "INC0010042-all.json").read_text(encoding="utf-8"))
    at = datetime(2024, 6, 3, 8, 20, tzinfo=UTC)
    first = json.dumps(module["handle"](payload, at, POLICY), sort_keys=True)
    assert first == json.dumps(module["handle"](payload, at, POLICY), sort_keys=True)
