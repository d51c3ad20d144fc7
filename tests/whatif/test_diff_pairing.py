"""``compare`` pairs actions whose id alone changed without losing any: several actions may
share kind, source, due instant and targets (two notices of one rule with different
templates), and each action only one decision has appears in the diff exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import Decision, Policy, loads
from escalate.whatif import Change, compare

TICKET = {
    "id": "T1",
    "opened_at": "2024-11-20T14:00:00Z",
    "status": "new",
    "priority": "P1",
    "events": [{"at": "2024-11-20T14:00:00Z", "type": "created"}],
}
AT = datetime.fromisoformat("2024-11-20T15:00:00Z")
BASE = "policy: d\nversion: 1\nrules:\n"
R0 = (
    "  - id: r0\n    when: {priority: P2}\n    then: {notify: {to: [assignee]}}\n    rationale: x\n"
)
TWO_NOTICES = (
    "  - id: r1\n    when: {priority: P1}\n    then:\n"
    "      - {notify: {to: [assignee], template: a}}\n"
    "      - {notify: {to: [assignee], template: b}}\n"
    "    rationale: x\n"
)


def decision(text: str) -> Decision:
    return loads(text, filename="p.yaml").evaluate(TICKET, now=AT)


def test_two_added_actions_with_the_same_identity_are_both_reported() -> None:
    changes = compare(decision(BASE + R0), decision(BASE + R0 + TWO_NOTICES)).changes
    assert ["T1:rule:r1:20241120T140000Z:notify0", "T1:rule:r1:20241120T140000Z:notify1"] == [
        c.name for c in changes if c.what == "action-added"
    ]


def test_two_removed_actions_with_the_same_identity_are_both_reported() -> None:
    changes = compare(decision(BASE + R0 + TWO_NOTICES), decision(BASE + R0)).changes
    assert ["T1:rule:r1:20241120T140000Z:notify0", "T1:rule:r1:20241120T140000Z:notify1"] == [
        c.name for c in changes if c.what == "action-removed"
    ]


def test_actions_that_share_an_identity_pair_in_order_when_their_ids_change() -> None:
    # Two actions inserted before the notices move their ids from notify0/1 to notify2/3.
    shifted = TWO_NOTICES.replace(
        "    then:\n",
        "    then:\n      - {require_postmortem: {within: 1d}}\n"
        "      - {require_postmortem: {within: 2d}}\n",
    )
    changes = compare(decision(BASE + TWO_NOTICES), decision(BASE + shifted)).changes
    prefix = "T1:rule:r1:20241120T140000Z:"
    assert [
        ("action-id", f"{prefix}notify0", f"{prefix}notify2"),
        ("action-id", f"{prefix}notify1", f"{prefix}notify3"),
    ] == [(c.what, c.before, c.after) for c in changes if c.what == "action-id"]
    assert [] == [c for c in changes if c.what == "action"]  # template a stays a, b stays b


# -- the property ---------------------------------------------------------------------------------

NOTICE = st.sampled_from(
    [
        "{notify: {to: [assignee], template: a}}",
        "{notify: {to: [assignee], template: b}}",
        "{notify: {to: [assignee]}}",
        "{notify: {to: [assignment-group]}}",
        "{require_postmortem: {within: 1d}}",
        "{require_postmortem: {within: 2d}}",
    ]
)
RULE = st.tuples(st.sampled_from(["r0", "r1", "r2"]), st.lists(NOTICE, min_size=1, max_size=4))


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """A policy of up to three rules that all fire for the ticket, each with a few actions
    that often share kind, source, due instant and targets."""
    rules = draw(st.lists(RULE, max_size=3, unique_by=lambda rule: rule[0]))
    text = BASE + "".join(
        f"  - id: {name}\n    when: {{priority: P1}}\n    then:\n"
        + "".join(f"      - {action}\n" for action in actions)
        + "    rationale: x\n"
        for name, actions in rules
    )
    return loads(text if rules else BASE.replace("rules:\n", "rules: []\n"), filename="p.yaml")


def identity(decision: Decision, action_id: str) -> tuple[object, ...]:
    action = next(a for a in decision.actions if a.id == action_id)
    return (action.kind, action.source, action.due_at, action.targets)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), policies())
def test_every_action_only_one_decision_has_is_in_the_diff_exactly_once(
    old_policy: Policy, new_policy: Policy
) -> None:
    old = old_policy.evaluate(TICKET, now=AT)
    new = new_policy.evaluate(TICKET, now=AT)
    before, after = {a.id for a in old.actions}, {a.id for a in new.actions}
    changes: tuple[Change, ...] = compare(old, new).changes
    gone: Counter[str] = Counter()
    came: Counter[str] = Counter()
    for change in changes:
        if change.what == "action-removed":
            gone[change.name or ""] += 1
        elif change.what == "action-added":
            came[change.name or ""] += 1
        elif change.what == "action-id":
            gone[change.before] += 1
            came[change.after] += 1
            assert identity(old, change.before) == identity(new, change.after)
    assert Counter(before - after) == gone
    assert Counter(after - before) == came
