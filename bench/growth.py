"""Growth benchmark (issues 8, 12): history folds by events, lookups by elapsed time, rules.

Run from the project root (needs only escalate and its own dependencies)::

    .venv/bin/python bench/growth.py                   # full run: 10 .. 100,000 events, 1 d .. 50 y
    .venv/bin/python bench/growth.py --quick           # up to 10,000 events, fewer repeats
    .venv/bin/python bench/growth.py --src OLD/src   # measure another tree (before/after)
    .venv/bin/python bench/growth.py --only rules      # one group: history, spans or rules

It answers one question per measurement: does the cost grow flat, linearly or faster?

* **History** (size = number of events: 10, 100, 1,000, 10,000, 100,000). A ticket of
  ``rules/itil-default.yaml``'s vocabulary (P2, category ``network``) whose history repeats a
  block of ten events, 30 s apart: four ``action-done`` events (each a distinct ``action_id``),
  an ``assigned`` that alternates between two groups, two status changes (``in-progress``,
  ``awaiting-user-info``), an ``acknowledged``, a ``customer-reply`` and an ``agent-update``.
  ``now`` is one hour after the last event. Measured, each as the median of several runs:

  - ``Ticket(...)`` from prebuilt ``Event`` objects (construction and history checks);
  - ``Ticket.from_mapping`` of the same history as JSON-like data;
  - the first ``ticket.state_at(now)`` on a fresh ticket: the history fold;
  - the fold's peak memory (``tracemalloc``, one run);
  - ``policy.evaluate(ticket, now=now)`` with ``rules/itil-default.yaml``, once on a fresh
    ticket (the fold included) and once on a ticket already folded (evaluation's own cost),
    and the peak memory of an evaluation on a fresh ticket (one run).

* **Spans** (size = days between the instant a level was entered and ``now``: 1 d, 30 d, 1 y,
  10 y, 50 y). A policy (written below) whose vertical path enters ``L2`` one minute after the
  ticket opens, on an on-call schedule with daily (or weekly) hand-offs in Europe/Berlin, until
  resolved; a resolution clock runs on an office calendar compiled for 2024-2075. Measured
  per call, as the median over passes of 64 inputs (opening instants ~2.2 h apart):

  - ``policy.evaluate`` at ``opened + span``: daily schedule, weekly schedule, and daily with
    every member out of office until one hour before ``now`` (``on_empty:
    defer_until_covered``: when was the level first covered?), and daily with three rules that
    test the time (``within: office`` / ``not_within: office``, one escalating the path: when
    did the current window open or close, when did the path get its request, and when does
    the next change come?);
  - ``Schedule.on_call(at)`` and ``Schedule.next_handoff(at)`` at ``opened + span``;
  - ``Directory.last_handoff(schedule, opened, opened + span)`` (the last hand-off while the
    level was active; what an evaluation's hand-off notice asks), daily and weekly;
  - ``Calendar.elapsed(opened, opened + span)`` and ``Calendar.add(opened, that duration)``.

* **Rules** (size = number of rules: 10, 100, 1,000; issue 12). ``rules/itil-default.yaml``
  with its rules (and segments) replaced by generated ones, five kinds in turn, each with its
  own constants so that no two are alike: a notification on priority, category and an open
  status; a coordinator on reassignments (a stretch walk over the history); an after-hours
  page (``not_within:`` the office calendar); a post-mortem on the service-desk path's level
  (rules that run after the paths); a heads-up on the customer's tier while unacknowledged.
  The ticket is the history group's P2 network ticket with 30 events. Measured: compiling
  the policy text (``escalate.loads``) and ``policy.evaluate`` on a fresh ticket; both may
  grow linearly with the number of rules.

**Growth.** For each step between successive sizes: (ratio of times) / (ratio of sizes). It is
about 1 for linear growth, about 0 for flat and above 1.5 for superlinear growth. The verdict
comes from the **trend**, the same ratio taken across the last two steps together (sizes 100x
apart for histories and rules, 50x for spans), where the leading term shows and a single noisy
median cannot fake a verdict: below 0.1 flat (for spans: the time at 50 y is less than 5 times the
time at 1 y), up to 1.5 linear (a cost that grows with the size, maybe beside a large constant
part), above that SUPERLINEAR. History measurements may grow linearly with the number of
events. Span measurements must stay flat (issue 8: every lookup is O(log n) or O(1) in
elapsed time), so a linear one fails too.

**Guards.** Each size runs in a child process capped at ``--mem-cap`` MiB of address space;
each single call gets ``--budget`` seconds (default 20) before it is abandoned. Before a
measurement moves to the next size, the last step's growth predicts its time (and memory);
when that exceeds the budget (or the cap), the measurement stops growing and reports
``stopped: superlinear`` (or ``stopped: too slow`` when the growth was not superlinear).

Timing: ``time.perf_counter_ns`` (wall) and ``time.process_time_ns`` (CPU) around each run,
gc collected before and disabled during each run. Medians, not single times: the machine is
shared. The tables show both medians; growth and verdicts use the CPU time, which stays
steady when other work slows the wall clock (a neighbour's test run tripled wall times while
this was written). Exit status 1 when a measurement grows faster than it may, else 0. The
report is markdown on stdout; ``--json`` writes the raw numbers (default
``bench/results/growth.json``; ``bench/results/`` is git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"  # git-ignored
POLICY_FILE = ROOT / "rules" / "itil-default.yaml"

HISTORY_SIZES = (10, 100, 1_000, 10_000, 100_000)
HISTORY_SIZES_QUICK = (10, 100, 1_000, 10_000)
RULE_COUNTS = (10, 100, 1_000)
RULES_TICKET_EVENTS = 30
SPAN_DAYS = (1, 30, 365, 3_652, 18_262)
SPAN_LABELS = {1: "1 d", 30: "30 d", 365: "1 y", 3_652: "10 y", 18_262: "50 y"}

FLAT_BELOW = 0.1  # trend below this: flat (over 50x the span, the time grew less than 5x)
SUPERLINEAR_ABOVE = 1.5  # growth above this: superlinear

OPENED = datetime(2024, 11, 20, 10, tzinfo=UTC)  # a Wednesday
EVENT_GAP = timedelta(seconds=30)
SPAN_INPUTS = 64
SPAN_INPUT_GAP = timedelta(seconds=7919)  # ~2.2 h: inputs fall at every time of day


@dataclass(frozen=True)
class Spec:
    key: str
    group: str  # "history", "spans" or "rules"
    title: str
    unit: str  # "s" (seconds) or "B" (bytes)
    allowed: str  # "linear" or "flat"


SPECS = (
    Spec("construct", "history", "`Ticket(...)` from `Event` objects", "s", "linear"),
    Spec("from_mapping", "history", "`Ticket.from_mapping` (JSON-like input)", "s", "linear"),
    Spec("fold", "history", "first `ticket.state_at(now)`: the history fold", "s", "linear"),
    Spec("fold_mem", "history", "peak memory of the fold (tracemalloc)", "B", "linear"),
    Spec("evaluate_warm", "history", "`policy.evaluate`, history already folded", "s", "linear"),
    Spec("evaluate", "history", "`policy.evaluate`, fresh ticket (fold included)", "s", "linear"),
    Spec(
        "evaluate_mem", "history", "peak memory of `policy.evaluate` (tracemalloc)", "B", "linear"
    ),
    Spec("on_call", "spans", "`Schedule.on_call(opened + span)`, daily", "s", "flat"),
    Spec("next_handoff", "spans", "`Schedule.next_handoff(opened + span)`, daily", "s", "flat"),
    Spec("last_daily", "spans", "`Directory.last_handoff` over the span, daily", "s", "flat"),
    Spec("last_weekly", "spans", "`Directory.last_handoff` over the span, weekly", "s", "flat"),
    Spec("elapsed", "spans", "`Calendar.elapsed(opened, opened + span)`, office", "s", "flat"),
    Spec("add", "spans", "`Calendar.add(opened, elapsed)`, office", "s", "flat"),
    Spec("eval_daily", "spans", "`policy.evaluate`, level on a daily schedule", "s", "flat"),
    Spec("eval_weekly", "spans", "`policy.evaluate`, level on a weekly schedule", "s", "flat"),
    Spec(
        "eval_deferred",
        "spans",
        "`policy.evaluate`, daily, everyone away until 1 h before now (defer_until_covered)",
        "s",
        "flat",
    ),
    Spec("eval_within", "spans", "`policy.evaluate`, daily, rules `within:` office", "s", "flat"),
    Spec("rules_compile", "rules", "`escalate.loads` of the policy text", "s", "linear"),
    Spec("rules_evaluate", "rules", "`policy.evaluate`, fresh 30-event ticket", "s", "linear"),
)
# Measurements whose set-up runs another one: they stop growing when it stops.
DEPENDS = {"evaluate_warm": "fold"}

# The span policy: L2 is entered one minute after opening and stays until resolved.
SPAN_POLICY = """
policy: growth-spans
version: 1
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["08:00-18:00"]}
    years: [2024, 2075]
