"""Comment events carry an optional text: read strictly, kept through to_dict, in the schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from escalate import Event, Ticket, TicketError
from escalate.schemas import json_schema

OPENED = "2024-11-20T10:00:00Z"


def _ticket(event: dict[str, object]) -> Ticket:
    return Ticket.from_mapping({"id": "T1", "opened_at": OPENED, "events": [event]})


def test_a_comment_keeps_its_text_through_to_dict() -> None:
    ticket = _ticket({"at": OPENED, "type": "comment", "text": "line one\nline two"})
    assert "line one\nline two" == ticket.events[0].text
    assert {"at": "2024-11-20T10:00:00+00:00", "text": "line one\nline two", "type": "comment"} == (
        ticket.to_dict()["events"][0]  # type: ignore[index]
    )
    assert Ticket.from_mapping(ticket.to_dict()).digest() == ticket.digest()


def test_a_comment_without_text_is_still_a_comment() -> None:
    assert _ticket({"at": OPENED, "type": "comment"}).events[0].text is None


def test_only_comments_take_a_text() -> None:
    with pytest.raises(TicketError, match="'acknowledged' events take no 'text'"):
        _ticket({"at": OPENED, "type": "acknowledged", "text": "x"})


def test_a_text_hiding_control_characters_is_refused() -> None:
    with pytest.raises(TicketError) as caught:
        _ticket({"at": OPENED, "type": "comment", "text": "a\x1bb"})
    assert ("events", 0, "text") == caught.value.path


def test_a_comment_built_in_python_is_checked_too() -> None:
    at = datetime(2024, 11, 20, 10, tzinfo=UTC)
    with pytest.raises(TicketError) as caught:
        Ticket("T1", at, events=[Event(0, at, "comment", text="a\u202eb")])
    assert ("events", 0, "text") == caught.value.path


def test_the_ticket_schema_describes_the_text() -> None:
    schema = json_schema("ticket")
    comment = schema["$defs"]["CommentEvent"]
    assert "text" in comment["properties"]
