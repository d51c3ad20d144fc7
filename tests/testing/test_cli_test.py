"""``escalate test``: one line per case, failures in detail, coverage, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalate.cli import main
from escalate.testing.keywords import ExpressionError, Keywords
from tests.testing.case_helpers import P1, ROOT, SHIPPED, STARTER, write_cases

PASSING = f"""\
cases:
  - name: at-l2
    ticket: {P1}
    expect: {{levels: {{service-desk: L2}}}}
"""
FAILING = f"""\
  - name: at-l3
    ticket: {P1}
    expect: {{levels: {{service-desk: L3}}}}
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["test", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_shipped_cases_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(ROOT / "rules"))
    assert (0, "") == (code, err)
    assert f"PASS p1-nobody-acknowledges-climbs-every-tier[5] {SHIPPED}:" in out
    # the shipped pack's cases and those of the five regulatory packs (rules/regulatory)
    assert "214 passed, 0 failed, 0 errors (214 cases in 6 case files)" in out


def test_a_failing_case_exits_1_with_the_failure_in_detail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cases(tmp_path, PASSING + FAILING)
    code, out, _ = run(capsys, str(path), "--no-coverage")
    lines = out.splitlines()
    assert 1 == code
    assert [f"PASS at-l2 {path}:6", f"FAIL at-l3 {path}:9"] == lines[:2]
    assert f'  {path}:11:23: expect.levels.service-desk: expected "L3", got "L2"' in lines
    assert "1 passed, 1 failed, 0 errors (2 cases in 1 case file)" in lines
    assert not any(line.startswith("coverage") for line in lines)


def test_k_selects_cases_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_cases(tmp_path, PASSING + FAILING)
    code, out, _ = run(capsys, str(path), "-k", "l2 or (l3 and not at)")
    assert (0, [f"PASS at-l2 {path}:6"]) == (code, out.splitlines()[:1])


def test_coverage_under_the_bar_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_cases(tmp_path, PASSING)
    low, out, _ = run(capsys, str(path), "--fail-under", "10")
    high, out_high, _ = run(capsys, str(path), "--fail-under", "90")
    assert (0, 1) == (low, high)
    assert "coverage of itil-default " in out
    assert "  not covered: rule:ping-pong" in out_high.splitlines()
    assert out_high.splitlines()[-1].endswith("is under --fail-under 90%")


def test_json_is_one_document_with_results_and_coverage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cases(tmp_path, PASSING + FAILING)
    code, out, _ = run(capsys, str(path), "--json")
    document = json.loads(out)
    failed = document["results"][1]
    assert (1, {"passed": 1, "failed": 1, "errors": 0, "not_loaded": 0, "total": 2}) == (
        code,
        document["summary"],
    )
    assert (
        "fail",
        f"{path}:9:5",
        [
            {
                "key": "expect.levels.service-desk",
                "expected": "L3",
                "actual": "L2",
                "message": 'expected "L3", got "L2"',
                "negated": False,
                "source": f"{path}:11:23",
            }
        ],
    ) == (failed["status"], failed["source"], failed["mismatches"])
    assert ["itil-default"] == [c["policy"] for c in document["coverage"]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nowhere.cases.yaml"], "escalate: error: cannot read case file 'nowhere.cases.yaml'"),
        (["-k", "a and", "x"], "expected a word, 'not' or '(' at the end"),
        (["--fail-under", "101", "x"], "expected a percentage from 0 to 100, got '101'"),
        (["--fail-under", "5", "--no-coverage", str(STARTER)], "--fail-under needs coverage"),
        (["-k", "nothing-like-this", str(STARTER)], "no case selected -k 'nothing-like-this'"),
    ],
)
def test_usage_and_load_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (2, "", 1, True) == (code, out, len(err.splitlines()), message in err)


def test_a_case_file_error_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cases(tmp_path, "cases:\n  - name: a\n    expet: {}\n")
    code, _, err = run(capsys, str(tmp_path))
    assert (2, f"escalate: error: {path}:7:5: cases[0].expet: case 'a': unknown key 'expet'") == (
        code,
        err.split(" (did you")[0],
    )


def test_a_case_the_engine_cannot_evaluate_is_an_error_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: odd-status
            ticket: {id: T1, opened_at: "2024-11-20T14:00:00Z", status: frobnicated}
            expect: {no_actions: true}
        """,
    )
    code, out, _ = run(capsys, str(path), "--no-coverage")
    lines = out.splitlines()
    assert (2, f"ERROR odd-status {path}:6") == (code, lines[0])
    assert f"  {path}:7:57: case 'odd-status': status: unknown status;" in "\n".join(lines)
    assert "0 passed, 0 failed, 1 error (1 case in 1 case file)" in lines


def test_keyword_expressions_follow_pytest() -> None:
    names = ["p1-page", "P1-vip", "p2-page", "rows[a]"]
    chosen = {
        text: [n for n in names if Keywords.parse(text).matches(n)]
        for text in ("p1", "not p1", "page and not p2", "vip or rows[a]", "(p1 or p2) and page")
    }
    assert {
        "p1": ["p1-page", "P1-vip"],
        "not p1": ["p2-page", "rows[a]"],
        "page and not p2": ["p1-page"],
        "vip or rows[a]": ["P1-vip", "rows[a]"],
        "(p1 or p2) and page": ["p1-page", "p2-page"],
    } == chosen


@pytest.mark.parametrize("text", ["", "and", "p1 or", "(p1", "p1)", "not"])
def test_a_broken_keyword_expression_is_an_error(text: str) -> None:
    with pytest.raises(ExpressionError):
        Keywords.parse(text)
