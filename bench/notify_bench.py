"""Notification plans: what plan resolution adds to a decision, and what quiet hours cost.

Run from the project root: ``.venv/bin/python bench/notify_bench.py``. The shipped pack is
evaluated as shipped ("plans") and with its ``channels``, ``notification_plans`` and
``notifications`` sections and every ``notification_plan`` / ``quiet_hours`` key removed
("no plans", which skips the plan stage entirely). Cases:

* a P1 out of hours at 22:05 (the on-call engineer's chain: SMS due, voice next);
* the same P1 at 22:35 (the duty manager's chain and the communication failure);
* a P1 in office hours (no page follows a plan: the stage runs and finds nothing to expand);
* quiet hours: the service owner's own chain (mail, then a call) worked out from a start in
  office hours, on a weekday night (deferred to 07:00 Berlin) and on a Saturday (deferred to
  Monday 07:00): a longer quiet period does not cost more.

Timing: fixed inputs, gc off; the variants of a case are run interleaved, pass by pass, and
each one's median per decision is reported (µs), with the ratio plans / no plans.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import escalate  # noqa: E402
from escalate.engine.notifications import _timeline as timeline  # noqa: E402

PASSES = 21
CALLS = 200


def without_plans(text: str) -> str:
    """The pack's text with every notification-plan key removed."""
    data: dict[str, Any] = yaml.safe_load(text)
    for key in ("channels", "notification_plans", "notifications"):
        data.pop(key, None)
    for person in (data.get("directory", {}).get("people") or {}).values():
        if person:
            person.pop("notification_plan", None)
            person.pop("quiet_hours", None)
    for path in data.get("paths", {}).values():
        for level in path["levels"]:
            level.pop("notification_plan", None)
    for clock in data.get("clocks", {}).values():
        for rung in clock.get("ladder", []):
            if "notify" in rung:
                rung["notify"].pop("plan", None)
    return yaml.safe_dump(data, sort_keys=False)


def ticket(opened_at: str, priority: str) -> dict[str, Any]:
    return {
        "id": "INC9000",
        "opened_at": opened_at,
        "priority": priority,
        "category": "application",
        "assignment_group": "service-desk",
        "events": [{"at": opened_at, "type": "created"}],
    }


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def interleaved(variants: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median µs per call of each variant, the variants alternating pass by pass."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    gc.disable()
    try:
        for _ in range(PASSES):
            for name, fn in variants.items():
                start = time.perf_counter()
                for _ in range(CALLS):
                    fn()
                samples[name].append((time.perf_counter() - start) / CALLS * 1e6)
    finally:
        gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    text = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
    plans = escalate.loads(text)
    plain = escalate.loads(without_plans(text))
    assert plans.notifications is not None and plain.notifications is None
    night = ticket("2024-11-20T22:00:00Z", "P1")
    day = ticket("2024-11-20T10:00:00Z", "P1")
    cases = [
        ("P1 at night, on-call chain (22:05)", night, at("2024-11-20T22:05:00Z")),
        ("P1 at night, duty manager + failure (22:35)", night, at("2024-11-20T22:35:00Z")),
        ("P1 in office hours (10:05)", day, at("2024-11-20T10:05:00Z")),
    ]
    print("| case | attempts | no plans µs | plans µs | plans / no plans |")
    print("|---|---|---|---|---|")
    for label, data, now in cases:
        found = plans.evaluate(data, now=now)
        attempts = sum(a.kind in ("notify_attempt", "open_incident") for a in found.actions)
        cost = interleaved(
            {
                "plain": lambda data=data, now=now: plain.evaluate(data, now=now),
                "plans": lambda data=data, now=now: plans.evaluate(data, now=now),
            }
        )
        ratio = cost["plans"] / cost["plain"]
        print(f"| {label} | {attempts} | {cost['plain']:.1f} | {cost['plans']:.1f} | {ratio:.2f} |")
    # Quiet hours: the service owner's chain (mail, then a call 15 minutes later) started in
    # office hours, on a weekday night (deferred to 07:00 Berlin) and on a Saturday morning
    # (deferred to Monday 07:00): one time-window lookup per step whatever the quiet span.
    owner = plans.directory.people["markus.braun"]
    plan = plans.notifications.plans["mail-then-call"]
    starts = [
        ("no quiet hours (Wed 10:00 UTC)", at("2024-11-20T10:00:00Z")),
        ("weekday night (Wed 22:30 UTC)", at("2024-11-20T22:30:00Z")),
        ("Saturday (Sat 10:00 UTC) to Monday", at("2024-11-23T10:00:00Z")),
    ]
    print()
    print("| service owner's chain starts | mail due | call due | µs per chain |")
    print("|---|---|---|---|")
    cost = interleaved(
        {
            label: (lambda start=start: timeline(plan, owner, start, False, []))
            for label, start in starts
        }
    )
    for label, start in starts:
        steps = timeline(plan, owner, start, False, [])
        mail, call = (item[1].isoformat() for item in steps)
        print(f"| {label} | {mail} | {call} | {cost[label]:.2f} |")


if __name__ == "__main__":
    main()
