"""``escalate audit record|verify|replay``: exit codes, --json, a continued chain, no traceback."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from escalate.audit import verify_chain
from escalate.cli import main
from tests.audit.trails import PACK_PATH, TICKETS

PACK = str(PACK_PATH)
AT = "2024-11-20T15:00:00Z"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def record(out: Path, capsys: pytest.CaptureFixture[str], at: str = AT) -> tuple[int, str, str]:
    argv = ["audit", "record", "--policy", PACK, "--tickets", str(TICKETS), "--at", at]
    return run([*argv, "--out", str(out)], capsys)


def test_record_writes_a_trail_that_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "audit.jsonl"
    code, out, err = record(trail, capsys)
    kinds = [json.loads(line)["kind"] for line in trail.read_text(encoding="utf-8").splitlines()]
    assert (0, "", "policy", 6) == (code, err, kinds[0], kinds.count("decision"))
    assert out.startswith(f"appended to {trail}: ")
    code, out, _ = run(["audit", "verify", str(trail)], capsys)
    assert (0, f"ok: {len(kinds)} records, chain intact") == (code, out.split(";")[0])


def test_record_again_continues_the_chain_without_recording_the_policy_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "audit.jsonl"
    record(trail, capsys)
    argv = ["audit", "record", "--policy", PACK, "--tickets", str(TICKETS), "--at"]
    code, out, _ = run([*argv, "2024-11-20T16:00:00Z", "--out", str(trail), "--json"], capsys)
    appended = json.loads(out)["appended"]
    report = verify_chain(trail.read_bytes())
    kinds = [json.loads(line)["kind"] for line in trail.read_text(encoding="utf-8").splitlines()]
    assert (0, True, 1, ["decision"] * 6) == (
        code,
        report.ok,
        kinds.count("policy"),
        [a["kind"] for a in appended],
    )


def test_verify_a_tampered_trail_exits_1_naming_the_first_broken_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "audit.jsonl"
    record(trail, capsys)
    lines = trail.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[3]
    trail.write_text("".join(lines), encoding="utf-8")
    code, out, err = run(["audit", "verify", str(trail)], capsys)
    assert (1, "") == (code, err)
    assert out.startswith("BROKEN at line 4 (seq 5): seq-gap: expected seq 4, found 5")
    code, out, _ = run(["audit", "verify", str(trail), "--json"], capsys)
    assert (1, {"line": 4, "seq": 5, "problem": "seq-gap"}) == (
        code,
        {k: v for k, v in json.loads(out)["broken"].items() if k != "detail"},
    )


def test_verify_a_garbled_file_exits_1_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "audit.jsonl"
    trail.write_bytes(b"\x00\xff{not json\n\n[]\n")
    code, out, err = run(["audit", "verify", str(trail)], capsys)
    assert (1, "", "Traceback" in out) == (code, err, False)
    assert out.startswith("BROKEN at line 1: bad-json: not UTF-8")


def test_replay_of_a_garbled_file_exits_1_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "audit.jsonl"
    trail.write_text('{"seq": 1, "kind": "decision"}\n', encoding="utf-8")
    code, out, err = run(["audit", "replay", str(trail), "--json"], capsys)
    report = json.loads(out)
    assert (1, "", False, "not-a-record") == (
        code,
        err,
        report["ok"],
        report["chain"]["broken"]["problem"],
    )


def test_replay_exits_0_on_a_clean_trail_and_1_when_actions_were_missed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail, tickets = tmp_path / "audit.jsonl", tmp_path / "tickets"
    tickets.mkdir()
    for path in TICKETS.glob("*.json"):
        (tickets / path.name).write_bytes(path.read_bytes())
    argv = ["audit", "record", "--policy", PACK, "--tickets", str(tickets), "--out", str(trail)]
    run([*argv, "--at", AT], capsys)
    clean = run(["audit", "replay", str(trail)], capsys)
    # nothing done in three hours: due actions are pending while the tickets are open ...
    run([*argv, "--at", "2024-11-20T17:00:00Z"], capsys)
    waiting = run(["audit", "replay", str(trail), "--json"], capsys)
    listed = run(["audit", "replay", str(trail)], capsys)[1]
    # ... and missed once one ends without them
    one = tickets / "INC0010001.json"
    data = json.loads(one.read_text(encoding="utf-8"))
    data["events"].append({"at": "2024-11-20T17:30:00Z", "type": "resolved"})
    data["status"] = "resolved"
    one.write_text(json.dumps(data), encoding="utf-8")
    run([*argv, "--at", "2024-11-20T18:00:00Z"], capsys)
    code, out, _ = run(["audit", "replay", str(trail), "--json"], capsys)
    report = json.loads(out)
    kinds = {(d["kind"], d["ticket"]) for d in report["deviations"]}
    assert (0, 0, 1, {("missed-action", "INC0010001")}) == (clean[0], waiting[0], code, kinds)
    assert "replayed 6 decisions of 6 tickets: 0 deviations" in clean[1]
    pending = json.loads(waiting[1])["pending"]
    assert pending and all(set(p) == {"ticket", "action", "due_at"} for p in pending)
    # the text lists them too, one per line, as the JSON does
    lines = [line for line in listed.splitlines() if line.startswith("  pending on ")]
    assert lines == [
        f"  pending on {p['ticket']}: {p['action']}, due {p['due_at']}" for p in pending
    ]
    assert f"{len(pending)} actions pending" in listed


def test_record_refuses_to_append_to_a_broken_trail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "audit.jsonl"
    trail.write_text("garbage\n", encoding="utf-8")
    code, out, err = record(trail, capsys)
    assert (2, "", "garbage\n") == (code, out, trail.read_text(encoding="utf-8"))
    assert err.startswith(f"escalate: error: --out: '{trail}': line 1: the audit trail is broken")


def test_a_missing_trail_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.jsonl"
    for action in ("verify", "replay"):
        assert (
            2,
            "",
            f"escalate: error: FILE: no audit trail at '{missing}'\n",
        ) == run(["audit", action, str(missing)], capsys)


@pytest.mark.parametrize("action", ["record", "verify", "replay"])
def test_every_audit_action_takes_json(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == main(["audit", action, "--help"])
    assert "--json" in capsys.readouterr().out


# -- the review of issue 14 (each test failed before its fix) ---------------------------------


def test_verify_and_replay_read_the_trail_from_standard_input_for_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = tmp_path / "audit.jsonl"
    record(trail, capsys)
    found = []
    for action in ("verify", "replay"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(trail.read_bytes())))
        code, out, _ = run(["audit", action, "-", "--json"], capsys)
        found.append((code, json.loads(out)["ok"]))
    assert [(0, True), (0, True)] == found


def test_verify_with_the_expected_head_fails_when_records_were_cut_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "audit.jsonl"
    record(trail, capsys)
    head = verify_chain(trail).head
    intact = run(["audit", "verify", str(trail), "--expect-head", head], capsys)
    lines = trail.read_bytes().splitlines(keepends=True)
    trail.write_bytes(b"".join(lines[:-1]))
    code, out, _ = run(["audit", "verify", str(trail), "--expect-head", head], capsys)
    assert (0, 1) == (intact[0], code)
    assert out.startswith(f"BROKEN at line {len(lines) - 1} (seq {len(lines) - 1}): head-mismatch")
    assert f"all {len(lines) - 1} records are intact, the end is not the expected one" in out


def test_a_ticket_with_an_integer_beyond_2_53_is_named_and_nothing_is_appended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tickets, trail = tmp_path / "tickets", tmp_path / "audit.jsonl"
    tickets.mkdir()
    data = json.loads((TICKETS / "INC0010002.json").read_text(encoding="utf-8"))
    (tickets / "INC0010001.json").write_bytes((TICKETS / "INC0010001.json").read_bytes())
    (tickets / "INC0010002.json").write_text(
        json.dumps({**data, "fields": {"jira_id": 2**53 + 1}}), encoding="utf-8"
    )
    argv = ["audit", "record", "--policy", PACK, "--tickets", str(tickets), "--at", AT]
    code, out, err = run([*argv, "--out", str(trail)], capsys)
    assert (2, "", False) == (code, out, trail.exists())
    assert err.startswith(
        f"escalate: error: {tickets / 'INC0010002.json'}: the ticket cannot be recorded in an "
        "audit trail, nothing was appended: fields.jira_id: the integer 9007199254740993"
    )


def test_an_unwritable_trail_is_named_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    code, _, err = record(folder, capsys)
    assert (2, 1) == (code, err.count(str(folder)))


def test_record_refuses_a_ticket_with_events_after_at_and_appends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As ``evaluate`` does (docs/audit.md, "Recording from a ticketing export"): a ticket
    exported after ``--at`` is not the ticket as it stood at ``--at``. INC-V1's vendor
    acknowledges at 15:10."""
    vendors = TICKETS.parent / "vendors"
    trail = tmp_path / "audit.jsonl"
    argv = ["audit", "record", "--policy", str(vendors / "policy.yaml")]
    argv += ["--tickets", str(vendors / "tickets"), "--out", str(trail)]
    code, out, err = run([*argv, "--at", "2024-11-20T15:00:00Z"], capsys)
    assert (code, out, trail.exists()) == (2, "", False)
    assert "INC-V1.json: events[1].at: event after now" in err and "Traceback" not in err
    assert run([*argv, "--at", "2024-12-05T00:00:00Z"], capsys)[0] == 0
