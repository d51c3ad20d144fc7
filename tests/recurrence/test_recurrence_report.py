"""``escalate report``'s last review: ``--recount`` for a corpus that carries counts, a log
column named in ``recurrence.fields`` refused as ``escalate replay`` refuses it (in the CLI's
words), and ``--out -`` refused rather than written to a file named ``-``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalate.cli import main
from tests.learning.test_report_review import RECURRING_TEXT

from .test_recurrence_replay import POLICY as LOG_POLICY
from .test_recurrence_replay import files

A = {
    "id": "A",
    "opened_at": "2024-05-01T09:00:00Z",
    "service": "mail",
    "status": "resolved",
    "events": [{"at": "2024-05-01T10:00:00Z", "type": "resolved"}],
}
# B opens within 7 days of A's fix, same service: the corpus counts 1 recurrence, B carries 0.
B = {
    "id": "B",
    "opened_at": "2024-05-02T09:00:00Z",
    "service": "mail",
    "fields": {"recurrences": 0},
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def corpus(tmp_path: Path) -> list[str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(RECURRING_TEXT, encoding="utf-8")
    tickets = tmp_path / "tickets.jsonl"
    tickets.write_text(json.dumps(A) + "\n" + json.dumps(B) + "\n", encoding="utf-8")
    return ["report", "--policy", str(policy), "--tickets", str(tickets)]


def test_a_corpus_carrying_another_count_stops_unless_recount(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*corpus(tmp_path), "--at", "2024-05-03T00:00:00Z", "--json"]
    code, out, err = run(argv, capsys)
    assert (2, "") == (code, out)
    assert "fields.recurrences is already 0" in err and "give --recount to replace" in err
    code, out, err = run([*argv, "--recount"], capsys)
    # recounted: B's 1 recurrence starts the problem path, as `escalate evaluate --recount`
    assert (0, "1/2") == (code, json.loads(out)["headline"]["escalated"]["rate"]), err


def test_recount_is_for_a_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = files(tmp_path)
    code, out, err = run(["report", *args[1:], "--json", "--recount"], capsys)
    assert (
        2,
        "",
        "escalate: error: --recount recounts a corpus's recurrence counts; give --tickets",
    ) == (
        code,
        out,
        err.split(" (")[0],
    )


def test_a_log_column_named_in_recurrence_fields_is_refused_as_replay_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = LOG_POLICY.replace(
        "  within: 30d\n", "  within: 30d\n  fields: {recurrences: fields.u_symptom}\n"
    ).replace("fields.recurrences: {gte: 2}", "fields.u_symptom: {gte: 2}")
    args = files(tmp_path, policy, extra=",u_symptom")
    replayed = run([*args, "--quiet"], capsys)
    reported = run(["report", *args[1:], "--json", str(tmp_path / "r.json"), "--quiet"], capsys)
    assert replayed == reported
    assert (2, "") == reported[:2]
    assert (
        f"escalate: error: --servicenow: {args[4]}: incident INC1 gives fields.u_symptom (a "
        "column of the log), which policy 'recurring-replay''s recurrence: fills: name another "
        "field in recurrence.fields\n"
    ) == reported[2]


def test_out_dash_is_refused_and_writes_no_file_named_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [*corpus(tmp_path), "--at", "2024-05-03T00:00:00Z", "--recount", "--out", "-"]
    code, out, err = run(argv, capsys)
    assert (2, "", "escalate: error: --out: give a file; `-` is only for --json\n", False) == (
        code,
        out,
        err,
        (tmp_path / "-").exists(),
    )


def test_fingerprint_refuses_a_field_named_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*corpus(tmp_path), "--at", "2024-05-03T00:00:00Z", "--json", "--recount"]
    code, out, err = run([*argv, "--fingerprint", "service,service"], capsys)
    assert (
        2,
        "",
        "escalate: error: --fingerprint: fingerprint field 'service' is listed twice\n",
    ) == (
        code,
        out,
        err,
    )
