"""Full decisions: how long ``Policy.evaluate(ticket, now=...)`` takes on realistic tickets.

Run from the project root::

    .venv/bin/python bench/evaluate.py                      # 10,000 tickets, about 1 min
    .venv/bin/python bench/evaluate.py --tickets 2000       # smoke test
    .venv/bin/python bench/evaluate.py --peers              # also the harness's W3, ratios
    .venv/bin/python bench/evaluate.py --profile            # also cProfile one cold pass

The tickets are synthetic but shaped like ServiceNow incidents for ``rules/itil-default.yaml``
(see :func:`gen_ticket`); they come from a seeded ``random.Random``, so a seed always gives
the same tickets. Every ``Ticket`` is built before any timing: parsing is not evaluation.

What is timed, and how:

* **cold**: each pass gets freshly built ``Ticket`` objects, so nothing a ticket caches lazily
  (the folded history behind ``state_at``, its digest) survives from an earlier pass. This is
  the production case, where each evaluation reads the ticket anew. Headline figure.
* **warm**: the same ``Ticket`` objects evaluated again, their caches filled.
* Whole passes are timed with ``perf_counter`` and gc disabled; per-decision time is the
  median over the passes. Per-call percentiles come from further cold passes in which every
  call is timed on its own (``perf_counter_ns``); a ticket's figure is its median over them.
* Determinism: a sample of tickets is evaluated on two independently built ``Ticket`` copies
  and once more on a warm one; the ``to_dict()`` JSON must be identical.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # measure this working tree

from escalate.engine.compiled import Policy  # noqa: E402
from escalate.engine.ticket import Ticket  # noqa: E402
from escalate.policy.loader import load  # noqa: E402

POLICY_FILE = ROOT / "rules" / "itil-default.yaml"
ADAPTER = ROOT / "bench" / "escalate_adapter.py"
# The shared working folder sits beside the repository (``../shared`` from its root).
HARNESS_DIR = ROOT.parent / "shared"
RESULTS = ROOT / "bench" / "results"  # git-ignored
PEERS_PYTHON = ROOT / ".peers" / "bin" / "python"
TARGET_PER_SECOND = 50_000  # the brief's target: <= 20 us per full decision
ANCHOR_PER_SECOND = 200_000  # perf-anchors.md section 4: end-to-end decision, <= 5 us

# ---- the vocabulary of rules/itil-default.yaml, as a ServiceNow export writes it ----------
PRIORITY_TEXT = {
    "P1": "1 - Critical",
    "P2": "2 - High",
    "P3": "3 - Moderate",
    "P4": "4 - Low",
    "P5": "5 - Planning",
}
LEVEL_TEXT = {"high": "1 - High", "medium": "2 - Medium", "low": "3 - Low"}
MATRIX = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("high", "low"): "P3",
    ("medium", "high"): "P2",
    ("medium", "medium"): "P3",
    ("medium", "low"): "P4",
    ("low", "high"): "P3",
    ("low", "medium"): "P4",
    ("low", "low"): "P5",
}
ORDER = ("P1", "P2", "P3", "P4", "P5")
# category -> (weight, subcategories, the team that finally owns it). The teams and people are
# the ones the pack's directory knows.
CATEGORIES: dict[str, tuple[int, tuple[str, ...], str]] = {
    "network": (16, ("wan", "lan", "wifi", "dns", "vpn"), "network-ops"),
    "lan": (5, ("switch", "cabling"), "network-ops"),
    "application": (24, ("order-portal", "crm", "erp"), "second-line"),
    "software": (20, ("email", "vpn-client", "office"), "second-line"),
    "hardware": (15, ("laptop", "printer", "server"), "second-line"),
    "database": (8, ("oracle", "postgres"), "second-line"),
    "inquiry": (12, ("how-to", "access-request"), "service-desk"),
}
PEOPLE = {
    "service-desk": ("anna.schmidt", "jonas.weber", "lena.fischer"),
    "second-line": ("mehmet.yilmaz", "sofia.rossi", "tom.becker"),
    "network-ops": ("erik.larsen", "nina.hoffmann"),
    "network-vendor": ("vendor-noc",),
}
PAUSES = ("awaiting-user-info", "awaiting-user-info", "awaiting-vendor", "awaiting-change")
YEAR_START = datetime(2024, 1, 1, tzinfo=UTC)
YEAR_SECONDS = 366 * 86_400


def _iso(at: datetime) -> str:
    return at.isoformat()


def _gap(rng: random.Random, lo: float, hi: float) -> timedelta:
    """A log-uniform pause between events, whole seconds."""
    return timedelta(seconds=int(lo * (hi / lo) ** rng.random()))


class _History:
    """A ticket's history as it is written: events plus the state they leave behind."""

    def __init__(self, rng: random.Random, opened: datetime) -> None:
        self.rng = rng
        self.at = opened
        self.events: list[dict[str, Any]] = [{"at": _iso(opened), "type": "created"}]
        self.status = "new"
        self.group: str | None = None
        self.assignee: str | None = None
        self.acknowledged = False

    def add(self, gap: timedelta, kind: str, **payload: Any) -> None:
        self.at += gap
        self.events.append({"at": _iso(self.at), "type": kind, **payload})
        if kind == "status-changed":
            self.status = payload["status"]
        elif kind in ("resolved", "closed"):
            self.status = kind
        elif kind == "reopened":
            self.status = "in-progress"
            self.acknowledged = False
        elif kind == "acknowledged":
            self.acknowledged = True

    def assign(self, gap: timedelta, group: str) -> None:
        assignee = self.rng.choice(PEOPLE[group])
        self.add(gap, "assigned", group=group, assignee=assignee)
        self.group, self.assignee = group, assignee


