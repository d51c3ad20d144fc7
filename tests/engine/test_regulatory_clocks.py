"""Milestone events and triggers, ``effective`` dates and ``by`` targets: the clock features
regulatory obligations need. Every expected instant is worked out by hand beside it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Ticket
from escalate.calendars._durations import parse_duration
from escalate.calendars.calendar import Calendar
from escalate.engine.history import Event
from escalate.errors import PolicyError, TicketError
from tests.policy_helpers import event, policy, ticket, utc

NY = """
calendars:
  ny: {timezone: America/New_York, hours: 24x7}
  ny-business:
    timezone: America/New_York
    hours: {mon-fri: ["09:00-17:00"]}
    holidays: {dates: ["2025-07-04"], years: [2025, 2025]}
"""


def milestone(at: str, name: str, **extra: Any) -> dict[str, Any]:
    return event(at, "milestone", milestone=name, **extra)


def clock_body(start: str, stop: str, target: str, extra: str = "", new_cycle: str = "") -> str:
    return (
        NY
        + f"""
clocks:
  c:
    type: regulatory
    start: {{event: "{start}"}}
    stop: {{event: "{stop}"}}
{new_cycle}{extra}    targets: {{default: {target}}}
"""
    )


def breach(body: str, tkt: dict[str, Any], now: str) -> str | None:
    found = list(policy(body).evaluate(tkt, now=utc(now)).to_dict()["clocks"])  # type: ignore[call-overload]
    return found[0]["breach_at"] if found else None


# -- the milestone event ---------------------------------------------------------------------


def test_a_milestone_event_reads_and_writes_its_name_and_reason() -> None:
    data = {
        "id": "T",
        "opened_at": "2024-01-01T00:00:00Z",
        "events": [
            {
                "at": "2024-01-01T01:00:00Z",
                "type": "Milestone",
                "milestone": "gdpr-aware",
                "reason": "late:\nforensics",
            }
        ],
    }
    t = Ticket.from_mapping(data)
    assert (t.events[0].type, t.events[0].milestone) == ("milestone", "gdpr-aware")
    assert t.to_dict()["events"] == [
        {
            "at": "2024-01-01T01:00:00+00:00",
            "milestone": "gdpr-aware",
            "reason": "late:\nforensics",
            "type": "milestone",
        }
    ]


@pytest.mark.parametrize(
    ("payload", "path", "message"),
    [
        ({}, "events[0].milestone", "'milestone' events need 'milestone'"),
        ({"milestone": ""}, "events[0].milestone", "non-empty"),
        ({"milestone": "x", "text": "y"}, "events[0].text", "take no 'text'"),
        ({"milestone": "x", "status": "new"}, "events[0].status", "take no 'status'"),
        # matched exactly by triggers: a name only an id would match is refused, not ignored
        ({"milestone": "gdpr-aware "}, "events[0].milestone", "(got 'gdpr-aware ')"),
        ({"milestone": "GDPR-aware"}, "events[0].milestone", "a milestone name is a lower-case id"),
        ({"milestone": "a b"}, "events[0].milestone", "(got 'a b')"),
        ({"milestone": "gdpr--aware"}, "events[0].milestone", "a milestone name is a lower-case"),
    ],
)
def test_a_bad_milestone_event_is_refused(payload: dict[str, Any], path: str, message: str) -> None:
    data = {
        "id": "T",
        "opened_at": "2024-01-01T00:00:00Z",
        "events": [{"at": "2024-01-01T01:00:00Z", "type": "milestone", **payload}],
    }
    with pytest.raises(TicketError) as caught:
        Ticket.from_mapping(data)
    assert str(caught.value).startswith(path)
    assert message in str(caught.value)


def test_the_milestone_field_comes_last_so_positional_events_keep_their_meaning() -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    built = Event(0, at, "comment", None, None, None, None, "ann")
    assert (built.actor, built.milestone) == ("ann", None)
    with pytest.raises(TicketError, match="'milestone' events need 'milestone'"):
        Ticket("T", at, events=[Event(0, at, "milestone")])


# -- milestone triggers and the milestones fact -----------------------------------------------


def test_a_clock_runs_from_one_milestone_to_another_and_ignores_others() -> None:
    body = clock_body("milestone:a", "milestone:b", "{within: 4h}")
    t0 = "2025-03-03T08:00:00Z"
    other = ticket(t0, milestone(t0, "x"))
    assert policy(body).evaluate(other, now=utc("2025-03-03T09:00:00Z")).clock("c").state == (
        "not-started"
    )
    started = ticket(
        t0, milestone("2025-03-03T09:00:00Z", "a"), milestone("2025-03-03T10:00:00Z", "x")
    )
    assert breach(body, started, "2025-03-03T10:30:00Z") == "2025-03-03T13:00:00+00:00"
    stopped = ticket(
        t0, milestone("2025-03-03T09:00:00Z", "a"), milestone("2025-03-03T11:00:00Z", "b")
    )
    state = policy(body).evaluate(stopped, now=utc("2025-03-03T12:00:00Z")).clock("c")
    assert (state.state, state.stopped_at) == ("stopped", utc("2025-03-03T11:00:00Z"))


def test_new_cycle_on_a_milestone_counts_from_the_latest() -> None:
    body = clock_body(
        "milestone:a",
        "milestone:b",
        "{within: 10h}",
        new_cycle='    new_cycle_on: ["milestone:a"]\n',
    )
    t0 = "2025-03-03T08:00:00Z"
    tkt = ticket(t0, milestone(t0, "a"), milestone("2025-03-03T12:00:00Z", "a"))
    state = policy(body).evaluate(tkt, now=utc("2025-03-03T13:00:00Z")).clock("c")
    assert (state.cycle, state.started_at, state.breach_at) == (
        2,
        utc("2025-03-03T12:00:00Z"),
        utc("2025-03-03T22:00:00Z"),
    )


def test_the_milestones_fact_holds_the_names_recorded_up_to_each_instant() -> None:
    body = """
