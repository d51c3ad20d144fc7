"""Property tests for rotations round 2 against a brute-force reference model.

The reference reads the documented rules literally and walks where the compiled schedule
computes in closed form:

* hand-off ``k`` of a layer is ``resolve_wall(wall_k, layer zone)``, where ``wall_k`` is the
  anchor's wall time plus ``k`` turns, or, for monthly turns, the anchor's day of the month
  ``k × months`` months on (clamped to the month's last day) at the hand-off time; the turn at
  ``t`` is the largest ``k`` whose hand-off is not after ``t``;
* with ``advance: per-shift`` the turn counter of turn ``k`` is the number of turns from 0 to
  ``k`` (excluded; negative before the anchor) whose wall-clock stretch meets the restricted
  hours, counted **one turn at a time** by checking every restriction day by day;
* a change at ``E`` keeps those of the group of the counter of the turn in progress at ``E``
  who are among the new members on call, if they make up one member of the new list (a person
  or a group, in any order; a ``null`` turn keeps a ``null`` member), and goes on in the new
  order; otherwise, and with ``restart``, the new list starts there;
* ``finish-turn``: the layer has someone at ``t`` iff the turn at ``t`` started before
  ``effective_until`` (no turn starts at or after it);
* overrides: those of the highest ``priority`` among the covering ones, together.

It shares with the code only ``resolve_wall``, the documented definition of a wall-clock
instant (GoAlert's rules), and the parsing of restriction words. Zones: Berlin, New York and
Lord Howe (30-minute DST), plus UTC.
"""

from __future__ import annotations

import calendar as gregorian
import itertools
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.calendars._instants import EPOCH, ONE_US, OffsetTable, resolve_wall, to_us
from escalate.calendars.calendar import parse_interval, parse_weekdays
from escalate.people.schedule import Schedule

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC")
LO = datetime(2024, 1, 1, tzinfo=UTC)
HI = datetime(2025, 12, 1, tzinfo=UTC)
POOL = ("alice", "bob", "carol", "dave")
TURN_HOURS = (1, 3, 8, 12, 24, 24, 36, 48, 168)
HANDOFFS = ("00:00", "01:30", "02:00", "02:15", "02:30", "03:00", "09:00", "23:30")
DAYS = (None, "mon-fri", "sat,sun", "fri-mon", "wed")
TIMES = (None, "09:00-17:00", "22:00-06:00", "02:00-03:00", "00:00-01:00", "12:00-12:30")
MINUTE = timedelta(minutes=1)
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _transitions(name: str) -> list[datetime]:
    table = OffsetTable(ZoneInfo(name), to_us(LO), to_us(HI))
    return [EPOCH + s * ONE_US for s in table.starts[1:]]


TRANSITIONS = {name: _transitions(name) for name in ZONES}


# --------------------------------------------------------------------------------------------
# Reference model
# --------------------------------------------------------------------------------------------

Group = tuple[str, ...]


