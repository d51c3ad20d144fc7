"""The ``when:`` language: every operator on every field type, combinators, and load-time errors."""

from __future__ import annotations

import pytest

from escalate.errors import PolicyError, TicketError
from escalate.policy.loader import loads
from tests.policy_helpers import event, policy, rule_status, ticket, utc, yaml_text

NOW = "2024-11-20T12:00:00+00:00"

# A 4 h wall-clock resolution clock and a three-level path: at NOW (2 h after opening) the clock
# stands at 50 % and the path at L2 (entered 11:00).
BODY = """
custom_fields: {u_score: integer, u_contact: string, u_flag: boolean}
clocks:
  res:
    stop: {status: [resolved]}
    targets: {default: {within: 4h}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:a"], after: 1h}
      - {name: L2, targets: ["team:b"], after: 2h}
      - {name: L3, targets: ["team:c"]}
rules:
  - id: r
    when: WHEN
    then: {notify: {to: [assignee]}}
"""

TICKET = ticket(
    "2024-11-20T10:00:00+00:00",
    event("2024-11-20T10:01:00+00:00", "assigned", group="service-desk"),
    event("2024-11-20T10:05:00+00:00", "status-changed", status="in-progress"),
    event("2024-11-20T10:10:00+00:00", "assigned", group="database"),
    category="network",
    customer={"id": "C-1", "tier": "gold", "vip": True},
    regulatory_flags=["gdpr", "nis2"],
    fields={"u_score": 7, "u_contact": "phone", "u_flag": True},
)


def holds(when: str, tkt: dict[str, object] = TICKET, now: str = NOW) -> bool:
    """Whether a rule with this ``when:`` (flow YAML) matches ``tkt`` at ``now``."""
    decision = policy(BODY.replace("WHEN", when)).evaluate(tkt, now=utc(now))
    return rule_status(decision, "r") == "matched"


