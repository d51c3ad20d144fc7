"""Segments and ``extends``: overrides, additions and removals by id, the errors that keep them
precise (unknown ids, dangling names, conditions on a ticket's state), the content hash, the
loader's ``extends`` (files, folders, cycles) and the lint findings about segments."""

from __future__ import annotations

import json
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from escalate.cli import main
from escalate.engine.compiled import Policy
from escalate.errors import PolicyError
from escalate.policy import compiler
from escalate.policy.compiler import MAX_SEGMENTS
from escalate.policy.lint import Finding, lint
from escalate.policy.loader import MAX_EXTENDS, load, loads

BASE = """\
policy: acme
version: 1
terminology:
  priority:
    P1: ["1 - Critical"]
    P2: ["2 - High"]
calendars:
  office: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2025]}
clocks:
  resolution:
    stop: {status: resolved}
    targets: {P1: {within: 4h}, P2: {within: 8h, calendar: office}}
  update:
    stop: {status: resolved}
    targets: {default: {within: 1h}}
paths:
  major:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"]}
      - {name: L2, targets: ["team:ops"], after: 1h}
rules:
  - id: p1-bridge
    when: {priority: P1}
    then: {escalate: {path: major, to: L2}}
    rationale: a P1 needs the operations team at once
  - id: vip
    when: {customer.vip: true}
    then: {notify: {to: [assignee]}}
    rationale: VIPs are told first
"""


def with_segments(segments: str, base: str = BASE) -> str:
    return base + "segments:\n" + textwrap.indent(textwrap.dedent(segments), "  ")


def compiled(segments: str, base: str = BASE) -> Policy:
    return loads(with_segments(segments, base), filename="p.yaml")


def error_of(segments: str, base: str = BASE) -> str:
    with pytest.raises(PolicyError) as caught:
        compiled(segments, base)
    return str(caught.value)


def segment(policy: Policy, name: str) -> Policy:
    found = {s.id: s.policy for s in policy.segments}[name]
    assert isinstance(found, Policy)
    return found


# -- what a segment compiles to ------------------------------------------------------------------


def test_a_segment_compiles_into_a_whole_policy_named_after_it() -> None:
    policy = compiled("- {id: emea, when: {region: emea}, precedence: 10}\n")
    emea = segment(policy, "emea")
    assert (None, "emea") == (policy.segment, emea.segment)
    assert [c.name for c in policy.clocks] == [c.name for c in emea.clocks]
    assert () == emea.segments


def test_an_override_replaces_the_base_entry_of_that_id_whole() -> None:
    policy = compiled(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          clocks:
            resolution:
              stop: {status: resolved}
              targets: {P1: {within: 2h}}
        """
    )
    base, emea = policy.clocks[0], segment(policy, "emea").clocks[0]
    assert (["P1", "P2"], ["P1"]) == (sorted(base.targets), sorted(emea.targets))
    assert "2h" == emea.targets["P1"].duration.text


def test_a_rule_override_keeps_the_rules_place_in_the_file() -> None:
    policy = compiled(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          rules:
            - id: p1-bridge
              when: {priority: [P1, P2]}
              then: {escalate: {path: major, to: L2}}
        """
    )
    emea = segment(policy, "emea")
    assert ["p1-bridge", "vip"] == [r.id for r in emea.rules]
    assert (0, ("priority",)) == (emea.rules[0].order, emea.rules[0].fields)


