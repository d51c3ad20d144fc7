"""A policy read from standard input (`-`), as pre-commit and editor hooks pipe it."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from escalate.cli import main

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "rules" / "itil-default.yaml"
TICKET = str(ROOT / "examples" / "tickets" / "INC0010001.json")
AT = "2024-11-20T15:00:00Z"


def feed(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_reads_the_policy_from_stdin_and_decides_as_from_the_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from_file = run(
        ["evaluate", "--policy", str(PACK), "--ticket", TICKET, "--at", AT, "--json"], capsys
    )
    feed(monkeypatch, PACK.read_bytes())
    from_stdin = run(
        ["evaluate", "--policy", "-", "--ticket", TICKET, "--at", AT, "--json"], capsys
    )
    assert from_file == from_stdin
    assert 0 == from_stdin[0]


def test_validate_names_stdin_in_the_position_of_a_bad_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(monkeypatch, b"policy: p\nversion: 1\nrulez: []\n")
    code, out, err = run(["validate", "-", "--as-of", AT], capsys)
    assert (2, "") == (code, out)
    assert err.startswith("escalate: error: <stdin>:3:1: ")


def test_a_policy_and_a_ticket_cannot_both_come_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(monkeypatch, PACK.read_bytes())
    code, out, err = run(["evaluate", "--policy", "-", "--ticket", "-", "--at", AT], capsys)
    assert (2, "") == (code, out)
    assert "--policy and --ticket both say '-'" in err


def test_simulate_reads_the_policy_from_stdin_and_simulates_as_from_the_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["simulate", "--ticket", TICKET, "--until", "2024-11-21T15:00:00Z", "--json"]
    from_file = run([*argv, "--policy", str(PACK)], capsys)
    feed(monkeypatch, PACK.read_bytes())
    from_stdin = run([*argv, "--policy", "-"], capsys)
    assert (0, "") == (from_stdin[0], from_stdin[2])
    # The same timeline; only the policy's source differs, and a simulation does not say it.
    assert from_file == from_stdin


def test_every_json_document_has_the_same_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tickets = str(ROOT / "examples" / "tickets")
    snapshots = ["snapshot", "--policy", str(PACK), "--tickets", tickets, "--at", AT]
    snapshots += ["--out", str(tmp_path / "snaps"), "--json"]
    for argv in (
        ["validate", str(PACK), "--as-of", AT, "--json"],
        ["evaluate", "--policy", str(PACK), "--ticket", TICKET, "--at", AT, "--json"],
        ["schema", "ticket", "--json"],
        ["demo", "--json"],
        ["simulate", "--policy", str(PACK), "--ticket", TICKET, "--until", "now", "--json"],
        ["diff", str(PACK), str(PACK), "--tickets", tickets, "--at", AT, "--json"],
        snapshots,
        [*snapshots, "--check"],
        ["test", str(ROOT / "rules" / "itil-default.cases.yaml"), "--json"],
    ):
        _, out, _ = run(argv, capsys)
        assert out == json.dumps(json.loads(out), sort_keys=True, indent=2) + "\n", argv
