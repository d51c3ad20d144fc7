"""What a new user ran into with case files: typos that passed, errors one at a time, a folder
stopped by one bad file, unreadable failures, ``.yml`` files, and actions' ``due_at`` and
``missed``."""

from __future__ import annotations

import doctest
import json
import re
import shutil
from itertools import pairwise
from pathlib import Path

import pytest

from escalate.cli import main
from escalate.errors import CaseError, CaseErrors
from escalate.testing.case_format import ACTION_DETAILS
from escalate.testing.cases import find_case_files, load_cases
from escalate.testing.runner import run_case
from tests.testing.case_helpers import P1, PACK, SHIPPED, write_cases

pytest_plugins = ["pytester"]


def problem(tmp_path: Path, pattern: str, key: str = "expect_not") -> CaseError:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: typo
            ticket: {P1}
            {key}: {{actions: [{pattern}]}}
        """,
    )
    with pytest.raises(CaseError) as caught:
        load_cases(path)
    return caught.value


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["test", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. what an action pattern names is checked against the policy --------------------------


@pytest.mark.parametrize(
    ("pattern", "message", "suggestion"),
    [
        ("{kind: open-bridge}", "got 'open-bridge'", "open_bridge"),
        ('{source: "rule:p1-brige"}', "unknown rule 'p1-brige'", "rule:p1-bridge"),
        ('{source: "path:servce-desk"}', "unknown path 'servce-desk'", "path:service-desk"),
        ('{source: "clock:resolutoin@75%"}', "unknown clock 'resolutoin'", "clock:resolution@75%"),
        (
            '{source: "clock:resolution@74%"}',
            "clock 'resolution' has no rung '74%'",
            "clock:resolution@75%",
        ),
        (
            '{source: "rule-p1-bridge"}',
            "a source is rule:<id>, clock:<name>@<rung>, path:<name> or audience:",
            None,
        ),
        (
            "{kind: notify, details: {templat: x}}",
            "'templat' is not a detail of notify",
            "template",
        ),
        (
            "{kind: set_flag, details: {channel: x}}",
            "'channel' is not a detail of set_flag actions (they have flag, value)",
            None,
        ),
        ("{details: {templat: x}}", "no action's details have 'templat'", "template"),
        ("{kind: notify, level: L2}", "notify actions have no level", None),
        ("{kind: escalate, people: [nobdy]}", "unknown person 'nobdy'", None),
        ("{people: [tom.beker]}", "unknown person 'tom.beker'", "tom.becker"),
    ],
)
def test_an_action_pattern_naming_what_no_action_shows_is_refused(
    tmp_path: Path, pattern: str, message: str, suggestion: str | None
) -> None:
    error = problem(tmp_path, pattern)
    assert message in error.message
    assert suggestion == error.suggestion
    assert error.source is not None and error.source[1] == 8  # the pattern's line


def test_the_details_each_kind_carries_are_those_the_engine_emits() -> None:
    # Every due action of every shipped case: a kind of the table, details among its keys.
    case_file = load_cases(SHIPPED)
    seen: dict[str, set[str]] = {}
    for case in case_file.cases:
        decision = run_case(case_file.policy, case).decision
        assert decision is not None
        for action in (*decision.actions, *decision.missed):
            seen.setdefault(action.kind, set()).update(action.details)
    # Keys the shipped pack never produces: a notify's channel_kind comes with a declared
    # channel name, and the pack's notifies name kinds (tests/engine/ covers it); its
    # require_postmortem names no owner (tests/postmortem/ covers it).
    unexercised = {"notify": {"channel_kind"}, "require_postmortem": {"owner"}}
    expected = {k: set(v) - unexercised.get(k, set()) for k, v in ACTION_DETAILS.items()}
    assert {k: v for k, v in expected.items() if k in seen} == seen


# -- 3. every independent problem at once, in line order --------------------------------------


def test_every_case_s_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: a
            ticket: {P1}
            expect_not: {{actions: [{{kind: open-bridge}}]}}
          - name: b
            ticket: {P1}
            expect: {{rules: [wrng-team], levels: {{servce-desk: L2}}}}
          - name: c
            ticket: {P1}
            expect: {{no_actions: true}}
          - name: d
            ticket: {P1}
            expect_not: {{actions: [{{source: "rule:p1-brige"}}]}}
        """,
    )
    with pytest.raises(CaseErrors) as caught:
        load_cases(path)
    errors = caught.value.errors
    assert [8, 11, 11, 17] == [e.source[1] for e in errors if e.source is not None]
    assert [e.source for e in errors] == sorted(e.source for e in errors if e.source is not None)
    assert str(caught.value).endswith("(and 3 more problems)")
    assert {
        ("cases", 1, "expect", "rules", 0),
        ("cases", 1, "expect", "levels", "servce-desk"),
    } == {e.path for e in errors[1:3]}


