"""``escalate snapshot``: one decision snapshot file per ticket, written or checked.

Without ``--check`` the folder ``--out`` is made to hold exactly the corpus's snapshots: files
are written (byte-identical when nothing changed), and snapshot files of tickets no longer in
the corpus are removed. A file there that is not a snapshot is never overwritten or removed:
the command stops before writing anything. With ``--check`` nothing is written: every
snapshot that differs is shown as a unified diff, with the missing and stale ones (each kind
counted on its own), and the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
from dataclasses import dataclass
from typing import Any

from escalate.cli._corpus import (
    Entry,
    add_recount_option,
    decide_entry,
    read_corpus,
    with_recurrence_fields,
)
from escalate.cli._io import (
    MAX_JSON_BYTES,
    instant_arg,
    load_policy,
    out,
    print_json,
    read_availability,
)
from escalate.engine.decision import iso
from escalate.errors import EscalateError
from escalate.policy.loader import read_file
from escalate.whatif.snapshot import snapshot_diff, snapshot_json, snapshot_name

#: What ``--check`` finds, in the order it counts them: a snapshot whose decision changed, a
#: ticket without its snapshot file, a snapshot file without its ticket.
_FINDINGS = ("changed", "missing", "stale")

#: The keys every snapshot file has: a ``*.json`` file without them is not one.
_SNAPSHOT_KEYS = frozenset({"format", "ticket", "evaluated_at", "actions", "clocks", "paths"})


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A snapshot the corpus produces: its file ``name``, the ticket's ``entry``, its text."""

    name: str
    entry: Entry
    ticket_id: str
    text: str


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "snapshot",
        help="write (or --check) one decision snapshot JSON per ticket of a corpus",
        description=(
            "Evaluate every ticket at --at and write its decision as stable JSON to "
            "--out/<ticket id>.json (no policy hash, version, input digest or condition "
            "trace: they change with every edit of the policy). --check compares instead of "
            "writing: exit 1 and a unified diff per changed ticket."
        ),
    )
    cmd.add_argument("--policy", required=True, help="policy file or folder")
    cmd.add_argument(
        "--tickets",
        required=True,
        help="a folder of *.json ticket files, a .json ticket or a JSONL file (a ticket a "
        "line; '-': JSONL on standard input)",
    )
    cmd.add_argument("--at", required=True, type=instant_arg, help="ISO instant with offset")
    cmd.add_argument("--out", required=True, help="the folder of snapshot files")
    cmd.add_argument("--availability", help="availability JSON (out of office, unreachable)")
    cmd.add_argument(
        "--check",
        action="store_true",
        help="compare with the files in --out instead of writing (exit 1 if any differ)",
    )
    cmd.add_argument("--json", action="store_true", help="print the outcome as JSON")
    add_recount_option(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    entries = with_recurrence_fields(policy, read_corpus(args.tickets), recount=args.recount)
    availability = read_availability(args.availability)
    wanted: dict[str, _Wanted] = {}
    folded: dict[str, _Wanted] = {}
    for entry in entries:
        decision = decide_entry(policy, entry, args.at, availability)
        item = _Wanted(
            snapshot_name(decision.ticket_id), entry, decision.ticket_id, snapshot_json(decision)
        )
        # Case-insensitive file systems would write two such tickets to one file.
        other = folded.get(item.name.casefold())
        if other is not None:
            raise EscalateError(
                f"{entry.where}: ticket {item.ticket_id!r} would have the snapshot file of "
                f"ticket {other.ticket_id!r} from {other.entry.where} ({other.name}); "
                "ticket ids in a corpus must differ (ignoring case)"
            )
        folded[item.name.casefold()] = item
        wanted[item.name] = item
    if args.check:
        return _check(args, wanted)
    return _write(args, wanted)


def _existing(folder: str) -> dict[str, bytes]:
    """The ``*.json`` files of ``folder`` and their bytes (nothing when it does not exist)."""
    if not os.path.exists(folder):
        return {}
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".json"))
    except OSError as exc:
        raise EscalateError(
            f"cannot read snapshot folder {folder!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    return {
        name: read_file(
            os.path.join(folder, name),
            what="snapshot",
            max_bytes=MAX_JSON_BYTES,
            error=EscalateError,
        )
        for name in names
    }


def _is_snapshot(raw: bytes) -> bool:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and _SNAPSHOT_KEYS <= data.keys()