@dataclass
class RefLayer:
    name: str
    level: int
    zone: ZoneInfo
    groups: list[Group]
    hours: int  # 0 for a monthly turn
    months: int  # 0 for a fixed turn
    anchor: date
    handoff: time
    per_shift: bool
    restrictions: list[tuple[list[int], int, int]] | None  # (weekdays, start min, end min)
    eff_from: datetime | None = None
    eff_until: datetime | None = None
    finish: bool = False
    changes: list[tuple[datetime, list[Group], bool]] = field(default_factory=list)
    _active: dict[int, bool] = field(default_factory=dict)
    _ahead: list[int] = field(default_factory=lambda: [0])  # [i]: active turns in 0 .. i-1
    _behind: list[int] = field(default_factory=lambda: [0])  # [i]: active turns in -i .. -1

    # -- the grid --------------------------------------------------------------------------

    def wall(self, k: int) -> datetime:
        start = datetime.combine(self.anchor, self.handoff)
        if not self.months:
            return start + k * timedelta(hours=self.hours)
        index = self.anchor.year * 12 + self.anchor.month - 1 + k * self.months
        year, month0 = divmod(index, 12)
        last = gregorian.monthrange(year, month0 + 1)[1]
        return datetime.combine(date(year, month0 + 1, min(self.anchor.day, last)), self.handoff)

    def handoff_at(self, k: int) -> datetime:
        return resolve_wall(self.wall(k), self.zone)

    def turn(self, at: datetime) -> int:
        local = at.astimezone(self.zone).replace(tzinfo=None)
        start = datetime.combine(self.anchor, self.handoff)
        if self.months:
            k = ((local.year - start.year) * 12 + local.month - start.month) // self.months
        else:
            k = (local - start) // timedelta(hours=self.hours)
        while self.handoff_at(k + 1) <= at:
            k += 1
        while self.handoff_at(k) > at:
            k -= 1
        return k

    # -- restrictions ----------------------------------------------------------------------

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The restricted wall-clock stretches that start on ``day``."""
        out = []
        for weekdays, start, end in self.restrictions or ():
            if day.weekday() in weekdays:
                midnight = datetime.combine(day, time())
                out.append((midnight + start * MINUTE, midnight + end * MINUTE))
        return out

    def restricted_in(self, at: datetime) -> bool:
        if self.restrictions is None:
            return True
        local = at.astimezone(self.zone).replace(tzinfo=None)
        return any(
            lo <= local < hi
            for day in (local.date() - timedelta(days=1), local.date())
            for lo, hi in self.spans(day)
        )

    def active(self, k: int) -> bool:
        """Whether turn ``k``'s wall-clock stretch meets the restricted hours."""
        if k not in self._active:
            lo, hi = self.wall(k), self.wall(k + 1)
            day, found = lo.date() - timedelta(days=1), False
            while day <= hi.date() and not found:
                found = any(a < hi and b > lo for a, b in self.spans(day))
                day += timedelta(days=1)
            self._active[k] = self.restrictions is None or found
        return self._active[k]

    def counter(self, k: int) -> int:
        if not self.per_shift:
            return k
        # One turn at a time (memoised running counts, so repeated questions stay cheap).
        if k >= 0:
            while len(self._ahead) <= k:
                self._ahead.append(self._ahead[-1] + self.active(len(self._ahead) - 1))
            return self._ahead[k]
        while len(self._behind) <= -k:
            self._behind.append(self._behind[-1] + self.active(-len(self._behind)))
        return -self._behind[-k]

    # -- members ---------------------------------------------------------------------------

    def versions(self) -> list[tuple[datetime | None, list[Group], int]]:
        """``(from, groups, base)``: from ``from`` on, counter ``c`` has
        ``groups[(c - base) mod n]``."""
        out: list[tuple[datetime | None, list[Group], int]] = [(None, self.groups, 0)]
        for start, groups, keep in self.changes:
            c = self.counter(self.turn(start))
            _, old, base = out[-1]
            current = old[(c - base) % len(old)]
            staying = {person for group in groups for person in group}
            kept = {person for person in current if person in staying}
            same = [i for i, group in enumerate(groups) if set(group) == kept]
            p = same[0] if keep and same and (kept or not current) else 0
            out.append((start, groups, c - p))
        return out

    def member(self, at: datetime) -> Group:
        _, groups, base = [v for v in self.versions() if v[0] is None or v[0] <= at][-1]
        return groups[(self.counter(self.turn(at)) - base) % len(groups)]

    def has_someone(self, at: datetime) -> bool:
        if self.eff_from is not None and at < self.eff_from:
            return False
        if (
            self.eff_until is not None
            and at >= self.eff_until
            and (not self.finish or self.handoff_at(self.turn(at)) >= self.eff_until)
        ):
            return False
        return self.restricted_in(at) and bool(self.member(at))


