"""The command line: validate, evaluate, explain, schema, demo, and their exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main
from escalate.policy.loader import loads
from escalate.schemas import json_schema

ROOT = Path(__file__).parent.parent
PACK = str(ROOT / "rules" / "itil-default.yaml")
TICKETS = ROOT / "examples" / "tickets"
AT = "2024-11-20T15:00:00+00:00"

CLEAN = """policy: p
version: 1
clocks:
  res:
    stop: {status: [resolved]}
    new_cycle_on: [reopened]
    targets: {default: {within: 4h}}
    ladder:
      - {at: 50%, notify: {to: [assignee]}}
rules:
  - id: r
    when: {category: network}
    then: {notify: {to: ["team:noc"]}}
    rationale: the network team hears about network tickets
"""

TICKET: dict[str, Any] = {
    "id": "T1",
    "opened_at": "2024-11-20T10:00:00+00:00",
    "priority": "P1",
    "category": "network",
}


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- validate -------------------------------------------------------------------------------------


def test_validate_of_a_clean_policy_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "p.yaml", CLEAN)
    digest = loads(CLEAN).content_hash[:12]
    assert (0, f"{path}: policy p v1 ({digest}) loads\n", "") == run(["validate", path], capsys)


def test_validate_with_lint_findings_lists_them_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CLEAN.replace("    rationale: the network team hears about network tickets\n", "")
    path = write(tmp_path, "p.yaml", text)
    code, out, _ = run(["validate", path], capsys)
    assert (
        0,
        [
            f"{path}:11:5: info no-rationale: rules.r: rule has no 'rationale:'",
            "1 finding: 0 errors, 0 warnings, 1 info",
        ],
    ) == (code, out.splitlines()[1:])


def test_validate_reports_an_unused_calendar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CLEAN + "calendars:\n  office: {timezone: UTC, hours: 24x7, years: [2024, 2025]}\n"
    path = write(tmp_path, "p.yaml", text)
    code, out, _ = run(["validate", path, "--as-of", AT], capsys)
    assert (
        0,
        f"{path}:16:3: warning unused-calendar: calendars.office: calendar is never used",
    ) == (code, out.splitlines()[1])


def test_validate_reports_an_unreachable_on_trigger_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CLEAN + (
        "paths:\n  net:\n    kind: horizontal\n    levels: [{name: ops, targets: ['team:ops']}]\n"
    )
    path = write(tmp_path, "p.yaml", text)
    code, out, _ = run(["validate", path], capsys)
    assert (
        0,
        f"{path}:16:3: warning unreachable-path: paths.net: path starts on trigger but no rule "
        "or ladder sends tickets to it",
    ) == (code, out.splitlines()[1])


def test_validate_reports_a_clock_whose_start_also_stops_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CLEAN.replace("    stop: {status: [resolved]}", "    stop: {event: [created]}")
    path = write(tmp_path, "p.yaml", text)
    code, out, _ = run(["validate", path], capsys)
    assert (
        1,
        f"{path}:4:3: error start-within-stop: clocks.res.start: whatever starts the clock also "
        "stops it (stop wins), so it never runs",
    ) == (code, out.splitlines()[1])


def test_validate_of_a_broken_policy_exits_2_with_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "p.yaml", CLEAN.replace("when: {category:", "when: {categry:"))
    assert (
        2,
        "",
        f"escalate: error: {path}:12:12: rules[0].when.categry: unknown field 'categry' in "
        "condition (did you mean 'category'?)\n",
    ) == run(["validate", path], capsys)


def test_validate_of_the_shipped_pack_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", PACK, "--as-of", "2024-11-20T15:00:00Z"], capsys)
    assert 0 == code
    assert ["loads", "segments, tried in this order: uk (20), globex (30)"] == [
        line.split(") ")[-1].strip() for line in out.splitlines()
    ]


# -- evaluate and explain -------------------------------------------------------------------------


def evaluate_args(tmp_path: Path, *more: str, ticket: dict[str, Any] = TICKET) -> list[str]:
    policy = write(tmp_path, "p.yaml", CLEAN)
    ticket_path = write(tmp_path, "t.json", json.dumps(ticket))
    return ["--policy", policy, "--ticket", ticket_path, "--at", "2024-11-20T12:00:00Z", *more]


def test_evaluate_prints_the_explanation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["evaluate", *evaluate_args(tmp_path)], capsys)
    assert (0, "ticket T1 at 2024-11-20T12:00:00+00:00 (policy p v1, priority P1)") == (
        code,
        out.splitlines()[0],
    )


def test_evaluate_json_prints_the_decision_without_the_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["evaluate", *evaluate_args(tmp_path, "--json")], capsys)
    data = json.loads(out)
    assert (
        0,
        ["T1:clock:res#1@0:notify0", "T1:rule:r:20241120T100000Z:notify0"],
        "2024-11-20T14:00:00+00:00",
        False,
    ) == (
        code,
        [a["id"] for a in data["actions"]],
        data["next_evaluation_at"],
        "rules" in data,
    )


def test_explain_json_includes_the_rule_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["explain", *evaluate_args(tmp_path, "--json")], capsys)
    assert (0, [("r", "matched")]) == (
        code,
        [(r["rule"], r["status"]) for r in json.loads(out)["rules"]],
    )


def test_explain_prints_every_comparison(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["explain", *evaluate_args(tmp_path)], capsys)
    assert (0, True) == (
        code,
        "    ok category eq 'network': actual 'network' (" in out,
    )


def test_evaluate_json_is_the_same_bytes_every_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", *evaluate_args(tmp_path, "--json")]
    assert run(args, capsys) == run(args, capsys)


def test_evaluate_with_a_naive_instant_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = evaluate_args(tmp_path)
    args[args.index("--at") + 1] = "2024-11-20T12:00:00"
    code, _, err = run(["evaluate", *args], capsys)
    assert (2, True) == (code, "has no UTC offset" in err)


def test_evaluate_without_a_ticket_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["evaluate", "--policy", PACK, "--at", AT], capsys)
    assert (2, True) == (code, "one of the arguments --ticket --tickets is required" in err)


def test_evaluate_of_a_missing_ticket_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.json")
    code, _, err = run(["evaluate", "--policy", PACK, "--ticket", missing, "--at", AT], capsys)
    assert (
        2,
        f"escalate: error: --ticket: cannot read ticket '{missing}': No such file or directory\n",
    ) == (
        code,
        err,
    )


def test_evaluate_of_invalid_json_names_the_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "t.json", '{\n  "id": "T1",\n  oops\n}')
    code, _, err = run(["evaluate", "--policy", PACK, "--ticket", path, "--at", AT], capsys)
    prefix = f"escalate: error: {path}:3:3: invalid JSON: "
    assert (2, prefix) == (code, err[: len(prefix)])


def test_evaluate_of_an_invalid_ticket_names_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {**TICKET, "opened_at": "2024-11-20T10:00:00"}
    code, _, err = run(["evaluate", *evaluate_args(tmp_path, ticket=bad)], capsys)
    assert (2, True) == (
        code,
        err.startswith(f"escalate: error: {tmp_path / 't.json'}: opened_at: "),
    )


def test_evaluate_with_an_event_after_the_instant_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    late = {**TICKET, "events": [{"at": "2024-11-20T13:00:00+00:00", "type": "comment"}]}
    code, _, err = run(["evaluate", *evaluate_args(tmp_path, ticket=late)], capsys)
    assert (2, True) == (code, "events[0].at: event after now" in err)


def test_evaluate_with_a_broken_policy_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(tmp_path, "bad.yaml", "policy: p\nversion: 1\nrulez: []\n")
    ticket_path = write(tmp_path, "t.json", json.dumps(TICKET))
    code, _, err = run(
        ["evaluate", "--policy", policy, "--ticket", ticket_path, "--at", AT], capsys
    )
    assert (
        2,
        f"escalate: error: {policy}:3:1: rulez: unknown key 'rulez' (did you mean 'rules'?)\n",
    ) == (
        code,
        err,
    )


# -- schema, demo, usage --------------------------------------------------------------------------


def test_schema_prints_the_policy_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema"], capsys)
    schema = json.loads(out)
    assert (0, "PolicySpec", ["policy", "version"], False) == (
        code,
        schema["title"],
        sorted(schema["required"]),
        schema["additionalProperties"],
    )


@pytest.mark.parametrize("kind", ["ticket", "availability", "decision"])
def test_schema_kind_prints_the_document_json_schema_returns(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["schema", kind], capsys)
    assert (0, json_schema(kind)) == (code, json.loads(out))


def test_schema_of_an_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["schema", "tickets"], capsys)
    assert (2, True) == (code, "invalid choice" in err)


def test_demo_evaluates_every_example_ticket(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--policy", PACK, "--tickets", str(TICKETS), "--at", AT], capsys)
    names = sorted(p.stem for p in TICKETS.glob("*.json"))
    lines = out.splitlines()
    table = [line.split()[0] for line in lines[4 : 4 + len(names)]]
    assert (0, "ticket", names) == (code, lines[2].split()[0], table)


def test_demo_explains_the_busiest_ticket(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["demo", "--policy", PACK, "--tickets", str(TICKETS), "--at", AT], capsys)
    assert True is ("\nwhy INC" in out and "next evaluation:" in out)


def test_demo_with_its_defaults_runs_from_the_project_root(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run(["demo"], capsys)
    assert (0, "policy itil-default v1") == (code, out[: len("policy itil-default v1")])


def test_demo_without_tickets_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["demo", "--policy", PACK, "--tickets", str(tmp_path)], capsys)
    assert (2, f"escalate: error: --tickets: no ticket JSON files in '{tmp_path}'\n") == (code, err)


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert (0, True) == (code, out.startswith("usage: escalate"))


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["bogus"], capsys)
    assert (2, True) == (code, "invalid choice: 'bogus'" in err)


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert 2 == run([], capsys)[0]


def test_validate_reports_contacts_not_checked_within_the_policy_age(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["validate", PACK, "--as-of", "2025-06-01T00:00:00Z"], capsys)
    stale = [line for line in out.splitlines() if " warning stale-contact: " in line]
    assert (0, True) == (code, len(stale) > 0)