directory:
  people: {ann: {}, ben: {}, cat: {}, dan: {}}
schedules:
  daily:
    timezone: Europe/Berlin
    layers:
      - name: daily
        level: 1
        rotation: {members: [ann, ben, dan], turn: 1d, handoff: "09:00", anchor: 2024-01-01}
  weekly:
    timezone: Europe/Berlin
    layers:
      - name: weekly
        level: 1
        rotation: {members: [ann, ben, dan], turn: 1w, handoff: "09:00", anchor: 2024-01-01}
clocks:
  resolution:
    type: resolution
    start: {event: created}
    stop: {status: [resolved, closed, cancelled]}
    targets:
      P3: {within: 3bd, calendar: office}
    ladder:
      - at: 100%
        notify: {to: [person:cat], channel: email, template: sla-breached}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["person:cat"], after: 1m}
      - {name: L2, targets: ["schedule:SCHEDULE"], until: resolved, on_empty: defer_until_covered}
"""
# Rules that test the time: their action ids carry the instant the window opened (closed), and
# the path request of the last one the instant of the first closing.
WITHIN_RULES = """
rules:
  - id: in-hours
    when: {within: office, priority: P3}
    then: {notify: {to: [person:cat], channel: chat}}
  - id: after-hours
    when: {not_within: office, priority: P3}
    then: {notify: {to: [person:ann], channel: chat}}
  - id: night-desk
    when: {not_within: office, priority: P3}
    then: {escalate: {path: desk, to: L2}}
