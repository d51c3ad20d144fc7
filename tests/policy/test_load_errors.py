"""Every independent load error is reported, not only the first: a ``PolicyErrors`` (still a
``PolicyError``) carries each, with its own key path and position."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate import PolicyError, PolicyErrors, load, loads

HEADER = "policy: p\nversion: 1\n"


def problems(text: str) -> list[str]:
    """Each problem of a policy that does not load, as it prints."""
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="p.yaml")
    error = caught.value
    return [str(e) for e in error.errors] if isinstance(error, PolicyErrors) else [str(error)]


def test_every_schema_problem_is_reported_in_document_order() -> None:
    text = HEADER + (
        "clocks:\n"
        "  c:\n"
        "    typo: 1\n"
        "    stop: {event: acknowledged}\n"
        "paths:\n"
        "  x:\n"
        "    kind: vertical\n"
        "    levels: [{nme: L1, targets: ['team:a']}]\n"
        "rules:\n"
        "  - id: a\n"
        "    when: {priority: P1}\n"
        "    then: {notfy: {}}\n"
    )
    assert [
        "p.yaml:5:5: clocks.c.typo: unknown key 'typo' (did you mean 'type'?)",
        "p.yaml:10:15: paths.x.levels[0].nme: unknown key 'nme' (did you mean 'name'?)",
        "p.yaml:14:12: rules[0].then.notfy: unknown key 'notfy' (did you mean 'notify'?)",
    ] == problems(text)


def test_several_problems_are_one_policy_error_reading_as_the_first_and_a_count() -> None:
    text = HEADER + "clocks:\n  c: {typo: 1, stop: {event: acknowledged}}\nrulez: []\n"
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="p.yaml")
    error = caught.value
    assert (
        True,
        "p.yaml:4:7: clocks.c.typo: unknown key 'typo' (did you mean 'type'?) (and 1 more problem)",
        ("clocks", "c", "typo"),
        ("p.yaml", 4, 7),
    ) == (isinstance(error, PolicyErrors), str(error), error.path, error.source)


def test_a_single_problem_is_a_plain_policy_error() -> None:
    with pytest.raises(PolicyError) as caught:
        loads(HEADER + "rulez: []\n", filename="p.yaml")
    assert (False, "p.yaml:3:1: rulez: unknown key 'rulez' (did you mean 'rules'?)") == (
        isinstance(caught.value, PolicyErrors),
        str(caught.value),
    )


def test_a_misspelt_key_is_not_also_reported_as_the_missing_key_it_stands_for() -> None:
    text = (
        HEADER + "paths:\n  x:\n    kind: vertical\n    levels: [{nme: L1, targets: ['team:a']}]\n"
    )
    assert ["p.yaml:6:15: paths.x.levels[0].nme: unknown key 'nme' (did you mean 'name'?)"] == (
        problems(text)
    )


def test_every_bad_rule_is_reported() -> None:
    text = HEADER + (
        "rules:\n"
        "  - {id: a, when: {priorty: P1}, then: {notify: {to: [assignee]}}}\n"
        "  - {id: b, when: {priority: P1}, then: {escalate: {path: nowhere, to: L1}}}\n"
        "  - {id: a, when: {priority: P1}, then: {notify: {to: [assignee]}}}\n"
    )
    assert [
        "p.yaml:4:20: rules[0].when.priorty: unknown field 'priorty' in condition (did you "
        "mean 'priority'?)",
        "p.yaml:5:53: rules[1].then.escalate.path: unknown path 'nowhere'",
        "p.yaml:6:6: rules[2].id: rule id 'a' is also used by rules[0]",
    ] == problems(text)


def test_every_bad_calendar_is_reported() -> None:
    text = HEADER + (
        "calendars:\n"
        "  a: {timezone: Mars/Base, hours: 24x7}\n"
        "  b: {timezone: Venus/Base, hours: 24x7}\n"
    )
    assert [
        "p.yaml:4:7: calendars.a.timezone: unknown time zone 'Mars/Base' (expected an IANA name "
        "like 'Europe/Berlin')",
        "p.yaml:5:7: calendars.b.timezone: unknown time zone 'Venus/Base' (expected an IANA "
        "name like 'Europe/Berlin')",
    ] == problems(text)


def test_a_stage_that_depends_on_a_broken_one_is_not_compiled() -> None:
    # The clock names the broken calendar: only the calendar's problem is reported.
    text = HEADER + (
        "calendars:\n  office: {timezone: Mars/Base, hours: 24x7}\n"
        "clocks:\n  c: {stop: {event: acknowledged},"
        " targets: {P1: {within: 1h, calendar: office}}}\n"
    )
    (only,) = problems(text)
    assert only.startswith("p.yaml:4:")


def test_every_bad_clock_and_path_is_reported() -> None:
    text = HEADER + (
        "clocks:\n"
        "  a: {stop: {event: acknowledgd}, targets: {P1: {within: 1h}}}\n"
        "  b: {stop: {status: finished}, targets: {P1: {within: 1h}}}\n"
        "paths:\n"
        "  x: {kind: vertical, levels: [{name: L1, targets: ['team:a'], after: 1bd}]}\n"
    )
    assert 3 == len(problems(text))


def test_every_bad_segment_is_reported_in_its_own_terms() -> None:
    text = HEADER + (
        "clocks:\n  c: {stop: {event: acknowledged}, targets: {P1: {within: 1h}}}\n"
        "segments:\n"
        "  - {id: a, when: {region: a}, precedence: 1, remove: {clocks: [nope]}}\n"
        "  - {id: b, when: {region: b}, precedence: 1}\n"
    )
    found = problems(text)
    assert (2, True, True) == (
        len(found),
        any("segments[0]" in line for line in found),
        any("segments[1].precedence" in line for line in found),
    )


def test_problems_of_an_extended_policy_name_the_file_that_wrote_each_key(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        HEADER + "rules:\n  - {id: a, when: {priority: P1}, then: {notify: {to: [assignee]}}}\n"
    )
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\npolicy: c\nversion: 2\nadd:\n  rules:\n"
        "    - {id: b, when: {priorty: P1}, then: {notify: {to: [assignee]}}}\n"
        "    - {id: c, when: {categry: x}, then: {notify: {to: [assignee]}}}\n"
    )
    with pytest.raises(PolicyErrors) as caught:
        load(tmp_path / "child.yaml")
    assert [(str(tmp_path / "child.yaml"), 6), (str(tmp_path / "child.yaml"), 7)] == [
        (e.source[0], e.source[1]) for e in caught.value.errors if e.source
    ]


def test_policy_errors_is_a_policy_error_and_a_value_error() -> None:
    assert issubclass(PolicyErrors, PolicyError) and issubclass(PolicyErrors, ValueError)
