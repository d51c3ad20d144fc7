"""Scoped clocks: ``when:`` on a clock, scoped target ``definitions`` chosen by precedence, and
``on_scope_change`` (docs/policy-reference.md, "Scoped clocks"; docs/semantics.md)."""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import PolicyError
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.policy.loader import loads
from escalate.testing import tickets as et
from tests.policy_helpers import event, plus, policy, ticket, utc

T0 = "2024-11-20T10:00:00+00:00"

MSP = """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"]}
      - {name: L2, targets: ["team:second"]}
directory:
  teams:
    desk: {members: [ann]}
    second: {members: [bob]}
  people:
    ann: {channels: {email: ann@example.com}}
    bob: {channels: {email: bob@example.com}}
clocks:
  resolution:
    stop: {status: [resolved, closed]}
    targets: {P1: {within: 8h}, default: {within: 24h}}
    definitions:
      - id: vip
        when: {customer.vip: true}
        precedence: 10
        targets: {P1: {within: 2h}}
      - id: gold
        when: {customer.tier: gold}
        precedence: 20
        targets: {default: {within: 4h}}
  acme-response:
    when: {customer.id: acme}
    stop: {event: acknowledged}
    targets: {default: {within: 30m}}
    ladder:
      - at: 100%
        escalate: {path: desk, to: L2}
        notify: {to: [assignee]}
"""


def evaluate(body: str, data: dict[str, Any], now: str) -> Decision:
    return policy(body).evaluate(data, now=utc(now))


def clock_names(decision: Decision) -> list[str]:
    return [c["name"] for c in decision.to_dict()["clocks"]]


# --------------------------------------------------------------------------------------------
# Which definition applies
# --------------------------------------------------------------------------------------------


def test_a_ticket_no_definition_applies_to_is_measured_with_the_clocks_own_targets() -> None:
    decision = evaluate(MSP, ticket(T0), plus(T0, hours=1))

    clock = decision.clock("resolution")

    assert (None, "8h") == (clock.definition_id, clock.target_text)


def test_the_definition_whose_condition_holds_measures_the_clock() -> None:
    decision = evaluate(MSP, ticket(T0, customer={"id": "x", "vip": True}), plus(T0, hours=1))

    (clock,) = decision.to_dict()["clocks"]

    assert ("vip", "2h") == (clock["definition"], clock["target"])


def test_the_lower_precedence_wins_when_several_definitions_apply() -> None:
    vip_and_gold = ticket(T0, customer={"id": "x", "vip": True, "tier": "gold"})

    decision = evaluate(MSP, vip_and_gold, plus(T0, hours=1))

    assert "vip" == decision.clock("resolution").definition_id


def test_precedence_decides_not_the_order_of_the_list() -> None:
    swapped = MSP.replace("precedence: 10", "precedence: 30")
    vip_and_gold = ticket(T0, customer={"id": "x", "vip": True, "tier": "gold"})

    decision = evaluate(swapped, vip_and_gold, plus(T0, hours=1))

    assert "gold" == decision.clock("resolution").definition_id


def test_file_order_breaks_a_tie_in_precedence() -> None:
    tied = MSP.replace("precedence: 20", "precedence: 10")
    vip_and_gold = ticket(T0, customer={"id": "x", "vip": True, "tier": "gold"})

    decision = evaluate(tied, vip_and_gold, plus(T0, hours=1))

    assert "vip" == decision.clock("resolution").definition_id


def test_a_definition_without_a_target_for_the_priority_leaves_the_ticket_to_the_next() -> None:
    p3_vip = ticket(T0, priority="P3", customer={"id": "x", "vip": True, "tier": "gold"})

    decision = evaluate(MSP, p3_vip, plus(T0, hours=1))

    assert ("gold", "4h") == (
        decision.clock("resolution").definition_id,
        decision.clock("resolution").target_text,
    )


def test_the_clocks_when_and_a_definitions_when_must_both_hold() -> None:
    body = """
    clocks:
      res:
        when: {category: network}
        stop: {status: resolved}
        definitions:
          - {id: vip, when: {customer.vip: true}, targets: {default: {within: 1h}}}
    """
    vip_elsewhere = ticket(T0, category="database", customer={"id": "x", "vip": True})
    vip_network = ticket(T0, category="network", customer={"id": "x", "vip": True})

    assert [] == clock_names(evaluate(body, vip_elsewhere, plus(T0, hours=1)))
    assert ["res"] == clock_names(evaluate(body, vip_network, plus(T0, hours=1)))


