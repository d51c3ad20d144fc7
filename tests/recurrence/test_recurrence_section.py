"""The ``recurrence:`` policy section: compiled into ``Policy.recurrence``, its two fields
read by conditions as integers, every mistake a load error naming file:line:col, the key and
the value, and a policy without it unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from escalate import Policy, PolicyError, TicketError, lint, load, loads
from escalate.engine import RecurrenceDef
from escalate.schemas import json_schema

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"
NOW = datetime(2024, 6, 1, tzinfo=UTC)

HEAD = "policy: recurring\nversion: 1\n"
SECTION = """recurrence:
  fingerprint: [service, category]
  within: 30d
"""
RULE = """rules:
  - id: problem-record
    when: {fields.recurrences: {gte: 2}}
    rationale: fixed twice and back
    then: {custom: {type: open-problem-record}}
"""


def ticket(**fields: object) -> dict[str, object]:
    return {
        "id": "INC1",
        "opened_at": "2024-05-31T09:00:00Z",
        "service": "mail",
        "category": "outage",
        "fields": fields,
    }


def error_of(text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="policy.yaml")
    return str(caught.value)


def test_the_section_compiles_into_a_read_only_definition() -> None:
    policy = loads(HEAD + SECTION + RULE)
    assert RecurrenceDef(("service", "category"), timedelta(days=30), "30d") == policy.recurrence
    assert ("fields.recurrences", "fields.occurrences") == policy.recurrence.fields
    assert {"occurrences": "integer", "recurrences": "integer"} == dict(policy.custom_fields)
    with pytest.raises(AttributeError):
        policy.recurrence.within = timedelta(0)  # type: ignore[misc]


def test_a_policy_without_the_section_has_none_and_its_custom_fields_as_declared() -> None:
    # the shipped pack without its recurring-problem rule and recurrence section
    text = PACK.read_text(encoding="utf-8")
    start = text.index("  - id: recurring-problem")
    end = text.index("  within: 30d\n", start) + len("  within: 30d\n")
    assert load(PACK).recurrence is not None
    pack = loads(text[:start] + text[end:])
    assert pack.recurrence is None
    assert {"caller_name", "patient_name", "root_cause_guess", "security_detail"} <= set(
        pack.custom_fields
    )
    assert "recurrences" not in pack.custom_fields


def test_the_section_changes_no_decision_of_a_ticket_whose_rules_do_not_read_it() -> None:
    rule = RULE.replace("fields.recurrences: {gte: 2}", "service: mail")
    # the section after the rules: the trace's positions are the same in both
    with_section, without = loads(HEAD + rule + SECTION), loads(HEAD + rule)

    def decided(policy: Policy) -> dict[str, object]:
        document = policy.evaluate(ticket(), now=NOW).to_dict()
        del document["policy"], document["input_digest"]  # both name the policy's hash
        return document

    assert decided(without) == decided(with_section)


def test_conditions_read_the_counts_as_integers_and_a_missing_count_as_missing() -> None:
    policy = loads(
        HEAD
        + SECTION
        + RULE
        + """  - id: not-counted
    when: {fields.recurrences: {exists: false}}
    then: {custom: {type: count-missing}}
"""
    )

    def fired(**fields: object) -> list[object]:
        return [a.details["type"] for a in policy.evaluate(ticket(**fields), now=NOW).actions]

    assert ["open-problem-record"] == fired(recurrences=2, occurrences=3)
    assert [] == fired(recurrences=1, occurrences=2)
    assert ["count-missing"] == fired()  # nobody filled it: gte never matches
    with pytest.raises(TicketError, match="declares this custom field as integer"):
        policy.evaluate(ticket(recurrences="2"), now=NOW)


def test_a_condition_comparing_a_count_with_text_is_a_load_error() -> None:
    text = HEAD + SECTION + RULE.replace("{gte: 2}", "{gte: two}")
    assert error_of(text).startswith("policy.yaml:8:")


def test_configured_fields_replace_the_default_names() -> None:
    section = SECTION + "  fields: {recurrences: fields.u_repeats, occurrences: fields.u_seen}\n"
    policy = loads(HEAD + section + RULE.replace("fields.recurrences", "fields.u_repeats"))
    assert ("fields.u_repeats", "fields.u_seen") == policy.recurrence.fields  # type: ignore[union-attr]
    message = error_of(HEAD + section + RULE)  # the default name is not a field any more
    assert "unknown field 'fields.recurrences'" in message


def test_an_extending_policy_inherits_or_replaces_the_section(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(HEAD + SECTION + RULE)
    (tmp_path / "same.yaml").write_text("policy: same\nversion: 2\nextends: base.yaml\n")
    (tmp_path / "other.yaml").write_text(
        "policy: other\nversion: 2\nextends: base.yaml\n"
        "recurrence: {fingerprint: [service], within: 7d}\n"
    )
    assert load(tmp_path / "base.yaml").recurrence == load(tmp_path / "same.yaml").recurrence
    other = load(tmp_path / "other.yaml").recurrence
    assert (("service",), timedelta(days=7)) == (other.fingerprint, other.within)  # type: ignore[union-attr]


def test_a_segment_reads_the_counts_and_carries_the_section() -> None:
    policy = loads(
        HEAD
        + SECTION
        + """segments:
  - id: mail
    when: {service: mail}
    precedence: 1
    add:
      rules:
        - id: mail-problem
          when: {fields.occurrences: {gte: 3}}
          then: {custom: {type: mail-problem}}
