"""examples/alertmanager/receiver.py runs on its bundled webhooks and says what is due."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
RECEIVER = ROOT / "examples" / "alertmanager" / "receiver.py"
FIXTURES = Path(__file__).parent / "fixtures" / "alertmanager"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RECEIVER), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_the_receiver_escalates_a_firing_critical_alert() -> None:
    firing = str(RECEIVER.parent / "webhook-1-firing.json")
    done = run(firing, "--now", "2024-06-03T08:30:00Z")
    assert (0, "") == (done.returncode, done.stderr)
    assert "escalate -> team:second-line [path:service-desk]" in done.stdout
    assert "ALERT-c6eadffa33fcdf37: new, 5xx rate above 5% on checkout-2" in done.stdout


def test_the_receiver_resolves_the_ticket_a_resolved_alert_names() -> None:
    done = run("--now", "2024-06-03T09:00:00Z", "--json")
    decisions = [json.loads(line) for line in done.stdout.splitlines()]
    assert 0 == done.returncode
    assert [
        ("ALERT-1a30ba71cca2921f", None),
        ("ALERT-c6eadffa33fcdf37", "2024-06-03T12:00:05.100000+00:00"),
    ] == [(d["ticket"], d["next_evaluation_at"]) for d in decisions]


def test_the_receiver_refuses_a_malformed_payload_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    case = json.loads((FIXTURES / "malformed.json").read_text(encoding="utf-8"))[7]
    bad.write_text(json.dumps(case["payload"]), encoding="utf-8")
    done = run(str(bad), "--now", "2024-06-03T09:00:00Z")
    assert (1, "") == (done.returncode, done.stdout)
    assert done.stderr.startswith("bad.json: alerts[0].startsAt: ")


def test_a_refused_payload_keeps_the_tickets_the_others_built(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    case = json.loads((FIXTURES / "malformed.json").read_text(encoding="utf-8"))[7]
    bad.write_text(json.dumps(case["payload"]), encoding="utf-8")
    firing = str(RECEIVER.parent / "webhook-1-firing.json")
    resolved = str(RECEIVER.parent / "webhook-2-resolved.json")
    missing = str(tmp_path / "missing.json")
    done = run(firing, str(bad), missing, resolved, "--now", "2024-06-03T09:00:00Z")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0].startswith("bad.json: alerts[0].startsAt: ")
    assert done.stderr.splitlines()[1].startswith("missing.json: ")
    assert "Traceback" not in done.stderr
    # Both alerts of the first payload are still there, and the later resolve was applied.
    heads = [line for line in done.stdout.splitlines() if line.startswith("ALERT-")]
    assert [head.split(",")[0] for head in heads] == [
        "ALERT-1a30ba71cca2921f: resolved",
        "ALERT-c6eadffa33fcdf37: new",
    ]
