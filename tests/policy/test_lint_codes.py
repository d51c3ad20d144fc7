"""Lint findings as values: stable codes with a severity each (all documented in
docs/lint.md), key paths, and the file:line:col of the key, also across extends and folders."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from escalate import Finding, lint, load, loads
from escalate.policy.lint import CODES, SEVERITIES

ROOT = Path(__file__).resolve().parents[2]
LINT_DOC = ROOT / "docs" / "lint.md"

#: Codes are a public contract (scripts and ``lint: ignore`` entries name them): renaming or
#: dropping one is a breaking change, so the list is written out here.
STABLE = {
    "start-within-stop": "error",
    "start-paused": "warning",
    "pause-is-stop": "warning",
    "stop-without-new-cycle": "warning",
    "definition-overlap": "warning",
    "uncovered-tickets": "warning",
    "unreachable-definition": "warning",
    "rungs-out-of-order": "warning",
    "rung-at-start": "warning",
    "rung-drops-actions": "warning",
    "notify-off-hours": "warning",
    "no-rationale": "info",
    "unreachable-rule": "warning",
    "recurrence-not-filled": "warning",
    "unreachable-path": "warning",
    "unreachable-level": "warning",
    "ack-within-on-start-level": "warning",
    "page-first-level-on-trigger": "info",
    "at-on-first-level": "warning",
    "ack-timeout-without-timer": "warning",
    "ack-after-move": "warning",
    "repeat-without-timer": "warning",
    "level-without-backup": "warning",
    "unused-calendar": "warning",
    "calendar-closed-year": "warning",
    "calendar-ends": "warning",
    "no-contact-channel": "warning",
    "contact-never-validated": "warning",
    "stale-contact": "warning",
    "role-without-backup": "info",
    "unused-person": "warning",
    "schedule-gap": "warning",
    "member-never-on-call": "warning",
    "plan-step-no-address": "warning",
    "plan-no-address": "warning",
    "plan-outlasts-level": "warning",
    "segment-unreachable": "warning",
    "segment-shadowed": "warning",
    "multiple-points-of-contact": "warning",
    "classified-field-unknown": "warning",
    "authority-near-miss": "warning",
    "override-authority-missing": "warning",
    "postmortem-never-required": "warning",
    "postmortem-thresholds-unreached": "warning",
    "postmortem-owner-without-manager": "warning",
    "unused-ignore": "info",
}

BODY = """policy: p
version: 1
calendars:
  office: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2025]}
rules:
  - id: r
    when: {priority: P1}
    then: {notify: {to: [assignee]}}
