"""The escalation report: its data on hand-checked corpora, its page, and ``escalate report``.

Corpus (tests/learning/corpus.py, decided at NOW): path ``desk`` starts on open for all five
tickets; T2 reaches L2 at Mon 03-04 11:00 (1h after opening), T4 reaches L2 at Thu 03-07
00:30 (1h after opening) and L3 at 02:30. So 2 of 5 escalated; the funnel is L1 5, L2 2,
L3 1; both first escalations fall in the bin "1h to 2h"; the heat map of escalations has
Monday 11h, Thursday 0h and Thursday 2h once each. Openings span Mon 03-04 to Fri 03-08:
one ISO week, 2024-W10; P1 (T1, T2, T5) has one ticket with a breached clock (T2), P3 (T3,
T4) one (T4).

The log (tests/adapters/fixtures/servicenow/logs/three-incidents.csv, its policy.yaml: desk
L1 -(2h)-> L2, resolution P3 4h): INC1 opened Tue 2016-03-01 09:00, resolved 12:00 (L2 at
11:00), last row 03-02 12:00; INC2 opened 09:00, Group A -> B -> A, still active at its last
row 15:00 (L2 at 11:00, resolution breached at 13:00); INC3 opened 03-02 09:00, resolved,
closed and reopened at 11:00, its last row (a new cycle: at L1, nothing breached).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main
from escalate.errors import ArgumentError, MissingExtraError

from .corpus import NOW, POLICY, POLICY_TEXT, TICKETS, ev, ticket

matplotlib = pytest.importorskip("matplotlib", reason="the 'report' extra is not installed")
report = importlib.import_module("escalate.learning.report")

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "tests" / "adapters" / "fixtures" / "servicenow" / "logs"
LOG_POLICY = str(LOGS / "policy.yaml")
LOG = str(LOGS / "three-incidents.csv")


def data_of(tickets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    decisions = [POLICY.evaluate(t, now=NOW) for t in tickets]
    result: dict[str, Any] = report.report_data(decisions, POLICY, **options)
    return result


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return data_of(TICKETS)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- the data ----------------------------------------------------------------------------------


def test_the_funnel_counts_every_ticket_then_each_level_reached(data: dict[str, Any]) -> None:
    funnel = data["funnel"]
    levels = [(lv["level"], lv["count"]) for lv in funnel["paths"][0]["levels"]]
    assert (5, 2, "desk", [("L1", 5), ("L2", 2), ("L3", 1)]) == (
        funnel["tickets"],
        funnel["escalated"],
        funnel["paths"][0]["path"],
        levels,
    )


def test_the_time_to_escalate_histogram_bins_each_first_escalation(data: dict[str, Any]) -> None:
    found = data["time_to_escalate"]
    counts = {b["label"]: b["tickets"] for b in found["bins"]}
    assert (2, 3) == (found["escalated"], found["never"])
    assert {"1h to 2h": 2} == {label: n for label, n in counts.items() if n}
    assert [
        "under 15m",
        "15m to 30m",
        "30m to 1h",
        "1h to 2h",
        "2h to 4h",
        "4h to 8h",
        "8h to 1d",
        "1d to 3d",
        "3d to 7d",
        "7d or more",
    ] == list(counts)


def test_a_first_escalation_on_a_bin_edge_falls_in_the_bin_it_opens() -> None:
    # T2 escalates exactly 1h after opening: "1h to 2h", not "30m to 1h".
    found = data_of([TICKETS[1]])["time_to_escalate"]["bins"]
    assert ["1h to 2h"] == [b["label"] for b in found if b["tickets"]]


def test_the_heat_map_counts_escalations_by_weekday_and_hour(data: dict[str, Any]) -> None:
    heat = data["heat_map"]
    cells = {
        (day, hour): n
        for day, row in enumerate(heat["escalations"])
        for hour, n in enumerate(row)
        if n
    }
    assert ("escalations", "UTC", {(0, 11): 1, (3, 0): 1, (3, 2): 1}) == (
        heat["shown"],
        heat["zone"],
        cells,
    )


def test_the_heat_map_hours_are_local_to_the_zone() -> None:
    heat = data_of(TICKETS, zone="Europe/Berlin")["heat_map"]
    cells = {
        (day, hour)
        for day, row in enumerate(heat["escalations"])
        for hour, n in enumerate(row)
        if n
    }
    assert {(0, 12), (3, 1), (3, 3)} == cells  # CET is UTC+1 in March before the 31st


def test_breach_rate_by_priority_per_week(data: dict[str, Any]) -> None:
    rows = data["breach_by_priority"]["rows"]
    assert ("week", ["2024-W10"]) == (data["period"], data["breach_by_priority"]["periods"])
    assert [("2024-W10", "P1", 3, "1/3"), ("2024-W10", "P3", 2, "1/2")] == [
        (r["period"], r["priority"], r["tickets"], r["any_clock"]["rate"]) for r in rows
    ]
    assert {"resolution": "1/3", "response": "1/3"} == {
        clock: share["rate"] for clock, share in rows[0]["clocks"].items()
    }


def test_the_period_can_be_months() -> None:
    found = data_of(TICKETS, period="month")["breach_by_priority"]
    assert ("month", ["2024-03"]) == (found["period"], found["periods"])


def test_the_ping_pong_graph_counts_each_return_as_an_edge_into_the_group_returned_to() -> None:
    # X: A -> B -> A -> B (returns: to A from B, to B from A); Y: A -> B -> A -> C -> A
    # (returns: to A from B, to A from C). A pair's edges add up to its returns.
    def moves(*groups: str) -> list[dict[str, Any]]:
        return [ev(f"04T1{n}:00", "assigned", group=g) for n, g in enumerate(groups)]

    x = ticket("X", "04T10:00", "P3", *moves("A", "B", "A", "B"))
    y = ticket("Y", "04T10:00", "P3", *moves("A", "B", "A", "C", "A"))
    found = data_of([x, y])
    graph = found["ping_pong"]
    assert ["A", "B", "C"] == graph["nodes"]
    assert [
        {"from": "B", "to": "A", "bounces": 2, "tickets": 2},
        {"from": "A", "to": "B", "bounces": 1, "tickets": 1},
        {"from": "C", "to": "A", "bounces": 1, "tickets": 1},
    ] == graph["edges"]
    assert [(["A", "B"], 3), (["A", "C"], 1)] == [
        (p["pair"], p["returns"]) for p in found["patterns"]["ping_pong"]
    ]


def test_the_headline_kpis_are_those_of_the_learning_kpis(data: dict[str, Any]) -> None:
    k = data["kpis"]["all"]
    # reopen rate: 1 reopened of the 4 tickets ever resolved (the fifth is still open)
    assert ("1h", "5h", "2/5", "1/4") == (
        k["mttr"]["p50"],
        k["mttr"]["p90"],
        k["breaches"]["resolution"]["rate"],
        k["reopen_rate"],
    )
    assert ["P1", "P3"] == [g["key"] for g in data["kpis"]["by_priority"]]
    # the headline's reopen share is the reopen rate: of the tickets ever resolved
    assert ("2/5", "1/4") == (
        data["headline"]["escalated"]["rate"],
        data["headline"]["reopened"]["rate"],
    )


def test_recurrence_uses_the_fingerprint_fields(data: dict[str, Any]) -> None:
    # T2 (mail/outage/smtp) opened after T1's fix at 09:00 the same day; T4 (db/slow/query)
    # opened after T3's fixes. T5 has no category: no fingerprint by default.
    found = data["patterns"]["recurrences"]
    assert (4, 2) == (found["with_fingerprint"], found["recurred"])
    only_service = data_of(TICKETS, fingerprint=("service",))["patterns"]["recurrences"]
    assert (5, 3) == (only_service["with_fingerprint"], only_service["recurred"])


def test_the_note_says_the_policy_the_instants_and_the_count(data: dict[str, Any]) -> None:
    assert (
        "kpis",
        "1",
        5,
        {"first": NOW.isoformat(), "last": NOW.isoformat()},
        {"first": "2024-03-04T08:00:00+00:00", "last": "2024-03-08T12:00:00+00:00"},
    ) == (
        data["policy"]["id"],
        data["policy"]["version"],
        data["tickets"],
        data["decided_at"],
        data["opened"],
    )


def test_the_data_is_json_and_does_not_depend_on_the_order_of_the_decisions() -> None:
    forward = data_of(TICKETS)
    backward = data_of(list(reversed(TICKETS)))
    assert json.dumps(forward, sort_keys=True) == json.dumps(backward, sort_keys=True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"zone": "Mars/Olympus"}, "zone 'Mars/Olympus' is not an IANA time zone"),
        ({"period": "day"}, "unknown period 'day' (periods: week, month)"),
        ({"fingerprint": ("colour",)}, "unknown fingerprint field 'colour'"),
    ],
)
def test_a_bad_option_is_an_argument_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        data_of(TICKETS, **options)
    assert message in str(caught.value)


def test_no_decision_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="at least one decided ticket"):
        report.report_data([], POLICY)


def test_the_period_is_weeks_under_a_quarter_and_months_from_one() -> None:
    from datetime import timedelta

    start = NOW
    assert ("week", "month") == (
        report.choose_period(start, start + timedelta(weeks=13) - timedelta(microseconds=1)),
        report.choose_period(start, start + timedelta(weeks=13)),
    )


# -- the page ----------------------------------------------------------------------------------


def test_the_same_data_gives_the_same_page_byte_for_byte(data: dict[str, Any]) -> None:
    first = report.render_html(data)
    assert first == report.render_html(data_of(list(reversed(TICKETS))))


def test_the_page_is_self_contained(data: dict[str, Any]) -> None:
    page = report.render_html(data)
    links = [part.split('"', 1)[0] for part in page.split('href="')[1:]]
    urls = [part.split(")", 1)[0] for part in page.split("url(")[1:]]
    assert (0, 0, 0, 5) == (
        page.count("<script"),
        page.count(" src="),
        page.count("@import"),
        page.count("<svg "),
    )
    assert all(link.startswith("#") for link in links + urls), (links, urls)


def test_the_page_writes_no_date_and_no_creator(data: dict[str, Any]) -> None:
    page = report.render_html(data)
    assert (0, 0) == (page.count("<dc:date>"), page.count("Matplotlib v"))


def test_each_plot_has_a_heading_and_a_caption(data: dict[str, Any]) -> None:
    page = report.render_html(data)
    for name in ("funnel", "time-to-escalate", "breach-rate", "ping-pong", "heat-map"):
        figure = page.split(f'id="plot-{name}"', 1)[1].split("</figure>", 1)[0]
        assert ("<h2>", "<svg ", "<figcaption>") == tuple(
            tag for tag in ("<h2>", "<svg ", "<figcaption>") if tag in figure
        ), name


def test_the_page_escapes_text_from_tickets() -> None:
    hostile = "<script>alert(1)</script>"
    moves = [ev(f"04T1{n}:00", "assigned", group=g) for n, g in enumerate((hostile, "B", hostile))]
    page = report.render_html(data_of([ticket("X", "04T10:00", "P3", *moves)]))
    assert (0, True) == (page.count("<script"), "&lt;script&gt;" in page)


def test_drawing_leaves_matplotlibs_settings_as_they_were(data: dict[str, Any]) -> None:
    before = dict(matplotlib.rcParams)
    report.render_html(data)
    assert before == dict(matplotlib.rcParams)


def test_without_matplotlib_the_import_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    monkeypatch.delitem(sys.modules, "escalate.learning.report")
    with pytest.raises(MissingExtraError) as caught:
        importlib.import_module("escalate.learning.report")
    assert "pip install 'escalate[report]'" in str(caught.value)
    assert isinstance(caught.value, ImportError)


# -- escalate report -----------------------------------------------------------------------------


def test_the_command_writes_the_page_and_the_data_of_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page, data = tmp_path / "r.html", tmp_path / "r.json"
    argv = ["report", "--policy", LOG_POLICY, "--servicenow", LOG, "--time-zone", "UTC"]
    code, out, err = run([*argv, "--out", str(page), "--json", str(data), "--quiet"], capsys)
    found = json.loads(data.read_text(encoding="utf-8"))
    assert (0, "") == (code, err)
    assert f"wrote {page}\nwrote {data}\n" in out
    assert report.render_html(found) == page.read_text(encoding="utf-8")
    escalations = [
        (day, hour, n)
        for day, row in enumerate(found["heat_map"]["escalations"])
        for hour, n in enumerate(row)
        if n
    ]
    assert (
        {"first": "2016-03-01T15:00:00+00:00", "last": "2016-03-02T12:00:00+00:00"},
        [("L1", 3), ("L2", 2)],
        [("2h to 4h", 2)],
        [{"from": "Group B", "to": "Group A", "bounces": 1, "tickets": 1}],
        [(1, 11, 2)],
        [("2016-W09", "P3", "1/3")],
    ) == (
        found["decided_at"],
        [(lv["level"], lv["count"]) for lv in found["funnel"]["paths"][0]["levels"]],
        [(b["label"], b["tickets"]) for b in found["time_to_escalate"]["bins"] if b["tickets"]],
        found["ping_pong"]["edges"],
        escalations,
        [
            (r["period"], r["priority"], r["any_clock"]["rate"])
            for r in found["breach_by_priority"]["rows"]
        ],
    )


def test_json_on_stdout_is_the_data_and_the_same_run_gives_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--policy", LOG_POLICY, "--servicenow", LOG, "--time-zone", "UTC"]
    first = run([*argv, "--json", "--out", str(tmp_path / "a.html")], capsys)
    second = run([*argv, "--json", "--out", str(tmp_path / "b.html")], capsys)
    assert (0, "") == (first[0], first[2])
    assert first == second
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert 3 == json.loads(first[1])["tickets"]


def test_a_corpus_is_decided_at_the_instant_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_text("".join(json.dumps(t) + "\n" for t in TICKETS), encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_TEXT, encoding="utf-8")
    argv = ["report", "--policy", str(policy), "--tickets", str(corpus)]
    code, out, _ = run([*argv, "--at", NOW.isoformat(), "--json"], capsys)
    found = json.loads(out)
    expected = data_of(TICKETS, source=f"the tickets of {corpus}, decided at {NOW.isoformat()}")
    assert (0, expected) == (code, found)
    assert found == json.loads(run([*argv, "--now", NOW.isoformat(), "--json"], capsys)[1])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--out: give --out FILE (the page), --json [FILE] (the data), or both"),
        (["--json", "--time-zone", "Mars/Olympus"], "--time-zone: unknown time zone"),
        (["--json", "--zone", "europe/berlin"], "--zone: unknown time zone 'europe/berlin' (did"),
        (["--json", "--fingerprint", "colour"], "--fingerprint: unknown fingerprint field"),
        (["--json", "--at", "2024-03-10T00:00:00Z"], "--at: a log's incidents are each decided"),
        (
            ["--out", "/nonexistent-folder/r.html"],
            "--out: cannot write '/nonexistent-folder/r.html': no folder '/nonexistent-folder'",
        ),
    ],
)
def test_a_log_command_error_is_one_line_naming_the_option(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--policy", LOG_POLICY, "--servicenow", LOG]
    if "--time-zone" not in extra:
        extra = [*extra, "--time-zone", "UTC"]
    code, out, err = run([*argv, *extra], capsys)
    assert (2, "", 1, True) == (code, out, err.count("\n"), message in err), err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tickets", "x.jsonl", "--json"], "--at: --tickets needs the instant"),
        (["--servicenow", LOG, "--json"], "--time-zone: --servicenow needs the zone"),
        (["--tickets", "x", "--servicenow", LOG, "--json"], "not allowed with argument"),
        (["--json"], "one of the arguments --tickets --servicenow is required"),
    ],
)
def test_a_source_error_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["report", "--policy", LOG_POLICY, *argv], capsys)
    assert (2, "", 1, True) == (code, out, err.count("\n"), message in err), err


def test_a_ticket_the_policy_refuses_names_where_it_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_text(json.dumps({"id": "T1"}) + "\n", encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_TEXT, encoding="utf-8")
    argv = ["report", "--policy", str(policy), "--tickets", str(corpus), "--at", NOW.isoformat()]
    code, _, err = run([*argv, "--json"], capsys)
    assert (2, True) == (code, err.startswith(f"escalate: error: {corpus}:1: "))


def test_without_matplotlib_the_command_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "escalate.learning.report")
    monkeypatch.delattr(sys.modules["escalate.learning"], "report")  # imported: not again
    argv = ["report", "--policy", LOG_POLICY, "--servicenow", LOG, "--time-zone", "UTC"]
    code, out, err = run([*argv, "--json"], capsys)
    assert (2, "") == (code, out)
    assert err.startswith("escalate: error: escalate report: escalate.learning.report needs ")
    assert err.endswith("pip install 'escalate[report]'\n")
