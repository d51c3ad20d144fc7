"""Hash-chained records: built, verified, and every kind of tampering caught at its record."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import ArgumentError, EscalateError
from escalate.audit import (
    GENESIS,
    AuditTrail,
    canonical_text,
    continue_trail,
    record_hash,
    replay_audit,
    verify_chain,
)
from escalate.audit.canonical import MAX_DEPTH
from tests.audit.trails import PACK, TICKETS, at, text

AT = at("2024-11-20T15:00:00Z")


def pack_trail() -> bytes:
    """The shipped pack, then a decision (and its ticket's overrides and acks) per example."""
    trail = AuditTrail()
    trail.add_policy(PACK, AT)
    for path in sorted(TICKETS.glob("*.json"))[:4]:
        data = json.loads(path.read_text(encoding="utf-8"))
        trail.add_decision(PACK.evaluate(data, now=AT), PACK)
    trail.add_note("end of the shift", AT, by="auditor")
    return text(trail)


VALID = pack_trail()
LINES = VALID.decode("utf-8").splitlines()


def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LINES]


def joined(lines: list[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def rehashed(record: dict[str, Any]) -> str:
    record = {**record, "hash": record_hash(record)}
    return canonical_text(record)


def broken_at(content: str | bytes) -> tuple[int, int | None, str]:
    report = verify_chain(content)
    assert report.broken is not None
    return report.broken.line, report.broken.seq, report.broken.problem


# -- building and verifying ------------------------------------------------------------------


def test_a_built_trail_verifies_with_every_record_checked() -> None:
    report = verify_chain(VALID)
    assert (True, len(LINES), json.loads(LINES[-1])["hash"], None) == (
        report.ok,
        report.checked,
        report.head,
        report.broken,
    )


def test_records_count_from_one_and_each_names_the_previous_hash() -> None:
    found = records()
    assert list(range(1, len(found) + 1)) == [r["seq"] for r in found]
    assert [GENESIS, *(r["hash"] for r in found[:-1])] == [r["prev"] for r in found]


def test_the_trail_holds_the_policy_then_decisions_overrides_and_acks() -> None:
    kinds = [r["kind"] for r in records()]
    assert ("policy", "note") == (kinds[0], kinds[-1])
    assert {"decision", "acknowledgement"} <= set(kinds)


def test_the_hash_is_sha256_of_the_canonical_record_without_it() -> None:
    record = records()[1]
    unsigned = {k: v for k, v in record.items() if k != "hash"}
    payload = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(payload.encode()).hexdigest() == record["hash"]


def test_a_policy_is_recorded_once_per_version() -> None:
    trail = AuditTrail()
    first, again = trail.add_policy(PACK, AT), trail.add_policy(PACK, AT)
    assert (True, None) == (first is not None, again)


def test_verify_accepts_lines_as_bytes_and_as_an_iterable() -> None:
    assert [True, True] == [
        verify_chain(bytearray(VALID)).ok,
        verify_chain(iter(f"{line}\n" for line in LINES)).ok,
    ]


def test_an_empty_trail_verifies_with_nothing_checked() -> None:
    assert (True, 0, GENESIS) == (verify_chain(b"").ok, verify_chain([]).checked, GENESIS)


def test_a_wrong_argument_type_is_the_only_thing_that_raises() -> None:
    with pytest.raises(ArgumentError):
        verify_chain(42)  # type: ignore[arg-type]


def test_a_continued_trail_appends_to_the_chain_and_knows_its_policies() -> None:
    trail = continue_trail(VALID)
    assert None is trail.add_policy(PACK, AT)
    trail.add_note("later", AT)
    assert (True, len(LINES) + 1) == (
        verify_chain(VALID + text(trail)).ok,
        verify_chain(VALID + text(trail)).checked,
    )


def test_a_broken_trail_is_not_continued() -> None:
    lines = list(LINES)
    del lines[2]
    with pytest.raises(EscalateError, match=r"^line 3: the audit trail is broken \(seq-gap"):
        continue_trail(joined(lines))


# -- tampering, each caught at its record --------------------------------------------------------


def test_an_edited_body_field_is_a_hash_mismatch_at_that_record() -> None:
    lines = list(LINES)
    record = json.loads(lines[1])
    record["body"]["evaluated_at"] = "2024-11-20T14:00:00+00:00"
    lines[1] = canonical_text(record)
    assert (2, 2, "hash-mismatch") == broken_at(joined(lines))


def test_an_edited_hash_is_a_hash_mismatch_at_that_record() -> None:
    lines = list(LINES)
    record = json.loads(lines[2])
    record["hash"] = "f" * 64
    lines[2] = canonical_text(record)
    assert (3, 3, "hash-mismatch") == broken_at(joined(lines))


def test_a_deleted_middle_record_is_a_seq_gap_at_the_record_after_it() -> None:
    lines = list(LINES)
    del lines[2]
    assert (3, 4, "seq-gap") == broken_at(joined(lines))


def test_two_swapped_records_are_caught_at_the_first_of_them() -> None:
    lines = list(LINES)
    lines[1], lines[2] = lines[2], lines[1]
    assert (2, 3, "seq-gap") == broken_at(joined(lines))


def test_a_last_line_cut_half_way_is_bad_json_at_that_line() -> None:
    cut = VALID[: len(VALID) - len(LINES[-1]) // 2]
    line, seq, problem = broken_at(cut)
    assert (len(LINES), None, "bad-json") == (line, seq, problem)
    assert len(LINES) - 1 == verify_chain(cut).checked


def test_a_forged_record_with_its_own_hash_but_a_wrong_prev_is_caught_where_inserted() -> None:
    lines = list(LINES)
    forged = {**json.loads(lines[2]), "prev": "0" * 64}
    forged["body"] = {**forged["body"], "ticket_id": "FORGED"}
    lines[2] = rehashed(forged)
    assert (3, 3, "prev-mismatch") == broken_at(joined(lines))


def test_a_record_renumbered_and_rehashed_after_a_deletion_breaks_at_prev() -> None:
    lines = list(LINES)
    del lines[2]
    moved = {**json.loads(lines[2]), "seq": 3}
    lines[2] = rehashed(moved)
    assert (3, 3, "prev-mismatch") == broken_at(joined(lines))


def test_a_reformatted_line_with_the_same_content_is_not_canonical() -> None:
    lines = list(LINES)
    lines[1] = json.dumps(json.loads(lines[1]), sort_keys=True, ensure_ascii=False)
    assert (2, 2, "not-canonical") == broken_at(joined(lines))


def test_an_unknown_kind_and_a_body_missing_keys_are_named() -> None:
    lines = list(LINES[:2])
    odd = {**json.loads(LINES[2]), "kind": "gossip", "prev": json.loads(lines[1])["hash"]}
    assert (3, 3, "unknown-kind") == broken_at(joined([*lines, rehashed(odd)]))
    thin = {**json.loads(LINES[2]), "body": {"ticket_id": "T"}}
    assert (3, 3, "missing-keys") == broken_at(joined([*lines, rehashed(thin)]))


@pytest.mark.parametrize(
    ("garbage", "problem"),
    [
        ("not json at all", "bad-json"),
        ("", "bad-json"),
        ("[1, 2]", "not-a-record"),
        ('{"seq": 3}', "not-a-record"),
        ('{"a": 1, "a": 2}', "not-a-record"),
    ],
)
def test_garbage_in_the_middle_is_named_at_its_line(garbage: str, problem: str) -> None:
    lines = [*LINES[:2], garbage, *LINES[2:]]
    assert (3, problem) == broken_at(joined(lines))[::2]


def test_invalid_utf8_is_named_at_its_line() -> None:
    raw = joined(list(LINES))
    second = raw.index(b"\n") + 1
    damaged = raw[: second + 5] + b"\xff" + raw[second + 6 :]
    assert (2, "bad-json") == broken_at(damaged)[::2]


SMALL = joined(LINES[:3])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_single_byte_change_is_caught_at_or_before_its_record(data: st.DataObject) -> None:
    raw = bytearray(SMALL)
    where = data.draw(st.integers(0, len(raw) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[where]), label="byte")
    raw[where] = new
    line = raw[:where].count(b"\n") + 1
    report = verify_chain(bytes(raw))
    assert report.broken is not None
    assert report.broken.line <= line


def test_a_record_holding_a_float_is_not_canonical_even_with_a_matching_hash() -> None:
    record = {**json.loads(LINES[1]), "body": {**json.loads(LINES[1])["body"], "score": 0.5}}
    unsigned = {k: v for k, v in record.items() if k != "hash"}
    payload = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    record["hash"] = hashlib.sha256(payload.encode()).hexdigest()
    line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert (2, 2, "not-canonical") == broken_at(joined([LINES[0], line, *LINES[2:]]))


def test_a_duplicated_key_in_a_body_is_not_canonical() -> None:
    line = LINES[1].replace('"body":{', '"body":{"ticket_id":"X",', 1)
    assert (2, 2, "not-canonical") == broken_at(joined([LINES[0], line, *LINES[2:]]))


# -- the review of issue 14 (each test failed before its fix) ---------------------------------


def nested(depth: int) -> str:
    """A note record, hashed right, whose body holds ``depth`` nested arrays."""
    body = '{"deep":' + "[" * depth + "1" + "]" * depth + ',"text":"x"}'
    start, end = (
        f'{{"at":"{AT.isoformat()}","body":{body}',
        f',"kind":"note","prev":"{GENESIS}","seq":1}}',
    )
    digest = hashlib.sha256(f"{start}{end}".encode()).hexdigest()
    return f'{start},"hash":"{digest}"{end}'


@pytest.mark.parametrize("depth", [62, 63, 500, 5000])
def test_a_line_nested_deeper_than_the_bound_is_not_canonical_and_nothing_raises(
    depth: int,
) -> None:
    report = verify_chain([nested(depth)])
    replayed = replay_audit([nested(depth)])
    # the record is level 0, its body 1, the outer array 2: 62 arrays reach level 63
    # (thousands of levels are beyond what the JSON reader itself reads: bad JSON)
    problem = "not-canonical" if depth < 1000 else "bad-json"
    expected = (True, None) if depth <= MAX_DEPTH - 2 else (False, problem)
    assert expected == (report.ok, report.broken and report.broken.problem)
    assert report.ok == replayed.chain.ok


def test_a_body_nested_too_deep_is_refused_when_recorded() -> None:
    deep: object = "x"
    for _ in range(2000):
        deep = [deep]
    with pytest.raises(ArgumentError, match="nest deeper than 64"):
        AuditTrail().add_note("deep", AT, deep=deep)


def test_a_trail_given_as_a_str_is_refused_as_ambiguous() -> None:
    with pytest.raises(ArgumentError, match=r"pathlib\.Path"):
        verify_chain(VALID.decode())  # type: ignore[arg-type]


def test_verify_reads_a_file_a_line_at_a_time(tmp_path: Path) -> None:
    trail = AuditTrail()
    for number in range(400):
        trail.add_note("x" * 2000, AT, n=number)
    path = tmp_path / "audit.jsonl"
    path.write_bytes(text(trail))
    tracemalloc.start()
    try:
        report = verify_chain(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (True, 400) == (report.ok, report.checked)
    assert peak < path.stat().st_size // 10, peak


def test_the_expected_head_detects_records_cut_off_the_end() -> None:
    head = json.loads(LINES[-1])["hash"]
    cut = verify_chain(joined(LINES[:-2]), expect_head=head)
    assert (True, False) == (verify_chain(VALID, expect_head=head).ok, cut.ok)
    assert (len(LINES) - 2, "head-mismatch") == (cut.broken.line, cut.broken.problem)  # type: ignore[union-attr]
    earlier = json.loads(LINES[2])["hash"]
    later = verify_chain(VALID, expect_head=earlier)
    assert f"it is the hash of record 3: {len(LINES) - 3} records follow it" in later.text()


def test_a_rechained_record_with_an_odd_body_is_not_continued_and_nothing_crashes() -> None:
    trail = AuditTrail()
    trail.add(
        "acknowledgement",
        AT,
        {
            "ticket_id": "INC1",
            "event": [1],
            "data": [1],
            "actor": "bob",
            "path": "desk",
            "policy_hash": None,
        },
    )
    with pytest.raises(EscalateError, match=r"line 1 \(seq 1\): a acknowledgement record"):
        continue_trail(text(trail))
