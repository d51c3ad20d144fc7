"""Recurrence counts as ticket fields: ``with_recurrences`` over a corpus and
``recurrence_fields`` for one ticket, for a policy's ``recurrence:`` section.

Every corpus is worked by hand: ``R`` is ``fields.recurrences`` (other tickets of the
fingerprint fixed in ``[opened_at - 30d, opened_at]``, each once), ``O`` is
``fields.occurrences`` (tickets of the fingerprint opened in that window, itself included).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Ticket, loads
from escalate.errors import ArgumentError, TicketError
from escalate.learning import (
    recurrence_fields,
    recurrence_values,
    recurrences,
    with_recurrences,
)

DAY = timedelta(days=1)
US = timedelta(microseconds=1)
T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)
NOW = datetime(2024, 9, 1, tzinfo=UTC)

POLICY = loads(
    """
policy: recurring
version: 1
empty_values: ["?"]
custom_fields: {u_symptom: string}
recurrence:
  fingerprint: [service, category, fields.u_symptom]
  within: 30d
rules:
  - id: problem-record
    when: {fields.recurrences: {gte: 2}}
    then: {custom: {type: open-problem-record}}
""",
    filename="recurring.yaml",
)


def incident(
    id_: str, opened: datetime, *fixed: datetime, symptom: str | None = "bounce", **top: Any
) -> dict[str, Any]:
    """An incident of mail/outage/<symptom>, resolved at each of ``fixed`` (reopened between)."""
    events: list[dict[str, Any]] = []
    for n, at in enumerate(fixed):
        if n:
            events.append(
                {"at": (fixed[n - 1] + timedelta(hours=1)).isoformat(), "type": "reopened"}
            )
        events.append({"at": at.isoformat(), "type": "resolved"})
    data: dict[str, Any] = {
        "id": id_,
        "opened_at": opened.isoformat(),
        "service": "mail",
        "category": "outage",
        "events": events,
        **top,
    }
    if symptom is not None:
        data["fields"] = {"u_symptom": symptom}
    return data


def counts(tickets: list[Any]) -> dict[str, tuple[Any, Any]]:
    """Each ticket's (R, O) as ``with_recurrences`` fills them."""
    return {
        t.id: (t.fields["recurrences"], t.fields["occurrences"])
        for t in with_recurrences(tickets, POLICY)
    }


def test_the_third_recurrence_in_30_days_opens_a_problem_record_on_the_third_ticket_only() -> None:
    corpus = [
        incident("A", T0, T0 + 2 * DAY),
        incident("B", T0 + 10 * DAY, T0 + 11 * DAY),
        incident("C", T0 + 20 * DAY),  # A and B fixed before it opened: R = 2
        incident("X", T0 + 21 * DAY, symptom="spam"),  # another fingerprint: counts alone
    ]
    filled = with_recurrences(corpus, POLICY)
    fired = {t.id: [a.details["type"] for a in POLICY.evaluate(t, now=NOW).actions] for t in filled}
    assert {"A": [], "B": [], "C": ["open-problem-record"], "X": []} == fired
    assert {"A": (0, 1), "B": (1, 2), "C": (2, 3), "X": (0, 1)} == counts(corpus)


def test_a_fix_exactly_30_days_before_opening_counts_and_one_microsecond_earlier_not() -> None:
    fix = T0 + timedelta(hours=3)
    corpus = [
        incident("A", T0, fix),
        incident("B", fix + 30 * DAY),  # the window's first instant is the fix: counted
        incident("C", fix + 30 * DAY + US),  # the fix is one microsecond outside
    ]
    # occurrences: A opened 3h before either window starts; B opened 1us before C
    assert {"A": (0, 1), "B": (1, 1), "C": (0, 2)} == counts(corpus)


def test_an_opening_exactly_30_days_earlier_is_an_occurrence_one_microsecond_more_is_not() -> None:
    corpus = [
        incident("A", T0),
        incident("B", T0 + 30 * DAY),
        incident("C", T0 + 30 * DAY + US),
    ]
    assert {"A": (0, 1), "B": (0, 2), "C": (0, 2)} == counts(corpus)


def test_a_ticket_fixed_opened_at_the_same_instant_counts_as_fixed_in_the_window() -> None:
    corpus = [incident("A", T0, T0 + DAY), incident("B", T0 + DAY)]  # B opens as A is fixed
    assert {"A": (0, 1), "B": (1, 2)} == counts(corpus)


def test_a_ticket_reopened_and_fixed_twice_in_the_window_is_one_recurrence() -> None:
    corpus = [
        incident("A", T0, T0 + DAY, T0 + 5 * DAY),  # fixed, reopened, fixed again
        incident("B", T0 + 10 * DAY),  # both fixes in its window: A counts once
        incident("C", T0 + 33 * DAY),  # the first fix 32 days before, the second 28: once
        incident("D", T0 + 35 * DAY + US),  # the second fix 30 days and 1us before: none
    ]
    # occurrences: A opened 33 and 35 days before C and D: outside; B, C in D's window
    assert {"A": (0, 1), "B": (1, 2), "C": (1, 2), "D": (0, 3)} == counts(corpus)