rules:
  - id: aware
    when: {milestones: {contains: gdpr-aware}}
    then: {notify: {to: [assignee]}}
  - id: not-notified
    when: {milestones: {none_of: [gdpr-sa-notified]}}
    then: {notify: {to: [assignee]}}
"""
    t0 = "2025-03-03T08:00:00Z"
    tkt = ticket(t0, milestone("2025-03-03T09:00:00Z", "gdpr-aware"))
    decision = policy(body).evaluate(tkt, now=utc("2025-03-03T10:00:00Z"))
    aware = [a for a in decision.actions if a.source == "rule:aware"]
    assert [a.due_at for a in aware] == [utc("2025-03-03T09:00:00Z")]  # from the milestone on
    assert any(a.source == "rule:not-notified" for a in decision.actions)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("milestone", "name the milestone: 'milestone:<name>'"),
        ("milestone:", "milestone name in 'milestone:'"),
        ("milestones:a", "unknown event type 'milestones:a'"),
        ("acknowleged", "unknown event type 'acknowleged'"),
        ("milestone:GDPR-aware", "a milestone name is a lower-case id"),
        ("milestone:gdpr aware", "a milestone name is a lower-case id"),
    ],
)
def test_a_bad_trigger_event_is_refused(value: str, message: str) -> None:
    with pytest.raises(PolicyError, match=r"clocks\.c\.start\.event") as caught:
        policy(clock_body(value, "milestone:b", "{within: 4h}"))
    assert message in str(caught.value)


@pytest.mark.parametrize("value", ["GDPR-aware", "gdpr aware"])
def test_a_milestones_condition_on_a_name_no_milestone_can_have_is_refused(value: str) -> None:
    body = (
        clock_body("milestone:a", "milestone:b", "{within: 4h}")
        + f"""
rules:
  - id: r
    when: {{milestones: {{contains: "{value}"}}}}
    then: {{notify: {{to: ["person:a"]}}}}
directory:
  people:
    a: {{name: A, channels: {{email: a@example.com}}}}