def test_explain_names_the_definition_measuring_a_clock() -> None:
    decision = evaluate(MSP, ticket(T0, customer={"id": "x", "vip": True}), plus(T0, hours=1))

    assert "clock resolution (vip): running, 1h of 2h on 24x7" in decision.explain()


def test_an_unscoped_clock_reports_a_null_definition() -> None:
    body = """
    clocks:
      res: {stop: {status: resolved}, targets: {default: {within: 1h}}}
    """

    assert None is evaluate(body, ticket(T0), T0).to_dict()["clocks"][0]["definition"]


# --------------------------------------------------------------------------------------------
# A clock that does not apply is absent
# --------------------------------------------------------------------------------------------


def test_a_clock_that_does_not_apply_is_absent_from_the_decision() -> None:
    decision = evaluate(MSP, ticket(T0, customer={"id": "globex"}), plus(T0, hours=1))

    assert ["resolution"] == clock_names(decision)
    assert "acme-response" not in decision.clocks
    assert "acme-response" not in decision.explain()


def test_looking_up_a_clock_that_does_not_apply_names_the_ones_that_do() -> None:
    decision = evaluate(MSP, ticket(T0, customer={"id": "globex"}), plus(T0, hours=1))

    with pytest.raises(KeyError, match="resolution"):
        decision.clock("acme-response")


def test_a_clock_that_applies_is_listed_with_the_others() -> None:
    decision = evaluate(MSP, ticket(T0, customer={"id": "acme"}), plus(T0, minutes=10))

    assert ["acme-response", "resolution"] == clock_names(decision)


def test_a_clock_that_does_not_apply_schedules_no_wake_up() -> None:
    acme = evaluate(MSP, ticket(T0, customer={"id": "acme"}), plus(T0, minutes=10))
    globex = evaluate(MSP, ticket(T0, customer={"id": "globex"}), plus(T0, minutes=10))

    assert utc(plus(T0, minutes=30)) == acme.next_evaluation_at
    assert utc(plus(T0, hours=8)) == globex.next_evaluation_at


def test_the_ladder_of_a_clock_that_does_not_apply_does_nothing() -> None:
    acme = evaluate(MSP, ticket(T0, customer={"id": "acme"}), plus(T0, hours=1))
    globex = evaluate(MSP, ticket(T0, customer={"id": "globex"}), plus(T0, hours=1))

    assert ("L2", 1) == (acme.path("desk").level_name, len(acme.actions) - 1)
    assert ("L1", []) == (globex.path("desk").level_name, list(globex.actions))


def test_conditions_see_a_clock_that_does_not_apply_as_not_applicable_and_never_breached() -> None:
    body = (
        MSP
        + """
rules:
  - id: no-response-clock
    when:
      clock.acme-response.state: not-applicable
      clock.acme-response.breached: false
      not: {clock.acme-response.percent: {exists: true}}
    then: {notify: {to: [assignee]}}
"""
    )
    globex = evaluate(body, ticket(T0, customer={"id": "globex"}), plus(T0, days=3))
    acme = evaluate(body, ticket(T0, customer={"id": "acme"}), plus(T0, days=3))

    assert ["matched", "not-matched"] == [d.rule_results[0].status for d in (globex, acme)]


# --------------------------------------------------------------------------------------------
# Following changes: retroactive (default) and restart
# --------------------------------------------------------------------------------------------

BY_GROUP = """
clocks:
  res:
    stop: {status: resolved}
    on_scope_change: {mode}
    targets: {default: {within: 8h}}
    definitions:
      - id: network
        when: {assignment_group: network}
        targets: {default: {within: 2h}}
"""
MOVED = ticket(
    T0,
    event(T0, "assigned", group="desk"),
    event(plus(T0, hours=1), "assigned", group="network"),
)


def test_retroactive_the_definition_applying_now_measures_the_whole_cycle() -> None:
    clock = evaluate(BY_GROUP.replace("{mode}", "retroactive"), MOVED, plus(T0, hours=2)).clock(
        "res"
    )

    assert (1, utc(T0), "network", True) == (
        clock.cycle,
        clock.started_at,
        clock.definition_id,
        clock.breached,
    )


