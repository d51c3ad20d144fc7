"""Policy.replay: every decision byte-identical to Policy.evaluate on the same ticket.

The property draws a realistic ticket (``escalate.testing.tickets``), splits its history into
update batches at random, sometimes with field updates, and interleaves wake-ups (at the last
decision's ``next_evaluation_at`` or at a random later instant). At each step the replay's
decision must equal, as ``Decision.to_json`` text, the decision ``Policy.evaluate`` gives on a
ticket rebuilt from scratch (``Ticket.from_mapping`` of the replay's ticket, so that nothing
folded by the replay is reused), and the replay's ticket must equal the one
``Ticket.with_events`` / ``Ticket.with_fields`` build update after update. A refused update
must be refused by both, with the same message, and leave the replay as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st

import escalate
from escalate import Event, Policy, Ticket, TicketError
from escalate.engine.ticket import Customer
from escalate.testing import tickets as gen
from tests.policy_helpers import policy as policy_of

ROOT = Path(__file__).resolve().parents[2]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPENED = datetime(2024, 6, 3, 9, tzinfo=UTC)
# Fields the history may set: left out of the starting ticket when it does, so that the
# updates derive them (a ticketing system's first webhook knows no later value).
_SET_BY = {
    "status": ("status-changed", "resolved", "closed", "reopened"),
    "priority": ("priority-changed",),
    "assignment_group": ("assigned", "field-changed"),
    "assignee": ("assigned", "field-changed"),
    "category": ("field-changed",),
    "service": ("field-changed",),
}


@cache
def policy() -> Policy:
    return escalate.load(ROOT / "rules" / "itil-default.yaml")


def fresh(ticket: Ticket) -> Ticket:
    """The same ticket built from scratch: checked and folded anew, nothing shared."""
    return Ticket.from_mapping(ticket.to_dict())


def oracle(ticket: Ticket, now: datetime) -> str:
    return policy().evaluate(fresh(ticket), now=now).to_json()


# ---------------------------------------------------------------------------------------------
# Generated histories
# ---------------------------------------------------------------------------------------------

field_updates = st.one_of(
    st.fixed_dictionaries({"category": st.sampled_from(gen.ITIL.categories)}),
    st.fixed_dictionaries({"service": st.none() | st.sampled_from(gen.ITIL.services)}),
    st.fixed_dictionaries({"customer.tier": st.none() | st.sampled_from(gen.ITIL.tiers)}),
    st.fixed_dictionaries({"customer.id": st.none() | st.sampled_from(("acme", "globex"))}),
    # hostile values: refused as the constructor and from_mapping refuse them
    st.fixed_dictionaries({"customer.tier": st.sampled_from((5, "", " ", "gold\n", ["gold"]))}),
    st.fixed_dictionaries({"customer.id": st.sampled_from((7, "", "a\tb", ["acme"]))}),
    st.fixed_dictionaries({"customer.vip": st.booleans()}),
    st.fixed_dictionaries({"region": st.none() | st.sampled_from(("uk", "emea"))}),
    st.fixed_dictionaries({"fields.u_site": st.none() | st.sampled_from(("berlin", "oslo"))}),
    st.fixed_dictionaries(
        {"reassignment_count": st.none() | st.integers(0, 9), "reopen_count": st.none()}
    ),
    st.fixed_dictionaries({"urgency": st.sampled_from(("high", "low"))}),
    st.fixed_dictionaries({"status": st.sampled_from(("assigned", "on-hold"))}),
)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[Ticket, list[tuple[str, Any]]]:
    """A starting ticket and a script: ``("update", (events, fields, now))`` and
    ``("wake", now or None)`` steps (``None``: at the last decision's next evaluation)."""
    data = draw(gen.ticket_mappings(max_events=24))
    whole = Ticket.from_mapping(data)
    types = {event.type for event in whole.events}
    start = {k: v for k, v in data.items() if k != "events"}
    for name, setters in _SET_BY.items():
        if types.intersection(setters):
            start.pop(name, None)
    ticket = Ticket.from_mapping(start)
    events = list(whole.events)
    steps: list[tuple[str, Any]] = []
    last = ticket.opened_at
    i = 0
    while i < len(events) or not steps:
        size = draw(st.integers(0, 4))
        batch = events[i : i + size]
        i += size
        if batch:
            last = max(last, batch[-1].at)
        now = last + draw(st.sampled_from((timedelta(0), timedelta(0), timedelta(minutes=7))))
        fields = draw(st.none() | field_updates) if draw(st.integers(0, 3)) == 0 else None
        steps.append(("update", (batch, fields, now)))
        last = now
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                steps.append(("wake", None))
            else:
                last = last + draw(st.sampled_from((timedelta(minutes=1), timedelta(hours=5))))
                steps.append(("wake", last))
    return ticket, steps


@PROPERTY
@given(script=scripts())
def test_every_decision_of_a_replay_is_the_one_evaluate_gives_on_the_same_ticket(
    script: tuple[Ticket, list[tuple[str, Any]]],
) -> None:
    woken = check_script(*script, note=event)
    event(f"{min(woken, 3)}{'+' if woken >= 3 else ''} wake-ups checked")
    target(woken, label="wake-ups checked")


def test_wake_ups_between_updates_are_checked_against_evaluate() -> None:
    """A script whose wake-ups fall between updates that bring events, one of them past a later
    update's ``now`` (which is then raised to it): every wake-up is compared with evaluate."""
    hour = timedelta(hours=1)
    ack = Event(0, OPENED + 5 * hour, "acknowledged")
    steps: list[tuple[str, Any]] = [
        ("update", ([Event(0, OPENED, "assigned", group="network-ops")], None, OPENED)),
        ("wake", None),  # at the decision's next evaluation
        ("wake", OPENED + hour),
        ("update", ([Event(0, OPENED + hour, "comment")], None, OPENED + hour)),
        ("wake", OPENED + 90 * timedelta(minutes=1)),  # past the next update's now
        ("update", ([], {"category": "database"}, OPENED + hour)),
        ("wake", None),
        ("update", ([ack], None, OPENED + 5 * hour)),
        ("wake", OPENED + 30 * hour),
    ]
    assert 5 == check_script(opened(), steps)


def check_script(
    ticket: Ticket, steps: list[tuple[str, Any]], note: Callable[[str], object] = print
) -> int:
    """Play ``steps`` on a replay of ``ticket`` and on tickets rebuilt from scratch, comparing
    every decision; the number of wake-ups checked."""
    replay = policy().replay(ticket)
    rebuilt = ticket
    last_now: datetime | None = None
    woken = 0
    for step, (kind, arg) in enumerate(steps):
        if kind == "wake":
            decision = replay.decision
            now = arg if arg is not None else decision and decision.next_evaluation_at
            if now is None:
                continue
            now = max(now, last_now) if last_now else now
            if events_after(steps, step, now):
                continue
            try:
                expected = oracle(rebuilt, now)
            except TicketError as exc:
                with pytest.raises(TicketError) as raised:
                    replay.decide(now)
                assert str(exc) == str(raised.value)
                continue
            assert expected == replay.decide(now).to_json()
            last_now = now
            woken += 1
            continue
        batch, fields, now = arg
        if last_now is not None:  # a wake-up went past this update's now: it comes later
            now = max(now, last_now)
        before = replay.ticket, replay.decision
        try:
            grown = rebuilt.with_events(batch)
            if fields is not None:
                grown = grown.with_fields(fields)
            expected = oracle(grown, now)
        except TicketError as exc:
            with pytest.raises(TicketError) as raised:
                replay.update(events=batch, fields=fields, now=now)
            assert str(exc) == str(raised.value)
            assert before == (replay.ticket, replay.decision)  # nothing half-applied
            note("an update refused")
            return woken  # the rest of the script would build on the refused update
        assert expected == replay.update(events=batch, fields=fields, now=now).to_json()
        assert grown == replay.ticket
        assert grown.to_dict() == fresh(replay.ticket).to_dict()
        rebuilt, last_now = grown, now
    note(f"{len(rebuilt.events) // 5 * 5}+ events replayed")
    return woken


def events_after(steps: list[tuple[str, Any]], step: int, now: datetime) -> bool:
    """Whether an update after ``steps[step]`` brings an event before ``now``: a wake-up
    there would go past it (a script stays in time order)."""
    return any(k == "update" and a[0] and a[0][0].at < now for k, a in steps[step + 1 :])


# ---------------------------------------------------------------------------------------------
# Semantics
# ---------------------------------------------------------------------------------------------


def opened(**fields: Any) -> Ticket:
    return Ticket("INC1", OPENED, priority="P2", category="network", **fields)


def test_a_replay_before_its_first_decision_holds_the_ticket_and_no_decision() -> None:
    ticket = opened()
    replay = policy().replay(ticket)
    assert (ticket, None) == (replay.ticket, replay.decision)


def test_an_update_appends_events_indexed_after_the_history() -> None:
    replay = policy().replay(opened())
    replay.update(events=[Event(7, OPENED, "assigned", group="network-ops")], now=OPENED)
    replay.update(events=[Event(0, OPENED, "acknowledged")], now=OPENED)
    assert [(0, "assigned"), (1, "acknowledged")] == [
        (e.index, e.type) for e in replay.ticket.events
    ]


def test_a_wake_up_decides_the_same_ticket_later() -> None:
    replay = policy().replay(opened())
    first = replay.update(now=OPENED)
    ticket = replay.ticket
    assert first.next_evaluation_at is not None
    later = replay.decide(first.next_evaluation_at)
    assert (ticket, later.evaluated_at) == (replay.ticket, first.next_evaluation_at)
    assert later is replay.decision


def test_now_may_repeat_but_never_goes_back() -> None:
    replay = policy().replay(opened())
    replay.update(now=OPENED + timedelta(hours=1))
    replay.decide(OPENED + timedelta(hours=1))
    with pytest.raises(TicketError, match=r"^now: now is before the last decision's"):
        replay.decide(OPENED + timedelta(minutes=59))


def test_a_field_update_sets_fields_no_event_sets() -> None:
    replay = policy().replay(opened())
    replay.update(
        fields={"category": "database", "fields.u_site": "oslo", "customer.tier": "gold"},
        now=OPENED,
    )
    ticket = replay.ticket
    assert ("database", {"u_site": "oslo"}, "gold") == (
        ticket.category,
        dict(ticket.fields),
        ticket.customer.tier,
    )


def test_a_field_update_that_contradicts_the_history_names_the_event_in_the_whole_history() -> None:
    replay = policy().replay(opened())
    for _ in range(3):
        replay.update(events=[Event(0, OPENED, "agent-update")], now=OPENED)
    change = Event(0, OPENED, "field-changed", field="category", to_value="hardware")
    with pytest.raises(TicketError, match=r"events\[3\] \(field-changed\) leaves it 'hardware'"):
        replay.update(events=[change], fields={"category": "database"}, now=OPENED)


def test_a_refused_update_leaves_the_replay_as_it_was() -> None:
    replay = policy().replay(opened())
    decision = replay.update(events=[Event(0, OPENED, "acknowledged")], now=OPENED)
    ticket = replay.ticket
    late = Event(0, OPENED + timedelta(hours=2), "agent-update")
    with pytest.raises(TicketError, match=r"^events\[1\]\.at: event after now"):
        replay.update(events=[late], fields={"category": "database"}, now=OPENED)
    assert (ticket, decision) == (replay.ticket, replay.decision)
    # and the next update goes on from there
    replay.update(events=[late], now=OPENED + timedelta(hours=2))
    assert ["acknowledged", "agent-update"] == [e.type for e in replay.ticket.events]


def test_an_event_before_the_last_one_is_refused_by_its_place_in_the_whole_history() -> None:
    replay = policy().replay(opened())
    hour = OPENED + timedelta(hours=1)
    replay.update(events=[Event(0, hour, "comment")], now=hour)
    with pytest.raises(TicketError, match=r"^events\[1\]\.at: event is earlier than events\[0\]"):
        replay.update(events=[Event(0, OPENED, "comment")], now=OPENED + timedelta(hours=2))


@pytest.mark.parametrize("name", ["nosuch", "status", "", 7])
def test_a_field_change_naming_no_field_is_refused_by_its_place_in_the_whole_history(
    name: object,
) -> None:
    replay = policy().replay(opened())
    replay.update(events=[Event(0, OPENED, "comment")], now=OPENED)
    ticket = replay.ticket
    change = Event(0, OPENED, "field-changed", field=name, to_value="x")  # type: ignore[arg-type]
    with pytest.raises(TicketError, match=r"^events\[1\]\.field: "):
        replay.update(events=[change], now=OPENED)
    with pytest.raises(TicketError, match=r"^events\[1\]\.field: "):
        ticket.with_events([change])
    assert replay.ticket is ticket


def test_an_update_of_what_is_not_an_event_names_its_place_in_the_whole_history() -> None:
    replay = policy().replay(opened())
    replay.update(events=[Event(0, OPENED, "comment")], now=OPENED)
    with pytest.raises(TicketError, match=r"^events\[2\]: an update's events are escalate Event"):
        replay.update(events=[Event(0, OPENED, "comment"), {"type": "comment"}], now=OPENED)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "INC2"}, r"^id: the id names the ticket"),
        ({"events": []}, r"^events: the history grows only through an update's events"),
        ({"categroy": "x"}, r"^categroy: unknown field.*did you mean 'category'"),
        ({"kind": None}, r"^kind: a ticket always has a kind"),
        ({"customer.vip": "yes"}, r"^customer\.vip: customer\.vip must be true or false"),
        ({"reopen_count": -1}, r"^reopen_count: reopen_count must be an integer"),
        ({"customer.tier": 5}, r"^customer\.tier: must be a non-blank string \(got 5\)"),
        ({"customer.tier": " "}, r"^customer\.tier: expected a non-blank string"),
        ({"customer.id": ["acme"]}, r"^customer\.id: must be a non-blank string"),
        ({"customer.id": "a\nb"}, r"^customer\.id: contains the control character U\+000A"),
        ({"fields.": 1}, r"^fields\.: .*\(got 'fields\.'\)$"),
    ],
)
def test_bad_field_updates_are_refused_naming_the_field(
    fields: dict[str, object], message: str
) -> None:
    replay = policy().replay(opened())
    with pytest.raises(TicketError, match=message):
        replay.update(fields=fields, now=OPENED)
    assert replay.decision is None


