"""Trail files: appending continues the file's chain; a broken file is left as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate import EscalateError
from escalate.audit import AuditTrail, TrailNotFoundError, append_records, read_trail, verify_chain
from tests.audit.trails import POLICY, at

NOW = at("2024-03-04T09:00:00Z")


def test_appending_twice_gives_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    first = append_records(path, lambda trail: trail.add_policy(POLICY, NOW))
    second = append_records(path, lambda trail: trail.add_note("checked", NOW))
    report = verify_chain(read_trail(path))
    assert (1, 1, True, 2) == (first, second, report.ok, report.checked)


def test_a_policy_already_in_the_file_is_not_recorded_again(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"

    def build(trail: AuditTrail) -> None:
        trail.add_policy(POLICY, NOW)

    assert (1, 0) == (append_records(path, build), append_records(path, build))


def test_a_file_without_its_final_newline_is_continued_on_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    append_records(path, lambda trail: trail.add_note("one", NOW))
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    append_records(path, lambda trail: trail.add_note("two", NOW))
    assert (True, 2) == (verify_chain(read_trail(path)).ok, verify_chain(read_trail(path)).checked)


def test_a_broken_file_is_not_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    with pytest.raises(EscalateError, match=r"audit.jsonl': line 1: the audit trail is broken"):
        append_records(path, lambda trail: trail.add_note("x", NOW))
    assert "{}\n" == path.read_text(encoding="utf-8")


def test_a_missing_file_is_an_error_unless_a_trail_not_started_yet_is_asked_for(
    tmp_path: Path,
) -> None:
    with pytest.raises(TrailNotFoundError, match="no audit trail at"):
        read_trail(tmp_path / "none.jsonl")
    assert b"" == read_trail(tmp_path / "none.jsonl", missing_ok=True)
