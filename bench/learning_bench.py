"""Bench: ``escalate report`` on the whole UCI ServiceNow log, stage by stage, beside a peer.

Reads ``../shared/datasets/servicenow-incident-event-log.zip`` (beside the repository; never
copied into it; without it the bench says so and exits 0) through ``rules/itil-default.yaml``
(UTC: the log does not say its zone) the way ``escalate report --servicenow`` does, and times
its stages apart in CPU seconds (``time.process_time``), the median of ``--passes`` runs:

* read: the zip to rows grouped by incident, each incident rebuilt (the command's own
  helpers);
* recurrence: the pack's ``recurrence:`` fields filled over all the incidents
  (``with_recurrences``);
* decide: ``Policy.evaluate`` of each incident at its last update;
* facts: what the report keeps of each decision (its KPI facts, the levels reached, its
  escalations by weekday and hour, its group at its first escalation, its idle levels);
* patterns: the report's data from that (KPIs per priority, funnel, histogram, breach rates,
  ping-pong graph, heat map, patterns, recurrences);
* plots: the five matplotlib SVGs;
* page: the rest of ``render_html`` (the HTML around the plots).

Decide and facts alternate per incident, as in the command (a decision is let go once read),
each timed on its own; the cycle collector runs as in the command (less often).

The peer, in the same run: the median and p90 MTTR per priority the way an analyst computes
them from the raw CSV -- with pandas when it can be imported (it is not one of escalate's
dependencies), else with ``csv`` and ``statistics`` -- from the last snapshot of each
incident, ``resolved_at - opened_at``. What the peer does NOT do: no policy (the raw priority
labels, no terminology), no clocks and so no breach, no cycles (a reopened incident's later
fixes and its reopen are invisible: the log's ``resolved_at`` is whatever the last row says),
no escalation, level, funnel, ping-pong, heat map or recurrence; its p90 interpolates between
ranks (pandas' default) where the report takes the nearest rank. Its figures are printed
beside the report's, as a check of the same question, not of the same answer.

    .venv/bin/python bench/learning_bench.py               # three passes
    .venv/bin/python bench/learning_bench.py --passes 1 --json results.json
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib.util
import io
import json
import platform
import re
import statistics
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "datasets" / "servicenow-incident-event-log.zip"
PACK = ROOT / "rules" / "itil-default.yaml"
STAGES = ("read", "recurrence", "decide", "facts", "patterns", "plots", "page")


def report_pass(log: Path) -> tuple[dict[str, float], dict[str, Any]]:
    """One pass of the report's stages: CPU seconds per stage, and the report's data."""
    import escalate
    from escalate.adapters.servicenow import UCI_LOG_MAPPING
    from escalate.adapters.servicenow._log import IncidentReader
    from escalate.cli import report as command
    from escalate.cli._servicenow_log import group_log_file
    from escalate.learning import _plots, report, with_recurrences

    policy = escalate.load(str(PACK))
    mapping = dataclasses.replace(UCI_LOG_MAPPING, time_zone="UTC")
    spent = dict.fromkeys(STAGES, 0.0)
    clock = time.process_time

    started = clock()
    grouped = group_log_file(str(log), mapping)
    reader = IncidentReader(mapping, grouped.state_column)
    rebuilt = [command._rebuild(reader, str(log), n, rows) for n, rows in grouped.incidents.items()]
    del grouped
    spent["read"] = clock() - started
    started = clock()
    tickets = with_recurrences([ticket for ticket, _ in rebuilt], policy)
    spent["recurrence"] = clock() - started
    instants = [last for _, last in rebuilt]
    del rebuilt

    tz = report._zone("UTC")
    spec = report._recurrence_spec(policy, None, None)
    funnels, funnel_of = report._funnels(policy)
    kept = []
    for ticket, last in zip(tickets, instants, strict=True):
        started = clock()
        decision = policy.evaluate(ticket, now=last)
        middle = clock()
        kept.append(report._keep(decision, policy, tz, funnel_of))
        spent["decide"] += middle - started
        spent["facts"] += clock() - middle
    del tickets
    started = clock()
    data = report._summary(kept, policy, funnels, "UTC", None, "bench", spec)
    spent["patterns"] = clock() - started

    parts = {
        "funnel": "funnel",
        "histogram": "time_to_escalate",
        "breach_lines": "breach_by_priority",
        "ping_pong_graph": "ping_pong",
        "heat_map": "heat_map",
    }
    drawn = {}
    started = clock()
    for name, key in parts.items():
        drawn[name] = getattr(_plots, name)(data[key])
    spent["plots"] = clock() - started
    originals = {name: getattr(_plots, name) for name in parts}
    try:  # the page around plots already drawn
        for name, svg in drawn.items():
            setattr(_plots, name, lambda _data, svg=svg: svg)
        started = clock()
        report.render_html(data)
        spent["page"] = clock() - started
    finally:
        for name, function in originals.items():
            setattr(_plots, name, function)
    return spent, data


# -- the peer ----------------------------------------------------------------------------------

_FORMAT = "%d/%m/%Y %H:%M"


def peer_pandas(log: Path) -> dict[str, tuple[float, float, int]]:
    """MTTR median and p90 in hours per raw priority label, as an analyst would in pandas."""
    import pandas as pd

    frame = pd.read_csv(log, compression="zip", na_values=["?"], low_memory=False)
    last = frame.sort_values(["number", "sys_mod_count"]).groupby("number").tail(1)
    opened = pd.to_datetime(last["opened_at"], format=_FORMAT)
    resolved = pd.to_datetime(last["resolved_at"], format=_FORMAT)
    hours = (resolved - opened).dt.total_seconds() / 3600
    table = (
        pd.DataFrame({"priority": last["priority"], "hours": hours})
        .dropna()
        .groupby("priority")["hours"]
        .agg(["median", lambda h: h.quantile(0.9), "count"])
    )
    return {
        str(label): (float(row.iloc[0]), float(row.iloc[1]), int(row.iloc[2]))
        for label, row in table.iterrows()
    }


def peer_plain(log: Path) -> dict[str, tuple[float, float, int]]:
    """The same with ``csv`` and ``statistics`` (when pandas is not importable)."""
    with zipfile.ZipFile(log) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        text = archive.read(name).decode("utf-8")
    last: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        seen = last.get(row["number"])
        if seen is None or int(row["sys_mod_count"]) >= int(seen["sys_mod_count"]):
            last[row["number"]] = row
    hours: dict[str, list[float]] = {}
    for row in last.values():
        if "?" in (row["opened_at"], row["resolved_at"]):
            continue
        opened = datetime.strptime(row["opened_at"], _FORMAT).replace(tzinfo=UTC)
        resolved = datetime.strptime(row["resolved_at"], _FORMAT).replace(tzinfo=UTC)
        hours.setdefault(row["priority"], []).append((resolved - opened).total_seconds() / 3600)
    return {
        label: (
            statistics.median(values),
            statistics.quantiles(values, n=10, method="inclusive")[-1],
            len(values),
        )
        for label, values in sorted(hours.items())
    }


def _hours(duration: str | None) -> float | None:
    """A duration as the report writes it (``18h44m``) in hours."""
    if duration is None:
        return None
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1, "us": 1e-6}
    seconds = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(us|d|h|m|s)", duration))
    return seconds / 3600


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--log", type=Path, default=DATASET, help="the ServiceNow log (zip)")
    parser.add_argument("--json", metavar="FILE", help="write the figures there too")
    parser.add_argument(
        "--plain", action="store_true", help="the csv + statistics peer even with pandas"
    )
    args = parser.parse_args()
    if not args.log.exists():
        print(
            f"learning_bench: skipped: the UCI ServiceNow log is not at {args.log} "
            "(../shared/datasets beside the repository)"
        )
        return 0
    sys.path.insert(0, str(ROOT / "src"))
    with_pandas = not args.plain and importlib.util.find_spec("pandas") is not None
    peer = peer_pandas if with_pandas else peer_plain
    runs: list[dict[str, float]] = []
    peers: list[float] = []
    data: dict[str, Any] = {}
    found: dict[str, tuple[float, float, int]] = {}
    from escalate.cli.report import _fewer_collections

    for n in range(args.passes):
        with _fewer_collections():  # as the command runs
            spent, data = report_pass(args.log)
        runs.append(spent)
        started = time.process_time()
        found = peer(args.log)
        peers.append(time.process_time() - started)
        total = sum(spent.values())
        print(f"pass {n + 1}: report {total:.2f} s CPU, peer {peers[-1]:.2f} s CPU", flush=True)
    medians = {stage: statistics.median(r[stage] for r in runs) for stage in STAGES}
    total = statistics.median(sum(r.values()) for r in runs)
    peer_cpu = statistics.median(peers)
    print()
    print(
        f"escalate report, real log ({data['tickets']:,} incidents), CPU s, median of "
        f"{args.passes}:"
    )
    for stage in STAGES:
        print(f"  {stage:<10} {medians[stage]:7.3f}  {100 * medians[stage] / total:5.1f} %")
    print(f"  {'total':<10} {total:7.3f}")
    kind = "pandas" if with_pandas else "csv + statistics"
    print(f"peer ({kind}): {peer_cpu:.2f} s CPU; report / peer = {total / peer_cpu:.1f}x")
    print()
    print("MTTR per priority, hours: the report (nearest rank) | the peer (interpolated)")
    ours = {g["key"]: g for g in data["kpis"]["by_priority"]}
    labels = sorted(found)
    for key, label in zip(sorted(k for k in ours if k is not None), labels, strict=False):
        mttr = ours[key]["mttr"]
        p50, p90 = _hours(mttr["p50"]), _hours(mttr["p90"])
        theirs = found[label]
        print(
            f"  {key} {p50 or 0:8.1f} {p90 or 0:8.1f} ({mttr['count']:>6,}) | {label:<13}"
            f" {theirs[0]:8.1f} {theirs[1]:8.1f} ({theirs[2]:>6,})"
        )
    print(
        "the peer does NOT: read a policy (raw priority labels), run clocks (no breach), read "
        "cycles (reopens invisible), find escalations, levels, ping-pong, hot spots or "
        "recurrences"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "python": platform.python_version(),
                    "passes": args.passes,
                    "stages": medians,
                    "total": total,
                    "peer": {"kind": kind, "cpu": peer_cpu, "mttr_hours": found},
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
