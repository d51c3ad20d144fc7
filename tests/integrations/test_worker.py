"""What runs on a worker whatever the engine: policy sources, decision records, errors, assembly.

These need neither Dask nor Spark: they check the pieces both engines call, in this process.
"""

from __future__ import annotations

import csv
import io
import json
import pickle
import random
from pathlib import Path

import pytest

from escalate import PolicyError, load
from escalate.adapters.servicenow import LogError, read_log
from escalate.integrations import PolicySource, WorkerError
from escalate.integrations._worker import (
    assemble,
    compilations,
    compiled,
    decision_record,
    replay_incident,
)

from .conftest import (
    LOGS,
    NOW,
    PACK,
    UCI_LOG_MAPPING,
    corpus,
    expected_replay,
    interleaved_log,
)


def test_a_folder_that_extends_another_policy_ships_every_file_it_reads(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "policy.yaml").write_bytes((LOGS / "policy.yaml").read_bytes())
    team = tmp_path / "team"
    team.mkdir()
    (team / "a.yaml").write_text("policy: team\nversion: 2\nextends: ../base/policy.yaml\n")
    (team / "b.yaml").write_text("description: the team's overlay\n")
    (team / "a.cases.yaml").write_text("not: a policy file\n")
    source = PolicySource.from_path(team)
    assert "team" == source.entry
    assert ["base/policy.yaml", "team/a.yaml", "team/b.yaml"] == [f for f, _ in source.files]
    assert load(team).content_hash == source.compile().content_hash
    moved = pickle.loads(pickle.dumps(source))
    assert (source.digest, "team") == (moved.digest, moved.compile().id)


def test_a_single_file_decides_byte_for_byte_even_in_the_trace() -> None:
    source = PolicySource.from_path(str(PACK)[: -len(".yaml")])  # a path without .yaml
    assert "" == source.entry
    ticket = corpus()[0]
    expected = load(PACK).evaluate(ticket, now=NOW).to_json()
    assert expected == decision_record(source.compile(), ticket, NOW)["decision"]
    assert expected == decision_record(source.compile(), json.dumps(ticket), NOW)["decision"]


def test_sources_differ_by_content_and_a_process_compiles_each_once() -> None:
    text = (LOGS / "policy.yaml").read_text(encoding="utf-8")
    one = PolicySource.from_text(text)
    other = PolicySource.from_text(text.replace("version: 1", "version: 2"))
    assert one.digest != other.digest
    assert compiled(one) is compiled(one)
    assert 1 == compilations(one)
    assert ("1", "2") == (compiled(one).version, compiled(other).version)


def test_a_bad_policy_fails_where_the_source_is_made() -> None:
    with pytest.raises(PolicyError, match="clocks"):
        PolicySource.from_text("policy: p\nversion: 1\nclocks: 7\n")
    with pytest.raises(PolicyError):
        PolicySource.from_path(LOGS / "no-such-policy.yaml")


def test_a_worker_error_survives_pickling_and_an_engines_text() -> None:
    error = WorkerError("ticket INC1", "TicketError", "priority: unknown (got 'P9')")
    assert str(error) == str(pickle.loads(pickle.dumps(error)))
    carried = f"Traceback (most recent call last):\nRuntimeError: {error.marked()}\n\tat java"
    found = WorkerError.from_text(carried)
    assert found is not None
    assert (error.what, error.error, error.message) == (found.what, found.error, found.message)
    assert WorkerError.from_text("RuntimeError: something else") is None


def test_a_ticket_that_is_not_an_object_is_named() -> None:
    policy = compiled(PolicySource.from_path(PACK))
    with pytest.raises(WorkerError, match=r"^ticket \[1, 2\]: ArgumentError: a ticket is"):
        decision_record(policy, "[1, 2]", NOW)
    with pytest.raises(WorkerError, match=r"^ticket '\{': EscalateError: ticket:1:2: invalid"):
        decision_record(policy, "{", NOW)


def test_incidents_replayed_in_any_order_assemble_into_the_logs_replay() -> None:
    text = interleaved_log(3)
    source = PolicySource.from_path(LOGS / "policy.yaml")
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        groups.setdefault(row["number"], []).append((line, row))
    done = [
        replay_incident(source, UCI_LOG_MAPPING, n, rows[::-1], clock=None, max_steps=100)
        for n, rows in groups.items()
    ]
    random.Random(7).shuffle(done)
    assert expected_replay(text) == assemble(compiled(source), done, clock=None).to_json()


def test_an_error_naming_another_row_names_its_line_in_the_log() -> None:
    text = interleaved_log().replace(
        "INC2x2,Active,true,1,0,1,false,1/3/2016 09:00",
        "INC2x2,Active,true,1,0,1,false,1/3/2016 09:30",
    )
    with pytest.raises(LogError) as whole:
        read_log(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING)
    assert "differs from line" in str(whole.value)
    source = PolicySource.from_path(LOGS / "policy.yaml")
    rows = [
        (line, row)
        for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2)
        if row["number"] == "INC2x2"
    ]
    with pytest.raises(WorkerError) as worker:
        replay_incident(source, UCI_LOG_MAPPING, "INC2x2", rows, clock=None, max_steps=100)
    assert ("incident INC2x2", "LogError", str(whole.value)) == (
        worker.value.what,
        worker.value.error,
        worker.value.message,
    )
