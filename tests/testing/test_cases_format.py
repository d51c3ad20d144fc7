"""Reading case files: strict, every error at file:line:col naming the case, ids checked."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from escalate.errors import CaseError, EscalateError, PolicyError
from escalate.schemas import json_schema
from escalate.testing.cases import find_case_files, load_cases
from tests.testing.case_helpers import P1, PACK, ROOT, SHIPPED, STARTER, write_cases


def error_of(path: Path) -> CaseError:
    with pytest.raises(CaseError) as info:
        load_cases(path)
    return info.value


def test_the_starter_file_expands_matrix_rows_and_timeline_steps_into_named_cases() -> None:
    names = [c.name for c in load_cases(STARTER).cases]
    assert [
        "p1-at-risk-pages-second-line",
        "vip-p3-breached",
        "resolved-p4-is-quiet",
        "priority-matrix[high-high]",
        "priority-matrix[medium-high]",
        "p1-lifecycle[1]",
        "p1-lifecycle[2]",
        "p1-lifecycle[3]",
    ] == names


def test_each_case_knows_the_line_of_its_item(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: first
            ticket: {P1}
            expect: {{no_actions: true}}
          - name: rows
            ticket: {P1}
            matrix:
              - {{name: a}}
              - {{now: "2024-11-20T16:00:00Z"}}
            expect: {{no_actions: true}}
        """,
    )
    cases = load_cases(path).cases
    assert [("first", 6), ("rows[a]", 12), ("rows[2]", 13)] == [
        (c.name, c.source[1]) for c in cases
    ]
    assert (str(path), 6, 5) == cases[0].source


def test_an_unknown_key_names_its_line_and_suggests_the_known_one(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: p1
            ticket: {P1}
            expet: {{no_actions: true}}
        """,
    )
    error = error_of(path)
    assert (
        f"{path}:8:5: cases[0].expet: case 'p1': unknown key 'expet' (did you mean 'expect'?)"
        == str(error)
    )


def test_a_now_without_offset_is_refused_where_it_stands(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: p1
            now: 2024-11-20T15:00:00
            ticket: {P1}
            expect: {{no_actions: true}}
        """,
    )
    message = str(error_of(path))
    assert message.startswith(f"{path}:7:5: cases[0].now: 2024-11-20T15:00:00 has no UTC offset")


def test_an_unquoted_timestamp_with_an_offset_reads_as_that_instant(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: p1
            now: 2024-11-20T16:00:00+01:00
            ticket: {P1}
            expect: {{no_actions: true}}
        """,
    )
    assert datetime(2024, 11, 20, 15, tzinfo=UTC) == load_cases(path).cases[0].now


def test_a_duplicate_case_name_names_both_lines(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: p1
            ticket: {P1}
            expect: {{no_actions: true}}
          - name: p1
            ticket: {P1}
            expect: {{no_actions: true}}
        """,
    )
    assert f"{path}:9:5: cases[1].name: duplicate case name 'p1' (first on line 6)" == str(
        error_of(path)
    )


def test_a_bad_inline_ticket_names_the_case_and_the_ticket_field(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: broken
            ticket:
              id: T1
              opened_at: "2024-11-20T09:00:00Z"
              priority: 1
            expect: {no_actions: true}
        """,
    )
    error = error_of(path)
    assert (str(path), 10, 7, "broken") == (*error.source, error.case)  # type: ignore[misc]
    assert "case 'broken': ticket: priority: " in str(error)


def test_a_ticket_file_is_read_relative_to_the_case_file(tmp_path: Path) -> None:
    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "t.json").write_text(P1.read_text(encoding="utf-8"))
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: p1
            ticket: tickets/t.json
            expect: {no_actions: true}
        """,
    )
    assert "INC0010001" == load_cases(path).cases[0].ticket.id


