"""Recurrence: fingerprints from declared fields, "recurred within N days after a fix" with
both window ends included, occurrences in the window and counts per fingerprint."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalate import Ticket
from escalate.errors import ArgumentError, NaiveDatetimeError
from escalate.learning.recurrence import fingerprint, fixes, recurrence_counts, recurrences

from .corpus import JIRA

DAY = timedelta(days=1)
T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat()


def ticket(id_: str, opened: datetime, fixed: datetime | None = None, **fields: Any) -> Ticket:
    fields = {"service": "mail", "category": "outage", "subcategory": "smtp", **fields}
    events = [] if fixed is None else [{"at": iso(fixed), "type": "resolved"}]
    data = {"id": id_, "opened_at": iso(opened), "events": events}
    data.update({k: v for k, v in fields.items() if v is not None})
    return Ticket.from_mapping(data)


def by_id(found: list[Any]) -> dict[str, Any]:
    return {r.ticket_id: r for r in found}


def test_a_ticket_opened_exactly_n_days_after_a_fix_recurred_a_microsecond_later_not() -> None:
    fix = T0 + timedelta(hours=2)
    found = by_id(
        recurrences(
            [
                ticket("A", T0, fix),
                ticket("B", fix + 30 * DAY),  # exactly 30 days: recurred
                ticket("C", fix + 30 * DAY + timedelta(microseconds=1)),  # just past: not
            ]
        )
    )
    assert (True, "A", fix) == (found["B"].recurred, found["B"].after, found["B"].fixed_at)
    assert (False, None) == (found["C"].recurred, found["C"].after)
    assert not found["A"].recurred  # nothing was fixed before it opened


def test_a_ticket_opened_before_the_other_was_fixed_did_not_recur_after_that_fix() -> None:
    found = by_id(recurrences([ticket("A", T0, T0 + 2 * DAY), ticket("B", T0 + DAY)]))
    assert not found["B"].recurred  # A was still open: a duplicate, not a recurrence


def test_missing_fields_give_no_fingerprint_and_never_group_together() -> None:
    a = ticket("A", T0, T0 + DAY, subcategory=None)
    b = ticket("B", T0 + 2 * DAY, subcategory=None)
    c = ticket("C", T0 + 3 * DAY, service=None)
    found = by_id(recurrences([a, b, c]))
    assert [None, None, None] == [found[x].fingerprint for x in "ABC"]
    assert [False, False, False] == [found[x].recurred for x in "ABC"]
    assert [1, 1, 1] == [found[x].occurrences for x in "ABC"]


def test_declared_fields_choose_what_makes_the_same_problem() -> None:
    a = ticket("A", T0, T0 + DAY, subcategory="smtp")
    b = ticket("B", T0 + 2 * DAY, subcategory="imap")
    assert not by_id(recurrences([a, b]))["B"].recurred  # default: subcategory differs
    narrow = by_id(recurrences([a, b], fields=("service", "category")))
    assert ("A", ("mail", "outage")) == (narrow["B"].after, narrow["B"].fingerprint)
    custom = ticket("X", T0, fields={"symptom": "bounce", "n": 3})
    assert ("bounce", "int:3") == fingerprint(custom, ("fields.symptom", "fields.n"))


def test_occurrences_count_the_window_itself_included_third_in_30_days() -> None:
    found = by_id(
        recurrences(
            [
                ticket("A", T0, T0 + DAY),
                ticket("B", T0 + 10 * DAY, T0 + 11 * DAY),
                ticket("C", T0 + 30 * DAY),  # A opened exactly 30 days before: in the window
                ticket("D", T0 + 42 * DAY),  # A and B opened 42, 32 days before: out; C in
            ]
        )
    )
    assert [1, 2, 3, 2] == [found[x].occurrences for x in "ABCD"]
    assert ("B", T0 + 11 * DAY) == (found["C"].after, found["C"].fixed_at)  # the latest fix
    assert not found["D"].recurred  # B's fix 31 days before, C never fixed


def test_every_fix_counts_a_reopened_ticket_was_fixed_twice() -> None:
    a = Ticket.from_mapping(
        {
            "id": "A",
            "opened_at": iso(T0),
            "service": "mail",
            "category": "outage",
            "subcategory": "smtp",
            "events": [
                {"at": iso(T0 + DAY), "type": "resolved"},
                {"at": iso(T0 + 2 * DAY), "type": "reopened"},
                {"at": iso(T0 + 20 * DAY), "type": "resolved"},
            ],
        }
    )
    b = ticket("B", T0 + 45 * DAY)  # 44 days after the first fix, 25 after the second
    found = by_id(recurrences([a, b]))
    assert (True, T0 + 20 * DAY) == (found["B"].recurred, found["B"].fixed_at)


def test_counts_per_fingerprint_in_a_window_and_input_order_does_not_matter() -> None:
    tickets = [
        ticket("A", T0, T0 + DAY),
        ticket("B", T0 + 5 * DAY, T0 + 6 * DAY),
        ticket("C", T0 + 8 * DAY, service="db"),
        ticket("D", T0 + 9 * DAY),
        ticket("E", T0 + 9 * DAY, category=None),
    ]
    expected = [r.to_dict() for r in recurrences(tickets)]
    for seed in range(3):
        shuffled = list(tickets)
        random.Random(seed).shuffle(shuffled)
        assert expected == [r.to_dict() for r in recurrences(shuffled)]
    counts = recurrence_counts(recurrences(tickets), since=T0 + DAY, until=T0 + 9 * DAY)
    # A opened before the window, D and E at its (excluded) end: B and C remain
    assert [(("db", "outage", "smtp"), 1, 0), (("mail", "outage", "smtp"), 1, 1)] == counts


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": ("colour",)}, "unknown fingerprint field 'colour'"),
        ({"fields": ()}, "at least one field"),
        ({"within": -DAY}, "must be longer than zero"),
    ],
)
def test_bad_arguments_are_argument_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        recurrences([ticket("A", T0)], **kwargs)


def events_ticket(id_: str, opened: datetime, *events: tuple[datetime, str]) -> Ticket:
    data = {
        "id": id_,
        "opened_at": iso(opened),
        "service": "mail",
        "category": "outage",
        "subcategory": "smtp",
        "events": [
            {"at": iso(at), "type": "status-changed", "status": kind}
            if kind not in ("resolved", "closed", "reopened")
            else {"at": iso(at), "type": kind}
            for at, kind in events
        ],
    }
    return Ticket.from_mapping(data)


def test_closing_a_resolved_ticket_is_not_a_second_fix() -> None:
    # review defect 8: ServiceNow closes resolved incidents days later; that close counted as
    # a fix, so B (35 days after A's resolution, 28 after its close) "recurred"
    a = events_ticket("A", T0, (T0 + timedelta(hours=1), "resolved"), (T0 + 7 * DAY, "closed"))
    b = ticket("B", T0 + 35 * DAY)
    assert (T0 + timedelta(hours=1),) == fixes(a)
    assert not by_id(recurrences([a, b]))["B"].recurred
    # closed without a resolution first is a fix
    c = events_ticket("C", T0, (T0 + 7 * DAY, "closed"))
    assert (T0 + 7 * DAY,) == fixes(c)


def test_a_fix_undone_by_a_reopen_does_not_make_later_tickets_recurrences() -> None:
    # review defect 9: A was reopened (still open) when B opened: B duplicates an open ticket
    a = events_ticket("A", T0, (T0 + DAY, "resolved"), (T0 + 2 * DAY, "reopened"))
    b = ticket("B", T0 + 4 * DAY)
    early = ticket("E", T0 + DAY + timedelta(hours=1))  # opened while A's fix held
    found = by_id(recurrences([a, b, early]))
    assert (False, True, "A") == (found["B"].recurred, found["E"].recurred, found["E"].after)
    # reopened at the very instant B opened: undone for B
    c = events_ticket("C", T0, (T0 + DAY, "resolved"), (T0 + 4 * DAY, "reopened"))
    assert not by_id(recurrences([c, b]))["B"].recurred


def test_cancellation_fixes_nothing_and_a_policys_own_status_does() -> None:
    # review defect 3: only the literal resolved/closed counted
    cancelled = events_ticket("A", T0, (T0 + DAY, "cancelled"))
    assert () == fixes(cancelled)
    assert not by_id(recurrences([cancelled, ticket("B", T0 + 2 * DAY)]))["B"].recurred
    done = events_ticket("J", T0, (T0 + DAY, "Fixed"))
    assert (T0 + DAY,) == fixes(done, JIRA)
    assert () == fixes(done)  # without the policy "Fixed" is no status escalate knows
    found = by_id(recurrences([done, ticket("B", T0 + 2 * DAY)], policy=JIRA))
    assert (True, "J") == (found["B"].recurred, found["B"].after)


def test_a_fix_at_the_opening_counts_whatever_the_fixing_tickets_id() -> None:
    # review defect 19: a sentinel id in the binary search missed ids sorting after it
    for fixer in ("A", "\U0010ffff-2"):
        found = by_id(recurrences([ticket(fixer, T0, T0 + DAY), ticket("B", T0 + DAY)]))
        assert (True, fixer) == (found["B"].recurred, found["B"].after)


def test_windows_and_instants_are_checked_and_a_long_window_starts_at_the_earliest() -> None:
    # review defect 18: TypeError, OverflowError, or an empty answer for a reversed window
    found = recurrences([ticket("A", T0, T0 + DAY), ticket("B", T0 + 400 * DAY)])
    with pytest.raises(NaiveDatetimeError, match="since"):
        recurrence_counts(found, since=datetime(2024, 1, 1), until=T0)
    with pytest.raises(ArgumentError, match="after until"):
        recurrence_counts(found, since=T0, until=T0 - DAY)
    with pytest.raises(ArgumentError, match="within must be a timedelta"):
        recurrences([ticket("A", T0)], within=30)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="sequence of field names"):
        recurrences([ticket("A", T0)], fields="service")
    huge = by_id(
        recurrences(
            [ticket("A", T0, T0 + DAY), ticket("B", T0 + 400 * DAY)],
            within=timedelta(days=740_000),
        )
    )
    assert (True, 2) == (huge["B"].recurred, huge["B"].occurrences)


def test_two_fixes_at_one_instant_one_undone_the_other_holding() -> None:
    fixed = T0 + DAY
    a = events_ticket("A", T0, (fixed, "resolved"))
    b = events_ticket("B", T0, (fixed, "resolved"), (T0 + 2 * DAY, "reopened"))
    found = by_id(recurrences([a, b, ticket("C", T0 + 3 * DAY)]))
    assert (True, "A", fixed) == (found["C"].recurred, found["C"].after, found["C"].fixed_at)
    # of two fixes holding at one instant the greater id is named
    c = events_ticket("Z", T0, (fixed, "resolved"))
    assert "Z" == by_id(recurrences([a, c, ticket("C", T0 + 3 * DAY)]))["C"].after


def test_fingerprints_are_read_as_of_an_instant_an_assignment_or_a_field_change_applied() -> None:
    a = Ticket.from_mapping(
        {
            "id": "A",
            "opened_at": iso(T0),
            "service": "mail",
            "events": [
                {"at": iso(T0), "type": "assigned", "group": "network"},
                {"at": iso(T0 + DAY), "type": "field-changed", "field": "category",
                 "from": "outage", "to": "spam"},
                {"at": iso(T0 + 2 * DAY), "type": "assigned", "group": "mail-ops"},
            ],
        }
    )  # fmt: skip
    fields = ("service", "category", "assignment_group")
    assert ("mail", "outage", "network") == fingerprint(a, fields, at=T0)  # at the opening
    assert ("mail", "spam", "network") == fingerprint(a, fields, at=T0 + DAY)  # both ends
    assert (
        ("mail", "spam", "mail-ops")
        == fingerprint(a, fields)
        == fingerprint(a, fields, at=T0 + 9 * DAY)
    )
    assert fingerprint(a, fields, at=T0 - DAY) is None  # before its first assignment
    with pytest.raises(NaiveDatetimeError, match="at"):
        fingerprint(a, fields, at=datetime(2024, 5, 1))


def test_flags_read_each_fingerprint_as_of_the_instant_that_counts() -> None:
    # review defect 12: A fixed as a network problem, moved to another group after B opened
    a = Ticket.from_mapping(
        {
            "id": "A",
            "opened_at": iso(T0),
            "service": "mail",
            "events": [
                {"at": iso(T0), "type": "assigned", "group": "network"},
                {"at": iso(T0 + DAY), "type": "resolved"},
                {"at": iso(T0 + 5 * DAY), "type": "assigned", "group": "mail-ops"},
            ],
        }
    )
    b = ticket("B", T0 + 3 * DAY, assignment_group="network")
    c = ticket("C", T0 + 6 * DAY, assignment_group="mail-ops")
    found = by_id(recurrences([a, b, c], fields=("service", "assignment_group")))
    assert (True, "A", ("mail", "network")) == (
        found["B"].recurred,
        found["B"].after,
        found["B"].fingerprint,
    )
    assert ("mail", "network") == found["A"].fingerprint  # as it opened
    assert (False, 1) == (found["C"].recurred, found["C"].occurrences)  # A: not mail-ops then


# -- the last review: a field named twice, a window of zero ------------------------------------


def test_a_fingerprint_field_named_twice_is_refused() -> None:
    # as the policy's recurrence.fingerprint refuses it ("'service' is listed twice")
    with pytest.raises(ArgumentError, match="fingerprint field 'service' is listed twice"):
        recurrences([], fields=("service", "category", "service"))
    with pytest.raises(ArgumentError, match=r"fingerprint field 'fields\.x' is listed twice"):
        fingerprint(Ticket("T1", datetime(2024, 6, 3, tzinfo=UTC)), ("fields.x", "fields.x"))


def test_a_window_of_zero_is_refused_as_the_policy_refuses_it() -> None:
    with pytest.raises(ArgumentError, match="within must be longer than zero, got 0:00:00"):
        recurrences([], within=timedelta(0))