def test_restart_a_change_of_definition_starts_a_new_cycle_at_the_change() -> None:
    clock = evaluate(BY_GROUP.replace("{mode}", "restart"), MOVED, plus(T0, hours=2)).clock("res")

    assert (2, utc(plus(T0, hours=1)), "network", False, utc(plus(T0, hours=3))) == (
        clock.cycle,
        clock.started_at,
        clock.definition_id,
        clock.breached,
        clock.breach_at,
    )


def test_restart_a_clock_leaving_and_reentering_scope_counts_from_the_reentry() -> None:
    body = """
    clocks:
      res:
        when: {assignment_group: network}
        on_scope_change: restart
        stop: {status: resolved}
        targets: {default: {within: 2h}}
    """
    moved = [
        event(T0, "assigned", group="network"),
        event(plus(T0, hours=1), "assigned", group="desk"),
    ]
    bounced = ticket(T0, *moved, event(plus(T0, hours=5), "assigned", group="network"))

    away = evaluate(body, ticket(T0, *moved), plus(T0, hours=4))
    back = evaluate(body, bounced, plus(T0, hours=6)).clock("res")

    assert [] == clock_names(away)
    assert (utc(plus(T0, hours=5)), timedelta(hours=1)) == (back.started_at, back.elapsed)


ENTERING = """
clocks:
  acme:
    when: {customer.id: acme}
    on_scope_change: restart
    stop: {status: resolved}
    targets: {default: {within: 1h}}
    ladder:
      - at: 50%
        notify: {to: [assignee]}
"""


def test_restart_a_clock_entering_its_scope_starts_cycle_1_not_2() -> None:
    entered = plus(T0, minutes=10)
    moved = event(entered, "field-changed", field="customer.id", to="acme")
    data = ticket(T0, dict(moved, **{"from": "globex"}), assignee="ann")

    decision = evaluate(ENTERING, data, plus(T0, minutes=45))

    assert (1, utc(entered)) == (decision.clock("acme").cycle, decision.clock("acme").started_at)
    assert ["T1:clock:acme#1@0:notify0"] == [a.id for a in decision.actions]


def test_restart_a_clock_back_in_scope_counts_only_the_cycles_that_ran_in_scope() -> None:
    left, back = plus(T0, hours=2), plus(T0, hours=3)
    data = ticket(
        T0,
        event(T0, "field-changed", field="customer.id", to="acme"),
        event(left, "field-changed", field="customer.id", to="globex"),
        event(back, "field-changed", field="customer.id", to="acme"),
        assignee="ann",
    )

    decision = evaluate(ENTERING, data, plus(T0, hours=3, minutes=45))

    assert (2, utc(back)) == (decision.clock("acme").cycle, decision.clock("acme").started_at)
    assert ["T1:clock:acme#2@0:notify0"] == [a.id for a in decision.actions]


def test_restart_several_events_at_the_change_instant_restart_the_clock_once() -> None:
    at = plus(T0, hours=1)
    twice = ticket(
        T0,
        event(T0, "assigned", group="desk"),
        event(at, "assigned", group="network"),
        event(at, "comment"),
    )

    clock = evaluate(BY_GROUP.replace("{mode}", "restart"), twice, plus(T0, hours=2)).clock("res")

    assert 2 == clock.cycle


def test_restart_a_stop_at_the_change_instant_wins() -> None:
    at = plus(T0, hours=1)
    stopped = ticket(
        T0,
        event(T0, "assigned", group="desk"),
        event(at, "assigned", group="network"),
        event(at, "status-changed", status="resolved"),
    )

    clock = evaluate(BY_GROUP.replace("{mode}", "restart"), stopped, plus(T0, hours=2)).clock("res")

    assert ("stopped", 1, utc(at)) == (clock.state, clock.cycle, clock.stopped_at)


def test_restart_rungs_of_the_new_cycle_get_new_action_ids() -> None:
    body = (
        BY_GROUP.replace("{mode}", "restart")
        + """
    ladder:
      - at: 50%
        notify: {to: [assignee]}
"""
    )
    decision = evaluate(body, MOVED, plus(T0, hours=2, minutes=30))

    assert ["T1:clock:res#2@0:notify0"] == [a.id for a in decision.actions]


