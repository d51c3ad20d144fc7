"""``escalate demo``: runs from any folder on the shipped pack and examples, shows the policy's
own clocks and paths, explains its markers, and prints JSON with ``--json``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from escalate.cli import main

ROOT = Path(__file__).parent.parent
PACK = ROOT / "rules" / "itil-default.yaml"
TICKETS = ROOT / "examples" / "tickets"
AT = "2024-11-20T15:00:00+00:00"

OWN_POLICY = """policy: own
version: 3
clocks:
  triage:
    stop: {event: acknowledged}
    targets: {default: {within: 1h}}
  fix:
    start: {status: [in-progress]}
    stop: {status: [resolved]}
    targets: {P1: {within: 8h}}
paths:
  duty:
    kind: vertical
    levels:
      - {name: first, targets: ["team:desk"], after: 20m}
      - {name: second, targets: ["team:experts"]}
"""
OWN_TICKET = {"id": "T7", "opened_at": "2024-11-20T14:00:00+00:00", "priority": "P2"}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def own_files(tmp_path: Path) -> tuple[str, str]:
    policy = tmp_path / "own.yaml"
    policy.write_text(OWN_POLICY)
    tickets = tmp_path / "tickets"
    tickets.mkdir()
    (tickets / "T7.json").write_text(json.dumps(OWN_TICKET))
    return str(policy), str(tickets)


def table(out: str) -> list[list[str]]:
    """The table's rows (header first), cells split on runs of two or more spaces."""
    lines = out.split("\n\n")[1].splitlines()
    return [[cell.strip() for cell in line.split("  ") if cell] for line in [lines[0], *lines[2:]]]


def test_the_demo_runs_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["demo"], capsys)
    names = sorted(p.stem for p in TICKETS.glob("*.json"))
    assert (0, "policy itil-default v1", names) == (
        code,
        out[: len("policy itil-default v1")],
        [row[0] for row in table(out)[1:]],
    )


def test_the_installed_command_runs_the_demo_from_any_folder(tmp_path: Path) -> None:
    escalate = Path(sys.executable).parent / "escalate"
    done = subprocess.run(
        [str(escalate), "demo", "--json"], cwd=tmp_path, capture_output=True, check=False
    )
    assert (0, 6) == (done.returncode, len(json.loads(done.stdout)["decisions"]))


def test_the_bundled_data_is_the_repositorys_one_copy() -> None:
    data = ROOT / "src" / "escalate" / "_data"
    assert [True, True, True] == [
        (data / "itil-default.yaml").resolve() == PACK.resolve(),
        (data / "availability.json").resolve() == (ROOT / "examples" / "availability.json"),
        (data / "tickets").resolve() == TICKETS.resolve(),
    ]


def test_the_bundled_availability_comes_with_the_bundled_tickets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # examples/availability.json has sofia.rossi on sick leave: her backup is paged instead.
    _, out, _ = run(["demo", "--json"], capsys)
    notes = [n for d in json.loads(out)["decisions"] for a in d["actions"] for n in a["notes"]]
    assert True is any("sofia.rossi" in note and "sick leave" in note for note in notes)


def test_own_tickets_are_evaluated_without_the_bundled_availability(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(["demo", "--json", "--tickets", str(TICKETS)], capsys)
    notes = [n for d in json.loads(out)["decisions"] for a in d["actions"] for n in a["notes"]]
    assert False is any("sick leave" in note for note in notes)


def test_the_columns_are_the_policys_own_clocks_and_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, tickets = own_files(tmp_path)
    code, out, _ = run(["demo", "--policy", policy, "--tickets", tickets, "--at", AT], capsys)
    assert (
        0,
        ["ticket", "prio", "fix", "triage", "duty", "due actions", "next evaluation"],
        ["T7", "P2", "-", "100.00% running", "second", "escalate*", "-"],
    ) == (code, *table(out))


def test_a_clock_that_has_not_started_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, tickets = own_files(tmp_path)
    (Path(tickets) / "T7.json").write_text(json.dumps({**OWN_TICKET, "priority": "P1"}))
    _, out, _ = run(["demo", "--policy", policy, "--tickets", tickets, "--at", AT], capsys)
    assert "not started" == table(out)[1][2]


def test_the_legend_explains_every_marker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, tickets = own_files(tmp_path)
    _, out, _ = run(["demo", "--policy", policy, "--tickets", tickets, "--at", AT], capsys)
    legend = out.split("\n\n")[2].splitlines()
    assert [
        "legend:",
        "  fix, triage (clocks): the share of the target elapsed and the clock's state; "
        "'not started': its start has not happened; '-': no target for the priority",
        "  duty (paths): the current level; '-': the path is not active",
        "  due actions: '*' marks a late action (it was due before --at)",
        "  next evaluation: when the decision next changes without new events; '-': never",
    ] == legend


def test_json_prints_every_decision_as_one_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, tickets = own_files(tmp_path)
    argv = ["demo", "--policy", policy, "--tickets", tickets, "--at", AT, "--json"]
    code, out, _ = run(argv, capsys)
    document = json.loads(out)
    assert (0, ["at", "decisions", "policy"], AT, ["own", "3"], ["T7"]) == (
        code,
        sorted(document),
        document["at"],
        [document["policy"]["id"], document["policy"]["version"]],
        [d["ticket"] for d in document["decisions"]],
    )


def test_a_mistyped_availability_is_an_error_not_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["demo", "--availability", "availabilty.json"], capsys)
    assert (2, "", 1, True) == (code, out, err.count("\n"), "--availability" in err)


def test_a_built_wheel_holds_the_pack_and_the_examples(tmp_path: Path) -> None:
    # The project copied with its links, so the build writes nothing into the working tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("src", "rules", "examples"):
        shutil.copytree(
            ROOT / name,
            source / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"),
            *("--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(source)),
        ],
        capture_output=True,
        check=False,
        text=True,
    )
    assert 0 == done.returncode, done.stderr
    (wheel,) = (tmp_path / "dist").glob("escalate-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "escalate/_data/itil-default.yaml",
        "escalate/_data/availability.json",
        *(f"escalate/_data/tickets/{p.name}" for p in TICKETS.glob("*.json")),
    }
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("escalate/_data/itil-default.yaml")
    assert (set(), PACK.read_bytes()) == (expected - names, shipped)
