"""Regression tests for hostile policies (issue #8, classes 5 and 7 on the policy side).

Every bad value is a :class:`~escalate.errors.PolicyError` at load that names the key path
(and the line) and shows the value escaped; nothing is coerced, dropped or left to fail at
evaluation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from escalate import (
    ArgumentError,
    Availability,
    InstantRangeError,
    Policy,
    PolicyError,
    lint,
)
from escalate._models import Label, Prose, unsafe_value
from escalate.policy.loader import loads
from tests.policy_helpers import yaml_text

RULE = "rules: [{id: r, when: {priority: P1}, then: %s}]\n"
PATH = """
directory: {teams: {desk: {members: [ann]}}, people: {ann: {}}}
paths:
  desk:
    kind: vertical
    levels: [{name: %s, targets: [team:desk]}]
"""

HIDDEN = [
    ("a\\x1b[2J", "U+001B", r"'a\x1b[2J'"),
    ("a\\x00b", "U+0000", r"'a\x00b'"),
    ("a\\x85b", "U+0085", r"'a\x85b'"),
    ("a\\x7fb", "U+007F", r"'a\x7fb'"),
    ("a\\u202eb", "U+202E (RIGHT-TO-LEFT OVERRIDE)", r"'a\u202eb'"),
    ("a\\u2066b", "U+2066 (LEFT-TO-RIGHT ISOLATE)", r"'a\u2066b'"),
    ("a\\u200fb", "U+200F (RIGHT-TO-LEFT MARK)", r"'a\u200fb'"),
    ("a\\u2028b", "U+2028 (LINE SEPARATOR)", r"'a\u2028b'"),
]
INVISIBLE = [
    ("a\\u200bb", "U+200B (ZERO WIDTH SPACE)", r"'a\u200bb'"),
    ("a\\ufeffb", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)", r"'a\ufeffb'"),
    ("a\\tb", "U+0009", r"'a\tb'"),
    ("a\\nb", "U+000A", r"'a\nb'"),
]


def load(body: str) -> Policy:
    return loads(yaml_text(body), filename="p.yaml")


def rejection(body: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load(body)
    return caught.value


@pytest.mark.parametrize(("text", "char", "shown"), HIDDEN + INVISIBLE)
def test_a_hidden_character_in_a_template_is_a_policy_error_naming_it_and_its_position(
    text: str, char: str, shown: str
) -> None:
    error = rejection(RULE % f'{{notify: {{to: [assignee], template: "{text}"}}}}')
    assert ("rules", 0, "then", "notify", "template") == error.path
    assert f"{char} at position 2: {shown}" in error.message
    assert error.source is not None and error.source[1] == 3


@pytest.mark.parametrize(("text", "char", "shown"), HIDDEN + INVISIBLE)
def test_a_hidden_character_in_a_level_name_is_a_policy_error(
    text: str, char: str, shown: str
) -> None:
    error = rejection(PATH % f'"L{text}"')
    assert ("paths", "desk", "levels", 0, "name") == error.path
    assert f"{char} at position " in error.message
    assert shown[1:-1] in error.message


@pytest.mark.parametrize(
    "body",
    [
        'terminology: {priority: {P1: ["Sev\\u202e1"]}}\n',
        'terminology: {priority: {"P\\x1b1": [Sev1]}}\n',
        'priority_matrix: {high: {"lo\\u200bw": P1}}\n',
        'custom_fields: {"ti\\u2067er": string}\n',
        'directory: {people: {"an\\u200dn": {}}}\n',
        'directory: {people: {ann: {name: "Ann \\x1b[31m"}}}\n',
        'directory: {people: {ann: {channels: {email: "a@b\\u202e"}}}}\n',
        'directory: {teams: {"de\\u00adsk": {members: [ann]}}, people: {ann: {}}}\n',
        RULE % '{set_flag: {flag: "f\\u200b"}}',
        RULE % '{set_flag: {flag: f, value: "v\\x07"}}',
        RULE % '{custom: {type: "t\\u2069", payload: {}}}',
        RULE % '{custom: {type: t, payload: {note: "\\x1b]0;title\\x07"}}}',
        RULE % '{custom: {type: t, payload: {"k\\x1b": 1}}}',
    ],
)
def test_a_hidden_character_in_a_term_id_name_or_payload_is_a_policy_error(body: str) -> None:
    error = rejection(body)
    assert "at position" in error.message
    assert error.source is not None


@pytest.mark.parametrize(
    "body",
    [
        'description: "fine\\u202e"\n',
        RULE.replace("then:", 'rationale: "see \\x1b[8m", then:') % "{set_flag: {flag: f}}",
        RULE.replace("then:", 'source: "x\\u2066", then:') % "{set_flag: {flag: f}}",
        'clocks: {c: {rationale: "\\x9b31m", stop: {event: resolved}, '
        "targets: {default: {within: 1h}}}}\n",
    ],
)
def test_a_control_or_bidi_character_in_prose_is_a_policy_error(body: str) -> None:
    error = rejection(body)
    assert "at position" in error.message


def test_prose_may_span_lines_and_use_tabs_and_joiners() -> None:
    policy = load('description: "two\\nlines\\tand a family \\U0001f468\\u200d\\U0001f469"\n')
    assert "two\nlines\tand a family \U0001f468\u200d\U0001f469" == policy.description


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("terminology: {priority: {P1: ['']}}\n", ("terminology", "priority", "P1", 0)),
        ("terminology: {priority: {P1: ['  ']}}\n", ("terminology", "priority", "P1", 0)),
        ("terminology: {priority: {'': [Sev1]}}\n", ("terminology", "priority", "")),
        ("terminology: {priority: {' ': [Sev1]}}\n", ("terminology", "priority", " ")),
        (RULE % "{notify: {to: [assignee], template: ''}}", ("rules", 0, "then", "notify")),
        (RULE % "{set_flag: {flag: ' '}}", ("rules", 0, "then", "set_flag", "flag")),
        (PATH % "'   '", ("paths", "desk", "levels", 0, "name")),
        ("directory: {people: {ann: {name: '\u3000'}}}\n", ("directory", "people", "ann", "name")),
    ],
)
def test_an_empty_or_blank_name_term_or_template_is_a_policy_error(
    body: str, path: tuple[object, ...]
) -> None:
    error = rejection(body)
    assert path == error.path[: len(path)]
    assert "non-empty" in error.message or "non-blank" in error.message


@pytest.mark.parametrize("header", ["policy: ''\nversion: 1\n", "policy: ' '\nversion: 1\n"])
def test_an_empty_or_blank_policy_id_is_a_policy_error(header: str) -> None:
    with pytest.raises(PolicyError, match=r"^p\.yaml:1:1: policy: expected a non-"):
        loads(header, filename="p.yaml")


@pytest.mark.parametrize("version", ["''", "'  '", '"1\\u202e"'])
def test_an_empty_blank_or_hidden_version_is_a_policy_error(version: str) -> None:
    with pytest.raises(PolicyError, match=r"^p\.yaml:2:1: version: "):
        loads(f"policy: p\nversion: {version}\n", filename="p.yaml")


def test_a_rule_with_an_empty_then_list_is_a_policy_error() -> None:
    error = rejection(RULE % "[]")
    assert ("rules", 0, "then") == error.path
    assert "non-empty list" in error.message


@pytest.mark.parametrize("number", [".nan", ".inf", "-.inf", ".NaN"])
def test_a_non_finite_number_in_an_action_payload_is_a_policy_error(number: str) -> None:
    error = rejection(RULE % f"{{custom: {{type: t, payload: {{limits: [1, {number}]}}}}}}")
    assert ("rules", 0, "then", "custom", "payload", "limits", 1) == error.path
    assert "expected a finite number" in error.message


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (RULE % "{custom: {type: t, payload: {n: %s}}}", ("rules", 0, "then", "custom")),
        (RULE % "{set_flag: {flag: f, value: %s}}", ("rules", 0, "then", "set_flag", "value")),
        ("rules: [{id: r, priority: %s, when: {priority: P1}, then: {set_flag: {flag: f}}}]\n", ()),
        (
            "clocks: {c: {precedence: %s, stop: {event: resolved}, "
            "targets: {default: {within: 1h}}}}\n",
            ("clocks", "c", "precedence"),
        ),
    ],
)
@pytest.mark.parametrize("number", [str(2**63), str(-(2**63) - 1), "9" * 4000])
def test_an_integer_beyond_64_bits_anywhere_in_a_policy_is_a_policy_error(
    body: str, path: tuple[object, ...], number: str
) -> None:
    error = rejection(body % number)
    assert path == error.path[: len(path)]
    assert "signed 64-bit" in error.message
    assert len(str(error)) < 300


def test_a_version_beyond_64_bits_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"^p\.yaml:2:1: version: expected a whole number"):
        loads("policy: p\nversion: " + "9" * 4000 + "\n", filename="p.yaml")


def test_the_64_bit_integer_limits_themselves_load_and_reach_the_payload_exactly() -> None:
    policy = load(RULE % f"{{custom: {{type: t, payload: {{lo: {-(2**63)}, hi: {2**63 - 1}}}}}}}")
    details = policy.rules[0].actions[0].details
    assert {"lo": -(2**63), "hi": 2**63 - 1} == json.loads(json.dumps(dict(details["payload"])))


def test_the_shared_label_type_refuses_hidden_characters_outside_policies() -> None:
    label = TypeAdapter(Label)
    assert "L2" == label.validate_python("L2")
    with pytest.raises(ValidationError, match="U\\+202E"):
        label.validate_python("L\u202e2")
    with pytest.raises(ValidationError, match="non-blank"):
        label.validate_python(" \t")


def test_the_shared_prose_type_keeps_lines_and_refuses_escapes() -> None:
    prose = TypeAdapter(Prose)
    assert "a\nb" == prose.validate_python("a\nb")
    with pytest.raises(ValidationError, match="U\\+001B"):
        prose.validate_python("a\x1b[0m")


def test_unsafe_value_walks_deep_data_without_recursion() -> None:
    data: object = "\x1b"
    for _ in range(5000):
        data = [data]
    found = unsafe_value(data)
    assert found is not None and len(found[0]) == 5000


SCHEDULE = """
directory: {people: {ann: {validated_at: %s}, bob: {}}}
schedules:
  ops:
    timezone: Europe/Berlin
    layers:
      - name: a
        level: 1
        rotation: {members: [ann, bob], turn: 1w, anchor: %s}
        %s
    %s
