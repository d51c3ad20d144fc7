"""Hostile inputs for the command line (issue #8, classes 4, 6 and 7).

Whatever the files and options, ``escalate`` exits 0, 1 or 2, prints at most one line on
stderr and never a traceback; it reads only regular files, and it escapes control, escape and
bidi characters before they reach a terminal. Commands that would wait forever without the fix
(FIFOs) run in a child process with a timeout.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalate.cli._io
import escalate.cli.demo
import escalate.cli.validate
from escalate.cli import MAX_HORIZON_DAYS, MAX_JSON_DEPTH, MAX_JSON_INT_DIGITS, main
from escalate.engine.decision import Decision
from tests.test_cli import CLEAN, TICKET

ROOT = Path(__file__).parent.parent
AT = "2024-11-20T12:00:00Z"
POLICY = CLEAN  # the command-line tests' policy and ticket
HOSTILE_ID = "T\x1b[31mRED\u202eevil\rX"
ESCAPED_ID = "T\\x1b[31mRED\\u202eevil\\rX"

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def policy_file(tmp_path: Path, text: str = POLICY) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return str(path)


def ticket_file(tmp_path: Path, content: bytes | str | dict[str, Any], name: str = "t.json") -> str:
    path = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def evaluate(tmp_path: Path, ticket: str, *more: str) -> list[str]:
    return ["evaluate", "--policy", policy_file(tmp_path), "--ticket", ticket, "--at", AT, *more]


def error_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, _, err = run(argv, capsys)
    return code, err


def in_child(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in a fresh interpreter for at most 60 s: its exit code and stderr."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "escalate.cli", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"escalate {' '.join(argv)} still running after 60 s")
    return done.returncode, done.stderr


# -- class 4: only regular files, at most the limit plus one byte ---------------------------------


@needs_fifo
def test_a_ticket_fifo_exits_2_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "t.json"
    os.mkfifo(fifo)
    assert (
        2,
        f"escalate: error: --ticket: cannot read ticket '{fifo}': it is a FIFO (named pipe), not "
        "a regular file\n",
    ) == in_child(evaluate(tmp_path, str(fifo)))


@needs_fifo
def test_an_availability_fifo_exits_2_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "a.json"
    os.mkfifo(fifo)
    ticket = ticket_file(tmp_path, TICKET)
    assert (
        2,
        f"escalate: error: --availability: cannot read availability '{fifo}': it is a FIFO "
        "(named pipe), not a regular file\n",
    ) == in_child(evaluate(tmp_path, ticket, "--availability", str(fifo)))


@needs_fifo
def test_a_policy_fifo_exits_2_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    assert (
        2,
        f"escalate: error: cannot read policy '{fifo}': it is a FIFO (named pipe), not a regular "
        "file\n",
    ) == in_child(["validate", str(fifo), "--as-of", AT])


@needs_fifo
def test_a_fifo_among_the_demo_tickets_exits_2_without_waiting_for_a_writer(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "a.json")
    policy = str(ROOT / "rules" / "itil-default.yaml")
    assert (
        2,
        f"escalate: error: --tickets: cannot read ticket '{tmp_path / 'a.json'}': it is a FIFO "
        "(named pipe), not a regular file\n",
    ) == in_child(["demo", "--policy", policy, "--tickets", str(tmp_path)])


def test_a_ticket_larger_than_the_limit_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(escalate.cli._io, "MAX_JSON_BYTES", 10)
    ticket = ticket_file(tmp_path, TICKET)
    size = len(json.dumps(TICKET))
    assert (
        2,
        "escalate: error: --ticket: "
        f"cannot read ticket '{ticket}': it is {size} bytes; the limit is 10 "
        "bytes\n",
    ) == error_of(evaluate(tmp_path, ticket), capsys)


def test_a_ticket_that_is_a_folder_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        2,
        "escalate: error: --ticket: "
        f"cannot read ticket '{tmp_path}': it is a folder, not a regular file\n",
    ) == error_of(evaluate(tmp_path, str(tmp_path)), capsys)


def test_a_ticket_path_with_a_nul_character_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        2,
        "escalate: error: --ticket: "
        "cannot read ticket 't\\x00.json': a path cannot hold a NUL character\n",
    ) == error_of(evaluate(tmp_path, "t\0.json"), capsys)


def test_an_availability_file_given_to_demo_must_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "a.json")
    argv = ["demo", "--tickets", str(ROOT / "examples" / "tickets"), "--availability", missing]
    argv += ["--policy", str(ROOT / "rules" / "itil-default.yaml")]
    assert (
        2,
        "escalate: error: --availability: "
        f"cannot read availability '{missing}': No such file or directory\n",
    ) == error_of(argv, capsys)


def test_a_missing_demo_ticket_folder_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "none")
    argv = ["demo", "--policy", str(ROOT / "rules" / "itil-default.yaml"), "--tickets", missing]
    assert (
        2,
        "escalate: error: --tickets: "
        f"cannot list ticket folder '{missing}': No such file or directory\n",
    ) == error_of(argv, capsys)


# -- class 6: encodings and JSON Python reads differently ----------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '{"id": "Tö"}'.encode("latin-1"),
            ":1:10: the ticket is not UTF-8: cannot decode byte(s) f6 (invalid start byte); "
            "save it as UTF-8",
        ),
        (
            json.dumps(TICKET).encode("utf-16"),
            ": the ticket starts with a UTF-16 byte-order mark; save it as UTF-8 without one",
        ),
        (
            json.dumps(TICKET).encode("utf-16-le"),
            ": the ticket holds NUL characters (is it UTF-16?); save it as UTF-8",
        ),
        (
            b"\xef\xbb\xbf" + json.dumps(TICKET).encode(),
            ": the ticket starts with a UTF-8 byte-order mark; save it as UTF-8 without one",
        ),
    ],
    ids=["latin-1", "utf-16", "utf-16-without-bom", "utf-8-bom"],
)
def test_a_ticket_not_in_utf8_exits_2_with_one_line(
    content: bytes, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = ticket_file(tmp_path, content)
    assert (2, f"escalate: error: {ticket}{problem}\n") == error_of(
        evaluate(tmp_path, ticket), capsys
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "[" * 100_000 + "]" * 100_000,
            f"arrays and objects nest more than {MAX_JSON_DEPTH} levels",
        ),
        ('{"a": ' + "[" * 200 + "]" * 200 + "}", "arrays and objects nest more than 100 levels"),
        (
            '{"id": ' + "9" * 5000 + "}",
            f"an integer of 5000 digits; the limit is {MAX_JSON_INT_DIGITS}",
        ),
        ('{"id": -' + "9" * 5000 + "}", "an integer of 5000 digits; the limit is 4300"),
        ('{"id": NaN}', "NaN is not a JSON number"),
        ('{"id": -Infinity}', "-Infinity is not a JSON number"),
        ('{"id": 1e999}', "the number 1e999 is too large"),
        ('{"id": "A", "id": "B"}', "key 'id' appears twice in one object"),
    ],
    ids=[
        "deep",
        "just-too-deep",
        "long-int",
        "long-negative-int",
        "nan",
        "infinity",
        "huge-float",
        "duplicate-key",
    ],
)
def test_json_that_python_would_read_differently_exits_2_with_one_line(
    text: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = ticket_file(tmp_path, text)
    assert (2, f"escalate: error: {ticket}: invalid JSON: {problem}\n") == error_of(
        evaluate(tmp_path, ticket), capsys
    )


def test_json_nested_exactly_to_the_limit_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = {**TICKET, "x": json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1))}
    ticket = ticket_file(tmp_path, nested)
    code, err = error_of(evaluate(tmp_path, ticket), capsys)
    assert (2, f"escalate: error: {ticket}: x: unknown ticket key") == (
        code,
        err[: err.index(" (")],
    )


def test_a_ticket_whose_top_level_is_a_list_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = ticket_file(tmp_path, "[]")
    assert (2, f"escalate: error: {ticket}: the ticket must be a JSON object\n") == error_of(
        evaluate(tmp_path, ticket), capsys
    )


def test_a_lone_surrogate_in_an_id_exits_2_with_one_escaped_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = ticket_file(tmp_path, json.dumps(TICKET).replace('"T1"', '"T\\udcff"'))
    code, err = error_of(evaluate(tmp_path, ticket), capsys)
    assert (2, 1, True, True) == (
        code,
        err.count("\n"),
        err.startswith(f"escalate: error: {ticket}: id: "),
        "T\\udcff" in err,
    )


def test_a_ticket_opened_after_the_instant_names_the_ticket_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = ticket_file(tmp_path, {**TICKET, "opened_at": "2024-11-21T10:00:00+00:00"})
    assert (
        2,
        f"escalate: error: {ticket}: opened_at: ticket opened after now "
        "(2024-11-20T12:00:00+00:00) (got '2024-11-21T10:00:00+00:00')\n",
    ) == error_of(evaluate(tmp_path, ticket), capsys)


@pytest.mark.parametrize("days", ["-1", str(MAX_HORIZON_DAYS + 1), "9" * 5000, "٤", "1_0", " 5"])
def test_a_horizon_that_is_not_a_whole_number_of_days_in_range_exits_2_with_one_line(
    days: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = error_of(["validate", policy_file(tmp_path), "--horizon-days", days], capsys)
    assert (2, 1, True) == (
        code,
        err.count("\n"),
        err.startswith(
            "escalate validate: error: argument --horizon-days: expected a whole number of days "
            f"from 0 to {MAX_HORIZON_DAYS}, got "
        ),
    )


def test_the_largest_horizon_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["validate", policy_file(tmp_path), "--as-of", AT]
    assert 0 == run([*argv, "--horizon-days", str(MAX_HORIZON_DAYS)], capsys)[0]


@pytest.mark.parametrize(
    "instant", ["9999-12-31T23:59:59+00:00", "9999-12-29T23:00:00-05:00", "0001-01-01T00:00:00Z"]
)
@pytest.mark.parametrize("option", ["--at", "--as-of"])
def test_an_instant_out_of_range_exits_2_with_one_line_naming_the_option(
    option: str, instant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if option == "--at":
        argv = evaluate(tmp_path, ticket_file(tmp_path, TICKET))
        argv[argv.index("--at") + 1] = instant
        command = "evaluate"
    else:
        argv, command = ["validate", policy_file(tmp_path), "--as-of", instant], "validate"
    assert (
        2,
        f"escalate {command}: error: argument {option}: {instant!r} is out of range: escalate "
        "computes with instants from 0001-01-02T00:00:00+00:00 to 9999-12-30T00:00:00+00:00 "
        f"(see 'escalate {command} --help')\n",
    ) == error_of(argv, capsys)


def test_a_horizon_that_ends_after_the_last_instant_exits_2_naming_both_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["validate", policy_file(tmp_path), "--as-of", "9999-12-20T00:00:00Z"]
    assert (
        2,
        "escalate: error: --as-of 9999-12-20T00:00:00+00:00 plus --horizon-days 14 ends after "
        "9999-12-30T00:00:00+00:00, the last instant escalate computes with\n",
    ) == error_of(argv, capsys)


def test_an_instant_with_a_lower_case_z_is_read_like_the_ticket_format_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = evaluate(tmp_path, ticket_file(tmp_path, TICKET))
    argv[argv.index("--at") + 1] = "2024-11-20T12:00:00z"
    assert 0 == run(argv, capsys)[0]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["bogus"], "escalate: error: argument command: invalid choice: 'bogus'"),
        ([], "escalate: error: the following arguments are required: command"),
        (["validate"], "escalate validate: error: the following arguments are required: path"),
        (["schema", "x"], "escalate schema: error: argument kind: invalid choice: 'x'"),
    ],
)
def test_a_usage_error_is_one_line_that_points_at_the_help(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = error_of(argv, capsys)
    command = line[: line.index(":")]
    assert (2, 1, line, f"(see '{command} --help')\n") == (
        code,
        err.count("\n"),
        err[: len(line)],
        err[err.rindex("(see") :],
    )


# -- the last-resort guard -----------------------------------------------------------------------


def test_an_unexpected_exception_is_one_line_and_exit_2_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(escalate.cli.validate, "lint", broken)
    assert (
        2,
        "escalate: internal error: OverflowError: date value out of range (a bug in escalate; "
        "please report it with the command and its input)\n",
    ) == error_of(["validate", policy_file(tmp_path), "--as-of", AT], capsys)


def test_an_interrupt_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(escalate.cli.validate, "lint", interrupted)
    try:
        code = main(["validate", policy_file(tmp_path), "--as-of", AT])
    except KeyboardInterrupt:  # escaping, it would stop the whole test run
        pytest.fail("KeyboardInterrupt escaped main()")
    assert (2, "escalate: interrupted\n") == (code, capsys.readouterr().err)


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_ends_the_output_quietly_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    code = main(["schema"])
    assert (2, "") == (code, capsys.readouterr().err)


def test_an_error_line_longer_than_the_limit_is_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = str(tmp_path / ("x" * 2000) / "t.json")
    code, err = error_of(evaluate(tmp_path, long), capsys)
    assert (2, 1, True) == (code, err.count("\n"), err.endswith(" more characters)\n"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    argv=st.lists(
        st.sampled_from(
            [
                "validate",
                "evaluate",
                "explain",
                "schema",
                "demo",
                "lint",
                "--policy",
                "--ticket",
                "--at",
                "--as-of",
                "--horizon-days",
                "--json",
                "--availability",
                "--tickets",
                "-h",
                "",
                "-",
                "--",
                "/dev/null",
                ".",
                "\x1b[31m",
                "\u202e",
                "\r",
                "\udcff",
                "9999-12-31T23:59:59Z",
                "2024-11-20T12:00:00Z",
                "-1",
                "99999999",
            ]
        ),
        max_size=8,
    )
)
def test_any_command_line_exits_0_1_or_2_with_at_most_one_error_line(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv)
    finally:
        sys.stdout, sys.stderr = saved
    text = err.getvalue()
    assert (True, True, True) == (
        code in (0, 1, 2),
        text.count("\n") <= 1,
        text.isprintable() or text[:-1].isprintable(),
    )


# -- class 7: what reaches the terminal is escaped ------------------------------------------------
# The library refuses most such characters in policies and tickets; the CLI escapes whatever
# still reaches it (paths, messages, and any text a future format lets through).


def test_the_explanation_keeps_its_lines_and_escapes_everything_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explain(self: Decision, *, full: bool = False) -> str:
        return f"ticket {HOSTILE_ID}\nsecond\u2028line\x85\tend"

    monkeypatch.setattr(Decision, "explain", explain)
    code, out, _ = run(evaluate(tmp_path, ticket_file(tmp_path, TICKET)), capsys)
    assert (0, f"ticket {ESCAPED_ID}\nsecond\\u2028line\\x85\\tend\n") == (code, out)


def test_a_policy_path_with_escape_and_bidi_characters_is_escaped_in_the_validate_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p\x1b[2J\u202e.yaml"
    path.write_text(POLICY)
    code, out, _ = run(["validate", str(path), "--as-of", AT], capsys)
    assert (0, f"{tmp_path}/p\\x1b[2J\\u202e.yaml: policy p v1") == (
        code,
        out.splitlines()[0].rsplit(" (", 1)[0],
    )


def test_an_error_message_naming_a_hostile_file_is_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p\x1b[31m\u202e\r.yaml"
    path.write_text(POLICY + "rulez: []\n")
    assert (
        2,
        f"escalate: error: '{tmp_path}/p\\x1b[31m\\u202e\\r.yaml':15:1: rulez: unknown key 'rulez' "
        "(did you mean 'rules'?)\n",
    ) == error_of(["validate", str(path), "--as-of", AT], capsys)


def test_the_demo_table_escapes_each_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        escalate.cli.demo,
        "_row",
        lambda decision, clocks, paths: (
            HOSTILE_ID,
            "P1\n",
            *["-"] * (len(clocks) + len(paths) + 2),
        ),
    )
    ticket_file(tmp_path, TICKET)
    argv = ["demo", "--policy", policy_file(tmp_path), "--tickets", str(tmp_path), "--at", AT]
    argv += ["--availability", ticket_file(tmp_path, {}, name="availability.json.txt")]
    code, out, _ = run(argv, capsys)
    assert (0, [ESCAPED_ID, "P1\\n"]) == (code, out.splitlines()[4].split()[:2])


def test_the_json_output_is_ascii_with_json_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = ticket_file(tmp_path, {**TICKET, "id": "Müller"})
    code, out, _ = run(evaluate(tmp_path, ticket, "--json"), capsys)
    assert (0, True, "Müller") == (code, out.isascii(), json.loads(out)["ticket"])


def test_output_to_a_stream_that_cannot_encode_a_character_uses_a_backslash_escape() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    escalate.cli._io.write(stream, "Müller")
    stream.flush()
    assert b"M\\xfcller\n" == stream.buffer.getvalue()  # type: ignore[attr-defined]