def _refuse_foreign(folder: str, existing: dict[str, bytes], wanted: dict[str, _Wanted]) -> None:
    """Refuse a folder holding a ``*.json`` file that is not a decision snapshot and that
    writing would change or remove: escalate never overwrites or removes one."""
    for name, raw in existing.items():
        item = wanted.get(name)
        if raw != (None if item is None else item.text.encode()) and not _is_snapshot(raw):
            raise EscalateError(
                f"{os.path.join(folder, name)} is not a decision snapshot; escalate will not "
                "overwrite or remove it (give --out a folder that holds snapshots only)"
            )


def _check(args: argparse.Namespace, wanted: dict[str, _Wanted]) -> int:
    folder = args.out
    if not os.path.isdir(folder):
        raise EscalateError(
            f"cannot check snapshots in {folder!r}: it is not a folder (write them first: "
            f"{_update_command(args)})"
        )
    existing = _existing(folder)
    _refuse_foreign(folder, existing, wanted)  # as writing would: no update it cannot do
    results = []
    for name, item in wanted.items():
        raw = existing.get(name)
        file = os.path.join(folder, name)
        if raw is None:
            results.append(_result(item.ticket_id, file, "missing", None, item.entry.where))
            continue
        expected = raw.decode("utf-8", "replace")
        if expected == item.text:
            results.append(_result(item.ticket_id, file, "same", None, item.entry.where))
        else:
            diff = snapshot_diff(expected, item.text, name=file)
            results.append(_result(item.ticket_id, file, "changed", diff, item.entry.where))
    for name in existing:
        if name not in wanted:
            file = os.path.join(folder, name)
            results.append(_result(None, file, "stale", None, None))
    differ = [r for r in results if r["status"] != "same"]
    # Each kind counted on its own: a missing or stale file is not a changed decision.
    counts = {kind: sum(r["status"] == kind for r in results) for kind in _FINDINGS}
    if args.json:
        document = {
            "out": folder,
            "snapshots": len(wanted),
            **counts,
            "results": results,
            "update": _update_command(args),
        }
        print_json(document)
        return 1 if differ else 0
    out(
        f"snapshots in {folder} at {iso(args.at)}: {len(wanted)} ticket"
        f"{'s' if len(wanted) != 1 else ''}, "
        + ", ".join(f"{counts[kind]} {kind}" for kind in _FINDINGS)
    )
    for result in differ:
        if result["status"] == "changed":
            out(result["diff"].rstrip("\n"), keep_newlines=True)
        elif result["status"] == "missing":
            out(f"missing: {result['file']} (ticket {result['ticket']} from {result['source']})")
        else:
            out(f"stale: {result['file']} (no ticket of the corpus has this snapshot)")
    if differ:
        out(f"if the new decisions are right, update the snapshots with: {_update_command(args)}")
    return 1 if differ else 0


def _result(
    ticket: str | None, file: str, status: str, diff: str | None, source: str | None
) -> dict[str, Any]:
    return {"ticket": ticket, "file": file, "status": status, "diff": diff, "source": source}


def _write(args: argparse.Namespace, wanted: dict[str, _Wanted]) -> int:
    folder = args.out
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise EscalateError(f"cannot write snapshots to {folder!r}: it is not a folder")
    existing = _existing(folder)
    # Every refusal before the first write: a folder is never left half updated by one.
    _refuse_foreign(folder, existing, wanted)
    written, unchanged = [], []
    try:
        os.makedirs(folder, exist_ok=True)
        for name, item in wanted.items():
            data = item.text.encode("ascii")
            if existing.get(name) == data:
                unchanged.append(name)
                continue
            with open(os.path.join(folder, name), "wb") as file:
                file.write(data)
            written.append(name)
        removed = [name for name in existing if name not in wanted]
        for name in removed:
            os.remove(os.path.join(folder, name))
    except OSError as exc:
        where = exc.filename or folder
        raise EscalateError(
            f"cannot write snapshots to {where!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    if args.json:
        document = {"out": folder, "written": written, "unchanged": unchanged, "removed": removed}
        print_json(document)
    else:
        out(
            f"{len(wanted)} snapshot{'s' if len(wanted) != 1 else ''} in {folder}: "
            f"{len(written)} written, {len(unchanged)} unchanged, {len(removed)} removed"
        )
    return 0


def _update_command(args: argparse.Namespace) -> str:
    """The command line that writes the snapshots this check compared with."""
    words = ["escalate", "snapshot", "--policy", args.policy, "--tickets", args.tickets]
    words += ["--at", iso(args.at) or "", "--out", args.out]
    if args.availability is not None:
        words += ["--availability", args.availability]
    if args.recount:
        words.append("--recount")
    return " ".join(shlex.quote(word) for word in words)
