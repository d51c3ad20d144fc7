"""The what-if commands: ``simulate``, ``diff`` and ``snapshot``, their output and exit codes."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main

ROOT = Path(__file__).parent.parent
PACK = str(ROOT / "rules" / "itil-default.yaml")
TICKETS = ROOT / "examples" / "tickets"
AVAILABILITY = str(ROOT / "examples" / "availability.json")
AT = "2024-11-20T15:00:00Z"
SNAPSHOTS = ROOT / "tests" / "snapshots" / "itil-default"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def edited_pack(tmp_path: Path, old: str, new: str) -> str:
    text = Path(PACK).read_text(encoding="utf-8")
    assert text.count(old) == 1
    return write(tmp_path, "new.yaml", text.replace(old, new))


def ticket(name: str) -> str:
    return str(TICKETS / f"{name}.json")


# -- simulate -------------------------------------------------------------------------------------

SIMULATE = ["simulate", "--policy", PACK, "--ticket", ticket("INC0010003")]


def test_simulate_prints_a_timeline_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([*SIMULATE, "--until", "2024-11-21T12:00:00Z"], capsys)
    lines = out.splitlines()
    assert (0, "") == (code, err)
    assert lines[0].startswith("ticket INC0010003, policy itil-default v1: ")
    assert lines[1].split()[:4] == ["at", "(UTC)", "what", "happened"]
    assert any(line.startswith("2024-11-20 13:45:00  wake-up") for line in lines)


def test_simulate_applies_the_events_of_a_yaml_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(
        tmp_path,
        "events.yaml",
        "- {after: 10m, type: acknowledged, actor: anna.schmidt}\n- {after: 2h, type: resolved}\n",
    )
    code, out, _ = run(
        [*SIMULATE, "--until", "2024-11-21T12:00:00Z", "--events", events, "--json"], capsys
    )
    data = json.loads(out)
    assert (0, ["acknowledged"], ["resolved"], None) == (
        code,
        [e["type"] for e in data["steps"][1]["events"]],
        [e["type"] for e in data["steps"][-1]["events"]],
        data["next_step_at"],
    )


def test_simulate_reads_a_json_events_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(tmp_path, "events.json", '[{"at": "2024-11-20T13:00:00Z", "type": "resolved"}]')
    code, out, _ = run(
        [*SIMULATE, "--until", "2024-11-21T12:00:00Z", "--events", events, "--json"], capsys
    )
    assert (0, "2024-11-20T13:00:00+00:00") == (code, json.loads(out)["steps"][-1]["at"])


def test_simulate_from_a_later_instant_starts_there(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [*SIMULATE, "--from", "2024-11-20T15:00:00Z", "--until", "2024-11-20T15:00:00Z", "--json"],
        capsys,
    )
    assert (0, ["2024-11-20T15:00:00+00:00"]) == (
        code,
        [step["at"] for step in json.loads(out)["steps"]],
    )


def test_simulate_json_is_the_same_bytes_every_time(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*SIMULATE, "--until", "2024-12-20T00:00:00Z", "--json"]
    first = run(argv, capsys)
    assert first == run(argv, capsys)


def test_a_bad_scripted_event_names_its_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(
        tmp_path,
        "events.yaml",
        "- {after: 10m, type: acknowledged}\n- after: 1h\n  type: acknowleged\n",
    )
    code, out, err = run([*SIMULATE, "--until", "2024-11-21T12:00:00Z", "--events", events], capsys)
    assert (2, "") == (code, out)
    assert err.startswith(f"escalate: error: {events}:3:3: events[1].type: ")
    assert "did you mean 'acknowledged'" in err
    assert len(err.splitlines()) == 1


def test_an_events_file_that_is_not_a_list_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(tmp_path, "events.yaml", "type: resolved\n")
    code, _, err = run([*SIMULATE, "--until", "2024-11-21T12:00:00Z", "--events", events], capsys)
    assert (
        2,
        f"escalate: error: {events}: the scripted events must be a list of events (got dict)\n",
    ) == (code, err)


def test_a_missing_events_file_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        [*SIMULATE, "--until", "2024-11-21T12:00:00Z", "--events", "nope.yaml"], capsys
    )
    assert (
        2,
        "escalate: error: --events: cannot read events 'nope.yaml': No such file or directory\n",
    ) == (
        code,
        err,
    )


def test_a_start_before_the_tickets_last_event_is_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(
        [*SIMULATE, "--from", "2024-11-20T12:00:00Z", "--until", "2024-11-21T12:00:00Z"], capsys
    )
    assert 2 == code
    assert "is before the ticket's last event (2024-11-20T12:40:00+00:00)" in err


def test_too_many_steps_is_an_error_that_names_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run([*SIMULATE, "--until", "2024-12-20T00:00:00Z", "--max-steps", "2"], capsys)
    assert (2, True) == (code, "takes more than 2 steps" in err and "max_steps" in err)


@pytest.mark.parametrize("bad", ["0", "-3", "ten", "1e3"])
def test_max_steps_must_be_a_positive_whole_number(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([*SIMULATE, "--until", AT, f"--max-steps={bad}"], capsys)
    assert (2, True) == (code, "expected a positive whole number" in err)


def test_simulate_needs_until(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(SIMULATE, capsys)
    assert (2, True) == (code, "--until" in err)


# -- diff -----------------------------------------------------------------------------------------


def test_diff_of_a_policy_with_itself_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diff", PACK, PACK, "--tickets", str(TICKETS), "--at", AT], capsys)
    assert (0, "6 tickets, 0 differ") == (code, out.splitlines()[1])


def test_diff_of_a_changed_target_exits_1_and_lists_the_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited_pack(
        tmp_path, "      P2: {within: 8h, calendar: 24x7}", "      P2: {within: 6h, calendar: 24x7}"
    )
    code, out, _ = run(["diff", PACK, new, "--tickets", str(TICKETS), "--at", AT], capsys)
    lines = out.splitlines()
    assert (1, "6 tickets, 2 differ") == (code, lines[1])
    assert f"ticket INC0010003 ({ticket('INC0010003')}):" in lines
    assert (
        "  clock resolution: breach_at 2024-11-20T15:45:00+00:00 -> 2024-11-20T13:45:00+00:00"
        in lines
    )


def test_diff_json_lists_every_ticket(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = edited_pack(
        tmp_path, "      P2: {within: 8h, calendar: 24x7}", "      P2: {within: 6h, calendar: 24x7}"
    )
    code, out, _ = run(["diff", PACK, new, "--tickets", str(TICKETS), "--at", AT, "--json"], capsys)
    data = json.loads(out)
    assert (1, 6, 2, "2024-11-20T15:00:00+00:00") == (
        code,
        data["tickets"],
        data["differ"],
        data["at"],
    )


def test_diff_reads_a_jsonl_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.dumps(json.loads(p.read_text())) for p in sorted(TICKETS.glob("*.json"))]
    corpus = write(tmp_path, "tickets.jsonl", "\n".join(lines[:2]) + "\n\n" + lines[2] + "\n")
    code, out, _ = run(["diff", PACK, PACK, "--tickets", corpus, "--at", AT, "--json"], capsys)
    sources = [r["source"] for r in json.loads(out)["results"]]
    assert (0, [f"{corpus}:1", f"{corpus}:2", f"{corpus}:4"]) == (code, sources)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "T1"}\n{"id": \n', "tickets.jsonl:2:8: invalid JSON: Expecting value"),
        ('{"id": "T1", "id": "T2"}\n', "tickets.jsonl:1: invalid JSON: key 'id' appears twice"),
        ("[1, 2]\n", "tickets.jsonl:1: a ticket must be a JSON object, one per line"),
        ("\n\n", "tickets.jsonl: the ticket corpus holds no tickets"),
        ('{"x": NaN}\n', "tickets.jsonl:1: invalid JSON: NaN is not a JSON number"),
    ],
)
def test_a_bad_jsonl_line_is_named_by_file_and_line(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = write(tmp_path, "tickets.jsonl", text)
    code, _, err = run(["diff", PACK, PACK, "--tickets", corpus, "--at", AT], capsys)
    assert (2, True) == (code, f"escalate: error: {tmp_path}/{message}" in err), err


def test_a_bad_ticket_file_in_a_folder_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad.json", '{"id": "T1", "opened_at": "yesterday"}')
    code, out, _ = run(["diff", PACK, PACK, "--tickets", str(tmp_path), "--at", AT], capsys)
    lines = out.splitlines()
    assert (1, "refused by both policies:") == (code, lines[2])
    assert lines[3].startswith(f"  ticket T1 ({bad}): opened_at: ")


def test_a_ticket_no_policy_can_read_names_its_jsonl_line_in_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = write(tmp_path, "tickets.jsonl", '{"id": 1, "opened_at": "2024-11-20T10:00:00Z"}\n')
    argv = ["snapshot", "--policy", PACK, "--tickets", corpus, "--at", AT]
    code, _, err = run([*argv, "--out", str(tmp_path / "s")], capsys)
    assert (2, True) == (code, err.startswith(f"escalate: error: {corpus}:1: id: ")), err


def test_an_empty_ticket_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["diff", PACK, PACK, "--tickets", str(tmp_path), "--at", AT], capsys)
    assert (2, True) == (code, "holds no *.json ticket files" in err)


def test_a_missing_corpus_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["diff", PACK, PACK, "--tickets", "nope.jsonl", "--at", AT], capsys)
    assert (
        2,
        "escalate: error: --tickets: cannot read ticket corpus 'nope.jsonl': "
        "No such file or directory\n",
    ) == (code, err)


def test_a_ticket_with_events_after_the_instant_is_refused_by_both_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        ["diff", PACK, PACK, "--tickets", str(TICKETS), "--at", "2024-11-19T00:00:00Z"], capsys
    )
    lines = out.splitlines()
    assert (1, "6 tickets, 0 differ, 5 refused by both policies") == (code, lines[1])
    assert lines[3].startswith(f"  ticket INC0010001 ({TICKETS}/INC0010001.json): events[5].at: ")


# -- snapshot -------------------------------------------------------------------------------------


def snapshot_args(out: Path, *more: str) -> list[str]:
    return [
        "snapshot",
        "--policy",
        PACK,
        "--tickets",
        str(TICKETS),
        "--at",
        AT,
        "--availability",
        AVAILABILITY,
        "--out",
        str(out),
        *more,
    ]


def test_snapshot_writes_one_file_per_ticket_and_rewrites_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snaps"
    first = run(snapshot_args(out), capsys)
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    second = run(snapshot_args(out), capsys)
    assert (0, 0, 6) == (first[0], second[0], len(files))
    assert files == {p.name: p.read_bytes() for p in out.iterdir()}
    assert second[1] == f"6 snapshots in {out}: 0 written, 6 unchanged, 0 removed\n"


def test_the_committed_snapshots_are_what_the_command_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snaps"
    run(snapshot_args(out), capsys)
    committed = {p.name: p.read_bytes() for p in SNAPSHOTS.iterdir()}
    assert committed == {p.name: p.read_bytes() for p in out.iterdir()}


def test_snapshot_check_of_the_committed_snapshots_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(snapshot_args(SNAPSHOTS, "--check"), capsys)
    assert (
        0,
        f"snapshots in {SNAPSHOTS} at 2024-11-20T15:00:00+00:00: "
        "6 tickets, 0 changed, 0 missing, 0 stale\n",
    ) == (
        code,
        out,
    )


def test_snapshot_check_shows_a_unified_diff_and_the_update_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snaps"
    shutil.copytree(SNAPSHOTS, out)
    file = out / "INC0010003.json"
    file.write_text(file.read_text().replace('"target": "8h"', '"target": "9h"'))
    code, printed, _ = run(snapshot_args(out, "--check"), capsys)
    lines = printed.splitlines()
    assert (
        1,
        f"snapshots in {out} at 2024-11-20T15:00:00+00:00: "
        "6 tickets, 1 changed, 0 missing, 0 stale",
    ) == (
        code,
        lines[0],
    )
    assert lines[1:3] == [f"--- {file} (expected)", f"+++ {file} (actual)"]
    assert '-      "target": "9h",' in lines and '+      "target": "8h",' in lines
    assert lines[-1].startswith("if the new decisions are right, update the snapshots with: ")
    assert "escalate snapshot --policy " in lines[-1] and "--check" not in lines[-1]


def test_snapshot_check_reports_missing_and_stale_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snaps"
    shutil.copytree(SNAPSHOTS, out)
    (out / "INC0010001.json").rename(out / "INC0099999.json")
    code, printed, _ = run(snapshot_args(out, "--check", "--json"), capsys)
    data = json.loads(printed)
    statuses = {r["file"].rsplit("/", 1)[1]: r["status"] for r in data["results"]}
    assert (1, [0, 1, 1], "missing", "stale") == (
        code,
        [data["changed"], data["missing"], data["stale"]],
        statuses["INC0010001.json"],
        statuses["INC0099999.json"],
    )


def test_snapshot_check_of_a_missing_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(snapshot_args(tmp_path / "nope", "--check"), capsys)
    assert (2, True) == (code, "it is not a folder (write them first: escalate snapshot" in err)


def test_snapshot_removes_the_snapshot_of_a_ticket_no_longer_in_the_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snaps"
    shutil.copytree(SNAPSHOTS, out)
    shutil.copy(out / "INC0010001.json", out / "INC0099999.json")
    code, printed, _ = run(snapshot_args(out), capsys)
    assert (0, False) == (code, (out / "INC0099999.json").exists())
    assert printed == f"6 snapshots in {out}: 0 written, 6 unchanged, 1 removed\n"


def test_snapshot_never_overwrites_or_removes_a_file_that_is_not_a_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snaps"
    out.mkdir()
    ticket_copy = out / "INC0010001.json"
    shutil.copy(TICKETS / "INC0010001.json", ticket_copy)
    before = ticket_copy.read_bytes()
    code, _, err = run(snapshot_args(out), capsys)
    assert (2, before, ["INC0010001.json"]) == (code, ticket_copy.read_bytes(), os.listdir(out))
    assert "is not a decision snapshot; escalate will not overwrite or remove it" in err


def test_two_tickets_with_one_id_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one: dict[str, Any] = {"id": "T1", "opened_at": "2024-11-20T10:00:00Z"}
    corpus = write(tmp_path, "c.jsonl", json.dumps(one) + "\n" + json.dumps({**one, "id": "t1"}))
    code, _, err = run(
        [
            "snapshot",
            "--policy",
            PACK,
            "--tickets",
            corpus,
            "--at",
            AT,
            "--out",
            str(tmp_path / "s"),
        ],
        capsys,
    )
    assert (2, True) == (code, f"{corpus}:2: ticket 't1' would have the snapshot file" in err)


def test_control_characters_from_the_inputs_are_printed_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(
        tmp_path,
        "events.json",
        json.dumps([{"after": "10m", "type": "acknowledged", "actor": "eve\x1b[2J\u202e"}]),
    )
    code, out, err = run([*SIMULATE, "--until", "2024-11-20T13:00:00Z", "--events", events], capsys)
    assert (2, "", 1, False) == (code, out, len(err.splitlines()), "\x1b" in err)
    assert err.startswith(f"escalate: error: {events}:1:") and "'eve\\x1b[2J\\u202e'" in err


def test_scripted_events_can_come_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(
        io.BytesIO(b"- {after: 10m, type: acknowledged}\n- {after: 1h, type: acknowleged}\n")
    )
    monkeypatch.setattr("sys.stdin", stdin)
    code, _, err = run([*SIMULATE, "--until", "2024-11-21T12:00:00Z", "--events", "-"], capsys)
    assert (2, True) == (code, err.startswith("escalate: error: <stdin>:2:15: events[1].type: "))


def test_a_jsonl_corpus_can_come_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [json.dumps(json.loads(p.read_text())) for p in sorted(TICKETS.glob("*.json"))]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("\n".join(lines).encode())))
    code, out, _ = run(["diff", PACK, PACK, "--tickets", "-", "--at", AT, "--json"], capsys)
    data = json.loads(out)
    assert (0, 6, "<stdin>:6") == (code, data["tickets"], data["results"][-1]["source"])


def test_a_missing_ticket_folder_entry_names_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["diff", PACK, PACK, "--tickets", str(tmp_path), "--at", AT], capsys)
    assert (
        2,
        f"escalate: error: --tickets: ticket folder '{tmp_path}' holds no *.json ticket files\n",
    ) == (code, err)


@pytest.mark.parametrize("command", ["simulate", "diff", "snapshot"])
def test_the_what_if_commands_take_json(command: str) -> None:
    from escalate.cli import parser

    sub = next(a for a in parser()._actions if a.dest == "command")
    options = {o for a in sub.choices[command]._actions for o in a.option_strings}  # type: ignore[attr-defined]
    assert "--json" in options


def test_until_now_reads_the_clock_on_the_command_line_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run([*SIMULATE, "--from", "now", "--until", "now", "--json"], capsys)
    assert (0, 1) == (code, len(json.loads(out)["steps"]))