"""
    )
    with pytest.raises(PolicyError, match=r"rules\[0\]\.when\.milestones\.contains") as caught:
        policy(body)
    assert "a milestone name is a lower-case id" in str(caught.value)


# -- effective ---------------------------------------------------------------------------------

EFFECTIVE = (
    '    effective: {from: "2025-01-17T00:00:00+01:00", until: "2026-01-01T00:00:00+01:00"}\n'
)


@pytest.mark.parametrize(
    ("started", "applies"),
    [
        ("2025-01-16T22:59:59Z", False),  # a second before 17 Jan 00:00 CET
        ("2025-01-16T23:00:00Z", True),  # from: included
        ("2025-12-31T22:59:59Z", True),
        ("2025-12-31T23:00:00Z", False),  # until: excluded
    ],
)
def test_a_cycle_counts_only_if_it_started_while_in_force(started: str, applies: bool) -> None:
    body = clock_body("milestone:a", "milestone:b", "{within: 4h}", extra=EFFECTIVE)
    tkt = ticket(started, milestone(started, "a"))
    decision = policy(body).evaluate(tkt, now=utc(started))
    assert list(decision.clocks) == (["c"] if applies else [])
    assert [c["name"] for c in decision.to_dict()["clocks"]] == list(decision.clocks)  # type: ignore[union-attr]


def test_cycles_out_of_force_are_dropped_and_the_rest_keep_their_numbers() -> None:
    # A cycle's number is in its rung action ids: renumbering the cycle in force to 1 would
    # give it the ids of the dropped cycle 1, which the ticket records as done (the reviewer's
    # t8: the 50 % notify of cycle 2 vanished). Cycle 2 stays cycle 2, its rung fires.
    body = (
        clock_body(
            "milestone:a",
            "milestone:b",
            "{within: 4h}",
            extra='    effective: {from: "2025-01-17T00:00:00Z"}\n',
            new_cycle='    new_cycle_on: ["milestone:a"]\n',
        )
        + """    ladder:
      - {at: 50%, notify: {to: ["person:a"]}}
directory:
  people:
    a: {name: A, channels: {email: a@example.com}}