def test_restart_an_earlier_cycle_keeps_the_path_level_its_definition_reached() -> None:
    body = """
    paths:
      desk:
        kind: vertical
        levels:
          - {name: L1, targets: ["team:desk"]}
          - {name: L2, targets: ["team:second"]}
    directory:
      teams:
        desk: {members: [ann]}
        second: {members: [bob]}
      people:
        ann: {channels: {email: ann@example.com}}
        bob: {channels: {email: bob@example.com}}
    clocks:
      res:
        stop: {status: resolved}
        on_scope_change: restart
        targets: {default: {within: 10h}}
        definitions:
          - id: desk
            when: {assignment_group: desk}
            targets: {default: {within: 1h}}
        ladder:
          - at: 100%
            escalate: {path: desk, to: L2}
    """
    # Breached the one-hour desk target, then moved to another group: the new cycle is young.
    moved_on = ticket(
        T0,
        event(T0, "assigned", group="desk"),
        event(plus(T0, hours=2), "assigned", group="network"),
    )

    decision = evaluate(body, moved_on, plus(T0, hours=3))

    assert ("L2", utc(plus(T0, hours=1))) == (
        decision.path("desk").level_name,
        decision.path("desk").entered_at,
    )
    assert (2, None) == (decision.clock("res").cycle, decision.clock("res").definition_id)


LEAVING = """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"]}
      - {name: L2, targets: ["team:second"]}
directory:
  teams:
    desk: {members: [ann]}
    second: {members: [bob]}
  people:
    ann: {channels: {email: ann@example.com}}
    bob: {channels: {email: bob@example.com}}
clocks:
  res:
    when: {assignment_group: desk}
    on_scope_change: {mode}
    stop: {status: resolved}
    targets: {default: {within: 1h}}
    ladder:
      - at: 100%
        escalate: {path: desk, to: L2}
"""
# Breached the desk's one-hour target, then handed to another group (out of scope).
HANDED_OVER = ticket(
    T0,
    event(T0, "assigned", group="desk"),
    event(plus(T0, hours=2), "assigned", group="network"),
)


def test_restart_a_clock_that_left_its_scope_keeps_the_path_levels_it_reached() -> None:
    decision = evaluate(LEAVING.replace("{mode}", "restart"), HANDED_OVER, plus(T0, hours=3))

    assert ([], "L2") == (clock_names(decision), decision.path("desk").level_name)


def test_retroactive_a_clock_that_left_its_scope_takes_its_path_levels_with_it() -> None:
    decision = evaluate(LEAVING.replace("{mode}", "retroactive"), HANDED_OVER, plus(T0, hours=3))

    assert ([], "L1") == (clock_names(decision), decision.path("desk").level_name)


def test_a_rule_reading_a_scoped_clock_follows_the_definition_at_each_past_instant() -> None:
    body = (
        BY_GROUP.replace("{mode}", "retroactive")
        + """
rules:
  - id: breached
    when: {clock.res.breached: true}
    then: {notify: {to: [assignee]}}
"""
    )
    # Breached the network target at 12:00, moved away (8h target) at 12:30, back at 13:00.
    history = ticket(
        T0,
        event(T0, "assigned", group="network"),
        event(plus(T0, hours=2, minutes=30), "assigned", group="desk"),
        event(plus(T0, hours=3), "assigned", group="network"),
    )

    decision = evaluate(body, history, plus(T0, hours=4))

    assert ["T1:rule:breached:20241120T130000Z:notify0"] == [a.id for a in decision.actions]


# --------------------------------------------------------------------------------------------
# Load-time checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    ["clock.other.breached", "path.desk.active"],
)
def test_a_scope_reading_clock_or_path_facts_is_refused(field: str) -> None:
    body = (
        MSP.replace("when: {customer.id: acme}", f"when: {{{field}: true}}").replace(
            "acme-response:", "acme-response:\n    precedence: 5"
        )
        + """
  other: {stop: {status: resolved}, targets: {default: {within: 1h}}}
"""
    )

    with pytest.raises(PolicyError, match=f"reads ticket fields only, not '{field}'") as caught:
        policy(body)

    assert ("clocks", "acme-response", "when", field) == caught.value.path


def test_two_definitions_of_a_clock_cannot_share_an_id() -> None:
    body = """
    clocks:
      res:
        stop: {status: resolved}
        definitions:
          - {id: vip, when: {customer.vip: true}, targets: {default: {within: 1h}}}
          - {id: vip, when: {category: network}, targets: {default: {within: 2h}}}
    """

    with pytest.raises(PolicyError, match=r"'vip' is also used by definitions\[0\]"):
        policy(body)


