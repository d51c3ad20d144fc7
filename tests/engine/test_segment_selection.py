"""Segment selection in ``Policy.evaluate``: which segment decides a ticket (precedence, the
base's terminology, custom fields), what the decision says about it, the M&A mapping of
another organisation's priorities, and properties: selection is deterministic, follows the
declared precedence whatever the key or list order, and a segment that changes nothing
decides exactly like its base."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalate.engine.compiled
from escalate.engine.ticket import Ticket
from escalate.errors import TicketError
from escalate.policy.lint import lint
from escalate.policy.loader import loads
from escalate.testing import tickets as et
from tests.policy_helpers import policy, ticket, utc

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"

REGIONS = """
terminology:
  region:
    emea: [EMEA, Europe]
    apac: [APAC]
    amer: [AMER]
custom_fields:
  contract: string
clocks:
  resolution:
    stop: {status: resolved}
    targets: {P1: {within: 4h}}
    ladder:
      - {at: 100%, notify: {to: [assignee]}}
segments:
  - id: emea
    when: {region: emea}
    precedence: 20
    clocks:
      resolution:
        stop: {status: resolved}
        targets: {P1: {within: 8h}}
        ladder:
          - {at: 100%, notify: {to: [assignee]}}
  - id: gold-contract
    when: {fields.contract: {matches: "^GOLD-"}}
    precedence: 10
    clocks:
      resolution:
        stop: {status: resolved}
        targets: {P1: {within: 1h}}
"""
NOW = "2024-11-20T15:00:00+00:00"  # five hours after ticket() opens


def decide(body: str, now: str = NOW, **fields: Any) -> Any:
    return policy(body).evaluate(ticket(**fields), now=utc(now))


# -- which segment decides ------------------------------------------------------------------------


def test_a_ticket_in_a_segment_is_decided_by_the_segments_policy() -> None:
    decision = decide(REGIONS, region="emea")
    clock = decision.clock("resolution")
    assert ("emea", "8h", False) == (decision.segment, clock.target_text, clock.breached)


def test_a_ticket_no_segment_selects_is_decided_by_the_policy_as_written() -> None:
    decision = decide(REGIONS, region="apac")
    clock = decision.clock("resolution")
    assert (None, "4h", True) == (decision.segment, clock.target_text, clock.breached)


def test_a_ticket_without_the_field_is_decided_by_the_base() -> None:
    assert decide(REGIONS).segment is None


def test_the_lower_precedence_wins_when_two_segments_match() -> None:
    decision = decide(REGIONS, region="emea", fields={"contract": "GOLD-7"})
    assert ("gold-contract", "1h") == (decision.segment, decision.clock("resolution").target_text)


def test_selection_reads_values_through_the_bases_terminology() -> None:
    assert "emea" == decide(REGIONS, region=" europe ").segment


def test_a_value_the_bases_terminology_does_not_know_is_a_ticket_error() -> None:
    with pytest.raises(TicketError, match=r"^region: region value is not known to policy 'p'"):
        decide(REGIONS, region="LATAM")


def test_a_custom_field_of_the_wrong_type_is_a_ticket_error_in_selection() -> None:
    with pytest.raises(TicketError, match=r"^fields.contract: policy 'p' declares"):
        decide(REGIONS, fields={"contract": 7})


def test_the_segment_decides_the_whole_ticket_from_its_opening() -> None:
    # The region is what the ticket says now: a ticket moved to EMEA is measured against the
    # EMEA target from its opening (no breach at 5h of 8h), not against the base's 4h before.
    decision = decide(REGIONS, region="emea")
    assert (utc("2024-11-20T18:00:00+00:00"), []) == (
        decision.clock("resolution").breach_at,
        [a.id for a in decision.actions],
    )


def test_for_ticket_gives_the_policy_that_decides() -> None:
    compiled = policy(REGIONS)
    assert ("emea", None) == (
        compiled.for_ticket(ticket(region="emea")).segment,
        compiled.for_ticket(ticket(region="amer")).segment,
    )
    assert compiled is compiled.for_ticket(ticket(region="amer"))


def test_the_decision_names_its_segment_in_to_dict_and_explain() -> None:
    decision = decide(REGIONS, region="emea")
    assert "emea" == decision.to_dict()["segment"]
    assert decision.explain().splitlines()[0] == (
        "ticket T1 at 2024-11-20T15:00:00+00:00 (policy p v1, segment emea, priority P1)"
    )


def test_a_decision_of_the_base_says_segment_null_and_explains_as_before() -> None:
    decision = decide(REGIONS, region="apac")
    assert decision.to_dict()["segment"] is None
    assert "segment" not in decision.explain().splitlines()[0]


def test_a_policy_without_segments_never_runs_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("selection ran for a policy without segments")

    monkeypatch.setattr(escalate.engine.compiled, "select", refuse)
    body = "clocks:\n  res:\n    stop: {status: resolved}\n    targets: {P1: {within: 4h}}\n"
    assert decide(body).segment is None


# -- mergers and acquisitions ----------------------------------------------------------------------

MERGER = """
terminology:
  priority:
    P1: ["1 - Critical"]
    P2: ["2 - High"]
  business_unit:
    acme: [ACME]
    globex: [Globex, Globex Corp]