def gen_ticket(rng: random.Random, number: int) -> dict[str, Any]:
    """One incident as ServiceNow would export it (no action-done events yet).

    * Priority: 60 % the display value plus impact and urgency that agree with the pack's
      matrix, 25 % the display value only, 15 % impact and urgency only.
    * 3-15 events: created; assigned to the service desk; acknowledged or a first response;
      work, hand-offs to the owning team (sometimes back and forth: ping-pong), pauses awaiting
      the user or a vendor ended by a reply, an occasional priority change, resolution, some
      reopened, some closed.
    """
    impact = rng.choices(("high", "medium", "low"), (20, 50, 30))[0]
    urgency = rng.choices(("high", "medium", "low"), (25, 50, 25))[0]
    priority = MATRIX[impact, urgency]
    style = rng.choices(("both", "priority", "matrix"), (60, 25, 15))[0]
    category = rng.choices(list(CATEGORIES), [w for w, _, _ in CATEGORIES.values()])[0]
    _, subcategories, owner = CATEGORIES[category]
    opened = YEAR_START + timedelta(seconds=rng.randrange(YEAR_SECONDS))
    ticket: dict[str, Any] = {
        "id": f"INC{10_010_000 + number:07d}",
        "kind": "incident",
        "opened_at": _iso(opened),
    }
    if style != "matrix":
        ticket["priority"] = PRIORITY_TEXT[priority]
    if style != "priority":
        ticket["impact"] = LEVEL_TEXT[impact]
        ticket["urgency"] = LEVEL_TEXT[urgency]
    ticket["category"] = category
    ticket["subcategory"] = rng.choice(subcategories)
    if rng.random() < 0.7:
        ticket["service"] = rng.choice(("order-portal", "remote-access", "email", "erp", "crm"))
    if rng.random() < 0.4:
        ticket["configuration_item"] = f"ci-{rng.randrange(1000, 9999)}"
    ticket["customer"] = {
        "id": f"C-{rng.randrange(1000, 1999)}",
        "tier": rng.choice(("gold", "silver", "bronze")),
        "vip": rng.random() < 0.08,
    }

    urgent = priority in ("P1", "P2")
    fast = (20, 1_800) if urgent else (60, 4 * 3_600)  # working pauses, seconds
    slow = (1_800, 3 * 86_400)  # waiting on someone outside
    h = _History(rng, opened)
    want = rng.randint(3, 15)
    h.assign(_gap(rng, 10, 600), "service-desk")
    previous_group = "service-desk"
    changed_priority = False
    while len(h.events) < want and h.status != "closed":
        r = rng.random()
        if h.status in PAUSES:
            if r < 0.7:
                h.add(_gap(rng, *slow), "customer-reply", actor="requester")
                if len(h.events) < want:
                    h.add(_gap(rng, 30, 1_800), "status-changed", status="in-progress")
            else:
                h.add(_gap(rng, *fast), "agent-update")
        elif h.status == "resolved":
            if r < 0.25:
                h.add(_gap(rng, 3_600, 3 * 86_400), "reopened", actor="requester")
            else:
                h.add(_gap(rng, 86_400, 5 * 86_400), "closed")
        elif not h.acknowledged:
            kind = "acknowledged" if r < 0.75 else "first-response"
            h.add(_gap(rng, *fast), kind, actor=h.assignee)
            h.acknowledged = True  # a first response also counts as answered here
        elif h.status in ("new", "assigned"):
            h.add(_gap(rng, 10, 900), "status-changed", status="in-progress")
        elif r < 0.22:  # hand-off: to the owner, or ping-pong back to where it came from
            if h.group != owner and rng.random() < 0.7:
                target = owner
            elif rng.random() < 0.6:
                target = previous_group
            else:
                target = rng.choice(list(PEOPLE))
            if target != h.group:
                previous_group = h.group or "service-desk"
                h.assign(_gap(rng, *fast), target)
        elif r < 0.34:
            h.add(_gap(rng, *fast), "status-changed", status=rng.choice(PAUSES))
        elif r < 0.39 and style != "matrix" and not changed_priority:
            old = ORDER.index(priority)
            new = ORDER[max(0, min(4, old + rng.choice((-1, -1, 1))))]
            if new != priority:
                h.add(
                    _gap(rng, *fast),
                    "priority-changed",
                    priority=PRIORITY_TEXT[new],
                    from_priority=PRIORITY_TEXT[priority],
                )
                priority, changed_priority = new, True
                ticket["priority"] = PRIORITY_TEXT[new]
        elif r < 0.62:
            h.add(_gap(rng, *fast), rng.choice(("agent-update", "comment", "agent-update")))
        elif r < 0.8 or len(h.events) >= want - 1:
            h.add(_gap(rng, *fast), "resolved", actor=h.assignee)
        else:
            h.add(_gap(rng, *fast), "customer-reply", actor="requester")
    ticket["assignment_group"] = h.group
    ticket["assignee"] = h.assignee
    ticket["status"] = h.status
    ticket["events"] = h.events
    return ticket


