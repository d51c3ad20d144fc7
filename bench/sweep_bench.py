"""Batch sweeps: ``Policy.evaluate_many`` against a loop of ``evaluate``, and a million-ticket
sweep with the O(1) due check (``Policy.sweep``), issue 12.

Run from the project root::

    .venv/bin/python bench/sweep_bench.py                          # as in bench/README.md
    .venv/bin/python bench/sweep_bench.py --sweep 100000 --compare 2000 --passes 3   # smoke

The tickets are ``bench/evaluate.py``'s synthetic ServiceNow-shaped incidents for
``rules/itil-default.yaml`` (seeded), kept only while open (not resolved or closed) and moved in
time so that every one's last event lies 0-5 days before one sweep instant ``NOW``; people are
away as in ``examples/availability.json``. Two measurements, CPU time (``time.process_time``),
gc on, medians over ``--passes`` interleaved passes:

1. **evaluate_many vs a loop**: ``--compare`` tickets decided at ``NOW`` by
   ``[policy.evaluate(t, now=NOW, availability=a) for t in tickets]`` and by
   ``list(policy.evaluate_many(tickets, now=NOW, availability=a))``, each pass on freshly built
   ``Ticket`` objects (built untimed: parsing is not evaluation) and the availability given as
   its JSON mapping, as a caller has it. Every decision of the first pass is compared byte for
   byte (``to_json()``) between the two, and (untimed) how many times targets were really
   resolved (``Directory.resolve`` ran) by each.
2. **the sweep**: ``--templates`` open tickets are decided at ``NOW`` (untimed): the previous
   decisions. A sweep at ``NOW + --interval`` then goes over ``--sweep`` (ticket, previous
   decision) pairs streamed from a generator, ticket ``i`` being template ``i mod templates``
   as its JSON mapping (so the million are the templates over and over, under their own
   ids: building a million distinct previous decisions would take longer than the sweep), and
   every hundredth pair the template with one more event (a comment a minute before the
   sweep): due by a new event. Timed: the whole ``for s in policy.sweep(pairs, ...)`` loop,
   the generator included. Reported: seconds per sweep, per ticket, how many were evaluated
   (new event, or ``next_evaluation_at`` reached) and what a sweep without the check would
   cost (the sweep's tickets times the evaluate_many cost per ticket of measurement 1). Also
   timed: the check alone, the same million pairs swept at the previous decisions' own instant
   with no new event (none due: what the check and the iteration cost by themselves).
3. **processes** (``--cli``): the measurement-1 tickets as a JSON Lines corpus through
   ``escalate evaluate --tickets ... --json --workers N`` for N = 1 and 2, each a subprocess
   run ``--passes`` times: wall time (``perf_counter``; on a shared machine it depends on what
   else runs) and CPU time of the command and its workers (``RUSAGE_CHILDREN``); the outputs
   must be the same bytes.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # measure this working tree
sys.path.insert(0, str(ROOT / "bench"))

import random  # noqa: E402

from evaluate import gen_ticket, source_state  # noqa: E402

from escalate import Decision, Directory, Policy, Ticket, load  # noqa: E402

POLICY_FILE = ROOT / "rules" / "itil-default.yaml"
AVAILABILITY_FILE = ROOT / "examples" / "availability.json"
NOW = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
TARGET_SECONDS = 10.0  # issue 12: a million open tickets with the due check, per core
ENDED = ("resolved", "closed")


def _moved(ticket: dict[str, Any], by: timedelta) -> dict[str, Any]:
    """``ticket`` with every instant moved by ``by``."""
    out = dict(ticket)
    out["opened_at"] = (datetime.fromisoformat(ticket["opened_at"]) + by).isoformat()
    out["events"] = [
        e | {"at": (datetime.fromisoformat(e["at"]) + by).isoformat()} for e in ticket["events"]
    ]
    return out


def open_tickets(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` open ticket mappings, each with its last event 0-5 days before ``NOW``."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    number = 0
    while len(out) < n:
        t = gen_ticket(rng, number)
        number += 1
        if t["status"] in ENDED:
            continue
        last = datetime.fromisoformat(t["events"][-1]["at"])
        target = NOW - timedelta(seconds=rng.randrange(5 * 86_400))
        out.append(_moved(t, target - last))
    return out


def median_cpu(runs: list[float]) -> float:
    return statistics.median(runs)


def compare(
    policy: Policy, tickets: list[dict[str, Any]], availability: dict[str, Any], passes: int
) -> tuple[float, float, int]:
    """Median CPU seconds per ticket of the loop and of evaluate_many; decisions checked."""
    loop_runs, many_runs = [], []
    checked = 0
    for p in range(passes):
        for kind in ("loop", "many") if p % 2 == 0 else ("many", "loop"):
            fresh = [Ticket.from_mapping(t) for t in tickets]
            gc.collect()
            t0 = time.process_time()
            if kind == "loop":
                got = [policy.evaluate(t, now=NOW, availability=availability) for t in fresh]
            else:
                got = list(policy.evaluate_many(fresh, now=NOW, availability=availability))
            spent = time.process_time() - t0
            (loop_runs if kind == "loop" else many_runs).append(spent / len(tickets))
            if p == 0:
                if kind == "loop":
                    loop_json = [d.to_json() for d in got]
                else:
                    many_json = [d.to_json() for d in got]
    if loop_json != many_json:
        raise SystemExit("evaluate_many differs from a loop of evaluate: a bug")
    checked = len(loop_json)
    return median_cpu(loop_runs), median_cpu(many_runs), checked


def resolutions(
    policy: Policy, tickets: list[dict[str, Any]], availability: dict[str, Any]
) -> tuple[int, int]:
    """How many times targets are really resolved (``Directory.resolve`` runs), in a loop of
    evaluate and in evaluate_many (untimed)."""
    calls = [0]
    real = Directory.resolve

    def counted(self: Directory, *args: Any) -> Any:
        calls[0] += 1
        return real(self, *args)

    Directory.resolve = counted  # type: ignore[method-assign]
    try:
        fresh = [Ticket.from_mapping(t) for t in tickets]
        for t in fresh:
            policy.evaluate(t, now=NOW, availability=availability)
        loop, calls[0] = calls[0], 0
        fresh = [Ticket.from_mapping(t) for t in tickets]
        list(policy.evaluate_many(fresh, now=NOW, availability=availability))
        return loop, calls[0]
    finally:
        Directory.resolve = real  # type: ignore[method-assign]


def sweep(
    policy: Policy,
    templates: list[dict[str, Any]],
    availability: dict[str, Any],
    n: int,
    interval: timedelta,
    passes: int,
) -> tuple[float, int, int, int]:
    """Median CPU seconds of a sweep of ``n`` pairs; evaluated, due by event, due by time."""
    previous: list[Decision] = list(
        policy.evaluate_many(templates, now=NOW, availability=availability)
    )
    at = NOW + interval
    comment_at = (at - timedelta(minutes=1)).isoformat()
    with_event = [
        t | {"events": [*t["events"], {"at": comment_at, "type": "comment"}]} for t in templates
    ]
    k = len(templates)

    def pairs() -> Iterator[tuple[dict[str, Any], Decision]]:
        for i in range(n):
            j = i % k
            yield (with_event[j] if i % 100 == 7 else templates[j]), previous[j]

    by_event = sum(1 for i in range(n) if i % 100 == 7)
    due_templates = {
        j
        for j, d in enumerate(previous)
        if d.next_evaluation_at is not None and at >= d.next_evaluation_at
    }
    by_time = sum(1 for i in range(n) if i % 100 != 7 and i % k in due_templates)

    def quiet() -> Iterator[tuple[dict[str, Any], Decision]]:
        for i in range(n):
            j = i % k
            yield templates[j], previous[j]

    runs, checks = [], []
    evaluated = 0
    for _ in range(passes):
        gc.collect()
        t0 = time.process_time()
        evaluated = 0
        for swept in policy.sweep(pairs(), now=at, availability=availability):
            evaluated += swept.evaluated
        runs.append(time.process_time() - t0)
        # The check alone: the same pairs at the previous decisions' own instant, no new events.
        t0 = time.process_time()
        for swept in policy.sweep(quiet(), now=NOW, availability=availability):
            if swept.evaluated:
                raise SystemExit("a ticket was due at its own decision's instant: a bug")
        checks.append(time.process_time() - t0)
    return median_cpu(runs), median_cpu(checks), evaluated, by_event, by_time


def processes(
    tickets: list[dict[str, Any]], workers: Sequence[int], passes: int
) -> dict[int, tuple[float, float]]:
    """Median wall and CPU seconds of ``escalate evaluate --tickets`` per worker count."""
    runs: dict[int, list[tuple[float, float]]] = {n: [] for n in workers}
    outputs: dict[int, bytes] = {}
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "tickets.jsonl"
        corpus.write_text("".join(json.dumps(t) + "\n" for t in tickets), encoding="utf-8")
        for p in range(passes):
            for n in workers if p % 2 == 0 else tuple(reversed(workers)):
                command = [sys.executable, "-m", "escalate.cli", "evaluate", "--policy"]
                command += [str(POLICY_FILE), "--tickets", str(corpus), "--at", NOW.isoformat()]
                command += ["--availability", str(AVAILABILITY_FILE), "--json"]
                command += ["--workers", str(n)]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                done = subprocess.run(command, capture_output=True, check=True, env=env)
                wall = time.perf_counter() - t0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                runs[n].append((wall, cpu))
                if outputs.setdefault(n, done.stdout) != done.stdout:
                    raise SystemExit(f"--workers {n} printed different bytes in two runs")
    if len(set(outputs.values())) != 1:
        raise SystemExit("--workers changed the output: a bug")
    return {
        n: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
        for n, r in runs.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", type=int, default=1_000_000, help="tickets in the sweep")
    parser.add_argument("--templates", type=int, default=2_000, help="distinct open tickets")
    parser.add_argument("--compare", type=int, default=10_000, help="tickets for measurement 1")
    parser.add_argument("--interval", type=int, default=15, help="minutes between sweeps")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--cli", action="store_true", help="also time escalate evaluate --tickets --workers 1, 2"
    )
    args = parser.parse_args(argv)

    policy = load(POLICY_FILE)
    availability = json.loads(AVAILABILITY_FILE.read_text(encoding="utf-8"))
    print(f"escalate: {source_state()}")
    print(f"policy {policy.id} v{policy.version}, sweep instant {NOW.isoformat()}, gc on")

    tickets = open_tickets(args.compare, args.seed)
    loop, many, checked = compare(policy, tickets, availability, args.passes)
    print(
        f"\n1. {args.compare:,} open tickets at one instant, CPU median of {args.passes} "
        f"interleaved passes; {checked:,} decisions identical byte for byte"
    )
    print("| how | per ticket | per second | vs loop |\n|---|---|---|---|")
    print(f"| loop of evaluate | {loop * 1e6:,.0f} µs | {1 / loop:,.0f} | 1.00 |")
    print(f"| evaluate_many | {many * 1e6:,.0f} µs | {1 / many:,.0f} | {loop / many:.2f} |")
    looped, shared = resolutions(policy, tickets, availability)
    print(f"targets resolved: {looped:,} times in the loop, {shared:,} in evaluate_many")

    templates = tickets[: args.templates]
    spent, check, evaluated, by_event, by_time = sweep(
        policy,
        templates,
        availability,
        args.sweep,
        timedelta(minutes=args.interval),
        args.passes,
    )
    without = args.sweep * many
    print(
        f"\n2. sweep of {args.sweep:,} open tickets ({len(templates):,} distinct) "
        f"{args.interval} min after their previous decisions, CPU median of {args.passes}"
    )
    print(
        "| sweep | per ticket | evaluated | by a new event | by next_evaluation_at | "
        "the check alone (none due) | without the check (estimate) | target |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    print(
        f"| {spent:.2f} s | {spent / args.sweep * 1e6:.2f} µs | {evaluated:,} | {by_event:,} | "
        f"{by_time:,} | {check:.2f} s ({check / args.sweep * 1e6:.2f} µs a ticket) | "
        f"{without:,.0f} s | ≤ {TARGET_SECONDS:.0f} s per million: "
        f"{'met' if spent / args.sweep * 1e6 <= TARGET_SECONDS else 'NOT met'} |"
    )
    if evaluated != by_event + by_time:
        raise SystemExit(f"evaluated {evaluated}, expected {by_event + by_time}: a bug")
    if args.cli:
        figures = processes(tickets, (1, 2), args.passes)
        print(
            f"\n3. escalate evaluate --tickets ({args.compare:,} tickets, JSON Lines) --json, "
            f"median of {args.passes}; outputs identical byte for byte"
        )
        print("| --workers | wall | CPU (command and workers) |\n|---|---|---|")
        for n, (wall, cpu) in figures.items():
            print(f"| {n} | {wall:.1f} s | {cpu:.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
