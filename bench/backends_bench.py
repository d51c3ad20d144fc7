"""Native against durable_rules matching: what the durable backend costs a decision (issue 16).

Needs the extra (``pip install -e '.[durable]'``; ``make test`` installs it). Run from the
project root::

    .venv/bin/python bench/backends_bench.py                            # about 2 min
    .venv/bin/python bench/backends_bench.py --tickets 500 --passes 3   # smoke test, ~15 s
    .venv/bin/python bench/backends_bench.py --wheel                    # also build the extra
    .venv/bin/python bench/backends_bench.py --json bench/results/backends.json

In one process, for each pack (``rules/itil-default.yaml`` and the DORA pack
``rules/regulatory/dora.yaml`` by default):

* **bind**: the first ``policy.with_backend("durable")`` (every rule group of the policy and
  of its segments compiled into a durable ruleset), then the median of ``--binds`` more
  binds with a fresh ``DurableMatcher`` each; and what ``--retained`` more compiles keep for
  good, their matchers dropped (durable cannot free a ruleset): the C heap (glibc
  ``mallinfo2``) and RSS. The import of ``durable_rules_engine`` is timed apart, once.
* **corpus**: the shipped pack gets ``bench/evaluate.py``'s seeded ServiceNow-shaped tickets
  and per-ticket ``now`` (:func:`evaluate.gen_corpus`); the DORA pack gets the same tickets
  moved into 2025 (DORA applies from 17 January 2025) with DORA milestones recorded at
  random stages (:func:`dora_corpus`), cut at a ``now`` from 10 minutes to 45 days after
  awareness, so that every clock is seen not started, running, warned, breached and met.
* **equality**: every ticket is decided by both backends; the ``to_dict()`` of the two
  decisions must be equal, or the bench stops with exit status 1 and the first differences.
* **full decisions**: ``--passes`` cold passes per backend (fresh ``Ticket`` objects each
  pass, built before the clock starts, gc off), interleaved and alternating which backend
  goes first (native, durable, durable, native, ...), so that drifting machine load hits
  both; medians per decision of CPU and wall time, decisions per second, the ratio.
* **matching step**: the facts the rule stage hands the matcher are captured once (a
  recording matcher, bound like a backend); then the same calls are timed with
  ``DurableMatcher.matching`` and with the native answer (each rule's
  ``rule.when.check(facts)``), interleaved the same way, and their answers compared; also
  the Python half of a durable call alone (the normalised integer fact and its JSON). Then
  the same step inside decisions: a wrapping matcher times each call with
  ``perf_counter_ns`` while whole passes run, for both backends.
* **memory**: RSS and OS threads before and after ``--memory`` decisions with each backend
  (native, durable, durable again).
* ``--wheel``: ``pip wheel durable-rules==2.0.28 --no-deps --no-binary :all:`` in a temporary
  folder (downloads the sdist and compiles its C; needs the network), wall and CPU time.

A pack the durable backend refuses at bind is reported with the refusal and skipped; the
exit status is then 1. ``--src`` measures another tree (its ``src/``), as ``growth.py`` does.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKS = {
    "itil-default": ROOT / "rules" / "itil-default.yaml",
    "dora": ROOT / "rules" / "regulatory" / "dora.yaml",
}
WHEEL = "durable-rules==2.0.28"
DORA_SHIFT = timedelta(days=366)  # evaluate.py's tickets open in 2024; DORA applies in 2025

log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731


# ---- the process ---------------------------------------------------------------------------
def status_kib(key: str) -> int:
    """A line of ``/proc/self/status`` (``VmRSS`` in KiB, ``Threads``); 0 where there is none."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{key}:\s+(\d+)", text, re.M)
    return int(found.group(1)) if found else 0