def test_a_missing_ticket_file_names_the_case_and_the_file(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: p1
            ticket: tickets/nope.json
            expect: {no_actions: true}
        """,
    )
    message = str(error_of(path))
    assert message.startswith(f"{path}:7:5: cases[0].ticket: case 'p1': cannot read ticket ")
    assert "nope.json" in message


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            "{levels: {servce-desk: L2}}",
            "unknown path 'servce-desk' (did you mean 'service-desk'?)",
        ),
        ("{levels: {service-desk: L9}}", "path 'service-desk' has no level 'L9'"),
        ("{rules: [wrong-tem]}", "unknown rule 'wrong-tem' (did you mean 'wrong-team'?)"),
        ("{clocks: {resolutoin: null}}", "unknown clock 'resolutoin' (did you mean 'resolution'?)"),
        ("{segment: ukk}", "unknown segment 'ukk' (did you mean 'uk'?)"),
        (
            "{actions: [{path: network-tem}]}",
            "unknown path 'network-tem' (did you mean 'network-team'?)",
        ),
        (
            "{actions: [{path: service-desk, level: L22}]}",
            "unknown level 'L22' (did you mean 'L2'?)",
        ),
    ],
)
def test_ids_an_expectation_names_must_exist_in_the_policy(
    tmp_path: Path, expect: str, message: str
) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: p1
            ticket: {P1}
            expect: {expect}
        """,
    )
    text = str(error_of(path))
    assert (True, True) == (text.startswith(f"{path}:8:"), text.endswith(f"case 'p1': {message}"))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "{name: a, ticket: T, expect: {no_actions: true}, matrix: [{}],"
            " timeline: [{at: '2024-11-20T15:00:00Z', expect: {no_actions: true}}]}",
            "a case has a 'matrix' or a 'timeline', not both",
        ),
        ("{name: a, ticket: T}", "a case needs 'expect' or 'expect_not' (else it cannot fail)"),
        ("{name: a, ticket: T, expect: {}}", "an expectation needs at least one statement"),
        ("{name: a, ticket: T, expect: {no_actions: false}}", "no_actions takes only true; use"),
        ("{name: 'a b', ticket: T, expect: {no_actions: true}}", "expected a name of letters"),
        (
            "{name: a, ticket: T, timeline:"
            " [{after: 5m, at: '2024-11-20T15:00:00Z', expect: {no_actions: true}}]}",
            "a step needs exactly one of 'at' and 'after'",
        ),
        (
            "{name: a, ticket: T, expect: {clocks: {resolution: {percent: 91.67}}}}",
            "write a percentage as text, e.g. '91.67' (quoted)",
        ),
    ],
)
def test_shapes_that_cannot_be_meant_are_refused(tmp_path: Path, case: str, message: str) -> None:
    path = write_cases(tmp_path, f"cases:\n  - {case.replace('ticket: T', f'ticket: {P1}')}\n")
    assert message in str(error_of(path))


def test_timeline_steps_must_be_in_time_order(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: life
            ticket: {P1}
            timeline:
              - at: "2024-11-20T15:00:00Z"
                expect: {{no_actions: true}}
              - at: "2024-11-20T15:00:00Z"
                expect: {{no_actions: true}}
        """,
    )
    message = str(error_of(path))
    assert message.startswith(f"{path}:11:9: cases[0].timeline[1].at: case 'life': steps must")


def test_an_event_after_the_instant_evaluated_is_reported_at_the_instant(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: early
            now: "2024-11-20T12:00:00Z"
            ticket: {P1}
            expect: {{no_actions: true}}
        """,
    )
    message = str(error_of(path))
    assert message.startswith(f"{path}:7:5: cases[0].now: case 'early': an event of the ticket")