@dataclass
class Ref:
    layers: list[RefLayer]
    overrides: list[tuple[datetime, datetime, Group, int]]

    def on_call(self, at: datetime) -> Group:
        covering = [o for o in self.overrides if o[0] <= at < o[1]]
        if covering:
            top = max(o[3] for o in covering)
            return tuple(dict.fromkeys(p for o in covering if o[3] == top for p in o[2]))
        found = [la for la in self.layers if la.has_someone(at)]
        if not found:
            return ()
        top = max(la.level for la in found)
        return tuple(dict.fromkeys(p for la in found if la.level == top for p in la.member(at)))


# --------------------------------------------------------------------------------------------
# Strategies: a configuration and its reference model from the same draws
# --------------------------------------------------------------------------------------------


def aware(draw: st.DrawFn, lo: datetime = LO, hi: datetime = HI) -> datetime:
    minutes = draw(st.integers(0, (hi - lo) // MINUTE))
    return lo + minutes * MINUTE


@st.composite
def member_list(draw: st.DrawFn) -> tuple[list[Any], list[Group]]:
    raw: list[Any] = []
    groups: list[Group] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            raw.append(None)
            groups.append(())
        elif kind == 1:
            pair = draw(st.lists(st.sampled_from(POOL), min_size=2, max_size=2, unique=True))
            raw.append(pair)
            groups.append(tuple(pair))
        else:
            person = draw(st.sampled_from(POOL))
            raw.append(person)
            groups.append((person,))
    return raw, groups


@st.composite
def layers(draw: st.DrawFn, zone_name: str, index: int) -> tuple[dict[str, Any], RefLayer]:
    raw_members, groups = draw(member_list())
    own_zone = draw(st.sampled_from((None, None, *ZONES)))
    zone = ZoneInfo(own_zone or zone_name)
    months = draw(st.sampled_from((0, 0, 0, 0, 1, 2)))
    hours = 0 if months else draw(st.sampled_from(TURN_HOURS))
    turn = f"{months}mo" if months else f"{hours}h"
    handoff = draw(st.sampled_from(HANDOFFS))
    anchor = draw(st.dates(date(2023, 9, 1), date(2025, 6, 30)))
    last = gregorian.monthrange(anchor.year, anchor.month)[1]
    if months and last > 28 and draw(st.booleans()):
        anchor = anchor.replace(day=draw(st.integers(29, last)))  # clamped in shorter months
    rotation: dict[str, Any] = {
        "members": raw_members,
        "turn": turn,
        "handoff": handoff,
        "anchor": anchor.isoformat(),
    }
    per_shift = draw(st.booleans())
    if per_shift or draw(st.booleans()):
        rotation["advance"] = "per-shift" if per_shift else "always"
    config: dict[str, Any] = {"name": f"layer-{index}", "level": draw(st.integers(1, 2))}
    if own_zone is not None:
        config["timezone"] = own_zone
    restrictions = None
    if draw(st.integers(0, 2)) > 0:
        restrictions, raw = [], []
        for _ in range(draw(st.integers(1, 2))):
            days, times = draw(st.sampled_from(DAYS)), draw(st.sampled_from(TIMES))
            if days is None and times is None:
                times = "09:00-17:00"
            item = {k: v for k, v in (("days", days), ("time", times)) if v is not None}
            lo, hi = parse_interval(times, ()) if times else (0, 1440)
            restrictions.append((parse_weekdays(days, ()) if days else list(range(7)), lo, hi))
            raw.append(item)
        config["restrictions"] = raw
    ref = RefLayer(
        name=config["name"],
        level=config["level"],
        zone=zone,
        groups=groups,
        hours=hours,
        months=months,
        anchor=anchor,
        handoff=time.fromisoformat(handoff),
        per_shift=per_shift,
        restrictions=restrictions,
    )
    changes: list[dict[str, Any]] = []
    start = LO
    for _ in range(draw(st.integers(0, 2))):
        if start + MINUTE >= HI:
            break
        start = aware(draw, start + MINUTE, HI)
        new_raw, new_groups = draw(member_list())
        keep = draw(st.booleans())
        change: dict[str, Any] = {"effective_from": start.isoformat(), "members": new_raw}
        if not keep or draw(st.booleans()):
            change["position"] = "keep" if keep else "restart"
        changes.append(change)
        ref.changes.append((start, new_groups, keep))
    if changes:
        rotation["changes"] = changes
    config["rotation"] = rotation
    if draw(st.integers(0, 3)) == 0:
        ref.eff_from = aware(draw)
        config["effective_from"] = ref.eff_from.isoformat()
    if draw(st.integers(0, 2)) == 0:
        until = aware(draw)
        if ref.eff_from is not None and until <= ref.eff_from:
            until = ref.eff_from + draw(st.integers(1, 20 * 24 * 60)) * MINUTE
        ref.eff_until = until
        config["effective_until"] = until.isoformat()
        ref.finish = draw(st.booleans())
        if ref.finish or draw(st.booleans()):
            config["until_mode"] = "finish-turn" if ref.finish else "cut"
    return config, ref


@st.composite
def schedules(draw: st.DrawFn, max_layers: int = 3) -> tuple[dict[str, Any], Ref]:
    zone_name = draw(st.sampled_from(ZONES))
    pairs = [draw(layers(zone_name, i)) for i in range(draw(st.integers(1, max_layers)))]
    overrides = []
    raw_overrides = []
    for _ in range(draw(st.integers(0, 3))):
        start = aware(draw)
        end = start + draw(st.integers(1, 72 * 60)) * MINUTE
        who = tuple(draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=2, unique=True)))
        priority = draw(st.sampled_from((None, -1, 0, 1, 2)))
        entry: dict[str, Any] = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "people": list(who),
        }
        if priority is not None:
            entry["priority"] = priority
        overrides.append((start, end, who, priority or 0))
        raw_overrides.append(entry)
    config = {"timezone": zone_name, "layers": [c for c, _ in pairs], "overrides": raw_overrides}
    return config, Ref([r for _, r in pairs], overrides)