def test_the_cli_prints_each_problem_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: a
            ticket: {P1}
            expect: {{rules: [wrng-team]}}
          - name: b
            ticket: {P1}
            expect: {{rules: [vip-heads-op]}}
        """,
    )
    code, _, err = run(capsys, str(path))
    lines = err.splitlines()
    assert (2, 2) == (code, len(lines))
    assert lines[0].startswith(f"escalate: error: {path}:8:")
    assert lines[1].startswith(f"escalate: error: {path}:11:")


# -- 4. a case file that does not load does not stop the others ------------------------------


def two_files(tmp_path: Path) -> tuple[Path, Path]:
    good = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: fine
            ticket: {P1}
            expect: {{levels: {{service-desk: L2}}}}
        """,
        name="a-good.cases.yaml",
    )
    bad = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: one
            ticket: {P1}
            expect: {{rules: [wrng-team]}}
          - name: two
            ticket: {P1}
            expect: {{rules: [vip-heads-op]}}
        """,
        name="b-bad.cases.yaml",
    )
    return good, bad


def test_a_folder_runs_every_file_that_loads_and_reports_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = two_files(tmp_path)
    code, out, err = run(capsys, str(tmp_path), "--no-coverage")
    lines = out.splitlines()
    assert 2 == code
    assert f"PASS fine {good}:6" == lines[0]
    assert f"ERROR {bad} does not load (2 problems on stderr); its cases did not run" == lines[1]
    assert "1 passed, 0 failed, 0 errors, 1 case file not loaded (1 case in 1 case file)" in lines
    assert 2 == len(err.splitlines())


def test_json_reports_a_file_that_does_not_load_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, bad = two_files(tmp_path)
    code, out, _ = run(capsys, str(tmp_path), "--json", "--no-coverage")
    document = json.loads(out)
    assert 2 == code
    assert [str(bad)] == [b["file"] for b in document["not_loaded"]]
    problems = document["not_loaded"][0]["problems"]
    assert [True, True] == [
        problems[0].startswith(f"{bad}:8:"),
        problems[1].startswith(f"{bad}:11:"),
    ]
    assert {"passed": 1, "failed": 0, "errors": 0, "not_loaded": 1, "total": 1} == document[
        "summary"
    ]


def test_a_pytest_collection_error_lists_every_problem(pytester: pytest.Pytester) -> None:
    body = f"cases:\n  - name: a\n    ticket: {P1}\n    expect: {{rules: [wrng-team]}}\n"
    body += f"  - name: b\n    ticket: {P1}\n    expect: {{rules: [vip-heads-op]}}\n"
    pytester.makefile(".cases.yaml", bad=f"policy: {PACK}\ndefaults:\n  now: 2024-11-20T15:00Z\n")
    Path(pytester.path / "bad.cases.yaml").write_text(
        f'policy: {PACK}\ndefaults:\n  now: "2024-11-20T15:00:00Z"\n' + body, encoding="utf-8"
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    assert 2 == sum(1 for line in result.outlines if "unknown rule" in line)
    result.stdout.no_fnmatch_line("*more problem*")


# -- 5. failures that read as sentences, in line order -----------------------------------------


def outcome(tmp_path: Path, expectations: str) -> list[str]:
    path = write_cases(tmp_path, f"cases:\n  - name: c\n    ticket: {P1}\n{expectations}")
    case_file = load_cases(path)
    result = run_case(case_file.policy, case_file.cases[0])
    return [m.message for m in result.mismatches]


def test_a_rule_mismatch_says_what_was_expected_and_the_status(tmp_path: Path) -> None:
    assert ["rule vip-heads-up: expected to match, status not-matched"] == outcome(
        tmp_path, "    expect: {rules: [vip-heads-up]}\n"
    )


def test_no_actions_mismatches_say_what_is_due(tmp_path: Path) -> None:
    due = outcome(tmp_path, "    expect: {no_actions: true}\n")
    assert due[0].startswith("expected no due action, got 10: [{")
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: quiet
            ticket: {id: T1, opened_at: "2024-11-20T14:59:00Z", priority: P4}
            expect_not: {no_actions: true}
        """,
    )
    case_file = load_cases(path)
    result = run_case(case_file.policy, case_file.cases[0])
    assert ["expected some due action, none is due"] == [m.message for m in result.mismatches]


