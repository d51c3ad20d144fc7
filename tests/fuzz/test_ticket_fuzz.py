"""Mutated tickets: whatever a caller passes to ``Policy.evaluate``, it gets a ``Decision`` or an
``EscalateError``; its input is never changed; and a decision depends on instants, never on the
zone they are written in.

Tickets start valid (the shipped examples, small hand-written ones, and realistic ones drawn by
``escalate.testing.tickets.ticket_mappings``) and are mutated like policies (hostile values,
wrong types, huge integers, edge instants), plus ticket-specific damage: events reordered, an
instant moved into another zone (fold=1 datetimes included), non-ASCII digits in timestamps,
and a ``now`` of the wrong type.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escalate.engine.compiled import Policy
from escalate.engine.history import Event
from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError
from escalate.policy.loader import loads
from escalate.testing import tickets as et
from escalate.testing.strategies import instants
from tests.fuzz.hostile import (
    ALL_ZONES,
    DIGIT_SETS,
    EXAMPLE_AVAILABILITY,
    EXAMPLE_TICKETS,
    FALL_BACKS,
    SEED_TEXTS,
    SMALL_TICKETS,
    Mutated,
    as_instant,
    default_recursion_limit,
    failure,
    fingerprint,
    first_difference,
    get_at,
    huge_int,
    last_instant,
    mutated_trees,
    node_paths,
    render_path,
    show,
)

POLICIES: dict[str, Policy] = {name: loads(text) for name, text in SEED_TEXTS.items()}
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ZONE_FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class TicketCase:
    """A policy, a ticket mapping, an instant: what ``evaluate`` is called with."""

    policy: str
    seed: str
    log: list[str]
    ticket: Any
    now: Any
    availability: Any = None

    def __repr__(self) -> str:
        extra = (
            "" if self.availability is None else f", availability={show(self.availability, 400)}"
        )
        return (
            f"TicketCase(policy={self.policy!r}, seed={self.seed!r}, mutations={self.log!r}, "
            f"now={show(self.now)}, ticket={show(self.ticket, 600)}{extra})"
        )


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------


def _instant_paths(tree: object) -> list[tuple[Any, ...]]:
    return [p for p in node_paths(tree) if p and p[-1] in ("opened_at", "at")]


def _ticket_mutation(draw: st.DrawFn, out: Mutated) -> bool:
    """A mutation only a ticket can have: events reordered, an instant in another zone or
    written with other digits, a huge counter or custom field."""
    tree = out.tree
    if not isinstance(tree, dict):
        return False
    kind = draw(st.sampled_from(("events", "zone", "digits", "huge", "fields")))
    events = tree.get("events")
    if kind == "events" and isinstance(events, list) and len(events) > 1:
        how = draw(st.sampled_from(("reverse", "swap", "shuffle", "repeat-last")))
        if how == "reverse":
            events.reverse()
        elif how == "swap":
            i, j = draw(st.lists(st.integers(0, len(events) - 1), min_size=2, max_size=2))
            events[i], events[j] = events[j], events[i]
        elif how == "shuffle":
            draw(st.randoms(use_true_random=False)).shuffle(events)
        else:
            events.extend(copy.deepcopy(events[-1:]) * draw(st.sampled_from((1, 50))))
        out.log.append(f"events: {how}")
        return True
    spots = _instant_paths(tree)
    if kind in ("zone", "digits") and spots:
        path = draw(st.sampled_from(spots))
        current = get_at(tree, path)
        try:
            at = as_instant(current)
        except (TypeError, ValueError):
            return False
        if kind == "zone":
            value: object = at.astimezone(ZoneInfo(draw(st.sampled_from(ALL_ZONES))))
            if draw(st.booleans()):
                value = value.isoformat()  # type: ignore[union-attr]
        else:
            digits = draw(st.sampled_from(DIGIT_SETS))
            text = at.isoformat()
            value = "".join(digits[int(c)] if c in "0123456789" else c for c in text)
        get_at(tree, path[:-1])[path[-1]] = value
        out.log.append(f"set {render_path(path)}: {show(current)} -> {show(value)}")
        return True
    if kind == "huge":
        key = draw(st.sampled_from(("reassignment_count", "reopen_count", "index")))
        number = draw(
            st.sampled_from(
                (huge_int(5000), huge_int(30), -1, 2**63, 2**64 + 1, huge_int(4301, True))
            )
        )
        if key == "index" and isinstance(events, list) and events and isinstance(events[0], dict):
            events[0]["index"] = number
            out.log.append(f"set events[0].index: {show(number)}")
        else:
            tree[key] = number
            out.log.append(f"set {key}: {show(number)}")
        return True
    if kind == "fields":
        fields = tree.setdefault("fields", {})
        if not isinstance(fields, dict):
            return False
        key = draw(st.sampled_from(("seats", "contract", "managed", "u_other", "", "\x1b[2J")))
        value = draw(
            st.sampled_from(
                (
                    huge_int(5000),
                    huge_int(5000, True),
                    2**63,
                    float("nan"),
                    1.5,
                    "a" * 24 + "!",
                    "ENT-\x1b[2J",
                    "ENT-\ud800",
                    [1, 2],
                    {"a": 1},
                    None,
                    True,
                )
            )
        )
        fields[key] = value
        out.log.append(f"set fields.{show(key)}: {show(value)}")
        return True
    return False


def _valid_nows(last: datetime) -> st.SearchStrategy[datetime]:
    """Instants around the ticket's last one (some before it), in random zones."""
    delta = st.sampled_from(
        (
            timedelta(0),
            timedelta(minutes=-5),
            timedelta(hours=7),
            timedelta(days=3),
            timedelta(days=400),
        )
    )
    zone = st.sampled_from(ALL_ZONES).map(ZoneInfo)
    return st.builds(lambda d, z: (last + d).astimezone(z), delta, zone)


