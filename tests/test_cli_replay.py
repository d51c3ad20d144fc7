"""``escalate replay``: a ServiceNow log replayed from the command line (docs/cli.md)."""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

import escalate
from escalate.adapters.servicenow import UCI_LOG_MAPPING, read_log, replay
from escalate.cli import main, parser

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "tests" / "adapters" / "fixtures" / "servicenow" / "logs"
POLICY = str(LOGS / "policy.yaml")
LOG = str(LOGS / "three-incidents.csv")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def replay_argv(*extra: str, log: str = LOG) -> list[str]:
    return ["replay", "--policy", POLICY, "--servicenow", log, "--time-zone", "UTC", *extra]


def test_the_command_takes_json() -> None:
    sub = next(a for a in parser()._actions if a.dest == "command")
    options = {o for a in sub.choices["replay"]._actions for o in a.option_strings}  # type: ignore[attr-defined]
    assert {"--json", "--time-zone", "--servicenow", "--policy"} <= options


def test_json_is_the_librarys_summary_plus_the_measured_throughput(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(replay_argv("--json"), capsys)
    document = json.loads(out)
    throughput = document.pop("throughput")
    with open(LOG, encoding="utf-8", newline="") as stream:
        reading = read_log(csv.DictReader(stream), UCI_LOG_MAPPING)
    expected = replay(escalate.load(POLICY), reading).to_dict()
    assert (0, expected, "") == (code, document, err)
    assert {"evaluations_per_second", "wall_seconds", "workers"} == set(throughput)


def test_the_text_summary_answers_each_question(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(replay_argv("--quiet"), capsys)
    assert 0 == code
    for line in (
        "incidents: 3 (2 closed, 1 open at their last row, 0 stopped early) from 11 rows",
        "level entries by path: 5",
        "  desk: L1 3, L2 2",
        "  P3           1          0         0        2        0    100.00%",
        "ping-pong (a group, another, the first again): 1 incident",
        "  INC2: Group A -> Group B -> Group A",
        "time to first escalation: 2 incidents escalated, 1 never; min 2h, p50 2h, p90 2h, "
        "p99 2h, max 2h",
        "late actions: 2 of 5 (2 due before the incident's first row); lateness min 1h, "
        "p50 1h, p90 1h, p99 1h, max 1h",
        "duplicate actions: 0",
        "log anomalies (handled by the mapping's rules): before-opened 1",
        "  INC3 line 9: before-opened (clamp): updated before opened_at '2/3/2016 09:00': read "
        "as opened_at, ahead of the rows updated after it",
        "counters (reassignments, reopens): the decisions used the servicenow ones; "
        "ServiceNow's and the derived ones disagree on 1 incident",
    ):
        assert line in out.splitlines()
    assert out.splitlines()[2].startswith("evaluations: 12 (10 at updates, 2 at wake-ups); ")


def test_json_writes_agreement_as_calibrate_does_and_lists_every_anomaly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = json.loads(run(replay_argv("--json"), capsys)[1])
    assert "100.00" == document["breaches"]["total"]["agreement"]  # no '%', as calibrate
    assert "servicenow" == document["counters"]["used"]
    anomalies = document["anomalies"]
    assert (1, {"before-opened": 1}) == (anomalies["count"], anomalies["by_kind"])
    assert [("INC3", 9, "before-opened", "clamp", "2/3/2016 08:55")] == [
        (a["number"], a["line"], a["kind"], a["rule"], a["value"]) for a in anomalies["cases"]
    ]


def test_a_zipped_log_replays_as_the_csv_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zipped = tmp_path / "log.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(LOG, "incident_event_log.csv")
    _, from_csv, _ = run(replay_argv("--json"), capsys)
    _, from_zip, _ = run(replay_argv("--json", log=str(zipped)), capsys)
    strip = [json.loads(o) for o in (from_csv, from_zip)]
    for document in strip:
        del document["throughput"]
    assert strip[0] == strip[1]


def test_progress_goes_to_stderr_as_plain_lines_when_it_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, err = run(replay_argv(), capsys)
    assert [
        "escalate: read 11 rows, 3 incidents; replaying",
        "escalate: replayed 1 of 3 incidents",
        "escalate: replayed 2 of 3 incidents",
        "escalate: replayed 3 of 3 incidents",
    ] == err.splitlines()


def test_quiet_and_json_keep_stderr_for_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert ["", ""] == [run(replay_argv(option), capsys)[2] for option in ("--quiet", "--json")]


def test_an_incident_stopped_early_exits_1_and_is_listed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(replay_argv("--quiet", "--max-steps", "4"), capsys)
    assert 1 == code
    assert "stopped early: 1 incident" in out.splitlines()
    assert any(
        line.startswith("  INC1 at 2016-03-02T12:00:00+00:00: step-cap:")
        for line in out.splitlines()
    )


def test_the_time_zone_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["replay", "--policy", POLICY, "--servicenow", LOG]
    code, out, err = run(argv, capsys)
    assert (2, "", True) == (code, out, "--time-zone" in err)


def test_an_unknown_time_zone_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["replay", "--policy", POLICY, "--servicenow", LOG, "--time-zone", "Mars/Olympus"]
    assert (
        2,
        "",
        "escalate: error: --time-zone: unknown time zone 'Mars/Olympus'\n",
    ) == run(argv, capsys)


def test_a_date_format_escalate_cannot_read_names_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(replay_argv("--date-format", "d/M/yyyy"), capsys)
    assert (2, True) == (code, err.startswith("escalate: error: --date-format: date_format"))


def test_a_missing_log_is_one_line_naming_the_option_and_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.csv")
    assert (
        2,
        "",
        f"escalate: error: --servicenow: cannot read log {missing!r}: No such file or directory\n",
    ) == run(replay_argv(log=missing), capsys)


def test_a_row_that_cannot_be_read_names_the_file_and_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    lines = Path(LOG).read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("1/3/2016 12:00", "2016-03-01 12:00")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # (--quiet: the progress line that the rows were read comes before an incident's error.)
    code, out, err = run(replay_argv("--quiet", log=str(bad)), capsys)
    assert (2, "", 1) == (code, out, err.count("\n"))
    assert (
        f"escalate: error: --servicenow: {bad}:4: sys_updated_at: expected a date-time like "
        "d/M/yyyy H:mm (got '2016-03-01 12:00')\n"
    ) == err


def test_an_unknown_clock_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(replay_argv("--quiet", "--clock", "response"), capsys)
    assert (
        2,
        "escalate: error: --clock: policy 'replay-fixture' has no clock 'response' (it has: "
        "resolution)\n",
    ) == (code, err)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm", reason="the 'progress' extra (tqdm) is not installed")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert 0 == main(replay_argv("--json"))
    written = terminal.getvalue()
    assert "escalate: read 11 rows, 3 incidents; replaying\n" in written
    assert "escalate replay: 100%" in written
    assert "3/3" in written


def test_on_a_terminal_without_tqdm_progress_is_plain_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    assert 0 == main(replay_argv("--json"))
    assert "escalate: replayed 3 of 3 incidents\n" in terminal.getvalue()


def test_a_case_file_given_as_the_policy_is_said_to_be_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = str(ROOT / "rules" / "itil-default.cases.yaml")
    argv = ["replay", "--policy", cases, "--servicenow", LOG, "--time-zone", "UTC"]
    assert (
        2,
        "",
        f"escalate: error: --policy: {cases}: this is a case file (escalate test reads it), "
        "not a policy\n",
    ) == run(argv, capsys)
    data = (ROOT / "rules" / "itil-default.cases.yaml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, _, err = run([*argv[:2], "-", *argv[3:]], capsys)
    assert (2, True) == (
        code,
        err.endswith("<stdin>: this is a case file (escalate test reads it), not a policy\n"),
    )


def test_a_policy_with_a_stray_cases_key_is_not_taken_for_a_case_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("policy: p\nversion: 1\ncases: []\n", encoding="utf-8")
    code, _, err = run(
        ["replay", "--policy", str(path), "--servicenow", LOG, "--time-zone", "UTC"], capsys
    )
    assert (2, True) == (code, "cases: unknown key 'cases'" in err)