"""
    )
    tkt = ticket(
        "2025-01-16T08:00:00Z",
        milestone("2025-01-16T08:00:00Z", "a"),
        event("2025-01-16T10:05:00Z", "action-done", action_id="T1:clock:c#1@0:notify0"),
        milestone("2025-01-17T08:00:00Z", "a"),
    )
    decision = policy(body).evaluate(tkt, now=utc("2025-01-17T10:30:00Z"))
    state = decision.clock("c")
    assert (state.cycle, state.started_at) == (2, utc("2025-01-17T08:00:00Z"))
    assert [a.id for a in decision.actions] == ["T1:clock:c#2@0:notify0"]


@pytest.mark.parametrize(
    ("events", "applies"),
    [
        # judged by the first 'aware': before the date, so the chained clock has no cycle
        ((("2025-01-16T08:00:00Z", "aware"), ("2025-01-17T08:00:00Z", "a")), False),
        ((("2025-01-17T00:00:00Z", "aware"), ("2025-01-17T08:00:00Z", "a")), True),
        # the first one judges, not a later one
        (
            (
                ("2025-01-16T08:00:00Z", "aware"),
                ("2025-01-17T07:00:00Z", "aware"),
                ("2025-01-17T08:00:00Z", "a"),
            ),
            False,
        ),
        # not recorded: the cycle's own start judges
        ((("2025-01-17T08:00:00Z", "a"),), True),
        ((("2025-01-16T08:00:00Z", "a"),), False),
    ],
)
def test_effective_judged_at_a_milestone_judges_the_whole_clock(
    events: tuple[tuple[str, str], ...], applies: bool
) -> None:
    body = clock_body(
        "milestone:a",
        "milestone:b",
        "{within: 4h}",
        extra='    effective: {from: "2025-01-17T00:00:00Z", judged_at: "milestone:aware"}\n',
    )
    tkt = ticket(events[0][0], *(milestone(t, n) for t, n in events))
    decision = policy(body).evaluate(tkt, now=utc("2025-01-17T09:00:00Z"))
    assert list(decision.clocks) == (["c"] if applies else [])


@pytest.mark.parametrize("value", ["aware", "milestone:", "milestone:Aware", "created"])
def test_effective_judged_at_must_name_a_milestone(value: str) -> None:
    body = clock_body(
        "milestone:a",
        "milestone:b",
        "{within: 4h}",
        extra=f'    effective: {{from: "2025-01-17T00:00:00Z", judged_at: "{value}"}}\n',
    )
    with pytest.raises(PolicyError, match=r"clocks\.c\.effective\.judged_at"):
        policy(body)


def test_a_clock_not_yet_started_is_not_started_whatever_its_dates() -> None:
    body = clock_body("milestone:a", "milestone:b", "{within: 4h}", extra=EFFECTIVE)
    tkt = ticket("2024-01-01T00:00:00Z")
    assert policy(body).evaluate(tkt, now=utc("2024-01-02T00:00:00Z")).clock("c").state == (
        "not-started"
    )


def test_without_effective_the_clock_is_what_it_was() -> None:
    body = clock_body("milestone:a", "milestone:b", "{within: 4h}")
    assert policy(body).clocks[0].effective is None


@pytest.mark.parametrize(
    ("effective", "message"),
    [
        ('{from: "2025-01-17T00:00:00"}', "effective.from must be an instant with its UTC offset"),
        ("{from: 2025-01-17}", "got '2025-01-17'"),
        ('{until: "soon"}', "effective.until must be an instant with its UTC offset"),
        (
            '{from: "2025-01-17T00:00:00Z", until: "2025-01-17T00:00:00Z"}',
            "effective.until must be after effective.from",
        ),
    ],
)
def test_a_bad_effective_is_refused(effective: str, message: str) -> None:
    body = clock_body(
        "milestone:a", "milestone:b", "{within: 4h}", extra=f"    effective: {effective}\n"
    )
    with pytest.raises(PolicyError, match=r"clocks\.c\.effective") as caught:
        policy(body)
    assert message in str(caught.value)


# -- by ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "due"),
    [
        # 2d on 24x7 New York: the 2nd calendar date after Sat 1 Mar 2025 is Mon 3 Mar, 17:30 EST
        (
            "2025-03-01T15:00:00Z",
            '{within: 2d, calendar: ny, by: "17:30"}',
            "2025-03-03T22:30:00+00:00",
        ),
        # late in the day counts the same dates: 23:59 EST on 1 Mar -> 3 Mar 17:30
        (
            "2025-03-02T04:59:00Z",
            '{within: 2d, calendar: ny, by: "17:30"}',
            "2025-03-03T22:30:00+00:00",
        ),
        # 24:00 ends the date: 1w from Fri 7 Mar 2025 -> Fri 14 Mar ends 24:00 EDT (after 9 Mar)
        (
            "2025-03-07T15:00:00Z",
            '{within: 1w, calendar: ny, by: "24:00"}',
            "2025-03-15T04:00:00+00:00",
        ),
        # 00:00 of the due date, earlier than the start's wall time
        (
            "2025-03-07T15:00:00Z",
            '{within: 1d, calendar: ny, by: "00:00"}',
            "2025-03-08T05:00:00+00:00",
        ),
        # the DST gap: 9 Mar 2025 02:30 does not exist in New York; it means 03:00 EDT
        (
            "2025-03-08T15:00:00Z",
            '{within: 1d, calendar: ny, by: "02:30"}',
            "2025-03-09T07:00:00+00:00",
        ),
        # the repeated hour: 2 Nov 2025 01:30 happens twice; the first (EDT) is meant
        (
            "2025-11-01T15:00:00Z",
            '{within: 1d, calendar: ny, by: "01:30"}',
            "2025-11-02T05:30:00+00:00",
        ),
        # bd: Thu 3 Jul 2025 + 1 business day skips 4 July and the weekend: Mon 7 Jul 12:00 EDT
        (
            "2025-07-03T14:00:00Z",
            '{within: 1bd, calendar: ny-business, by: "12:00"}',
            "2025-07-07T16:00:00+00:00",
        ),
        # mo: 31 Jan 2025 + 1 month is 28 Feb, end of the day (EST)
        (
            "2025-01-31T15:00:00Z",
            '{within: 1mo, calendar: ny, by: "24:00"}',
            "2025-03-01T05:00:00+00:00",
        ),
    ],
)
def test_by_sets_the_wall_time_on_the_due_date(start: str, target: str, due: str) -> None:
    body = clock_body("milestone:a", "milestone:b", target)
    assert breach(body, ticket(start, milestone(start, "a")), start) == due


def test_a_by_target_on_business_hours_breaches_at_the_wall_time_it_names() -> None:
    # 1bd by 12:00 on a 09:00-17:00 calendar from Thu 3 Jul 10:00 EDT: due Mon 7 Jul 12:00;
    # a ``by`` target is measured in real time, so the target is the 4 days 2 hours between.
    body = clock_body(
        "milestone:a", "milestone:b", '{within: 1bd, calendar: ny-business, by: "12:00"}'
    )
    start = "2025-07-03T14:00:00Z"
    state = policy(body).evaluate(ticket(start, milestone(start, "a")), now=utc(start)).clock("c")
    assert (state.target_text, state.target_us) == ("1bd by 12:00", 98 * 3600 * 10**6)
    assert state.breach_at == utc("2025-07-07T16:00:00Z")


@pytest.mark.parametrize(
    ("target", "text"),
    [
        ('{within: 2d, calendar: ny, by: "17:30"}', "2d by 17:30"),
        ('{within: 1d, calendar: ny, by: "00:00"}', "1d by 00:00"),
        ('{within: 1d, calendar: ny, by: "09:05"}', "1d by 09:05"),
        ('{within: 1w, calendar: ny, by: "24:00"}', "1w by 24:00"),
        ('{within: 1mo, calendar: ny, by: "24:00"}', "1mo by 24:00"),
        ('{within: 1bd, calendar: ny-business, by: "12:00"}', "1bd by 12:00"),
        # without by: as written, as before
        ("{within: 2d, calendar: ny}", "2d"),
        ("{within: 72h, calendar: ny}", "72h"),
        ("{within: 1bd, calendar: ny-business}", "1bd"),
    ],
)
def test_a_by_target_is_shown_with_its_wall_time(target: str, text: str) -> None:
    """The second new-user trial read ``66d15h15m of 60d (110.43%)`` and ``"target": "60d"``
    for a clock whose real target is 60d8h15m (to the end of the 60th date): the target shown
    names its ``by``, so percent and remaining visibly count to the due instant."""
    start = "2025-03-01T15:00:00Z"
    decision = policy(clock_body("milestone:a", "milestone:b", target)).evaluate(
        ticket(start, milestone(start, "a")), now=utc("2025-03-02T15:00:00Z")
    )
    state = decision.clock("c")
    assert (state.target_text, decision.to_dict()["clocks"][0]["target"]) == (text, text)
    assert f" of {text} on " in decision.explain()


def test_the_trials_hipaa_clock_reconciles_its_target_percent_and_remaining() -> None:
    """Discovered Thu 16 Jan 2025 15:45 EST: the 60th date after is Tue 17 Mar, which ends at
    24:00 EDT (after 9 March), 04:00Z on 18 Mar: 60d 7h 15m of real time, not 60d. Evaluated
    6 days after it, remaining (-6d) and percent count to that instant."""
    body = """