def test_a_clock_needs_targets_or_definitions() -> None:
    with pytest.raises(PolicyError, match="a clock needs 'targets' or 'definitions'"):
        policy("clocks:\n  res: {stop: {status: resolved}}\n")


def test_on_scope_change_on_a_clock_without_scope_is_refused() -> None:
    body = """
    clocks:
      res:
        stop: {status: resolved}
        on_scope_change: restart
        targets: {default: {within: 1h}}
    """

    with pytest.raises(PolicyError, match="on_scope_change needs a scoped clock"):
        policy(body)


def test_a_definition_target_for_an_unknown_priority_is_refused() -> None:
    body = """
    terminology:
      priority: {P1: ["1"], P2: ["2"]}
    clocks:
      res:
        stop: {status: resolved}
        definitions:
          - {id: vip, when: {customer.vip: true}, targets: {P7: {within: 1h}}}
    """

    with pytest.raises(PolicyError, match="'P7' is not a canonical priority") as caught:
        policy(body)

    assert ("clocks", "res", "definitions", 0, "targets", "P7") == caught.value.path


def test_a_definition_condition_is_type_checked_like_any_condition() -> None:
    body = """
    clocks:
      res:
        stop: {status: resolved}
        definitions:
          - {id: vip, when: {customer.vip: 3}, targets: {default: {within: 1h}}}
    """

    with pytest.raises(PolicyError, match=r"customer\.vip is a boolean"):
        policy(body)


# --------------------------------------------------------------------------------------------
# Properties, on the shipped pack and generated tickets
# --------------------------------------------------------------------------------------------

PACK = Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml"
PACK_DATA = yaml.safe_load(PACK.read_text(encoding="utf-8"))
# The properties scope the resolution clock themselves: start from it unscoped (without the
# pack's own VIP definition).
del PACK_DATA["clocks"]["resolution"]["definitions"]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pack_with(change: Any) -> Policy:
    data = copy.deepcopy(PACK_DATA)
    change(data)
    return loads(yaml.safe_dump(data, sort_keys=False), filename="pack.yaml")


def _add_ghost(data: dict[str, Any]) -> None:
    # First by precedence, with a ladder that would page, notify and move a path if it ran.
    data["clocks"]["ghost"] = {
        "precedence": 0,
        "when": {"customer.id": "never-a-customer"},
        "stop": {"status": ["resolved", "closed", "cancelled"]},
        "on_scope_change": "restart",
        "targets": {"default": {"within": "1m"}},
        "definitions": [
            {"id": "vip", "when": {"customer.vip": True}, "targets": {"P1": {"within": "1m"}}}
        ],
        "ladder": [
            {"at": "10%", "notify": {"to": ["assignee"]}},
            {"at": "20%", "escalate": {"path": "service-desk", "to": "L3"}},
        ],
    }


def _ghost_definitions_only(data: dict[str, Any]) -> None:
    data["clocks"]["ghost"] = {
        "stop": {"event": "closed"},
        "definitions": [
            {
                "id": "nobody",
                "when": {"customer.id": ["never-1", "never-2"]},
                "targets": {"default": {"within": "1m"}},
            }
        ],
        "ladder": [{"at": "50%", "escalate": {"path": "service-desk", "to": "L4"}}],
    }


WITHOUT = pack_with(lambda data: None)
WITH_GHOST = pack_with(_add_ghost)
WITH_GHOST_DEFINITIONS = pack_with(_ghost_definitions_only)


def comparable(decision: Decision) -> dict[str, Any]:
    """The decision without what names the policy (its hash differs by construction) and
    the YAML positions of rule conditions (the policies' texts differ)."""
    out = decision.to_dict()
    for key in ("policy", "input_digest"):
        out.pop(key)
    out["rules"] = [
        {**rule, "conditions": [{**c, "source": None} for c in rule["conditions"]]}
        for rule in out["rules"]
    ]
    return out


def cases() -> st.SearchStrategy[tuple[Ticket, datetime]]:
    return et.ticket_cases(max_events=15, action_done=True, within=timedelta(days=10))


@PROPERTY
@given(case=cases())
def test_a_scoped_clock_that_never_applies_changes_nothing_else(
    case: tuple[Ticket, datetime],
) -> None:
    ticket_, now = case
    expected = comparable(WITHOUT.evaluate(ticket_, now=now))

    assert expected == comparable(WITH_GHOST.evaluate(ticket_, now=now))
    assert expected == comparable(WITH_GHOST_DEFINITIONS.evaluate(ticket_, now=now))


