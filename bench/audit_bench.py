"""Audit trails: records written and verified per second, beside a plain hash-chain loop.

Run from the project root: ``.venv/bin/python bench/audit_bench.py [--records N] [--passes P]``.
The shipped pack decides the example tickets at several instants; their ``decision`` records
(the ticket and its history, the due actions: 2 to 6 KB each) are the workload. Cases, run
interleaved (one batch of each per pass, so drift on a shared machine hits all alike), gc off,
each figure the median over the passes:

* ``write``: ``AuditTrail.add`` for every record (canonical JSON with its checks, the hash,
  the line);
* ``verify``: ``verify_chain`` over the written lines (strict JSON, canonical form, hash, seq,
  prev, kind);
* ``write + verify``: both;
* ``peer``: the plain loop a user would write without escalate: ``hashlib.sha256(json.dumps(
  record, sort_keys=True, separators=(",", ":")).encode())`` chained through ``prev``, no
  checks (no float, surrogate or integer range refusal, nothing verified).

Also ``replay_audit`` on a trail of the same decisions: decisions replayed per second (each
one decided again, every policy compiled once).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import escalate  # noqa: E402
from escalate.audit import AuditTrail, decision_body, replay_audit, verify_chain  # noqa: E402

START = datetime(2024, 11, 21, 12, tzinfo=UTC)  # after every example ticket's last event


def bodies(count: int) -> list[tuple[datetime, dict[str, Any]]]:
    pack = escalate.load(ROOT / "rules" / "itil-default.yaml")
    tickets = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
    ]
    found: list[tuple[datetime, dict[str, Any]]] = []
    step = 0
    while len(found) < count:
        now = START + timedelta(minutes=7 * step)
        for data in tickets:
            if len(found) < count:
                decision = pack.evaluate(data, now=now)
                found.append((decision.evaluated_at, decision_body(decision)))
        step += 1
    return found


def write(records: list[tuple[datetime, dict[str, Any]]]) -> list[str]:
    trail = AuditTrail()
    for at, body in records:
        trail.add("decision", at, body)
    return trail.lines()


def peer(records: list[tuple[datetime, dict[str, Any]]]) -> list[str]:
    prev, lines = "0" * 64, []
    for seq, (at, body) in enumerate(records, start=1):
        record = {"seq": seq, "kind": "decision", "at": at.isoformat(), "body": body, "prev": prev}
        text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        prev = hashlib.sha256(text.encode("utf-8")).hexdigest()
        lines.append(text)
    return lines


def interleaved(cases: dict[str, Callable[[], object]], passes: int) -> dict[str, float]:
    """Median seconds per batch of each case, the cases run one batch each per pass."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    gc.disable()
    try:
        for _ in range(passes):
            for name, run in cases.items():
                began = time.perf_counter()
                run()
                samples[name].append(time.perf_counter() - began)
    finally:
        gc.enable()
    return {name: statistics.median(found) for name, found in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    records = bodies(args.records)
    lines = write(records)
    text = "".join(f"{line}\n" for line in lines).encode("utf-8")
    assert verify_chain(text).ok
    size = len(text) / len(lines)
    cases: dict[str, Callable[[], object]] = {
        "write": lambda: write(records),
        "verify": lambda: verify_chain(text),
        "write + verify": lambda: verify_chain(write(records)),
        "peer (json.dumps + sha256, no checks)": lambda: peer(records),
    }
    found = interleaved(cases, args.passes)
    print(
        f"{len(records)} decision records, {size:,.0f} bytes each on average; "
        f"median of {args.passes} passes"
    )
    for name, seconds in found.items():
        print(
            f"  {name:40s} {len(records) / seconds:10,.0f} records/s  "
            f"({seconds * 1e6 / len(records):7.1f} µs each)"
        )
    peer_rate = len(records) / found["peer (json.dumps + sha256, no checks)"]
    both = len(records) / found["write + verify"]
    print(f"  write + verify against the peer's write alone: {both / peer_rate:.2f}x")

    pack = escalate.load(ROOT / "rules" / "itil-default.yaml")
    trail = AuditTrail()
    trail.add_policy(pack, START)
    for at, body in records[: min(len(records), 300)]:
        trail.add("decision", at, body)
    replayable = trail.lines()
    timing = interleaved({"replay": lambda: replay_audit(replayable)}, max(3, args.passes // 2))
    count = min(len(records), 300)
    print(
        f"  replay_audit: {count / timing['replay']:,.0f} decisions/s "
        f"({count} decisions, policy compiled once)"
    )


if __name__ == "__main__":
    main()