"""
    )
    (segment,) = policy.segments
    assert policy.recurrence == segment.policy.recurrence
    actions = policy.evaluate(ticket(recurrences=0, occurrences=3), now=NOW).actions
    assert ["mail-problem"] == [a.details["type"] for a in actions]


def test_with_custom_fields_declared_a_template_may_read_the_counts() -> None:
    policy = loads(
        HEAD
        + "custom_fields: {u_symptom: string}\n"
        + SECTION
        + """templates:
  problem:
    audience: internal
    subject: "{{ ticket.id }} seen {{ ticket.fields.occurrences }} times"
    body: "recurred {{ ticket.fields.recurrences }} times"
    variables: [ticket.id, ticket.fields.occurrences, ticket.fields.recurrences]
"""
    )
    assert policy.recurrence is not None


def test_without_custom_fields_a_classified_custom_field_stays_allowed() -> None:
    # the section's fields must not make the policy "declare custom fields", which would
    # turn every other fields.<name> a classification names into a load error
    policy = loads(HEAD + SECTION + "classification:\n  fields.caller_name: personal\n")
    assert policy.recurrence is not None


def test_the_json_schema_takes_the_section_and_refuses_unknown_keys() -> None:
    schema = json_schema("policy")
    good = {
        "policy": "p",
        "version": 1,
        "recurrence": {
            "fingerprint": ["service", "fields.u_symptom"],
            "within": "30d",
            "fields": {"recurrences": "fields.u_r"},
        },
    }
    jsonschema.validate(good, schema)
    bad = {**good, "recurrence": {"fingerprint": ["service"], "within": "30d", "window": "1d"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "recurrence:\n  fingerprint: [service]\n  within: 3bd\n",
            "policy.yaml:5:3: recurrence.within: business days ('bd') are not allowed here, "
            "got '3bd'",
        ),
        (
            "recurrence:\n  fingerprint: [service]\n  within: 1mo\n",
            "policy.yaml:5:3: recurrence.within: calendar months ('mo') are not allowed here: a "
            "month has no fixed length and this duration is counted as plain elapsed time; "
            "write days like '30d', got '1mo'",
        ),
        (
            "recurrence:\n  fingerprint: [service]\n  within: 30 days\n",
            "policy.yaml:5:3: recurrence.within: expected a duration like '30m', '4h', "
            "'1h30m', '2d', '3bd' or '1mo', got '30 days'",
        ),
        (
            "recurrence:\n  fingerprint: [service]\n  within: 0d\n",
            "policy.yaml:5:3: recurrence.within: duration must be positive, got '0d'",
        ),
        (
            "recurrence:\n  fingerprint: [service]\n  within: 30\n",
            "policy.yaml:5:3: recurrence.within: expected a string, got 30",
        ),
        (
            "recurrence:\n  fingerprint: [service, catgory]\n  within: 30d\n",
            "policy.yaml:4:26: recurrence.fingerprint[1]: unknown fingerprint field 'catgory' "
            "(fields: assignee, assignment_group, business_unit, category, configuration_item, "
            "customer.id, customer.tier, customer.vip, impact, region, risk, service, "
            "service_line, severity, subcategory, urgency, fields.<name>) (did you mean "
            "'category'?)",
        ),
        (
            "recurrence:\n  fingerprint: [priority]\n  within: 30d\n",
            "policy.yaml:4:17: recurrence.fingerprint[0]: unknown fingerprint field 'priority' "
            "(fields: assignee, assignment_group, business_unit, category, configuration_item, "
            "customer.id, customer.tier, customer.vip, impact, region, risk, service, "
            "service_line, severity, subcategory, urgency, fields.<name>)",
        ),
        (
            "recurrence:\n  fingerprint: []\n  within: 30d\n",
            "policy.yaml:4:3: recurrence.fingerprint: expected a non-empty list, got []",
        ),
        (
            "recurrence:\n  fingerprint: [service, service]\n  within: 30d\n",
            "policy.yaml:4:26: recurrence.fingerprint[1]: 'service' is listed twice (also "
            "fingerprint[0])",
        ),
        (
            "recurrence:\n  fingerprint: [service, fields.occurrences]\n  within: 30d\n",
            "policy.yaml:4:26: recurrence.fingerprint[1]: 'fields.occurrences' is a field "
            "recurrence: fills, so it cannot be part of the fingerprint it is counted by",
        ),
        (
            "recurrence:\n  fingerprint: [service]\n  within: 30d\n"
            "  fields: {recurrences: fields.n, occurrences: fields.n}\n",
            "policy.yaml:6:35: recurrence.fields.occurrences: recurrences and occurrences both "
            "fill 'fields.n': give them a field each",
        ),
        (
            "recurrence:\n  fingerprint: [service]\n  within: 30d\n"
            "  fields: {recurrences: recurrences}\n",
            "policy.yaml:6:12: recurrence.fields.recurrences: expected a custom field written "
            "'fields.<name>', like 'fields.recurrences', got 'recurrences'",
        ),
        (
            "recurrence:\n  fingerprint: [service]\n  within: 30d\n  withn: 1d\n",
            "policy.yaml:6:3: recurrence.withn: unknown key 'withn' (did you mean 'within'?)",
        ),
    ],
)
def test_a_bad_section_is_a_load_error_naming_position_key_and_value(
    section: str, expected: str
) -> None:
    assert expected == error_of(HEAD + section)


def test_a_fingerprint_custom_field_must_be_declared_once_the_policy_declares_some() -> None:
    text = (
        HEAD
        + "custom_fields: {u_symptom: string}\n"
        + SECTION.replace("category]", "fields.u_symtom]")
    )
    assert (
        "policy.yaml:5:26: recurrence.fingerprint[1]: the policy declares custom_fields, and "
        "'u_symtom' is not one of them (custom fields: u_symptom) (did you mean "
        "'fields.u_symptom'?)"
    ) == error_of(text)


def test_a_filled_field_declared_with_another_type_is_a_load_error() -> None:
    text = HEAD + "custom_fields: {recurrences: string}\n" + SECTION
    assert (
        "policy.yaml:4:1: recurrence.fields.recurrences: custom_fields declares 'recurrences' as "
        "string, and recurrence: fills 'fields.recurrences' with an integer count: pick another "
        "field, or declare it integer"
    ) == error_of(text)
    declared = loads(HEAD + "custom_fields: {recurrences: integer}\n" + SECTION + RULE)
    assert "integer" == declared.custom_fields["recurrences"]


@pytest.mark.parametrize("flag", ["recurrences", "fields.recurrences"])
def test_a_set_flag_writing_a_filled_field_is_a_load_error(flag: str) -> None:
    rule = RULE.replace(
        "then: {custom: {type: open-problem-record}}",
        f"then: [{{custom: {{type: x}}}}, {{set_flag: {{flag: {flag}}}}}]",
    )
    assert error_of(HEAD + SECTION + rule).startswith(
        f"policy.yaml:10:45: rules[0].then[1].set_flag.flag: the flag '{flag}' is the field "
        "recurrence.fields.recurrences fills with its recurrence count"
    )


def test_a_ladder_set_flag_writing_a_filled_field_is_a_load_error_too() -> None:
    clock = """clocks:
  resolution:
    stop: {category: resolved}
    targets: {default: {within: 4h}}
    ladder:
      - {at: 50%, set_flag: {flag: occurrences}}
"""
    assert error_of(HEAD + SECTION + clock).startswith(
        "policy.yaml:11:30: clocks.resolution.ladder[0].set_flag.flag: the flag 'occurrences'"
    )


# -- lint -------------------------------------------------------------------------------------


def test_lint_reports_a_rule_reading_a_count_no_section_fills() -> None:
    policy = loads(HEAD + "custom_fields: {recurrences: integer}\n" + RULE, filename="p.yaml")
    found = [f for f in lint(policy) if f.code == "recurrence-not-filled"]
    assert [("rules.problem-record.when", "warning", ("p.yaml", 6, 5))] == [
        (f.path, f.severity, f.source) for f in found
    ]
    assert "reads fields.recurrences" in found[0].message


def test_lint_is_quiet_when_the_section_fills_the_counts() -> None:
    policy = loads(HEAD + SECTION + RULE)
    assert [] == [f for f in lint(policy) if f.code == "recurrence-not-filled"]
