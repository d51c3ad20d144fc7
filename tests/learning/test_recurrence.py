"""Recurrence: fingerprints from declared fields, "recurred within N days after a fix" with
both window ends included, occurrences in the window and counts per fingerprint."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalate import Ticket
from escalate.errors import ArgumentError
from escalate.learning.recurrence import fingerprint, recurrence_counts, recurrences

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
        ({"within": -DAY}, "must not be negative"),
    ],
)
def test_bad_arguments_are_argument_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        recurrences([ticket("A", T0)], **kwargs)
