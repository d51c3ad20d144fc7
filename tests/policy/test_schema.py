"""The editor schema (``escalate schema``) describes what the compilers accept."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from escalate.cli import main
from escalate.policy.models import CalendarDoc, DirectoryDoc, ScheduleDoc, policy_json_schema

ROOT = Path(__file__).resolve().parents[2]
PACK = yaml.safe_load((ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8"))


def as_json(value: Any) -> Any:
    """YAML data as an editor sees it in JSON terms (YAML 1.1 dates are strings there)."""
    if isinstance(value, dict):
        return {str(as_json(k)): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def documented_calendars() -> list[Any]:
    text = (ROOT / "docs" / "calendars.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```yaml\n(.*?)^```\n", text, re.M | re.S):
        data = as_json(yaml.safe_load(block))
        found += list(data["calendars"].values()) if "calendars" in data else [data]
    return found


def test_the_shipped_directory_conforms_to_the_editor_schema() -> None:
    DirectoryDoc.model_validate(as_json(PACK["directory"]))


@pytest.mark.parametrize("name", sorted(PACK["schedules"]))
def test_the_shipped_schedules_conform_to_the_editor_schema(name: str) -> None:
    ScheduleDoc.model_validate(as_json(PACK["schedules"][name]))


def test_the_shipped_and_documented_calendars_conform_to_the_editor_schema() -> None:
    calendars = [*as_json(PACK["calendars"]).values(), *documented_calendars()]
    for calendar in calendars:
        if calendar != "24x7":
            CalendarDoc.model_validate(calendar)
    assert len(calendars) >= 4


def test_the_schema_command_prints_the_editor_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == main(["schema"])
    printed = json.loads(capsys.readouterr().out)
    assert policy_json_schema() == printed
    assert {"$ref": "#/$defs/DirectoryDoc"} == printed["properties"]["directory"]
