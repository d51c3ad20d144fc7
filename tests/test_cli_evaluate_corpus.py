"""``escalate evaluate --tickets``: a corpus decided at one instant, in processes or not.

``--workers N`` must change nothing a user sees: the same bytes on stdout, the same error
line on stderr (file, line and key of the first ticket that does not fit), the same exit code.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from escalate import Ticket, load
from escalate.cli import main
from escalate.cli._corpus import Entry
from escalate.cli.evaluate import _ticket_key
from escalate.learning import with_recurrences

ROOT = Path(__file__).parent.parent
PACK = str(ROOT / "rules" / "itil-default.yaml")
TICKETS = ROOT / "examples" / "tickets"
AVAILABILITY = str(ROOT / "examples" / "availability.json")
AT = "2024-11-20T15:00:00+00:00"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def jsonl(tmp_path: Path, *, bad_line: int | None = None) -> Path:
    """The example tickets as JSON Lines, twice over under other ids (12 tickets), with line
    ``bad_line`` holding a priority the pack does not know."""
    lines = []
    for copy in ("", "-B"):
        for path in sorted(TICKETS.glob("*.json")):
            data = json.loads(path.read_text())
            data["id"] += copy
            lines.append(data)
    if bad_line is not None:
        lines[bad_line - 1]["priority"] = "P9"
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in lines))
    return corpus


def corpus_args(corpus: Path | str, *extra: str) -> list[str]:
    return ["--policy", PACK, "--tickets", str(corpus), "--at", AT, *extra]


def test_a_corpus_is_decided_as_each_ticket_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["evaluate", *corpus_args(TICKETS, "--json")], capsys)
    document = json.loads(out)
    policy = load(PACK)
    assert code == 0
    assert document["policy"] == {
        "id": policy.id,
        "version": policy.version,
        "content_hash": policy.content_hash,
    }
    assert document["at"] == AT
    # Each ticket alone, once the corpus has filled the pack's recurrence counts (the one
    # thing a corpus adds: docs/policy-reference.md, "recurrence").
    tickets = with_recurrences(
        [Ticket.from_mapping(json.loads(p.read_text())) for p in sorted(TICKETS.glob("*.json"))],
        policy,
    )
    assert {t.fields["recurrences"] for t in tickets} == {0}
    expected = [
        policy.evaluate(ticket, now=datetime.fromisoformat(AT)).to_dict(trace=False)
        for ticket in tickets
    ]
    assert document["decisions"] == json.loads(json.dumps(expected))


def test_the_text_output_is_each_explanation_with_a_blank_line_between(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["evaluate", *corpus_args(TICKETS)], capsys)
    single = []
    for path in sorted(TICKETS.glob("*.json")):
        _, text, _ = run(["evaluate", "--policy", PACK, "--ticket", str(path), "--at", AT], capsys)
        single.append(text)
    assert (code, out) == (0, "\n".join(single))


@pytest.mark.parametrize(("command", "as_json"), [("evaluate", False), ("explain", True)])
def test_two_workers_print_the_same_bytes_as_one(
    command: str, as_json: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = corpus_args(jsonl(tmp_path), "--availability", AVAILABILITY)
    if as_json:
        args.append("--json")
    one = run([command, *args], capsys)
    two = run([command, *args, "--workers", "2"], capsys)
    assert one[0] == 0
    assert two == one


def test_a_ticket_that_does_not_fit_is_reported_the_same_with_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = jsonl(tmp_path, bad_line=8)
    one = run(["evaluate", *corpus_args(corpus)], capsys)
    two = run(["evaluate", *corpus_args(corpus), "--workers", "2"], capsys)
    assert two == one
    code, out, err = one
    assert code == 2
    assert err.startswith(f"escalate: error: {corpus}:8: priority")
    assert "Traceback" not in err
    assert out.count("ticket INC") == 7  # the tickets before it were printed


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_workers_must_be_a_positive_number(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["evaluate", *corpus_args(TICKETS), "--workers", workers], capsys)
    assert (code, out) == (2, "")
    assert "--workers: expected a whole number of worker processes" in err


def test_workers_without_a_corpus_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    ticket = str(TICKETS / "INC0010001.json")
    code, _, err = run(
        ["evaluate", "--policy", PACK, "--ticket", ticket, "--at", AT, "--workers", "2"], capsys
    )
    assert code == 2
    assert err == (
        "escalate: error: --workers decides a corpus in processes; give --tickets "
        "(one --ticket is decided here)\n"
    )


def test_a_ticket_and_a_corpus_together_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticket = str(TICKETS / "INC0010001.json")
    code, _, err = run(["evaluate", *corpus_args(TICKETS), "--ticket", ticket], capsys)
    assert (code, "not allowed with argument" in err) == (2, True)


def test_tickets_are_partitioned_by_their_id() -> None:
    assert _ticket_key(Entry("t.jsonl:1", {"id": "INC1"})) == "INC1"
    assert _ticket_key(Entry("t.jsonl:2", {"id": 7})) == "t.jsonl:2"  # refused when decided


def test_a_ticket_beyond_a_calendars_years_is_named_in_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: p\nversion: 1\ncalendars:\n  office: {timezone: Europe/Berlin, hours: "
        '{mon-fri: ["09:00-17:00"]}, holidays: {country: DE, years: [2024, 2024]}}\n'
        "clocks:\n  resolution:\n    stop: {status: [resolved]}\n"
        "    targets: {default: {within: 8h, calendar: office}}\n",
        encoding="utf-8",
    )
    folder = tmp_path / "tickets"
    folder.mkdir()
    (folder / "T1.json").write_text(
        '{"id": "T1", "opened_at": "2024-06-03T09:00:00Z", "priority": "P3"}', encoding="utf-8"
    )
    at = "2026-01-05T10:00:00Z"
    code, out, err = run(
        ["evaluate", "--policy", str(policy), "--tickets", str(folder), "--at", at], capsys
    )
    assert (2, "") == (code, out)
    assert err.startswith(f"escalate: error: {folder / 'T1.json'}: ") and "calendar 'office'" in err
