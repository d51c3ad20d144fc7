"""Property tests for escalate.people.schedule against a slow reference model.

The reference reads the specification literally: hand-off ``k`` is ``resolve_wall(anchor wall
time + k × turn)`` (the end of a DST gap for a nonexistent wall time, the first occurrence of a
repeated one), the member on call is ``members[k mod n]`` for the largest ``k`` whose hand-off
is not after the instant, restrictions are read on ``astimezone(zone)``, overrides and layers
are scanned in declaration order. It shares no code with the compiled schedule except
``resolve_wall``, the documented definition of a wall-clock instant.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.calendars._instants import EPOCH, ONE_US, OffsetTable, resolve_wall, to_us
from escalate.calendars.calendar import parse_interval, parse_weekdays
from escalate.calendars.timewindow import TimeWindow
from escalate.people.schedule import Schedule

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",  # DST switched at midnight until 2019
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped 2011-12-30 entirely
)
LO = datetime(2010, 6, 1, tzinfo=UTC)
HI = datetime(2026, 6, 1, tzinfo=UTC)
TURN_HOURS = (1, 2, 3, 5, 8, 12, 24, 36, 48, 168, 336)
POOL = ("alice", "bob", "carol", "dave", "eve")
DAYS = (None, "mon-fri", "sat,sun", "fri-mon", "wed", "sun")
WEEK = timedelta(days=7)
MINUTE = timedelta(minutes=1)
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _transitions(name: str) -> list[datetime]:
    table = OffsetTable(ZoneInfo(name), to_us(LO), to_us(HI))
    return [EPOCH + s * ONE_US for s in table.starts[1:]]


TRANSITIONS = {name: _transitions(name) for name in ZONES}


# --------------------------------------------------------------------------------------------
# Reference model
# --------------------------------------------------------------------------------------------


@dataclass
class RefLayer:
    name: str
    level: int
    groups: list[tuple[str, ...]]
    turn: timedelta
    origin: datetime  # naive wall time of hand-off 0
    eff_from: datetime | None
    eff_until: datetime | None
    restrictions: list[tuple[list[int], int, int]] | None  # (weekdays, start min, end min)
    window: TimeWindow | None = None


@dataclass
class Ref:
    zone: ZoneInfo
    layers: list[RefLayer]
    overrides: list[tuple[datetime, datetime, tuple[str, ...]]]

    def handoff(self, layer: RefLayer, k: int) -> datetime:
        return resolve_wall(layer.origin + k * layer.turn, self.zone)

    def turn_index(self, layer: RefLayer, at: datetime) -> int:
        wall = at.astimezone(self.zone).replace(tzinfo=None)
        k = (wall - layer.origin) // layer.turn
        while self.handoff(layer, k + 1) <= at:
            k += 1
        while self.handoff(layer, k) > at:
            k -= 1
        return k

    def restricted_in(self, layer: RefLayer, at: datetime) -> bool:
        if layer.window is not None:
            return layer.window.contains(at)
        if layer.restrictions is None:
            return True
        wall = at.astimezone(self.zone).replace(tzinfo=None)
        monday = datetime.combine(wall.date() - timedelta(days=wall.weekday()), datetime.min.time())
        pos = wall - monday
        for days, start, end in layer.restrictions:
            for day in days:
                since = (pos - timedelta(days=day)) % WEEK
                if start * MINUTE <= since < end * MINUTE:
                    return True
        return False

    def has_someone(self, layer: RefLayer, at: datetime) -> bool:
        if layer.eff_from is not None and at < layer.eff_from:
            return False
        if layer.eff_until is not None and at >= layer.eff_until:
            return False
        return self.restricted_in(layer, at)

    def member(self, layer: RefLayer, at: datetime) -> tuple[str, ...]:
        return layer.groups[self.turn_index(layer, at) % len(layer.groups)]

    def on_call(self, at: datetime) -> tuple[str, ...]:
        covering = [who for start, end, who in self.overrides if start <= at < end]
        if covering:
            return tuple(dict.fromkeys(p for who in covering for p in who))
        active = [la for la in self.layers if self.has_someone(la, at)]
        if not active:
            return ()
        top = max(la.level for la in active)
        return tuple(
            dict.fromkeys(p for la in active if la.level == top for p in self.member(la, at))
        )


# --------------------------------------------------------------------------------------------
# Strategies: a configuration mapping and its reference model, from the same draws
# --------------------------------------------------------------------------------------------


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def aware(draw: st.DrawFn, lo: datetime = LO, hi: datetime = HI) -> datetime:
    us = draw(st.integers(0, (hi - lo) // ONE_US))
    unit = draw(st.sampled_from((1, 1_000_000, 60_000_000, 900_000_000)))
    return lo + (us // unit * unit) * ONE_US


@st.composite
def members(draw: st.DrawFn) -> tuple[list[Any], list[tuple[str, ...]]]:
    raw: list[Any] = []
    groups: list[tuple[str, ...]] = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 4)) == 0:
            group = draw(st.lists(st.sampled_from(POOL), min_size=2, max_size=2, unique=True))
            raw.append(group)
            groups.append(tuple(group))
        else:
            person = draw(st.sampled_from(POOL))
            raw.append(person)
            groups.append((person,))
    return raw, groups


@st.composite
def layers(
    draw: st.DrawFn, zone: ZoneInfo, index: int, restricted: bool = True
) -> tuple[dict[str, Any], RefLayer]:
    raw_members, groups = draw(members())
    hours = draw(st.sampled_from(TURN_HOURS))
    turn = (
        f"{hours // 168}w"
        if hours % 168 == 0
        else f"{hours // 24}d"
        if hours % 24 == 0
        else f"{hours}h"
    )
    rotation: dict[str, Any] = {"members": raw_members, "turn": turn}
    day = draw(st.dates(date(2011, 1, 1), date(2025, 12, 31)))
    if draw(st.booleans()):
        minute = draw(st.integers(0, 95)) * 15
        rotation["handoff"] = f"{minute // 60:02d}:{minute % 60:02d}"
        rotation["anchor"] = day.isoformat() if draw(st.booleans()) else day
        origin = datetime.combine(day, datetime.min.time()) + minute * MINUTE
    elif draw(st.booleans()):
        rotation["anchor"] = day
        origin = datetime.combine(day, datetime.min.time())
    else:
        anchor = aware(draw, datetime(2011, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC))
        offset = timedelta(minutes=draw(st.integers(-12 * 4, 14 * 4)) * 15)
        shown = anchor.astimezone(timezone(offset))
        rotation["anchor"] = shown if draw(st.booleans()) else shown.isoformat()
        origin = anchor.astimezone(zone).replace(tzinfo=None)
    config: dict[str, Any] = {
        "name": f"layer-{index}",
        "level": draw(st.integers(1, 3)),
        "rotation": rotation,
    }
    eff_from = eff_until = None
    if draw(st.integers(0, 3)) == 0:
        eff_from = aware(draw)
        config["effective_from"] = eff_from
    if draw(st.integers(0, 3)) == 0:
        eff_until = aware(draw)
        if eff_from is not None and eff_until <= eff_from:
            eff_until = eff_from + draw(st.integers(1, 30 * 24 * 60)) * MINUTE
        config["effective_until"] = eff_until.isoformat()
    restrictions = None
    window = None
    if restricted and draw(st.integers(0, 3)) == 0:
        # An Alertmanager time interval; without a location it is read in the schedule zone.
        start = draw(st.integers(0, 95)) * 15
        end = draw(st.integers(start // 15 + 1, 96)) * 15
        entry: dict[str, Any] = {
            "times": [{"start_time": clock(start), "end_time": clock(end)}],
            "weekdays": [draw(st.sampled_from(("monday:friday", "saturday", "sunday:tuesday")))],
        }
        config["window"] = entry
        window = TimeWindow.from_config({**entry, "location": zone.key})
    elif restricted and draw(st.booleans()):
        restrictions = []
        raw = []
        for _ in range(draw(st.integers(1, 2))):
            item: dict[str, str] = {}
            days = draw(st.sampled_from(DAYS))
            if days is not None:
                item["days"] = days
            start = draw(st.integers(0, 95)) * 15
            end = (start // 15 + draw(st.integers(1, 95))) % 96 * 15  # may run overnight
            if days is None or draw(st.booleans()):
                item["time"] = f"{clock(start)}-{clock(end)}"
            lo, hi = parse_interval(item["time"], ()) if "time" in item else (0, 1440)
            restrictions.append((parse_weekdays(days, ()) if days else list(range(7)), lo, hi))
            raw.append(item)
        config["restrictions"] = raw
    ref = RefLayer(
        name=config["name"],
        level=config["level"],
        groups=groups,
        turn=timedelta(hours=hours),
        origin=origin,
        eff_from=eff_from,
        eff_until=eff_until,
        restrictions=restrictions,
        window=window,
    )
    return config, ref


@st.composite
def schedules(
    draw: st.DrawFn, max_layers: int = 3, max_overrides: int = 4, restricted: bool = True
) -> tuple[dict[str, Any], Ref]:
    name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(name)
    pairs = [draw(layers(zone, i, restricted)) for i in range(draw(st.integers(1, max_layers)))]
    overrides = []
    raw_overrides = []
    for _ in range(draw(st.integers(0, max_overrides))):
        start = aware(draw)
        end = start + draw(st.integers(1, 72 * 60)) * MINUTE
        who = tuple(draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=2, unique=True)))
        overrides.append((start, end, who))
        raw_overrides.append({"start": start.isoformat(), "end": end, "people": list(who)})
    config = {"timezone": name, "layers": [c for c, _ in pairs], "overrides": raw_overrides}
    return config, Ref(zone, [r for _, r in pairs], overrides)


@st.composite
def instants(draw: st.DrawFn, ref: Ref) -> datetime:
    """Instants near DST transitions, hand-offs and override edges, or anywhere."""
    choice = draw(st.integers(0, 3))
    near: list[datetime] = []
    if choice == 0:
        near = TRANSITIONS[ref.zone.key]
    elif choice == 1:
        near = [edge for start, end, _ in ref.overrides for edge in (start, end)]
    elif choice == 2:
        layer = draw(st.sampled_from(ref.layers))
        base = draw(st.integers(-2000, 2000))
        near = [ref.handoff(layer, k) for k in range(base, base + 3)]
        near = [at for at in near if LO <= at <= HI]
    if near:
        at = draw(st.sampled_from(near))
        return at + draw(st.sampled_from((0, -1, 1, -60_000_000, 1_800_000_000))) * ONE_US
    return aware(draw)


@st.composite
def spans(draw: st.DrawFn, ref: Ref) -> tuple[datetime, datetime]:
    start = draw(instants(ref))
    return start, start + draw(st.integers(1, 10 * 24 * 60)) * MINUTE


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@PROPS
@given(st.data())
def test_on_call_agrees_with_the_reference_model(data: st.DataObject) -> None:
    config, ref = data.draw(schedules())
    s = Schedule.from_config(config)
    for _ in range(8):
        at = data.draw(instants(ref))
        assert ref.on_call(at) == s.on_call(at), at


@PROPS
@given(st.data())
def test_exactly_one_turn_per_instant_changing_only_at_handoffs(data: st.DataObject) -> None:
    config, ref = data.draw(schedules(max_layers=1, max_overrides=0, restricted=False))
    layer = ref.layers[0]
    if layer.eff_from is not None or layer.eff_until is not None:
        return
    s = Schedule.from_config(config)
    start, end = data.draw(spans(ref))
    shifts = s.shifts(start, end)
    k0, k1 = ref.turn_index(layer, start), ref.turn_index(layer, end)
    handoffs = {ref.handoff(layer, k) for k in range(k0 + 1, k1 + 1)} - {end}
    # Every shift boundary is a hand-off, and every shift shows the member of its turn.
    assert all(x.start in handoffs for x in shifts[1:])
    for x in shifts:
        assert ref.member(layer, x.start) == x.people == ref.member(layer, x.end - ONE_US)
    # Every hand-off that changes the member is a boundary.
    for h in handoffs:
        if ref.member(layer, h) != ref.member(layer, h - ONE_US):
            assert any(x.start == h for x in shifts)


@PROPS
@given(st.data())
def test_shifts_tile_the_span_and_agree_with_on_call(data: st.DataObject) -> None:
    config, ref = data.draw(schedules())
    s = Schedule.from_config(config)
    start, end = data.draw(spans(ref))
    shifts = s.shifts(start, end)
    assert shifts[0].start == start
    assert shifts[-1].end == end
    for a, b in itertools.pairwise(shifts):
        assert a.end == b.start
        assert (a.people, a.source) != (b.people, b.source)
    for x in shifts:
        assert x.start < x.end
        inner = x.start + data.draw(st.integers(0, (x.end - x.start) // ONE_US - 1)) * ONE_US
        for at in (x.start, x.end - ONE_US, inner):
            assert x.people == s.on_call(at) == ref.on_call(at), at
    assert [x for x in shifts if not x.people] == list(s.gaps(start, end))


@PROPS
@given(st.data())
def test_overrides_always_win(data: st.DataObject) -> None:
    config, ref = data.draw(schedules(max_overrides=4))
    s = Schedule.from_config(config)
    for start, end, who in ref.overrides:
        at = start + data.draw(st.integers(0, (end - start) // ONE_US - 1)) * ONE_US
        on_call = s.on_call(at)
        assert set(who) <= set(on_call)
        covering = [w for a, b, w in ref.overrides if a <= at < b]
        assert tuple(dict.fromkeys(p for w in covering for p in w)) == on_call


@PROPS
@given(st.data())
def test_next_handoff_is_sound(data: st.DataObject) -> None:
    config, ref = data.draw(schedules())
    s = Schedule.from_config(config)
    after = data.draw(instants(ref))
    now = s.on_call(after)
    nxt = s.next_handoff(after)
    if nxt is None:
        assert all(x.people == now for x in s.shifts(after, after + timedelta(days=30)))
        return
    assert nxt > after
    assert now != s.on_call(nxt) == ref.on_call(nxt)
    assert now == s.on_call(nxt - ONE_US) == ref.on_call(nxt - ONE_US)
    if nxt - after <= timedelta(days=60):
        assert all(x.people == now for x in s.shifts(after, nxt))


@PROPS
@given(st.data())
def test_building_is_deterministic_whatever_the_key_order(data: st.DataObject) -> None:
    config, ref = data.draw(schedules())

    def shuffled(value: Any) -> Any:
        if isinstance(value, dict):
            keys = data.draw(st.permutations(list(value)))
            return {k: shuffled(value[k]) for k in keys}
        if isinstance(value, list):
            return [shuffled(v) for v in value]
        return value

    a, b = Schedule.from_config(config), Schedule.from_config(shuffled(config))
    assert a == b
    assert hash(a) == hash(b)
    start, end = data.draw(spans(ref))
    assert a.shifts(start, end) == b.shifts(start, end) == a.shifts(start, end)
    assert a.next_handoff(start) == b.next_handoff(start)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.integers(0, 23), st.sampled_from((0, 15, 30, 45)), st.data())
def test_daily_handoffs_on_dst_days_are_the_resolved_wall_times(
    name: str, hour: int, minute: int, data: st.DataObject
) -> None:
    zone = ZoneInfo(name)
    rotation = {
        "members": ["alice", "bob", "carol"],
        "turn": "1d",
        "handoff": f"{hour:02d}:{minute:02d}",
        "anchor": "2000-01-01",
    }
    s = Schedule.from_config(
        {"timezone": name, "layers": [{"name": "primary", "level": 1, "rotation": rotation}]}
    )
    transition = data.draw(st.sampled_from(TRANSITIONS[name] or [datetime(2020, 1, 1, tzinfo=UTC)]))
    day = transition.astimezone(zone).date() + timedelta(days=data.draw(st.integers(-1, 1)))
    wall = datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)
    expected = resolve_wall(wall, zone)
    assert expected == s.next_handoff(expected - ONE_US)
    assert s.on_call(expected) != s.on_call(expected - ONE_US)


def _last_change_by_shifts(s: Schedule, after: datetime, until: datetime) -> datetime | None:
    """The literal reading of ``last_handoff``: every shift of ``(after, until]``, the last
    boundary whose people differ."""
    shifts = s.shifts(after, until + ONE_US)
    changes = [b.start for a, b in itertools.pairwise(shifts) if a.people != b.people]
    return changes[-1] if changes else None


@PROPS
@given(st.data())
def test_last_handoff_agrees_with_walking_every_shift_of_the_span(data: st.DataObject) -> None:
    config, ref = data.draw(schedules())
    s = Schedule.from_config(config)
    after = data.draw(instants(ref))
    until = after + data.draw(st.integers(0, 400 * 24 * 60)) * MINUTE
    expected = _last_change_by_shifts(s, after, until)
    assert expected == s.last_handoff(after, until), (after, until)
    if expected is not None:
        assert ref.on_call(expected) != ref.on_call(expected - ONE_US)


def test_last_handoff_decades_later_finds_the_latest_turn() -> None:
    # The regression: the lookup walked every hand-off since `after` (18,000 for 50 years).
    s = Schedule.from_config(
        {
            "timezone": "Europe/Berlin",
            "layers": [
                {
                    "name": "daily",
                    "level": 1,
                    "rotation": {
                        "members": ["alice", "bob"],
                        "turn": "1d",
                        "handoff": "09:00",
                        "anchor": "2024-01-01",
                    },
                }
            ],
        }
    )
    after = datetime(2024, 1, 1, tzinfo=UTC)
    until = datetime(2074, 6, 1, 12, tzinfo=UTC)
    assert datetime(2074, 6, 1, 7, tzinfo=UTC) == s.last_handoff(after, until)
    assert s.last_handoff(until, until) is None