HOSTILE_NOWS = st.sampled_from(
    (
        None,
        "2024-11-20T15:00:00+00:00",
        datetime(2024, 11, 20, 15),
        datetime(2024, 11, 20, 15).timestamp(),
        1732114800,
        date(2024, 11, 20),
        time(15, tzinfo=UTC),
        float("nan"),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-14))),
        datetime.max.replace(tzinfo=UTC),
        datetime.min.replace(tzinfo=timezone(timedelta(hours=14))),
        datetime.min.replace(tzinfo=UTC),
        datetime(9999, 12, 30, 12, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2024, 3, 31, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # in the gap
    )
)

SEEDS: dict[str, tuple[str, ...]] = {
    "itil-default": tuple(EXAMPLE_TICKETS),
    "small-clocks": tuple(SMALL_TICKETS),
    "small-oncall": tuple(SMALL_TICKETS),
}


@st.composite
def ticket_cases(draw: st.DrawFn) -> TicketCase:
    policy = draw(st.sampled_from(tuple(POLICIES)))
    if policy == "itil-default" and draw(st.integers(0, 3)) == 0:
        seed, ticket = "ticket_mappings()", draw(et.ticket_mappings(max_events=8))
    else:
        seed = draw(st.sampled_from(SEEDS[policy]))
        ticket = copy.deepcopy(EXAMPLE_TICKETS.get(seed) or SMALL_TICKETS[seed])
    last = last_instant(ticket)
    mutated = draw(mutated_trees(ticket, max_mutations=3, extra=_ticket_mutation))
    now = draw(HOSTILE_NOWS) if draw(st.integers(0, 5)) == 0 else draw(_valid_nows(last))
    return TicketCase(policy, seed, mutated.log, mutated.tree, now)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


def run(case: TicketCase) -> tuple[str, object, object]:
    """Evaluate ``case``: ``("decision", json, None)`` or ``("error", type name, key path)``.
    Anything but an ``EscalateError`` fails the test with the case in the message."""
    policy = POLICIES[case.policy]
    try:
        with default_recursion_limit():
            decision = policy.evaluate(case.ticket, now=case.now, availability=case.availability)
    except EscalateError as exc:
        return ("error", type(exc).__name__, getattr(exc, "path", None))
    except Exception as exc:
        raise AssertionError(
            failure("evaluate() let a foreign exception escape", case, exc)
        ) from exc
    try:
        return ("decision", decision.to_json(), None)
    except Exception as exc:
        raise AssertionError(failure("Decision.to_json() failed", case, exc)) from exc


