"""The commands that decide a corpus fill a ``recurrence:`` policy's counts from the whole
corpus, once, before deciding: the third ticket of a fingerprint opens the problem record
from a folder of ticket files, the same with worker processes, and a ticket already holding
another count stops the command with a line naming where it was read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main

AT = "2024-06-15T00:00:00+00:00"
POLICY = """policy: recurring
version: 1
custom_fields: {u_symptom: string}
recurrence:
  fingerprint: [service, category, fields.u_symptom]
  within: 30d
rules:
  - id: problem-record
    when: {fields.recurrences: {gte: 2}}
    rationale: fixed twice in 30 days and back again
    then: {custom: {type: open-problem-record}}
"""
# A fixed on 05-02 and B on 05-12, both before C opened on 05-20: C has recurrences 2. X has
# another symptom; D opened on 06-01 counts A's fix no more (30 days and 1 hour before) but
# B's: recurrences 1.
CORPUS = [
    ("A", "2024-05-01T09:00:00Z", "2024-05-02T08:00:00Z", "bounce"),
    ("B", "2024-05-11T09:00:00Z", "2024-05-12T09:00:00Z", "bounce"),
    ("C", "2024-05-20T09:00:00Z", None, "bounce"),
    ("X", "2024-05-21T09:00:00Z", None, "spam"),
    ("D", "2024-06-01T09:00:00Z", None, "bounce"),
]


def tickets() -> list[dict[str, Any]]:
    out = []
    for id_, opened, fixed, symptom in CORPUS:
        events = [] if fixed is None else [{"at": fixed, "type": "resolved"}]
        out.append(
            {
                "id": id_,
                "opened_at": opened,
                "service": "mail",
                "category": "outage",
                "fields": {"u_symptom": symptom},
                "events": events,
            }
        )
    return out


def folder(tmp_path: Path) -> Path:
    where = tmp_path / "tickets"
    where.mkdir()
    for data in tickets():
        (where / f"{data['id']}.json").write_text(json.dumps(data))
    return where


def policy_file(tmp_path: Path, text: str = POLICY, name: str = "recurring.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fired(document: dict[str, Any]) -> dict[str, list[str]]:
    return {
        d["ticket"]: [a["details"]["type"] for a in d["actions"]] for d in document["decisions"]
    }


def test_evaluate_over_a_folder_opens_the_problem_record_on_the_third_ticket_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", "--policy", policy_file(tmp_path), "--tickets", str(folder(tmp_path))]
    code, out, err = run([*args, "--at", AT, "--json"], capsys)
    assert (0, "") == (code, err)
    assert {
        "A": [],
        "B": [],
        "C": ["open-problem-record"],
        "D": [],
        "X": [],
    } == fired(json.loads(out))


def test_worker_processes_see_the_counts_of_the_whole_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", "--policy", policy_file(tmp_path), "--tickets", str(folder(tmp_path))]
    one = run([*args, "--at", AT, "--json"], capsys)
    two = run([*args, "--at", AT, "--json", "--workers", "2"], capsys)
    assert one == two


def test_a_ticket_holding_another_count_stops_the_command_naming_where_it_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tickets()
    lines[3]["fields"]["recurrences"] = 4  # X: its own symptom, so 0
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in lines))
    code, out, err = run(
        ["evaluate", "--policy", policy_file(tmp_path), "--tickets", str(corpus), "--at", AT],
        capsys,
    )
    assert (2, "") == (code, out)
    assert (
        f"escalate: error: {corpus}:4: ticket 'X': fields.recurrences is already 4, and policy "
        "'recurring''s recurrence counts over the corpus give 0: give --recount to replace the "
        "tickets' counts with the corpus's, remove the field from the ticket, or name another "
        "in recurrence.fields\n"
    ) == err


def test_recount_replaces_the_counts_tickets_carry_with_the_corpus_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tickets()
    lines[2]["fields"].update({"recurrences": 0, "occurrences": 1})  # C, counted elsewhere
    lines[3]["fields"]["recurrences"] = 4  # X
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in lines))
    args = ["evaluate", "--policy", policy_file(tmp_path), "--tickets", str(corpus), "--at", AT]
    code, out, err = run([*args, "--recount", "--json"], capsys)
    assert (0, "") == (code, err)
    assert {
        "A": [],
        "B": [],
        "C": ["open-problem-record"],  # its carried 0 replaced by the corpus's 2
        "D": [],
        "X": [],
    } == fired(json.loads(out))


def test_recount_needs_a_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "C.json"
    path.write_text(json.dumps(tickets()[2]))
    args = ["evaluate", "--policy", policy_file(tmp_path), "--ticket", str(path), "--at", AT]
    code, out, err = run([*args, "--recount"], capsys)
    assert (2, "") == (code, out)
    assert "--recount recounts a corpus's recurrence counts; give --tickets" in err


def test_diff_recounts_each_policy_over_tickets_filled_by_another_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a corpus exported with the counts a 30-day policy filled, diffed against a 10-day one
    filled = tickets()
    for data, (r, o) in zip(filled, [(0, 1), (1, 2), (2, 3), (0, 1), (1, 3)], strict=True):
        data["fields"].update({"recurrences": r, "occurrences": o})
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in filled))
    short = POLICY.replace("within: 30d", "within: 10d")
    args = ["diff", policy_file(tmp_path), policy_file(tmp_path, short, "short.yaml")]
    args += ["--tickets", str(corpus), "--at", AT, "--json"]
    code, _, err = run(args, capsys)
    assert (2, True) == (code, ":3: ticket 'C': fields.recurrences is already 2" in err)
    code, out, _ = run([*args, "--recount"], capsys)
    # with 10 days C counts B's fix (8 days before) only: no problem record any more
    differing = [r["ticket"] for r in json.loads(out)["results"] if r["changes"]]
    assert (1, ["C"]) == (code, differing)


def test_diff_counts_for_each_policy_by_its_own_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # OLD reads the same field but declares no section: nobody fills it, the rule never fires
    old = POLICY.replace(
        "custom_fields: {u_symptom: string}",
        "custom_fields: {u_symptom: string, recurrences: integer}",
    ).replace(
        "recurrence:\n  fingerprint: [service, category, fields.u_symptom]\n  within: 30d\n", ""
    )
    args = [
        "diff",
        policy_file(tmp_path, old, "old.yaml"),
        policy_file(tmp_path),
        "--tickets",
        str(folder(tmp_path)),
        "--at",
        AT,
        "--json",
    ]
    code, out, _ = run(args, capsys)
    document = json.loads(out)
    differing = [r["ticket"] for r in document["results"] if r["changes"]]
    assert (1, ["C"]) == (code, differing)


def test_one_ticket_is_decided_as_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = tickets()[2]
    c["fields"]["recurrences"] = 2  # as a case file or a middleware states it
    path = tmp_path / "C.json"
    path.write_text(json.dumps(c))
    args = ["evaluate", "--policy", policy_file(tmp_path), "--ticket", str(path), "--at", AT]
    code, out, _ = run([*args, "--json"], capsys)
    assert (0, ["custom"]) == (code, [a["kind"] for a in json.loads(out)["actions"]])


def test_snapshots_of_a_corpus_carry_the_counts_effect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "snapshots"
    args = ["snapshot", "--policy", policy_file(tmp_path), "--tickets", str(folder(tmp_path))]
    code, _, _ = run([*args, "--at", AT, "--out", str(out_dir)], capsys)
    with_record = sorted(
        p.stem for p in out_dir.glob("*.json") if "open-problem-record" in p.read_text()
    )
    assert (0, ["C"]) == (code, with_record)


def test_a_ticket_with_a_status_the_policy_does_not_know_is_reported_where_it_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # counting read its statuses first and said the error without the file and line
    lines = tickets()
    lines[1]["events"] = [{"at": "2024-05-12T09:00:00Z", "type": "status-changed", "status": "x"}]
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in lines))
    code, _, err = run(
        ["evaluate", "--policy", policy_file(tmp_path), "--tickets", str(corpus), "--at", AT],
        capsys,
    )
    assert (2, True) == (code, err.startswith(f"escalate: error: {corpus}:2: events[0].status: "))
