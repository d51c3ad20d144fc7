"""Replay-length benchmark (issue 12): one ticket decided at every update, 10 to 1,000 updates.

Run from the project root (needs only escalate and its own dependencies)::

    .venv/bin/python bench/replay_growth.py                       # 10 .. 1,000 updates, 5 passes
    .venv/bin/python bench/replay_growth.py --quick               # 10 .. 300 updates, 3 passes
    .venv/bin/python bench/replay_growth.py --before OLD/src      # and another tree, same run

The ticket is one of ``rules/itil-default.yaml``'s vocabulary (P2, category ``network``, so a
segment is chosen at every decision), opened 2024-11-20 10:00 UTC (a Wednesday). Each update
carries one event, 30 s after the one before, so the ticket after ``n`` updates has ``n``
events, and it is decided at each update's instant. Two histories (``--history``):

* ``service-desk``: ``bench/growth.py``'s block of ten repeated (the history the issue's
  2.9 s was measured on): four ``action-done`` events (distinct ids), an assignment that
  alternates between two groups with their assignee, ``in-progress``, an acknowledgement,
  ``awaiting-user-info``, a customer reply, an agent update;
* ``field-changes``: the same with the agent update replaced by a category change
  (``field-changed``, ``network`` <-> ``hardware`` every ten updates), which the rules read.

Two ways of doing that are timed, each as the total CPU time (``time.process_time``) of the
whole replay of ``n`` updates, garbage collector off during a run:

* **rebuild**: what a caller does without an incremental evaluator --
  ``ticket = ticket.with_events(update)`` and ``policy.evaluate(ticket, now=at)`` at each
  update; its cost per update grows with the history, so the whole replay is O(n^2);
* **replay**: ``r = policy.replay(ticket)`` once, then ``r.update(events=update, now=at)``
  (absent from trees older than ``Policy.replay``).

Before timing, the first child of each tree checks at every update of a 300-update replay
that the replay's decision is byte-identical (``Decision.to_json``) to the rebuild's (the
test suite proves it on generated and real histories; this guards the figures); a
difference exits 1.

Each figure is the median over ``--passes`` passes; every pass runs each tree in its own child
process (``--before`` first, then this checkout), so the trees interleave and share the
machine's load. **Growth** is (ratio of times) / (ratio of sizes) across the last step
(300 -> 1,000): about 1 for linear, about 2 for quadratic. The report is markdown on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "rules" / "itil-default.yaml"
OPENED = datetime(2024, 11, 20, 10, tzinfo=UTC)  # a Wednesday
GAP = timedelta(seconds=30)
SIZES = (10, 30, 100, 300, 1000)
QUICK_SIZES = (10, 30, 100, 300)
MODES = ("rebuild", "replay")
HISTORIES = ("service-desk", "field-changes")
CHECKED = 300  # updates whose every decision is compared as JSON (to_json hashes the ticket)


def updates(n: int, history: str = "service-desk") -> list[tuple[datetime, list[Any]]]:
    """``n`` updates of one event each (see the module docstring)."""
    from escalate import Event

    groups = ("service-desk", "network-ops")
    people = ("anna.schmidt", "mehmet.yilmaz")
    categories = ("network", "hardware")
    out = []
    at = OPENED
    for i in range(n):
        r, b = i % 10, (i // 10) % 2
        if i == 0:
            e = Event(0, at, "created")
        elif r in (0, 3, 6, 8):
            e = Event(0, at, "action-done", action_id=f"G1:ext:{i}:notify0", actor="bot")
        elif r == 1:
            e = Event(0, at, "assigned", group=groups[b], assignee=people[b])
        elif r == 2:
            e = Event(0, at, "status-changed", status="in-progress")
        elif r == 4:
            e = Event(0, at, "acknowledged", actor=people[b])
        elif r == 5:
            e = Event(0, at, "status-changed", status="awaiting-user-info")
        elif r == 7:
            e = Event(0, at, "customer-reply")
        elif history == "field-changes":
            e = Event(0, at, "field-changed", field="category", to_value=categories[b])
        else:
            e = Event(0, at, "agent-update", actor=people[b])
        out.append((at, [e]))
        at += GAP
    return out


def _timed(run: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        run()
        return time.process_time() - start
    finally:
        gc.enable()


def worker(sizes: Sequence[int], check: bool, history: str) -> dict[str, Any]:
    """One pass in this process: each size in each mode, timed once."""
    import escalate

    policy = escalate.load(POLICY)
    opened = escalate.Ticket("G1", OPENED, priority="P2", category="network")
    has_replay = hasattr(policy, "replay")

    def rebuild(steps: list[tuple[datetime, list[Any]]]) -> list[Any]:
        ticket, out = opened, []
        for at, events in steps:
            ticket = ticket.with_events(events)
            out.append(policy.evaluate(ticket, now=at))
        return out

    def replay(steps: list[tuple[datetime, list[Any]]]) -> list[Any]:
        r = policy.replay(opened)
        return [r.update(events=events, now=at) for at, events in steps]

    result: dict[str, Any] = {"version": escalate.__version__, "times": {}, "identical": None}
    if check and has_replay:
        steps = updates(CHECKED, history)
        a = [d.to_json() for d in rebuild(steps)]
        b = [d.to_json() for d in replay(steps)]
        result["identical"] = a == b
    for n in sizes:
        steps = updates(n, history)
        result["times"][str(n)] = {"rebuild": _timed(lambda s=steps: rebuild(s))}
        if has_replay:
            result["times"][str(n)]["replay"] = _timed(lambda s=steps: replay(s))
    return result


def _child(src: Path, sizes: Sequence[int], check: bool, history: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", "--src", str(src), "--history", history]
    cmd += ["--sizes", ",".join(map(str, sizes))] + (["--check"] if check else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"child for {src} failed:\n{done.stderr}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 .. 300 updates, 3 passes")
    parser.add_argument("--passes", type=int, default=None)
    parser.add_argument("--before", type=Path, help="another tree's src/, timed in the same run")
    parser.add_argument(
        "--history",
        choices=HISTORIES,
        default=None,
        help="one history (default: both, one after the other)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else (QUICK_SIZES if args.quick else SIZES)
    )
    if args.worker:
        sys.path.insert(0, str(args.src))
        print(json.dumps(worker(sizes, args.check, args.history)))
        return 0
    passes = args.passes or (3 if args.quick else 5)
    trees = [("before", args.before)] if args.before else []
    trees.append(("after", ROOT / "src"))
    identical = True
    for history in [args.history] if args.history else HISTORIES:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in trees}
        for p in range(passes):
            for name, src in trees:
                data = _child(src, sizes, p == 0, history)
                runs[name].append(data)
                if data["identical"] is False:
                    identical = False
        identical &= _report(history, passes, sizes, trees, runs)
    return 0 if identical else 1


def _report(
    history: str,
    passes: int,
    sizes: Sequence[int],
    trees: list[tuple[str, Path]],
    runs: dict[str, list[dict[str, Any]]],
) -> bool:
    """Print one history's table; whether every checked replay was byte-identical."""
    print(f"## History `{history}`: {passes} passes, CPU time medians, whole replay\n")
    print("| tree | mode | " + " | ".join(f"{n:,} updates" for n in sizes) + " | growth |")
    print("|---|---|" + "---|" * (len(sizes) + 1))
    for name, _ in trees:
        for mode in MODES:
            medians = []
            for n in sizes:
                found = [r["times"][str(n)].get(mode) for r in runs[name]]
                values = [v for v in found if v is not None]
                medians.append(statistics.median(values) if values else None)
            if medians[-1] is None:
                continue
            a, b = medians[-2] if len(sizes) > 1 else None, medians[-1]
            growth = f"{(b / a) / (sizes[-1] / sizes[-2]):.2f}" if a and b else "-"
            cells = " | ".join(_ms(m) for m in medians)
            print(f"| {name} | {mode} | {cells} | {growth} |")
    checked = [r["identical"] for rs in runs.values() for r in rs if r["identical"] is not None]
    same = all(checked)
    if checked:
        verdict = "byte-identical" if same else "DIFFERENT"
        print(f"\nReplay vs rebuild, at every update of {CHECKED:,}: {verdict}.\n")
    return same


if __name__ == "__main__":
    raise SystemExit(main())