def rss_mib() -> float:
    gc.collect()
    return status_kib("VmRSS") / 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def heap_bytes() -> int | None:
    """Bytes the C heap has handed out (glibc ``mallinfo2``: in-use chunks plus mmapped
    blocks), where durable_rules keeps its rulesets; ``None`` without glibc 2.33+."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return None
    gc.collect()
    info = libc.mallinfo2()
    return int(info.uordblks + info.hblkhd)


def uptime() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


# ---- the corpora ---------------------------------------------------------------------------
def _shift(at: str) -> str:
    return (datetime.fromisoformat(at) + DORA_SHIFT).isoformat()


def _gap(rng: random.Random, lo: float, hi: float) -> timedelta:
    """A log-uniform pause, whole seconds."""
    return timedelta(seconds=int(lo * (hi / lo) ** rng.random()))


def dora_corpus(bench: Any, n: int, seed: int) -> tuple[list[dict[str, Any]], list[datetime]]:
    """``n`` incidents for the DORA pack and a ``now`` for each.

    Each is one of ``evaluate.py``'s tickets moved a year on (2025), with the DORA milestones
    of an incident that became known 1 minute to 6 hours after opening: classified major (85 %)
    10 minutes to 30 hours later, the initial notification (75 % of those) 30 minutes to 8
    hours after that, an intermediate report (70 %) 6 to 100 hours later and sometimes an
    updated one, a final report (60 %) 5 to 40 days after the last intermediate one. ``now``
    is 10 minutes to 45 days (log-uniform) after awareness; the history is cut there, the
    ticket's own events as ``evaluate.py`` cuts a prefix.
    """
    rng = random.Random(seed)
    tickets: list[dict[str, Any]] = []
    nows: list[datetime] = []
    hour, day = 3_600, 86_400
    for number in range(n):
        base = bench.gen_ticket(rng, number)
        base["opened_at"] = _shift(base["opened_at"])
        for event in base["events"]:
            event["at"] = _shift(event["at"])
        opened = datetime.fromisoformat(base["opened_at"])
        aware = opened + _gap(rng, 60, 6 * hour)
        marks = [(aware, "dora-aware")]
        if rng.random() < 0.85:
            classified = aware + _gap(rng, 600, 30 * hour)
            marks.append((classified, "dora-classified-major"))
            if rng.random() < 0.75:
                initial = classified + _gap(rng, 1_800, 8 * hour)
                marks.append((initial, "dora-initial-submitted"))
                if rng.random() < 0.7:
                    last = initial + _gap(rng, 6 * hour, 100 * hour)
                    marks.append((last, "dora-intermediate-submitted"))
                    if rng.random() < 0.3:
                        last += _gap(rng, day, 10 * day)
                        marks.append((last, "dora-intermediate-submitted"))
                    if rng.random() < 0.6:
                        marks.append((last + _gap(rng, 5 * day, 40 * day), "dora-final-submitted"))
        now = aware + _gap(rng, 600, 45 * day)
        kept = sum(datetime.fromisoformat(e["at"]) <= now for e in base["events"])
        ticket = bench._prefix(base, kept)
        milestones = [
            {"at": at.isoformat(), "type": "milestone", "milestone": name, "actor": "ciso"}
            for at, name in marks
            if at <= now
        ]
        ticket["events"] = sorted(
            [*ticket["events"], *milestones], key=lambda e: datetime.fromisoformat(e["at"])
        )
        tickets.append(ticket)
        nows.append(now)
    return tickets, nows


# ---- capturing the matcher's calls ---------------------------------------------------------
class Recorder:
    """A matcher that answers natively and keeps every call with rules to match: (policy,
    rules, a copy of the facts, which later stages extend)."""

    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []

    def prepare(self, policy: Any) -> None:
        return None

    def matching(
        self, policy: Any, rules: Sequence[Any], facts: Mapping[str, Any]
    ) -> frozenset[str]:
        if rules:  # a pass with no rules (none read the paths) costs no backend anything
            self.calls.append((policy, tuple(rules), dict(facts)))
        return native_matching(policy, rules, facts)


class Timed:
    """A matcher that asks ``inner`` (or the native conditions) and adds up the time spent
    in the calls that have rules to match, as they happen inside decisions."""

    name = "timed"

    def __init__(self, inner: Any | None) -> None:
        self.answer = native_matching if inner is None else inner.matching
        self.inner = inner
        self.ns = 0
        self.calls = 0

    def prepare(self, policy: Any) -> None:
        if self.inner is not None:
            self.inner.prepare(policy)  # finds the rulesets already compiled

    def matching(
        self, policy: Any, rules: Sequence[Any], facts: Mapping[str, Any]
    ) -> frozenset[str]:
        if not rules:
            return frozenset()
        clock = time.perf_counter_ns
        t0 = clock()
        held: frozenset[str] = self.answer(policy, rules, facts)
        self.ns += clock() - t0
        self.calls += 1
        return held


def native_matching(policy: Any, rules: Sequence[Any], facts: Mapping[str, Any]) -> frozenset[str]:
    """What the native rule stage asks, with the durable call's answer shape."""
    return frozenset(rule.id for rule in rules if rule.when.check(facts))