@st.composite
def instants(draw: st.DrawFn, ref: Ref) -> datetime:
    """Instants near DST transitions, hand-offs, changes and bounds, or anywhere."""
    choice = draw(st.integers(0, 4))
    near: list[datetime] = []
    layer = draw(st.sampled_from(ref.layers))
    if choice == 0:
        near = TRANSITIONS[layer.zone.key]
    elif choice == 1:
        base = layer.turn(aware(draw))
        near = [layer.handoff_at(k) for k in range(base, base + 3)]
    elif choice == 2:
        near = [c[0] for c in layer.changes] + [
            b for b in (layer.eff_from, layer.eff_until) if b is not None
        ]
        near += [edge for o in ref.overrides for edge in o[:2]]
    if near:
        at = draw(st.sampled_from(near))
        return at + draw(st.sampled_from((0, -1, 1, -60_000_000, 1_800_000_000))) * ONE_US
    return aware(draw)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@PROPS
@given(st.data())
def test_on_call_agrees_with_the_brute_force_reference(data: st.DataObject) -> None:
    config, ref = data.draw(schedules())
    s = Schedule.from_config(config)
    for _ in range(6):
        at = data.draw(instants(ref))
        assert ref.on_call(at) == s.on_call(at), at


@PROPS
@given(st.data())
def test_shifts_and_next_handoff_agree_with_the_reference(data: st.DataObject) -> None:
    config, ref = data.draw(schedules(max_layers=2))
    s = Schedule.from_config(config)
    start = data.draw(instants(ref))
    end = start + data.draw(st.integers(1, 4 * 24 * 60)) * MINUTE
    shifts = s.shifts(start, end)
    assert start == shifts[0].start and end == shifts[-1].end
    for before, after in itertools.pairwise(shifts):
        assert before.end == after.start
        assert (before.people, before.source) != (after.people, after.source)
    for x in shifts:
        middle = x.start + (x.end - x.start) // 2
        for at in (x.start, middle, x.end - ONE_US):
            assert ref.on_call(at) == x.people, at
    changes = [x.start for i, x in enumerate(shifts[1:]) if x.people != shifts[i].people]
    if changes:
        assert changes[0] == s.next_handoff(start)


