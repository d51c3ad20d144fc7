"""The shipped pack's recurring-problem rule over a corpus, from the command line: its
``recurrence:`` (service, category and subcategory within 30 days) and its rule
(``fields.recurrences >= 2``: two earlier fixes holding, the third occurrence) fire on the
third incident of one problem, and not on one whose first fix is just outside the 30 days."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"
AT = "2024-06-01T00:00:00Z"


def incident(id_: str, opened: str, resolved: str | None = None, **top: Any) -> dict[str, Any]:
    events = [{"at": opened, "type": "created"}]
    if resolved is not None:
        events.append({"at": resolved, "type": "resolved"})
    return {
        "id": id_,
        "opened_at": opened,
        "priority": "4 - Low",
        "service": "mail",
        "category": "software",
        "subcategory": "email",
        "assignment_group": "service-desk",
        "events": events,
        **top,
    }


def test_the_pack_opens_a_problem_record_on_the_third_incident_within_30_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = [
        incident("INC1", "2024-05-01T09:00:00Z", "2024-05-01T12:00:00Z"),
        incident("INC2", "2024-05-10T09:00:00Z", "2024-05-10T15:00:00Z"),
        # INC1 fixed exactly 30 days before (both ends count), INC2 21 days: recurrences 2
        incident("INC3", "2024-05-31T12:00:00Z"),
        # a minute later INC1's fix is 30 days and 1 minute back: recurrences 1
        incident("INC4", "2024-05-31T12:01:00Z"),
        # another subcategory: another problem, nothing fixed before it
        incident("INC5", "2024-05-31T13:00:00Z", subcategory="calendar"),
    ]
    path = tmp_path / "tickets.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in corpus))
    code = main(["evaluate", "--policy", str(PACK), "--tickets", str(path), "--at", AT, "--json"])
    captured = capsys.readouterr()
    assert (0, "") == (code, captured.err)
    problems = {
        d["ticket"]: [
            a["source"] for a in d["actions"] if a["details"].get("type") == "open-problem-record"
        ]
        for d in json.loads(captured.out)["decisions"]
    }
    assert {
        "INC1": [],
        "INC2": [],
        "INC3": ["rule:recurring-problem"],
        "INC4": [],
        "INC5": [],
    } == problems
