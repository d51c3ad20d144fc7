"""Bad post-mortem events and sections: each an error naming where it is and what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from escalate import Event, PolicyError, Ticket, TicketError, loads
from tests.postmortem.policies import BASE, item, pm, policy

OPENED = "2024-10-25T10:00:00Z"


def read(*events: dict[str, Any]) -> Ticket:
    return Ticket.from_mapping({"id": "T1", "opened_at": OPENED, "events": list(events)})


def refused(*events: dict[str, Any]) -> TicketError:
    with pytest.raises(TicketError) as caught:
        read(*events)
    return caught.value


def test_an_item_done_naming_no_recorded_item_names_the_event_and_the_closest_id() -> None:
    error = refused(
        item("2024-10-25T11:00:00Z", "fix-dns"),
        item("2024-10-25T11:00:00Z", "add-alert"),
        pm("2024-10-25T12:00:00Z", "item-done", item="fix-dsn"),
    )
    assert str(error) == (
        "events[2].item: item-done names an item no earlier 'item' event recorded (items: "
        "add-alert, fix-dns) (did you mean 'fix-dns'?) (got 'fix-dsn')"
    )


def test_an_item_done_before_the_item_was_recorded_is_an_error() -> None:
    error = refused(
        pm("2024-10-25T11:00:00Z", "item-done", item="fix-dns"),
        item("2024-10-25T12:00:00Z", "fix-dns"),
    )
    assert ("events", 0, "item") == error.path
    assert "(items: none yet)" in str(error)


def test_an_item_closed_twice_names_the_event_that_closed_it() -> None:
    error = refused(
        item("2024-10-25T11:00:00Z", "fix-dns"),
        pm("2024-10-25T12:00:00Z", "item-done", item="fix-dns"),
        pm("2024-10-25T13:00:00Z", "item-dropped", item="fix-dns", reason="dup"),
    )
    assert (
        str(error)
        == "events[2].item: item 'fix-dns' was already closed by events[1] (got 'fix-dns')"
    )


def test_an_item_recorded_again_after_it_was_closed_is_an_error() -> None:
    error = refused(
        item("2024-10-25T11:00:00Z", "fix-dns"),
        pm("2024-10-25T12:00:00Z", "item-dropped", item="fix-dns", reason="not needed"),
        item("2024-10-25T13:00:00Z", "fix-dns"),
    )
    assert ("events", 2, "item") == error.path
    assert "was closed by events[1]" in str(error)


@pytest.mark.parametrize(
    ("event", "path", "message"),
    [
        (
            pm(OPENED, "assigned"),
            ("events", 0, "owner"),
            "a post-mortem 'assigned' event needs 'owner'",
        ),
        (
            pm(OPENED, "item", item="fix-dns", owner="anna"),
            ("events", 0, "title"),
            "a post-mortem 'item' event needs 'title'",
        ),
        (
            pm(OPENED, "item-dropped", item="x"),
            ("events", 0, "reason"),
            "a post-mortem 'item-dropped' event needs 'reason'",
        ),
        (
            pm(OPENED, "published", owner="anna"),
            ("events", 0, "owner"),
            "a post-mortem 'published' event takes no 'owner'",
        ),
        (
            pm(OPENED, "item-done", item="x", due="2024-10-26T10:00:00Z"),
            ("events", 0, "due"),
            "a post-mortem 'item-done' event takes no 'due'",
        ),
        (
            item(OPENED, "Fix-DNS"),
            ("events", 0, "item"),
            "an action item id is a lower-case id",
        ),
        (
            item(OPENED, "document"),
            ("events", 0, "item"),
            "'document' names the post-mortem document itself",
        ),
        (
            pm(OPENED, "itemdone", item="x"),
            ("events", 0, "change"),
            "unknown post-mortem change; expected one of assigned, item, item-done, "
            "item-dropped, published (did you mean 'item-done'?)",
        ),
        (
            item(OPENED, "fix-dns", due="2024-10-26T10:00:00"),
            ("events", 0, "due"),
            "timestamp has no UTC offset",
        ),
        (
            pm(OPENED, "assigned", owner="anna", milestone="gdpr-aware"),
            ("events", 0, "milestone"),
            "'postmortem' events take no 'milestone'",
        ),
    ],
)
def test_a_bad_post_mortem_event_names_its_index_and_key(
    event: dict[str, Any], path: tuple[object, ...], message: str
) -> None:
    error = refused(event)
    assert (path, True) == (error.path, message in str(error)), str(error)


def test_changes_are_read_ignoring_case_and_separators() -> None:
    ticket = read(item(OPENED, "fix-dns"), pm(OPENED, "Item Done", item="fix-dns"))
    assert ["item", "item-done"] == [e.change for e in ticket.events]


def test_an_event_built_in_python_with_a_naive_due_is_refused() -> None:
    opened = datetime(2024, 10, 25, 10, tzinfo=UTC)
    event = Event(
        0, opened, "postmortem", change="assigned", owner="anna", due=datetime(2024, 11, 1)
    )
    with pytest.raises(TicketError) as caught:
        Ticket("T1", opened, events=[event])
    assert ("events", 0, "due") == caught.value.path


def test_with_events_checks_added_items_against_the_history_so_far() -> None:
    ticket = read(item("2024-10-25T11:00:00Z", "fix-dns"))
    later = datetime(2024, 10, 25, 12, tzinfo=UTC)
    grown = ticket.with_events([Event(1, later, "postmortem", change="item-done", item="fix-dns")])
    assert "item-done" == grown.events[-1].change
    with pytest.raises(TicketError, match="did you mean 'fix-dns'"):
        ticket.with_events([Event(1, later, "postmortem", change="item-done", item="fixdns")])


SECTION_ERRORS = [
    (
        "postmortem:\n  escalation:\n    - {at: 100%, escalate: {path: desk, to: L2}}\n",
        "pm.yaml:22:18: postmortem.escalation[0].escalate: post-mortem thresholds cannot "
        "escalate: escalation paths do not move once the ticket ended",
    ),
    (
        "postmortem:\n  document_escalation:\n    - {at: 100%, status_page: {component: web, "
        "state: major-outage}}\n",
        "pm.yaml:22:18: postmortem.document_escalation[0].status_page: post-mortem thresholds "
        "cannot status_page",
    ),
    (
        "postmortem:\n  escalation:\n    - {at: 100%, notify: {to: [item-owner], plan: true}}\n",
        "pm.yaml:22:45: postmortem.escalation[0].notify.plan: notification plans deliver",
    ),
    (
        "postmortem:\n  document_escalation:\n    - {at: 100%, notify: {to: [item-owner]}}\n",
        "pm.yaml:22:32: postmortem.document_escalation[0].notify.to[0]: 'item-owner' stands for "
        "an owner in post-mortem follow-up: only postmortem.escalation takes it",
    ),
    (
        "postmortem:\n  items: {due: 2bd, calendar: ofice}\n",
        "pm.yaml:21:21: postmortem.items.calendar: unknown calendar 'ofice' (did you mean "
        "'office'?)",
    ),
    (
        "postmortem:\n  items: {due: 2x}\n",
        "pm.yaml:21:11: postmortem.items.due: expected a duration",
    ),
    (
        "postmortem:\n  escalation:\n    - {at: 150%, notify: {to: [item-owner]}}\n"
        "    - {at: 100%, notify: {to: [item-owner]}}\n",
        "pm.yaml:23:8: postmortem.escalation[1].at: ladder rungs must rise: 100% is not above "
        "the rung before it",
    ),
]


@pytest.mark.parametrize(("section", "message"), SECTION_ERRORS)
def test_a_bad_section_names_the_key_and_its_position(section: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        policy(section=section)
    assert str(caught.value).startswith(message), str(caught.value)


def test_an_owner_target_in_a_rule_is_refused() -> None:
    rule = "  - {id: r, when: {priority: P1}, then: {notify: {to: [postmortem-owner]}}}\n"
    with pytest.raises(
        PolicyError, match=r"only postmortem\.escalation and document_escalation take"
    ):
        policy(rules=rule)


@pytest.mark.parametrize(
    ("owner", "message"),
    [
        ("role:problem-manger", "unknown role 'problem-manger' (did you mean 'problem-manager'?)"),
        ("customer", "target 'customer' must look like '<kind>:<name>'"),
    ],
)
def test_a_bad_require_postmortem_owner_is_a_load_error(owner: str, message: str) -> None:
    text = BASE.replace("owner: role:problem-manager", f"owner: {owner}")
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="pm.yaml")
    assert caught.value.path == ("rules", 0, "then", "require_postmortem", "owner")
    assert message in str(caught.value)