def _scope_resolution(mode: str, when: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        clock = data["clocks"]["resolution"]
        clock["on_scope_change"] = mode
        clock["definitions"] = [{"id": "same", "when": when, "targets": clock.pop("targets")}]

    return change


ALWAYS = {"id": {"exists": True}}
BY_GROUP_PACK = {"assignment_group": ["second-line", "network-ops"]}
ALWAYS_POLICIES = [pack_with(_scope_resolution(m, ALWAYS)) for m in ("retroactive", "restart")]


def _same_targets_by_group(mode: str) -> Any:
    """resolution gains a definition with its own targets, applying to two groups."""

    def change(data: dict[str, Any]) -> None:
        clock = data["clocks"]["resolution"]
        clock["on_scope_change"] = mode
        clock["definitions"] = [{"id": "same", "when": BY_GROUP_PACK, "targets": clock["targets"]}]

    return change


RETROACTIVE_SAME_TARGETS = pack_with(_same_targets_by_group("retroactive"))
RESTART_BY_GROUP = pack_with(_same_targets_by_group("restart"))


def without_definition_ids(decision: dict[str, Any]) -> dict[str, Any]:
    return {**decision, "clocks": [{**c, "definition": None} for c in decision["clocks"]]}


@PROPERTY
@given(case=cases())
def test_a_definition_that_always_applies_measures_what_the_unscoped_clock_measures(
    case: tuple[Ticket, datetime],
) -> None:
    ticket_, now = case
    expected = comparable(WITHOUT.evaluate(ticket_, now=now))
    # A definition applies only to the priorities it has targets for: where the unscoped
    # clock has no target (not-applicable), the scoped one is absent.
    expected["clocks"] = [
        c for c in expected["clocks"] if c["name"] != "resolution" or c["state"] != "not-applicable"
    ]

    for scoped in ALWAYS_POLICIES:
        assert expected == without_definition_ids(comparable(scoped.evaluate(ticket_, now=now)))


@PROPERTY
@given(case=cases())
def test_retroactive_switching_between_equal_targets_changes_only_the_definition_id(
    case: tuple[Ticket, datetime],
) -> None:
    ticket_, now = case
    expected = comparable(WITHOUT.evaluate(ticket_, now=now))

    found = comparable(RETROACTIVE_SAME_TARGETS.evaluate(ticket_, now=now))

    assert expected == without_definition_ids(found)


@PROPERTY
@given(case=cases())
def test_restart_never_measures_a_longer_cycle_than_the_unscoped_clock(
    case: tuple[Ticket, datetime],
) -> None:
    ticket_, now = case
    plain = WITHOUT.evaluate(ticket_, now=now).clock("resolution")
    restarted = RESTART_BY_GROUP.evaluate(ticket_, now=now).clock("resolution")

    assert restarted.cycle >= plain.cycle
    if plain.started_at is not None:
        assert restarted.started_at is not None
        assert restarted.started_at >= plain.started_at
        assert restarted.elapsed_wall <= plain.elapsed_wall


PRECEDENCES = st.lists(st.integers(-3, 3), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None)
@given(precedences=PRECEDENCES, seed=st.randoms(use_true_random=False))
def test_the_applying_definition_is_the_lowest_precedence_then_the_first_in_the_file(
    precedences: list[int], seed: random.Random
) -> None:
    # Every definition applies; each has its own target so the decision shows which one won.
    items = [
        f"      - {{id: d{i}, when: {{id: {{exists: true}}}}, precedence: {p}, "
        f"targets: {{default: {{within: {i + 1}h}}}}}}\n"
        for i, p in enumerate(precedences)
    ]
    order = list(range(len(items)))
    seed.shuffle(order)
    body = "clocks:\n  res:\n    stop: {status: resolved}\n    definitions:\n" + "".join(
        items[i] for i in order
    )
    in_file = [precedences[i] for i in order]
    winner = order[min(range(len(order)), key=lambda k: (in_file[k], k))]

    first = evaluate(body, ticket(T0), plus(T0, hours=1)).clock("res")
    again = loads("policy: p\nversion: 1\n" + body).evaluate(ticket(T0), now=utc(T0))

    assert (f"d{winner}", f"{winner + 1}h") == (first.definition_id, first.target_text)
    assert f"d{winner}" == again.clock("res").definition_id
