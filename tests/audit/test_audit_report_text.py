"""The audit reports speak English: '1 action pending', '1 record before it is intact' (the
trial's replay said '1 actions pending'; a count of one took a plural noun everywhere)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate.audit.chain import Broken, ChainReport
from escalate.audit.replay import AuditReport, Deviation
from escalate.cli import main
from tests.audit.trails import PACK_PATH, TICKETS

HEAD = "ab" * 32


def chain(checked: int, problem: str | None = None) -> ChainReport:
    broken = None if problem is None else Broken(checked + 1, checked + 1, problem, "why")
    return ChainReport(problem is None, checked, HEAD, broken)


def report(n: int) -> AuditReport:
    deviation = Deviation("missed-action", "INC1", None, "A was due", (1, 2))
    return AuditReport(
        chain(9),
        decisions=n,
        tickets=n,
        deviations=(deviation,) * n,
        pending=(("INC1", "A", datetime(2024, 3, 4, 10, tzinfo=UTC)),) * n,
    )


@pytest.mark.parametrize(
    ("n", "line"),
    [
        (1, "replayed 1 decision of 1 ticket: 1 deviation, 1 action pending"),
        (2, "replayed 2 decisions of 2 tickets: 2 deviations, 2 actions pending"),
        (0, "replayed 0 decisions of 0 tickets: 0 deviations, 0 actions pending"),
    ],
)
def test_the_replay_summary_counts_in_singular_and_plural(n: int, line: str) -> None:
    assert report(n).text().splitlines()[1] == line


def test_the_replay_text_lists_each_pending_action_with_its_due_instant() -> None:
    """The trial's replay said '4 actions pending' and listed none (only --json did)."""
    due = datetime(2024, 3, 4, 10, tzinfo=UTC)
    got = AuditReport(
        chain(9),
        decisions=2,
        tickets=2,
        deviations=(),
        pending=(("INC1", "INC1:path:desk:1:0:L3", due), ("INC2", "INC2:rule:x:notify0", due)),
    )
    assert got.text().splitlines()[1:] == [
        "replayed 2 decisions of 2 tickets: 0 deviations, 2 actions pending",
        "  pending on INC1: INC1:path:desk:1:0:L3, due 2024-03-04T10:00:00+00:00",
        "  pending on INC2: INC2:rule:x:notify0, due 2024-03-04T10:00:00+00:00",
    ]


def test_a_pending_action_id_from_the_trail_cannot_forge_a_report_line() -> None:
    forged = "A\n  - missed-action: nothing [records 1]"
    got = AuditReport(
        chain(9), 1, 1, (), pending=(("IN\u2028C1", forged, datetime(2024, 3, 4, tzinfo=UTC)),)
    )
    lines = got.text().splitlines()
    assert len(lines) == 3
    assert lines[2] == (
        "  pending on IN\\u2028C1: A\\n  - missed-action: nothing [records 1], "
        "due 2024-03-04T00:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("got", "text"),
    [
        (chain(1), f"ok: 1 record, chain intact; last hash {HEAD}"),
        (chain(3), f"ok: 3 records, chain intact; last hash {HEAD}"),
        (chain(1, "seq-gap"), f"1 record before it is intact; last intact hash {HEAD}"),
        (chain(2, "seq-gap"), f"2 records before it are intact; last intact hash {HEAD}"),
        (
            chain(1, "head-mismatch"),
            f"the 1 record is intact, the end is not the expected one; last intact hash {HEAD}",
        ),
        (
            chain(4, "head-mismatch"),
            f"all 4 records are intact, the end is not the expected one; last intact hash {HEAD}",
        ),
    ],
)
def test_the_chain_report_counts_records_in_singular_and_plural(
    got: ChainReport, text: str
) -> None:
    assert got.text().splitlines()[-1] == text


def test_record_summarises_what_it_appended_in_plural_nouns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / "t.json").write_bytes((TICKETS / "INC0010001.json").read_bytes())
    argv = ["audit", "record", "--policy", str(PACK_PATH), "--at", "2024-11-20T15:00:00Z"]
    assert 0 == main([*argv, "--tickets", str(one), "--out", str(tmp_path / "a.jsonl")])
    first = capsys.readouterr().out
    assert 0 == main([*argv, "--tickets", str(TICKETS), "--out", str(tmp_path / "b.jsonl")])
    many = capsys.readouterr().out
    assert ": 1 acknowledgement, 1 decision, 1 policy; last hash " in first
    assert ": 3 acknowledgements, 6 decisions, 1 policy; last hash " in many
