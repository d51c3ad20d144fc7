"""Dask: a bag or a dataframe of tickets decided, and a log replayed, on worker processes.

Every test runs on the ``processes`` scheduler with one pool of two processes for the module,
so the policy travels as text, tickets and results are pickled, and errors cross a process
boundary, as on a cluster; each result is compared with the one computed in this process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

db = pytest.importorskip("dask.bag", reason="dask is not installed: pip install 'escalate[dask]'")
dd = pytest.importorskip("dask.dataframe", reason="dask[dataframe] is not installed")
pd = pytest.importorskip("pandas", reason="pandas is not installed")

import dask  # noqa: E402

from escalate.errors import ArgumentError, NaiveDatetimeError, PolicyError  # noqa: E402
from escalate.integrations import (  # noqa: E402
    PolicySource,
    WorkerError,
    _worker,
)
from escalate.integrations.dask import (  # noqa: E402
    COLUMNS,
    evaluate_bag,
    evaluate_frame,
    replay_log,
)

from .conftest import (  # noqa: E402
    LOGS,
    NOW,
    ROOT,
    UCI_LOG_MAPPING,
    cli_replay_json,
    corpus,
    expected_decisions,
    expected_replay,
    interleaved_log,
    numbered_rows,
    run_example,
)


@pytest.fixture(scope="module", autouse=True)
def processes() -> Iterator[None]:
    """Two worker processes for every computation of the module."""
    with (
        ProcessPoolExecutor(2) as pool,
        dask.config.set(scheduler="processes", pool=pool),
    ):
        yield


def test_a_bag_of_tickets_gives_each_decision_byte_for_byte(pack_source: PolicySource) -> None:
    tickets = corpus()
    records = evaluate_bag(pack_source, db.from_sequence(tickets, npartitions=4), NOW).compute()
    assert [t["id"] for t in tickets] == [r["ticket_id"] for r in records]
    assert expected_decisions(tickets) == {r["ticket_id"]: r["decision"] for r in records}
    for record in records:
        decision = json.loads(record["decision"])
        assert decision["next_evaluation_at"] == record["next_evaluation_at"]
        assert len(decision["actions"]) == record["actions"]
    assert any(r["actions"] for r in records)  # the corpus has due actions to compare


def test_tickets_given_as_json_text_decide_as_mappings(pack_source: PolicySource) -> None:
    tickets = corpus()[:8]
    texts = db.from_sequence([json.dumps(t) for t in tickets], npartitions=2)
    records = evaluate_bag(pack_source, texts, NOW).compute()
    assert expected_decisions(tickets) == {r["ticket_id"]: r["decision"] for r in records}


def test_a_dataframe_column_of_ticket_json_gives_a_frame_of_decisions(
    pack_source: PolicySource,
) -> None:
    tickets = corpus()
    frame = pd.DataFrame(
        {"ticket": [json.dumps(t) for t in tickets], "team": ["a"] * len(tickets)},
        index=pd.RangeIndex(100, 100 + len(tickets)),
    )
    result = evaluate_frame(pack_source, dd.from_pandas(frame, npartitions=3), NOW).compute()
    assert list(COLUMNS) == list(result.columns)
    assert list(frame.index) == list(result.index)
    expected = expected_decisions(tickets)
    assert expected == dict(zip(result["ticket_id"], result["decision"], strict=True))
    assert [len(json.loads(d)["actions"]) for d in result["decision"]] == list(result["actions"])


def test_a_bad_ticket_fails_the_computation_naming_it(pack_source: PolicySource) -> None:
    tickets = corpus()[:4]
    tickets[2] = {**tickets[2], "id": "BROKEN-7", "priority": "P9000"}
    with pytest.raises(WorkerError, match=r"^ticket BROKEN-7: TicketError: .*P9000") as caught:
        evaluate_bag(pack_source, db.from_sequence(tickets, npartitions=2), NOW).compute()
    assert ("ticket BROKEN-7", "TicketError") == (caught.value.what, caught.value.error)


def test_the_log_replays_to_the_summary_of_one_process(log_source: PolicySource) -> None:
    text = interleaved_log()
    rows = numbered_rows(text)
    shuffled = rows[::-1]  # the workers see rows in an order unlike the log's
    result = replay_log(log_source, db.from_sequence(shuffled, npartitions=3), UCI_LOG_MAPPING)
    assert expected_replay(text) == result.to_json()
    assert 14 == len(result.incidents)
    assert {"before-opened", "backwards", "duplicate-mod-count", "invalid-state"} == {
        a.kind for a in result.anomalies
    }
    # INC3's first row (the 8th) is before it opened: lines 30-33 in the interleaved log
    opened = [a.line for a in result.anomalies if a.kind == "before-opened"]
    assert [30, 31, 32, 33] == opened
    # INC5's sys_mod_count 1 is on its 2nd and 3rd rows: lines 49 and 51, and says so
    (repeat,) = (a for a in result.anomalies if a.kind == "duplicate-mod-count" and "5" in a.number)
    assert (51, "sys_mod_count 1 also on line 49") == (repeat.line, repeat.detail.split(":")[0])


def test_a_row_that_cannot_be_read_names_the_incident_and_its_line_in_the_log(
    log_source: PolicySource,
) -> None:
    rows = numbered_rows(interleaved_log())
    line, row = rows[5]
    rows[5] = (line, {**row, "sys_mod_count": "many"})
    with pytest.raises(
        WorkerError, match=rf"^incident {row['number']}: LogError: sys_mod_count: line {line}: "
    ):
        replay_log(log_source, db.from_sequence(rows, npartitions=2), UCI_LOG_MAPPING)


def test_each_worker_process_compiles_the_policy_once(pack_source: PolicySource) -> None:
    tickets = db.from_sequence(corpus(), npartitions=8)

    def compiled_here(records: list[Any]) -> list[tuple[int, int]]:
        return [(os.getpid(), _worker.compilations(pack_source))]

    per_process = dict(evaluate_bag(pack_source, tickets, NOW).map_partitions(compiled_here))
    assert per_process and all(count == 1 for count in per_process.values())


def test_bad_arguments_fail_before_any_task_runs(pack_source: PolicySource) -> None:
    bag = db.from_sequence(corpus()[:2])
    with pytest.raises(NaiveDatetimeError):
        evaluate_bag(pack_source, bag, datetime(2024, 11, 20, 15))
    with pytest.raises(ArgumentError, match="PolicySource"):
        evaluate_bag("rules/itil-default.yaml", bag, NOW)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="no column 'tickets'"):
        frame = dd.from_pandas(pd.DataFrame({"ticket": ["{}"]}), npartitions=1)
        evaluate_frame(pack_source, frame, NOW, ticket_column="tickets")
    with pytest.raises(ArgumentError, match="nope"):
        replay_log(PolicySource.from_path(LOGS / "policy.yaml"), bag, UCI_LOG_MAPPING, clock="nope")
    with pytest.raises(PolicyError):
        PolicySource.from_text("policy: p\nversion: 1\nclocks: 7\n")


def test_the_example_prints_the_summary_escalate_replay_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.csv"
    log.write_text(interleaved_log(), encoding="utf-8")
    policy = LOGS / "policy.yaml"
    argv = [str(log), "--policy", str(policy), "--time-zone", "UTC", "--json", "--partitions", "2"]
    assert 0 == run_example(ROOT / "examples" / "dask" / "replay_log.py", argv)
    found = json.loads(capsys.readouterr().out)
    assert found.pop("throughput")["evaluations_per_second"] > 0
    assert cli_replay_json(log, policy, capsys) == found
