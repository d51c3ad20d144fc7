"""The regulatory packs' deadlines on concrete dates, each worked out by hand.

Every row loads a shipped pack from ``rules/regulatory``, records the milestones a compliance
team would record, and pins the instant the clock breaches. The expected instants are written
in the local time the law counts in (Berlin, Brussels, New York) and explained beside them:
month ends, DST changes, holidays, the earlier of two limits and the dates a law applies from.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate.engine.compiled import Policy
from escalate.policy.loader import load

PACKS = Path(__file__).resolve().parents[2] / "rules" / "regulatory"
_LOADED: dict[str, Policy] = {}


def pack(name: str) -> Policy:
    found = _LOADED.get(name)
    if found is None:
        found = _LOADED[name] = load(PACKS / f"{name}.yaml")
    return found


def at(text: str) -> datetime:
    found = datetime.fromisoformat(text)
    assert found.utcoffset() is not None, text
    return found


def incident(*milestones: tuple[str, str], **fields: Any) -> dict[str, Any]:
    """A ticket opened at its first milestone, with these (instant, name) milestones."""
    events = [{"at": when, "type": "milestone", "milestone": name} for when, name in milestones]
    data: dict[str, Any] = {"id": "REG-1", "opened_at": milestones[0][0], "events": events}
    if fields:
        data["fields"] = fields
    return data


def clock(name: str, ticket: dict[str, Any], clock_name: str, now: str) -> dict[str, Any] | None:
    decision = pack(name).evaluate(ticket, now=at(now))
    found = [c for c in decision.to_dict()["clocks"] if c["name"] == clock_name]  # type: ignore[union-attr]
    return found[0] if found else None


# (id, pack, milestones, custom fields, clock, now, expected breach instant)
DEADLINES: list[tuple[str, str, list[tuple[str, str]], dict[str, Any], str, str, str]] = [
    # GDPR: 72 real hours. Aware Friday 25 Oct 2024 10:00 CEST; Sunday 27 Oct 03:00 CEST
    # becomes 02:00 CET, so the wall clock reads 09:00 CET on Monday, not 10:00.
    (
        "gdpr-72h-across-october-dst",
        "gdpr",
        [("2024-10-25T10:00:00+02:00", "gdpr-aware")],
        {},
        "gdpr-art33-sa",
        "2024-10-26T00:00:00Z",
        "2024-10-28T09:00:00+01:00",
    ),
    # GDPR in March: aware Friday 29 Mar 2024 12:00 CET; 31 Mar 02:00 CET becomes 03:00 CEST,
    # so 72 real hours later the wall clock reads 13:00 CEST on Monday 1 April.
    (
        "gdpr-72h-across-march-dst",
        "gdpr",
        [("2024-03-29T12:00:00+01:00", "gdpr-aware")],
        {},
        "gdpr-art33-sa",
        "2024-03-30T00:00:00Z",
        "2024-04-01T13:00:00+02:00",
    ),
    # NIS2: 24 h and 72 h from awareness (Thursday 30 Jan 2025 09:00 CET), weekends included.
    (
        "nis2-early-warning",
        "nis2",
        [("2025-01-30T09:00:00+01:00", "nis2-aware")],
        {},
        "nis2-early-warning",
        "2025-01-30T12:00:00Z",
        "2025-01-31T09:00:00+01:00",
    ),
    (
        "nis2-notification-over-the-weekend",
        "nis2",
        [("2025-01-30T09:00:00+01:00", "nis2-aware")],
        {},
        "nis2-notification",
        "2025-01-30T12:00:00Z",
        "2025-02-02T09:00:00+01:00",
    ),
    # NIS2 final report: one calendar month after the notification, Brussels wall clock.
    (
        "nis2-final-31-jan-to-28-feb",
        "nis2",
        [
            ("2025-01-30T09:00:00+01:00", "nis2-aware"),
            ("2025-01-31T10:00:00+01:00", "nis2-notification-submitted"),
        ],
        {},
        "nis2-final-report",
        "2025-02-01T00:00:00Z",
        "2025-02-28T10:00:00+01:00",
    ),
    (
        "nis2-final-31-jan-to-29-feb-leap-year",
        "nis2",
        [
            ("2028-01-31T08:00:00+01:00", "nis2-aware"),
            ("2028-01-31T10:00:00+01:00", "nis2-notification-submitted"),
        ],
        {},
        "nis2-final-report",
        "2028-02-01T00:00:00Z",
        "2028-02-29T10:00:00+01:00",
    ),
    (
        "nis2-final-31-mar-to-30-apr",
        "nis2",
        [
            ("2025-03-30T09:00:00+02:00", "nis2-aware"),
            ("2025-03-31T10:00:00+02:00", "nis2-notification-submitted"),
        ],
        {},
        "nis2-final-report",
        "2025-04-01T00:00:00Z",
        "2025-04-30T10:00:00+02:00",
    ),
    # NIS2 final report across the October change: 15 Oct 2025 10:00 CEST -> 15 Nov 10:00 CET
    # (same wall time, one more real hour).
    (
        "nis2-final-across-october-dst",
        "nis2",
        [
            ("2025-10-14T09:00:00+02:00", "nis2-aware"),
            ("2025-10-15T10:00:00+02:00", "nis2-notification-submitted"),
        ],
        {},
        "nis2-final-report",
        "2025-10-16T00:00:00Z",
        "2025-11-15T10:00:00+01:00",
    ),
    # DORA initial notification: the earlier of 4 h after classification and 24 h after
    # awareness. Classified 2 h after awareness: 4 h after classification binds (12:00 UTC).
    (
        "dora-initial-4h-after-classification",
        "dora",
        [("2025-03-03T08:00:00Z", "dora-aware"), ("2025-03-03T10:00:00Z", "dora-classified-major")],
        {},
        "dora-initial-after-classification",
        "2025-03-03T11:00:00Z",
        "2025-03-03T14:00:00Z",
    ),
    (
        "dora-initial-24h-after-awareness",
        "dora",
        [("2025-03-03T08:00:00Z", "dora-aware"), ("2025-03-04T06:00:00Z", "dora-classified-major")],
        {},
        "dora-initial-after-awareness",
        "2025-03-04T07:00:00Z",
        "2025-03-04T08:00:00Z",
    ),
    (
        "dora-intermediate-72h-after-initial",
        "dora",
        [
            ("2025-03-03T08:00:00Z", "dora-aware"),
            ("2025-03-03T10:00:00Z", "dora-classified-major"),
            ("2025-03-03T13:00:00Z", "dora-initial-submitted"),
        ],
        {},
        "dora-intermediate",
        "2025-03-04T00:00:00Z",
        "2025-03-06T13:00:00Z",
    ),
    # DORA final: one month after the latest intermediate report (each starts a new cycle).
    (
        "dora-final-31-jan-to-28-feb",
        "dora",
        [
            ("2025-01-27T08:00:00Z", "dora-aware"),
            ("2025-01-31T10:00:00+01:00", "dora-intermediate-submitted"),
        ],
        {},
        "dora-final",
        "2025-02-01T00:00:00Z",
        "2025-02-28T10:00:00+01:00",
    ),
    (
        "dora-final-from-the-latest-intermediate",
        "dora",
        [
            ("2025-01-27T08:00:00Z", "dora-aware"),
            ("2025-01-31T10:00:00+01:00", "dora-intermediate-submitted"),
            ("2025-03-31T10:00:00+02:00", "dora-intermediate-submitted"),
        ],
        {},
        "dora-final",
        "2025-04-01T00:00:00Z",
        "2025-04-30T10:00:00+02:00",
    ),
    # HIPAA: the end of the 60th calendar date after discovery, New York wall clock. Discovered
    # 20 Feb 2025 (EST): 60th date is 21 April, which ends at 24:00 EDT = 22 April 04:00 UTC.
    (
        "hipaa-60-days-across-march-dst",
        "hipaa",
        [("2025-02-20T10:00:00-05:00", "hipaa-discovered")],
        {"max_state_residents": 600, "individuals_affected": 900},
        "hipaa-individuals",
        "2025-03-01T00:00:00Z",
        "2025-04-22T00:00:00-04:00",
    ),
    # Discovered at 23:30 on 31 Dec 2024: the 60th date is 1 March 2025 (31 of January + 28 of
    # February + 1), ending at 24:00 EST.
    (
        "hipaa-60-days-from-new-years-eve",
        "hipaa",
        [("2024-12-31T23:30:00-05:00", "hipaa-discovered")],
        {"max_state_residents": 600, "individuals_affected": 900},
        "hipaa-media",
        "2025-01-02T00:00:00Z",
        "2025-03-02T00:00:00-05:00",
    ),
    (
        "hipaa-hhs-same-deadline",
        "hipaa",
        [("2025-02-20T10:00:00-05:00", "hipaa-discovered")],
        {"max_state_residents": 100, "individuals_affected": 500},
        "hipaa-hhs",
        "2025-03-01T00:00:00Z",
        "2025-04-22T04:00:00Z",
    ),
    # SEC: 17:30 New York on the fourth business day after the day of the determination.
    (
        "sec-over-thanksgiving",  # Tue 26 Nov 2024: Wed, (Thu holiday), Fri, Mon, Tue 3 Dec
        "sec",
        [("2024-11-26T14:00:00-05:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2024-11-27T00:00:00Z",
        "2024-12-03T17:30:00-05:00",
    ),
    (
        "sec-over-juneteenth",  # Tue 17 Jun 2025: Wed, (Thu 19 holiday), Fri, Mon, Tue 24
        "sec",
        [("2025-06-17T11:00:00-04:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2025-06-18T00:00:00Z",
        "2025-06-24T17:30:00-04:00",
    ),
    (
        "sec-july-4th-on-a-saturday",  # observed Fri 3 Jul 2026: Thu 2, Mon 6, Tue 7, Wed 8
        "sec",
        [("2026-07-01T10:00:00-04:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2026-07-02T00:00:00Z",
        "2026-07-08T17:30:00-04:00",
    ),
    (
        "sec-determined-after-1730",  # Mon 3 Mar 2025 18:00: the day is not counted; Fri 7
        "sec",
        [("2025-03-03T18:00:00-05:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2025-03-04T00:00:00Z",
        "2025-03-07T17:30:00-05:00",
    ),
    (
        "sec-determined-on-a-saturday",  # Sat 1 Mar 2025: Mon 3, Tue 4, Wed 5, Thu 6
        "sec",
        [("2025-03-01T11:00:00-05:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2025-03-02T00:00:00Z",
        "2025-03-06T17:30:00-05:00",
    ),
    (
        "sec-christmas-and-new-year",  # Mon 23 Dec 2024: Tue 24, (25), Thu 26, Fri 27, Mon 30
        "sec",
        [("2024-12-23T09:00:00-05:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2024-12-24T00:00:00Z",
        "2024-12-30T17:30:00-05:00",
    ),
    (
        # Tue 7 Jan 2025: Wed 8 (1), Thu 9 closed (National Day of Mourning for President
        # Carter: no public holiday, a closure the pack lists), Fri 10 (2), Mon 13 (3), Tue 14
        "sec-over-the-carter-day-of-mourning",
        "sec",
        [("2025-01-07T10:00:00-05:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2025-01-07T23:59:00Z",
        "2025-01-14T17:30:00-05:00",
    ),
    (
        # Mon 30 Dec 2030: Tue 31 (1), (New Year), Thu 2 (2), Fri 3 (3), Mon 6 Jan 2031 (4):
        # past the pack's old 2030 calendar range, which raised CalendarRangeError
        "sec-into-2031",
        "sec",
        [("2030-12-30T10:00:00-05:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2030-12-30T23:59:00Z",
        "2031-01-06T17:30:00-05:00",
    ),
    (
        # Fri 21 Dec 2035: Mon 24 (1), (Christmas Tue 25), Wed 26 (2), Thu 27 (3), Fri 28 (4):
        # the last year the pack's calendar covers
        "sec-in-2035",
        "sec",
        [("2035-12-21T10:00:00-05:00", "sec-materiality-determined")],
        {},
        "sec-8k-item-105",
        "2035-12-21T23:59:00Z",
        "2035-12-28T17:30:00-05:00",
    ),
]


@pytest.mark.parametrize(
    ("name", "milestones", "fields", "clock_name", "now", "due"),
    [pytest.param(*row[1:], id=row[0]) for row in DEADLINES],
)
def test_each_pack_deadline_on_concrete_dates(
    name: str,
    milestones: list[tuple[str, str]],
    fields: dict[str, Any],
    clock_name: str,
    now: str,
    due: str,
) -> None:
    ticket = incident(*milestones, **fields)
    found = clock(name, ticket, clock_name, now)
    assert found is not None, f"{clock_name} does not apply"
    assert found["state"] == "running"
    assert found["type"] == "regulatory"
    # "Not later than", "within", "on or before": the due instant itself is on time
    # (on_time_at_due), the breach is the microsecond after it. HIPAA's due instant is the end
    # of the 60th day (24:00), already the first instant past it.
    (definition,) = [c for c in pack(name).clocks if c.name == clock_name]
    on_time = definition.targets["default"].on_time_at_due
    assert on_time == (name != "hipaa")
    breach = at(due) + timedelta(microseconds=1) * on_time
    assert at(str(found["breach_at"])) == breach
    at_due = clock(name, ticket, clock_name, breach.isoformat())
    just_before = clock(name, ticket, clock_name, (breach - timedelta(microseconds=1)).isoformat())
    assert at_due is not None and just_before is not None
    assert (just_before["breached"], at_due["breached"]) == (False, True)


def test_a_deadline_is_kept_up_to_its_last_instant_and_missed_at_it() -> None:
    ticket = incident(("2025-02-20T10:00:00-05:00", "hipaa-discovered"))
    kept = clock("hipaa", ticket, "hipaa-individuals", "2025-04-21T23:59:59-04:00")
    missed = clock("hipaa", ticket, "hipaa-individuals", "2025-04-22T00:00:00-04:00")
    assert kept is not None and missed is not None
    assert (kept["breached"], missed["breached"]) == (False, True)


def test_dora_earlier_of_two_limits_is_the_one_that_breaches_first() -> None:
    ticket = incident(
        ("2025-03-03T08:00:00Z", "dora-aware"), ("2025-03-04T06:00:00Z", "dora-classified-major")
    )
    now = "2025-03-04T09:00:00Z"  # past 24 h from awareness, before 4 h from classification
    awareness = clock("dora", ticket, "dora-initial-after-awareness", now)
    classification = clock("dora", ticket, "dora-initial-after-classification", now)
    assert awareness is not None and classification is not None
    assert (awareness["breached"], classification["breached"]) == (True, False)


@pytest.mark.parametrize(
    ("name", "milestones", "clock_name", "now"),
    [
        # classified the day before DORA applied: no DORA clock, even evaluated after it
        (
            "dora",
            [
                ("2025-01-16T08:00:00Z", "dora-aware"),
                ("2025-01-16T09:00:00Z", "dora-classified-major"),
            ],
            "dora-initial-after-classification",
            "2025-01-20T00:00:00Z",
        ),
        (
            "gdpr",
            [("2018-05-24T12:00:00+02:00", "gdpr-aware")],
            "gdpr-art33-sa",
            "2018-06-01T00:00:00Z",
        ),
        (
            "nis2",
            [("2024-10-17T12:00:00+02:00", "nis2-aware")],
            "nis2-notification",
            "2024-10-20T00:00:00Z",
        ),
        (
            "sec",
            [("2023-12-15T10:00:00-05:00", "sec-materiality-determined")],
            "sec-8k-item-105",
            "2023-12-20T00:00:00Z",
        ),
        # chained reports are judged by awareness (effective.judged_at), not their own start:
        # aware the day before NIS2 applied, notified the day it did: no final-report clock
        (
            "nis2",
            [
                ("2024-10-17T10:00:00+02:00", "nis2-aware"),
                ("2024-10-18T10:00:00+02:00", "nis2-notification-submitted"),
            ],
            "nis2-final-report",
            "2024-10-19T00:00:00Z",
        ),
        # aware before DORA applied, classified and reported after: no DORA clock at all
        (
            "dora",
            [
                ("2025-01-16T20:00:00Z", "dora-aware"),
                ("2025-01-17T10:00:00Z", "dora-classified-major"),
            ],
            "dora-initial-after-classification",
            "2025-01-17T11:00:00Z",
        ),
        (
            "dora",
            [
                ("2025-01-16T08:00:00Z", "dora-aware"),
                ("2025-01-16T09:00:00Z", "dora-classified-major"),
                ("2025-01-16T12:00:00Z", "dora-initial-submitted"),
                ("2025-01-18T10:00:00Z", "dora-intermediate-submitted"),
            ],
            "dora-final",
            "2025-01-19T00:00:00Z",
        ),
    ],
)
def test_an_obligation_triggered_before_it_applied_has_no_clock(
    name: str, milestones: list[tuple[str, str]], clock_name: str, now: str
) -> None:
    # Reported like a scoped clock that does not apply: absent from the decision.
    assert clock(name, incident(*milestones), clock_name, now) is None


def test_dora_applies_from_its_first_instant() -> None:
    ticket = incident(("2025-01-17T00:00:00+01:00", "dora-classified-major"))
    found = clock("dora", ticket, "dora-initial-after-classification", "2025-01-17T01:00:00Z")
    assert found is not None
    # due at 04:00, on time at it: the breach is the microsecond after
    assert at(str(found["breach_at"])) == at("2025-01-17T04:00:00.000001+01:00")


def test_every_pack_says_it_is_not_legal_advice_and_cites_its_sources() -> None:
    for name in ("gdpr", "nis2", "dora", "hipaa", "sec"):
        policy = pack(name)
        assert "Not legal advice" in policy.description, name
        for definition in policy.clocks:
            assert definition.type == "regulatory", (name, definition.name)
            assert definition.effective is not None, (name, definition.name)
