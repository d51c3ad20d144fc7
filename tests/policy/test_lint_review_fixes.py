"""Lint review fixes: ``where`` names whole keys (ids may contain dots), ``unused-ignore``
cannot be ignored, calendars are used wherever a policy can name one, and "used" or
"reachable" on the base counts what its segments use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate import PolicyError, lint, loads
from escalate.policy.lint import parse_where, render_where

AS_OF = datetime(2024, 11, 20, tzinfo=UTC)

PEOPLE = """policy: sup
version: 1
directory:
  contact_max_age: 30d
  people:
    anna: {channels: {sms: "+49 30 1"}, validated_at: 2024-01-01}
    anna.schmidt: {channels: {sms: "+49 30 2"}, validated_at: 2024-01-01}
rules:
  - id: r
    when: {priority: P1}
    then: {notify: {to: ["person:anna", "person:anna.schmidt"]}}
    rationale: x
"""


def stale(where: str) -> list[str]:
    text = PEOPLE + f"lint:\n  ignore:\n    - {{code: stale-contact, where: {where}, reason: x}}\n"
    return [f.path for f in lint(loads(text, filename="p.yaml"), as_of=AS_OF)]


def test_an_ignore_covers_its_own_id_not_another_id_it_is_a_dotted_prefix_of() -> None:
    assert ["directory.people.'anna.schmidt'.validated_at"] == stale("directory.people.anna")


def test_an_id_with_a_dot_is_named_quoted_as_its_finding_prints_it() -> None:
    assert ["directory.people.anna.validated_at"] == stale("\"directory.people.'anna.schmidt'\"")


def test_an_unquoted_dotted_id_is_a_load_error_suggesting_the_quoted_form() -> None:
    with pytest.raises(PolicyError) as caught:
        stale("directory.people.anna.schmidt")
    assert ("p.yaml", 15, 29) == caught.value.source
    assert "directory.people.'anna.schmidt'" == caught.value.suggestion


def test_a_where_that_is_no_key_path_is_a_load_error_at_its_position() -> None:
    with pytest.raises(PolicyError, match=r"cannot read 'directory\.\.anna' as a key path"):
        stale("directory..anna")


def test_a_where_may_name_a_key_only_a_segment_has() -> None:
    text = PEOPLE + (
        "segments:\n"
        "  - id: uk\n"
        "    when: {region: uk}\n"
        "    precedence: 10\n"
        "    add:\n"
        "      rules:\n"
        "        - {id: uk-only, when: {priority: P2}, then: {notify: {to: [assignee]}}}\n"
        "lint:\n  ignore:\n"
        "    - {code: no-rationale, where: segments.uk.rules.uk-only, reason: obvious}\n"
    )
    assert [] == [f for f in lint(loads(text)) if f.code in ("no-rationale", "unused-ignore")]


def test_unused_ignore_cannot_be_ignored() -> None:
    text = PEOPLE + "lint:\n  ignore:\n    - {code: unused-ignore, reason: quiet}\n"
    with pytest.raises(PolicyError, match="'unused-ignore' cannot be ignored") as caught:
        loads(text, filename="p.yaml")
    assert (("lint", "ignore", 0, "code"), ("p.yaml", 15, 8)) == (
        caught.value.path,
        caught.value.source,
    )


KEYS = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.text(min_size=1, max_size=30),
)


@given(st.lists(KEYS, min_size=1, max_size=6).filter(lambda p: isinstance(p[0], str)))
def test_parse_where_reads_back_every_rendered_key_path(path: list[str | int]) -> None:
    assert tuple(path) == parse_where(render_where(tuple(path)))


def codes(text: str) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in lint(loads(text))]


OFFICE = """policy: cal
version: 1
calendars:
  office: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2025]}
"""


@pytest.mark.parametrize("test", ["within", "not_within"])
def test_a_calendar_a_rule_condition_tests_is_used(test: str) -> None:
    text = OFFICE + (
        "rules:\n"
        "  - id: after-hours\n"
        f"    when: {{priority: P1, {test}: office}}\n"
        "    then: {notify: {to: [assignee]}}\n"
        "    rationale: x\n"
    )
    assert [] == codes(text)


def test_a_calendar_tested_deep_inside_a_condition_is_used() -> None:
    text = OFFICE + (
        "rules:\n"
        "  - id: r\n"
        "    when: {any: [{priority: P1}, {not: {within: office}}]}\n"
        "    then: {notify: {to: [assignee]}}\n"
        "    rationale: x\n"
    )
    assert [] == codes(text)


DESK = """policy: ul
version: 1
paths:
  desk:
    kind: vertical
    levels: [{name: L1, targets: ["team:a"]}, {name: L2, targets: ["team:b"]}]
"""

UK_ESCALATES = """segments:
  - id: uk
    when: {region: uk}
    precedence: 10
    add:
      rules:
        - id: up
          when: {priority: P1}
          then: {escalate: {path: desk, to: L2}}
          rationale: uk escalates P1 at once
"""


def test_a_level_only_a_segment_escalates_to_is_reachable() -> None:
    assert [] == codes(DESK + UK_ESCALATES)


def test_a_level_no_variant_escalates_to_is_reported_once_on_the_base() -> None:
    nothing = UK_ESCALATES.replace("escalate: {path: desk, to: L2}", "notify: {to: [assignee]}")
    assert [("paths.desk.levels[1]", "unreachable-level")] == codes(DESK + nothing)


VENDOR = """policy: up
version: 1
calendars:
  london: {timezone: Europe/London, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2030]}
clocks:
  c:
    start: {event: created}
    stop: {category: resolved}
    new_cycle_on: [reopened]
    targets: {default: {within: 4h}}
paths:
  vendor:
    kind: horizontal
    levels: [{name: v1, targets: ["team:v"]}]
segments:
  - id: uk
    when: {region: uk}
    precedence: 10
    clocks:
      c:
        start: {event: created}
        stop: {category: resolved}
        new_cycle_on: [reopened]
        targets: {default: {within: 4h, calendar: london}}
    add:
      rules:
        - id: to-vendor
          when: {priority: P1}
          then: {transfer: {path: vendor}}
          rationale: uk sends P1 to the vendor
  - id: de
    when: {region: de}
    precedence: 20
    add:
      rules:
        - {id: de-notes, when: {priority: P2}, then: {notify: {to: [assignee]}}, rationale: x}
"""


def test_a_calendar_and_a_path_only_a_segment_uses_are_used_in_every_variant() -> None:
    # neither the base nor segment de (which uses neither) reports them
    assert [] == codes(VENDOR)


def test_a_calendar_a_segment_declares_and_nothing_uses_is_reported_in_that_segment() -> None:
    text = VENDOR + (
        "      calendars:\n"
        '        spare: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2025]}\n'
    )
    assert [("segments.de.calendars.spare", "unused-calendar")] == codes(text)


def test_a_where_may_name_a_clocks_start_that_defaults() -> None:
    # start defaults to {event: created}, which this stop also fires on: start-within-stop
    text = (
        "policy: p\nversion: 1\nclocks:\n  c:\n    stop: {event: created}\n"
        "    targets: {default: {within: 4h}}\n"
        "lint:\n  ignore:\n    - {code: start-within-stop, where: clocks.c.start, reason: demo}\n"
    )
    assert [] == [f for f in lint(loads(text)) if f.code in ("start-within-stop", "unused-ignore")]