@PROPS
@given(st.data())
def test_the_ical_export_parses_back_to_the_shifts_with_people(data: st.DataObject) -> None:
    config, ref = data.draw(schedules(max_layers=2))
    s = Schedule.from_config(config)
    start = data.draw(instants(ref))
    end = start + data.draw(st.integers(1, 3 * 24 * 60)) * MINUTE
    exported = s.to_ical(start, end, name="prop")
    assert exported == s.to_ical(start, end, name="prop")
    events = [
        (e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"]))
        for e in icalendar.Calendar.from_ical(exported).walk("VEVENT")
    ]
    timeline = s.shifts(start, end)
    whole = [
        (x.start.replace(microsecond=0), x.end.replace(microsecond=0), ", ".join(x.people))
        for x in timeline
        if x.people
    ]
    first = timeline[0]
    if first.people:
        # The shift in progress at start is exported from its true start: the same answer
        # (people and source) from there to start, and another one just before it.
        since = events[0][0]
        assert since <= start
        assert [(first.people, first.source)] == [
            (x.people, x.source) for x in s.shifts(since, first.end)
        ]
        if since > datetime(1, 1, 2, tzinfo=UTC):
            just_before = s.shifts(since - timedelta(microseconds=1), since + MINUTE)[0]
            assert (first.people, first.source) != (just_before.people, just_before.source)
        whole[0] = (since, *whole[0][1:])
    assert [w for w in whole if w[0] < w[1]] == events


@PROPS
@given(
    st.integers(1, 6),
    st.sampled_from((1, 3, 5, 8, 12, 24, 25, 36)),
    st.sampled_from(DAYS[1:]),
    st.sampled_from(TIMES[1:]),
    st.integers(-400, 400),
    st.integers(1, 3),
)
def test_per_shift_repeats_after_members_times_its_weekly_period(
    n: int, hours: int, days: str, times: str, day: int, periods: int
) -> None:
    """In UTC the answer at t and at t + n × lcm(turn, week) × periods is the same (the closed
    form is periodic, however far from the anchor)."""
    s = Schedule.from_config(
        {
            "timezone": "UTC",
            "layers": [
                {
                    "name": "a",
                    "level": 1,
                    "rotation": {
                        "members": list(POOL[:n]) if n <= 4 else [*POOL, *POOL[: n - 4]],
                        "turn": f"{hours}h",
                        "anchor": "2024-01-01",
                        "advance": "per-shift",
                    },
                    "restrictions": [{"days": days, "time": times}],
                }
            ],
        }
    )
    week = 168
    period = timedelta(hours=n * (hours * week // math.gcd(hours, week)) * periods)
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=7 * day)
    far = datetime(2400, 1, 1, tzinfo=UTC) - datetime(2024, 1, 1, tzinfo=UTC)
    assert s.on_call(at) == s.on_call(at + period)
    assert s.on_call(at + far) == s.on_call(at + far + period)


@PROPS
@given(st.data())
def test_rotation_period_rounds_show_every_answer_of_a_plain_rotation(data: st.DataObject) -> None:
    """A one-layer schedule without restrictions (nulls, months, changes in the past) is a plain
    rotation from its last change on: n + 1 answers from there show every answer it gives."""
    config, _ = data.draw(schedules(max_layers=1))
    layer = config["layers"][0]
    layer.pop("restrictions", None)
    layer.pop("effective_from", None)
    layer.pop("effective_until", None)
    layer.pop("until_mode", None)
    config["overrides"] = []
    s = Schedule.from_config(config)
    since, _ = s.repeats()
    at = max(since or LO, LO) + timedelta(hours=1)
    period = s.rotation_period(at)
    assert period is not None
    seen: list[tuple[str, ...]] = [s.on_call(at)]
    t: datetime | None = at
    for _ in range(3 * period + 3):
        assert t is not None
        t = s.next_handoff(t)
        if t is None:
            break
        seen.append(s.on_call(t))
    assert set(seen[: period + 1]) == set(seen)