def test_mismatches_are_listed_in_line_order(tmp_path: Path) -> None:
    messages = outcome(
        tmp_path,
        "    expect_not:\n      levels: {service-desk: L2}\n"
        "    expect:\n      rules: [vip-heads-up]\n      segment: uk\n",
    )
    assert [
        'expected not "L2", got "L2"',
        "rule vip-heads-up: expected to match, status not-matched",
        'expected "uk", got null',
    ] == messages


def test_no_actions_false_is_refused_at_load(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path, f"cases:\n  - name: a\n    ticket: {P1}\n    expect: {{no_actions: false}}\n"
    )
    with pytest.raises(CaseError, match="no_actions takes only true; use expect_not"):
        load_cases(path)


def test_the_summary_counts_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_cases(
        tmp_path, f"cases:\n  - name: a\n    ticket: {P1}\n    expect: {{segment: null}}\n"
    )
    _, out, _ = run(capsys, str(path), "--no-coverage")
    assert "1 passed, 0 failed, 0 errors (1 case in 1 case file)" == out.splitlines()[-1]


# -- 6. errors name what is involved -------------------------------------------------------


def test_a_policy_that_does_not_exist_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match=r"^policy '.*nope\.yaml' does not exist$"):
        find_case_files(str(tmp_path / "nope.yaml"))


def test_an_engine_ticket_error_points_at_the_key_in_the_case_file(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: odd
            ticket:
              id: T1
              opened_at: "2024-11-20T14:00:00Z"
              status: frobnicated
            expect: {no_actions: true}
          - name: steps
            ticket: {id: T2, opened_at: "2024-11-20T14:00:00Z"}
            timeline:
              - at: "2024-11-20T14:10:00Z"
                events: [{type: status-changed, status: frobbed}]
                expect: {no_actions: true}
        """,
    )
    case_file = load_cases(path)
    sources = [run_case(case_file.policy, c).error_source for c in case_file.cases]
    # The ``status`` key of the inline ticket, and the ``status`` key of the step's event.
    assert [(str(path), 10, 7), (str(path), 16, 41)] == sources


# -- 2. .yml and .yaml mix -------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "cases"), [(".yaml", ".yml"), (".yml", ".yaml")])
def test_a_case_file_and_its_policy_may_each_end_in_yaml_or_yml(
    tmp_path: Path, policy: str, cases: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(PACK, tmp_path / f"payments{policy}")
    write_cases(
        tmp_path,
        f"cases:\n  - name: a\n    ticket: {P1}\n    expect: {{segment: null}}\n",
        name=f"payments.cases{cases}",
        header='defaults:\n  now: "2024-11-20T15:00:00Z"\n',
    )
    assert [str(tmp_path / f"payments.cases{cases}")] == find_case_files(
        str(tmp_path / f"payments{policy}")
    )
    code, out, _ = run(capsys, str(tmp_path / f"payments{policy}"), "--no-coverage")
    assert (0, "PASS a") == (code, out.split(" ")[0] + " " + out.split(" ")[1])


def test_pytest_runs_a_yml_case_file_beside_a_yaml_policy(pytester: pytest.Pytester) -> None:
    shutil.copy(PACK, pytester.path / "payments.yaml")
    (pytester.path / "payments.cases.yml").write_text(
        f'defaults:\n  now: "2024-11-20T15:00:00Z"\ncases:\n  - name: a\n    ticket: {P1}\n'
        "    expect: {segment: null}\n",
        encoding="utf-8",
    )
    pytester.runpytest().assert_outcomes(passed=1)


# -- 8. due_at and missed ----------------------------------------------------------------------


def test_an_action_pattern_matches_due_at_as_an_instant(tmp_path: Path) -> None:
    # The page of L2 became due at 14:50Z; written in +01:00 it is the same instant.
    assert [] == outcome(
        tmp_path, '    expect: {actions: [{kind: page, due_at: "2024-11-20T15:50:00+01:00"}]}\n'
    )
    assert ["expected a due action like this"] == [
        m.split(",")[0]
        for m in outcome(
            tmp_path, '    expect: {actions: [{kind: page, due_at: "2024-11-20T14:51:00Z"}]}\n'
        )
    ]


def test_missed_actions_are_expected_like_due_ones(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: resolved
            ticket: {P1}
            now: "2024-11-20T14:00:00Z"
            timeline:
              - at: "2024-11-20T15:00:00Z"
                events: [{{type: resolved}}]
                expect:
                  actions: [{{kind: require_postmortem}}]
                  missed: [{{kind: escalate, source: "path:service-desk", level: L2}}]
              - after: 1m
                expect: {{missed: [{{kind: handoff}}]}}
        """,
    )
    case_file = load_cases(path)
    results = [run_case(case_file.policy, c) for c in case_file.cases]
    assert ["pass", "fail"] == [r.status for r in results]
    assert results[1].mismatches[0].message.startswith("expected a missed action like this, got")