clocks:
  response:
    stop: {event: acknowledged}
    targets: {P1: {within: 15m}, P2: {within: 1h}}
segments:
  - id: globex
    description: Globex, acquired 2024; its service desk keeps its own severities
    when: {business_unit: globex}
    precedence: 10
    terminology:
      priority: {P1: [Sev A], P2: [Sev B]}
"""


def test_an_acquired_companys_priorities_map_onto_ours_in_its_segment() -> None:
    decision = decide(MERGER, business_unit="Globex Corp", priority="Sev A")
    assert ("globex", "P1", "15m") == (
        decision.segment,
        decision.priority,
        decision.clock("response").target_text,
    )


def test_the_acquired_companys_terms_mean_nothing_outside_its_segment() -> None:
    with pytest.raises(TicketError, match="priority value is not known"):
        decide(MERGER, business_unit="acme", priority="Sev A")


# -- properties ------------------------------------------------------------------------------------

SELECTION_BASE: dict[str, Any] = {
    "policy": "p",
    "version": 1,
    "clocks": {
        "res": {"stop": {"status": "resolved"}, "targets": {"default": {"within": "4h"}}},
    },
}
FIELD_VALUES: dict[str, list[Any]] = {
    "region": ["emea", "apac", "amer"],
    "business_unit": ["retail", "globex"],
    "customer.vip": [True, False],
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    fields = draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), min_size=1, unique=True))
    out: dict[str, Any] = {}
    for name in fields:
        values = FIELD_VALUES[name]
        if name == "customer.vip" or draw(st.booleans()):  # booleans take eq only
            out[name] = draw(st.sampled_from(values))
        else:
            out[name] = draw(st.lists(st.sampled_from(values), min_size=1, unique=True))
    return out


@st.composite
def segment_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    precedences = draw(st.lists(st.integers(-50, 50), min_size=count, max_size=count, unique=True))
    return [
        {"id": f"s{i}", "when": draw(conditions()), "precedence": p}
        for i, p in enumerate(precedences)
    ]


@st.composite
def selection_tickets(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "T1", "opened_at": "2024-11-20T10:00:00+00:00"}
    for name in ("region", "business_unit"):
        value = draw(st.sampled_from([None, *FIELD_VALUES[name]]))
        if value is not None:
            data[name] = value
    data["customer"] = {"vip": draw(st.booleans())}
    return data


def expected_segment(segments: list[dict[str, Any]], data: dict[str, Any]) -> str | None:
    """The reference: the first segment by precedence whose every field test holds."""
    facts = {
        "region": data.get("region"),
        "business_unit": data.get("business_unit"),
        "customer.vip": data["customer"]["vip"],
    }
    for seg in sorted(segments, key=lambda s: s["precedence"]):
        if all(
            facts[k] in v if isinstance(v, list) else facts[k] == v for k, v in seg["when"].items()
        ):
            return str(seg["id"])
    return None


def shuffled(value: Any, rng: random.Random) -> Any:
    """``value`` with the keys of every mapping in another order (lists keep theirs)."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


SELECTION = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SELECTION
@given(segment_lists(), st.lists(selection_tickets(), min_size=1, max_size=4), st.randoms())
def test_segment_selection_is_the_first_match_by_precedence_whatever_the_order(
    segments: list[dict[str, Any]], tickets: list[dict[str, Any]], rng: random.Random
) -> None:
    data = {**SELECTION_BASE, "segments": segments}
    first = loads(yaml.safe_dump(data, sort_keys=False), filename="p.yaml")
    reordered = shuffled({**data, "segments": rng.sample(segments, len(segments))}, rng)
    second = loads(yaml.safe_dump(reordered, sort_keys=False), filename="p.yaml")
    now = datetime(2024, 11, 20, 12, tzinfo=UTC)
    for data_ in tickets:
        want = expected_segment(segments, data_)
        got = [
            first.evaluate(data_, now=now).segment,
            first.evaluate(copy.deepcopy(data_), now=now).segment,
            second.evaluate(shuffled(data_, rng), now=now).segment,
        ]
        assert [want] * 3 == got