def check(case: TicketCase) -> None:
    before = fingerprint(case.ticket)
    before_availability = fingerprint(case.availability)
    first = run(case)
    assert fingerprint(case.ticket) == before, f"evaluate() changed its ticket argument\n  {case!r}"
    assert fingerprint(case.availability) == before_availability, (
        f"evaluate() changed its availability argument\n  {case!r}"
    )
    second = run(case)
    assert first == second, f"two evaluations differ: {first[:2]!r} vs {second[:2]!r}\n  {case!r}"


@FUZZ
@example(
    case=TicketCase(
        "small-clocks",
        "big-customer",
        ["set fields.seats: <int of 5000 digits>"],
        {**SMALL_TICKETS["big-customer"], "fields": {"seats": huge_int(5000)}},
        datetime(2024, 11, 21, tzinfo=UTC),
    )
)
@example(
    case=TicketCase(
        "itil-default",
        "INC0010001",
        ["now: None"],
        EXAMPLE_TICKETS["INC0010001"],
        None,
    )
)
@given(case=ticket_cases())
def test_a_mutated_ticket_gets_a_decision_or_an_escalate_error_and_is_not_changed(
    case: TicketCase,
) -> None:
    check(case)


@st.composite
def availability_cases(draw: st.DrawFn) -> TicketCase:
    mutated = draw(mutated_trees(EXAMPLE_AVAILABILITY, max_mutations=2))
    ticket = copy.deepcopy(EXAMPLE_TICKETS["INC0010001"])
    now = datetime(2024, 11, 20, 15, tzinfo=UTC)
    return TicketCase("itil-default", "INC0010001", mutated.log, ticket, now, mutated.tree)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(
    case=TicketCase(
        "itil-default",
        "INC0010001",
        ["availability: a key that is a lone surrogate"],
        EXAMPLE_TICKETS["INC0010001"],
        datetime(2024, 11, 20, 15, tzinfo=UTC),
        {"\ud800": []},
    )
)
@given(case=availability_cases())
def test_a_mutated_availability_gets_a_decision_or_an_escalate_error_and_is_not_changed(
    case: TicketCase,
) -> None:
    check(case)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(now=HOSTILE_NOWS, policy=st.sampled_from(tuple(POLICIES)))
def test_a_now_of_the_wrong_type_or_at_the_edge_of_time_is_an_escalate_error_or_decides(
    now: object, policy: str
) -> None:
    seed = "INC0010001" if policy == "itil-default" else "big-customer"
    ticket = EXAMPLE_TICKETS.get(seed) or SMALL_TICKETS[seed]
    check(TicketCase(policy, seed, [], copy.deepcopy(ticket), now))


# --------------------------------------------------------------------------------------------
# Instants, not wall times
# --------------------------------------------------------------------------------------------

_FOLD_EVENTS = (
    ("assigned", {"group": "service-desk"}),
    ("acknowledged", {}),
    ("first-response", {}),
    ("status-changed", {"status": "awaiting-user-info"}),
    ("status-changed", {"status": "in-progress"}),
    ("agent-update", {}),
    ("comment", {}),
    ("resolved", {}),
    ("reopened", {}),
    ("priority-changed", {"priority": "P2"}),
)


