"""The escalation report after its review: each defect found, pinned by a hand-worked case.

Corpus policy (tests/learning/corpus.py): path ``desk`` L1 -(1h)-> L2 -(2h)-> L3 on open, an
acknowledgement holding the level; ``resolution`` P1 4h, P3 24h; all at NOW (Sun 2024-03-10
00:00 UTC) unless said. Each section is headed by the number of the review's item it pins
(the review itself is not in the repository: what each test checks is in its comments).
"""

from __future__ import annotations

import collections
import gc
import html
import importlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate import loads
from escalate.cli import main
from escalate.engine.decision import Decision
from escalate.errors import ArgumentError

from .corpus import JIRA, NOW, POLICY, POLICY_TEXT, TICKETS, ev, ticket

pytest.importorskip("matplotlib", reason="the 'report' extra is not installed")
report = importlib.import_module("escalate.learning.report")
plots = importlib.import_module("escalate.learning._plots")

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "tests" / "adapters" / "fixtures" / "servicenow" / "logs"
LOG = LOGS / "three-incidents.csv"

# A trigger-started path: a rule starts ``major`` at M1 for every P1 ticket.
TRIGGERED = loads(
    """
policy: trig
version: 1
clocks:
  resolution:
    stop: {status: [resolved, closed, cancelled]}
    targets:
      P1: {within: 1h}
paths:
  major:
    kind: vertical
    starts: on-trigger
    levels:
      - {name: M1, targets: ["team:major"]}
rules:
  - id: go
    when: {priority: P1}
    then: {escalate: {path: major, to: M1}}
"""
)

# Segment emea gives path desk three levels of its own.
SEGMENTED = loads(
    """
policy: seg
version: 1
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 1h}
      - {name: L2, targets: ["team:x"]}
segments:
  - id: emea
    when: {region: emea}
    precedence: 10
    paths:
      desk:
        kind: vertical
        levels:
          - {name: E1, targets: ["team:e1"], after: 1h}
          - {name: E2, targets: ["team:e2"], after: 1h}
          - {name: E3, targets: ["team:e3"]}
"""
)

RECURRING_TEXT = """
policy: recur-esc
version: 1
recurrence:
  fingerprint: [service]
  within: 7d
paths:
  problem:
    kind: vertical
    starts: on-trigger
    levels:
      - {name: problem-manager, targets: ["team:problem"]}
rules:
  - id: recurring
    when: {fields.recurrences: {gte: 1}}
    then: {escalate: {path: problem, to: problem-manager}}
"""
RECURRING = loads(RECURRING_TEXT)