def test_add_brings_entries_the_base_lacks_and_remove_drops_entries_by_id() -> None:
    policy = compiled(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          add:
            calendars:
              london:
                timezone: Europe/London
                hours: {mon-fri: ["09:00-17:00"]}
                years: [2024, 2025]
            rules:
              - id: after-hours
                when: {customer.tier: gold}
                then: {notify: {to: ["team:ops"]}}
          remove: {rules: [vip], clocks: [update]}
        """
    )
    emea = segment(policy, "emea")
    assert ["p1-bridge", "after-hours"] == [r.id for r in emea.rules]
    assert ["resolution"] == [c.name for c in emea.clocks]
    assert {"24x7", "office", "london"} == set(emea.calendars)
    assert ["p1-bridge", "vip"] == [r.id for r in policy.rules]  # the base is unchanged


def test_terminology_in_a_segment_adds_aliases_to_the_bases_terms() -> None:
    policy = compiled(
        """
        - id: globex
          when: {business_unit: globex}
          precedence: 10
          terminology:
            priority: {P1: [Sev A], P2: [Sev B]}
        """
    )
    globex = segment(policy, "globex")
    assert ("P1", "P1", "P2") == (
        globex.canonical("priority", "Sev A"),
        globex.canonical("priority", "1 - Critical"),
        globex.canonical("priority", "sev b"),
    )
    with pytest.raises(Exception, match="not known to policy 'acme'"):
        policy.canonical("priority", "Sev A")


def test_terminology_add_brings_new_terms_and_fields() -> None:
    policy = compiled(
        """
        - id: globex
          when: {business_unit: globex}
          precedence: 10
          add:
            terminology:
              priority: {P3: [Sev C]}
              category: {network: [Netzwerk]}
        """
    )
    globex = segment(policy, "globex")
    assert ("P3", "network") == (
        globex.canonical("priority", "Sev C"),
        globex.canonical("category", "Netzwerk"),
    )


def test_directory_entries_are_overridden_by_id() -> None:
    base = BASE + textwrap.dedent(
        """\
        directory:
          people:
            ann: {channels: {email: ann@example.com}}
          teams:
            desk: {members: [ann]}
            ops: {members: [ann]}
        """
    )
    policy = compiled(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          directory:
            teams:
              ops: {members: [bob]}
          add:
            directory:
              people:
                bob: {channels: {email: bob@example.com}}
        """,
        base,
    )
    assert ("ann",) == tuple(policy.directory.teams["ops"].members)
    assert ("bob",) == tuple(segment(policy, "emea").directory.teams["ops"].members)


def test_segments_are_kept_in_precedence_order_lower_first() -> None:
    policy = compiled(
        """
        - {id: later, when: {region: emea}, precedence: 20}
        - {id: first, when: {region: apac}, precedence: 5}
        """
    )
    assert [("first", 5), ("later", 20)] == [(s.id, s.precedence) for s in policy.segments]


def test_every_segment_policy_carries_the_hash_of_the_whole_policy() -> None:
    policy = compiled("- {id: emea, when: {region: emea}, precedence: 10}\n")
    assert policy.content_hash == segment(policy, "emea").content_hash


def test_the_content_hash_covers_the_segments() -> None:
    one = compiled("- {id: emea, when: {region: emea}, precedence: 10}\n")
    other = compiled("- {id: emea, when: {region: emea}, precedence: 11}\n")
    plain = loads(BASE, filename="p.yaml")
    assert len({one.content_hash, other.content_hash, plain.content_hash}) == 3


def test_a_policy_without_segments_has_none() -> None:
    policy = loads(BASE, filename="p.yaml")
    assert ((), None) == (policy.segments, policy.segment)


# -- precise overrides: errors -------------------------------------------------------------------


