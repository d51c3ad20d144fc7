"""Micro-benchmark of escalate's business-time ``Calendar`` for what the peer harness skips.

Run from the project root (needs only escalate and its own dependencies)::

    .venv/bin/python bench/calendar_bench.py            # full run, about 10 s on 2 cores
    .venv/bin/python bench/calendar_bench.py --quick    # smoke test, a few seconds

It measures:

* **compile**: ``Calendar.from_config`` of a 10-year Europe/Berlin office calendar
  (Mon-Fri 09:00-17:00, ``holidays`` DE/BE) as a median of repeated runs. ``holidays`` is
  imported before timing starts; the very first compile is shown apart because it also pays
  for the ``holidays`` package's one-time set-up. The same calendar built from explicit dates
  shows the cost of the table alone.
* **memory**: ``tracemalloc`` peak during a compile, and what stays allocated afterwards while
  the calendar is alive (retained). Both are relative to the state just before the compile.
* **per call**: medians of ``elapsed`` and ``add`` on calendars whose windows contain the DST
  switch hour (which ``bench/peers.py`` does not cover): an overnight shift and 24x7 in
  Europe/Berlin, with inputs straddling the 2024-2026 DST switches and long spans. The
  office calendar is timed the same way as a yardstick. Inputs are fixed lists built from a
  fixed seed; ``time.perf_counter`` around whole passes; the garbage collector is off while
  timing; the table shows the median per-call time over the passes (and the fastest pass).

Before timing, every timed input is checked against a slow day-walking reference built
directly on ``zoneinfo`` (no escalate code), so the numbers are for correct answers.
The report is a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
import tomllib
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# Benchmark this checkout's source, whether or not escalate is installed in the venv.
sys.path.insert(0, str(ROOT / "src"))

import escalate  # noqa: E402
from escalate import Calendar  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
SEED = 20241027

# -- calendars --------------------------------------------------------------------------------

OFFICE_10Y: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "hours": {"mon-fri": ["09:00-17:00"]},
    "holidays": {"country": "DE", "subdiv": "BE", "years": [2025, 2034]},
}
SHORT_YEARS = [2023, 2027]
OFFICE: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "hours": {"mon-fri": ["09:00-17:00"]},
    "holidays": {"country": "DE", "subdiv": "BE", "years": SHORT_YEARS},
}
# Every night 22:00-06:00: the 02:00 switch falls inside the window (7 h in spring, 9 h in
# autumn). A holiday closes the shift that starts on it.
OVERNIGHT: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "hours": {"mon-sun": ["22:00-06:00"]},
    "holidays": {"country": "DE", "subdiv": "BE", "years": SHORT_YEARS},
}
# A P1 clock: real elapsed time, no year range.
ALWAYS: dict[str, Any] = {"timezone": "Europe/Berlin", "hours": "24x7"}
# 24x7 except public holidays (local midnight to midnight): bounded, one window per run of days.
ALWAYS_BUT_HOLIDAYS: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "hours": "24x7",
    "holidays": {"country": "DE", "subdiv": "BE", "years": SHORT_YEARS},
}

# (label, config, weekly wall-clock windows as (weekday set, start, end) for the reference)
CALENDARS: list[tuple[str, dict[str, Any], tuple[frozenset[int], dtime, dtime] | None]] = [
    ("office Mon-Fri 09-17 (yardstick)", OFFICE, (frozenset(range(5)), dtime(9), dtime(17))),
    ("overnight daily 22:00-06:00", OVERNIGHT, (frozenset(range(7)), dtime(22), dtime(6))),
    ("24x7 Berlin", ALWAYS, None),
    ("24x7 minus DE/BE holidays", ALWAYS_BUT_HOLIDAYS, (frozenset(range(7)), dtime(0), dtime(0))),
]


# -- an independent reference (zoneinfo day walk, integer microseconds) ----------------------


def _us(at: datetime) -> int:
    return (at - EPOCH) // ONE_US


def _wall_instant(day: date, clock: dtime) -> int:
    """First instant at or after the wall time ``day clock`` (a gap moves to its end)."""
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=BERLIN, fold=0)
    if first.astimezone(UTC).astimezone(BERLIN).replace(tzinfo=None) == naive:
        return _us(first)
    # In a spring gap: step forward by minutes until the wall time exists (gaps are whole
    # minutes in Europe/Berlin), then take that instant.
    probe = naive
    while True:
        probe += timedelta(minutes=1)
        cand = probe.replace(tzinfo=BERLIN, fold=0)
        if cand.astimezone(UTC).astimezone(BERLIN).replace(tzinfo=None) == probe:
            return _us(cand)


class Reference:
    """Working windows built per local day straight from zoneinfo; no caching beyond a list."""

    def __init__(
        self,
        weekly: tuple[frozenset[int], dtime, dtime] | None,
        holidays: frozenset[date],
        years: Sequence[int] | None,
    ) -> None:
        self.always = weekly is None
        if weekly is None:
            self.windows: list[tuple[int, int]] = []
            return
        days, start, end = weekly
        assert years is not None
        d, last = date(years[0], 1, 1) - timedelta(days=1), date(years[1], 12, 31)
        raw: list[tuple[int, int]] = []
        while d <= last:
            if d.weekday() in days and d not in holidays:
                lo = _wall_instant(d, start)
                hi_day = d + timedelta(days=1) if end <= start else d
                hi = _wall_instant(hi_day, end)
                raw.append((lo, hi))
            d += timedelta(days=1)
        merged: list[tuple[int, int]] = []
        for lo, hi in raw:
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        lo_bound = _wall_instant(date(years[0], 1, 1), dtime(0))
        hi_bound = _wall_instant(date(years[1] + 1, 1, 1), dtime(0))
        self.windows = [
            (max(lo, lo_bound), min(hi, hi_bound)) for lo, hi in merged if hi > lo_bound
        ]

    def elapsed(self, a: datetime, b: datetime) -> int:
        ua, ub = _us(a), _us(b)
        if self.always:
            return max(ub - ua, 0)
        return sum(max(0, min(hi, ub) - max(lo, ua)) for lo, hi in self.windows)

    def add(self, a: datetime, secs: int) -> int:
        ua, left = _us(a), secs * 1_000_000
        if self.always:
            return ua + left
        for w_lo, hi in self.windows:
            if hi <= ua:
                continue
            lo = max(w_lo, ua)
            if hi - lo >= left:
                return lo + left
            left -= hi - lo
        raise AssertionError("ran off the table")


# -- inputs ----------------------------------------------------------------------------------


def dst_switches(first: int, last: int) -> list[datetime]:
    """UTC instants of every Europe/Berlin offset change in the given years."""
    out = []
    t = datetime(first, 1, 1, tzinfo=UTC)
    end = datetime(last + 1, 1, 1, tzinfo=UTC)
    off = t.astimezone(BERLIN).utcoffset()
    while t < end:
        nxt = t + timedelta(hours=1)
        o = nxt.astimezone(BERLIN).utcoffset()
        if o != off:
            out.append(nxt)
            off = o
        t = nxt
    return out


def make_inputs(rng: random.Random, n: int) -> dict[str, list[tuple[Any, ...]]]:
    switches = dst_switches(2024, 2026)
    lo = datetime(2024, 1, 1, tzinfo=UTC)

    def rand_instant(span_days: int = 730) -> datetime:
        return lo + timedelta(seconds=rng.randrange(span_days * 86400))

    def near_switch() -> datetime:
        return rng.choice(switches) - timedelta(seconds=rng.randrange(1, 3 * 86400))

    straddle = []
    for _ in range(n):
        tr = rng.choice(switches)
        a = tr - timedelta(seconds=rng.randrange(1, 3 * 86400))
        b = tr + timedelta(seconds=rng.randrange(1, 3 * 86400))
        straddle.append((a, b))
    long_spans = []
    for _ in range(n):
        a = rand_instant()
        long_spans.append((a, a + timedelta(days=rng.randrange(700, 731))))
    add_dst = [
        (near_switch(), rng.choice([1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600])) for _ in range(n)
    ]
    add_long = [(rand_instant(365), rng.randrange(250, 501) * 8 * 3600) for _ in range(n)]
    return {
        "elapsed, span across a DST switch (<= 6 d)": straddle,
        "elapsed, 700-730 d span": long_spans,
        "add from <= 3 d before a switch, 30 min-24 h": add_dst,
        "add 2000-4000 working h": add_long,
    }


# -- timing ----------------------------------------------------------------------------------


def time_passes(
    fn: Callable[..., Any], args: list[tuple[Any, ...]], passes: int
) -> tuple[float, float]:
    """(median, min) seconds per call over ``passes`` full passes; gc off while timing."""
    for a in args[:50]:
        fn(*a)  # warm-up
    per = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(passes):
            t0 = time.perf_counter()
            for a in args:
                fn(*a)
            per.append((time.perf_counter() - t0) / len(args))
    finally:
        if gc_was:
            gc.enable()
    return statistics.median(per), min(per)


def fmt_us(sec: float) -> str:
    return f"{sec * 1e6:.2f} µs"


def compile_times(config: dict[str, Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        Calendar.from_config(config)
        out.append(time.perf_counter() - t0)
    return out


def compile_memory(config: dict[str, Any]) -> tuple[int, int, Calendar]:
    """(peak, retained) bytes of one compile, relative to the state just before it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        cal = Calendar.from_config(config)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, current - base, cal


