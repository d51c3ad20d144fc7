"""Snapshots: a decision as stable JSON text, for golden files reviewed as diffs.

A snapshot is ``Decision.to_dict(trace=False)`` without what changes when nothing a reviewer
cares about did: the policy's ``version`` and content ``hash`` and the ``input_digest`` (which
hashes the policy) change with every edit of the policy, a comment or a rationale included,
and would make every file of a corpus change at once. What is kept is the outcome -- the
segment, the priority, the due actions with their ids, targets and people, the clocks, the
paths, the next evaluation, missed and withdrawn actions -- plus ``rules``: the id and status of
every rule that did not simply fail to match (``matched``, ``shadowed``, ``done``), which says
why without the condition trace and its line numbers. The text is canonical (sorted keys, two
spaces, ASCII, one final newline): the same decision gives the same bytes.

>>> snapshot_name("INC0010001"), snapshot_name("CHG/42"), snapshot_name(".hidden")
('INC0010001.json', 'CHG%2F42.json', '%2Ehidden.json')
>>> print(snapshot_diff('{\\n  "a": 1\\n}\\n', '{\\n  "a": 2\\n}\\n', name="T1.json"), end="")
--- T1.json (expected)
+++ T1.json (actual)
@@ -1,3 +1,3 @@
 {
-  "a": 1
+  "a": 2
 }
"""

from __future__ import annotations

import difflib
import json
from typing import Any
from urllib.parse import quote

from escalate.engine.decision import NOT_MATCHED, Decision

__all__ = ["snapshot", "snapshot_diff", "snapshot_json", "snapshot_name"]


def snapshot(decision: Decision) -> dict[str, Any]:
    """The decision as a snapshot: JSON-ready data without the fields that change with every
    edit of the policy (see the module docstring)."""
    data = decision.to_dict(trace=False)
    del data["input_digest"]
    data["policy"] = {"id": decision.policy_id}
    data["rules"] = {
        result.rule.id: result.status
        for result in decision.rule_results
        if result.status != NOT_MATCHED
    }
    return data


def snapshot_json(decision: Decision) -> str:
    """:func:`snapshot` as canonical text: sorted keys, indented, ASCII, a final newline."""
    return json.dumps(snapshot(decision), sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def snapshot_name(ticket_id: str) -> str:
    """The file name of a ticket's snapshot: the id, with every character other than ASCII
    letters, digits, ``_``, ``-``, ``.`` and ``~`` percent-encoded (so ``/`` cannot make a
    folder and no name starts with a dot), then ``.json``."""
    name = quote(ticket_id, safe="")
    if name.startswith("."):
        name = "%2E" + name[1:]
    return f"{name}.json"


def snapshot_diff(expected: str, actual: str, *, name: str) -> str:
    """A unified diff from the ``expected`` snapshot text to the ``actual`` one (empty when
    they are equal), headed ``name (expected)`` and ``name (actual)``."""
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"{name} (expected)",
            tofile=f"{name} (actual)",
        )
    )