def test_a_bad_customer_id_is_refused_by_a_policy_whose_rules_read_it() -> None:
    pack = policy_of(CUSTOMER_RULES)
    replay = pack.replay(opened())
    with pytest.raises(TicketError, match=r"^customer\.id: must be a non-blank string") as raised:
        replay.update(fields={"customer.id": ["acme"]}, now=OPENED)
    assert (("customer", "id"), ["acme"]) == (raised.value.path, raised.value.value)
    assert replay.decision is None
    assert ["acme"] == list(replay.update(fields={"customer.id": "acme"}, now=OPENED).clocks)


def test_the_constructor_checks_the_customer_as_from_mapping_does() -> None:
    for key in ("id", "tier"):
        for bad in (5, "", " ", "a\nb", ["gold"]):
            customer = Customer(**{key: bad})
            with pytest.raises(TicketError) as built:
                Ticket("INC1", OPENED, customer=customer)
            with pytest.raises(TicketError) as read:
                Ticket.from_mapping(
                    {"id": "INC1", "opened_at": OPENED.isoformat(), "customer": {key: bad}}
                )
            assert (("customer", key), bad) == (built.value.path, built.value.value)
            assert (read.value.path, read.value.value) == (built.value.path, built.value.value)


CUSTOMER_RULES = """
clocks:
  acme:
    when: {customer.id: {in: [acme, globex]}}
    stop: {event: acknowledged}
    targets: {default: {within: 30m}}
"""


