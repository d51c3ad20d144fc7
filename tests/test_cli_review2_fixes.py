"""Second review of issue 10: inputs from '-', snapshot checks, scripted events the policy
refuses, and the library diff's argument."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate import load
from escalate.cli import main
from escalate.errors import ArgumentError
from escalate.whatif import diff

ROOT = Path(__file__).resolve().parents[1]
PACK = str(ROOT / "rules" / "itil-default.yaml")
TICKETS = str(ROOT / "examples" / "tickets")
TICKET = str(ROOT / "examples" / "tickets" / "INC0010001.json")
AT = "2024-11-20T15:00:00Z"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def feed(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "--policy", "-", "--ticket", "-", "--at", AT],
        ["simulate", "--policy", "-", "--ticket", "-", "--until", AT],
        ["diff", "-", "-", "--tickets", TICKETS, "--at", AT],
    ],
)
def test_two_inputs_from_stdin_are_refused_before_either_is_read(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(monkeypatch, Path(TICKET).read_bytes())  # a ticket, where the policy is read first
    code, out, err = run(argv, capsys)
    assert (2, "", 1) == (code, out, err.count("\n"))
    assert "both say '-'" in err


def test_a_policy_from_stdin_that_extends_another_says_to_give_its_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(monkeypatch, b"policy: child\nversion: 2\nextends: base.yaml\n")
    code, _, err = run(["validate", "-", "--as-of", AT], capsys)
    assert 2 == code
    assert "<stdin>:3:1: extends: a policy read from standard input cannot extend" in err
    assert "loads()" not in err


def test_check_refuses_a_folder_with_a_file_that_is_not_a_snapshot_as_writing_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snap"
    write = ["snapshot", "--policy", PACK, "--tickets", TICKETS, "--at", AT, "--out", str(out)]
    assert 0 == run(write, capsys)[0]
    (out / "notes.json").write_text('{"not": "a snapshot"}', encoding="utf-8")
    check = run([*write, "--check"], capsys)
    again = run(write, capsys)
    assert (2, 2) == (check[0], again[0])
    assert "notes.json is not a decision snapshot" in check[2]


def test_a_scripted_priority_the_policy_refuses_is_located_in_the_events_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.yaml"
    events.write_text('- {after: 10m, type: priority-changed, priority: "9 - Weird"}\n')
    code, _, err = run(
        [
            "simulate", "--policy", PACK, "--ticket", TICKET, "--from", AT,
            "--until", "2024-11-20T18:00:00Z", "--events", str(events),
        ],
        capsys,
    )  # fmt: skip
    assert 2 == code
    assert err.startswith(f"escalate: error: {events}:1:")
    assert "events[0].priority: priority value is not known" in err


def test_the_library_diff_refuses_tickets_that_are_not_a_list() -> None:
    policy = load(PACK)
    with pytest.raises(ArgumentError, match="tickets must be a list"):
        diff(policy, policy, 5, at=datetime(2024, 11, 20, 15, tzinfo=UTC))  # type: ignore[arg-type]
