"""``escalate validate`` (alias ``lint``): load a policy and print its lint findings."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.calendars._instants import DAY_US, MAX_US, to_us
from escalate.cli._io import LATEST, MAX_HORIZON_DAYS, days_arg, instant_arg, out
from escalate.engine.decision import iso
from escalate.errors import EscalateError
from escalate.policy.lint import lint
from escalate.policy.loader import load


def register(sub: Any) -> None:
    for name in ("validate", "lint"):
        cmd = sub.add_parser(name, help="load a policy and lint it")
        cmd.add_argument("path", help="policy file or folder")
        cmd.add_argument(
            "--as-of",
            type=instant_arg,
            help="instant for time-based findings (stale contacts, schedule gaps); "
            "default: now, read from this machine's clock",
        )
        cmd.add_argument(
            "--horizon-days",
            type=days_arg,
            default=14,
            help=f"schedule gap horizon, 0 to {MAX_HORIZON_DAYS} days (default: 14)",
        )
        cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The edge may read the clock; the core never does.
    as_of: datetime = args.as_of or datetime.now(UTC)
    horizon_days: int = args.horizon_days
    if to_us(as_of) + horizon_days * DAY_US > MAX_US:
        raise EscalateError(
            f"--as-of {iso(as_of)} plus --horizon-days {horizon_days} ends after {iso(LATEST)}, "
            "the last instant escalate computes with"
        )
    policy = load(args.path)
    findings = lint(policy, as_of=as_of, horizon=timedelta(days=horizon_days))
    out(f"{args.path}: policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) loads")
    if policy.segments:
        order = ", ".join(f"{s.id} ({s.precedence})" for s in policy.segments)
        out(f"  segments, tried in this order: {order}")
    for finding in findings:
        out(f"  {finding}")
    if findings:
        out(f"{len(findings)} finding(s)")
        return 1
    return 0