def test_a_policy_with_segments_decides_each_update_with_the_segment_the_ticket_is_in_now() -> None:
    pack = policy()
    assert pack.segments
    replay = pack.replay(opened())
    seen = []
    for fields in ({"region": "uk"}, {"region": None, "business_unit": "globex"}, {}):
        seen.append(replay.update(fields=fields, now=OPENED).segment)
        assert pack.evaluate(replay.ticket, now=OPENED).segment == seen[-1]
    assert ["uk", "globex", "globex"] == seen


def test_a_ticket_given_as_a_mapping_is_read_with_the_policy_empty_markers() -> None:
    data = {"id": "INC1", "opened_at": "2024-06-03T09:00:00Z", "priority": "P2", "category": "?"}
    assert policy().replay(data).ticket.category is None


def test_counters_given_in_an_update_win_and_later_events_keep_the_difference() -> None:
    replay = policy().replay(opened())
    replay.update(
        events=[Event(0, OPENED, "assigned", group="service-desk")],
        fields={"reassignment_count": 4},
        now=OPENED,
    )
    replay.update(events=[Event(0, OPENED, "assigned", group="network-ops")], now=OPENED)
    assert 5 == replay.ticket.reassignment_count
    replay.update(fields={"reassignment_count": None}, now=OPENED)
    assert 1 == replay.ticket.reassignment_count