"""


def test_every_code_keeps_its_name_and_severity() -> None:
    assert STABLE == dict(CODES)


def test_docs_lint_md_lists_every_code_with_its_severity() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \|", LINT_DOC.read_text(), re.M)
    assert dict(CODES) == dict(rows)
    assert len(rows) == len(CODES)  # each once


def test_severities_are_error_warning_info_most_serious_first() -> None:
    assert ("error", "warning", "info") == SEVERITIES


def test_a_finding_names_its_key_path_and_the_position_of_the_key() -> None:
    (calendar, rule) = lint(loads(BODY, filename="p.yaml"))
    assert [
        ("unused-calendar", "warning", ("calendars", "office"), ("p.yaml", 4, 3)),
        ("no-rationale", "info", ("rules", "r"), ("p.yaml", 6, 5)),
    ] == [(f.code, f.severity, f.where, f.source) for f in (calendar, rule)]


def test_a_finding_prints_as_position_severity_code_path_and_message() -> None:
    assert "p.yaml:6:5: info no-rationale: rules.r: rule has no 'rationale:'" == str(
        lint(loads(BODY, filename="p.yaml"))[-1]
    )


def test_a_finding_without_a_position_prints_without_one() -> None:
    finding = Finding("no-rationale", "info", ("rules", "r"), "rule has no 'rationale:'")
    assert "info no-rationale: rules.r: rule has no 'rationale:'" == str(finding)


def test_a_finding_as_json_data_names_file_line_and_col() -> None:
    assert {
        "code": "no-rationale",
        "severity": "info",
        "file": "p.yaml",
        "line": 6,
        "col": 5,
        "where": "rules.r",
        "message": "rule has no 'rationale:'",
    } == lint(loads(BODY, filename="p.yaml"))[-1].to_dict()


def test_findings_sort_by_file_line_and_column() -> None:
    late = Finding("no-rationale", "info", ("rules", "r"), "m", ("a.yaml", 10, 1))
    early = Finding("unused-calendar", "warning", ("calendars", "c"), "m", ("a.yaml", 2, 9))
    other_file = Finding("no-rationale", "info", ("rules", "r"), "m", ("b.yaml", 1, 1))
    assert [early, late, other_file] == sorted([other_file, late, early])


def test_a_rule_is_named_by_its_id_whatever_its_place_in_the_list() -> None:
    first = (
        "  - {id: first, when: {priority: P2}, then: {notify: {to: [assignee]}}, rationale: x}\n"
    )
    two = BODY.replace("rules:\n", "rules:\n" + first)
    (_, rule) = lint(loads(two, filename="p.yaml"))
    assert (("rules", "r"), ("p.yaml", 7, 5)) == (rule.where, rule.source)


def test_a_finding_in_an_extending_policy_points_at_the_file_that_wrote_the_key(
    tmp_path: Path,
) -> None:
    (tmp_path / "base.yaml").write_text(BODY)
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\npolicy: child\nversion: 2\n"
        "add:\n  calendars:\n    night: {timezone: UTC, hours: 24x7, years: [2024, 2025]}\n"
    )
    found = {f.path: f.source for f in lint(load(tmp_path / "child.yaml"))}
    assert {
        "calendars.night": (str(tmp_path / "child.yaml"), 6, 5),
        "calendars.office": (str(tmp_path / "base.yaml"), 4, 3),
        "rules.r": (str(tmp_path / "base.yaml"), 6, 5),
    } == found


def test_a_finding_in_a_folder_policy_points_at_the_file_of_its_key(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("policy: p\nversion: 1\n")
    (tmp_path / "b.yaml").write_text(BODY.split("calendars:\n")[1].join(["calendars:\n", ""]))
    found = {f.path: f.source for f in lint(load(tmp_path))}
    assert {
        "calendars.office": (str(tmp_path / "b.yaml"), 2, 3),
        "rules.r": (str(tmp_path / "b.yaml"), 4, 5),
    } == found


def test_a_segment_finding_points_at_the_segment_key_that_caused_it() -> None:
    text = BODY.replace(
        "rules:",
        "segments:\n  - id: uk\n    when: {region: uk}\n    precedence: 1\n"
        "    add:\n      calendars:\n        london: {timezone: Europe/London, hours: 24x7,"
        " years: [2024, 2025]}\nrules:",
    )
    found = {f.path: f.source for f in lint(loads(text, filename="p.yaml")) if "london" in f.path}
    assert {"segments.uk.calendars.london": ("p.yaml", 11, 9)} == found


def test_the_positions_a_policy_keeps_are_plain_picklable_data() -> None:
    policy = load(ROOT / "rules" / "itil-default.yaml")
    positions = policy.positions
    pack = ROOT / "rules" / "itil-default.yaml"
    line = pack.read_text(encoding="utf-8").splitlines().index("rules:") + 1
    assert (positions, (str(pack), line, 1)) == (
        pickle.loads(pickle.dumps(positions)),
        positions[("rules",)],
    )


def test_the_positions_of_rules_are_kept_by_index_and_by_id() -> None:
    policy = loads(BODY, filename="p.yaml")
    assert ("p.yaml", 6, 5) == policy.positions[("rules", 0)] == policy.positions[("rules", "r")]


@pytest.mark.parametrize("severity", SEVERITIES)
def test_each_severity_is_used_by_some_code(severity: str) -> None:
    assert severity in CODES.values()
