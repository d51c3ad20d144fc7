"""``escalate vendors``: vendor performance over a corpus of tickets, per vendor and period.

Every ticket is decided at ``--at`` by the policy; the engagements its decision shows are
grouped per vendor and period (:func:`escalate.governance.vendors.vendor_performance`).
Exit codes: 0 the report was printed; 2 an error (a policy without ``vendors:`` included).
"""

from __future__ import annotations

import argparse
import zoneinfo
from datetime import UTC, timedelta, tzinfo
from typing import Any

from escalate.calendars._durations import format_duration, parse_duration
from escalate.cli._corpus import (
    add_recount_option,
    decide_entry,
    read_corpus,
    with_recurrence_fields,
)
from escalate.cli._io import instant_arg, load_policy, out, print_json, read_availability
from escalate.engine.decision import Decision
from escalate.errors import EscalateError, PolicyError, suggest
from escalate.governance.vendors import PERIODS, VendorPerformance, vendor_performance


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "vendors",
        help="vendor performance over a corpus of tickets: response and resolution times, "
        "breach rate, recurrence, penalties",
        description=(
            "Decide every ticket at --at and report, per vendor and period of the engagement "
            "instant: engagements, response and resolution times (median and p90, "
            "nearest-rank), breach rate, recurrences and penalty totals per currency. "
            "Exit 0: the report; 2: an error."
        ),
    )
    cmd.add_argument("--policy", required=True, help="the policy (file or folder) with vendors:")
    cmd.add_argument(
        "--tickets",
        required=True,
        help="a folder of *.json ticket files, a .json ticket or a JSONL file ('-': JSONL on "
        "standard input)",
    )
    cmd.add_argument("--at", required=True, type=instant_arg, help="ISO instant with offset")
    cmd.add_argument("--period", choices=PERIODS, default="month", help="group by (default month)")
    cmd.add_argument("--zone", default="UTC", help="IANA zone the periods are cut in (default UTC)")
    cmd.add_argument(
        "--recurrence-window",
        default="30d",
        help="an engagement for the same service and category within this long of an "
        "earlier one recurs (default 30d)",
    )
    cmd.add_argument("--availability", help="availability JSON (out of office, unreachable)")
    cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    add_recount_option(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    zone = _zone(args.zone)
    window = _window(args.recurrence_window)
    policy = load_policy(args.policy)
    if not policy.vendors:
        raise EscalateError(
            f"--policy: policy {policy.id!r} declares no vendors: (see docs/vendors.md)"
        )
    availability = read_availability(args.availability)
    decisions: list[Decision] = [
        decide_entry(policy, entry, args.at, availability)
        for entry in with_recurrence_fields(policy, read_corpus(args.tickets), recount=args.recount)
    ]
    report = vendor_performance(decisions, period=args.period, zone=zone, recurrence_window=window)
    if args.json:
        print_json(
            {
                "policy": {
                    "id": policy.id,
                    "version": policy.version,
                    "content_hash": policy.content_hash,
                },
                "at": args.at.astimezone(UTC).isoformat(),
                "period": args.period,
                "zone": args.zone,
                "recurrence_window": format_duration(window),
                "tickets": len(decisions),
                "vendors": [row.to_dict() for row in report],
            }
        )
    else:
        out(text(report, len(decisions)), keep_newlines=True)
    return 0


def text(report: tuple[VendorPerformance, ...], tickets: int) -> str:
    """The report as a plain table, one line per vendor and period."""
    if not report:
        return f"{tickets} ticket(s), no vendor engaged"
    header = (
        "vendor", "period", "engaged", "resp p50", "resp p90", "resol p50", "resol p90",
        "breach", "resp br", "resol br", "recur", "penalties",
    )  # fmt: skip
    rows = [header]
    for r in report:
        d = r.to_dict()
        rows.append(
            (
                r.vendor,
                r.period,
                str(r.engagements),
                d["response_median"] or "-",
                d["response_p90"] or "-",
                d["resolution_median"] or "-",
                d["resolution_p90"] or "-",
                d["breach_rate"],
                d["response_breach_rate"],
                d["resolution_breach_rate"],
                str(r.recurrences),
                ", ".join(f"{a} {c}" for c, a in d["penalties"].items()) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join([*lines, f"{tickets} ticket(s)"])


def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = suggest(name, zoneinfo.available_timezones())
        tail = f" (did you mean {hint!r}?)" if hint else ""
        raise EscalateError(f"--zone: unknown time zone {name!r}{tail}") from None


def _window(text: str) -> timedelta:
    try:
        return parse_duration(text, (), allow_business_days=False).delta
    except PolicyError as exc:
        raise EscalateError(f"--recurrence-window: {exc.message}") from None