def test_fixes_far_apart_count_only_while_one_of_them_is_in_the_window() -> None:
    corpus = [
        incident("A", T0, T0 + DAY, T0 + 50 * DAY),  # two fixes 49 days apart
        incident("B", T0 + 40 * DAY),  # 39 days after the first fix, before the second
        incident("C", T0 + 60 * DAY),  # 10 days after the second
    ]
    assert {"A": (0, 1), "B": (0, 1), "C": (1, 2)} == counts(corpus)


def test_a_ticket_fixed_after_another_opened_is_not_a_recurrence_of_it() -> None:
    corpus = [incident("A", T0, T0 + 5 * DAY), incident("B", T0 + DAY)]  # B: a duplicate
    assert {"A": (0, 1), "B": (0, 2)} == counts(corpus)


def test_tickets_lacking_a_fingerprint_field_count_alone_and_for_nobody() -> None:
    corpus = [
        incident("A", T0, T0 + DAY, symptom=None),  # no u_symptom
        incident("B", T0 + 2 * DAY, T0 + 3 * DAY, symptom="?"),  # the policy's empty marker
        incident("C", T0 + 4 * DAY, T0 + 5 * DAY, symptom=""),  # an empty string
        incident("D", T0 + 6 * DAY, symptom=None),
        incident("E", T0 + 7 * DAY),  # has a fingerprint; none of the others shares it
    ]
    assert {"A": (0, 1), "B": (0, 1), "C": (0, 1), "D": (0, 1), "E": (0, 1)} == counts(corpus)


def test_input_order_changes_no_count_and_the_output_keeps_the_input_order() -> None:
    corpus = [
        incident("A", T0, T0 + DAY),
        incident("B", T0 + 3 * DAY, T0 + 4 * DAY),
        incident("C", T0 + 3 * DAY, T0 + 9 * DAY),  # opened with B
        incident("D", T0 + 12 * DAY, symptom="spam"),
        incident("E", T0 + 12 * DAY),
    ]
    expected = counts(corpus)
    assert {"A": (0, 1), "B": (1, 3), "C": (1, 3), "D": (0, 1), "E": (3, 4)} == expected
    for seed in range(4):
        shuffled = list(corpus)
        random.Random(seed).shuffle(shuffled)
        filled = with_recurrences(shuffled, POLICY)
        assert [t["id"] for t in shuffled] == [t.id for t in filled]
        assert expected == counts(shuffled)


def test_a_ticket_carrying_another_count_is_refused_naming_the_ticket_and_the_field() -> None:
    corpus = [incident("A", T0, T0 + DAY), incident("B", T0 + 2 * DAY)]
    corpus[1]["fields"]["recurrences"] = 5
    with pytest.raises(ArgumentError) as caught:
        with_recurrences(corpus, POLICY)
    assert (
        "ticket 'B': fields.recurrences is already 5, and the recurrence counts give 1 "
        "(fingerprint mail / outage / bounce, within 30d): remove the field from the ticket, "
        "or name another in recurrence.fields"
    ) == str(caught.value)


def test_a_ticket_carrying_the_same_count_is_kept_as_it_is() -> None:
    corpus = [incident("A", T0, T0 + DAY), incident("B", T0 + 2 * DAY)]
    corpus[1]["fields"].update({"recurrences": 1, "occurrences": 2})
    b = Ticket.from_mapping(corpus[1])
    assert b is with_recurrences([corpus[0], b], POLICY)[1]


def test_filling_twice_gives_the_same_tickets() -> None:
    corpus = [incident("A", T0, T0 + DAY), incident("B", T0 + 2 * DAY)]
    once = with_recurrences(corpus, POLICY)
    assert [t.to_dict() for t in once] == [t.to_dict() for t in with_recurrences(once, POLICY)]


def test_two_tickets_with_one_id_are_refused() -> None:
    with pytest.raises(ArgumentError, match="item 1: ticket 'A' is also item 0"):
        recurrence_values([incident("A", T0), incident("A", T0 + DAY)], POLICY)


def test_a_policy_without_the_section_is_refused() -> None:
    plain = loads("policy: plain\nversion: 1\n")
    with pytest.raises(ArgumentError, match=r"policy 'plain' declares no recurrence: section"):
        with_recurrences([incident("A", T0)], plain)


def test_a_ticket_the_policy_cannot_read_names_its_place() -> None:
    bad = incident("B", T0)
    bad["opened_at"] = "yesterday"
    with pytest.raises(TicketError, match=r"^opened_at: item 1: not an ISO-8601 timestamp"):
        with_recurrences([incident("A", T0), bad], POLICY)


