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


def recategorised(
    id_: str, opened: datetime, symptom: str | None, *steps: tuple[datetime, str | None]
) -> dict[str, Any]:
    """A mail/outage incident opened with ``symptom``; each step ``(at, what)`` resolves it
    (``"resolved"``), reopens it (``"reopened"``) or recategorises it to another symptom
    (``"=spam"``; ``"="``: cleared), with a ``field-changed`` event that says what it was."""
    events: list[dict[str, Any]] = []
    value = symptom
    for at, what in steps:
        assert what is not None
        if what.startswith("="):
            to = what[1:] or None
            events.append(
                {
                    "at": at.isoformat(),
                    "type": "field-changed",
                    "field": "fields.u_symptom",
                    "from": value,
                    "to": to,
                }
            )
            value = to
        else:
            events.append({"at": at.isoformat(), "type": what})
    data = incident(id_, opened, symptom=value)
    data["events"] = events
    return data


def test_a_ticket_recategorised_after_another_opened_changes_nothing_counted_for_it() -> None:
    # review defect 12: A fixed on day 1, B opened on day 9 counts it; A's symptom corrected
    # on day 19 (after B opened) made B's count 0 and the corpus commands refuse B's 1
    before = [incident("A", T0, T0 + DAY), incident("B", T0 + 9 * DAY)]
    later = [
        recategorised("A", T0, "bounce", (T0 + DAY, "resolved"), (T0 + 19 * DAY, "=spam")),
        incident("B", T0 + 9 * DAY),
    ]
    assert {"A": (0, 1), "B": (1, 2)} == counts(before) == counts(later)
    # B filled when it opened (a middleware) and kept: the corpus run agrees, nothing refused
    kept = dict(later[1], fields={"u_symptom": "bounce", "recurrences": 1, "occurrences": 2})
    assert {"A": (0, 1), "B": (1, 2)} == counts([later[0], kept])
    # tickets opened after the correction too: A was opened and fixed as bounce
    spam = incident("S", T0 + 20 * DAY, symptom="spam")
    bounce = incident("C", T0 + 20 * DAY)
    assert {"A": (0, 1), "B": (1, 2), "S": (0, 1), "C": (1, 3)} == counts([*later, spam, bounce])


def test_a_ticket_recategorised_before_its_fix_counts_under_the_fingerprint_it_was_fixed_with() -> (
    None
):
    corpus = [
        # opened as spam, found on day 1 to be bounce, fixed on day 2 as bounce
        recategorised("A", T0, "spam", (T0 + DAY, "=bounce"), (T0 + 2 * DAY, "resolved")),
        incident("B", T0 + 5 * DAY),  # bounce: A's fix counts
        incident("S", T0 + 5 * DAY, symptom="spam"),  # spam: A opened as spam, fixed as bounce
    ]
    # occurrences go by the fingerprint at the opening: A opened as spam
    assert {"A": (0, 1), "B": (1, 1), "S": (0, 2)} == counts(corpus)
    flags = {r.ticket_id: r for r in recurrences(corpus, fields=("fields.u_symptom",))}
    assert ("A", ("bounce",)) == (flags["B"].after, flags["B"].fingerprint)
    assert (False, ("spam",)) == (flags["S"].recurred, flags["A"].fingerprint)


def test_a_ticket_recategorised_after_its_opening_is_counted_under_its_opening_fingerprint() -> (
    None
):
    corpus = [
        incident("A", T0, T0 + DAY),
        # B opened as bounce on day 3, recategorised spam on day 4, fixed as spam on day 5
        recategorised(
            "B", T0 + 3 * DAY, "bounce", (T0 + 4 * DAY, "=spam"), (T0 + 5 * DAY, "resolved")
        ),
        incident("C", T0 + 6 * DAY),  # bounce: B opened as bounce (an occurrence), fixed as spam
        incident("S", T0 + 6 * DAY, symptom="spam"),  # spam: B's fix, but not B's opening
    ]
    assert {"A": (0, 1), "B": (1, 2), "C": (1, 3), "S": (1, 1)} == counts(corpus)


def test_a_symptom_cleared_before_the_fix_counts_for_nobody_and_one_set_at_the_fix_counts() -> None:
    corpus = [
        recategorised("A", T0, "bounce", (T0 + DAY, "="), (T0 + 2 * DAY, "resolved")),
        # the symptom set at the very instant of the fix: fixed as spam
        recategorised("S", T0, "bounce", (T0 + DAY, "resolved"), (T0 + DAY, "=spam")),
        incident("B", T0 + 3 * DAY),
        incident("X", T0 + 3 * DAY, symptom="spam"),
    ]
    assert {"A": (0, 2), "S": (0, 2), "B": (0, 3), "X": (1, 1)} == counts(corpus)


def test_a_ticket_given_resolved_without_status_events_has_no_fix_and_is_never_counted() -> None:
    snapshot = incident("A", T0, status="resolved")  # no instant the fix happened
    assert {"A": (0, 1), "B": (0, 2)} == counts([snapshot, incident("B", T0 + DAY)])


