"""What the Dask and Spark tests share: a ticket corpus, a hand-made log, the answers here.

The corpus is the six example tickets, each also under three other ids (24 tickets); the log
is ``three-incidents.csv`` of the adapter tests with its incidents copied under other numbers
and their rows interleaved, so the log's order, lines and anomalies must be rebuilt from
rows that reach the workers in any order.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate import load
from escalate.adapters.servicenow import UCI_LOG_MAPPING, read_log, replay
from escalate.integrations import PolicySource

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"
TICKETS = ROOT / "examples" / "tickets"
LOGS = ROOT / "tests" / "adapters" / "fixtures" / "servicenow" / "logs"
NOW = datetime(2024, 11, 20, 15, 0, tzinfo=UTC)


def corpus() -> list[dict[str, Any]]:
    """24 tickets: the examples, and each again under the ids ``<id>-1`` .. ``<id>-3``."""
    found = []
    for path in sorted(TICKETS.glob("*.json")):
        ticket = json.loads(path.read_text(encoding="utf-8"))
        found.append(ticket)
        found.extend({**ticket, "id": f"{ticket['id']}-{n}"} for n in (1, 2, 3))
    return found


def interleaved_log(copies: int = 4) -> str:
    """``three-incidents.csv`` with each incident copied ``copies`` times under new numbers
    (``INC1`` -> ``INC1``, ``INC1x1`` ...) and the copies' rows interleaved row by row, then
    two incidents (``INC4``, ``INC5``) whose interleaved rows make every kind of anomaly."""
    text = (LOGS / "three-incidents.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0])
    streams = [
        [{**row, "number": row["number"] + (f"x{n}" if n else "")} for row in rows]
        for n in range(copies)
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    for group in zip(*streams, strict=True):
        writer.writerows(group)
    for pair in zip(_every_anomaly("INC4"), _every_anomaly("INC5"), strict=True):
        out.write("".join(f"{row}\n" for row in pair))
    return out.getvalue()


def _every_anomaly(number: str) -> list[str]:
    """Rows of one incident with a repeated sys_mod_count, a row updated before the one it
    follows and a state the mapping does not know: the anomalies whose detail names lines."""
    rows = [
        ("New", 0, "10:00", "Group A"),
        ("Active", 1, "11:00", "Group A"),
        ("Active", 1, "11:30", "Group B"),
        ("Active", 2, "10:45", "Group B"),
        ("-100", 3, "12:00", "Group B"),
        ("Resolved", 4, "13:00", "Group B"),
    ]
    return [
        f"{number},{state},true,0,0,{mod},true,1/3/2016 10:00,u,1/3/2016 {at},3 - Moderate,{group}"
        for state, mod, at, group in rows
    ]


def numbered_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """A log's rows with their lines (the header is line 1), as the integrations take them."""
    return list(enumerate(csv.DictReader(io.StringIO(text)), start=2))


def expected_decisions(tickets: list[dict[str, Any]]) -> dict[str, str]:
    policy = load(PACK)
    return {t["id"]: policy.evaluate(t, now=NOW).to_json() for t in tickets}


def expected_replay(text: str) -> str:
    policy = load(LOGS / "policy.yaml")
    reading = read_log(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING)
    return replay(policy, reading).to_json()


@pytest.fixture(scope="session")
def pack_source() -> PolicySource:
    return PolicySource.from_path(PACK)


@pytest.fixture(scope="session")
def log_source() -> PolicySource:
    return PolicySource.from_path(LOGS / "policy.yaml")


def run_example(path: Path, argv: list[str], **kwargs: Any) -> int:
    """Run an example's ``main`` in this process (so it shares a Spark session or a pool)."""
    spec = importlib.util.spec_from_file_location(f"example_{path.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.main(argv, **kwargs))


def cli_replay_json(log: Path, policy: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``escalate replay --json`` of ``log``, without its throughput."""
    from escalate.cli import main

    main(
        [
            "replay",
            "--policy",
            str(policy),
            "--servicenow",
            str(log),
            "--time-zone",
            "UTC",
            "--json",
            "--quiet",
        ]
    )
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    found.pop("throughput")
    return found
