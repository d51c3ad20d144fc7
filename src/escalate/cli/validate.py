"""``escalate validate`` (alias ``lint``): load a policy and print its lint findings.

Exit codes: 0 when the policy loads and no finding is an error (warnings and info are
printed, not failed on); 1 when some finding is an error, or any finding at all with
``--strict``; 2 when the policy does not load (every independent load error is printed, each
on its own line) or the command line is wrong. Each finding prints as
``file:line:col: severity code: where: message``; ``--json`` prints one JSON document instead.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.calendars._instants import DAY_US, MAX_US, to_us
from escalate.cli._io import (
    LATEST,
    MAX_HORIZON_DAYS,
    days_arg,
    instant_arg,
    load_policy,
    out,
    print_json,
)
from escalate.engine.decision import iso
from escalate.errors import EscalateError
from escalate.policy.lint import SEVERITIES, lint


def register(sub: Any) -> None:
    for name in ("validate", "lint"):
        cmd = sub.add_parser(
            name,
            help="load a policy and lint it" + (" (same as validate)" if name == "lint" else ""),
            description="Load a policy, report every load error or lint finding (see "
            "docs/lint.md). Exit 0: no error-severity finding; 1: some error (any finding "
            "with --strict); 2: the policy does not load.",
        )
        cmd.add_argument("path", help="policy file or folder")
        cmd.add_argument(
            "--as-of",
            type=instant_arg,
            help="instant for time-based findings (stale contacts, schedule gaps, calendars "
            "whose years end); default: now, read from this machine's clock",
        )
        cmd.add_argument(
            "--horizon-days",
            type=days_arg,
            default=14,
            help=f"schedule gap horizon, 0 to {MAX_HORIZON_DAYS} days (default: 14)",
        )
        cmd.add_argument(
            "--strict", action="store_true", help="exit 1 on any finding, warnings and info too"
        )
        cmd.add_argument(
            "--json",
            action="store_true",
            help="print one JSON document: the policy and its findings (code, severity, file, "
            "line, col, where, message)",
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
    policy = load_policy(args.path, "PATH")  # a policy that does not load: every problem, exit 2
    findings = lint(policy, as_of=as_of, horizon=timedelta(days=horizon_days))
    counts = Counter(f.severity for f in findings)
    failed = bool(findings) if args.strict else counts["error"] > 0
    if args.json:
        document = {
            "path": args.path,
            "policy": policy.id,
            "version": policy.version,
            "content_hash": policy.content_hash,
            "as_of": iso(as_of),
            "segments": [s.id for s in policy.segments],
            "findings": [f.to_dict() for f in findings],
            "counts": {severity: counts[severity] for severity in SEVERITIES},
            "ok": not failed,
        }
        # ASCII: json.dumps escapes control and bidi characters itself.
        print_json(document)
        return 1 if failed else 0
    out(f"{args.path}: policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) loads")
    if policy.segments:
        order = ", ".join(f"{s.id} ({s.precedence})" for s in policy.segments)
        out(f"  segments, tried in this order: {order}")
    for finding in findings:
        out(str(finding))
    if findings:
        summary = ", ".join(f"{counts[s]} {_plural(s, counts[s])}" for s in SEVERITIES)
        out(f"{len(findings)} finding{'s' if len(findings) > 1 else ''}: {summary}")
    return 1 if failed else 0


def _plural(severity: str, count: int) -> str:
    if count == 1 or severity == "info":
        return severity
    return severity + "s"
