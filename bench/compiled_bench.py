"""Full decisions, pure Python against the mypyc build: decisions per second of each, same run.

Needs the compiled build installed in ``.venv-compiled`` (``make compiled``). Run from the
project root::

    .venv-compiled/bin/python bench/compiled_bench.py                 # 5,000 tickets
    .venv-compiled/bin/python bench/compiled_bench.py --tickets 1000  # smoke test

Both builds run in the same interpreter of ``.venv-compiled``, each in its own child process:
the pure one with this tree's ``src/`` first on the path, the compiled one from the installed
wheel (the child checks that ``escalate.engine.facts`` really is an extension module). The
tickets and the per-ticket ``now`` come from ``bench/evaluate.py``'s seeded generator, built
into ``Ticket`` objects before any timing. A child times ``--passes`` cold passes (fresh
``Ticket`` objects each time, gc disabled) with ``time.process_time``; the parent runs the
children ``--rounds`` times, interleaved (pure, compiled, pure, compiled ...), and reports the
median per-pass CPU time over every pass of every round. Each child also hashes the
``to_dict()`` JSON of every decision: the two builds must agree byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.machinery
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_COMPILED = 25_000  # issue 12: full decisions per second per core, compiled build
TARGET_PURE = 12_000  # and pure Python


def child(build: str, tickets: int, passes: int, seed: int) -> dict[str, object]:
    """Time ``passes`` cold passes of one build in this process; the figures as a dict."""
    if build == "pure":
        sys.path.insert(0, str(ROOT / "src"))
    import escalate.engine.facts

    extension = (escalate.engine.facts.__file__ or "").endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)
    )
    if extension != (build == "compiled"):
        raise SystemExit(f"{build}: escalate.engine.facts is {escalate.engine.facts.__file__}")
    sys.path.insert(0, str(ROOT / "bench"))
    import evaluate as bench  # the corpus and the timing of bench/evaluate.py

    from escalate.engine.compiled import Policy
    from escalate.policy.loader import load

    policy: Policy = load(bench.POLICY_FILE)
    mappings, nows, _ = bench.gen_corpus(policy, tickets, seed)
    digest = hashlib.sha256()
    for ticket, now in zip(bench.build(mappings), nows, strict=True):
        decision = policy.evaluate(ticket, now=now)
        digest.update(json.dumps(decision.to_dict(), sort_keys=True).encode())
    cpu = []
    for _ in range(passes):
        fresh = bench.build(mappings)  # cold: nothing a ticket caches survives a pass
        cpu.append(bench.time_pass(policy.evaluate, fresh, nows)[1])
    return {"build": build, "cpu": cpu, "digest": digest.hexdigest(), "file": bench.__file__}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--tickets", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--passes", type=int, default=3, help="timed cold passes per child")
    ap.add_argument("--rounds", type=int, default=3, help="children per build, interleaved")
    ap.add_argument("--child", choices=("pure", "compiled"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.tickets, args.passes, args.seed)))
        return 0
    runs: dict[str, list[float]] = {"pure": [], "compiled": []}
    digests: dict[str, set[str]] = {"pure": set(), "compiled": set()}
    for _ in range(args.rounds):
        for build in ("pure", "compiled"):
            command = [sys.executable, __file__, "--child", build]
            command += ["--tickets", str(args.tickets), "--seed", str(args.seed)]
            command += ["--passes", str(args.passes)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            result = json.loads(out)
            runs[build] += result["cpu"]
            digests[build].add(result["digest"])
    same = digests["pure"] == digests["compiled"] and len(digests["pure"]) == 1
    print(f"{args.tickets:,} tickets of rules/itil-default.yaml, seed {args.seed}; CPU time,")
    print(f"median over {args.rounds} rounds x {args.passes} cold passes, interleaved")
    print()
    print("| build | per decision | decisions/s | target |")
    print("|---|---|---|---|")
    rate = {}
    for build, target in (("pure", TARGET_PURE), ("compiled", TARGET_COMPILED)):
        per = statistics.median(runs[build]) / args.tickets
        rate[build] = 1 / per
        print(f"| {build} | {per * 1e6:.1f} µs | {rate[build]:,.0f} | ≥ {target:,}/s |")
    print()
    print(f"compiled / pure: {rate['compiled'] / rate['pure']:.2f}x")
    print(f"decisions identical (to_dict JSON, every ticket): {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