# ---------------------------------------------------------------------------------------------
# The real ServiceNow log
# ---------------------------------------------------------------------------------------------

DATASET = ROOT / ".." / "shared" / "datasets" / "servicenow-incident-event-log.zip"
LOG_ROWS = 4000  # the log's first rows: about 580 incidents, read in well under a second

needs_log = pytest.mark.skipif(
    not DATASET.exists(),
    reason=f"the UCI ServiceNow log is not at {DATASET} (../shared/datasets beside the "
    "repository); replays of its incidents are not compared with evaluate",
)


@cache
def log_sample() -> tuple[Any, ...]:
    """Every 40th incident of the log's first rows, and the 5 with the most updates."""
    import itertools

    from escalate.adapters.servicenow import UCI_LOG_MAPPING, read_log
    from escalate.cli._servicenow_log import log_rows

    rows = itertools.islice(log_rows(str(DATASET)), LOG_ROWS)
    incidents = read_log(rows, UCI_LOG_MAPPING).incidents
    longest = sorted(incidents, key=lambda i: -len(i.updates))[:5]
    return (*incidents[::40], *longest)


def counters(update: Any) -> dict[str, object] | None:
    """ServiceNow's own counters on a row, as an update's fields (what ``ticket_at`` uses)."""
    if update.reassignment_count is None and update.reopen_count is None:
        return None
    return {"reassignment_count": update.reassignment_count, "reopen_count": update.reopen_count}