def test_a_ticket_carrying_another_count_is_refused_naming_the_ticket_and_the_field() -> None:
    corpus = [incident("A", T0, T0 + DAY), incident("B", T0 + 2 * DAY)]
    corpus[1]["fields"]["recurrences"] = 5
    with pytest.raises(ArgumentError) as caught:
        with_recurrences(corpus, POLICY)
    assert (
        "ticket 'B': fields.recurrences is already 5, and the recurrence counts give 1 "
        "(fingerprint mail / outage / bounce, within 30d): remove the field from the ticket, "
        "name another in recurrence.fields, or pass recount=True to replace it"
    ) == str(caught.value)


def test_recount_replaces_a_carried_count_and_keeps_one_that_agrees() -> None:
    corpus = [incident("A", T0, T0 + DAY), incident("B", T0 + 2 * DAY), incident("C", T0 + 3 * DAY)]
    corpus[1]["fields"].update({"recurrences": 5, "occurrences": "many"})  # stale, and not even
    corpus[2]["fields"].update({"recurrences": 1, "occurrences": 3})  # as counted: kept
    filled = with_recurrences(corpus, POLICY, recount=True)
    assert [(0, 1), (1, 2), (1, 3)] == [
        (t.fields["recurrences"], t.fields["occurrences"]) for t in filled
    ]
    with pytest.raises(ArgumentError, match="recount must be True or False, got 1"):
        with_recurrences(corpus, POLICY, recount=1)  # type: ignore[arg-type]


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


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _symptom_at(data: dict[str, Any], at: datetime) -> Any:
    """The symptom of the incident ``data`` at ``at``, read from its mapping: the ``from`` of
    its first change (what it opened with; its field when nothing changes it), then the ``to``
    of every change at or before ``at``."""
    changes = [e for e in data["events"] if e["type"] == "field-changed"]
    value = changes[0]["from"] if changes else data.get("fields", {}).get("u_symptom")
    for event in changes:
        if _at(event["at"]) <= at:
            value = event["to"]
    return value


def _brute(corpus: list[dict[str, Any]], n: int, within: timedelta) -> tuple[int, int]:
    """The definition, read literally: for incident ``n``, with the symptom it opened with,
    count the others fixed with that symptom (as each stood when fixed) in the window by a fix
    still holding at its opening (no reopen since), and all opened with it in the window (as
    each stood when opened); no fingerprint without a symptom."""
    me = corpus[n]
    until = _at(me["opened_at"])
    key = _symptom_at(me, until)
    if key is None:
        return (0, 1)
    since = until - within

    def fixed(data: dict[str, Any]) -> bool:
        reopens = [_at(e["at"]) for e in data["events"] if e["type"] == "reopened"]
        return any(
            since <= at <= until
            and not any(at < r <= until for r in reopens)  # still holding at the opening
            and _symptom_at(data, at) == key
            for at in (_at(e["at"]) for e in data["events"] if e["type"] == "resolved")
        )

    def opened(data: dict[str, Any]) -> bool:
        at = _at(data["opened_at"])
        return since <= at <= until and _symptom_at(data, at) == key

    return (sum(1 for d in corpus if d is not me and fixed(d)), sum(map(opened, corpus)))


def _known_at(data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The incident ``data`` as a middleware knew it at ``at``: its events up to then."""
    out = dict(data, events=[e for e in data["events"] if _at(e["at"]) <= at])
    symptom = _symptom_at(data, at)
    out["fields"] = {} if symptom is None else {"u_symptom": symptom}
    return out


@st.composite
def corpora(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Incidents fixed, reopened and fixed again, and recategorised (another symptom, or
    none) at instants that fall on their opening and fixes now and then."""
    out = []
    for n in range(draw(st.integers(1, 9))):
        opened = T0 + draw(st.integers(0, 90)) * DAY + draw(st.sampled_from([0, 1])) * US
        gaps = draw(st.lists(st.integers(0, 40), max_size=3))
        steps: list[tuple[datetime, str]] = []
        at = opened
        for k, gap in enumerate(gaps):
            at = at + gap * DAY + timedelta(hours=2)
            if k:
                steps.append((steps[-1][0] + timedelta(hours=1), "reopened"))
            steps.append((at, "resolved"))
        moves = draw(
            st.lists(
                st.tuples(
                    st.integers(0, 60),
                    st.sampled_from([0, 2, 4]),
                    st.sampled_from(["=bounce", "=spam", "="]),
                ),
                max_size=2,
            )
        )
        steps += [(opened + d * DAY + timedelta(hours=h), what) for d, h, what in moves]
        steps.sort(key=lambda step: step[0])  # stable: a fix before a change at its instant
        # a change says what the symptom was: it opened with one when one changes it
        symptom = draw(st.sampled_from(["bounce", "spam"] + ([] if moves else [None])))
        out.append(recategorised(f"T{n}", opened, symptom, *steps))
    return out


@settings(max_examples=150)
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
        assert _brute(corpus, n, 30 * DAY) == (r, o)
        assert flags[ticket.id].recurred == (r > 0)
        assert flags[ticket.id].occurrences == o
        assert again[ticket.id] == got
        others = [t for t in tickets if t is not ticket]
        assert got == recurrence_fields(ticket, others, POLICY)
        # only the past counts: what a middleware knew when the ticket opened gives the same
        until = ticket.opened_at
        known = [_known_at(d, until) for d in corpus if _at(d["opened_at"]) <= until]
        me = next(d for d in known if d["id"] == ticket.id)
        assert got == recurrence_fields(me, [d for d in known if d is not me], POLICY)
