"""The conventions every command follows: ``-`` for stdin, ``--at now``, ``--version``,
``--json``, missing files named with their option, and docs/cli.md listing every command."""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import escalate.cli._io
from escalate import __version__
from escalate.cli import main, parser
from escalate.schemas import json_schema

ROOT = Path(__file__).parent.parent
PACK = str(ROOT / "rules" / "itil-default.yaml")
TICKET = ROOT / "examples" / "tickets" / "INC0010001.json"
AVAILABILITY = ROOT / "examples" / "availability.json"
AT = "2024-11-20T15:00:00+00:00"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def evaluate(*extra: str) -> list[str]:
    return ["evaluate", "--policy", PACK, "--at", AT, "--json", *extra]


# -- --version ------------------------------------------------------------------------------------


def test_version_prints_the_installed_version_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (0, f"escalate {__version__}\n", "") == run(["--version"], capsys)


# -- '-' for stdin --------------------------------------------------------------------------------


def test_a_ticket_read_from_stdin_decides_as_the_same_file_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, from_file, _ = run(evaluate("--ticket", str(TICKET)), capsys)
    stdin(monkeypatch, TICKET.read_bytes())
    assert (0, from_file) == run(evaluate("--ticket", "-"), capsys)[:2]


def test_availability_read_from_stdin_is_applied(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = evaluate("--ticket", str(TICKET), "--availability")
    _, from_file, _ = run([*argv, str(AVAILABILITY)], capsys)
    _, without, _ = run(evaluate("--ticket", str(TICKET)), capsys)
    stdin(monkeypatch, AVAILABILITY.read_bytes())
    code, from_stdin, _ = run([*argv, "-"], capsys)
    assert (0, from_file, True) == (code, from_stdin, from_stdin != without)


def test_two_inputs_from_stdin_in_one_command_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, AVAILABILITY.read_bytes())
    code, out, err = run(evaluate("--ticket", "-", "--availability", "-"), capsys)
    assert (2, "", 1) == (code, out, err.count("\n"))
    assert (
        "escalate: error: --ticket and --availability both say '-': only one input can come "
        "from standard input (give the others as files)\n"
    ) == err


def test_stdin_can_be_read_again_by_the_next_command_in_one_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, TICKET.read_bytes())
    first = run(evaluate("--ticket", "-"), capsys)
    stdin(monkeypatch, TICKET.read_bytes())
    assert first == run(evaluate("--ticket", "-"), capsys)


def test_invalid_json_on_stdin_is_located_in_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, b'{"id": "T1",\n  oops}')
    assert (
        2,
        "escalate: error: <stdin>:2:3: invalid JSON: Expecting property name enclosed in double "
        "quotes\n",
    ) == run(evaluate("--ticket", "-"), capsys)[::2]


def test_a_ticket_on_stdin_that_breaks_the_format_names_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, b'{"id": "T1"}')
    code, _, err = run(evaluate("--ticket", "-"), capsys)
    assert (2, True) == (code, err.startswith("escalate: error: <stdin>: "))


def test_stdin_larger_than_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(escalate.cli._io, "MAX_JSON_BYTES", 10)
    stdin(monkeypatch, b'{"id": "T1", "opened_at": "2024-11-20T10:00:00Z"}')
    assert (
        2,
        "escalate: error: --ticket: cannot read ticket from standard input: it is more than 10 "
        "bytes; the limit is 10 bytes\n",
    ) == run(evaluate("--ticket", "-"), capsys)[::2]


def test_stdin_with_a_byte_order_mark_is_refused_as_files_are(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, b"\xef\xbb\xbf" + TICKET.read_bytes())
    assert (
        2,
        "escalate: error: <stdin>: the ticket starts with a UTF-8 byte-order mark; save it as "
        "UTF-8 without one\n",
    ) == run(evaluate("--ticket", "-"), capsys)[::2]


# -- --at now -------------------------------------------------------------------------------------


def test_at_now_evaluates_at_this_machines_clock(capsys: pytest.CaptureFixture[str]) -> None:
    before = datetime.now(UTC)
    argv = ["evaluate", "--policy", PACK, "--ticket", str(TICKET), "--at", "now", "--json"]
    code, out, _ = run(argv, capsys)
    after = datetime.now(UTC)
    evaluated_at = datetime.fromisoformat(json.loads(out)["evaluated_at"])
    assert (0, True) == (code, before <= evaluated_at <= after)


def test_an_instant_without_an_offset_is_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", "--policy", PACK, "--ticket", str(TICKET), "--at", "2024-11-20T15:00"]
    code, _, err = run(argv, capsys)
    assert (2, True) == (code, "has no UTC offset" in err)


def test_now_is_spelt_in_lower_case_only(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", "--policy", PACK, "--ticket", str(TICKET), "--at", "NOW"]
    code, _, err = run(argv, capsys)
    assert (2, True) == (code, "not an ISO-8601 instant: 'NOW'" in err)


# -- --json ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["evaluate", "explain", "schema", "demo"])
def test_the_command_takes_json(command: str) -> None:
    sub = next(a for a in parser()._actions if a.dest == "command")
    options = {o for a in sub.choices[command]._actions for o in a.option_strings}  # type: ignore[attr-defined]
    assert "--json" in options


def test_schema_with_json_prints_the_same_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema", "ticket", "--json"], capsys)
    assert (0, json_schema("ticket")) == (code, json.loads(out))


def test_json_output_is_ascii(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["demo", "--json"], capsys)
    assert out.isascii()


# -- missing files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "option", "what"),
    [
        (["evaluate", "--policy", PACK, "--at", AT, "--ticket"], "--ticket", "ticket"),
        (
            ["evaluate", "--policy", PACK, "--at", AT, "--ticket", str(TICKET), "--availability"],
            "--availability",
            "availability",
        ),
        (["demo", "--availability"], "--availability", "availability"),
        (["demo", "--tickets"], "--tickets", "ticket folder"),
    ],
)
def test_a_missing_file_is_one_line_naming_the_option_and_the_path(
    argv: list[str], option: str, what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.json")
    code, out, err = run([*argv, missing], capsys)
    verb = "list" if what == "ticket folder" else "read"
    assert (
        2,
        "",
        f"escalate: error: {option}: cannot {verb} {what} '{missing}': No such file or directory\n",
    ) == (
        code,
        out,
        err,
    )


def test_a_missing_policy_names_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.yaml")
    argv = ["evaluate", "--policy", missing, "--ticket", str(TICKET), "--at", AT]
    assert (
        2,
        f"escalate: error: cannot read policy '{missing}': No such file or directory\n",
    ) == run(argv, capsys)[::2]


# -- docs/cli.md ----------------------------------------------------------------------------------


def test_docs_cli_has_a_section_for_every_command() -> None:
    sub = next(a for a in parser()._actions if a.dest == "command")
    # An alias (``lint``) shares its command's parser, which is named after the command.
    commands = {p.prog.split()[-1] for p in sub.choices.values()}  # type: ignore[union-attr]
    documented = set(
        re.findall(r"^## `escalate ([a-z-]+)", (ROOT / "docs" / "cli.md").read_text(), re.M)
    )
    assert set() == commands - documented


def test_docs_cli_documents_the_three_exit_codes() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    assert [True, True, True] == [f"| `{code}` |" in text for code in (0, 1, 2)]