def test_overriding_an_unknown_id_is_an_error_with_a_suggestion_not_an_add() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          clocks:
            resolutoin: {stop: {status: resolved}, targets: {P1: {within: 2h}}}
        """
    )
    assert text == (
        "p.yaml:37:7: segments[0].clocks.resolutoin: segment 'emea' overrides "
        "clocks.resolutoin, which the base does not define; to add it, write it under 'add:' "
        "(did you mean 'resolution'?)"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("empty_values", '["NULL"]'),
        ("policy", "acme-uk"),
        ("version", "2"),
        ("pin", "at-open"),
        ("extends", "base.yaml"),
        ("segments", "[]"),
    ],
)
def test_a_top_level_key_in_a_segment_says_a_segment_cannot_set_it(key: str, value: str) -> None:
    text = error_of(
        f"""
        - id: emea
          when: {{region: emea}}
          precedence: 10
          {key}: {value}
        """
    )
    assert text == (
        f"p.yaml:36:5: segments[0].{key}: {key!r} is a top-level key of the policy: a segment "
        "cannot set it"
    )


def test_an_unknown_key_is_never_suggested_as_itself() -> None:
    with pytest.raises(PolicyError) as caught:
        loads(BASE + "precedence: 1\n", filename="p.yaml")
    assert "unknown key 'precedence'" == caught.value.message
    assert "precedence" != caught.value.suggestion  # 'cadence' (audiences) is a fair guess


def test_overriding_an_unknown_rule_id_is_an_error_with_a_suggestion() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          rules:
            - {id: p1-bridg, when: {priority: P2}, then: {notify: {to: [assignee]}}}
        """
    )
    assert "segments[0].rules[0].id: segment 'emea' overrides rules id 'p1-bridg'" in text
    assert text.endswith("(did you mean 'p1-bridge'?)")


def test_adding_an_id_the_base_has_is_an_error() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          add:
            paths: {major: {kind: horizontal, levels: [{name: v, targets: ["team:v"]}]}}
        """
    )
    assert "segments[0].add.paths.major: segment 'emea' adds paths.major, which the base" in text


def test_removing_an_unknown_id_is_an_error_with_a_suggestion() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          remove: {clocks: [updates]}
        """
    )
    assert text == (
        "p.yaml:36:23: segments[0].remove.clocks[0]: segment 'emea' removes clocks.updates, "
        "which the base does not define (did you mean 'update'?)"
    )


def test_overriding_and_removing_the_same_id_is_an_error() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          rules:
            - {id: vip, when: {customer.vip: true}, then: {notify: {to: ["team:ops"]}}}
          remove: {rules: [vip]}
        """
    )
    assert "segment 'emea' both overrides and removes rules id 'vip'" in text


def test_removing_a_path_a_base_rule_escalates_to_names_the_segment_and_the_rule() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          remove: {paths: [major]}
        """
    )
    assert text == (
        "p.yaml:25:23: rules[0].then.escalate.path: in segment 'emea': unknown path 'major'; "
        "segment 'emea' removes paths.major (at p.yaml:36:22)"
    )


def test_removing_a_calendar_a_base_clock_counts_on_names_the_segment() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          remove: {calendars: [office]}
        """
    )
    assert text.startswith("p.yaml:12:50: clocks.resolution.targets.P2.calendar: in segment")
    assert "unknown calendar 'office'; segment 'emea' removes calendars.office" in text


def test_removing_a_clock_a_segment_rule_reads_is_an_error_at_the_segment_rule() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          remove: {clocks: [update]}
          add:
            rules:
              - id: stale
                when: {clock.update.breached: true}
                then: {notify: {to: [assignee]}}
        """
    )
    assert "segments[0].add.rules[0].when.clock.update.breached: in segment 'emea'" in text
    assert "unknown field 'clock.update.breached'" in text


def test_a_broken_override_is_an_error_inside_the_segment() -> None:
    text = error_of(
        """
        - id: emea
          when: {region: emea}
          precedence: 10
          rules:
            - {id: vip, when: {customer.vip: true}, then: {escalate: {path: majr, to: L2}}}
        """
    )
    assert "segments[0].rules[0].then.escalate.path: in segment 'emea': unknown path 'majr'" in (
        text
    )


def test_a_segment_cannot_be_chosen_by_the_tickets_priority() -> None:
    text = error_of("- {id: urgent, when: {priority: P1}, precedence: 1}\n")
    assert "segments[0].when.priority: a segment is chosen by what a ticket is" in text