def _prefix(ticket: dict[str, Any], k: int) -> dict[str, Any]:
    """The ticket as it stood after its first ``k`` events (no derived top-level fields)."""
    out = {key: v for key, v in ticket.items() if key not in ("status", "assignee", "events")}
    out.pop("assignment_group", None)
    events = ticket["events"][:k]
    out["events"] = events
    changes = [e for e in events if e["type"] == "priority-changed"]
    if "priority" in ticket and any(e["type"] == "priority-changed" for e in ticket["events"]):
        first = next(e for e in ticket["events"] if e["type"] == "priority-changed")
        out["priority"] = changes[-1]["priority"] if changes else first["from_priority"]
    return out


def add_done_events(
    policy: Policy, rng: random.Random, ticket: dict[str, Any], share: float
) -> int:
    """With probability ``share``, record ``action-done`` for an action the policy really
    emitted at some point of the history (found by evaluating the ticket as it stood then).
    Returns how many events were added."""
    if rng.random() >= share:
        return 0
    events = ticket["events"]
    k = rng.randrange(1, len(events))
    at = datetime.fromisoformat(events[k]["at"])
    if k + 1 < len(events):
        nxt = datetime.fromisoformat(events[k + 1]["at"])
        at += timedelta(seconds=int((nxt - at).total_seconds() * rng.random()))
    decision = policy.evaluate(_prefix(ticket, k + 1), now=at)
    if not decision.actions:
        return 0
    picked = rng.sample(decision.actions, min(len(decision.actions), rng.choice((1, 1, 2))))
    done = [
        {"at": _iso(at), "type": "action-done", "action_id": a.id, "actor": "middleware"}
        for a in picked
    ]
    events[k + 1 : k + 1] = done
    return len(done)