"""


def schedule(
    validated: str = "2024-01-01", anchor: str = "2024-01-01", layer: str = "", extra: str = ""
) -> str:
    return SCHEDULE % (validated, anchor, layer, extra)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (schedule(anchor="'9999-12-31T23:00:00-05:00'"), ("rotation", "anchor")),
        (schedule(anchor="'0001-01-01T00:00:00+05:00'"), ("rotation", "anchor")),
        (schedule(anchor="9999-12-31"), ("rotation", "anchor")),
        (schedule(layer="effective_from: '9999-12-31T23:00:00-05:00'"), ("effective_from",)),
        (schedule(layer="effective_until: 9999-12-31T23:00:00-05:00"), ("effective_until",)),
        (schedule(layer="effective_from: '1899-12-31T23:00:00Z'"), ("effective_from",)),
        (
            schedule(
                extra="overrides: [{start: '2024-01-01T00:00:00Z', "
                "end: '9999-12-31T23:00:00-05:00', people: [ann]}]"
            ),
            ("overrides", 0, "end"),
        ),
        (schedule(validated="0001-01-01"), ("validated_at",)),
    ],
)
def test_an_instant_or_date_far_outside_the_policy_years_is_a_policy_error(
    body: str, path: tuple[object, ...]
) -> None:
    error = rejection(body)
    assert path == error.path[-len(path) :]
    assert "outside the years a policy may name (1900 to 2200)" in error.message


def test_instants_at_the_edges_of_the_policy_years_load() -> None:
    body = schedule(
        anchor="'1900-01-01T00:00:00+01:00'",
        layer="effective_until: '2200-12-31T23:00:00-05:00'",
    )
    assert load(body).directory.schedules["ops"] is not None


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        datetime(9999, 12, 25, tzinfo=UTC),  # plus the default 14 days runs past the end
    ],
)
def test_lint_as_of_near_the_ends_of_datetime_is_an_instant_range_error(as_of: datetime) -> None:
    with pytest.raises(InstantRangeError, match="as_of"):
        lint(load(schedule()), as_of=as_of)


@pytest.mark.parametrize("horizon", [timedelta(days=-1), timedelta(days=3651), timedelta.max])
def test_a_lint_horizon_out_of_range_is_an_instant_range_error(horizon: timedelta) -> None:
    with pytest.raises(InstantRangeError, match="horizon"):
        lint(load(schedule()), as_of=datetime(2024, 6, 3, tzinfo=UTC), horizon=horizon)


def test_a_lint_horizon_that_is_no_timedelta_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="horizon must be a timedelta"):
        lint(load(schedule()), horizon=14)  # type: ignore[arg-type]


DIRECTORY = """
directory:
  people: {ann: {backup: bob}, bob: {}}
  teams: {desk: {members: [ann], schedule: ops}}