def test_the_policy_is_the_file_of_the_same_stem_by_default(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(PACK.read_text(encoding="utf-8"), encoding="utf-8")
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: p1
            now: "2024-11-20T15:00:00Z"
            ticket: {P1}
            expect: {{no_actions: true}}
        """,
        header="",
    )
    assert (str(tmp_path / "pack.yaml"), "itil-default") == (
        load_cases(path).policy_path,
        load_cases(path).policy.id,
    )


def test_a_case_file_without_a_policy_beside_it_says_how_to_name_one(tmp_path: Path) -> None:
    path = write_cases(tmp_path, "cases: [{name: a, expect: {no_actions: true}}]\n", header="")
    assert "name one with 'policy:'" in str(error_of(path))


def test_a_policy_that_does_not_load_raises_its_own_error(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("policy: x\nversion: 1\nrules: [{id: a}]\n")
    path = write_cases(tmp_path, "cases: [{name: a, expect: {no_actions: true}}]\n", header="")
    with pytest.raises(PolicyError) as info:
        load_cases(path)
    assert str(info.value).startswith(f"{tmp_path / 'pack.yaml'}:3:")


def test_yaml_syntax_errors_are_case_errors_with_a_position(tmp_path: Path) -> None:
    path = write_cases(tmp_path, "cases: [\n", header="")
    error = error_of(path)
    assert (str(path), True) == (
        error.source[0] if error.source else None,
        isinstance(error, EscalateError),
    )


def test_find_case_files_takes_a_case_file_a_policy_file_or_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "empty").mkdir()
    deep, shallow = tmp_path / "a" / "b" / "p.cases.yaml", tmp_path / "a" / "q.cases.yaml"
    for path in (deep, shallow, tmp_path / "a" / "q.yaml"):
        path.write_text("")
    assert ([str(deep), str(shallow)], [str(shallow)], [str(shallow)]) == (
        find_case_files(str(tmp_path / "a")),
        find_case_files(str(tmp_path / "a" / "q.yaml")),
        find_case_files(str(shallow)),
    )
    with pytest.raises(CaseError, match=r"no \*\.cases\.yaml files under"):
        find_case_files(str(tmp_path / "empty"))


# -- the JSON Schema ---------------------------------------------------------------------------


def schema_errors(document: object) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema("cases"))
    return [e.message for e in validator.iter_errors(document)]


def test_the_case_schema_validates_the_shipped_cases_and_the_example() -> None:
    shipped = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert ([], [[]]) == (
        schema_errors(shipped),
        [schema_errors(e) for e in json_schema("cases")["examples"]],
    )


def test_the_case_schema_refuses_what_the_reader_refuses() -> None:
    bad = {"cases": [{"name": "a b", "expet": {}}]}
    assert 2 <= len(schema_errors(bad))


def test_every_case_format_key_is_documented() -> None:
    from escalate.testing.case_format import (
        ActionPattern,
        CaseFileInput,
        CaseInput,
        ClockPattern,
        DefaultsInput,
        ExpectInput,
        RowInput,
        StepInput,
    )

    page = (ROOT / "docs" / "testing-policies.md").read_text(encoding="utf-8")
    models = (
        ActionPattern,
        CaseFileInput,
        CaseInput,
        ClockPattern,
        DefaultsInput,
        ExpectInput,
        RowInput,
        StepInput,
    )
    missing = [
        f"{m.__name__}.{name}" for m in models for name in m.model_fields if f"`{name}`" not in page
    ]
    assert [] == missing


def test_the_case_file_of_the_guide_loads_and_passes(tmp_path: Path) -> None:
    """docs/testing-policies.md's yaml example, placed where its first line says it lives."""
    from escalate.testing.runner import run_case

    page = (ROOT / "docs" / "testing-policies.md").read_text(encoding="utf-8")
    example = re.findall(r"^```yaml\n(.*?)^```\n", page, re.M | re.S)[0]  # the first
    (tmp_path / "rules").mkdir()
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "rules" / "itil-default.yaml").symlink_to(PACK)
    path = tmp_path / "rules" / "itil-default.cases.yaml"
    path.write_text(example, encoding="utf-8")
    case_file = load_cases(path)
    assert [
        ("p1-at-risk-pages-second-line", "pass"),
        ("priority-matrix[p1]", "pass"),
        ("priority-matrix[p2]", "pass"),
        ("p1-at-night[1]", "pass"),
        ("p1-at-night[2]", "pass"),
    ] == [(c.name, run_case(case_file.policy, c).status) for c in case_file.cases]