def data_of(policy: Any, tickets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    now = options.pop("now", NOW)
    decisions = [policy.evaluate(t, now=now) for t in tickets]
    result: dict[str, Any] = report.report_data(decisions, policy, **options)
    return result


@pytest.fixture(scope="module")
def corpus_page() -> str:
    """The page of the five-ticket corpus, drawn once for the tests that read it."""
    page: str = report.render_html(data_of(POLICY, TICKETS))
    return page


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def cells(grid: list[list[int]]) -> dict[tuple[int, int], int]:
    return {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n}


def moves(*groups: str) -> list[dict[str, Any]]:
    return [ev(f"04T1{n}:00", "assigned", group=g) for n, g in enumerate(groups)]


# -- 1. every escalation, every cycle, trigger-started paths included ---------------------------


def test_a_trigger_started_paths_first_entry_counts_in_the_heat_map_and_the_groups() -> None:
    # Six P1 tickets opened Mon 03-04 08:00 with desk; the rule starts major at M1 at once;
    # none resolved: resolution (1h) breached for all six.
    six = [
        ticket(f"T{i}", "04T08:00", "P1", ev("04T08:00", "assigned", group="desk"))
        for i in range(6)
    ]
    data = data_of(TRIGGERED, six)
    groups = data["patterns"]["breach_by_group"]["groups"]
    assert (6, {(0, 8): 6}) == (
        data["headline"]["escalated"]["count"],
        cells(data["heat_map"]["escalations"]),
    )
    assert [("desk", 6, 6)] == [
        (g["group"], len(g["escalated"]), len(g["breached"])) for g in groups
    ]


def test_the_heat_map_counts_the_escalations_of_earlier_cycles() -> None:
    # Z: L2 Mon 03-04 09:00 (1h unacknowledged), resolved 09:30, reopened Wed 06 08:00 and
    # acknowledged 08:05 (held at L1): one escalation, in the first cycle.
    z = ticket(
        "Z",
        "04T08:00",
        "P3",
        ev("04T08:00", "assigned", group="desk"),
        ev("04T09:30", "resolved"),
        ev("06T08:00", "reopened"),
        ev("06T08:05", "acknowledged", actor="ann"),
    )
    data = data_of(POLICY, [z])
    assert {(0, 9): 1} == cells(data["heat_map"]["escalations"])
    assert ["desk"] == [g["group"] for g in data["patterns"]["breach_by_group"]["groups"]]


# -- 2. recurrence with the policy's statuses ----------------------------------------------------


def test_recurrence_reads_the_policys_statuses() -> None:
    # Jira: A goes to its own status done (category resolved) Mon 09:00; B, the same
    # service/category/subcategory, opens Tue 08:00: B recurred.
    mail = {"service": "mail", "category": "outage", "subcategory": "smtp"}
    a = ticket("A", "04T08:00", "P1", ev("04T09:00", "status-changed", status="done"), **mail)
    a["status"] = "done"
    b = ticket("B", "05T08:00", "P1", **mail)
    found = data_of(JIRA, [a, b])["patterns"]["recurrences"]
    assert (2, 1) == (found["with_fingerprint"], found["recurred"])


# -- 3. the recurrence fields filled before deciding --------------------------------------------


def test_a_corpus_has_its_recurrence_fields_filled_before_it_is_decided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A (mail) fixed 05-01 10:00; B (mail) opens 05-02 09:00: recurrences 1, the rule escalates
    # B to the problem manager, as escalate evaluate does.
    policy = tmp_path / "policy.yaml"
    policy.write_text(RECURRING_TEXT, encoding="utf-8")
    corpus = tmp_path / "tickets.jsonl"
    a = {
        "id": "A",
        "opened_at": "2024-05-01T09:00:00Z",
        "service": "mail",
        "status": "resolved",
        "events": [{"at": "2024-05-01T10:00:00Z", "type": "resolved"}],
    }
    b = {"id": "B", "opened_at": "2024-05-02T09:00:00Z", "service": "mail", "events": []}
    corpus.write_text(json.dumps(a) + "\n" + json.dumps(b) + "\n", encoding="utf-8")
    argv = ["report", "--policy", str(policy), "--tickets", str(corpus)]
    code, out, err = run([*argv, "--at", "2024-05-03T00:00:00Z", "--json"], capsys)
    found = json.loads(out)
    levels = found["funnel"]["paths"][0]["levels"]
    assert (0, "1/2", [("problem-manager", 1)]) == (
        code,
        found["headline"]["escalated"]["rate"],
        [(lv["level"], lv["count"]) for lv in levels],
    ), err


def test_a_logs_incidents_have_their_recurrence_fields_filled_before_they_are_decided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # INC1 (Group A) resolved Tue 2016-03-01 12:00; INC9 (Group A) opens Wed 03-02 09:00: one
    # recurrence by assignment group, so the rule starts the problem path for INC9.
    rows = LOG.read_text(encoding="utf-8").splitlines()
    mine = [*rows[:5]]
    mine.append(
        "INC9,New,true,0,0,0,true,2/3/2016 09:00,Updated by 9,2/3/2016 09:00,3 - Moderate,Group A"
    )
    log = tmp_path / "log.csv"
    log.write_text("\n".join(mine) + "\n", encoding="utf-8")
    text = (LOGS / "policy.yaml").read_text(encoding="utf-8")
    text += """
recurrence:
  fingerprint: [assignment_group]
  within: 30d
rules:
  - id: recurring
    when: {fields.recurrences: {gte: 1}}
    then: {escalate: {path: problem, to: problem-manager}}
"""
    text = text.replace(
        "paths:\n",
        "paths:\n  problem:\n    kind: vertical\n    starts: on-trigger\n    levels:\n"
        "      - {name: problem-manager, targets: ['team:problem']}\n",
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    argv = ["report", "--policy", str(policy), "--servicenow", str(log), "--time-zone", "UTC"]
    code, out, err = run([*argv, "--json"], capsys)
    found = json.loads(out)
    problem = next(p for p in found["funnel"]["paths"] if p["path"] == "problem")
    assert (0, [("problem-manager", 1)]) == (
        code,
        [(lv["level"], lv["count"]) for lv in problem["levels"]],
    ), err


# -- 4. the funnel of a segment's variant ---------------------------------------------------------


def test_a_segment_that_gives_a_path_other_levels_has_a_funnel_of_its_own() -> None:
    # At NOW both tickets have climbed to the top: B (the policy) to L2, A (emea) to E3.
    tickets = [
        {"id": "A", "opened_at": "2024-03-04T08:00:00Z", "region": "emea", "events": []},
        {"id": "B", "opened_at": "2024-03-04T08:00:00Z", "events": []},
    ]
    funnel = data_of(SEGMENTED, tickets)["funnel"]
    assert [
        ("desk", [None], 1, [("L1", 1), ("L2", 1)]),
        ("desk", ["emea"], 1, [("E1", 1), ("E2", 1), ("E3", 1)]),
    ] == [
        (p["path"], p["segments"], p["tickets"], [(lv["level"], lv["count"]) for lv in p["levels"]])
        for p in funnel["paths"]
    ]
    assert "path desk (segment emea)" in plots.funnel(funnel)


# -- 5. one anchor for the time to first escalation ------------------------------------------------


def test_the_time_to_first_escalation_runs_from_the_start_of_its_cycle() -> None:
    # Z: acknowledged at once (held at L1), resolved Mon 09:00, reopened Wed 06 08:00, not
    # acknowledged again: L2 at 09:00, 1h after the reopen (2d 1h after the opening).
    z = ticket(
        "Z",
        "04T08:00",
        "P3",
        ev("04T08:00", "assigned", group="desk"),
        ev("04T08:05", "acknowledged", actor="a"),
        ev("04T09:00", "resolved"),
        ev("06T08:00", "reopened"),
    )
    data = data_of(POLICY, [z])
    shown = [(b["label"], b["tickets"]) for b in data["time_to_escalate"]["bins"] if b["tickets"]]
    assert ([("1h to 2h", 1)], "1h") == (shown, data["kpis"]["all"]["first_escalation"]["p50"])
    table = report._kpi_tables(data)
    assert "MTTE: cycle start to desk/L2" in table
    assert "MTTE: opened to" not in table


# -- 6, 9, 10. the tiles and the tables say what the KPIs mean -------------------------------------


def test_the_reopened_tile_is_the_reopen_rate_of_the_tickets_ever_resolved() -> None:
    # Ten tickets, two resolved, one of them reopened: 1 of 2, not 1 of 10.
    ack = ev("04T08:01", "acknowledged", actor="x")
    tickets = [ticket(f"O{i}", "04T08:00", "P3", ack) for i in range(8)]
    tickets.append(ticket("R1", "04T08:00", "P3", ack, ev("04T09:00", "resolved")))
    tickets.append(
        ticket("R2", "04T08:00", "P3", ack, ev("04T09:00", "resolved"), ev("04T10:00", "reopened"))
    )
    tiles = report._tiles(data_of(POLICY, tickets))
    tile = re.search(
        r'Reopened</div><div class="value">([^<]*)</div><div class="note">([^<]*)', tiles
    )
    assert tile is not None
    assert ("50.00%", "1 of the 2 tickets ever resolved") == tile.groups()


def test_the_page_says_which_instant_each_mtta_ran_to(corpus_page: str) -> None:
    # T1, T2, T3, T5 acknowledged; T4 never (its status never moved to in progress either).
    page = corpus_page
    assert page.count("acknowledged 4 · work started 0") == 2  # the tile and the table


def test_the_duration_table_counts_the_tickets_still_open_apart(corpus_page: str) -> None:
    # T4 is open at NOW and never resolved: no MTTR, "still open", not "ended without".
    page = corpus_page
    row = re.search(r"<tr><td>MTTR: opening to first fix</td>((?:<td>[^<]*</td>)+)</tr>", page)
    assert row is not None
    found = re.findall(r"<td>([^<]*)</td>", row.group(1))
    assert ("4", "0", "1") == (found[0], found[-2], found[-1])
    assert "<th>ended without</th><th>still open</th>" in page


def test_the_labels_say_every_cycle_where_the_kpis_read_every_cycle(corpus_page: str) -> None:
    page = corpus_page
    assert "time at desk/L1 (all cycles)" in page
    assert "any SLA clock breached in any cycle" in page
    assert "(current cycle)" not in page


# -- 7, 18. text from tickets drawn as it is ------------------------------------------------------


@pytest.mark.parametrize("group", ["$$", "$\\foo$", "Ops $5 and $10", "日本語"])
def test_a_group_name_is_drawn_as_text_quietly(group: str) -> None:
    # Warnings are errors in the tests: a missing glyph would fail too.
    x = ticket("X", "04T10:00", "P3", *moves(group, "B", group))
    svg = plots.ping_pong_graph(data_of(POLICY, [x])["ping_pong"])
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", svg)  # not the comment beside it
    assert html.escape(group, quote=False) in drawn


# -- 17. one id per element on the page ------------------------------------------------------------


def test_no_two_elements_of_the_page_share_an_id(corpus_page: str) -> None:
    page = corpus_page
    ids = collections.Counter(re.findall(r'\sid="([^"]+)"', page))
    references = re.findall(r'(?:href="#|url\(#)([^")]+)', page)
    assert ([], []) == (
        [i for i, n in ids.items() if n > 1],
        [r for r in references if r not in ids],
    )


# -- 18. plurals -----------------------------------------------------------------------------------


def test_one_ticket_is_one_ticket(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = report.render_html(data_of(POLICY, [TICKETS[0]]))
    text = re.sub(r"<[^>]+>", "", page)
    assert "1 ticket opened" in text
    assert "How many of the 1 ticket escalated" in text
    assert re.search(r"\b1 tickets\b", text) is None
    corpus = tmp_path / "one.jsonl"
    corpus.write_text(json.dumps(TICKETS[0]) + "\n", encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_TEXT, encoding="utf-8")
    argv = ["report", "--policy", str(policy), "--tickets", str(corpus), "--at", NOW.isoformat()]
    code, out, _ = run([*argv, "--out", str(tmp_path / "r.html")], capsys)
    assert (0, True) == (code, out.startswith("1 ticket; escalated 0.00%"))


# -- 19. the breach rate joins adjacent periods only -----------------------------------------------


def test_the_breach_lines_break_where_periods_without_a_ticket_come_between() -> None:
    at = datetime(2025, 4, 10, tzinfo=UTC)

    def old(id_: str, opened: str) -> dict[str, Any]:
        return {"id": id_, "opened_at": opened, "priority": "P3", "events": []}

    tickets = [
        old("OLD", "1975-03-04T10:00:00Z"),
        old("MID", "2000-03-04T10:00:00Z"),
        old("NEW", "2025-03-04T10:00:00Z"),
        old("NEXT", "2025-04-01T10:00:00Z"),
    ]
    data = data_of(POLICY, tickets, now=at)
    breach = data["breach_by_priority"]
    assert (["1975-03", "2000-03", "2025-03", "2025-04"], ["1975-03", "2000-03"]) == (
        breach["periods"],
        breach["gaps"],
    )
    svg = plots.breach_lines(breach)
    assert svg.count(">…</text>") == 2


@pytest.mark.parametrize(
    ("label", "period", "following"),
    [
        ("2020-W53", "week", "2021-W01"),
        ("2024-W52", "week", "2025-W01"),
        ("2024-W09", "week", "2024-W10"),
        ("2024-12", "month", "2025-01"),
        ("2024-02", "month", "2024-03"),
        ("9999-12", "month", None),
    ],
)
def test_the_period_after_another(label: str, period: str, following: str | None) -> None:
    assert following == report._following(label, period)


# -- 20. the header's dates in the report's zone ---------------------------------------------------


def test_the_header_dates_are_in_the_zone() -> None:
    # Opened 2024-03-04 23:30 UTC: 03-05 in Tokyo.
    t = ticket("T", "04T23:30", "P3", ev("04T23:30", "assigned", group="desk"))
    page = report.render_html(data_of(POLICY, [t], zone="Asia/Tokyo"))
    header = page.split("<header>", 1)[1].split("</header>", 1)[0]
    tiles = page.split('aria-label="Headline figures">', 1)[1].split("</section>", 1)[0]
    assert ("opened 2024-03-05" in header, "opened from 2024-03-05" in tiles) == (True, True)


# -- 14, 15, 16. the command refuses what it would ignore or overwrite ---------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--time-zone", "UTC"],
        ["--counters", "derived"],
        ["--invalid-state", "error"],
        ["--date-format", "yyyy-MM-dd HH:mm"],
        ["--empty", "NULL"],
    ],
)
def test_a_corpus_refuses_the_options_of_a_log(
    extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_TEXT, encoding="utf-8")
    argv = ["report", "--policy", str(policy), "--tickets", "x.jsonl", "--at", NOW.isoformat()]
    code, out, err = run([*argv, *extra, "--json"], capsys)
    assert (2, "", f"escalate: error: {extra[0]}: says how a ServiceNow log is written") == (
        code,
        out,
        err.split(": only with")[0],
    )


def test_the_page_and_the_data_cannot_be_one_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = str(tmp_path / "r.out")
    argv = ["report", "--policy", str(LOGS / "policy.yaml"), "--servicenow", str(LOG)]
    code, _, err = run([*argv, "--time-zone", "UTC", "--out", same, "--json", same], capsys)
    assert (2, False) == (code, (tmp_path / "r.out").exists())
    assert "--json: " in err and "is the --out file too" in err


def test_a_log_without_incidents_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "empty.csv"
    log.write_text(LOG.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    argv = ["report", "--policy", str(LOGS / "policy.yaml"), "--servicenow", str(log)]
    code, _, err = run([*argv, "--time-zone", "UTC", "--json"], capsys)
    assert (2, f"escalate: error: --servicenow: {log} holds no incidents") == (
        code,
        err.split(" (")[0],
    )


# -- design 1. the policy's recurrence, or the one asked for ---------------------------------------


def test_recurrence_is_counted_by_the_policys_section_unless_asked_otherwise() -> None:
    # A (mail/db) fixed Mon 09:00; B (mail/web) opens Mon+8d 08:00 (03-12): over 7 days.
    a = ticket("A", "04T08:00", "P3", ev("04T09:00", "resolved"), service="mail", category="db")
    b = ticket("B", "12T08:00", "P3", service="mail", category="web")
    at = datetime(2024, 3, 13, tzinfo=UTC)
    policy_says = data_of(RECURRING, [a, b], now=at)["patterns"]["recurrences"]
    asked = data_of(RECURRING, [a, b], now=at, within=timedelta(days=8))["patterns"]["recurrences"]
    by_category = data_of(RECURRING, [a, b], now=at, fingerprint=("category",))
    assert [
        (["service"], "7d", "policy", "policy", 0),
        (["service"], "8d", "policy", "given", 1),
        (["category"], "7d", "given", "policy", 0),
    ] == [
        (r["fields"], r["within"], r["fields_from"], r["within_from"], r["recurred"])
        for r in (policy_says, asked, by_category["patterns"]["recurrences"])
    ]
    without = data_of(POLICY, [a, b], now=at)["patterns"]["recurrences"]
    assert (["service", "category", "subcategory"], "30d", "default") == (
        without["fields"],
        without["within"],
        without["fields_from"],
    )
    page = report.render_html(by_category)
    assert "the one asked for" in page and "the policy's (its recurrence: section)" in page


def test_within_is_an_option_of_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--policy", str(LOGS / "policy.yaml"), "--servicenow", str(LOG)]
    argv += ["--time-zone", "UTC", "--json"]
    code, out, _ = run([*argv, "--within", "14d", "--fingerprint", "assignment_group"], capsys)
    found = json.loads(out)["patterns"]["recurrences"]
    assert (0, ["assignment_group"], "14d", "given") == (
        code,
        found["fields"],
        found["within"],
        found["within_from"],
    )
    code, out, err = run([*argv, "--within", "3bd"], capsys)
    assert (2, "", True) == (code, out, err.startswith("escalate: error: --within: business"))


@pytest.mark.parametrize("within", [timedelta(days=-1), timedelta(0)])
def test_a_window_of_zero_or_less_is_an_argument_error(within: timedelta) -> None:
    # as the policy's recurrence.within and --within: a window must be longer than zero
    with pytest.raises(ArgumentError, match="within must be longer than zero"):
        data_of(POLICY, TICKETS, within=within)


# -- design 6. decisions are let go as they are read -----------------------------------------------


def test_the_report_holds_no_decision_it_has_read() -> None:
    alive: list[int] = []

    def decisions() -> Iterator[Decision]:
        gc.collect()
        before = sum(1 for o in gc.get_objects() if type(o) is Decision)
        for n in range(12):
            t = ticket(f"T{n:02d}", "04T08:00", "P3", ev("04T09:30", "resolved"))
            yield POLICY.evaluate(t, now=NOW)
        gc.collect()
        alive.append(sum(1 for o in gc.get_objects() if type(o) is Decision) - before)

    report.report_data(decisions(), POLICY)
    assert [1] == alive  # of the twelve, only the one being read when the last came


# -- design 7. the ping-pong graph and the heat map say and draw what they show --------------------


def test_the_ping_pong_caption_says_which_arrows_carry_no_number() -> None:
    heavy = [ticket(f"H{n}", "04T10:00", "P3", *moves("A", "B", "A", "B", "A")) for n in range(9)]
    light = ticket("L", "04T10:00", "P3", *moves("A", "C", "A"))
    page = report._plot_section(data_of(POLICY, [*heavy, light]))
    caption = page.split('id="plot-ping-pong"', 1)[1].split("<figcaption>", 1)[1]
    assert "fewer returns than 15% of the heaviest carries no number" in caption


def test_an_arrows_count_stays_clear_of_the_nodes() -> None:
    # From (0.5, 0.87) to (-0.5, 0.87) the arc bulges out through the node at (0, 1).
    nodes = [(0.0, 1.0), (0.5, 0.87), (-0.5, 0.87)]
    x, y = plots._label_at((0.5, 0.87), (-0.5, 0.87), nodes)
    assert min(((x - a) ** 2 + (y - b) ** 2) ** 0.5 for a, b in nodes) > 0.16


def test_the_heat_maps_colour_bar_is_one_gradient() -> None:
    svg = plots.heat_map(data_of(POLICY, TICKETS)["heat_map"])
    scale = svg.split('id="heat-map-scale"', 1)[1].split("</g>", 1)[0]
    assert (1, 0, 9) == (scale.count("<rect"), scale.count("<path"), scale.count("<stop"))


# -- design 8. open tickets of a log are read at their last update ---------------------------------


def test_the_page_says_open_incidents_were_decided_at_their_last_update(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # INC2 is still active at its last row (03-01 15:00), INC3 reopened at its last row
    # (03-02 11:00); INC1 was closed.
    page = tmp_path / "r.html"
    argv = ["report", "--policy", str(LOGS / "policy.yaml"), "--servicenow", str(LOG)]
    assert 0 == main([*argv, "--time-zone", "UTC", "--out", str(page), "--quiet"])
    capsys.readouterr()
    text = page.read_text(encoding="utf-8")
    assert (
        "The 2 tickets still open then are read as they stood at that instant: their clocks, "
        "breaches and levels stop there, not at the end of the log."
    ) in text
