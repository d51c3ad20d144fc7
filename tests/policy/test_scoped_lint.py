"""Lint of scoped clocks: definitions that tie in precedence and may both apply
(``definition-overlap``), and clocks without an unconditional definition
(``uncovered-tickets``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.policy.lint import Finding, lint
from escalate.policy.models import policy_json_schema
from tests.policy_helpers import policy


def scope_findings(definitions: str, *, targets: str = "") -> list[Finding]:
    body = (
        "clocks:\n  res:\n    stop: {status: resolved}\n"
        + (f"    targets: {targets}\n" if targets else "")
        + "    definitions:\n"
        + definitions
    )
    return [f for f in lint(policy(body)) if f.code in ("definition-overlap", "uncovered-tickets")]


def codes(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in found]


BASE = "{default: {within: 1d}}"


def test_two_definitions_that_tie_and_may_both_apply_are_reported_at_the_later_one() -> None:
    found = scope_findings(
        "      - {id: vip, when: {customer.vip: true}, targets: {P1: {within: 1h}}}\n"
        "      - {id: gold, when: {customer.tier: gold}, targets: {P1: {within: 2h}}}\n",
        targets=BASE,
    )

    assert [
        Finding(
            "definition-overlap",
            "warning",
            ("clocks", "res", "definitions", 1),
            "definitions 'vip' and 'gold' have the same precedence (100) and may both apply to "
            "P1 tickets: file order picks 'vip'; give them distinct precedence",
            ("p.yaml", 9, 9),
        )
    ] == found


def test_distinct_precedence_settles_an_overlap() -> None:
    found = scope_findings(
        "      - {id: vip, when: {customer.vip: true}, precedence: 1,\n"
        "         targets: {P1: {within: 1h}}}\n"
        "      - {id: gold, when: {customer.tier: gold}, targets: {P1: {within: 2h}}}\n",
        targets=BASE,
    )

    assert [] == found


def test_definitions_requiring_different_values_of_one_field_do_not_overlap() -> None:
    found = scope_findings(
        "      - {id: acme, when: {customer.id: acme}, targets: {default: {within: 1h}}}\n"
        "      - {id: globex, when: {customer.id: [globex, initech]}, targets: "
        "{default: {within: 2h}}}\n"
        "      - {id: rest, when: {customer.id: {ne: acme}, category: network}, targets: "
        "{P1: {within: 3h}}}\n",
        targets=BASE,
    )

    # acme excludes both others; globex and rest may both apply to P1 tickets.
    assert [("clocks.res.definitions[2]", "definition-overlap")] == codes(found)


def test_conditions_under_all_count_as_required_values() -> None:
    found = scope_findings(
        "      - {id: a, when: {all: [{region: emea}, {category: network}]}, "
        "targets: {default: {within: 1h}}}\n"
        "      - {id: b, when: {region: apac}, targets: {default: {within: 2h}}}\n",
        targets=BASE,
    )

    assert [] == found


def test_conditions_under_any_or_not_are_not_taken_as_disjoint() -> None:
    found = scope_findings(
        "      - {id: a, when: {any: [{region: emea}]}, targets: {default: {within: 1h}}}\n"
        "      - {id: b, when: {not: {region: emea}}, targets: {default: {within: 2h}}}\n",
        targets=BASE,
    )

    assert [("clocks.res.definitions[1]", "definition-overlap")] == codes(found)


def test_definitions_with_no_priority_in_common_do_not_overlap() -> None:
    found = scope_findings(
        "      - {id: vip, when: {customer.vip: true}, targets: {P1: {within: 1h}}}\n"
        "      - {id: gold, when: {customer.tier: gold}, targets: {P2: {within: 2h}}}\n",
        targets=BASE,
    )

    assert [] == found


def test_a_default_target_overlaps_with_every_priority() -> None:
    found = scope_findings(
        "      - {id: vip, when: {customer.vip: true}, targets: {default: {within: 1h}}}\n"
        "      - {id: gold, when: {customer.tier: gold}, targets: {default: {within: 2h}}}\n",
        targets=BASE,
    )

    assert "may both apply to any priority tickets" in found[0].message


def test_a_clock_without_an_unconditional_definition_names_who_gets_no_clock() -> None:
    found = scope_findings(
        "      - {id: vip, when: {customer.vip: true}, targets: {P1: {within: 1h}}}\n"
        "      - {id: acme, when: {customer.id: acme}, targets: {P2: {within: 2h}}}\n"
    )

    assert [
        Finding(
            "uncovered-tickets",
            "warning",
            ("clocks", "res"),
            "no definition without conditions: a ticket none of 'vip', 'acme' applies to gets "
            "no 'res' clock, nor does any ticket whose priority is not P1 or P2 (no definition "
            "has a 'default' target)",
            ("p.yaml", 4, 3),
        )
    ] == found


def test_a_default_target_covers_every_priority_of_the_tickets_it_applies_to() -> None:
    found = scope_findings(
        "      - {id: vip, when: {customer.vip: true}, targets: {default: {within: 1h}}}\n"
    )

    assert [
        "no definition without conditions: a ticket none of 'vip' applies to gets no 'res' clock"
    ] == [f.message for f in found]


def test_a_clock_with_its_own_targets_covers_every_ticket() -> None:
    found = scope_findings(
        "      - {id: vip, when: {customer.vip: true}, targets: {P1: {within: 1h}}}\n",
        targets=BASE,
    )

    assert [] == found


def test_a_clock_scoped_only_by_its_own_when_is_not_reported() -> None:
    body = """
    clocks:
      acme:
        when: {customer.id: acme}
        stop: {status: resolved}
        targets: {default: {within: 1h}}
    """

    found = lint(policy(body))
    assert [] == [f for f in found if f.code in ("definition-overlap", "uncovered-tickets")]


def test_calendars_used_only_by_a_definition_are_used() -> None:
    body = """
    calendars:
      office:
        timezone: UTC
        hours: {mon-fri: ["08:00-17:00"]}
        years: [2024, 2025]
    clocks:
      res:
        stop: {status: resolved}
        targets: {default: {within: 1d}}
        definitions:
          - id: vip
            when: {customer.vip: true}
            targets: {default: {within: 1bd, calendar: office}}
    """

    assert [] == [f for f in lint(policy(body)) if f.code == "unused-calendar"]


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

CUSTOMERS = st.lists(st.sampled_from(["acme", "globex", "initech", "umbrella"]), min_size=1)


@settings(max_examples=40, deadline=None)
@given(precedences=st.lists(st.integers(0, 3), min_size=2, max_size=5))
def test_overlaps_are_reported_exactly_for_the_pairs_that_tie(precedences: list[int]) -> None:
    # Every definition may apply to every ticket: only precedence tells them apart.
    definitions = "".join(
        f"      - {{id: d{i}, when: {{customer.vip: true}}, precedence: {p}, "
        f"targets: {{default: {{within: {i + 1}h}}}}}}\n"
        for i, p in enumerate(precedences)
    )
    tied = sum(1 for i, a in enumerate(precedences) for b in precedences[i + 1 :] if a == b)

    found = scope_findings(definitions, targets=BASE)

    assert tied == len(found)


@settings(max_examples=40, deadline=None)
@given(first=CUSTOMERS, second=CUSTOMERS)
def test_definitions_for_customers_overlap_exactly_when_they_share_one(
    first: list[str], second: list[str]
) -> None:
    definitions = "".join(
        f"      - {{id: {name}, when: {{customer.id: {customers}}}, "
        f"targets: {{default: {{within: {hours}h}}}}}}\n"
        for name, customers, hours in (("a", first, 1), ("b", second, 2))
    )

    found = scope_findings(definitions, targets=BASE)

    assert bool(set(first) & set(second)) == bool(found)


def test_the_json_schema_asks_a_clock_for_targets_or_definitions() -> None:
    clock = policy_json_schema()["$defs"]["ClockSpec"]

    assert [{"required": ["targets"]}, {"required": ["definitions"]}] == clock["anyOf"]
