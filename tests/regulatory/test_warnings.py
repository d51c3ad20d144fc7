"""A misspelt milestone in a ticket's history: the legal clock it was meant to start does not
start, so the decision says so (``warnings``), when the name is one or two edits from one the
policy reads. Other unknown names stay silent: a ticket evaluated under several packs records
every pack's milestones (docs/regulatory.md, "Recording milestones")."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from escalate.engine.clocks import NEAR_MISS_EDITS, _edits_at_most
from escalate.engine.compiled import Policy
from escalate.policy.loader import load
from tests.policy_helpers import event, policy, ticket, utc

PACKS = Path(__file__).resolve().parents[2] / "rules" / "regulatory"
NAMES = ("dora", "gdpr", "hipaa", "nis2", "sec")
_LOADED: dict[str, Policy] = {}


def pack(name: str) -> Policy:
    found = _LOADED.get(name)
    if found is None:
        found = _LOADED[name] = load(PACKS / f"{name}.yaml")
    return found


def phi(*names: str) -> dict[str, Any]:
    """A HIPAA incident with these milestones, all recorded on 10 January 2025 at 10:00 New
    York time, both counts small (only the individuals' clock applies)."""
    return {
        "id": "PHI-1",
        "opened_at": "2025-01-10T10:00:00-05:00",
        "fields": {"max_state_residents": 10, "individuals_affected": 20},
        "events": [
            {"at": "2025-01-10T10:00:00-05:00", "type": "milestone", "milestone": name}
            for name in names
        ],
    }


NOW = utc("2025-03-20T00:00:00+00:00")
TYPO = (
    "milestone 'hipaa-discoverd' (events[0]) is named by no clock or rule of this policy "
    "(did you mean 'hipaa-discovered'?)"
)


def test_the_trials_typo_is_a_warning_in_the_decision_and_in_explain() -> None:
    """The second new-user trial's ticket: ``hipaa-discoverd`` started no clock and nothing
    said so; the decision now names the event and the name meant."""
    decision = pack("hipaa").evaluate(phi("hipaa-discoverd"), now=NOW)
    out = decision.to_dict()
    assert decision.clock("hipaa-individuals").state == "not-started"
    assert out["warnings"] == [TYPO]
    assert decision.warnings == (TYPO,)
    assert f"warning: {TYPO}" in decision.explain().splitlines()


def test_a_correct_ticket_has_no_warnings_key() -> None:
    out = pack("hipaa").evaluate(phi("hipaa-discovered"), now=NOW).to_dict()
    assert "warnings" not in out
    assert out["clocks"][0]["state"] == "running"


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("hipaa-discoverd", "hipaa-discovered"),  # a letter dropped
        ("hipaa-discoverred", "hipaa-discovered"),  # a letter added
        ("hipaa-discovared", "hipaa-discovered"),  # a letter changed
        ("hipaa-disocvered", "hipaa-discovered"),  # two letters swapped: one edit
        ("hipaa_discovered", "hipaa-discovered"),  # '_' for '-'
        ("hipaa-discoverde", "hipaa-discovered"),  # swapped at the end
        ("hipaa-dscovred", "hipaa-discovered"),  # two letters dropped
        ("hipaa-hhs-notifed", "hipaa-hhs-notified"),  # a stop milestone
    ],
)
def test_one_or_two_edits_from_a_name_the_pack_reads_is_a_warning(written: str, meant: str) -> None:
    out = pack("hipaa").evaluate(phi(written), now=NOW).to_dict()
    assert out["warnings"] == [
        f"milestone {written!r} (events[0]) is named by no clock or rule of this policy "
        f"(did you mean {meant!r}?)"
    ]


@pytest.mark.parametrize(
    "written",
    [
        "hipaa-dscvred",  # three edits from hipaa-discovered
        "hipaa-found",
        "breach-aware",
        "gdpr-aware",  # another pack's
        "sec-materiality-determined",
    ],
)
def test_other_unknown_names_stay_silent(written: str) -> None:
    assert "warnings" not in pack("hipaa").evaluate(phi(written), now=NOW).to_dict()


def test_a_misspelt_name_is_reported_once_at_its_first_event() -> None:
    ticket_ = phi("hipaa-discovered", "hipaa-individuals-notifed", "hipaa-individuals-notifed")
    out = pack("hipaa").evaluate(ticket_, now=NOW).to_dict()
    assert out["warnings"] == [
        "milestone 'hipaa-individuals-notifed' (events[1]) is named by no clock or rule of "
        "this policy (did you mean 'hipaa-individuals-notified'?)"
    ]


