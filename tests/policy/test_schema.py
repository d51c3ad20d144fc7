"""The JSON Schema (``escalate schema``) is exported from the models that validate policies, and
accepts what escalate accepts and rejects what it rejects, the way an editor reads YAML."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from escalate.calendars._durations import parse_duration
from escalate.calendars.calendar import Calendar
from escalate.calendars.models import DURATION_PATTERN
from escalate.calendars.timewindow import TimeWindow
from escalate.cli import main
from escalate.errors import PolicyError
from escalate.people.directory import Directory
from escalate.people.schedule import Schedule
from escalate.policy.models import policy_json_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = policy_json_schema()


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's JSON view sees it: dates stay strings."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def editor_yaml(text: str) -> Any:
    return yaml.load(text, Loader=EditorLoader)  # a SafeLoader subclass: safe


def validator(definition: str | None = None) -> jsonschema.Draft202012Validator:
    schema = dict(SCHEMA)
    if definition is not None:
        schema = {"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema)


def conforms(data: object, definition: str | None = None) -> bool:
    return validator(definition).is_valid(data)


def blocks(doc: str) -> list[Any]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    return [editor_yaml(block) for block in re.findall(r"^```yaml\n(.*?)^```\n", text, re.M | re.S)]


PACK = editor_yaml((ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8"))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_shipped_pack_conforms_to_the_schema_with_dates_as_strings() -> None:
    errors = [e.message for e in validator().iter_errors(PACK)]
    assert [] == errors


def documented(doc: str, section: str) -> list[Any]:
    found: list[Any] = []
    for data in blocks(doc):
        if isinstance(data, dict) and section in data:
            found.append(data[section])
    return found


@pytest.mark.parametrize(
    ("doc", "section", "definition"),
    [
        ("calendars.md", "calendars", None),
        ("on-call.md", "schedules", None),
        ("on-call.md", "directory", "DirectoryModel"),
    ],
)
def test_the_documented_sections_conform_to_the_schema(
    doc: str, section: str, definition: str | None
) -> None:
    examples = documented(doc, section)
    for example in examples:
        if definition is None:
            entries = example.values()
            model = "CalendarModel" if section == "calendars" else "ScheduleModel"
            for entry in entries:
                if entry != "24x7":
                    assert [] == [e.message for e in validator(model).iter_errors(entry)]
        else:
            assert [] == [e.message for e in validator(definition).iter_errors(example)]
    assert examples


def test_the_documented_time_windows_conform_to_the_schema() -> None:
    found = 0
    for data in blocks("time-windows.md"):
        for window in _windows(data):
            found += 1
            assert conforms(window, "NamedTimeIntervalModel") or conforms(
                window, "TimeIntervalModel"
            ), window
    assert found


def _windows(data: object) -> list[Any]:
    """Every ``time_intervals`` entry list or ``window:`` in a documented block."""
    out: list[Any] = []
    if isinstance(data, dict):
        if "time_intervals" in data:
            out.append(data)
        elif "window" in data and isinstance(data["window"], dict):
            out.append(data["window"])
        else:
            for value in data.values():
                out += _windows(value)
    elif isinstance(data, list):
        for value in data:
            out += _windows(value)
    return out


@pytest.mark.parametrize("text", ["30m", "4h", "1h30m", "2d", "3bd", "1w", "90s", "1h 30m"])
def test_the_duration_pattern_accepts_what_the_parser_accepts(text: str) -> None:
    parse_duration(text, ())
    assert re.fullmatch(DURATION_PATTERN, text)


@pytest.mark.parametrize("text", ["1.5h", "90", "h", "4 hours", "-1h", "4H", ""])
def test_the_duration_pattern_rejects_what_the_parser_rejects(text: str) -> None:
    with pytest.raises(PolicyError):
        parse_duration(text, ())
    assert re.fullmatch(DURATION_PATTERN, text) is None


def clock(**target: object) -> dict[str, Any]:
    return {
        "policy": "p",
        "version": 1,
        "clocks": {"res": {"stop": {"status": "resolved"}, "targets": {"P1": target}}},
    }


def rule(when: object, then: object = None) -> dict[str, Any]:
    return {
        "policy": "p",
        "version": 1,
        "rules": [{"id": "r", "when": when, "then": then or {"notify": {"to": ["assignee"]}}}],
    }


def test_a_bad_duration_is_rejected_by_the_schema() -> None:
    assert (True, False) == (conforms(clock(within="4h")), conforms(clock(within="1.5h")))


def test_a_bad_percent_is_rejected_by_the_schema() -> None:
    good = clock(within="4h")
    bad = clock(within="4h")
    good["clocks"]["res"]["ladder"] = [{"at": "75%", "notify": {"to": ["assignee"]}}]
    bad["clocks"]["res"]["ladder"] = [{"at": "75", "notify": {"to": ["assignee"]}}]
    assert (True, False) == (conforms(good), conforms(bad))


def test_an_id_that_is_not_kebab_case_is_rejected_by_the_schema() -> None:
    good, bad = clock(within="4h"), clock(within="4h")
    bad["clocks"] = {"Resolution Clock": bad["clocks"]["res"]}
    assert (True, False) == (conforms(good), conforms(bad))


def test_a_target_without_its_kind_is_rejected_by_the_schema() -> None:
    good = rule({"priority": "P1"}, {"open_bridge": {"participants": ["team:noc"]}})
    bad = rule({"priority": "P1"}, {"open_bridge": {"participants": ["noc"]}})
    assert (True, False) == (conforms(good), conforms(bad))


@pytest.mark.parametrize(
    "when",
    [
        {"priority": "P1"},
        {"category": ["network", "security"]},
        {"clock.resolution.percent": {"gte": "75%"}},
        {"any": [{"priority": "P1"}, {"not": {"customer.vip": True}}]},
        {"regulatory_flags": {"contains": "gdpr"}, "reopen_count": {"gt": 2}},
    ],
)
def test_a_well_formed_condition_conforms_to_the_schema(when: object) -> None:
    assert conforms(rule(when))


@pytest.mark.parametrize(
    "when",
    [
        {},
        {"priority": {"equals": "P1"}},
        {"priority": {}},
        {"any": {"priority": "P1"}},
        {"all": []},
        {"not": ["priority"]},
        {"priority": None},
        {"priority": {"in": []}},
        {"status": {"exists": "yes"}},
    ],
)
def test_a_malformed_condition_is_rejected_by_the_schema(when: object) -> None:
    assert not conforms(rule(when))


def test_a_misspelt_calendar_key_is_rejected_by_the_schema() -> None:
    bad = {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}, "holiday": {}}
    assert not conforms(bad, "CalendarModel")


def test_a_misspelt_weekday_is_rejected_by_the_schema() -> None:
    good = {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}}
    bad = {"timezone": "UTC", "hours": {"mon-fry": ["09:00-17:00"]}}
    assert (True, False) == (conforms(good, "CalendarModel"), conforms(bad, "CalendarModel"))


@pytest.mark.parametrize(
    ("compile_", "config", "path"),
    [
        (
            lambda c: Calendar.from_config(c, path=("calendars", "x")),
            {"timezone": "UTC", "hours": {"mon": ["9-17"]}},
            ("calendars", "x", "hours", "mon", 0),
        ),
        (
            lambda c: TimeWindow.from_config(c, path=("w",)),
            {"times": [{"start_time": "09:00"}]},
            ("w", "times", 0, "end_time"),
        ),
        (
            lambda c: Schedule.from_config(c, path=("schedules", "s")),
            {
                "timezone": "UTC",
                "layers": [{"name": "a", "level": 1, "rotation": {"members": ["a"], "turn": "1d"}}],
            },
            ("schedules", "s", "layers", 0, "rotation", "anchor"),
        ),
        (
            lambda c: Directory.from_config(c, {}),
            {"people": {"bob": {"channels": {"email": 7}}}},
            ("directory", "people", "bob", "channels", "email"),
        ),
    ],
    ids=["calendar", "time window", "schedule", "directory"],
)
def test_from_config_rejects_what_the_model_rejects_naming_the_path(
    compile_: Any, config: object, path: tuple[str | int, ...]
) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_(config)
    assert path == caught.value.path


def test_the_schema_command_prints_the_editor_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == main(["schema"])
    printed = json.loads(capsys.readouterr().out)
    assert policy_json_schema()["$defs"] == printed.get("$defs")
    assert "#/$defs/DirectoryModel" == printed["properties"]["directory"]["$ref"]
