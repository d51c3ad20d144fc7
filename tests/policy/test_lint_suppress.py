"""``lint: ignore:``: findings a policy's authors accept, each with a reason; ignores that
suppress nothing are findings themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate import PolicyError, lint, load, loads
from escalate.schemas import json_schema

BODY = """policy: p
version: 1
calendars:
  office: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2025]}
  night: {timezone: UTC, hours: 24x7, years: [2024, 2025]}
rules:
  - id: r
    when: {priority: P1}
    then: {notify: {to: [assignee]}}
"""


def findings(ignore: str, body: str = BODY) -> list[tuple[str, str]]:
    text = body + "lint:\n  ignore:\n" + ignore
    return [(f.path, f.code) for f in lint(loads(text, filename="p.yaml"))]


def test_without_ignores_every_finding_is_reported() -> None:
    assert [
        ("calendars.office", "unused-calendar"),
        ("calendars.night", "unused-calendar"),
        ("rules.r", "no-rationale"),
    ] == [(f.path, f.code) for f in lint(loads(BODY, filename="p.yaml"))]


def test_an_ignore_without_where_suppresses_the_code_everywhere() -> None:
    assert [("rules.r", "no-rationale")] == findings(
        "    - {code: unused-calendar, reason: calendars are shared with the next version}\n"
    )


def test_an_ignore_with_where_suppresses_findings_under_that_key_path_only() -> None:
    assert [("calendars.office", "unused-calendar"), ("rules.r", "no-rationale")] == findings(
        "    - {code: unused-calendar, where: calendars.night, reason: kept for the night desk}\n"
    )


def test_a_where_that_names_no_key_of_the_policy_is_a_load_error_with_a_did_you_mean() -> None:
    # 'calendars.nigh' would suppress nothing (keys are compared whole), silently
    with pytest.raises(PolicyError) as caught:
        findings("    - {code: unused-calendar, where: calendars.nigh, reason: a typo}\n")
    assert ("p.yaml", 12, 31) == caught.value.source
    assert ("lint", "ignore", 0, "where") == caught.value.path
    assert "calendars.night" == caught.value.suggestion


def test_a_rule_is_suppressed_by_its_id() -> None:
    assert ("rules.r", "no-rationale") not in findings(
        "    - {code: no-rationale, where: rules.r, reason: the rule explains itself}\n"
    )


def test_an_ignore_that_suppresses_nothing_is_an_unused_ignore_finding_at_its_entry() -> None:
    text = BODY + ("lint:\n  ignore:\n    - {code: segment-shadowed, reason: nobody here}\n")
    (unused,) = [f for f in lint(loads(text, filename="p.yaml")) if f.code == "unused-ignore"]
    assert (
        "info",
        ("lint", "ignore", 0),
        ("p.yaml", 12, 7),
        "no segment-shadowed finding to ignore: remove the entry",
    ) == (unused.severity, unused.where, unused.source, unused.message)


def test_an_ignore_can_suppress_an_unused_ignore_finding_only_by_being_used() -> None:
    # The same code under the wrong key path: the finding stays and the ignore is unused.
    found = findings("    - {code: no-rationale, where: calendars.office, reason: wrong key}\n")
    assert [("rules.r", "no-rationale"), ("lint.ignore[0]", "unused-ignore")] == [
        f for f in found if f[1] in ("no-rationale", "unused-ignore")
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{code: unused-calendr, reason: x}",
            "p.yaml:12:8: lint.ignore[0].code: unknown lint code 'unused-calendr' "
            "(docs/lint.md lists them) (did you mean 'unused-calendar'?)",
        ),
        (
            "{code: unused-calendar}",
            "p.yaml:12:7: lint.ignore[0].reason: missing required key 'reason'",
        ),
        (
            "{code: unused-calendar, reason: ''}",
            "p.yaml:12:31: lint.ignore[0].reason: expected a non-empty string, got ''",
        ),
    ],
)
def test_an_ignore_needs_a_known_code_and_a_reason(entry: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        loads(BODY + f"lint:\n  ignore:\n    - {entry}\n", filename="p.yaml")
    assert message == str(caught.value)


def test_the_policy_ignores_apply_to_its_segments_findings() -> None:
    segment = (
        "segments:\n  - id: uk\n    when: {region: uk}\n    precedence: 1\n"
        "    add:\n      calendars:\n        london: {timezone: Europe/London, hours: 24x7,"
        " years: [2024, 2025]}\n"
    )
    found = findings(
        "    - {code: unused-calendar, where: segments.uk, reason: the UK desk moves next month}\n",
        BODY + segment,
    )
    assert ("segments.uk.calendars.london", "unused-calendar") not in found
    assert ("calendars.office", "unused-calendar") in found


def test_a_segment_cannot_write_lint() -> None:
    text = BODY + (
        "segments:\n  - id: uk\n    when: {region: uk}\n    precedence: 1\n    lint: {ignore: []}\n"
    )
    with pytest.raises(PolicyError, match="'lint' is a top-level key of the policy"):
        loads(text, filename="p.yaml")


def test_an_extending_policy_keeps_the_base_ignores_unless_it_writes_its_own(
    tmp_path: Path,
) -> None:
    (tmp_path / "base.yaml").write_text(
        BODY + "lint:\n  ignore:\n    - {code: unused-calendar, reason: base}\n"
    )
    (tmp_path / "keeps.yaml").write_text("extends: base.yaml\npolicy: k\nversion: 2\n")
    (tmp_path / "replaces.yaml").write_text(
        "extends: base.yaml\npolicy: r\nversion: 2\n"
        "lint:\n  ignore:\n    - {code: no-rationale, reason: child}\n"
    )
    kept = [f.code for f in lint(load(tmp_path / "keeps.yaml"))]
    replaced = [f.code for f in lint(load(tmp_path / "replaces.yaml"))]
    assert (["no-rationale"], ["unused-calendar", "unused-calendar"]) == (kept, replaced)


def test_the_json_schema_describes_lint_ignore() -> None:
    schema = json_schema("policy")
    spec = schema["$defs"]["LintIgnoreSpec"]
    assert (["code", "reason"], {"code", "where", "reason"}) == (
        sorted(spec["required"]),
        set(spec["properties"]),
    )


def test_the_shipped_pack_suppresses_what_it_accepts_and_every_ignore_is_used() -> None:
    pack = load(Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml")
    assert [] == [f for f in lint(pack) if f.code == "unused-ignore"]
    assert all(ignore.reason for ignore in pack.lint_ignores)