def test_configured_field_names_are_filled_and_read() -> None:
    policy = loads(
        """
policy: renamed
version: 1
recurrence:
  fingerprint: [service]
  within: 12h
  fields: {recurrences: fields.u_repeat_count, occurrences: fields.u_seen}
rules:
  - id: third-in-half-a-day
    when: {fields.u_seen: {gte: 3}}
    then: {custom: {type: problem}}
"""
    )
    corpus = [
        {"id": f"T{n}", "opened_at": (T0 + n * timedelta(hours=5)).isoformat(), "service": "db"}
        for n in range(4)
    ]
    filled = with_recurrences(corpus, policy)
    assert [{"u_repeat_count": 0, "u_seen": n} for n in (1, 2, 3, 3)] == [
        dict(t.fields) for t in filled
    ]
    assert [0, 0, 1, 1] == [len(policy.evaluate(t, now=NOW).actions) for t in filled]


def test_recurrence_fields_counts_one_ticket_over_the_earlier_ones() -> None:
    earlier = [
        incident("A", T0, T0 + DAY),
        incident("B", T0 + 10 * DAY, T0 + 11 * DAY),
        incident("X", T0 + 12 * DAY, T0 + 13 * DAY, symptom="spam"),
        incident("L", T0 + 40 * DAY, T0 + 41 * DAY),  # later than the ticket: passed over
    ]
    new = incident("C", T0 + 20 * DAY)
    expected = {"fields.recurrences": 2, "fields.occurrences": 3}
    assert expected == recurrence_fields(new, earlier, POLICY)
    assert expected == recurrence_fields(new, [*earlier, new], POLICY)  # itself: passed over
    ticket = Ticket.from_mapping(new).with_fields(expected)
    assert ["custom"] == [a.kind for a in POLICY.evaluate(ticket, now=NOW).actions]


def test_a_ticket_nobody_filled_reads_as_missing_and_the_rule_does_not_fire() -> None:
    decision = POLICY.evaluate(incident("C", T0), now=NOW)
    assert () == decision.actions
    assert "not-matched" == decision.rule_results[0].status


# -- properties -----------------------------------------------------------------------------


def _brute(tickets: list[Ticket], n: int, within: timedelta) -> tuple[int, int]:
    """The definition, read literally: for ticket ``n``, count the others fixed in the window
    by a fix still holding at its opening (no reopen since), and all opened in the window
    (fingerprint = the symptom; none when missing)."""
    me = tickets[n]
    key = me.fields.get("u_symptom")
    if key is None:
        return (0, 1)
    since, until = me.opened_at - within, me.opened_at
    same = [t for t in tickets if t.fields.get("u_symptom") == key]

    def holds(t: Ticket, fix: datetime) -> bool:  # not undone by a reopen at or before `until`
        return not any(fix < e.at <= until for e in t.events if e.type == "reopened")

    fixed = sum(
        1
        for t in same
        if t.id != me.id
        and any(since <= e.at <= until and holds(t, e.at) for e in t.events if e.type == "resolved")
    )
    opened = sum(1 for t in same if since <= t.opened_at <= until)
    return (fixed, opened)


@st.composite
def corpora(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for n in range(draw(st.integers(1, 9))):
        opened = T0 + draw(st.integers(0, 90)) * DAY + draw(st.sampled_from([0, 1])) * US
        gaps = draw(st.lists(st.integers(0, 40), max_size=3))
        fixed, at = [], opened
        for gap in gaps:
            at = at + gap * DAY + timedelta(hours=2)
            fixed.append(at)
        symptom = draw(st.sampled_from(["bounce", "spam", None]))
        out.append(incident(f"T{n}", opened, *fixed, symptom=symptom))
    return out


@settings(max_examples=120)
@given(corpora(), st.randoms(use_true_random=False))
def test_counts_match_the_definition_learning_and_the_single_ticket_helper(
    corpus: list[dict[str, Any]], rng: random.Random
) -> None:
    tickets = [Ticket.from_mapping(t) for t in corpus]
    values = recurrence_values(tickets, POLICY)
    assert POLICY.recurrence is not None
    found = recurrences(tickets, within=30 * DAY, fields=POLICY.recurrence.fingerprint)
    flags = {r.ticket_id: r for r in found}
    shuffled = list(tickets)
    rng.shuffle(shuffled)
    again = dict(zip([t.id for t in shuffled], recurrence_values(shuffled, POLICY), strict=True))
    for n, ticket in enumerate(tickets):
        got = values[n]
        r, o = got["fields.recurrences"], got["fields.occurrences"]
        assert _brute(tickets, n, 30 * DAY) == (r, o)
        assert flags[ticket.id].recurred == (r > 0)
        assert flags[ticket.id].occurrences == o
        assert again[ticket.id] == got
        others = [t for t in tickets if t is not ticket]
        assert got == recurrence_fields(ticket, others, POLICY)