PACK_TEXT = PACK.read_text(encoding="utf-8")
PACK_POLICY = loads(PACK_TEXT, filename="itil-default.yaml")
PACK_DATA = yaml.safe_load(PACK_TEXT)
# The pack with one more segment, tried first, that changes nothing.
EMPTY_SEGMENT = loads(
    yaml.safe_dump(
        {
            **PACK_DATA,
            "segments": [
                {"id": "emea", "when": {"region": "emea"}, "precedence": 1},
                *PACK_DATA.get("segments", []),
            ],
        },
        sort_keys=False,
    ),
    filename="itil-default.yaml",
)


def without_policy_identity(decision: Any) -> dict[str, Any]:
    out: dict[str, Any] = decision.to_dict()
    for key in ("segment", "policy", "input_digest"):
        out.pop(key)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(et.ticket_cases())
def test_a_segment_that_changes_nothing_decides_exactly_like_its_base(
    case: tuple[Ticket, datetime],
) -> None:
    drawn, now = case
    data = {**drawn.to_dict(), "region": "emea"}
    base = PACK_POLICY.evaluate(data, now=now)
    segmented = EMPTY_SEGMENT.evaluate(data, now=now)
    assert (None, "emea") == (base.segment, segmented.segment)
    assert without_positions(base) == without_positions(segmented)


def restated_pack(rng: random.Random) -> Any:
    """The pack with a segment that overrides every clock, path and rule with the base's own
    entry (rules listed in another order) and re-adds nothing."""
    rules = list(PACK_DATA["rules"])
    rng.shuffle(rules)
    restated = {
        "id": "same",
        "when": {"region": "emea"},
        "precedence": 1,
        "clocks": PACK_DATA["clocks"],
        "paths": PACK_DATA["paths"],
        "calendars": PACK_DATA["calendars"],
        "rules": rules,
    }
    return loads(yaml.safe_dump({**PACK_DATA, "segments": [restated]}), filename="p.yaml")


def without_positions(decision: Any) -> dict[str, Any]:
    out = without_policy_identity(decision)
    for rule in out["rules"]:
        for condition in rule["conditions"]:
            condition.pop("source")
    return out


RESTATED = [restated_pack(random.Random(seed)) for seed in range(3)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(et.ticket_cases(), st.sampled_from(RESTATED))
def test_overriding_entries_with_the_bases_own_changes_no_decision(
    case: tuple[Ticket, datetime], restated: Any
) -> None:
    drawn, now = case
    data = {**drawn.to_dict(), "region": "emea"}
    segmented = restated.evaluate(data, now=now)
    assert "same" == segmented.segment
    assert without_positions(PACK_POLICY.evaluate(data, now=now)) == without_positions(segmented)


EVERY_TICKET = [
    {
        "id": "T1",
        "opened_at": "2024-11-20T10:00:00+00:00",
        **({} if region is None else {"region": region}),
        **({} if unit is None else {"business_unit": unit}),
        "customer": {"vip": vip},
    }
    # None stands for every value no condition names: conditions here only use eq and in.
    for region in [None, *FIELD_VALUES["region"]]
    for unit in [None, *FIELD_VALUES["business_unit"]]
    for vip in FIELD_VALUES["customer.vip"]
]


@SELECTION
@given(segment_lists())
def test_a_segment_lint_calls_shadowed_or_unreachable_decides_no_ticket(
    segments: list[dict[str, Any]],
) -> None:
    compiled = loads(yaml.safe_dump({**SELECTION_BASE, "segments": segments}), filename="p.yaml")
    never = {
        f.where[1] for f in lint(compiled) if f.code in ("segment-shadowed", "segment-unreachable")
    }
    chosen = {compiled.for_ticket(t).segment for t in EVERY_TICKET}
    assert set() == never & chosen


def test_a_ticket_moved_into_a_region_by_a_field_change_is_decided_there_from_its_opening() -> None:
    moved = ticket(
        "2024-11-20T10:00:00+00:00",
        {
            "at": "2024-11-20T14:00:00+00:00",
            "type": "field-changed",
            "field": "region",
            "from": "apac",
            "to": "emea",
        },
        region="emea",
    )
    decision = policy(REGIONS).evaluate(moved, now=utc(NOW))
    # Retroactive: the EMEA target (8h) from the opening, although the ticket was in APAC
    # (where the base's 4h would have breached at 14:00) until the change.
    assert ("emea", utc("2024-11-20T18:00:00+00:00")) == (
        decision.segment,
        decision.clock("resolution").breach_at,
    )
