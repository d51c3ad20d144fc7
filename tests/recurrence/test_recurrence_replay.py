"""``escalate replay`` fills a ``recurrence:`` policy's counts from the whole log before it
replays: the rebuilt incidents are counted, each as of the instant that counts (an incident
recategorised before its fix counts under the category it was fixed with, one recategorised
after the recurring incident opened still counts as it stood then), and every evaluation of
an incident reads its counts, with worker processes too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main

HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "opened_at,sys_updated_by,sys_updated_at,priority,assignment_group,category"
)
# (number, state, opened, updated, category); every row P3, Group A, made_sla true
ROWS = [
    # fixed on 1 March as Category 1; recategorised on 12 March, after INC3 opened
    ("INC1", "New", "1/3/2016 09:00", "1/3/2016 09:00", "Category 1"),
    ("INC1", "Resolved", "1/3/2016 09:00", "1/3/2016 12:00", "Category 1"),
    ("INC1", "Closed", "1/3/2016 09:00", "12/3/2016 12:00", "Category 7"),
    # opened as Category 9, recategorised to Category 1 before its fix on 5 March
    ("INC2", "New", "5/3/2016 09:00", "5/3/2016 09:00", "Category 9"),
    ("INC2", "Active", "5/3/2016 09:00", "5/3/2016 10:00", "Category 1"),
    ("INC2", "Resolved", "5/3/2016 09:00", "5/3/2016 12:00", "Category 1"),
    # the third Category 1 incident: INC1 and INC2 fixed within 30 days, recurrences 2
    ("INC3", "New", "10/3/2016 09:00", "10/3/2016 09:00", "Category 1"),
    ("INC3", "Active", "10/3/2016 09:00", "10/3/2016 10:00", "Category 1"),
    # another category: nothing fixed before it
    ("INC4", "New", "10/3/2016 09:30", "10/3/2016 09:30", "Category 2"),
    ("INC4", "Active", "10/3/2016 09:30", "10/3/2016 10:00", "Category 2"),
]
POLICY = """policy: recurring-replay
version: 1
statuses:
  new: {category: new, aliases: [New]}
  active: {category: in-progress, aliases: [Active]}
  resolved: {category: resolved, aliases: [Resolved]}
  closed: {category: closed, aliases: [Closed]}
terminology:
  priority:
    P3: ["3 - Moderate"]
clocks:
  resolution:
    type: resolution
    start: {event: created}
    stop: {category: [resolved, closed]}
    targets:
      P3: {within: 4h, calendar: 24x7}
paths:
  problem:
    kind: vertical
    starts: on-trigger
    levels:
      - {name: manager, targets: [role:problem-manager]}
recurrence:
  fingerprint: [category]
  within: 30d
rules:
  - id: recurring-problem
    when:
      fields.recurrences: {gte: 2}
      status_category: {not_in: [resolved, closed]}
    then: {escalate: {path: problem, to: manager}}
    rationale: fixed twice within 30 days and back again
"""


def files(tmp_path: Path, policy: str = POLICY, extra: str = "") -> list[str]:
    log = tmp_path / "log.csv"
    lines = [HEADER + extra]
    mods: dict[str, int] = {}
    for number, state, opened, updated, category in ROWS:
        mod = mods[number] = mods.get(number, -1) + 1  # sys_mod_count: 0, 1, ... per incident
        lines.append(
            f"{number},{state},true,0,0,{mod},true,{opened},Updated by 1,{updated},"
            f"3 - Moderate,Group A,{category}" + (",bounce" if extra else "")
        )
    log.write_text("\n".join(lines) + "\n")
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    return ["replay", "--policy", str(path), "--servicenow", str(log), "--time-zone", "UTC"]


def summary(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    assert (0, "") == (code, captured.err)
    document: dict[str, Any] = json.loads(captured.out)
    document.pop("throughput")
    return document


def test_the_third_incident_of_a_category_escalates_to_problem_management(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = files(tmp_path)
    one = summary(args, capsys)
    assert {"problem": {"manager": 1}} == one["escalations"]["by_path"]
    assert 1 == one["first_escalation"]["incidents"]  # INC3, at its opening
    assert one == summary([*args, "--workers", "2"], capsys)


def test_a_log_that_gives_a_filled_field_itself_is_refused_naming_the_incident(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = POLICY.replace(
        "  within: 30d\n", "  within: 30d\n  fields: {recurrences: fields.u_symptom}\n"
    ).replace("fields.recurrences: {gte: 2}", "fields.u_symptom: {gte: 2}")
    args = files(tmp_path, policy, extra=",u_symptom")
    code = main([*args, "--quiet"])
    captured = capsys.readouterr()
    assert (2, "") == (code, captured.out)
    assert (
        f"escalate: error: --servicenow: {args[4]}: incident INC1 gives fields.u_symptom (a "
        "column of the log), which policy 'recurring-replay''s recurrence: fills: name another "
        "field in recurrence.fields\n"
    ) == captured.err