def test_a_segment_condition_is_type_checked_against_the_base() -> None:
    text = error_of("- {id: vip, when: {customer.vip: yes please}, precedence: 1}\n")
    assert "segments[0].when.customer.vip: customer.vip is a boolean" in text


def test_two_segments_with_one_precedence_are_an_error() -> None:
    text = error_of(
        """
        - {id: emea, when: {region: emea}, precedence: 10}
        - {id: apac, when: {region: apac}, precedence: 10}
        """
    )
    assert "segments[1].precedence: precedence 10 is also that of segment 'emea'" in text


def test_a_segment_needs_a_precedence() -> None:
    text = error_of("- {id: emea, when: {region: emea}}\n")
    assert "segments[0]" in text and "precedence" in text


def test_two_segments_with_one_id_are_an_error() -> None:
    text = error_of(
        """
        - {id: emea, when: {region: emea}, precedence: 10}
        - {id: emea, when: {region: apac}, precedence: 20}
        """
    )
    assert "segments[1].id: segment id 'emea' is also used by segments[0]" in text


def test_a_segment_id_is_kebab_case() -> None:
    text = error_of("- {id: EMEA, when: {region: emea}, precedence: 10}\n")
    assert "segments[0].id" in text


def test_there_is_a_limit_on_the_number_of_segments() -> None:
    many = "".join(
        f"- {{id: s{i}, when: {{region: r{i}}}, precedence: {i}}}\n"
        for i in range(MAX_SEGMENTS + 1)
    )
    assert f"the limit is {MAX_SEGMENTS}" in error_of(many)


def test_the_segments_policies_together_have_a_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    one = len(json.dumps(yaml.safe_load(BASE), sort_keys=True, separators=(",", ":")))
    monkeypatch.setattr(compiler, "MAX_SEGMENT_CHARS", 2 * one + 10)
    text = error_of(
        """
        - {id: emea, when: {region: emea}, precedence: 10}
        - {id: apac, when: {region: apac}, precedence: 20}
        - {id: amer, when: {region: amer}, precedence: 30}
        """
    )
    assert "segments[2].id: the segments' policies hold more than" in text


def test_segments_share_the_calendars_they_do_not_change() -> None:
    policy = compiled(
        """
        - {id: emea, when: {region: emea}, precedence: 10}
        - id: apac
          when: {region: apac}
          precedence: 20
          calendars:
            office: {timezone: Asia/Tokyo, hours: {mon-fri: ["09:00-17:00"]}, years: [2024, 2025]}
        """
    )
    office = policy.calendars["office"]
    assert (True, False) == (
        segment(policy, "emea").calendars["office"] is office,
        segment(policy, "apac").calendars["office"] is office,
    )


def test_add_and_remove_at_the_top_level_need_extends() -> None:
    with pytest.raises(PolicyError, match=r"^p.yaml:3:1: remove: 'remove:' changes a base"):
        loads("policy: p\nversion: 1\nremove: {rules: [x]}\n", filename="p.yaml")


# -- extends ---------------------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_policy_extends_a_base_file_next_to_it(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "emea.yaml",
        """\
        extends: base.yaml
        policy: acme-emea
        version: 2
        clocks:
          update:
            stop: {status: resolved}
            targets: {default: {within: 2h}}
        remove: {rules: [vip]}
        """,
    )
    policy = load(child)
    assert ("acme-emea", "2", str(child)) == (policy.id, policy.version, policy.source)
    assert ["p1-bridge"] == [r.id for r in policy.rules]
    assert "2h" == {c.name: c for c in policy.clocks}["update"].targets["default"].duration.text