def gen_corpus(
    policy: Policy, n: int, seed: int
) -> tuple[list[dict[str, Any]], list[datetime], int]:
    """``n`` ticket mappings, a per-ticket ``now`` (0-5 days after its last event), and the
    number of action-done events added."""
    rng = random.Random(seed)
    tickets, nows, done = [], [], 0
    for i in range(n):
        t = gen_ticket(rng, i)
        done += add_done_events(policy, rng, t, 0.25)
        last = datetime.fromisoformat(t["events"][-1]["at"])
        nows.append(last + timedelta(seconds=rng.randrange(5 * 86_400 + 1)))
        tickets.append(t)
    return tickets, nows, done


# ---- timing --------------------------------------------------------------------------------
def build(mappings: Sequence[dict[str, Any]]) -> list[Ticket]:
    return [Ticket.from_mapping(m) for m in mappings]


def time_pass(
    evaluate: Callable[..., Any], tickets: list[Ticket], nows: list[datetime]
) -> tuple[float, float]:
    """Seconds for one pass over all tickets, gc disabled: (wall clock, CPU time of this
    process). On shared cores the CPU time is the steadier of the two."""
    gc.collect()
    gc.disable()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        for t, now in zip(tickets, nows, strict=True):
            evaluate(t, now=now)
        return time.perf_counter() - t0, time.process_time() - c0
    finally:
        gc.enable()


def time_each(
    evaluate: Callable[..., Any], tickets: list[Ticket], nows: list[datetime]
) -> list[int]:
    """Nanoseconds per call, every call of one pass, gc disabled."""
    clock = time.perf_counter_ns
    out = []
    gc.collect()
    gc.disable()
    try:
        for t, now in zip(tickets, nows, strict=True):
            t0 = clock()
            evaluate(t, now=now)
            out.append(clock() - t0)
    finally:
        gc.enable()
    return out


def pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def us(seconds: float) -> str:
    v = seconds * 1e6
    return f"{v:,.0f} µs" if v >= 100 else f"{v:.1f} µs"


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def source_state() -> str:
    """Which escalate was measured: HEAD, modified files, and a hash of ``src/escalate``."""
    digest = hashlib.sha256()
    for f in sorted((ROOT / "src" / "escalate").rglob("*.py")):
        digest.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())

    def git(*a: str) -> str:
        run = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=False)
        return run.stdout.strip()

    changed = git("status", "--porcelain", "--", "src").splitlines()
    return (
        f"HEAD {git('rev-parse', '--short', 'HEAD') or '?'} + {len(changed)} changed paths "
        f"under src/, src/escalate sha256 {digest.hexdigest()[:12]}"
    )


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def canonical(decision: Any) -> str:
    return json.dumps(decision.to_dict(), sort_keys=True, default=str)