def load_error(when: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        loads(yaml_text(BODY.replace("WHEN", when)), filename="p.yaml")
    return caught.value


# -- operators ---------------------------------------------------------------------------------

OPERATOR_CASES = [
    # strings
    ("{category: network}", True, "a bare value is equality"),
    ("{category: storage}", False, "a bare value that differs does not hold"),
    ("{category: [storage, network]}", True, "a list is membership"),
    ("{category: {eq: network}}", True, "eq holds on the same string"),
    ("{category: {ne: storage}}", True, "ne holds on a different string"),
    ("{category: {ne: network}}", False, "ne fails on the same string"),
    ("{category: {in: [storage]}}", False, "in fails when the value is not listed"),
    ("{category: {not_in: [storage]}}", True, "not_in holds when the value is not listed"),
    ("{category: {not_in: [network]}}", False, "not_in fails when the value is listed"),
    ("{category: {matches: '^net'}}", True, "matches anchors where the pattern says"),
    ("{category: {matches: 'work$'}}", True, "matches searches, it does not need a full match"),
    ("{category: {matches: '^work'}}", False, "matches fails when the pattern is not found"),
    ("{subcategory: {matches: '.*'}}", False, "matches never holds on an absent field"),
    ("{category: {exists: true}}", True, "exists true holds on a present field"),
    ("{subcategory: {exists: false}}", True, "exists false holds on an absent field"),
    ("{subcategory: {ne: wan}}", True, "ne holds on an absent field"),
    ("{status: in-progress}", True, "status is the status at now"),
    ("{assignment_group: database}", True, "assignment_group is the last assigned group"),
    ("{fields.u_contact: phone}", True, "a declared string custom field compares"),
    # integers
    ("{reassignment_count: 1}", True, "an integer equals"),
    ("{reassignment_count: {ne: 1}}", False, "ne fails on an equal integer"),
    ("{reassignment_count: {gt: 0}}", True, "gt holds above"),
    ("{reassignment_count: {gt: 1}}", False, "gt is strict"),
    ("{reassignment_count: {gte: 1}}", True, "gte is inclusive"),
    ("{reassignment_count: {lt: 1}}", False, "lt is strict"),
    ("{reassignment_count: {lte: 1}}", True, "lte is inclusive"),
    ("{reassignment_count: {in: [1, 2]}}", True, "in on integers"),
    ("{reassignment_count: {not_in: [1]}}", False, "not_in on integers"),
    ("{reassignment_count: {gte: 1, lt: 2}}", True, "several operators are ANDed"),
    ("{reassignment_count: {gte: 1, lt: 1}}", False, "several operators all have to hold"),
    ("{reopen_count: 0}", True, "reopen_count counts reopen events"),
    ("{fields.u_score: {gte: 7}}", True, "a declared integer custom field compares"),
    ("{fields.u_score: {exists: true}}", True, "exists on a custom field that is present"),
    # booleans
    ("{customer.vip: true}", True, "a boolean equals"),
    ("{customer.vip: false}", False, "a boolean that differs does not hold"),
    ("{acknowledged: false}", True, "acknowledged is false without an acknowledgement"),
    ("{fields.u_flag: {eq: true}}", True, "a declared boolean custom field compares"),
    # sets
    ("{regulatory_flags: {contains: gdpr}}", True, "contains holds on a member"),
    ("{regulatory_flags: {contains: hipaa}}", False, "contains fails on a non-member"),
    ("{regulatory_flags: {any_of: [hipaa, nis2]}}", True, "any_of holds on one shared member"),
    ("{regulatory_flags: {any_of: [hipaa]}}", False, "any_of fails without a shared member"),
    ("{regulatory_flags: {none_of: [hipaa]}}", True, "none_of holds without a shared member"),
    ("{regulatory_flags: {none_of: [hipaa, nis2]}}", False, "none_of fails on a shared member"),
    # clock percent (2 h of 4 h = 50 %)
    ("{clock.res.percent: {gte: 50}}", True, "percent gte is inclusive"),
    ("{clock.res.percent: {gt: 50}}", False, "percent gt is strict"),
    ("{clock.res.percent: {lte: 50}}", True, "percent lte is inclusive"),
    ("{clock.res.percent: {lt: 50}}", False, "percent lt is strict"),
    ("{clock.res.percent: {exists: true}}", True, "a running clock's percent exists"),
    # clock durations
    ("{clock.res.elapsed: {gte: 2h}}", True, "elapsed gte is inclusive"),
    ("{clock.res.elapsed: {gt: 2h}}", False, "elapsed gt is strict"),
    ("{clock.res.remaining: {lte: 2h}}", True, "remaining lte is inclusive"),
    ("{clock.res.remaining: {lt: 2h}}", False, "remaining lt is strict"),
    ("{clock.res.elapsed: {lt: 1h30m}}", False, "elapsed lt fails above the threshold"),
    # clock state
    ("{clock.res.state: running}", True, "a clock state compares as a string"),
    ("{clock.res.breached: false}", True, "breached is false before the breach"),
    # path levels (at L2)
    ("{path.desk.level: L2}", True, "a level equals by name"),
    ("{path.desk.level: {ne: L2}}", False, "ne fails on the current level"),
    ("{path.desk.level: {gte: L2}}", True, "gte compares levels in path order, inclusively"),
    ("{path.desk.level: {gt: L2}}", False, "gt on levels is strict"),
    ("{path.desk.level: {lt: L3}}", True, "lt holds below a later level"),
    ("{path.desk.level: {lte: L1}}", False, "lte fails above an earlier level"),
    ("{path.desk.level: {in: [L1, L3]}}", False, "in on levels fails when not listed"),
    ("{path.desk.level: {not_in: [L1]}}", True, "not_in on levels holds when not listed"),
    ("{path.desk.active: true}", True, "an on-open path is active"),
    # combinators
    ("{all: [{category: network}, {customer.vip: true}]}", True, "all holds when every part holds"),
    ("{all: [{category: network}, {customer.vip: false}]}", False, "all fails on one failing part"),
    ("{any: [{category: storage}, {customer.vip: true}]}", True, "any holds on one holding part"),
    ("{any: [{category: storage}, {customer.vip: false}]}", False, "any fails when none holds"),
    ("{not: {category: storage}}", True, "not negates"),
    ("{category: network, customer.vip: false}", False, "several keys are ANDed"),
    ("{any: [{not: {category: network}}, {all: [{reopen_count: 0}]}]}", True, "combinators nest"),
]


@pytest.mark.parametrize(
    ("when", "expected"),
    [pytest.param(w, e, id=name) for w, e, name in OPERATOR_CASES],
)
def test_an_operator_compares_the_field_as_documented(when: str, expected: bool) -> None:
    assert expected == holds(when)


def test_a_comparison_on_an_absent_integer_custom_field_does_not_hold() -> None:
    tkt = {**TICKET, "fields": {"u_contact": "phone"}}
    assert holds("{fields.u_score: {lt: 100}}", tkt) is False


def test_a_comparison_on_a_clock_without_a_target_does_not_hold() -> None:
    body = """
    clocks:
      res:
        stop: {status: [resolved]}
        targets: {P1: {within: 4h}}
    rules:
      - id: r
        when: {clock.res.percent: {lt: 100}}
        then: {notify: {to: [assignee]}}
    """
    decision = policy(body).evaluate(ticket(priority="P4"), now=utc(NOW))
    assert "not-matched" == rule_status(decision, "r")


def test_exists_false_on_a_clock_without_a_target_holds() -> None:
    body = """
    clocks:
      res:
        stop: {status: [resolved]}
        targets: {P1: {within: 4h}}
    rules:
      - id: r
        when: {clock.res.elapsed: {exists: false}}
        then: {notify: {to: [assignee]}}
    """
    decision = policy(body).evaluate(ticket(priority="P4"), now=utc(NOW))
    assert "matched" == rule_status(decision, "r")


def test_percent_gte_75_holds_exactly_at_three_quarters_of_the_target() -> None:
    assert holds("{clock.res.percent: {gte: 75}}", now="2024-11-20T13:00:00+00:00") is True


def test_percent_gte_75_does_not_hold_one_microsecond_before_three_quarters() -> None:
    before = "2024-11-20T12:59:59.999999+00:00"
    assert holds("{clock.res.percent: {gte: 75}}", now=before) is False


def test_a_fractional_percent_is_compared_exactly_as_written() -> None:
    # 33.3 % of 4 h is exactly 4795.2 s: 11:19:55.2 holds, one microsecond earlier does not.
    when = "{clock.res.percent: {gte: 33.3}}"
    assert (True, False) == (
        holds(when, now="2024-11-20T11:19:55.200000+00:00"),
        holds(when, now="2024-11-20T11:19:55.199999+00:00"),
    )


def test_a_condition_on_a_canonical_priority_matches_an_alias_on_the_ticket() -> None:
    body = """
    terminology:
      priority: {P1: [Sev1, "1 - Critical"], P2: [Sev2]}
    rules:
      - id: r
        when: {priority: P1}
        then: {notify: {to: [assignee]}}
    """
    decision = policy(body).evaluate(ticket(priority="1 - critical"), now=utc(NOW))
    assert "matched" == rule_status(decision, "r")


# -- errors at load time -------------------------------------------------------------------------


def test_comparing_a_string_field_with_a_number_is_a_load_error() -> None:
    error = load_error("{priority: 3}")
    assert (
        "p.yaml:18:12: rules[0].when.priority: priority is a string; eq 3 compares it with int"
        == str(error)
    )


def test_comparing_an_integer_field_with_a_string_is_a_load_error() -> None:
    error = load_error("{reassignment_count: {gte: '3'}}")
    assert (("rules", 0, "when", "reassignment_count", "gte"), ("p.yaml", 18, 33)) == (
        error.path,
        error.source,
    )


def test_comparing_an_integer_field_with_a_boolean_is_a_load_error() -> None:
    error = load_error("{reassignment_count: true}")
    assert "compares it with bool" in error.message


def test_comparing_a_boolean_field_with_a_string_is_a_load_error() -> None:
    error = load_error("{customer.vip: 'yes'}")
    assert "customer.vip is a boolean; eq 'yes' compares it with str" == error.message


def test_comparing_a_percent_with_a_string_is_a_load_error() -> None:
    error = load_error("{clock.res.percent: {gte: '75'}}")
    assert "clock.res.percent is a percent; gte '75' compares it with str" == error.message


def test_an_elapsed_threshold_in_business_days_is_a_load_error() -> None:
    error = load_error("{clock.res.elapsed: {gte: 3bd}}")
    assert "business days ('bd') are not allowed here, got '3bd'" == error.message


def test_an_elapsed_threshold_without_a_unit_is_a_load_error() -> None:
    error = load_error("{clock.res.elapsed: {gte: 30}}")
    assert error.message.startswith("expected a duration like '30m'")


def test_an_unknown_field_is_a_load_error_with_a_suggestion() -> None:
    error = load_error("{priorty: P1}")
    assert (
        "p.yaml:18:12: rules[0].when.priorty: unknown field 'priorty' in condition "
        "(did you mean 'priority'?)"
    ) == str(error)


def test_an_unknown_clock_in_a_field_name_is_a_load_error_with_a_suggestion() -> None:
    error = load_error("{clock.rez.percent: {gte: 50}}")
    assert "clock.res.percent" == error.suggestion


def test_an_undeclared_custom_field_is_a_load_error() -> None:
    error = load_error("{fields.u_other: 1}")
    assert "unknown field 'fields.u_other' in condition" == error.message


def test_an_unknown_status_value_is_a_load_error_with_a_suggestion() -> None:
    error = load_error("{status: resolvd}")
    assert ("resolved", ("rules", 0, "when", "status")) == (error.suggestion, error.path)


def test_an_unknown_kind_value_is_a_load_error_with_a_suggestion() -> None:
    error = load_error("{kind: incidnt}")
    assert "incident" == error.suggestion


def test_a_priority_outside_the_terminology_is_a_load_error() -> None:
    body = """
    terminology:
      priority: {P1: [Sev1], P2: [Sev2]}
    rules:
      - id: r
        when: {priority: P3}
        then: {notify: {to: [assignee]}}
    """
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert "'P3' is not a known value of priority (known: P1, P2)" == caught.value.message


def test_an_unknown_level_name_is_a_load_error_with_a_suggestion() -> None:
    error = load_error("{path.desk.level: {gte: L22}}")
    assert ("'L22' is not a known value of path.desk.level (known: L1, L2, L3)", "L2") == (
        error.message,
        error.suggestion,
    )


def test_an_operator_the_type_does_not_take_is_a_load_error() -> None:
    error = load_error("{clock.res.percent: {eq: 50}}")
    assert (
        "operator 'eq' does not apply to clock.res.percent (percent); "
        "use one of gt, gte, lt, lte, exists"
    ) == error.message


def test_an_ordering_operator_on_a_string_is_a_load_error() -> None:
    error = load_error("{category: {gte: m}}")
    assert error.message.startswith("operator 'gte' does not apply to category (string)")


def test_an_invalid_regular_expression_is_a_load_error() -> None:
    error = load_error("{category: {matches: '('}}")
    assert (
        "p.yaml:18:23: rules[0].when.category.matches: invalid regular expression '(': "
        "missing ): ( (patterns use RE2 syntax: no backreferences, no lookaround; "
        "see https://github.com/google/re2/wiki/Syntax)"
    ) == str(error)


def test_in_with_an_empty_list_is_a_load_error() -> None:
    error = load_error("{category: {in: []}}")
    assert "in takes a non-empty list, got []" == error.message


def test_exists_with_a_non_boolean_is_a_load_error() -> None:
    error = load_error("{category: {exists: 1}}")
    assert "category is a string; exists 1 compares it with int" == error.message


def test_any_of_with_a_bare_string_is_a_load_error() -> None:
    error = load_error("{regulatory_flags: {any_of: gdpr}}")
    assert "any_of takes a non-empty list of non-empty strings, got 'gdpr'" == error.message


def test_contains_with_a_list_is_a_load_error() -> None:
    error = load_error("{regulatory_flags: {contains: [gdpr]}}")
    assert "regulatory_flags is a set; contains ['gdpr'] compares it with list" == error.message


def test_an_empty_condition_is_a_load_error() -> None:
    error = load_error("{}")
    assert ("a condition is a non-empty mapping, got {}", ("p.yaml", 18, 5)) == (
        error.message,
        error.source,
    )


def test_an_empty_operator_mapping_is_a_load_error() -> None:
    error = load_error("{category: {}}")
    assert "an operator mapping needs at least one operator" == error.message


def test_all_with_a_mapping_instead_of_a_list_is_a_load_error() -> None:
    error = load_error("{all: {category: network}}")
    assert "'all' takes a non-empty list of conditions" == error.message


def test_an_error_inside_a_combinator_names_its_list_position() -> None:
    error = load_error("{any: [{category: network}, {priority: 1}]}")
    assert ("rules", 0, "when", "any", 1, "priority") == error.path


def test_a_path_criterion_is_type_checked_at_load() -> None:
    body = """
    paths:
      desk:
        kind: vertical
        when: {reassignment_count: high}
        levels: [{name: L1, targets: ["team:a"]}]
    """
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert ("paths", "desk", "when", "reassignment_count") == caught.value.path


# -- ticket values against declared custom field types -------------------------------------------


def test_a_string_in_an_integer_custom_field_is_a_ticket_error() -> None:
    tkt = {**TICKET, "fields": {"u_score": "7"}}
    with pytest.raises(TicketError):
        holds("{fields.u_score: {gte: 5}}", tkt)


def test_a_boolean_in_an_integer_custom_field_is_a_ticket_error() -> None:
    tkt = {**TICKET, "fields": {"u_score": True}}
    with pytest.raises(TicketError):
        holds("{fields.u_score: 1}", tkt)
