"""The what-if commands after review: refusals in ``diff``, separate counts in ``snapshot
--check``, span errors that name their option and every scripted-event problem at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalate.cli import main

ROOT = Path(__file__).parent.parent
PACK = str(ROOT / "rules" / "itil-default.yaml")
TICKETS = str(ROOT / "examples" / "tickets")
AT = "2024-11-20T15:00:00Z"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def strict_pack(tmp_path: Path) -> str:
    """The pack without the alias ``4 - Low`` of P4: it refuses INC0010004."""
    text = Path(PACK).read_text(encoding="utf-8")
    p4 = '    P4: [Sev4, Low, "4 - Low", "4"]'
    assert text.count(p4) == 1
    path = tmp_path / "strict.yaml"
    path.write_text(text.replace(p4, '    P4: [Sev4, Low, "4"]'), encoding="utf-8")
    return str(path)


# -- diff: a refusal is a finding ------------------------------------------------------------------


def test_diff_reports_a_ticket_the_new_policy_refuses_and_compares_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["diff", PACK, strict_pack(tmp_path), "--tickets", TICKETS, "--at", AT], capsys
    )
    lines = out.splitlines()
    assert (1, "", "6 tickets, 1 differ") == (code, err, lines[1])
    assert [
        f"ticket INC0010004 ({TICKETS}/INC0010004.json):",
        "  old: decides; new: refuses: priority: priority value is not known to policy "
        "'itil-default' (known: P1, P2, P3, P4, P5; add an alias under terminology.priority) "
        "(got '4 - Low')",
    ] == lines[2:]


def test_diff_json_names_the_policy_that_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["diff", strict_pack(tmp_path), PACK, "--tickets", TICKETS, "--at", AT, "--json"]
    code, out, _ = run(argv, capsys)
    data = json.loads(out)
    row = next(r for r in data["results"] if r["ticket"] == "INC0010004")
    assert (1, 1, 0, True, None) == (
        code,
        data["differ"],
        data["refused_by_both"],
        row["refused"]["old"].startswith("priority: priority value is not known"),
        row["refused"]["new"],
    )
    assert ["refusal"] == [change["what"] for change in row["changes"]]


# -- snapshot --check: each finding counted as what it is ------------------------------------------


def test_snapshot_check_counts_missing_and_stale_files_apart_from_changed_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snaps"
    argv = ["snapshot", "--policy", PACK, "--tickets", TICKETS, "--at", AT, "--out", str(out)]
    argv += ["--availability", str(ROOT / "examples" / "availability.json")]
    run(argv, capsys)
    (out / "INC0010001.json").rename(out / "INC0099999.json")
    code, printed, _ = run([*argv, "--check"], capsys)
    assert (
        1,
        f"snapshots in {out} at 2024-11-20T15:00:00+00:00: 6 tickets, 0 changed, "
        "1 missing, 1 stale",
    ) == (code, printed.splitlines()[0])
    code, printed, _ = run([*argv, "--check", "--json"], capsys)
    data = json.loads(printed)
    assert (1, 6, 0, 1, 1, False) == (
        code,
        data["snapshots"],
        data["changed"],
        data["missing"],
        data["stale"],
        "differ" in data,
    )


# -- simulate: a span error names the option to change ---------------------------------------------

SIMULATE = ["simulate", "--policy", PACK, "--ticket", f"{TICKETS}/INC0010003.json"]


@pytest.mark.parametrize(
    ("more", "error"),
    [
        (
            ["--from", "2024-11-20T12:00:00Z", "--until", "2024-11-21T00:00:00Z"],
            "--from: start 2024-11-20T12:00:00+00:00 is before the ticket's last event "
            "(2024-11-20T12:40:00+00:00): a simulation starts from the ticket as it is; leave "
            "start out or give a later one",
        ),
        (
            ["--until", "2024-11-20T00:00:00Z"],
            "--until: until 2024-11-20T00:00:00+00:00 is before the start "
            "2024-11-20T12:40:00+00:00 (the ticket's last event)",
        ),
        (
            ["--from", "2024-11-20T15:00:00Z", "--until", "2024-11-20T14:00:00Z"],
            "--until: until 2024-11-20T14:00:00+00:00 is before the start "
            "2024-11-20T15:00:00+00:00",
        ),
    ],
)
def test_a_span_error_names_the_option(
    more: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (2, "", f"escalate: error: {error}\n") == run([*SIMULATE, *more], capsys)


def test_too_many_steps_names_max_steps(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([*SIMULATE, "--until", "2024-12-20T00:00:00Z", "--max-steps", "2"], capsys)
    assert (2, True) == (code, err.startswith("escalate: error: --max-steps: simulating "))


# -- simulate --events: every event's own problems at once -----------------------------------------


def test_every_problem_of_an_events_file_is_a_line_naming_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.yaml"
    events.write_text(
        "- {after: 10m, type: nope}\n"
        "- 5\n"
        "- {after: 5d, type: acknowledged}\n"
        "- {after: 1bd, type: acknowledged}\n",
        encoding="utf-8",
    )
    argv = [*SIMULATE, "--until", "2024-11-22T00:00:00Z", "--events", str(events)]
    code, out, err = run(argv, capsys)
    lines = err.splitlines()
    assert (2, "", 5) == (code, out, len(lines)), err
    expected = [
        f"escalate: error: {events}:1:16: events[0].type: unknown event type; ",
        f"escalate: error: {events}:2:3: events[1]: a scripted event must be a mapping (got 5)",
        f"escalate: error: {events}:3:3: events[2]: a scripted event after until ",
        f"escalate: error: {events}:4:4: events[3].after: business days ('bd') are not allowed",
    ]
    assert all(line.startswith(want) for want, line in zip(expected, lines, strict=False)), err
    assert "escalate: 4 problems; the scripted events do not run" == lines[-1]
