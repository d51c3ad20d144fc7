"""Loading policies: every class of load error with its message, key path and file:line:col,
files and folders, and the content hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate.errors import PolicyError
from escalate.policy.loader import load, loads

HEADER = "policy: p\nversion: 1\n"

CLOCK = HEADER + "clocks:\n  res:\n    stop: {status: resolved}\n    targets: {P1: {within: 1h}}\n"
RULE = HEADER + (
    "rules:\n  - id: r\n    when: {category: network}\n    then: {notify: {to: [assignee]}}\n"
)
DESK = HEADER + (
    "paths:\n"
    "  desk:\n"
    "    kind: vertical\n"
    "    levels:\n"
    "      - {name: L1, targets: ['team:a']}\n"
    "      - {name: L2, targets: ['team:b']}\n"
)


def error_of(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="p.yaml")
    return caught.value


def test_a_valid_policy_loads_with_its_id_version_and_source() -> None:
    policy = loads(CLOCK, filename="p.yaml")
    assert ("p", "1", "p.yaml", ("res",)) == (
        policy.id,
        policy.version,
        policy.source,
        tuple(c.name for c in policy.clocks),
    )


def test_a_policy_error_is_a_value_error() -> None:
    assert isinstance(error_of("policy: p\n"), ValueError)


# -- YAML and schema ------------------------------------------------------------------------------


def test_invalid_yaml_names_the_line_and_column() -> None:
    error = error_of(HEADER + "rules: [\n")
    assert (
        "p.yaml:4:1: invalid YAML: did not find expected node content (while parsing a flow node "
        "on line 4)"
    ) == str(error)


def test_a_document_that_is_not_a_mapping_is_an_error() -> None:
    assert "p.yaml:1:1: a policy is a mapping with 'policy', 'version', ...; got list" == str(
        error_of("- a\n- b\n")
    )


def test_a_duplicate_key_is_an_error_naming_both_lines() -> None:
    assert (
        "p.yaml:3:1: version: duplicate key 'version' on lines 2 and 3; YAML would silently keep "
        "only the last"
    ) == str(error_of(HEADER + "version: 2\n"))


def test_an_unknown_top_level_key_is_an_error_with_a_suggestion() -> None:
    error = error_of(HEADER + "rulez: []\n")
    assert ("p.yaml:3:1: rulez: unknown key 'rulez' (did you mean 'rules'?)", "rules") == (
        str(error),
        error.suggestion,
    )


def test_an_unknown_key_in_a_rule_is_an_error_at_that_key() -> None:
    text = HEADER + (
        "rules:\n  - id: r\n    priorty: 3\n    when: {category: x}\n"
        "    then: {notify: {to: [assignee]}}\n"
    )
    assert "p.yaml:5:5: rules[0].priorty: unknown key 'priorty' (did you mean 'priority'?)" == str(
        error_of(text)
    )


def test_a_missing_required_key_is_an_error_at_its_parent() -> None:
    error = error_of(HEADER + "clocks:\n  res:\n    targets: {P1: {within: 1h}}\n")
    assert (("clocks", "res", "stop"), ("p.yaml", 4, 3)) == (error.path, error.source)


def test_a_value_of_the_wrong_type_is_not_coerced() -> None:
    text = HEADER + (
        "rules:\n  - id: r\n    priority: '5'\n    when: {category: x}\n"
        "    then: {notify: {to: [assignee]}}\n"
    )
    assert "p.yaml:5:5: rules[0].priority: expected a whole number, got '5'" == str(error_of(text))


def test_a_value_out_of_range_is_an_error() -> None:
    text = HEADER + (
        "paths:\n  d:\n    kind: vertical\n    repeat: 11\n"
        "    levels:\n      - {name: L1, targets: ['team:a']}\n"
    )
    assert "p.yaml:6:5: paths.d.repeat: Input should be less than or equal to 10 (got 11)" == str(
        error_of(text)
    )


def test_an_action_without_a_kind_is_an_error() -> None:
    text = HEADER + "rules:\n  - id: r\n    when: {category: x}\n    then: {}\n"
    error = error_of(text)
    assert (("rules", 0, "then"), True) == (
        error.path,
        error.message.startswith("Value error, an action needs one of: escalate, transfer, notify"),
    )


def test_a_typo_inside_an_action_names_the_misspelt_key() -> None:
    text = HEADER + (
        "rules:\n  - id: r\n    when: {category: x}\n"
        "    then: {notify: {to: [assignee], chanel: sms}}\n"
    )
    error = error_of(text)
    assert (("rules", 0, "then", "notify", "chanel"), "channel") == (
        error.path,
        error.suggestion,
    )


def test_an_unknown_action_kind_names_the_misspelt_key() -> None:
    text = HEADER + "rules:\n  - id: r\n    when: {category: x}\n    then: {notfy: {to: [a]}}\n"
    error = error_of(text)
    assert (("rules", 0, "then", "notfy"), "notify") == (error.path, error.suggestion)


def test_a_typo_inside_a_clock_trigger_names_the_misspelt_key() -> None:
    text = HEADER + (
        "clocks:\n  res:\n    start: {evnt: created}\n    stop: {status: resolved}\n"
        "    targets: {P1: {within: 1h}}\n"
    )
    error = error_of(text)
    assert (("clocks", "res", "start", "evnt"), "event") == (error.path, error.suggestion)


def test_a_bad_notify_channel_is_located_at_the_channel_key() -> None:
    text = HEADER + (
        "rules:\n  - id: r\n    when: {category: x}\n"
        "    then: {notify: {to: [assignee], channel: pager}}\n"
    )
    assert ("rules", 0, "then", "notify", "channel") == error_of(text).path


def test_a_typo_inside_a_ladder_rung_names_the_misspelt_key() -> None:
    text = CLOCK + "    ladder:\n      - {at: 50%, notfy: {to: [assignee]}}\n"
    assert (
        "p.yaml:8:19: clocks.res.ladder[0].notfy: unknown key 'notfy' (did you mean 'notify'?)"
        == (str(error_of(text)))
    )


# -- clocks ---------------------------------------------------------------------------------------


def test_an_unknown_start_event_is_an_error_with_a_suggestion() -> None:
    text = CLOCK.replace("    stop:", "    start: {event: opened}\n    stop:")
    error = error_of(text)
    assert (("clocks", "res", "start", "event"), ("p.yaml", 5, 13), "reopened") == (
        error.path,
        error.source,
        error.suggestion,
    )


def test_an_unknown_status_in_a_list_names_its_position() -> None:
    text = CLOCK.replace("{status: resolved}", "{status: [resolved, closd]}")
    error = error_of(text)
    assert (("clocks", "res", "stop", "status", 1), ("p.yaml", 5, 31), "closed") == (
        error.path,
        error.source,
        error.suggestion,
    )


def test_an_unknown_pause_status_is_an_error() -> None:
    text = CLOCK.replace("    stop:", "    pause: {status: [waiting]}\n    stop:")
    assert ("clocks", "res", "pause", "status", 0) == error_of(text).path


def test_an_unknown_new_cycle_event_is_an_error_with_a_suggestion() -> None:
    text = CLOCK.replace("    stop:", "    new_cycle_on: [reopen]\n    stop:")
    error = error_of(text)
    assert (("clocks", "res", "new_cycle_on", 0), "reopened") == (error.path, error.suggestion)


def test_an_unknown_calendar_is_an_error_with_a_suggestion() -> None:
    text = (
        CLOCK.replace("{within: 1h}", "{within: 1h, calendar: ofice}")
        + "calendars:\n  office: {timezone: UTC, hours: {mon-fri: ['08:00-17:00']}, "
        "years: [2024, 2025]}\n"
    )
    assert "p.yaml:6:32: clocks.res.targets.P1.calendar: unknown calendar 'ofice' " + (
        "(did you mean 'office'?)"
    ) == str(error_of(text))


def test_a_target_for_a_priority_outside_the_terminology_is_an_error() -> None:
    text = (
        HEADER
        + "terminology:\n  priority: {P1: [Sev1]}\n"
        + "clocks:\n  res:\n    stop: {status: resolved}\n    targets: {Sev1: {within: 1h}}\n"
    )
    assert (
        "p.yaml:8:15: clocks.res.targets.Sev1: 'Sev1' is not a canonical priority "
        "(known: P1, or 'default')"
    ) == str(error_of(text))


@pytest.mark.parametrize(
    ("within", "message"),
    [
        ("1.5h", "expected a duration like '30m', '4h', '1h30m', '2d', '3bd' or '1mo', got '1.5h'"),
        ("1bd4h", "business days cannot be mixed with other units in '1bd4h'"),
        ("0m", "duration must be positive, got '0m'"),
        ("90", "expected a duration like '30m', '4h', '1h30m', '2d', '3bd' or '1mo', got '90'"),
    ],
    ids=["a fraction", "business days mixed with hours", "zero", "a bare number"],
)
def test_a_malformed_target_duration_is_an_error(within: str, message: str) -> None:
    error = error_of(CLOCK.replace("{within: 1h}", f"{{within: '{within}'}}"))
    assert (message, ("clocks", "res", "targets", "P1", "within"), ("p.yaml", 6, 20)) == (
        error.message,
        error.path,
        error.source,
    )


def test_ladder_rungs_that_do_not_rise_are_an_error() -> None:
    text = CLOCK + (
        "    ladder:\n"
        "      - {at: 75%, notify: {to: [assignee]}}\n"
        "      - {at: 50%, notify: {to: [assignee]}}\n"
    )
    assert (
        "p.yaml:9:10: clocks.res.ladder[1].at: ladder rungs must rise: 50% is not above the rung "
        "before it"
    ) == str(error_of(text))


# -- paths ----------------------------------------------------------------------------------------


def level(extra: str) -> str:
    return HEADER + (
        "paths:\n  d:\n    kind: vertical\n    levels:\n"
        f"      - {{name: L1, targets: ['team:a']{extra}}}\n"
    )


def test_an_acknowledgement_timeout_in_business_days_is_an_error() -> None:
    assert (
        "p.yaml:7:41: paths.d.levels[0].ack_timeout: business days ('bd') are not allowed here, "
        "got '1bd'"
    ) == str(error_of(level(", ack_timeout: 1bd")))


def test_business_days_on_a_level_without_a_calendar_are_an_error() -> None:
    error = error_of(level(", after: 1bd"))
    assert (
        "business days need the level's 'calendar'",
        ("paths", "d", "levels", 0, "calendar"),
    ) == (
        error.message,
        error.path,
    )


def test_on_empty_fallback_without_a_fallback_list_is_an_error() -> None:
    assert (
        "on_empty: fallback needs a 'fallback' list"
        == error_of(level(", on_empty: fallback")).message
    )


def test_a_level_name_used_twice_is_an_error() -> None:
    text = level("") + "      - {name: L1, targets: ['team:b']}\n"
    assert "p.yaml:8:10: paths.d.levels[1].name: level 'L1' appears twice" == str(error_of(text))


def test_a_malformed_target_is_an_error_with_a_suggestion_for_its_kind() -> None:
    error = error_of(level("").replace("team:a", "teem:a"))
    assert (("paths", "d", "levels", 0, "targets", 0), "team") == (error.path, error.suggestion)


def test_a_target_without_a_kind_is_an_error() -> None:
    error = error_of(level("").replace("team:a", "service-desk"))
    assert (
        "target 'service-desk' must look like '<kind>:<name>' with kind one of person, team, "
        "role, schedule, manager"
    ) == error.message


# -- actions and rules ----------------------------------------------------------------------------


def with_rule(when: str, then: str) -> str:
    return DESK + f"rules:\n  - id: r\n    when: {when}\n    then: {then}\n"


def test_an_escalation_to_an_unknown_path_is_an_error_with_a_suggestion() -> None:
    error = error_of(with_rule("{category: x}", "{escalate: {path: dsk, to: L1}}"))
    assert (
        "p.yaml:12:23: rules[0].then.escalate.path: unknown path 'dsk' (did you mean 'desk'?)"
    ) == (str(error))


def test_an_escalation_to_an_unknown_level_lists_the_levels() -> None:
    error = error_of(with_rule("{category: x}", "{escalate: {path: desk, to: L3}}"))
    assert "p.yaml:12:35: rules[0].then.escalate.to: path 'desk' has no level 'L3' " + (
        "(levels: L1, L2)"
    ) == str(error)


def test_a_transfer_to_a_vertical_path_is_an_error() -> None:
    error = error_of(with_rule("{category: x}", "{transfer: {path: desk}}"))
    assert "transfer goes to a horizontal path; 'desk' is vertical (use escalate)" == error.message


def test_a_rule_that_reads_a_path_level_cannot_escalate() -> None:
    error = error_of(with_rule("{path.desk.level: L1}", "{escalate: {path: desk, to: L2}}"))
    assert (
        "p.yaml:12:5: rules[0].then: a rule that reads path levels cannot escalate or transfer "
        "(the path level would depend on itself)"
    ) == str(error)


def test_a_rule_id_used_twice_is_an_error() -> None:
    text = RULE + "  - id: r\n    when: {category: y}\n    then: {notify: {to: [assignee]}}\n"
    assert "p.yaml:7:5: rules[1].id: rule id 'r' is also used by rules[0]" == str(error_of(text))


def test_a_notify_target_that_is_neither_special_nor_kind_name_is_an_error() -> None:
    error = error_of(RULE.replace("to: [assignee]", "to: [asignee]"))
    assert ("rules", 0, "then", "notify", "to", 0) == error.path


def test_a_postmortem_deadline_in_business_days_is_an_error() -> None:
    error = error_of(
        RULE.replace("{notify: {to: [assignee]}}", "{require_postmortem: {within: 2bd}}")
    )
    assert ("rules", 0, "then", "require_postmortem", "within") == error.path


# -- terminology and calendars --------------------------------------------------------------------


def test_terminology_for_an_unknown_field_is_an_error_with_a_suggestion() -> None:
    assert (
        "p.yaml:4:3: terminology.prio: terminology for unknown field 'prio' (did you mean "
        "'priority'?)"
    ) == str(error_of(HEADER + "terminology:\n  prio: {P1: [Sev1]}\n"))


def test_an_alias_of_two_canonical_values_is_an_error() -> None:
    text = HEADER + "terminology:\n  priority: {P1: [Sev1, '1'], P2: ['1']}\n"
    assert "alias '1' maps to both 'P1' and 'P2'" == error_of(text).message


def test_a_priority_matrix_naming_an_unknown_priority_is_an_error() -> None:
    text = HEADER + (
        "terminology:\n  priority: {P1: [Sev1]}\n  impact: {high: ['1']}\n"
        "  urgency: {high: ['1']}\n"
        "priority_matrix:\n  high: {high: P9}\n"
    )
    assert (
        "p.yaml:8:10: priority_matrix.high.high: 'P9' is not a canonical priority (known: P1)"
        == (str(error_of(text)))
    )


def test_the_name_24x7_is_reserved_for_the_built_in_calendar() -> None:
    text = HEADER + "calendars:\n  24x7: {timezone: UTC, hours: 24x7}\n"
    assert "p.yaml:4:3: calendars.24x7: '24x7' is built in; pick another name" == str(
        error_of(text)
    )


def test_an_unknown_time_zone_is_an_error_at_the_calendar_key() -> None:
    text = HEADER + (
        "calendars:\n  office: {timezone: Europe/Berln, hours: {mon-fri: ['08:00-17:00']}, "
        "years: [2024, 2025]}\n"
    )
    error = error_of(text)
    assert (("calendars", "office", "timezone"), ("p.yaml", 4, 12)) == (error.path, error.source)


def test_a_closure_written_as_an_unquoted_yaml_date_loads() -> None:
    text = HEADER + (
        "calendars:\n  office:\n    timezone: UTC\n    hours: {mon-fri: ['08:00-17:00']}\n"
        "    years: [2024, 2025]\n    closures: {2024-12-24: ['00:00-24:00']}\n"
    )
    assert "p" == loads(text, filename="p.yaml").id


def test_a_closure_written_as_a_quoted_date_loads() -> None:
    text = HEADER + (
        "calendars:\n  office:\n    timezone: UTC\n    hours: {mon-fri: ['08:00-17:00']}\n"
        "    years: [2024, 2025]\n    closures: {'2024-12-24': ['00:00-24:00']}\n"
    )
    assert "p" == loads(text, filename="p.yaml").id


# -- content hash ---------------------------------------------------------------------------------


def test_the_content_hash_does_not_depend_on_key_order() -> None:
    reordered = "version: 1\npolicy: p\nclocks:\n  res:\n    targets: {P1: {within: 1h}}\n" + (
        "    stop: {status: resolved}\n"
    )
    assert loads(CLOCK).content_hash == loads(reordered).content_hash


def test_the_content_hash_changes_with_a_value() -> None:
    assert loads(CLOCK).content_hash != loads(CLOCK.replace("1h", "2h")).content_hash


# -- files and folders ----------------------------------------------------------------------------


def test_load_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(HEADER + "rulez: []\n")
    with pytest.raises(PolicyError) as caught:
        load(file)
    assert (str(file), 3, 1) == caught.value.source


def test_load_accepts_a_path_without_the_yaml_extension(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(CLOCK)
    assert str(tmp_path / "p.yaml") == load(tmp_path / "p").source


def test_load_of_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load(tmp_path / "nope.yaml")
    assert f"cannot read policy '{tmp_path / 'nope.yaml'}': No such file or directory" == str(
        caught.value
    )


def test_load_merges_the_yaml_files_of_a_folder_and_skips_case_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CLOCK)
    (tmp_path / "b.yaml").write_text(RULE)
    (tmp_path / "p.cases.yaml").write_text("not: [a policy")
    policy = load(tmp_path)
    assert (("res",), ("r",)) == (
        tuple(c.name for c in policy.clocks),
        tuple(r.id for r in policy.rules),
    )


def test_a_name_defined_in_two_files_of_a_folder_is_an_error_naming_both(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CLOCK)
    (tmp_path / "b.yaml").write_text(
        "clocks:\n  res:\n    stop: {status: resolved}\n    targets: {P1: {within: 1h}}\n"
    )
    with pytest.raises(PolicyError) as caught:
        load(tmp_path)
    assert (
        f"{tmp_path / 'b.yaml'}:2:3: clocks.res: clocks.res is defined twice "
        f"(first at {tmp_path / 'a.yaml'}:4:3)"
    ) == str(caught.value)


def test_the_statuses_of_a_policy_may_be_declared_across_the_files_of_a_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text(
        CLOCK + "statuses:\n  new: {category: new}\n  doing: {category: in-progress}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "statuses:\n  resolved: {category: resolved, aliases: [Fixed]}\n"
        "  closed: {category: closed}\n"
    )
    statuses = load(tmp_path).statuses
    assert [("doing", "in-progress"), ("resolved", "resolved")] == [
        statuses.resolve("doing", ("status",)),
        statuses.resolve("fixed", ("status",)),
    ]


def test_a_scalar_that_differs_between_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CLOCK)
    (tmp_path / "b.yaml").write_text("policy: q\n")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path)
    assert "policy differs between files ('p' vs 'q')" == caught.value.message


def test_an_error_in_a_folder_names_the_file_it_stands_in(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(RULE)
    (tmp_path / "b.yaml").write_text(
        "rules:\n  - id: s\n    when: {categry: x}\n    then: {notify: {to: [assignee]}}\n"
    )
    with pytest.raises(PolicyError) as caught:
        load(tmp_path)
    assert ((str(tmp_path / "b.yaml"), 3, 12), ("rules", 1, "when", "categry")) == (
        caught.value.source,
        caught.value.path,
    )


def test_a_folder_without_policy_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load(tmp_path)
    assert f"folder '{tmp_path}' holds no .yaml policy files" == str(caught.value)


def test_the_shipped_pack_loads() -> None:
    policy = load(Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml")
    assert ("itil-default", ("response", "resolution")) == (
        policy.id,
        tuple(c.name for c in policy.clocks),
    )