# -- 9. a YAML file a case names is called by what it is ---------------------------------------


def test_a_ticket_file_that_is_not_one_yaml_document_is_called_a_ticket_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "t.yaml").write_text("id: a\n---\nid: b\n", encoding="utf-8")
    path = write_cases(
        tmp_path, "cases:\n  - name: a\n    ticket: t.yaml\n    expect: {segment: null}\n"
    )
    with pytest.raises(CaseError, match="a ticket file holds exactly one"):
        load_cases(path)


def test_a_case_file_that_is_not_one_yaml_document_is_called_a_case_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.cases.yaml"
    path.write_text("cases: []\n---\ncases: []\n", encoding="utf-8")
    with pytest.raises(CaseError, match="a case file holds exactly one"):
        load_cases(path)


# -- 7. the sample runs of docs/testing-policies.md are real --------------------------------

DOC = PACK.parents[1] / "docs" / "testing-policies.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def sample_runs() -> list[tuple[str, str]]:
    """Each ```yaml block directly followed by a ```text block starting ``$ escalate test``:
    the case file and the run shown (abridged with ``...``)."""
    found = list(FENCE.finditer(DOC.read_text(encoding="utf-8")))
    return [
        (first.group(2), second.group(2))
        for first, second in pairwise(found)
        if first.group(1) == "yaml"
        and second.group(1) == "text"
        and second.group(2).startswith("$ escalate test ")
        and first.end() + 1 >= second.start()
    ]


def test_the_docs_show_sample_runs() -> None:
    assert 2 <= len(sample_runs())


@pytest.mark.parametrize("sample", range(len(sample_runs())))
def test_a_sample_run_in_the_docs_prints_what_it_shows(
    sample: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The case file of the sample, beside a copy of the shipped pack, run from its folder;
    # what the sample shows (stderr, then stdout) must be what is printed, "..." standing
    # for any lines.
    case_file, run_shown = sample_runs()[sample]
    command, _, shown_output = run_shown.partition("\n")
    shutil.copy(PACK, tmp_path / "itil-default.yaml")
    (tmp_path / "itil-default.cases.yaml").write_text(case_file, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(command.split()[2:])
    out, err = capsys.readouterr()
    checker = doctest.OutputChecker()
    assert checker.check_output(shown_output, err + out, doctest.ELLIPSIS), err + out