"""
OFFICE = {"timezone": "Europe/Berlin", "hours": {"mon-fri": ["08:00-18:00"]}, "years": [2024, 2075]}
# The generated rules, five kinds in turn; {i} makes each one's constants its own.
RULE_KINDS = (
    """
  - id: notify-{i}
    when:
      priority: [P1, P2, P3]
      category: {{matches: "^(network|cat-{i})"}}
      status_category: {{not_in: [resolved, closed, cancelled]}}
    then: {{notify: {{to: [assignment-group], channel: chat, template: t-{i}}}}}""",
    """
  - id: bounce-{i}
    when: {{reassignment_count: {{gte: {k}}}, status_category: {{not_in: [resolved, closed]}}}}
    then: {{escalate: {{path: coordination, to: coordinator}}}}""",
    """
  - id: night-{i}
    when:
      priority: [P1, P2]
      not_within: office-berlin
      status_category: {{not_in: [resolved, closed, cancelled]}}
    then: {{escalate: {{path: after-hours, to: on-call}}}}""",
    """
  - id: review-{i}
    when: {{path.service-desk.level: {{gte: L{level}}}}}
    then: {{require_postmortem: {{within: {days}d}}}}""",
    """
  - id: tier-{i}
    when: {{customer.tier: [gold, tier-{i}], acknowledged: false}}
    then: {{notify: {{to: [role:account-manager], channel: email, template: t-{i}}}}}""",
)


# ==============================================================================================
# Worker: one size of one group, in a child process
# ==============================================================================================


class _Timeout(BaseException):  # not an Exception: nothing in the library may swallow it
    pass


@contextmanager
def _limit(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _run_once(call: Callable[[], object], budget: float) -> tuple[int, int]:
    """Wall and CPU nanoseconds of one ``call()``, gc off; _Timeout after ``budget`` seconds."""
    gc.collect()
    gc.disable()
    try:
        with _limit(budget):
            c0 = time.process_time_ns()
            t0 = time.perf_counter_ns()
            call()
            t1 = time.perf_counter_ns()
            c1 = time.process_time_ns()
    finally:
        gc.enable()
    return t1 - t0, c1 - c0


def _measure(
    prepare: Callable[[], Callable[[], object]], repeats: int, budget: float, point: float
) -> dict[str, list[int]]:
    """Up to ``repeats`` timed runs of a freshly prepared call (prepare is not timed); fewer
    when the runs so far took more than ``point`` seconds in all."""
    wall: list[int] = []
    cpu: list[int] = []
    while len(wall) < repeats and sum(wall) < point * 1e9:
        w, c = _run_once(prepare(), budget)
        wall.append(w)
        cpu.append(c)
    return {"values": wall, "cpu": cpu}


def _events(n: int) -> list[Any]:
    from escalate import Event

    groups = ("service-desk", "second-line")
    people = ("anna.schmidt", "mehmet.yilmaz")
    out = []
    at = OPENED
    for i in range(n):
        r = i % 10
        if i == 0:
            e = Event(i, at, "created")
        elif r in (0, 3, 6, 8):
            e = Event(i, at, "action-done", action_id=f"G1:ext:{i}:notify0", actor="bot")
        elif r == 1:
            b = (i // 10) % 2
            e = Event(i, at, "assigned", group=groups[b], assignee=people[b])
        elif r == 2:
            e = Event(i, at, "status-changed", status="in-progress")
        elif r == 4:
            e = Event(i, at, "acknowledged", actor=people[(i // 10) % 2])
        elif r == 5:
            e = Event(i, at, "status-changed", status="awaiting-user-info")
        elif r == 7:
            e = Event(i, at, "customer-reply")
        else:
            e = Event(i, at, "agent-update", actor=people[(i // 10) % 2])
        out.append(e)
        at += EVENT_GAP
    return out


def _as_mapping(events: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": "G1",
        "opened_at": OPENED.isoformat(),
        "priority": "P2",
        "category": "network",
        "events": [e.to_dict() for e in events],
    }


def _history_worker(n: int, metrics: Sequence[str], args: argparse.Namespace) -> Iterator[dict]:
    from escalate import Ticket, load

    policy = load(POLICY_FILE)
    events = _events(n)
    now = events[-1].at + timedelta(hours=1)
    mapping = _as_mapping(events)
    repeats = 21 if n <= 1_000 else 7 if n <= 10_000 else 5
    if args.quick:
        repeats = min(repeats, 9)

    def fresh() -> Any:
        return Ticket("G1", OPENED, priority="P2", category="network", events=events)

    def folded() -> Any:
        ticket = fresh()
        ticket.state_at(now)
        return ticket

    preparers: dict[str, Callable[[], Callable[[], object]]] = {
        "construct": lambda: fresh,
        "from_mapping": lambda: lambda: Ticket.from_mapping(mapping),
        "fold": lambda: _bind(fresh().state_at, now),
        "evaluate_warm": lambda: _bind(policy.evaluate, folded(), now=now),
        "evaluate": lambda: _bind(policy.evaluate, fresh(), now=now),
    }
    for key in metrics:
        try:
            if key in ("fold_mem", "evaluate_mem"):
                ticket = fresh()
                run = _bind(ticket.state_at, now)
                if key == "evaluate_mem":
                    run = _bind(policy.evaluate, ticket, now=now)
                gc.collect()
                with _limit(args.budget):
                    tracemalloc.start()
                    try:
                        run()
                        peak = tracemalloc.get_traced_memory()[1]
                    finally:
                        tracemalloc.stop()
                del ticket, run
                yield {"metric": key, "size": n, "values": [peak], "per": 1}
                continue
            times = _measure(preparers[key], repeats, args.budget, args.point)
            yield {"metric": key, "size": n, **times, "per": 1}
        except _Timeout:
            yield {"metric": key, "size": n, "error": f"no answer within {args.budget:g} s"}
        except MemoryError:
            gc.collect()
            yield {"metric": key, "size": n, "error": f"out of memory ({args.mem_cap} MiB cap)"}
        except Exception as exc:
            yield {"metric": key, "size": n, "error": repr(exc), "failed": True}


def _bind(fn: Callable[..., object], *a: object, **kw: object) -> Callable[[], object]:
    return lambda: fn(*a, **kw)


def _span_worker(days: int, metrics: Sequence[str], args: argparse.Namespace) -> Iterator[dict]:
    from escalate import Availability, Calendar, Ticket, loads

    span = timedelta(days=days)
    policies = {
        name: loads(SPAN_POLICY.replace("SCHEDULE", name), filename=f"growth-{name}.yaml")
        for name in ("daily", "weekly")
    }
    policies["within"] = loads(
        SPAN_POLICY.replace("SCHEDULE", "daily") + WITHIN_RULES, filename="growth-within.yaml"
    )
    directory = policies["daily"].directory
    daily = directory.schedules["daily"]
    office = Calendar.from_config(OFFICE)
    starts = [OPENED + i * SPAN_INPUT_GAP for i in range(SPAN_INPUTS)]
    ends = [s + span for s in starts]
    durations = [office.elapsed(s, e) for s, e in zip(starts, ends, strict=True)]
    tickets = [Ticket(f"S{i}", s, priority="P3") for i, s in enumerate(starts)]
    away = [
        Availability.from_mapping(
            {
                "out_of_office": [
                    {
                        "person": p,
                        "from": s.isoformat(),
                        "until": (e - timedelta(hours=1)).isoformat(),
                    }
                    for p in ("ann", "ben", "dan")
                ]
            }
        )
        for s, e in zip(starts, ends, strict=True)
    ]
    calls: dict[str, Callable[[int], object]] = {
        "on_call": lambda i: daily.on_call(ends[i]),
        "next_handoff": lambda i: daily.next_handoff(ends[i]),
        "last_daily": lambda i: directory.last_handoff("daily", starts[i], ends[i]),
        "last_weekly": lambda i: directory.last_handoff("weekly", starts[i], ends[i]),
        "elapsed": lambda i: office.elapsed(starts[i], ends[i]),
        "add": lambda i: office.add(starts[i], durations[i]),
        "eval_daily": lambda i: policies["daily"].evaluate(tickets[i], now=ends[i]),
        "eval_weekly": lambda i: policies["weekly"].evaluate(tickets[i], now=ends[i]),
        "eval_within": lambda i: policies["within"].evaluate(tickets[i], now=ends[i]),
        "eval_deferred": lambda i: policies["daily"].evaluate(
            tickets[i], now=ends[i], availability=away[i]
        ),
    }
    passes = 5 if args.quick else 7
    for key in metrics:
        call = calls[key]
        try:
            # One call first: it warms the caches (zone tables) and sizes the passes.
            first, first_cpu = _run_once(lambda call=call: call(0), args.budget)
            if first > 2e9:  # slow: this one call is the figure
                yield {"metric": key, "size": days, "values": [first], "cpu": [first_cpu], "per": 1}
                continue
            k = max(1, min(SPAN_INPUTS, int(0.05e9 / max(first, 1))))

            def one_pass(call: Callable[[int], object] = call, k: int = k) -> None:
                for i in range(k):
                    call(i)

            _run_once(one_pass, args.budget)  # warm-up over the inputs
            times = _measure(lambda one_pass=one_pass: one_pass, passes, args.budget, args.point)
            yield {"metric": key, "size": days, **times, "per": k}
        except _Timeout:
            yield {"metric": key, "size": days, "error": f"no answer within {args.budget:g} s"}
        except MemoryError:
            gc.collect()
            yield {"metric": key, "size": days, "error": f"out of memory ({args.mem_cap} MiB cap)"}
        except Exception as exc:
            yield {"metric": key, "size": days, "error": repr(exc), "failed": True}


def rules_policy(count: int) -> str:
    """The shipped pack's text with ``count`` generated rules instead of its own (and no
    segments, which name its rules)."""
    text = POLICY_FILE.read_text(encoding="utf-8")
    head = text[: text.index("\nrules:\n")]
    rules = [
        RULE_KINDS[i % len(RULE_KINDS)].format(i=i, k=2 + i % 7, level=2 + i % 3, days=1 + i % 9)
        for i in range(count)
    ]
    return head + "\nrules:" + "".join(rules) + "\n"


def _rules_worker(count: int, metrics: Sequence[str], args: argparse.Namespace) -> Iterator[dict]:
    from escalate import Ticket, loads

    text = rules_policy(count)
    policy = loads(text, filename=f"growth-rules-{count}.yaml")
    events = _events(RULES_TICKET_EVENTS)
    now = events[-1].at + timedelta(hours=1)

    def fresh() -> Any:
        return Ticket("G1", OPENED, priority="P2", category="network", events=events)

    preparers: dict[str, Callable[[], Callable[[], object]]] = {
        "rules_compile": lambda: _bind(loads, text, filename="growth-rules.yaml"),
        "rules_evaluate": lambda: _bind(policy.evaluate, fresh(), now=now),
    }
    repeats = 5 if args.quick else 9
    for key in metrics:
        try:
            times = _measure(preparers[key], repeats, args.budget, args.point)
            yield {"metric": key, "size": count, **times, "per": 1}
        except _Timeout:
            yield {"metric": key, "size": count, "error": f"no answer within {args.budget:g} s"}
        except MemoryError:
            gc.collect()
            yield {"metric": key, "size": count, "error": f"out of memory ({args.mem_cap} MiB cap)"}
        except Exception as exc:
            yield {"metric": key, "size": count, "error": repr(exc), "failed": True}


def worker(args: argparse.Namespace) -> int:
    cap = args.mem_cap * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    metrics = args.metrics.split(",")
    run = {"history": _history_worker, "spans": _span_worker, "rules": _rules_worker}[args.worker]
    for row in run(args.size, metrics, args):
        print(json.dumps(row), flush=True)
    return 0


# ==============================================================================================
# Parent: grow the sizes, guard, report
# ==============================================================================================


@dataclass(frozen=True)
class Point:
    size: int
    value: float  # median wall seconds (per call), or peak bytes
    cpu: float | None  # median CPU seconds (per call); None for memory
    runs: int
    per: int  # calls per run

    @property
    def basis(self) -> float:
        """What growth is computed from: CPU time (steady under a shared machine's load)."""
        return self.value if self.cpu is None else self.cpu


@dataclass
class Series:
    spec: Spec
    points: list[Point] = field(default_factory=list)
    stopped: str | None = None
    stopped_superlinear: bool = False

    def growths(self) -> list[float]:
        return [_growth(a, b) for a, b in zip(self.points, self.points[1:], strict=False)]

    def trend(self) -> float | None:
        """Growth across the last two steps together (one step when there is only one): the
        sizes are 100x (histories, rules) or 50x (spans) apart, so one noisy median cannot
        fake it."""
        if len(self.points) < 2:
            return None
        return _growth(self.points[-min(3, len(self.points))], self.points[-1])

    def verdict(self) -> str:
        if self.stopped_superlinear:
            return "SUPERLINEAR"
        trend = self.trend()
        if trend is None:
            return "unknown"
        if trend > SUPERLINEAR_ABOVE:
            return "SUPERLINEAR"
        return "flat" if trend < FLAT_BELOW else "linear"

    def ok(self) -> bool:
        if self.stopped and self.stopped.startswith("failed"):
            return False
        v = self.verdict()
        if v == "unknown":
            return self.stopped is None
        return v == "flat" or (v == "linear" and self.spec.allowed == "linear")

    def predict(self, size: int) -> float | None:
        """The value expected at ``size`` from the last step (at least linear growth)."""
        if not self.points:
            return None
        last = self.points[-1]
        exponent = 1.0
        if len(self.points) >= 2:
            before = self.points[-2]
            if before.basis > 0 and last.basis > 0:
                ratio = last.basis / before.basis
                exponent = max(1.0, math.log(ratio) / math.log(last.size / before.size))
        return last.value * (size / last.size) ** exponent

    def superlinear_so_far(self) -> bool:
        trend = self.trend()
        return trend is not None and trend > SUPERLINEAR_ABOVE


def _growth(a: Point, b: Point) -> float:
    return (b.basis / a.basis) / (b.size / a.size) if a.basis > 0 else math.inf


def _child(group: str, size: int, metrics: list[str], args: argparse.Namespace) -> list[dict]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        group,
        "--size",
        str(size),
        "--metrics",
        ",".join(metrics),
        "--src",
        str(args.src),
        "--budget",
        str(args.budget),
        "--point",
        str(args.point),
        "--mem-cap",
        str(args.mem_cap),
    ] + (["--quick"] if args.quick else [])
    # Per metric: a run budget, a few repeats, plus set-up (the events, the policy).
    timeout = 60 + len(metrics) * (args.budget + 2 * args.point)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        out, err, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        err, code = f"timed out after {timeout:.0f} s", -1
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    seen = {r["metric"] for r in rows}
    for key in metrics:
        if key not in seen:
            why = (err.strip().splitlines() or [f"exit {code}"])[-1]
            row = {"metric": key, "size": size, "error": why}
            if "MemoryError" in err:
                row["error"] = f"out of memory ({args.mem_cap} MiB cap)"
            elif code != -1:
                row["failed"] = True  # a crash, not a sign of growth
            rows.append(row)
    return rows