# -- main ------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes, smoke test")
    ap.add_argument("--runs", type=int, default=None, help="compile runs (default 9, >= 7)")
    ap.add_argument("--passes", type=int, default=None, help="timing passes per cell (default 15)")
    ap.add_argument("--n", type=int, default=None, help="inputs per cell (default 2000)")
    args = ap.parse_args()
    runs = args.runs or (3 if args.quick else 9)
    passes = args.passes or (3 if args.quick else 15)
    n = args.n or (200 if args.quick else 2000)

    t_import = time.perf_counter()
    import holidays  # noqa: F401  (its import is excluded from every compile figure)

    t_import = time.perf_counter() - t_import
    import importlib.metadata

    hol_version = importlib.metadata.version("holidays")
    with open(ROOT / "pyproject.toml", "rb") as f:
        esc_version = tomllib.load(f)["project"]["version"]
    start_wall = time.perf_counter()

    # ---- compile ----
    first = compile_times(OFFICE_10Y, 1)[0]
    country_runs = compile_times(OFFICE_10Y, runs)
    cal10 = Calendar.from_config(OFFICE_10Y)
    explicit = {
        **OFFICE_10Y,
        "holidays": {"dates": [d.isoformat() for d in cal10.holiday_names], "years": [2025, 2034]},
    }
    explicit_runs = compile_times(explicit, runs)
    peak, retained, cal_mem = compile_memory(OFFICE_10Y)
    peak_x, retained_x, _ = compile_memory(explicit)
    windows = len(cal_mem._starts)

    # ---- per call ----
    rng = random.Random(SEED)
    inputs = make_inputs(rng, n)
    rows = []
    checked = 0
    mismatches: list[str] = []
    for label, config, weekly in CALENDARS:
        cal = Calendar.from_config(config)
        hol = frozenset(cal.holiday_names)
        years = config.get("holidays", {}).get("years")
        ref = Reference(weekly, hol, years)
        second = timedelta(seconds=1)
        elapsed = cal.elapsed
        add = cal.add

        def add_secs(
            a: datetime,
            secs: int,
            add: Callable[[datetime, timedelta], datetime] = add,
            second: timedelta = second,
        ) -> datetime:
            return add(a, second * secs)  # the same one-liner the peer adapter uses

        # correctness first: every timed input against the zoneinfo reference
        for name, arglist in inputs.items():
            is_add = name.startswith("add")
            for a, x in arglist:
                checked += 1
                if is_add:
                    got, want = _us(add_secs(a, x)), ref.add(a, x)
                else:
                    got, want = elapsed(a, x) // ONE_US, ref.elapsed(a, x)
                if got != want and len(mismatches) < 10:
                    mismatches.append(f"{label}: {name}: {a.isoformat()} {x} -> {got} != {want}")
        cells = []
        for name, arglist in inputs.items():
            fn = add_secs if name.startswith("add") else elapsed
            med, mn = time_passes(fn, arglist, passes)
            cells.append(f"{fmt_us(med)} ({fmt_us(mn)})")
        rows.append([label, f"{len(cal._starts):,}", *cells])

    total = time.perf_counter() - start_wall
    cpus = os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    quick = " (QUICK)" if args.quick else ""
    print(f"# escalate calendar bench — `bench/calendar_bench.py`{quick}\n")
    print(
        f"- escalate {esc_version} (from {Path(escalate.__file__).parent}), "
        f"holidays {hol_version}; CPython {platform.python_version()} on {platform.machine()}, "
        f"{cpus} CPUs, loadavg at end {'/'.join(f'{x:.2f}' for x in load)}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"- {runs} compile runs; {passes} timing passes over {n} fixed inputs per cell; "
        "gc off while timing; median per call (fastest pass in brackets)"
    )
    print(f"- `import holidays` took {t_import * 1e3:.0f} ms (excluded everywhere below)\n")
    print("## Compile: 10-year Europe/Berlin office calendar (Mon-Fri 09-17, 2025-2034)\n")
    print(
        table(
            ["what", "median", "min", "max", "windows", "tracemalloc peak", "retained"],
            [
                [
                    "from_config, holidays `country: DE, subdiv: BE`",
                    f"{statistics.median(country_runs) * 1e3:.1f} ms",
                    f"{min(country_runs) * 1e3:.1f} ms",
                    f"{max(country_runs) * 1e3:.1f} ms",
                    f"{windows:,}",
                    f"{peak / 1e6:.2f} MB",
                    f"{retained / 1e6:.2f} MB",
                ],
                [
                    "from_config, the same holidays as explicit `dates` (table only)",
                    f"{statistics.median(explicit_runs) * 1e3:.1f} ms",
                    f"{min(explicit_runs) * 1e3:.1f} ms",
                    f"{max(explicit_runs) * 1e3:.1f} ms",
                    f"{windows:,}",
                    f"{peak_x / 1e6:.2f} MB",
                    f"{retained_x / 1e6:.2f} MB",
                ],
            ],
        )
    )
    print(
        f"\nFirst compile in this process (also pays the `holidays` package's one-time set-up): "
        f"{first * 1e3:.1f} ms.\n"
    )
    print("## Per call (Europe/Berlin, years 2023-2027; inputs 2024-2026)\n")
    print(table(["calendar", "windows", *inputs.keys()], rows))
    verdict = "0 mismatches" if not mismatches else f"{len(mismatches)}+ MISMATCHES"
    print(
        f"\nCorrectness: {checked:,} timed inputs checked against a zoneinfo day-walk "
        f"reference: {verdict}."
    )
    for m in mismatches:
        print(f"- {m}")
    print(f"\n_Total runtime: {total:.0f} s._")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