# ---- timing --------------------------------------------------------------------------------
def timed(run: Callable[[], object], per: int) -> dict[str, float]:
    """Wall and CPU seconds of ``run()`` divided by ``per``; gc collected before, off during."""
    gc.collect()
    gc.disable()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        run()
        return {"wall": (time.perf_counter() - t0) / per, "cpu": (time.process_time() - c0) / per}
    finally:
        gc.enable()


def interleaved(
    cases: Mapping[str, Callable[[], Mapping[str, float]]], passes: int
) -> dict[str, dict[str, list[float]]]:
    """Run each case ``passes`` times, alternating which goes first (a, b, b, a, ...):
    ``{case: {figure: [one value per pass]}}``."""
    names = list(cases)
    out: dict[str, dict[str, list[float]]] = {k: {} for k in names}
    for p in range(passes):
        for name in names if p % 2 == 0 else names[::-1]:
            for figure, value in cases[name]().items():
                out[name].setdefault(figure, []).append(value)
    return out


def us(seconds: float) -> str:
    v = seconds * 1e6
    return f"{v:,.0f} µs" if v >= 100 else f"{v:.1f} µs" if v >= 1 else f"{v:.2f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def cycle(items: Sequence[Any], n: int) -> Iterator[Any]:
    for i in range(n):
        yield items[i % len(items)]


# ---- the extra's build ---------------------------------------------------------------------
def build_wheel() -> dict[str, Any]:
    """Time ``pip wheel`` of the pinned sdist, C compiled, into a temporary folder."""
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=False)
    with tempfile.TemporaryDirectory(prefix="durable-wheel-") as folder:
        cmd = [sys.executable, "-m", "pip", "wheel", WHEEL, "--no-deps", "--no-cache-dir"]
        cmd += ["--no-binary", ":all:", "--quiet", "--wheel-dir", folder]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wheels = list(Path(folder).glob("*.whl"))
        return {
            "command": " ".join(["pip", *cmd[3:-1], "<temporary folder>"]),
            "ok": run.returncode == 0 and bool(wheels),
            "error": run.stderr.strip().splitlines()[-1:] if run.returncode else [],
            "wall_s": wall,
            "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "wheel": wheels[0].name if wheels else None,
            "wheel_bytes": wheels[0].stat().st_size if wheels else 0,
            "gcc": (gcc.stdout.splitlines() or ["?"])[0],
        }


