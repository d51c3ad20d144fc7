"""Alertmanager webhooks read into tickets: fixtures written from the documented format.

Format: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config and
prometheus/alertmanager notify/webhook/webhook.go (``Message``) with template/template.go
(``Data``, ``Alert``); see fixtures/alertmanager/README.md.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import escalate
from escalate.adapters.alertmanager import (
    AlertmanagerMapping,
    apply_webhook,
    parse_time,
    read_webhook,
)
from escalate.errors import TicketError

FIXTURES = Path(__file__).parent / "fixtures" / "alertmanager"
ROOT = Path(__file__).parents[2]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


MALFORMED = fixture("malformed.json")


def test_a_firing_alert_is_a_ticket_opened_at_its_start_named_by_its_fingerprint() -> None:
    first, second = read_webhook(fixture("firing.json"))
    assert ("ALERT-1a30ba71cca2921f", "ALERT-c6eadffa33fcdf37") == (first.id, second.id)
    assert datetime(2024, 6, 3, 7, 52, 26, 739266, tzinfo=UTC) == first.opened_at
    assert ("new", ()) == (first.status, first.events)


def test_labels_map_to_priority_service_group_and_fields() -> None:
    first, second = read_webhook(fixture("firing.json"))
    assert ("P1", "P3") == (first.priority, second.priority)
    assert ("checkout", "payments") == (first.service, first.assignment_group)
    assert {
        "alertname": "HighErrorRate",
        "annotation.runbook_url": "https://runbooks.example.com/high-error-rate",
        "annotation.summary": "5xx rate above 5% on checkout-1",
        "alert.fingerprint": "1a30ba71cca2921f",
        "alert.generator_url": "http://prometheus.example.com:9090/graph?g0.expr=job%3Acheckout"
        "%3Aerrors%3Arate5m+%3E+0.05&g0.tab=1",
        "instance": "checkout-1:8080",
        "job": "checkout",
    } == dict(first.fields)


def test_a_firing_alerts_ends_at_estimate_is_not_a_resolution() -> None:
    _, second = read_webhook(fixture("firing.json"))
    assert ("new", ()) == (second.status, second.events)


def test_a_resolved_alert_is_a_ticket_with_a_resolved_event_at_its_end() -> None:
    first, second = read_webhook(fixture("resolved.json"))
    assert "resolved" == first.status
    assert [("resolved", datetime(2024, 6, 3, 8, 41, 7, 999, tzinfo=UTC))] == [
        (e.type, e.at) for e in first.events
    ]
    assert "new" == second.status


def test_a_resolve_arriving_after_the_firing_resolves_that_ticket() -> None:
    tickets = apply_webhook(apply_webhook({}, fixture("firing.json")), fixture("resolved.json"))
    assert {"ALERT-1a30ba71cca2921f": "resolved", "ALERT-c6eadffa33fcdf37": "new"} == {
        i: t.status for i, t in tickets.items()
    }
    opened = read_webhook(fixture("firing.json"))[0].opened_at
    assert opened == tickets["ALERT-1a30ba71cca2921f"].opened_at


def test_repeated_notifications_add_nothing() -> None:
    once = apply_webhook(apply_webhook({}, fixture("firing.json")), fixture("resolved.json"))
    again = apply_webhook(apply_webhook(once, fixture("firing.json")), fixture("resolved.json"))
    assert [t.to_dict() for t in once.values()] == [t.to_dict() for t in again.values()]


def test_the_same_fingerprint_firing_again_after_its_resolution_reopens_the_ticket() -> None:
    resolved = apply_webhook({}, fixture("resolved.json"))
    later = fixture("firing.json")
    later["alerts"][0]["startsAt"] = "2024-06-03T12:00:00Z"
    ticket = apply_webhook(resolved, later)["ALERT-1a30ba71cca2921f"]
    assert ("in-progress", ["resolved", "reopened"]) == (
        ticket.status,
        [e.type for e in ticket.events],
    )


def test_a_late_firing_notification_does_not_reopen_a_resolved_ticket() -> None:
    resolved = apply_webhook({}, fixture("resolved.json"))
    assert resolved == apply_webhook(resolved, fixture("firing.json"))


def test_apply_webhook_does_not_change_the_tickets_it_is_given() -> None:
    tickets = apply_webhook({}, fixture("firing.json"))
    before = dict(tickets)
    apply_webhook(tickets, fixture("resolved.json"))
    assert before == tickets


def test_a_declared_mapping_names_the_prefix_labels_and_priorities() -> None:
    mapping = AlertmanagerMapping(
        id_prefix="MON-",
        severity_label="urgency",
        priorities={"page": "P2"},
        service_label=None,
        team_label="owner",
    )
    payload = fixture("firing.json")
    payload["alerts"] = payload["alerts"][:1]
    payload["alerts"][0]["labels"] = {"urgency": "page", "owner": "sre", "service": "checkout"}
    (ticket,) = read_webhook(payload, mapping)
    assert ("MON-1a30ba71cca2921f", "P2", None, "sre", "checkout") == (
        ticket.id,
        ticket.priority,
        ticket.service,
        ticket.assignment_group,
        ticket.fields["service"],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-03T09:52:26.739266876+02:00", datetime(2024, 6, 3, 7, 52, 26, 739266, UTC)),
        ("2024-06-03T09:52:26.739266999Z", datetime(2024, 6, 3, 9, 52, 26, 739266, UTC)),
        ("2024-06-03T09:52:26Z", datetime(2024, 6, 3, 9, 52, 26, tzinfo=UTC)),
        ("2024-06-03T09:52:26.5-07:00", datetime(2024, 6, 3, 16, 52, 26, 500000, UTC)),
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_go_timestamps_are_truncated_to_microseconds_in_utc(
    text: str, expected: datetime | None
) -> None:
    assert expected == parse_time(text)


@pytest.mark.parametrize("case", MALFORMED, ids=[case["why"] for case in MALFORMED])
def test_a_malformed_payload_is_refused_naming_the_field_and_value(case: dict[str, Any]) -> None:
    with pytest.raises(TicketError) as caught:
        read_webhook(case["payload"])
    assert (tuple(case["path"]), case["value"]) == (caught.value.path, caught.value.value)


@pytest.mark.parametrize("payload", [None, [], "x", 4])
def test_a_payload_that_is_not_an_object_is_refused(payload: object) -> None:
    with pytest.raises(TicketError) as caught:
        read_webhook(payload)
    assert ((), payload) == (caught.value.path, caught.value.value)


def test_a_resolve_older_than_the_tickets_history_is_refused_naming_the_alert() -> None:
    tickets = apply_webhook({}, fixture("firing.json"))
    moved = tickets["ALERT-1a30ba71cca2921f"].with_events(
        [escalate.Event(0, datetime(2024, 6, 3, 9, tzinfo=UTC), "acknowledged")]
    )
    with pytest.raises(TicketError) as caught:
        apply_webhook({**tickets, moved.id: moved}, fixture("resolved.json"))
    assert ("alerts", 0, "endsAt") == caught.value.path


# --------------------------------------------------------------------------------------------
# Properties: payload -> tickets -> decisions is deterministic and only ever raises TicketError
# --------------------------------------------------------------------------------------------

POLICY = escalate.load(ROOT / "rules" / "itil-default.yaml")
NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(max_size=12),
    st.sampled_from(["firing", "resolved", "0001-01-01T00:00:00Z", "2024-06-03T13:00:00Z", "4"]),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*path, i))
    return out


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    payload = copy.deepcopy(fixture(draw(st.sampled_from(["firing.json", "resolved.json"]))))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(_paths(payload)[1:]))
        parent = payload
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(_LEAVES)
    return payload


def _round_trip(payload: Any) -> list[str]:
    tickets = apply_webhook({}, payload)
    return [POLICY.evaluate(t, now=NOW).to_json() for t in tickets.values()]


@given(mutated_payloads())
def test_a_round_trip_is_deterministic_and_raises_nothing_but_ticket_error(payload: Any) -> None:
    try:
        first = _round_trip(payload)
    except TicketError:
        with pytest.raises(TicketError):
            _round_trip(copy.deepcopy(payload))
        return
    assert first == _round_trip(copy.deepcopy(payload))


@given(mutated_payloads(), mutated_payloads())
def test_merging_a_webhook_twice_equals_merging_it_once(first: Any, second: Any) -> None:
    try:
        once = apply_webhook(apply_webhook({}, first), second)
    except TicketError:
        return
    assert once == apply_webhook(once, second)
