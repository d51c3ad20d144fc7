"""``escalate validate`` (alias ``lint``): exit 0 unless a finding is an error (any finding with
``--strict``), 2 when the policy does not load; findings as ``file:line:col`` lines or JSON; the
shipped pack passes today and in five years."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from escalate.cli import main

ROOT = Path(__file__).resolve().parent.parent
PACK = str(ROOT / "rules" / "itil-default.yaml")
TODAY = "2026-12-04T00:00:00Z"  # when this test was written
IN_FIVE_YEARS = "2031-12-04T00:00:00Z"
FINDING_LINE = re.compile(r"^.+:\d+:\d+: (error|warning|info) [a-z-]+: \S+: .+$")

NEVER_RUNS = """policy: p
version: 1
clocks:
  c:
    start: {event: created}
    stop: {event: created}
    targets: {default: {within: 1h}}
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- the shipped pack ----------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [TODAY, IN_FIVE_YEARS])
def test_the_shipped_pack_passes_today_and_in_five_years(
    as_of: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["validate", PACK, "--as-of", as_of], capsys)
    lines = out.splitlines()
    findings = [line for line in lines if FINDING_LINE.match(line)]
    assert (0, "", True) == (code, err, all(" warning " in line for line in findings))
    assert re.fullmatch(r"\d+ findings: 0 errors, \d+ warnings, 0 info", lines[-1])


def test_in_five_years_the_pack_warns_that_its_calendars_years_have_run_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(["validate", PACK, "--as-of", IN_FIVE_YEARS], capsys)
    with open(PACK, encoding="utf-8") as pack:
        line = next(n for n, text in enumerate(pack, 1) if text.startswith("  office-berlin:"))
    assert [f"{PACK}:{line}:3: warning calendar-ends: calendars.office-berlin"] == [
        line.split(": the calendar")[0] for line in out.splitlines() if "calendar-ends" in line
    ][:1]


def test_the_shipped_pack_passes_at_this_machines_clock(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["validate", PACK], capsys)
    assert (0, "") == (code, err)


def test_strict_fails_the_shipped_pack_on_its_stale_contact_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert 1 == run(["validate", PACK, "--as-of", TODAY, "--strict"], capsys)[0]


def test_strict_passes_the_shipped_pack_when_it_has_no_findings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert 0 == run(["validate", PACK, "--as-of", "2024-11-20T15:00:00Z", "--strict"], capsys)[0]


# -- exit codes and output -----------------------------------------------------------------------


def test_an_error_finding_exits_1_and_prints_file_line_col(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, NEVER_RUNS)
    code, out, _ = run(["validate", path, "--as-of", TODAY], capsys)
    assert (
        1,
        [
            f"{path}:5:5: error start-within-stop: clocks.c.start: whatever starts the clock also "
            "stops it (stop wins), so it never runs",
            "1 finding: 1 error, 0 warnings, 0 info",
        ],
    ) == (code, out.splitlines()[1:])


def test_lint_is_validate_under_another_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, NEVER_RUNS)
    assert run(["validate", path, "--as-of", TODAY], capsys) == run(
        ["lint", path, "--as-of", TODAY], capsys
    )


def test_the_help_names_lint_as_an_alias(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["--help"], capsys)
    assert "(same as validate)" in out


def test_json_prints_one_document_with_each_finding_as_an_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, NEVER_RUNS)
    code, out, _ = run(["validate", path, "--as-of", TODAY, "--json"], capsys)
    document = json.loads(out)
    assert (1, True) == (code, out.startswith("{\n") and out.endswith("\n}\n"))  # one document
    assert {
        "path": path,
        "policy": "p",
        "version": "1",
        "as_of": "2026-12-04T00:00:00+00:00",
        "segments": [],
        "findings": [
            {
                "code": "start-within-stop",
                "severity": "error",
                "file": path,
                "line": 5,
                "col": 5,
                "where": "clocks.c.start",
                "message": "whatever starts the clock also stops it (stop wins), so it never runs",
            }
        ],
        "counts": {"error": 1, "warning": 0, "info": 0},
        "ok": False,
    } == {k: v for k, v in document.items() if k != "content_hash"}


def test_json_keys_are_sorted_and_ascii(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["validate", PACK, "--as-of", TODAY, "--json"], capsys)
    assert out.strip() == json.dumps(json.loads(out), sort_keys=True, indent=2)


def test_a_policy_that_does_not_load_exits_2_with_every_problem_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "policy: p\nversion: 1\nrulez: []\nclockz: {}\n")
    code, out, err = run(["validate", path, "--json"], capsys)
    assert (
        2,
        "",
        [
            f"escalate: error: {path}:3:1: rulez: unknown key 'rulez' (did you mean 'rules'?)",
            f"escalate: error: {path}:4:1: clockz: unknown key 'clockz' (did you mean 'clocks'?)",
            "escalate: 2 problems; the policy does not load",
        ],
    ) == (code, out, err.splitlines())


def test_the_load_error_example_of_docs_lint_md_prints_what_it_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (ROOT / "docs" / "lint.md").read_text()
    policy = re.search(r"```yaml\n(policy: broken\n.*?)```", doc, re.S)
    console = re.search(r"```console\n\$ escalate validate broken.yaml\n(.*?)```", doc, re.S)
    assert policy is not None and console is not None
    (tmp_path / "broken.yaml").write_text(policy.group(1))
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["validate", "broken.yaml"], capsys)
    assert (2, console.group(1)) == (code, err)