@dataclass
class ZoneCase:
    """A ticket and availability (instants in UTC), ``now``, and the same instants in other
    zones. ``direct`` cases are also evaluated as ``Ticket``/``Event`` objects built in Python
    (no mapping is read, so no reader can normalise the zones away)."""

    policy: str
    ticket: dict[str, Any]
    now: datetime
    zones: list[str]
    as_text: bool
    availability: dict[str, Any] | None = None
    direct: bool = False

    def moved(self) -> tuple[dict[str, Any], datetime, dict[str, Any] | None]:
        """The ticket, ``now`` and availability with every instant re-expressed in ``zones``
        (cycled)."""
        zones = itertools.cycle(self.zones)

        def move(value: str | datetime) -> str | datetime:
            local = as_instant(value).astimezone(ZoneInfo(next(zones)))
            return local.isoformat() if self.as_text else local

        ticket = copy.deepcopy(self.ticket)
        ticket["opened_at"] = move(ticket["opened_at"])
        for event in ticket.get("events", []):
            event["at"] = move(event["at"])
        now = move(self.now)
        availability = copy.deepcopy(self.availability)
        for absence in (availability or {}).get("out_of_office", []):
            for key in ("from", "until"):
                absence[key] = move(absence[key])
        return ticket, (as_instant(now) if isinstance(now, str) else now), availability

    def __repr__(self) -> str:
        moved, now, availability = self.moved()
        return (
            f"ZoneCase(policy={self.policy!r}, now={self.now.isoformat()!r}, "
            f"ticket={self.ticket!r}, availability={self.availability!r}, direct={self.direct},"
            f"\n  re-expressed: now={now!r}, opened_at={moved['opened_at']!r}, "
            f"events at={[e['at'] for e in moved.get('events', [])]!r}, "
            f"availability={availability!r})"
        )


def ticket_object(mapping: dict[str, Any]) -> Ticket:
    """A fold case's ticket built directly (its instants kept exactly as given)."""
    events = [
        Event(
            i,
            as_instant(e["at"]),
            e["type"],
            **{k: v for k, v in e.items() if k not in ("at", "type")},
        )
        for i, e in enumerate(mapping["events"])
    ]
    return Ticket(
        mapping["id"], as_instant(mapping["opened_at"]), priority=mapping["priority"], events=events
    )


@st.composite
def fold_cases(draw: st.DrawFn) -> ZoneCase:
    """A history around a fall-back transition: some events, absences and ``now`` in the
    repeated hour, ``now`` sometimes before the last event; re-expressed mostly in that zone."""
    zone, fall_back = draw(st.sampled_from(sorted(FALL_BACKS.items())))
    minute = timedelta(minutes=1)
    opened = fall_back - draw(st.integers(0, 180)) * minute
    offsets = sorted(draw(st.lists(st.integers(0, 240), min_size=1, max_size=5)))
    events = [{"at": opened.isoformat(), "type": "created"}]
    for offset in offsets:
        kind, payload = draw(st.sampled_from(_FOLD_EVENTS))
        events.append({"at": (opened + offset * minute).isoformat(), "type": kind, **payload})
    priority = draw(st.sampled_from(("P1", "P2", "P3")))
    ticket = {"id": "F1", "opened_at": opened.isoformat(), "priority": priority, "events": events}
    now = fall_back + draw(st.integers(-70, 130)) * minute
    same = draw(st.integers(0, 3)) > 0
    zones = [zone] if same else draw(st.lists(st.sampled_from(ALL_ZONES), min_size=1, max_size=4))
    policy = draw(st.sampled_from(tuple(POLICIES)))
    availability = None
    if draw(st.booleans()):
        absences = []
        for person in ("anna.schmidt", "jonas.weber", "alice", "carol", "erin"):
            start = fall_back + draw(st.integers(-90, 60)) * minute
            end = start + draw(st.integers(1, 90)) * minute
            absences.append({"person": person, "from": start.isoformat(), "until": end.isoformat()})
        availability = {"out_of_office": absences}
    as_text = draw(st.integers(0, 4)) == 0
    return ZoneCase(policy, ticket, now, zones, as_text, availability, direct=not as_text)


@st.composite
def realistic_zone_cases(draw: st.DrawFn) -> ZoneCase:
    """A realistic ITIL ticket (instants normalised to UTC text) and a ``now`` after it."""
    drawn = draw(et.ticket_mappings(max_events=10))
    ticket = copy.deepcopy(drawn)
    ticket["opened_at"] = as_instant(ticket["opened_at"]).astimezone(UTC).isoformat()
    for event in ticket.get("events", []):
        event["at"] = as_instant(event["at"]).astimezone(UTC).isoformat()
    last = last_instant(ticket)
    now = draw(instants(last - timedelta(hours=1), last + timedelta(days=12)))
    zones = draw(st.lists(st.sampled_from(ALL_ZONES), min_size=1, max_size=3))
    return ZoneCase("itil-default", ticket, now.astimezone(UTC), zones, draw(st.booleans()))


