"""The report page in a real headless Chromium: it renders its five plots, quietly, offline.

Playwright (the ``dev`` extra) drives Debian's ``chromium`` found on the PATH -- never a
browser of Playwright's own (``playwright install`` is not run); ``make test`` installs the
package when it is missing and apt-get can be used. Without either, the tests are skipped,
saying which is missing. The page is opened from a ``file://`` URL: every request it makes
besides its own file, every console error or warning and every page error fails the test.

The second test does the same for the report of the real ServiceNow log, when it is at
``../shared/datasets/servicenow-incident-event-log.zip`` beside the repository.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / ".." / "shared" / "datasets" / "servicenow-incident-event-log.zip"
PLOTS = ("funnel", "time-to-escalate", "breach-rate", "ping-pong", "heat-map")


def _browser() -> str:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib (the 'report' extra) is not installed: no report to open")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package (in the 'dev' extra) is not installed")
    found = shutil.which("chromium")
    if found is None:
        pytest.skip(
            "no 'chromium' on the PATH: install Debian's chromium package (make test does "
            "when apt-get can be used)"
        )
    return found


def _open(page_path: Path, chromium: str) -> dict[str, Any]:
    """What Chromium saw opening the page: console problems, page errors, requests, and the
    size of each plot's rendered ``<svg>``."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, Any] = {"console": [], "errors": [], "requests": [], "plots": {}}
    url = page_path.resolve().as_uri()
    with sync_playwright() as driver:
        # --no-sandbox: Chromium refuses to start as root with its sandbox (CI runs as root);
        # the page is our own file, opened offline.
        browser = driver.chromium.launch(
            executable_path=chromium, args=["--no-sandbox"], timeout=30_000
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda m: (
                    seen["console"].append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(url, wait_until="load", timeout=30_000)
            for name in PLOTS:
                box = page.locator(f"#plot-{name} svg").bounding_box()
                seen["plots"][name] = None if box is None else (box["width"], box["height"])
            seen["title"] = page.title()
        finally:
            browser.close()
    seen["url"] = url
    return seen


def _check(seen: dict[str, Any]) -> None:
    assert ([], [], [seen["url"]]) == (seen["console"], seen["errors"], seen["requests"])
    sizes = seen["plots"]
    assert set(PLOTS) == {name for name, size in sizes.items() if size and min(size) > 50}, sizes


def test_the_report_of_the_bundled_examples_renders_every_plot_quietly_and_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chromium = _browser()
    page = tmp_path / "report.html"
    argv = ["report", "--policy", str(ROOT / "rules" / "itil-default.yaml")]
    argv += ["--tickets", str(ROOT / "examples" / "tickets"), "--at", "2024-11-22T00:00:00Z"]
    assert 0 == main([*argv, "--out", str(page), "--quiet"])
    capsys.readouterr()
    seen = _open(page, chromium)
    _check(seen)
    assert seen["title"].startswith("Escalation report: itil-default")


@pytest.mark.skipif(
    not DATASET.exists(),
    reason=f"the UCI ServiceNow log is not at {DATASET} (../shared/datasets beside the repository)",
)
def test_the_report_of_the_real_log_renders_every_plot_quietly_and_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chromium = _browser()
    page = tmp_path / "report.html"
    argv = ["report", "--policy", str(ROOT / "rules" / "itil-default.yaml")]
    argv += ["--servicenow", str(DATASET), "--time-zone", "UTC", "--quiet"]
    assert 0 == main([*argv, "--out", str(page)])
    capsys.readouterr()
    _check(_open(page, chromium))