@needs_log
def test_a_replay_of_a_real_incident_is_its_ticket_after_each_row_decided_as_evaluate_does() -> (
    None
):
    pack = policy()
    compared = 0
    for incident in log_sample():
        replay = pack.replay(incident.opened)
        for count, update in enumerate(incident.updates, 1):
            try:
                expected_ticket = incident.ticket_at(count)
                expected = pack.evaluate(fresh(expected_ticket), now=update.at).to_json()
            except TicketError as exc:  # the policy refuses it: so must the replay
                with pytest.raises(TicketError) as raised:
                    replay.update(events=update.events, fields=counters(update), now=update.at)
                assert str(exc) == str(raised.value)
                break
            decision = replay.update(events=update.events, fields=counters(update), now=update.at)
            assert expected_ticket == replay.ticket
            assert expected == decision.to_json()
            compared += 1
    assert compared > 100


@needs_log
def test_a_real_incident_replayed_with_wake_ups_and_actions_fed_back_decides_as_evaluate_does() -> (
    None
):
    pack = policy()
    compared = 0
    for incident in log_sample():
        replay = pack.replay(incident.opened)
        for update in incident.updates:
            wake = replay.decision and replay.decision.next_evaluation_at
            while wake is not None and wake < update.at:  # wake-ups between rows
                decision = replay.decide(wake)
                assert pack.evaluate(fresh(replay.ticket), now=wake).to_json() == decision.to_json()
                done = [
                    Event(0, wake, "action-done", action_id=action.id, actor="replay")
                    for action in decision.actions
                ]
                if done:  # what a caller that executes the actions records
                    decision = replay.update(events=done, now=wake)
                    assert pack.evaluate(fresh(replay.ticket), now=wake).to_json() == (
                        decision.to_json()
                    )
                wake = decision.next_evaluation_at
                compared += 1
            try:
                decision = replay.update(
                    events=update.events, fields=counters(update), now=update.at
                )
            except TicketError:
                break  # refused alike: the test above compares refusals
            assert pack.evaluate(fresh(replay.ticket), now=update.at).to_json() == (
                decision.to_json()
            )
            compared += 1
    assert compared > 100