# ---- one pack ------------------------------------------------------------------------------
def run_pack(
    name: str, args: argparse.Namespace, bench: Any, load: Any, matcher_type: Any
) -> dict[str, Any]:
    from escalate.engine.ticket import Ticket
    from escalate.errors import PolicyError

    path = PACKS[name]
    t0 = time.perf_counter()
    native = load(path)
    loaded = time.perf_counter() - t0
    out: dict[str, Any] = {
        "pack": name,
        "file": str(path.relative_to(ROOT)),
        "rules": len(native.rules),
    }
    out["load_s"] = loaded
    t0 = time.perf_counter()
    try:
        durable = native.with_backend("durable")
    except PolicyError as exc:
        out["refused"] = str(exc)
        log(f"[{name}] REFUSED at bind: {exc}")
        return out
    out["first_bind_s"] = time.perf_counter() - t0
    out["rulesets_per_bind"] = len(getattr(durable.matcher, "_rulesets", ()))
    binds = []
    for _ in range(args.binds):
        t0 = time.perf_counter()
        native.with_backend(matcher_type())  # a new matcher: everything compiled again
        binds.append(time.perf_counter() - t0)
    out["bind_s"] = binds
    # What a bind keeps for good: the C rulesets (the matcher and its Python side are dropped).
    rss0, heap0 = rss_mib(), heap_bytes()
    for _ in range(args.retained):
        matcher_type().prepare(native)
    rss1, heap1 = rss_mib(), heap_bytes()
    out["retained"] = args.retained
    out["bind_rss_mib_each"] = (rss1 - rss0) / args.retained
    if heap0 is not None and heap1 is not None:
        out["bind_heap_bytes_each"] = (heap1 - heap0) / args.retained
    log(
        f"[{name}] loaded in {ms(loaded)}, bound in {ms(out['first_bind_s'])}, "
        f"{out['rulesets_per_bind']} rulesets; {args.binds} more binds, median "
        f"{ms(statistics.median(binds))}"
    )

    # -- the corpus --------------------------------------------------------------------------
    t0 = time.perf_counter()
    if name == "itil-default":
        mappings, nows, _ = bench.gen_corpus(native, args.tickets, args.seed)
    else:
        mappings, nows = dora_corpus(bench, args.tickets, args.seed)
    build = lambda: [Ticket.from_mapping(m) for m in mappings]  # noqa: E731
    log(f"[{name}] {len(mappings):,} tickets in {time.perf_counter() - t0:.1f} s")

    # -- equality, and what the corpus exercises -------------------------------------------
    recorder = Recorder()
    recorded = native.with_backend(recorder)
    differ: list[str] = []
    matched: dict[str, int] = {}
    deciding = 0
    for t_native, t_durable, t_recorded, now in zip(build(), build(), build(), nows, strict=True):
        a = native.evaluate(t_native, now=now)
        b = durable.evaluate(t_durable, now=now)
        recorded.evaluate(t_recorded, now=now)
        if a.to_dict() != b.to_dict():
            differ.append(a.ticket_id)
        hits = [r.rule.id for r in a.rule_results if r.status == "matched"]
        deciding += bool(hits)
        for rule in hits:
            matched[rule] = matched.get(rule, 0) + 1
    if differ:
        raise SystemExit(
            f"[{name}] FAIL: {len(differ)} of {len(mappings)} decisions differ between the "
            f"native and the durable backend (to_dict), first: {', '.join(differ[:5])}"
        )
    calls = recorder.calls
    out["tickets"] = len(mappings)
    out["identical"] = len(mappings)
    out["decisions_with_a_match"] = deciding
    out["rules_matched"] = dict(sorted(matched.items()))
    out["matching_calls"] = len(calls)
    m = durable.matcher
    wrong = sum(m.matching(p, r, f) != native_matching(p, r, f) for p, r, f in calls)
    if wrong:
        raise SystemExit(f"[{name}] FAIL: {wrong} of {len(calls)} matching calls differ")
    log(f"[{name}] {len(mappings):,} decisions identical; {len(calls):,} matching calls agree")

    # -- full decisions, interleaved ---------------------------------------------------------
    def full(policy: Any) -> Callable[[], dict[str, float]]:
        def one() -> dict[str, float]:
            tickets = build()  # cold: nothing a ticket caches survives a pass
            evaluate = policy.evaluate
            pairs = list(zip(tickets, nows, strict=True))
            return timed(lambda: [evaluate(t, now=n) for t, n in pairs], len(pairs))

        return one

    t0 = time.perf_counter()
    out["full"] = interleaved({"native": full(native), "durable": full(durable)}, args.passes)
    log(f"[{name}] full decisions: {time.perf_counter() - t0:.0f} s")

    # -- the matching step alone, on the captured facts --------------------------------------
    def alone(answer: Callable[..., object]) -> Callable[[], dict[str, float]]:
        return lambda: timed(lambda: [answer(p, r, f) for p, r, f in calls], len(calls))

    step = {"native": alone(native_matching), "durable": alone(m.matching)}
    compiled = getattr(m, "_ruleset", None)  # private: skipped if it goes
    if compiled is not None:  # the Python half of a durable call: its fact, as JSON
        facts_of = [(compiled(p, r).attributes, f) for p, r, f in calls]

        def normalise() -> None:
            for attributes, f in facts_of:
                json.dumps({a: extract(f) for a, extract in attributes})

        step["durable: fact + JSON only"] = lambda: timed(normalise, len(calls))
    out["matching"] = interleaved(step, args.passes * 2 + 1)

    # -- the matching step inside decisions --------------------------------------------------
    def inside(inner: Any | None) -> Callable[[], dict[str, float]]:
        timer = Timed(inner)
        policy = native.with_backend(timer)

        def one() -> dict[str, float]:
            timer.ns = timer.calls = 0
            tickets = build()
            gc.collect()
            gc.disable()
            try:
                for t, n in zip(tickets, nows, strict=True):
                    policy.evaluate(t, now=n)
            finally:
                gc.enable()
            spent = timer.ns / 1e9
            return {"per_call": spent / timer.calls, "per_decision": spent / len(tickets)}

        return one

    t0 = time.perf_counter()
    out["inside"] = interleaved({"native": inside(None), "durable": inside(m)}, args.passes)
    log(f"[{name}] matching inside decisions: {time.perf_counter() - t0:.0f} s")

    # -- memory: RSS and threads around N decisions -----------------------------------------
    tickets = build()
    threads = [threading.active_count(), status_kib("Threads")]
    rss = [rss_mib()]
    for policy in (native, durable, durable):
        for t, now in cycle(list(zip(tickets, nows, strict=True)), args.memory):
            policy.evaluate(t, now=now)
        rss.append(rss_mib())
        threads += [threading.active_count(), status_kib("Threads")]
    out["memory"] = {"decisions": args.memory, "rss_mib": rss, "threads": threads}
    return out