def grow(group: str, sizes: Sequence[int], series: dict[str, Series], args: argparse.Namespace):
    keys = [s.key for s in SPECS if s.group == group and s.key in series]
    for size in sizes:
        todo = []
        for key in keys:
            ser = series[key]
            if ser.stopped:
                continue
            needs = DEPENDS.get(key)
            if needs in series and series[needs].stopped:
                ser.stopped = f"not measured beyond this: it needs {needs!r}, which stopped"
                continue
            guess = ser.predict(size)
            limit = args.budget if ser.spec.unit == "s" else args.mem_cap * 1024 * 1024 / 2
            if guess is not None and guess > limit:
                superlinear = ser.superlinear_so_far()
                shown = _value(guess, ser.spec.unit)
                ser.stopped = (
                    f"stopped: {'superlinear' if superlinear else 'too slow'} "
                    f"(predicted {shown} at {_size(group, size)})"
                )
                ser.stopped_superlinear = superlinear
                continue
            todo.append(key)
        if not todo:
            break
        t0 = time.perf_counter()
        rows = _child(group, size, todo, args)
        took = time.perf_counter() - t0
        print(f"[{group}] {_size(group, size)}: {', '.join(todo)} in {took:.1f} s", file=sys.stderr)
        for row in rows:
            ser = series[row["metric"]]
            if "error" in row:
                where = f"{row['error']} at {_size(group, size)}"
                if row.get("failed"):
                    ser.stopped = f"failed: {where}"
                else:
                    ser.stopped = f"stopped: superlinear ({where})"
                    ser.stopped_superlinear = True
                continue
            per = row["per"]
            value = statistics.median(row["values"]) / per
            cpu = None
            if ser.spec.unit == "s":
                value /= 1e9
                cpu = statistics.median(row["cpu"]) / per / 1e9
            ser.points.append(Point(size, value, cpu, len(row["values"]), per))
            if cpu is not None and value > args.budget:
                ser.stopped = f"stopped: over {args.budget:g} s per call"
                ser.stopped_superlinear = ser.superlinear_so_far()


