"""Each pack lists its clocks in the order the obligations fall due, not by name.

A compliance officer reads a decision top to bottom: NIS2's early warning (24 h) before the
notification (72 h) before the final report (a month); DORA's initial notification before the
intermediate and final reports. The packs say so with ``precedence`` (lower first); by name
alone ``dora-final`` came first and ``nis2-final-report`` before ``nis2-notification``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from escalate.policy.loader import load

PACKS = Path(__file__).resolve().parents[2] / "rules" / "regulatory"

# (pack, milestones recorded, fields, clocks in decision order)
ORDER = [
    (
        "dora",
        [
            "dora-aware",
            "dora-classified-major",
            "dora-initial-submitted",
            "dora-intermediate-submitted",
        ],
        {},
        [
            "dora-initial-after-classification",
            "dora-initial-after-awareness",
            "dora-intermediate",
            "dora-final",
        ],
    ),
    (
        "nis2",
        ["nis2-aware", "nis2-notification-submitted"],
        {},
        ["nis2-early-warning", "nis2-notification", "nis2-final-report"],
    ),
    (
        "hipaa",
        ["hipaa-discovered"],
        {"max_state_residents": 600, "individuals_affected": 900},
        ["hipaa-individuals", "hipaa-media", "hipaa-hhs"],
    ),
    ("gdpr", ["gdpr-aware"], {}, ["gdpr-art33-sa"]),
    ("sec", ["sec-materiality-determined"], {}, ["sec-8k-item-105"]),
]


@pytest.mark.parametrize(
    ("pack", "milestones", "fields", "expected"), ORDER, ids=[o[0] for o in ORDER]
)
def test_clocks_come_in_the_order_they_fall_due(
    pack: str, milestones: list[str], fields: dict[str, int], expected: list[str]
) -> None:
    events = [
        {"at": f"2025-03-0{i + 3}T10:00:00+00:00", "type": "milestone", "milestone": name}
        for i, name in enumerate(milestones)
    ]
    ticket = {"id": "REG-1", "opened_at": "2025-03-03T10:00:00+00:00", "events": events}
    if fields:
        ticket["fields"] = fields
    decision = load(PACKS / f"{pack}.yaml").evaluate(
        ticket, now=datetime.fromisoformat("2025-03-10T00:00:00+00:00")
    )
    assert list(decision.clocks) == expected
    assert [c["name"] for c in decision.to_dict()["clocks"]] == expected  # type: ignore[index]