def _run_direct(
    case: ZoneCase, ticket: dict[str, Any], now: datetime, availability: Any
) -> tuple[str, object, object]:
    try:
        built: Any = ticket_object(ticket)
    except EscalateError as exc:
        return ("error", type(exc).__name__, getattr(exc, "path", None))
    return run(TicketCase(case.policy, "Ticket object", [], built, now, availability))


def check_zone_invariance(case: ZoneCase) -> None:
    utc = run(TicketCase(case.policy, "utc", [], case.ticket, case.now, case.availability))
    ticket, now, availability = case.moved()
    answers = {
        "mapping": run(TicketCase(case.policy, "re-expressed", [], ticket, now, availability))
    }
    if case.direct:
        answers["Ticket object"] = _run_direct(case, ticket, now, availability)
    for how, local in answers.items():
        assert utc == local, (
            f"the same instants in other zones give another answer ({how}):\n"
            f"  in UTC: {show(utc, 300)}\n  re-expressed: {show(local, 300)}\n"
            f"  first difference: {first_difference(utc[1], local[1])}\n  {case!r}"
        )


_BERLIN = ZoneInfo("Europe/Berlin")


@ZONE_FUZZ
@example(
    # The example: a resolution at 02:10 (second pass, 01:10 UTC) is 40 minutes after
    # now = 02:30 (first pass, 00:30 UTC); it must be refused as an event after now.
    case=ZoneCase(
        "itil-default",
        {
            "id": "F1",
            "opened_at": "2024-10-26T23:00:00+00:00",
            "priority": "P1",
            "events": [
                {"at": "2024-10-26T23:00:00+00:00", "type": "created"},
                {"at": "2024-10-27T01:10:00+00:00", "type": "resolved"},
            ],
        },
        datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
        ["Europe/Berlin"],
        False,
        direct=True,
    )
)
@example(
    # The reverse: an event at 02:40 (first pass, 00:40 UTC) before now = 02:20 (second pass,
    # 01:20 UTC) is a valid history.
    case=ZoneCase(
        "itil-default",
        {
            "id": "F1",
            "opened_at": "2024-10-26T23:00:00+00:00",
            "priority": "P1",
            "events": [
                {"at": "2024-10-26T23:00:00+00:00", "type": "created"},
                {"at": "2024-10-27T00:40:00+00:00", "type": "acknowledged"},
            ],
        },
        datetime(2024, 10, 27, 1, 20, tzinfo=UTC),
        ["Europe/Berlin"],
        False,
        direct=True,
    )
)
@given(case=fold_cases())
def test_a_history_around_a_fall_back_decides_the_same_in_every_zone(case: ZoneCase) -> None:
    check_zone_invariance(case)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=realistic_zone_cases())
def test_a_realistic_ticket_decides_the_same_in_every_zone(case: ZoneCase) -> None:
    check_zone_invariance(case)


def test_berlin_fold_example_is_in_the_repeated_hour() -> None:
    """Guard for the examples above: both instants read 02:xx in Berlin, with different folds."""
    first = datetime(2024, 10, 27, 0, 30, tzinfo=UTC).astimezone(_BERLIN)
    second = datetime(2024, 10, 27, 1, 10, tzinfo=UTC).astimezone(_BERLIN)
    assert ((2, 30, 0), (2, 10, 1)) == (
        (first.hour, first.minute, first.fold),
        (second.hour, second.minute, second.fold),
    )


# --------------------------------------------------------------------------------------------
# Silent acceptance in tickets
# --------------------------------------------------------------------------------------------


def _override(path: str, level: str) -> dict[str, Any]:
    ticket = copy.deepcopy(EXAMPLE_TICKETS["INC0010001"])
    ticket["events"].append(
        {
            "at": "2024-11-20T13:10:00+00:00",
            "type": "override",
            "actor": "petra.koch",
            "reason": "fuzz",
            "path": path,
            "level": level,
        }
    )
    return ticket