# -- formatting --------------------------------------------------------------------------------


def _size(group: str, size: int) -> str:
    if group == "rules":
        return f"{size:,} rules"
    return f"{size:,} events" if group == "history" else SPAN_LABELS.get(size, f"{size} d")


def _value(v: float, unit: str) -> str:
    if unit == "B":
        for scale, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if v >= scale:
                return f"{v / scale:,.1f} {name}"
        return f"{v:,.0f} B"
    if v >= 1:
        return f"{v:,.2f} s"
    if v >= 1e-3:
        return f"{v * 1e3:,.2f} ms"
    if v >= 1e-6:
        return f"{v * 1e6:,.2f} µs"
    return f"{v * 1e9:,.0f} ns"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def report(series: Series) -> str:
    spec = series.spec
    history = spec.group == "history"
    memory = spec.unit == "B"
    head = [
        "events" if history else "rules" if spec.group == "rules" else "span",
        "peak" if memory else "median" if history else "per call",
    ]
    if history:
        head.append("per event")
    if not memory:
        head.append("CPU")
    head += ["growth" if memory else "growth (CPU)", "runs"]
    rows = []
    growths = [None, *series.growths()]
    for p, gr in zip(series.points, growths, strict=True):
        row = [_size(spec.group, p.size), _value(p.value, spec.unit)]
        if history:
            row.append(_value(p.value / p.size, spec.unit))
        if p.cpu is not None:
            row.append(_value(p.cpu, spec.unit))
        row.append("" if gr is None else f"{gr:.2f}")
        row.append(f"{p.runs}" + (f" × {p.per}" if p.per > 1 else ""))
        rows.append(row)
    verdict = series.verdict()
    ok = "ok" if series.ok() else "FAIL"
    allowed = "at most linear" if spec.allowed == "linear" else "flat"
    lines = [f"**{spec.title}**", "", _table(head, rows), ""]
    if series.stopped:
        lines.append(series.stopped)
    lines.append(f"verdict: {verdict} (must be {allowed}): {ok}")
    return "\n".join(lines)