calendars:
  ny: {timezone: America/New_York, hours: 24x7}
clocks:
  c:
    type: regulatory
    start: {event: "milestone:a"}
    stop: {event: "milestone:b"}
    targets: {default: {within: 60d, calendar: ny, by: "24:00"}}
"""
    start = "2025-01-16T20:45:00Z"
    now = utc("2025-03-24T04:00:00Z")
    decision = policy(body).evaluate(ticket(start, milestone(start, "a")), now=now)
    out = decision.to_dict()["clocks"][0]
    assert (out["target"], out["breach_at"]) == ("60d by 24:00", "2025-03-18T04:00:00+00:00")
    assert (out["elapsed"], out["remaining"], out["percent"]) == ("66d7h15m", "-6d", "109.95")
    state = decision.clock("c")
    assert state.target == timedelta(days=60, hours=7, minutes=15)
    assert utc(start) + state.target == utc("2025-03-18T04:00:00Z")


@pytest.mark.parametrize(
    ("start", "by", "due"),
    [
        # Sat 1 Nov 2025 10:00 EDT, 1bd by 08:00: Mon 3 Nov 08:00 EST, before the calendar
        # opens. No working time lies between: the breach was None, never breached.
        ("2025-11-01T14:00:00Z", "08:00", "2025-11-03T13:00:00Z"),
        # Mon 3 Nov 10:00 EST, by 08:00: Tue 08:00 EST; it breached at Mon 17:00 (closing)
        ("2025-11-03T15:00:00Z", "08:00", "2025-11-04T13:00:00Z"),
        # Mon 3 Nov 10:00 EST, by 20:00: Tue 20:00 EST (Wed 01:00 UTC); it breached at Tue
        # 17:00, the end of the last working period before it
        ("2025-11-03T15:00:00Z", "20:00", "2025-11-05T01:00:00Z"),
        # Thu 3 Jul 2025 18:00 EDT (closed), by 12:00: 4 July and the weekend skipped, Mon 7 Jul
        ("2025-07-03T22:00:00Z", "12:00", "2025-07-07T16:00:00Z"),
    ],
)
def test_a_by_deadline_is_its_wall_instant_whatever_the_calendar_hours(
    start: str, by: str, due: str
) -> None:
    body = clock_body(
        "milestone:a", "milestone:b", f'{{within: 1bd, calendar: ny-business, by: "{by}"}}'
    )
    compiled = policy(body)
    tkt = ticket(start, milestone(start, "a"))
    begin, end = utc(start), utc(due)
    half = begin + (end - begin) / 2
    state = compiled.evaluate(tkt, now=half).clock("c")
    assert state.breach_at == end
    assert (state.percent, state.remaining) == (50, end - half)
    assert compiled.evaluate(tkt, now=end - timedelta(microseconds=1)).clock("c").breached is False
    at_due = compiled.evaluate(tkt, now=end).clock("c")
    assert (at_due.breached, at_due.percent, at_due.remaining) == (True, 100, timedelta(0))
    # stopped a microsecond before the due instant: on time, at it: breached (the default)
    for stop, late in ((end - timedelta(microseconds=1), False), (end, True)):
        stopped = ticket(start, milestone(start, "a"), milestone(stop.isoformat(), "b"))
        assert compiled.evaluate(stopped, now=end + timedelta(days=1)).clock("c").breached is late


def test_by_with_a_pause_is_refused_at_load() -> None:
    body = clock_body(
        "milestone:a",
        "milestone:b",
        '{within: 4bd, calendar: ny-business, by: "17:30"}',
        extra="    pause: {status: on-hold}\n",
    )
    with pytest.raises(PolicyError, match=r"clocks\.c\.targets\.default\.by") as caught:
        policy(body)
    assert "cannot be used on a clock with 'pause'" in str(caught.value)


# -- on_time_at_due: "not later than" ----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "due"),
    [
        ("{within: 72h, on_time_at_due: true}", "2024-10-28T08:00:00Z"),  # real hours
        ('{within: 2d, calendar: ny, by: "17:30", on_time_at_due: true}', "2024-10-27T21:30:00Z"),
    ],
)
def test_on_time_at_due_makes_the_due_instant_on_time(target: str, due: str) -> None:
    body = clock_body("milestone:a", "milestone:b", target)
    compiled = policy(body)
    start, end, us = "2024-10-25T08:00:00Z", utc(due), timedelta(microseconds=1)
    running = ticket(start, milestone(start, "a"))
    at_due = compiled.evaluate(running, now=end)
    assert (at_due.clock("c").breached, at_due.clock("c").remaining) == (False, timedelta(0))
    assert at_due.clock("c").breach_at == end + us
    assert compiled.evaluate(running, now=end + us).clock("c").breached is True
    # a stop at exactly the due instant is on time: no breach instant at all
    on_time = ticket(start, milestone(start, "a"), milestone(due, "b"))
    kept = compiled.evaluate(on_time, now=end + timedelta(days=1)).clock("c")
    assert (kept.breached, kept.breach_at) == (False, None)
    late = ticket(start, milestone(start, "a"), milestone((end + us).isoformat(), "b"))
    missed = compiled.evaluate(late, now=end + timedelta(days=1)).clock("c")
    assert (missed.breached, missed.breach_at) == (True, end + us)


def test_on_time_at_due_moves_the_wake_up_of_a_breached_rule() -> None:
    body = (
        clock_body("milestone:a", "milestone:b", "{within: 4h, on_time_at_due: true}")
        + """
