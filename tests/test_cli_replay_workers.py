"""``escalate replay --workers N``: the incidents read and replayed in N processes give the
summary, and the errors, of one process (docs/cli.md)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import pickle
from pathlib import Path

import pytest

import escalate
from escalate.adapters.servicenow import UCI_LOG_MAPPING, read_log, replay
from escalate.adapters.servicenow._log import IncidentReader, group_rows
from escalate.adapters.servicenow._replay import Replayer
from escalate.cli import main
from escalate.cli._servicenow_log import read_log_file
from escalate.errors import ArgumentError, EscalateError

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "tests" / "adapters" / "fixtures" / "servicenow" / "logs"
POLICY = str(LOGS / "policy.yaml")
LOG = LOGS / "three-incidents.csv"


def many_incidents(copies: int) -> str:
    """The three incidents of the fixture log ``copies`` times under other numbers, the
    copies' rows interleaved (an incident's rows are not together in the log)."""
    header, *rows = LOG.read_text(encoding="utf-8").splitlines()
    out = [header]
    for i, row in enumerate(rows):
        for copy in range(copies):
            number, rest = row.split(",", 1)
            out.append(f"{number}-{copy:02d},{rest}")
        if i == 5:  # a row of every copy of INC2 before the rest of INC1's copies' rows
            out.append(out.pop(1))
    return "\n".join(out) + "\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def argv(log: Path, *extra: str) -> list[str]:
    return ["replay", "--policy", POLICY, "--servicenow", str(log), "--time-zone", "UTC", *extra]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "many.csv"
    path.write_text(many_incidents(12), encoding="utf-8")
    return path


def test_two_workers_give_the_summary_of_one_process(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    documents = []
    for workers in ("1", "2"):
        code, out, _ = run(argv(log, "--json", "--workers", workers), capsys)
        document = json.loads(out)
        assert int(workers) == document.pop("throughput")["workers"]
        documents.append((code, document))
    assert documents[0] == documents[1]
    assert 36 == documents[0][1]["incidents"]["total"]


def test_the_summary_is_the_librarys_on_the_whole_log(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(argv(log, "--json", "--workers", "2"), capsys)
    document = json.loads(out)
    del document["throughput"]
    with log.open(encoding="utf-8", newline="") as stream:
        reading = read_log(csv.DictReader(stream), UCI_LOG_MAPPING)
    assert json.loads(replay(escalate.load(POLICY), reading).to_json()) == document


def test_a_row_that_cannot_be_read_is_the_same_error_with_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two bad rows, in incidents that fall in different partitions: the first in the log's
    # order of incidents is the one reported, as in one process.
    lines = many_incidents(12).splitlines()
    bad = tmp_path / "bad.csv"
    lines[20] = lines[20].replace("3 - Moderate", "\tModerate")
    lines[30] = lines[30].replace("1/3/2016 09:00,Updated", "31/2/2016 09:00,Updated")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EscalateError) as read:  # the whole log read at once, as calibrate does
        read_log_file(str(bad), UCI_LOG_MAPPING)
    expected = (2, "", f"escalate: error: {read.value}\n")
    assert ":31: opened_at: not a date and time" in str(read.value)
    for workers in ("1", "2", "3"):
        assert expected == run(argv(bad, "--json", "--workers", workers), capsys)


@pytest.mark.parametrize("workers", ["0", "-1", "two", "257"])
def test_workers_must_be_a_whole_number_from_one(
    workers: str, log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv(log, "--workers", workers), capsys)
    assert (2, "", True) == (code, out, "argument --workers: expected a whole number" in err)


def test_progress_counts_the_incidents_as_they_come_back_in_order(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = run(argv(log, "--workers", "2"), capsys)
    lines = err.splitlines()
    assert "escalate: read 132 rows, 36 incidents; replaying in 2 processes" == lines[0]
    assert "escalate: replayed 36 of 36 incidents" == lines[-1]


# -- the pieces the workers run -------------------------------------------------------------------


def test_parts_replayed_apart_and_pickled_assemble_into_the_replay_of_the_whole_log() -> None:
    text = many_incidents(3)
    policy = escalate.load(POLICY)
    whole = replay(policy, read_log(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING))
    grouped = group_rows(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING)
    reader = pickle.loads(pickle.dumps(IncidentReader(UCI_LOG_MAPPING, grouped.state_column)))
    replayer = pickle.loads(pickle.dumps(Replayer(policy)))
    parts = [
        pickle.loads(pickle.dumps(replayer.part(reader.read(number, rows))))
        for number, rows in grouped.incidents.items()
    ]
    assert whole.to_json() == Replayer(policy).assemble(parts, rows=grouped.rows).to_json()


def test_a_reader_reads_an_incident_as_read_log_does() -> None:
    text = many_incidents(2)
    reading = read_log(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING)
    grouped = group_rows(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING)
    reader = IncidentReader(UCI_LOG_MAPPING, grouped.state_column)
    apart = [reader.read(number, rows) for number, rows in grouped.incidents.items()]
    assert [(i.number, i.ticket.to_dict(), i.anomalies) for i in reading.incidents] == [
        (i.number, i.ticket.to_dict(), i.anomalies) for i in apart
    ]
    assert (reading.rows, "incident_state") == (grouped.rows, grouped.state_column)


def test_parts_whose_counters_differ_do_not_assemble() -> None:
    text = many_incidents(1)
    replayer = Replayer(escalate.load(POLICY))
    ours = read_log(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING)
    derived = dataclasses.replace(UCI_LOG_MAPPING, counters="derived")
    theirs = read_log(csv.DictReader(io.StringIO(text)), derived)
    parts = [replayer.part(ours.incidents[0]), replayer.part(theirs.incidents[1])]
    with pytest.raises(ArgumentError, match=r"incident 1 \(INC2-00\) carries the derived"):
        replayer.assemble(parts)