def summary(all_series: Sequence[Series]) -> str:
    rows = []
    for ser in all_series:
        spec = ser.spec
        if not ser.points:
            rows.append([spec.title, "", "", "", ser.verdict(), "FAIL"])
            continue
        last = ser.points[-1]
        size, value = last.size, last.value
        cost = _value(value / size, spec.unit) if spec.group != "spans" else ""
        trend = ser.trend()
        rows.append(
            [
                spec.title,
                f"{_value(value, spec.unit)} at {_size(spec.group, size)}",
                cost,
                "" if trend is None else f"{trend:.2f}",
                ser.verdict() + (" (stopped)" if ser.stopped else ""),
                "ok" if ser.ok() else "FAIL",
            ]
        )
    head = ["measurement", "largest size measured", "per event (rule)", "trend", "verdict", ""]
    return _table(head, rows)


def source_state(src: Path) -> str:
    """Which escalate was measured: HEAD, changed paths, and a hash of ``<src>/escalate``."""
    digest = hashlib.sha256()
    for f in sorted((src / "escalate").rglob("*.py")):
        digest.update(f.relative_to(src).as_posix().encode() + b"\0" + f.read_bytes())
    tree = f"src/escalate sha256 {digest.hexdigest()[:12]}"
    if src.resolve() != (ROOT / "src").resolve():
        return f"{src} (not this checkout's src/), {tree}"

    def git(*a: str) -> str:
        run = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=False)
        return run.stdout.strip()

    changed = git("status", "--porcelain", "--", "src").splitlines()
    head = git("rev-parse", "--short", "HEAD") or "?"
    return f"HEAD {head} + {len(changed)} changed paths under src/, {tree}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="up to 10,000 events, fewer repeats")
    ap.add_argument("--json", help="write the results here (default bench/results/growth.json)")
    ap.add_argument("--only", choices=("history", "spans", "rules"), help="run one group only")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the tree to measure")
    ap.add_argument("--budget", type=float, default=20.0, help="seconds allowed for one call")
    ap.add_argument("--point", type=float, default=4.0, help="seconds of repeats per size")
    ap.add_argument("--mem-cap", type=int, default=3072, help="MiB of address space per child")
    ap.add_argument("--worker", choices=("history", "spans", "rules"), help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--metrics", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.src = args.src.resolve()
    if not (args.src / "escalate" / "__init__.py").is_file():
        ap.error(f"--src {args.src}: no escalate package there")
    sys.path.insert(0, str(args.src))  # measure that tree, installed or not
    if args.worker:
        return worker(args)

    started = datetime.now(UTC)
    load_start = os.getloadavg()
    t0 = time.perf_counter()
    series = {s.key: Series(s) for s in SPECS if args.only in (None, s.group)}
    if args.only in (None, "history"):
        grow("history", HISTORY_SIZES_QUICK if args.quick else HISTORY_SIZES, series, args)
    if args.only in (None, "spans"):
        grow("spans", SPAN_DAYS, series, args)
    if args.only in (None, "rules"):
        grow("rules", RULE_COUNTS, series, args)
    took = time.perf_counter() - t0
    load_end = os.getloadavg()

    print(f"# Growth (issues 8, 12){' --quick' if args.quick else ''}\n")
    print(
        f"- {started:%Y-%m-%d %H:%M} UTC, {took:.0f} s; CPython {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} cores; load average "
        f"{load_start[0]:.2f} at start, {load_end[0]:.2f} at end"
    )
    print(f"- escalate measured: {source_state(args.src)}")
    print(
        f"- growth = (time ratio) / (size ratio) between successive sizes: ≈0 flat, ≈1 linear, "
        f"> {SUPERLINEAR_ABOVE} superlinear\n"
    )
    groups = (("history", "History folds"), ("spans", "Lookups across spans"), ("rules", "Rules"))
    for group, title in groups:
        chosen = [s for s in series.values() if s.spec.group == group]
        if not chosen:
            continue
        print(f"## {title}\n")
        for ser in chosen:
            print(report(ser) + "\n")
    print("## Summary\n")
    print(summary(list(series.values())))
    failed = [s.spec.key for s in series.values() if not s.ok()]
    print()
    print(f"FAIL: {', '.join(failed)}" if failed else "no measurement grows faster than it may")

    out = Path(args.json) if args.json else RESULTS / "growth.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "started": started.isoformat(),
        "seconds": took,
        "quick": args.quick,
        "python": platform.python_version(),
        "loadavg": [load_start[0], load_end[0]],
        "source": source_state(args.src),
        "measurements": {
            s.spec.key: {
                "title": s.spec.title,
                "group": s.spec.group,
                "unit": s.spec.unit,
                "allowed": s.spec.allowed,
                "points": [
                    {
                        "size": p.size,
                        "median": p.value,
                        "median_cpu": p.cpu,
                        "runs": p.runs,
                        "calls_per_run": p.per,
                    }
                    for p in s.points
                ],
                "growth": s.growths(),
                "stopped": s.stopped,
                "verdict": s.verdict(),
                "ok": s.ok(),
            }
            for s in series.values()
        },
    }
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nresults: {out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