def test_the_hash_of_an_extending_policy_covers_its_base(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\npolicy: c\nversion: 1\n")
    first = load(child).content_hash
    write(tmp_path, "base.yaml", BASE.replace("within: 4h", "within: 5h"))
    assert first != load(child).content_hash


def test_an_extending_policy_may_add_segments_and_override_the_bases(tmp_path: Path) -> None:
    write(
        tmp_path, "base.yaml", with_segments("- {id: emea, when: {region: emea}, precedence: 10}\n")
    )
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: base.yaml
        policy: c
        version: 1
        segments:
          - {id: emea, when: {region: [emea, uk]}, precedence: 10}
        add:
          segments:
            - {id: apac, when: {region: apac}, precedence: 20}
        """,
    )
    policy = load(child)
    assert ["emea", "apac"] == [s.id for s in policy.segments]
    assert ("region",) == policy.segments[0].fields


def test_an_error_in_the_base_caused_by_the_extension_says_so(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(
        tmp_path, "child.yaml", "extends: base\npolicy: c\nversion: 1\nremove: {paths: [major]}\n"
    )
    with pytest.raises(PolicyError) as caught:
        load(tmp_path / "child.yaml")
    assert str(caught.value) == (
        f"{tmp_path}/base.yaml:25:23: rules[0].then.escalate.path: as extended by "
        f"'child.yaml': unknown path 'major'; 'child.yaml' removes paths.major "
        f"(at {tmp_path}/child.yaml:4:18)"
    )


def test_an_unknown_override_in_an_extending_policy_is_located_there(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\npolicy: c\nversion: 1\n"
        "rules:\n  - {id: vipp, when: {customer.vip: true}, then: {notify: {to: [assignee]}}}\n",
    )
    with pytest.raises(PolicyError) as caught:
        load(tmp_path / "child.yaml")
    assert str(caught.value).startswith(f"{tmp_path}/child.yaml:5:6: rules[0].id: 'child.yaml'")
    assert str(caught.value).endswith("(did you mean 'vip'?)")


def test_a_base_that_extends_itself_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\npolicy: a\nversion: 1\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\npolicy: b\nversion: 1\n")
    with pytest.raises(PolicyError, match=r"extends makes a cycle \('a.yaml' -> 'b.yaml' -> "):
        load(tmp_path / "a.yaml")


def test_extends_chains_are_limited(tmp_path: Path) -> None:
    write(tmp_path, "p0.yaml", "policy: p\nversion: 1\n")
    for i in range(1, MAX_EXTENDS + 2):
        write(tmp_path, f"p{i}.yaml", f"extends: p{i - 1}.yaml\npolicy: p\nversion: 1\n")
    load(tmp_path / f"p{MAX_EXTENDS}.yaml")
    with pytest.raises(PolicyError, match=f"more than {MAX_EXTENDS} deep"):
        load(tmp_path / f"p{MAX_EXTENDS + 1}.yaml")


def test_a_missing_base_is_an_error_at_extends(tmp_path: Path) -> None:
    write(tmp_path, "child.yaml", "policy: c\nversion: 1\nextends: nowhere.yaml\n")
    with pytest.raises(PolicyError, match=r"child.yaml:3:1: extends: extends 'nowhere.yaml': "):
        load(tmp_path / "child.yaml")


@pytest.mark.parametrize(
    ("extends", "meant"),
    [("bse.yaml", "base.yaml"), ("bse", "base"), ("shared/comon.yaml", "shared/common.yaml")],
)
def test_a_misspelt_base_suggests_the_policy_file_beside_it(
    tmp_path: Path, extends: str, meant: str
) -> None:
    write(tmp_path, "base.yaml", BASE)
    (tmp_path / "shared").mkdir()
    write(tmp_path / "shared", "common.yaml", BASE)
    write(tmp_path, "child.yaml", f"extends: {extends}\npolicy: c\nversion: 1\n")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path / "child.yaml")
    assert meant == caught.value.suggestion
    assert str(caught.value).endswith(f"No such file or directory (did you mean {meant!r}?)")


def test_a_missing_base_with_nothing_close_has_no_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(tmp_path, "child.yaml", "extends: nowhere.yaml\npolicy: c\nversion: 1\n")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path / "child.yaml")
    assert caught.value.suggestion is None


def test_the_size_limit_covers_the_base_too(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\npolicy: c\nversion: 1\n")
    with pytest.raises(PolicyError, match="the limit is"):
        load(child, max_bytes=len(BASE) + 10)


def test_loads_cannot_resolve_extends_and_says_why() -> None:
    with pytest.raises(PolicyError) as caught:
        loads("extends: base.yaml\npolicy: c\nversion: 1\n", filename="c.yaml")
    assert str(caught.value).startswith("c.yaml:1:1: extends: extends names a base file")
    assert "only escalate.load(path) reads it" in str(caught.value)


def test_a_folder_policy_concatenates_segments_like_rules(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", with_segments("- {id: emea, when: {region: emea}, precedence: 10}\n"))
    write(tmp_path, "b.yaml", "segments:\n  - {id: apac, when: {region: apac}, precedence: 20}\n")
    assert ["emea", "apac"] == [s.id for s in load(tmp_path).segments]


# -- lint ------------------------------------------------------------------------------------------


def segment_findings(segments: str) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in lint(compiled(segments)) if "segment" in f.code]


def test_a_segment_with_the_same_condition_as_an_earlier_one_is_shadowed() -> None:
    assert [("segments.again.when", "segment-shadowed")] == segment_findings(
        """
        - {id: emea, when: {region: emea}, precedence: 10}
        - {id: again, when: {region: emea}, precedence: 20}
        """
    )


def test_a_narrower_segment_after_a_wider_one_is_shadowed() -> None:
    found = lint(
        compiled(
            """
            - {id: emea, when: {region: [emea, uk]}, precedence: 10}
            - {id: uk-vip, when: {region: uk, customer.vip: true}, precedence: 20}
            """
        )
    )
    assert (
        Finding(
            "segment-shadowed",
            "warning",
            ("segments", "uk-vip", "when"),
            "every ticket it selects is taken first by segment 'emea' (precedence 10), so it "
            "never decides",
            ("p.yaml", 34, 18),
        )
        in found
    )


def test_a_narrower_segment_before_a_wider_one_is_fine() -> None:
    assert [] == segment_findings(
        """
        - {id: uk-vip, when: {region: uk, customer.vip: true}, precedence: 10}
        - {id: emea, when: {region: [emea, uk]}, precedence: 20}
        """
    )


def test_a_segment_whose_values_earlier_segments_take_between_them_is_shadowed() -> None:
    assert [("segments.both.when", "segment-shadowed")] == segment_findings(
        """
        - {id: emea, when: {region: emea}, precedence: 10}
        - {id: apac, when: {region: apac}, precedence: 20}
        - {id: both, when: {region: [apac, emea]}, precedence: 30}
        """
    )


def test_a_segment_whose_condition_contradicts_itself_is_unreachable() -> None:
    assert [("segments.never.when", "segment-unreachable")] == segment_findings(
        """
        - id: never
          when: {all: [{region: emea}, {region: {ne: emea}}]}
          precedence: 10
        """
    )


def test_lint_does_not_guess_about_patterns() -> None:
    assert [] == segment_findings(
        """
        - {id: emea, when: {region: {matches: "^e"}}, precedence: 10}
        - {id: other, when: {region: emea}, precedence: 20}
        """
    )


def test_lint_reports_what_a_segment_changed_under_its_name() -> None:
    found = lint(
        compiled(
            """
            - id: emea
              when: {region: emea}
              precedence: 10
              rules:
                - {id: vip, when: {customer.vip: true}, then: {notify: {to: [assignee]}}}
            """
        )
    )
    assert [("segments.emea.rules.vip", "no-rationale")] == [
        (f.path, f.code) for f in found if f.path.startswith("segments.")
    ]


# -- the command line ------------------------------------------------------------------------------


def test_validate_lists_the_segments_in_the_order_they_are_tried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        with_segments(
            """
            - {id: emea, when: {region: emea}, precedence: 20}
            - {id: uk, when: {region: uk}, precedence: 10}
            """
        ),
    )
    code = main(["validate", str(path), "--as-of", "2024-11-20T00:00:00Z"])
    lines = capsys.readouterr().out.splitlines()
    assert (0, "  segments, tried in this order: uk (10), emea (20)") == (code, lines[1])


def test_explain_names_the_segment_that_decided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "p.yaml", with_segments("- {id: emea, when: {region: emea}, precedence: 1}\n")
    )
    ticket = tmp_path / "t.json"
    ticket.write_text(
        json.dumps({"id": "T1", "opened_at": "2024-11-20T10:00:00Z", "region": "emea"}),
        encoding="utf-8",
    )
    code = main(
        ["explain", "--policy", str(path), "--ticket", str(ticket), "--at", "2024-11-20T11:00:00Z"]
    )
    first = capsys.readouterr().out.splitlines()[0]
    assert (
        0,
        "ticket T1 at 2024-11-20T11:00:00+00:00 (policy acme v1, segment emea, priority -)",
    ) == (
        code,
        first,
    )


def test_directory_settings_are_replaced_or_added_like_entries() -> None:
    base = BASE + "directory:\n  contact_max_age: 30d\n"
    replaced = compiled(
        "- {id: emea, when: {region: emea}, precedence: 1, directory: {contact_max_age: 90d}}\n",
        base,
    )
    assert (timedelta(days=30), timedelta(days=90)) == (
        replaced.directory.contact_max_age,
        segment(replaced, "emea").directory.contact_max_age,
    )
    text = error_of(
        "- {id: emea, when: {region: emea}, precedence: 1,"
        " add: {directory: {contact_max_age: 90d}}}\n",
        base,
    )
    assert "segment 'emea' adds directory.contact_max_age, which the base already sets" in text


def test_an_error_in_a_segment_of_an_extended_policy_names_the_base_files_keys(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        "base.yaml",
        with_segments(
            "- {id: emea, when: {region: emea}, precedence: 10, remove: {paths: [x]}}\n"
        ).replace(
            "  major:",
            "  x:\n    kind: horizontal\n    levels: [{name: v, targets: ['team:v']}]\n  major:",
        ),
    )
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\npolicy: c\nversion: 1\n"
        "add:\n  rules:\n    - {id: to-x, when: {region: apac}, then: {transfer: {path: x}}}\n",
    )
    with pytest.raises(PolicyError) as caught:
        load(child)
    assert str(caught.value).startswith(
        f"{tmp_path}/child.yaml:6:58: add.rules[0].then.transfer.path: in segment 'emea': "
        "unknown path 'x'; segment 'emea' removes paths.x"
    )


STATUSES = """\
statuses:
  new: {category: new}
  in-progress: {category: in-progress}
  awaiting-user-info: {category: on-hold, aliases: [Awaiting User Info]}
  resolved: {category: resolved}
"""


def test_a_segment_replaces_a_declared_status_with_its_own_aliases() -> None:
    policy = compiled(
        """
        - id: globex
          when: {business_unit: globex}
          precedence: 10
          statuses:
            awaiting-user-info: {category: on-hold, aliases: [Pending Customer]}
        """,
        BASE + STATUSES,
    )
    globex = segment(policy, "globex")
    assert (None, "awaiting-user-info") == (
        policy.statuses.declared("Pending Customer"),
        globex.statuses.declared("Pending Customer"),
    )


def test_a_segment_cannot_change_the_built_in_statuses() -> None:
    text = error_of(
        """
        - id: globex
          when: {business_unit: globex}
          precedence: 10
          add:
            statuses: {pending: {category: on-hold}}
        """
    )
    assert "segments[0].add: segment 'globex' changes statuses, but the base uses the built-in" in (
        text
    )