def _digits_in(key: str, digits: str) -> dict[str, Any]:
    ticket = copy.deepcopy(EXAMPLE_TICKETS["INC0010001"])
    text = ticket[key] if key == "opened_at" else ticket["events"][-1]["at"]
    written = "".join(digits[int(c)] if c in "0123456789" else c for c in text)
    if key == "opened_at":
        ticket["opened_at"] = written
    else:
        ticket["events"][-1]["at"] = written
    return ticket


SILENT = {
    "override-unknown-path": _override("nope", "L2"),
    "override-unknown-level": _override("service-desk", "L9"),
    "override-empty-level": _override("service-desk", ""),
    "opened-at-arabic-indic-digits": _digits_in("opened_at", DIGIT_SETS[0]),
    "event-at-fullwidth-digits": _digits_in("events", DIGIT_SETS[2]),
    "empty-id": {**EXAMPLE_TICKETS["INC0010001"], "id": ""},
    "empty-category": {**EXAMPLE_TICKETS["INC0010001"], "category": ""},
    "bool-as-count": {**EXAMPLE_TICKETS["INC0010001"], "reassignment_count": True},
    "float-field": {**SMALL_TICKETS["big-customer"], "fields": {"seats": 1.5}},
    "nan-count": {**EXAMPLE_TICKETS["INC0010001"], "reopen_count": float("nan")},
}


@pytest.mark.parametrize("name", list(SILENT))
def test_a_ticket_value_that_is_not_what_it_looks_like_is_a_ticket_error(name: str) -> None:
    ticket = SILENT[name]
    policy = "small-clocks" if name == "float-field" else "itil-default"
    answer = run(TicketCase(policy, name, [], ticket, datetime(2024, 11, 20, 15, tzinfo=UTC)))
    assert ("error", "TicketError") == answer[:2], f"{name}: {show(answer, 200)}"


# --------------------------------------------------------------------------------------------
# Tickets built in Python: wrong types at the constructor
# --------------------------------------------------------------------------------------------

_AT = datetime(2024, 11, 20, 10, tzinfo=UTC)
_EDGE = datetime.max.replace(tzinfo=timezone(timedelta(hours=-14)))
CONSTRUCTOR_CALLS: dict[str, Any] = {
    "event-status-int": lambda: Ticket(
        "T", _AT, events=[Event(0, _AT, "status-changed", status=1)]
    ),
    "event-at-text": lambda: Ticket("T", _AT, events=[Event(0, "2024-11-20T10:00:00Z", "created")]),
    "event-at-edge": lambda: Ticket("T", _AT, events=[Event(0, _EDGE, "created")]),
    "event-type-int": lambda: Ticket("T", _AT, events=[Event(0, _AT, 7)]),
    "event-as-mapping": lambda: Ticket("T", _AT, events=[{"at": _AT, "type": "created"}]),
    "events-None": lambda: Ticket("T", _AT, events=None),
    "opened-at-text": lambda: Ticket("T", "2024-11-20T10:00:00Z"),
    "fields-pairs": lambda: Ticket("T", _AT, fields=[("a", 1)]),
    "fields-huge-int": lambda: Ticket("T", _AT, fields={"a": huge_int(5000)}),
    "flags-int": lambda: Ticket("T", _AT, regulatory_flags=5),
    "customer-mapping": lambda: Ticket("T", _AT, customer={"id": "x"}),
    "count-huge": lambda: Ticket("T", _AT, reassignment_count=huge_int(5000)),
}


@pytest.mark.parametrize("name", list(CONSTRUCTOR_CALLS))
def test_a_bad_argument_to_the_ticket_constructor_is_an_escalate_error(name: str) -> None:
    try:
        with default_recursion_limit():
            CONSTRUCTOR_CALLS[name]()
    except EscalateError:
        return
    except Exception as exc:
        raise AssertionError(failure("Ticket(...): a foreign exception", name, exc)) from exc
    raise AssertionError(f"{name}: the ticket was built")