rules:
  - id: late
    when: {clock.c.breached: true}
    then: {notify: {to: ["person:a"]}}
directory:
  people:
    a: {name: A, channels: {email: a@example.com}}
"""
    )
    start = "2025-01-20T08:00:00Z"
    decision = policy(body).evaluate(ticket(start, milestone(start, "a")), now=utc(start))
    assert decision.next_evaluation_at == utc("2025-01-20T12:00:00.000001Z")


def test_without_on_time_at_due_the_due_instant_breaches() -> None:
    body = clock_body("milestone:a", "milestone:b", "{within: 4h}")
    start = "2025-01-20T08:00:00Z"
    state = (
        policy(body)
        .evaluate(ticket(start, milestone(start, "a")), now=utc("2025-01-20T12:00:00Z"))
        .clock("c")
    )
    assert (state.breached, state.breach_at) == (True, utc("2025-01-20T12:00:00Z"))


@pytest.mark.parametrize(
    ("target", "key", "message"),
    [
        ('{within: 4h, by: "17:30"}', "within", "'by' sets the wall time on the due date"),
        ('{within: 1d12h, by: "17:30"}', "within", "'1d12h' counts hours, minutes or seconds"),
        ('{within: 30m, by: "17:30"}', "within", "must count dates (d, w, bd, mo)"),
        ('{within: 2d, by: "25:00"}', "by", "'by' is a wall time 'HH:MM'"),
        ('{within: 2d, by: "7:30"}', "by", "got '7:30'"),
        ('{within: 2d, by: "24:01"}', "by", "'24:00' (the end of the day)"),
    ],
)
def test_a_bad_by_is_refused(target: str, key: str, message: str) -> None:
    with pytest.raises(PolicyError, match=rf"clocks\.c\.targets\.default\.{key}") as caught:
        policy(clock_body("milestone:a", "milestone:b", target))
    assert message in str(caught.value)


# -- by: a property over dates, zones and wall times ---------------------------------------------

_ZONED = {
    name: Calendar.from_config({"timezone": name, "hours": "24x7"})
    for name in ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe")
}


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(sorted(_ZONED)),
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(1, 70),
    by=st.integers(0, 1440),
)
def test_by_is_that_wall_time_on_the_n_th_date_after_the_start_s_date(
    zone: str, start: datetime, days: int, by: int
) -> None:
    calendar = _ZONED[zone]
    due = parse_duration(f"{days}d", ()).due_at(calendar, start, by)
    assert due is not None and due > start
    local_start = start.astimezone(calendar.zone)
    wanted = local_start.date() + timedelta(days=days + (by == 1440))
    minute = by % 1440
    local = due.astimezone(calendar.zone)
    if (local.hour * 60 + local.minute, local.date()) != (minute, wanted):
        # only a wall time inside a DST gap moves, to the end of the gap, on the same date
        wall = datetime.combine(wanted, time()) + timedelta(minutes=minute)
        assert (
            wall.replace(tzinfo=calendar.zone)
            .astimezone(UTC)
            .astimezone(calendar.zone)
            .replace(tzinfo=None)
            != wall
        )
        assert local.date() == wanted and local.hour * 60 + local.minute > minute