# ---- report --------------------------------------------------------------------------------
def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def heap_kib(pack: Mapping[str, Any]) -> str:
    each = pack.get("bind_heap_bytes_each")
    return "n/a" if each is None else f"{each / 1024:,.0f} KiB"


def report(result: dict[str, Any]) -> str:
    out: list[str] = []
    P = out.append
    P("## backends: native against durable_rules (`bench/backends_bench.py`)")
    P("")
    P(
        f"- {result['started']} UTC; CPython {result['python']} on {result['machine']}, "
        f"{result['cores']} cores; durable_rules {result['durable_version']}"
    )
    P(f"- load: at start `{result['uptime_start']}`; at end `{result['uptime_end']}`")
    P(f"- escalate measured: {result['source']}")
    P(f"- `import durable_rules_engine` and a first `DurableMatcher()`: {ms(result['import_s'])}")
    P(
        f"- {result['passes']} passes per backend, interleaved, alternating which goes first; "
        "figures are medians of the passes; CPU time is the steadier on shared cores"
    )
    P("")
    rows, steps, binds, mem = [], [], [], []
    for pack in result["packs"]:
        name = pack["pack"]
        if "refused" in pack:
            rows.append([f"**{name}**", "refused at bind", pack["refused"], "", "", "", ""])
            continue
        fn, fd = pack["full"]["native"], pack["full"]["durable"]
        cn, cd = med(fn["cpu"]), med(fd["cpu"])
        wn, wd = med(fn["wall"]), med(fd["wall"])
        rows.append(
            [
                f"**{name}** ({pack['rules']} rules, {pack['tickets']:,} tickets)",
                "native",
                us(cn),
                f"{1 / cn:,.0f}",
                us(wn),
                "",
                "",
            ]
        )
        rows.append(
            [
                "",
                "durable",
                us(cd),
                f"{1 / cd:,.0f}",
                us(wd),
                f"**{cd / cn:.2f}×** (wall {wd / wn:.2f}×)",
                f"+{us(cd - cn)}",
            ]
        )
        alone, inside = pack["matching"], pack["inside"]
        an, ad = med(alone["native"]["cpu"]), med(alone["durable"]["cpu"])
        half = alone.get("durable: fact + JSON only")
        inn, ind = med(inside["native"]["per_call"]), med(inside["durable"]["per_call"])
        extra = med(inside["durable"]["per_decision"]) - med(inside["native"]["per_decision"])
        steps.append(
            [
                name,
                f"{pack['matching_calls'] / pack['tickets']:.2f}",
                us(an),
                us(ad),
                us(med(half["cpu"])) if half else "",
                f"{ad / an:.0f}×",
                us(inn),
                us(ind),
                f"{ind / inn:.0f}×",
                f"+{us(extra)}",
            ]
        )
        binds.append(
            [
                name,
                str(pack["rulesets_per_bind"]),
                ms(pack["first_bind_s"]),
                ms(med(pack["bind_s"])),
                heap_kib(pack),
                f"{pack['bind_rss_mib_each'] * 1024:,.0f} KiB",
                ms(pack["load_s"]),
            ]
        )
        r = pack["memory"]["rss_mib"]
        th = pack["memory"]["threads"]
        mem.append(
            [
                name,
                f"{pack['memory']['decisions']:,}",
                f"{r[0]:.1f}",
                f"{r[1]:.1f} ({r[1] - r[0]:+.1f})",
                f"{r[2]:.1f} ({r[2] - r[1]:+.1f})",
                f"{r[3]:.1f} ({r[3] - r[2]:+.1f})",
                f"{th[1]} → {th[7]}",
            ]
        )
    P("Full decisions (`policy.evaluate`, cold tickets), per decision:")
    P("")
    P(
        table(
            [
                "pack",
                "backend",
                "CPU (median)",
                "decisions/s",
                "wall (median)",
                "durable ÷ native",
                "durable − native",
            ],
            rows,
        )
    )
    P("")
    for pack in result["packs"]:
        if "refused" not in pack:
            hit = pack["decisions_with_a_match"]
            P(
                f"- {pack['pack']}: all {pack['identical']:,} decisions identical (`to_dict()`), "
                f"all {pack['matching_calls']:,} matching calls agree; {hit:,} "
                f"({hit / pack['tickets']:.0%}) decisions with a matched rule; matched: "
                + ", ".join(f"{k} {v:,}" for k, v in pack["rules_matched"].items())
            )
    P("")
    if steps:
        P(
            "The matching step (which rules hold now), per call with rules to match, CPU medians: "
            "alone, on the captured facts in a loop; and inside decisions (each call timed "
            "with `perf_counter_ns` by a wrapping matcher):"
        )
        P("")
        P(
            table(
                [
                    "pack",
                    "calls a decision",
                    "native alone (`rule.when.check`)",
                    "durable alone (`DurableMatcher.matching`)",
                    "of which the fact + JSON",
                    "ratio alone",
                    "native inside",
                    "durable inside",
                    "ratio inside",
                    "durable − native a decision, inside",
                ],
                steps,
            )
        )
        P("")
        P("Binding (`with_backend`), per policy:")
        P("")
        P(
            table(
                [
                    "pack",
                    "rulesets",
                    "first bind",
                    "bind (median, fresh matcher)",
                    "C heap kept per bind (never freed)",
                    "RSS kept per bind",
                    "load (for scale)",
                ],
                binds,
            )
        )
        P("")
        P(
            f"(What a bind keeps: {result['retained']} binds with a fresh `DurableMatcher` each, "
            "the matchers dropped; the C heap from glibc `mallinfo2`.)"
        )
        P("")
        P("Memory (RSS MiB, gc collected; OS threads):")
        P("")
        P(
            table(
                [
                    "pack",
                    "decisions each",
                    "before",
                    "after native",
                    "after durable",
                    "after durable again",
                    "threads",
                ],
                mem,
            )
        )
    wheel = result.get("wheel")
    if wheel:
        P("")
        if wheel["ok"]:
            P(
                f"Building the extra: `{wheel['command']}`: {wheel['wall_s']:.1f} s wall, "
                f"{wheel['cpu_s']:.1f} s CPU (pip and gcc), wheel {wheel['wheel']} "
                f"({wheel['wheel_bytes'] / 1024:.0f} KiB); {wheel['gcc']}"
            )
        else:
            P(f"Building the extra failed: `{wheel['command']}`: {' '.join(wheel['error'])}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    ap.add_argument("--tickets", type=int, default=3_000, help="tickets per pack")
    ap.add_argument("--passes", type=int, default=5, help="timed passes per backend, >= 3")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--packs", default="itil-default,dora", help=f"of {', '.join(PACKS)}")
    ap.add_argument("--binds", type=int, default=9, help="binds timed per pack")
    ap.add_argument("--memory", type=int, default=10_000, help="decisions per memory step")
    ap.add_argument("--retained", type=int, default=30, help="binds whose memory is measured")
    ap.add_argument("--wheel", action="store_true", help=f"also time `pip wheel {WHEEL}`")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the escalate tree to measure")
    ap.add_argument("--json", help="write the raw numbers here")
    args = ap.parse_args(argv)
    if args.passes < 3:
        ap.error("--passes must be at least 3")
    packs = [p for p in args.packs.split(",") if p]
    if unknown := [p for p in packs if p not in PACKS]:
        ap.error(f"unknown pack {unknown[0]!r}: use {', '.join(PACKS)}")

    sys.path.insert(0, str(Path(args.src).resolve()))  # before evaluate.py puts ours first
    import escalate
    from escalate.errors import MissingExtraError

    sys.path.insert(1, str(ROOT / "bench"))
    import evaluate as bench  # the corpus of bench/evaluate.py

    result: dict[str, Any] = {
        "started": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "uptime_start": uptime(),
        "loadavg_start": os.getloadavg(),
        "source": bench.source_state() if Path(args.src).resolve() == ROOT / "src" else args.src,
        "escalate": escalate.__file__,
        "tickets": args.tickets,
        "passes": args.passes,
        "seed": args.seed,
        "retained": args.retained,
    }
    t0 = time.perf_counter()
    try:
        from escalate.engine.durable import DurableMatcher

        DurableMatcher()
    except MissingExtraError as exc:
        raise SystemExit(f"backends_bench needs the extra: {exc}") from None
    result["import_s"] = time.perf_counter() - t0
    from importlib.metadata import version

    result["durable_version"] = version("durable_rules")
    if args.wheel:
        log(f"[wheel] pip wheel {WHEEL} (downloads and compiles)")
        result["wheel"] = build_wheel()
    result["packs"] = [run_pack(p, args, bench, escalate.load, DurableMatcher) for p in packs]
    result["uptime_end"] = uptime()
    result["loadavg_end"] = os.getloadavg()
    print(report(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    refused = [p["pack"] for p in result["packs"] if "refused" in p]
    if refused:
        log(f"refused at bind: {', '.join(refused)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
