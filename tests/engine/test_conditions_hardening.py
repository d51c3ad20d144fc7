"""Hostile operands in ``when:``: regular expressions, numbers, empty strings and odd keys.

Each test pins one defect found by attacking the condition language: a pattern that backtracked
for seconds, NaN or 5,000-digit numbers that escaped as ``ValueError``/``OverflowError``, and
values (non-ASCII digits, empty strings) that were silently accepted.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.engine import conditions
from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError, PolicyError, TicketError
from escalate.policy.loader import loads
from tests.engine.test_conditions import BODY, NOW, TICKET, holds, load_error
from tests.policy_helpers import rule_status, utc, yaml_text

RE2_HINT = "patterns use RE2 syntax: no backreferences, no lookaround"


def holds_for(when: str, **fields: object) -> bool:
    """Whether ``when`` holds for the standard ticket with ``fields`` replaced."""
    return holds(when, {**TICKET, **fields})


# -- regular expressions ---------------------------------------------------------------------


def test_a_nested_quantifier_pattern_matches_a_long_value_without_backtracking() -> None:
    # Python's re took 23 s on the 29-character non-match; RE2 is linear in the value.
    assert (True, False) == (
        holds_for("{category: {matches: '^(a+)+$'}}", category="a" * 29),
        holds_for("{category: {matches: '^(a+)+$'}}", category="a" * 29 + "!"),
    )


def test_a_backreference_is_a_load_error_naming_the_path_the_pattern_and_re2() -> None:
    error = load_error(r"{category: {matches: '(net)\1'}}")
    assert (
        "p.yaml:18:23: rules[0].when.category.matches: invalid regular expression '(net)\\\\1': "
        "invalid escape sequence: \\1 (patterns use RE2 syntax: no backreferences, no "
        "lookaround; see https://github.com/google/re2/wiki/Syntax)"
    ) == str(error)


@pytest.mark.parametrize("pattern", ["(?=net)", "(?!net)", "(?<=x)net", "(?<!x)net"])
def test_a_lookaround_is_a_load_error(pattern: str) -> None:
    assert RE2_HINT in load_error(f"{{category: {{matches: '{pattern}'}}}}").message


def test_python_s_end_of_text_anchor_is_a_load_error_suggesting_re2_s() -> None:
    error = load_error(r"{category: {matches: 'work\Z'}}")
    assert "work\\z" == error.suggestion


def test_python_s_up_to_n_repeat_is_a_load_error_because_re2_reads_it_as_text() -> None:
    error = load_error("{category: {matches: 'x{,3}'}}")
    assert (
        "pattern 'x{,3}': {,3} is literal text in RE2 syntax, not a repeat; write {0,3} for "
        "up to 3, or \\{,3} for the text"
    ) == error.message


def test_an_escaped_brace_that_looks_like_python_s_repeat_is_literal_text() -> None:
    assert holds_for(r"{category: {matches: 'x\{,3}'}}", category="x{,3}")


def test_a_repeat_count_too_large_for_re2_is_a_load_error_not_literal_text() -> None:
    error = load_error("{category: {matches: 'a{99999999999}'}}")
    assert "pattern 'a{99999999999}': a counted repeat goes up to 1000, got '{99999999999}'" == (
        error.message
    )


def test_a_pattern_longer_than_the_limit_is_a_load_error() -> None:
    error = load_error(f"{{category: {{matches: '{'a' * (conditions.MAX_PATTERN_CHARS + 1)}'}}}}")
    assert error.message.endswith(f"has 1001 characters; the limit is {1000}")


def test_a_pattern_at_the_length_limit_loads() -> None:
    assert holds_for(
        f"{{category: {{matches: '{'a' * conditions.MAX_PATTERN_CHARS}'}}}}", category="a" * 1000
    )


def test_a_pattern_that_compiles_beyond_the_memory_limit_is_a_load_error() -> None:
    error = load_error(r"{category: {matches: '\pL{1000}'}}")
    assert "compiles to more than 1048576 bytes" in error.message


def test_an_empty_pattern_is_a_load_error_pointing_at_exists() -> None:
    error = load_error("{category: {matches: ''}}")
    assert "an empty pattern matches every value; write 'exists: true' for that" == error.message


def test_the_single_byte_escape_is_a_load_error() -> None:
    error = load_error(r"{category: {matches: 'a\Cb'}}")
    assert "patterns match whole characters" in error.message


def test_an_invalid_pattern_prints_nothing_to_the_host_s_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    load_error("{category: {matches: '(a'}}")
    assert "" == capfd.readouterr().err


def test_a_pattern_counts_characters_not_utf8_bytes() -> None:
    assert holds_for(r"{category: {matches: '^\pL{3}$'}}", category="été")


def test_a_case_insensitive_pattern_folds_non_ascii_letters() -> None:
    assert holds_for("{category: {matches: '(?i)^ÉTÉ$'}}", category="été")


def test_the_digit_class_matches_only_ascii_digits() -> None:
    assert (True, False) == (
        holds_for(r"{category: {matches: '^\d$'}}", category="4"),
        holds_for(r"{category: {matches: '^\d$'}}", category="٤"),
    )


def test_the_end_anchor_does_not_match_before_a_final_newline() -> None:
    # Names are single lines now; a custom field's string value may still end in a newline.
    body = BODY.replace("WHEN", "{fields.u_contact: {matches: 'work$'}}")
    policy = loads(yaml_text(body), filename="p.yaml")
    for note, status in (("network\n", "not-matched"), ("network", "matched")):
        decision = policy.evaluate({**TICKET, "fields": {"u_contact": note}}, now=utc(NOW))
        assert (note, status) == (note, rule_status(decision, "r"))


def test_evaluation_compiles_no_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = loads(
        yaml_text(BODY.replace("WHEN", "{category: {matches: '^net'}}")), filename="p.yaml"
    )

    def refuse(*args: object) -> None:
        raise AssertionError("a pattern was compiled during evaluation")

    monkeypatch.setattr(conditions.re2, "compile", refuse)
    assert "matched" == rule_status(policy.evaluate(TICKET, now=utc(NOW)), "r")


def test_a_lone_surrogate_in_a_ticket_built_in_python_is_a_ticket_error() -> None:
    with pytest.raises(TicketError) as caught:
        Ticket("T1", datetime(2024, 11, 20, 10, tzinfo=UTC), category="\ud800")
    assert ("category",) == caught.value.path


# -- numbers ---------------------------------------------------------------------------------
# The loader already refuses NaN, infinities and integers beyond 64 bits anywhere in a policy;
# compile_condition checks its operands itself, so these tests call it directly.

FIELDS = {
    "reassignment_count": conditions.FieldSpec(conditions.INT),
    "category": conditions.FieldSpec(conditions.STR),
    "clock.res.percent": conditions.FieldSpec(conditions.PERCENT),
    "clock.res.elapsed": conditions.FieldSpec(conditions.DURATION),
}


def compile_error(when: dict[str, object]) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        conditions.compile_condition(when, FIELDS, ("when",))
    return caught.value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_percent_is_a_policy_error_naming_the_path_and_value(value: float) -> None:
    error = compile_error({"clock.res.percent": {"gte": value}})
    assert (("when", "clock.res.percent", "gte"), f"got {value!r}") == (
        error.path,
        error.message[-len(f"got {value!r}") :],
    )


def test_a_huge_percent_is_refused_at_load_instead_of_overflowing_at_evaluation() -> None:
    error = compile_error({"clock.res.percent": {"gte": 10**5000}})
    assert error.message.endswith("got <an integer of 5001 digits>")


@pytest.mark.parametrize("value", ["1001", "-1", "-0.5", "1000.000001"])
def test_a_percent_outside_0_to_1000_is_a_load_error(value: str) -> None:
    error = load_error(f"{{clock.res.percent: {{gte: {value}}}}}")
    assert error.message.startswith("clock.res.percent takes a number of percent from 0 to 1000")


@pytest.mark.parametrize("value", ["1.0e-300", "0.0000001", "87.1234567"])
def test_a_percent_with_more_than_six_decimal_places_is_a_load_error(value: str) -> None:
    error = load_error(f"{{clock.res.percent: {{gte: {value}}}}}")
    assert "with at most 6 decimal places" in error.message


@pytest.mark.parametrize(("value", "expected"), [("0", True), ("49.999999", True), ("1000", False)])
def test_a_percent_at_the_bounds_loads_and_compares_exactly(value: str, expected: bool) -> None:
    assert expected == holds(f"{{clock.res.percent: {{gte: {value}}}}}")


def test_an_integer_beyond_64_bits_is_a_policy_error_naming_the_range() -> None:
    error = compile_error({"reassignment_count": {"gte": 2**63}})
    assert (
        "9223372036854775808 is out of range: conditions compare integers from "
        "-9223372036854775808 to 9223372036854775807 (signed 64-bit)"
    ) == error.message


def test_an_integer_at_the_64_bit_bounds_loads() -> None:
    assert holds(f"{{fields.u_score: {{gt: {-(2**63)}, lt: {2**63 - 1}}}}}")


def test_a_huge_integer_in_a_list_operand_is_a_policy_error_at_its_position() -> None:
    error = compile_error({"reassignment_count": [1, -(10**5000)]})
    assert (("when", "reassignment_count", 1), True) == (
        error.path,
        error.message.startswith("<an integer of 5001 digits> is out of range"),
    )


def test_an_integer_too_long_to_print_in_a_type_error_is_shown_by_its_size() -> None:
    error = compile_error({"category": 16**4290})
    assert "category is a string; eq <an integer of 5166 digits> compares it with int" == (
        error.message
    )


@pytest.mark.parametrize("text", ["'٤h'", "'１h'", "'4h٣0m'"])
def test_a_duration_operand_with_non_ascii_digits_is_a_load_error(text: str) -> None:
    with pytest.raises(PolicyError):
        loads(
            yaml_text(BODY.replace("WHEN", f"{{clock.res.elapsed: {{gte: {text}}}}}")),
            filename="p.yaml",
        )


def test_a_duration_operand_that_is_a_huge_integer_is_a_policy_error() -> None:
    error = compile_error({"clock.res.elapsed": {"lt": 10**5000}})
    assert error.message.startswith("expected a duration like '30m'")


# -- empty strings and keys ------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    ["{category: ''}", "{category: {ne: ''}}", "{assignee: [alice, '']}", "{customer.tier: ''}"],
)
def test_an_empty_string_for_a_ticket_field_is_a_load_error(when: str) -> None:
    assert "is never an empty string" in load_error(when).message


def test_an_empty_string_for_a_custom_field_compares_as_a_value() -> None:
    tkt = {**TICKET, "fields": {"u_contact": ""}}
    assert holds("{fields.u_contact: ''}", tkt)


@pytest.mark.parametrize(
    "when",
    [
        "{regulatory_flags: {contains: ''}}",
        "{regulatory_flags: {any_of: []}}",
        "{regulatory_flags: {none_of: []}}",
        "{regulatory_flags: {any_of: [gdpr, '']}}",
    ],
)
def test_an_empty_flag_or_flag_list_is_a_load_error(when: str) -> None:
    assert "empty" in load_error(when).message


def test_a_date_as_a_field_name_inside_a_combinator_is_a_load_error() -> None:
    error = load_error("{all: [{2024-01-01: x}]}")
    assert (
        ("rules", 0, "when", "all", 0),
        "a condition key is a field name or all, any, not, got datetime.date(2024, 1, 1)",
    ) == (error.path, error.message)


def test_a_number_as_an_operator_is_a_load_error() -> None:
    error = load_error("{category: {1: x}}")
    assert "an operator of category is a name like eq or gte, got 1" == error.message


# -- the class: any operand, only PolicyError --------------------------------------------------

OPERATOR_FIELDS = [
    "category",
    "status",
    "reassignment_count",
    "fields.u_score",
    "fields.u_contact",
    "customer.vip",
    "regulatory_flags",
    "clock.res.percent",
    "clock.res.elapsed",
    "path.desk.level",
]
OPERATOR_NAMES = [
    "eq",
    "ne",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "matches",
    "contains",
    "any_of",
    "none_of",
    "exists",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**4000), 10**4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["٤h", "１h", "4h", "75%", "", "L2", "(a)\\1", "a{,3}", "^(a+)+$", "P1"]),
    st.dates(),
)
OPERANDS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def flow(value: Any) -> str:
    """A value as one line of flow YAML (NaN as ``.nan``, dates as dates)."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**9).strip().removesuffix("...")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(OPERATOR_FIELDS),
    op=st.sampled_from(OPERATOR_NAMES),
    operand=OPERANDS,
)
def test_any_operand_loads_or_is_a_policy_error_and_evaluation_raises_only_escalate_errors(
    field: str, op: str, operand: Any
) -> None:
    when = flow({field: {op: operand}})
    try:
        policy = loads(yaml_text(BODY.replace("WHEN", when)), filename="p.yaml")
    except PolicyError:
        return
    with contextlib.suppress(EscalateError):
        policy.evaluate(TICKET, now=utc(NOW))


@pytest.mark.parametrize(
    "when",
    [
        "{category: '  '}",
        '{category: {not_in: ["a\\u200bb"]}}',
        '{regulatory_flags: {any_of: ["x\\u200b"]}}',
        "{regulatory_flags: {contains: ' '}}",
    ],
)
def test_an_operand_no_ticket_name_can_hold_is_a_load_error(when: str) -> None:
    assert "never holds this value" in load_error(when).message


def test_a_pattern_answers_each_value_anew_when_values_alternate() -> None:
    # matches remembers its last value: alternating values must not get a stale answer.
    policy = loads(yaml_text(BODY.replace("WHEN", "{category: {matches: '^net'}}")))
    answers = [
        rule_status(policy.evaluate({**TICKET, "category": c}, now=utc(NOW)), "r")
        for c in ("network", "storage", "network", "network", "netflix")
    ]
    assert ["matched", "not-matched", "matched", "matched", "matched"] == answers