# ---- the shared harness's W3 ---------------------------------------------------------------
def run_peers(md: str, out: str) -> dict[str, Any]:
    if not (HARNESS_DIR / "bench" / "peers.py").is_file():
        raise SystemExit(f"--peers needs the shared harness at {HARNESS_DIR}/bench/peers.py")
    md, out = str(Path(md).resolve()), str(Path(out).resolve())
    Path(md).parent.mkdir(parents=True, exist_ok=True)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(PEERS_PYTHON),
        "bench/peers.py",
        "--workloads",
        "rules",
        "--adapter",
        str(ADAPTER),
        "--md",
        md,
        "--json",
        out,
    ]
    print(f"[peers] {' '.join(cmd)}  (cwd {HARNESS_DIR})", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=HARNESS_DIR, check=True, stdout=subprocess.DEVNULL)
    print(f"[peers] done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return json.loads(Path(out).read_text())


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--tickets", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policy", default=str(POLICY_FILE), help="default: rules/itil-default.yaml")
    ap.add_argument("--passes", type=int, default=7, help="timed whole passes (cold), >= 5")
    ap.add_argument("--call-passes", type=int, default=3, help="cold passes timed per call")
    ap.add_argument("--peers", action="store_true", help="also run the harness's W3 workload")
    ap.add_argument("--peers-md", default=str(RESULTS / "w3.md"))
    ap.add_argument("--peers-json", default=str(RESULTS / "w3.json"))
    ap.add_argument("--profile", action="store_true", help="cProfile one cold pass")
    ap.add_argument("--json", help="write the raw numbers here")
    args = ap.parse_args(argv)
    if args.passes < 5:
        ap.error("--passes must be at least 5")

    started = datetime.now(UTC)
    source = source_state()
    load_start = os.getloadavg()
    policy_file = Path(args.policy).resolve()
    policy = load(policy_file)
    evaluate = policy.evaluate
    t0 = time.perf_counter()
    mappings, nows, done_events = gen_corpus(policy, args.tickets, args.seed)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    log(f"[gen] {len(mappings):,} tickets in {time.perf_counter() - t0:.1f} s")

    # -- determinism: two independent copies, then the first again (warm) ----------------------
    sample = random.Random(args.seed + 1).sample(range(len(mappings)), min(1000, len(mappings)))
    first = build([mappings[i] for i in sample])
    second = build([mappings[i] for i in sample])
    a = [canonical(evaluate(t, now=nows[i])) for t, i in zip(first, sample, strict=True)]
    b = [canonical(evaluate(t, now=nows[i])) for t, i in zip(second, sample, strict=True)]
    c = [canonical(evaluate(t, now=nows[i])) for t, i in zip(first, sample, strict=True)]
    nondeterministic = sum(x != y or x != z for x, y, z in zip(a, b, c, strict=True))
    del first, second, a, b, c

    # -- what the corpus looks like --------------------------------------------------------------
    probe = build(mappings)
    decisions = [evaluate(t, now=now) for t, now in zip(probe, nows, strict=True)]
    n_events = [len(t.events) for t in probe]
    n_actions = [len(d.actions) for d in decisions]
    ticket_priorities = [d.priority or "none" for d in decisions]
    priorities = Counter(ticket_priorities)
    statuses = Counter(t.status for t in probe)
    kinds = Counter(a.kind for d in decisions for a in d.actions)
    reassigned = sum(t.reassignment_count >= 3 for t in probe)
    del decisions

    # -- whole passes ----------------------------------------------------------------------------
    log("[time] warm-up pass")
    time_pass(evaluate, build(mappings), nows)
    cold: list[float] = []
    cold_cpu: list[float] = []
    for p in range(args.passes):
        tickets = build(mappings)
        wall, cpu = time_pass(evaluate, tickets, nows)
        cold.append(wall / len(tickets))
        cold_cpu.append(cpu / len(tickets))
        log(f"[time] cold pass {p + 1}/{args.passes}: {us(cold[-1])} (CPU {us(cold_cpu[-1])})")
    warm: list[float] = []
    warm_cpu: list[float] = []
    for _ in range(args.passes):
        wall, cpu = time_pass(evaluate, tickets, nows)
        warm.append(wall / len(tickets))
        warm_cpu.append(cpu / len(tickets))
    log(f"[time] warm passes: {', '.join(us(w) for w in warm)}")
    per_call = []
    for _ in range(args.call_passes):
        per_call.append(time_each(evaluate, build(mappings), nows))
    each = [statistics.median(calls) / 1e9 for calls in zip(*per_call, strict=True)]
    load_end = os.getloadavg()

    med_cold, med_warm = statistics.median(cold), statistics.median(warm)
    out = []
    P = out.append
    P("## evaluate: full decisions (`bench/evaluate.py`)")
    P("")
    P(
        f"- {started:%Y-%m-%d %H:%M} UTC; CPython {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} cores; loadavg at start "
        f"{load_start[0]:.2f}, at end {load_end[0]:.2f}"
    )
    P(f"- escalate measured: {source}")
    P(
        f"- policy `{_shown(policy_file)}` ({len(policy.clocks)} clocks, "
        f"{len(policy.paths)} paths, {len(policy.rules)} rules); {len(mappings):,} tickets, "
        f"seed {args.seed}; events per ticket {min(n_events)}–{max(n_events)} "
        f"(mean {statistics.mean(n_events):.1f}); {done_events} action-done events"
    )
    P(
        "- priorities "
        + ", ".join(f"{k} {v / len(probe):.0%}" for k, v in sorted(priorities.items()))
        + "; final status "
        + ", ".join(f"{k} {v / len(probe):.0%}" for k, v in statistics_sorted(statuses))
        + f"; reassigned ≥ 3 times {reassigned / len(probe):.1%}"
    )
    P(
        f"- actions due per decision: mean {statistics.mean(n_actions):.2f}, none for "
        f"{n_actions.count(0) / len(n_actions):.0%}; kinds "
        + ", ".join(f"{k} {v:,}" for k, v in statistics_sorted(kinds))
    )
    P(
        f"- determinism: {len(sample):,} sampled tickets, `to_dict()` of two independently "
        f"built copies and of a repeat on a warm copy: **{nondeterministic} differences**"
    )
    P("")
    rows = [
        [
            "cold (fresh `Ticket` per pass)",
            f"**{us(med_cold)}**",
            f"{us(min(cold))}–{us(max(cold))}",
            f"**{1 / med_cold:,.0f}**",
            us(statistics.median(cold_cpu)),
            str(args.passes),
        ],
        [
            "warm (same `Ticket`, caches filled)",
            us(med_warm),
            f"{us(min(warm))}–{us(max(warm))}",
            f"{1 / med_warm:,.0f}",
            us(statistics.median(warm_cpu)),
            str(args.passes),
        ],
    ]
    head = ["pass", "per decision (median)", "pass range", "decisions/s (one core)"]
    P(table([*head, "CPU time per decision (median)", "passes"], rows))
    P("")
    P(
        f"Per call ({args.call_passes} cold passes, every call timed, a ticket's median): "
        f"p50 **{us(pct(each, 0.5))}**, p95 **{us(pct(each, 0.95))}**, "
        f"p99 {us(pct(each, 0.99))}, max {us(max(each))}; mean {us(statistics.mean(each))} "
        "(the mean is what a pass, and so throughput, sees)."
    )
    P("")
    buckets = [(3, 5), (6, 8), (9, 11), (12, 14), (15, 99)]
    rows = []
    for lo, hi in buckets:
        idx = [i for i, n in enumerate(n_events) if lo <= n <= hi]
        if not idx:
            continue
        times = [each[i] for i in idx]
        label = f"{lo}–{hi}" if hi < 99 else f"≥ {lo}"
        rows.append(
            [
                label,
                f"{len(idx):,} ({len(idx) / len(each):.0%})",
                us(statistics.median(times)),
                us(pct(times, 0.95)),
                us(statistics.mean(times)),
                f"{statistics.mean(n_actions[i] for i in idx):.2f}",
            ]
        )
    P(table(["events", "tickets", "p50", "p95", "mean", "actions due (mean)"], rows))
    P("")

    def by(label: str, keys: Sequence[Any]) -> None:
        rows = []
        for key, _ in statistics_sorted(Counter(keys)):
            times = [each[i] for i, k in enumerate(keys) if k == key]
            rows.append(
                [
                    str(key),
                    f"{len(times):,}",
                    us(statistics.median(times)),
                    us(pct(times, 0.95)),
                    us(statistics.mean(times)),
                ]
            )
        P(table([label, "tickets", "p50", "p95", "mean"], rows))
        P("")

    by("final status", [t.status for t in probe])
    by("priority", ticket_priorities)
    met = 1 / med_cold >= TARGET_PER_SECOND
    P(
        f"Target ≥ {TARGET_PER_SECOND:,} decisions/s (≤ {1e6 / TARGET_PER_SECOND:.0f} µs): "
        f"**{'met' if met else 'not met'}** ({1 / med_cold:,.0f}/s, "
        f"{med_cold * TARGET_PER_SECOND:.1f}× the budget). perf-anchors §4 end-to-end "
        f"≥ {ANCHOR_PER_SECOND:,}/s (≤ 5 µs): "
        f"**{'met' if 1 / med_cold >= ANCHOR_PER_SECOND else 'not met'}** "
        f"({med_cold * ANCHOR_PER_SECOND:.0f}× the budget)."
    )
    raw: dict[str, Any] = {
        "started": started.isoformat(),
        "tickets": len(mappings),
        "seed": args.seed,
        "source": source,
        "cold_per_decision_s": cold,
        "warm_per_decision_s": warm,
        "cold_cpu_per_decision_s": cold_cpu,
        "warm_cpu_per_decision_s": warm_cpu,
        "per_call_p50_s": pct(each, 0.5),
        "per_call_p95_s": pct(each, 0.95),
        "nondeterministic": nondeterministic,
    }

    if args.peers:
        w3 = run_peers(args.peers_md, args.peers_json)["W3"]
        post = w3["durable_rules (post event)"]["timing"]["median"]
        facts = w3["durable_rules (assert_fact+retract_fact)"]["timing"]["median"]
        mine = w3["escalate"]
        match = mine["timing"]["median"]
        P("")
        P(
            "### Against the peer harness's W3 (same run, "
            f"`peers.py --workloads rules`, report in `{args.peers_md}`)"
        )
        P("")
        P(
            "Ratios are escalate's time ÷ durable_rules' time: above 1 means escalate is slower. "
            "W3 is 20 rules over a flat dict of 5 fields; a full decision also folds the "
            "history, runs the SLA clocks on their calendars, finds when each matching rule's "
            "condition began, simulates the escalation paths, resolves level targets to "
            "people, hashes the input and builds the Decision."
        )
        P("")
        rows = [
            ["durable_rules `post` (first hit only)", us(post), f"{1 / post:,.0f}", "", ""],
            [
                "durable_rules `assert_fact`+`retract_fact` (all)",
                us(facts),
                f"{1 / facts:,.0f}",
                "",
                "",
            ],
            [
                f"escalate match stage (W3 matcher, mismatches {mine['mismatch']})",
                us(match),
                f"{1 / match:,.0f}",
                f"{match / post:.2f}×",
                f"{match / facts:.2f}×",
            ],
            [
                "escalate full decision (cold, above)",
                us(med_cold),
                f"{1 / med_cold:,.0f}",
                f"{med_cold / post:.1f}×",
                f"{med_cold / facts:.1f}×",
            ],
        ]
        P(table(["", "per call", "per second", "÷ durable post", "÷ durable facts"], rows))
        raw["w3"] = {"durable_post_s": post, "durable_facts_s": facts, "escalate_match_s": match}

    text = "\n".join(out)
    print(text)

    if args.profile:
        tickets = build(mappings)
        prof = cProfile.Profile()
        gc.disable()
        prof.enable()
        for t, now in zip(tickets, nows, strict=True):
            evaluate(t, now=now)
        prof.disable()
        gc.enable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(25)
        print("\n### cProfile, one cold pass\n\n```\n" + buf.getvalue().strip() + "\n```")

    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    return 0


def statistics_sorted(counter: Counter[Any]) -> list[tuple[Any, int]]:
    """Most common first, ties by name."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))


if __name__ == "__main__":
    raise SystemExit(main())