def test_no_two_packs_milestones_are_near_misses_of_each_other() -> None:
    """A ticket evaluated under every pack records every pack's milestones: none may warn
    under another pack. Pinned on the names themselves, so a new pack milestone that would
    is caught here."""
    for (a, first), (b, second) in itertools.combinations(
        [(name, pack(name).milestone_names) for name in NAMES], 2
    ):
        close = [
            (x, y)
            for x in sorted(first - second)
            for y in sorted(second - first)
            if _edits_at_most(x, y, NEAR_MISS_EDITS)
        ]
        assert close == [], (a, b)


def test_one_incident_under_every_pack_warns_under_none() -> None:
    names = sorted(set().union(*(pack(name).milestone_names for name in NAMES)))
    assert len(names) == 17  # every start and stop milestone of the five packs
    events = [
        {"at": "2025-02-03T10:00:00+00:00", "type": "milestone", "milestone": name}
        for name in names
    ]
    incident = {
        "id": "ALL-1",
        "opened_at": "2025-02-03T10:00:00+00:00",
        "fields": {"max_state_residents": 10, "individuals_affected": 20},
        "events": events,
    }
    for name in NAMES:
        decision = pack(name).evaluate(incident, now=utc("2025-02-04T10:00:00+00:00"))
        assert "warnings" not in decision.to_dict(), name


# Where a policy reads a milestone: each row names it in one place only, and a ticket one
# edit off gets the warning.
CLOCK = """
clocks:
  c:
    type: regulatory
    start: {event: "milestone:began"}
    stop: {event: "milestone:filed"}
    targets: {default: {within: 4h}}
"""
READERS = [
    ("start trigger", CLOCK, "began"),
    ("stop trigger", CLOCK, "filed"),
    (
        "new_cycle_on",
        CLOCK.replace("    targets:", '    new_cycle_on: ["milestone:again"]\n    targets:'),
        "again",
    ),
    (
        "effective.judged_at",
        CLOCK.replace(
            "    targets:",
            '    effective: {from: "2020-01-01T00:00:00Z", judged_at: "milestone:judged"}\n'
            "    targets:",
        ),
        "judged",
    ),
    (
        "rule contains",
        "rules:\n  - id: r\n    when: {milestones: {contains: reported}}\n"
        "    then: {notify: {to: [assignee]}}\n",
        "reported",
    ),
    (
        "rule any_of",
        "rules:\n  - id: r\n    when: {milestones: {any_of: [x-first, x-second]}}\n"
        "    then: {notify: {to: [assignee]}}\n",
        "x-second",
    ),
    (
        "rule none_of",
        "rules:\n  - id: r\n    when: {milestones: {none_of: [x-sent]}}\n"
        "    then: {notify: {to: [assignee]}}\n",
        "x-sent",
    ),
    (
        "scoped clock",
        CLOCK.replace("    targets:", "    when: {milestones: {contains: scoped}}\n    targets:"),
        "scoped",
    ),
]


@pytest.mark.parametrize(("where", "body", "name"), READERS, ids=[r[0] for r in READERS])
def test_every_place_a_policy_reads_a_milestone_counts(where: str, body: str, name: str) -> None:
    compiled = policy(body)
    assert name in compiled.milestone_names, where
    typo = name[:-1] + "q"  # the last letter changed
    decision = compiled.evaluate(
        ticket(
            "2024-11-20T10:00:00+00:00",
            event("2024-11-20T10:05:00+00:00", "milestone", milestone=typo),
        ),
        now=utc("2024-11-20T11:00:00+00:00"),
    )
    assert decision.to_dict()["warnings"] == [
        f"milestone {typo!r} (events[0]) is named by no clock or rule of this policy "
        f"(did you mean {name!r}?)"
    ]


def test_a_vendor_reads_its_resolved_milestone() -> None:
    from tests.vendors.helpers import contract

    assert contract().milestone_names == frozenset({"acme-resolved"})


def test_a_policy_that_reads_no_milestone_warns_about_none() -> None:
    """An ITSM policy evaluates tickets that also carry regulatory milestones: no name to be
    near, no warning, and the decision is the one it always was."""
    compiled = policy(
        CLOCK.replace("milestone:began", "created").replace("milestone:filed", "resolved")
    )
    assert compiled.milestone_names == frozenset()
    decision = compiled.evaluate(
        ticket(
            "2024-11-20T10:00:00+00:00",
            event("2024-11-20T10:05:00+00:00", "milestone", milestone="createdd"),
        ),
        now=utc("2024-11-20T11:00:00+00:00"),
    )
    assert decision.warnings == ()
    assert "warnings" not in decision.to_dict()
    assert "warning:" not in decision.explain()