schedules:
  ops:
    timezone: Europe/Berlin
    layers:
      - {name: a, level: 1, rotation: {members: [ann, bob], turn: 1d, anchor: 2024-01-01}}
"""
NOBODY_AWAY = Availability.from_mapping({})
NOON = datetime(2024, 6, 3, 12, tzinfo=UTC)


@pytest.mark.parametrize("targets", [["team:nope"], ["desk"], ["person:"], ["group:desk"]])
def test_resolving_a_target_the_directory_does_not_know_is_a_policy_error(
    targets: list[str],
) -> None:
    with pytest.raises(PolicyError, match=r"^targets\[0\]: "):
        load(DIRECTORY).directory.resolve(targets, NOON, NOBODY_AWAY)


@pytest.mark.parametrize(
    ("targets", "at", "availability"),
    [
        ("team:desk", NOON, NOBODY_AWAY),
        ([None], NOON, NOBODY_AWAY),
        (None, NOON, NOBODY_AWAY),
        (["team:desk"], NOON, None),
        (["team:desk"], "2024-06-03T12:00:00Z", NOBODY_AWAY),
    ],
)
def test_resolving_with_arguments_of_the_wrong_type_is_an_argument_error(
    targets: object, at: object, availability: object
) -> None:
    with pytest.raises(ArgumentError):
        load(DIRECTORY).directory.resolve(targets, at, availability)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "at",
    [
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    ],
)
def test_directory_lookups_at_instants_beyond_datetime_are_instant_range_errors(
    at: datetime,
) -> None:
    directory = load(DIRECTORY).directory
    with pytest.raises(InstantRangeError):
        directory.resolve(["team:desk"], at, NOBODY_AWAY)
    with pytest.raises(InstantRangeError):
        directory.handoffs(["ops"], at)
    with pytest.raises(InstantRangeError):
        directory.last_handoff("ops", NOON, at)


def test_resolving_near_the_last_instant_looks_for_the_next_on_call_without_overflow() -> None:
    late = datetime(9999, 12, 29, 12, tzinfo=UTC)
    everyone_away = Availability.from_mapping({"unreachable": ["ann", "bob"]})
    found = load(DIRECTORY).directory.resolve(["schedule:ops"], late, everyone_away)
    assert () == found.people
    assert any("no available fallback" in note for note in found.notes)


@pytest.mark.parametrize("method", ["handoffs", "last_handoff"])
def test_asking_for_hand_offs_of_an_unknown_schedule_is_a_policy_error(method: str) -> None:
    directory = load(DIRECTORY).directory
    with pytest.raises(PolicyError, match="unknown schedule 'opz'") as caught:
        if method == "handoffs":
            directory.handoffs(["opz"], NOON)
        else:
            directory.last_handoff("opz", NOON, NOON + timedelta(days=1))
    assert "ops" == caught.value.suggestion


def test_a_long_value_of_the_wrong_type_is_cut_in_the_message() -> None:
    error = rejection(RULE % f"{{set_flag: {{flag: f, value: [{', '.join(['1'] * 5000)}]}}}}")
    assert len(str(error)) < 600
