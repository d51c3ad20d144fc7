"""What runs on a worker, whatever the engine: the policy shipped as text, tickets, incidents.

The Dask and Spark modules only move data; the work is here, so both engines give the same
results as one process does:

* :class:`PolicySource` is a policy as the bytes of its files (one text, a file, a folder, and
  every policy they ``extends``), small and picklable; a worker compiles it with
  :func:`escalate.loads` or :func:`escalate.load` once per process (:func:`compiled`).
* :func:`evaluate_partition` decides each ticket of a partition into a :func:`decision_record`.
* :func:`replay_incident` reads one incident's log rows with
  :func:`~escalate.adapters.servicenow.read_log` (lines as in the whole log) and replays it;
  :func:`assemble` orders the incidents as the log does and builds the
  :class:`~escalate.adapters.servicenow.Replay` that :func:`~escalate.adapters.servicenow.replay`
  gives for the whole log in one process.
* :class:`WorkerError` is what a failure on a worker becomes: picklable, naming the ticket or
  the incident.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from escalate._json import parse_json
from escalate.adapters.servicenow import (
    Anomaly,
    IncidentReplay,
    LogError,
    Replay,
    ServiceNowMapping,
    read_log,
    replay,
)
from escalate.engine.compiled import Policy
from escalate.engine.decision import iso
from escalate.errors import (
    ArgumentError,
    EscalateError,
    NaiveDatetimeError,
    PolicyError,
    shown,
)
from escalate.policy._yaml import parse_yaml
from escalate.policy.loader import (
    CASE_SUFFIXES,
    MAX_BYTES,
    MAX_EXTENDS,
    POLICY_SUFFIXES,
    load,
    loads,
    read_file,
)

__all__ = [
    "MARKER",
    "PolicySource",
    "ReplayedIncident",
    "WorkerError",
    "assemble",
    "check_call",
    "compilations",
    "compiled",
    "decision_record",
    "evaluate_partition",
    "replay_incident",
]

#: Starts the one-line JSON form of a :class:`WorkerError` inside an engine's own error text
#: (Spark returns a worker's failure to the driver as text only).
MARKER = "escalate-worker-error:"


class WorkerError(EscalateError):
    """A ticket or an incident failed on a worker: ``what`` names it (``ticket INC1``,
    ``incident INC1``), ``error`` is the class of the error raised there (``TicketError``,
    ``LogError`` ...) and ``message`` its text. Nothing partial is returned."""

    def __init__(self, what: str, error: str, message: str) -> None:
        self.what = what
        self.error = error
        self.message = message
        super().__init__(f"{what}: {error}: {message}")

    def __reduce__(self) -> tuple[type[WorkerError], tuple[str, str, str]]:
        return (WorkerError, (self.what, self.error, self.message))

    def marked(self) -> str:
        """This error as one line of text an engine can carry: :data:`MARKER` then JSON."""
        return MARKER + json.dumps([self.what, self.error, self.message])

    @classmethod
    def from_text(cls, text: str) -> WorkerError | None:
        """The error :meth:`marked` wrote into ``text`` (the last one), or ``None``."""
        at = text.rfind(MARKER)
        if at < 0:
            return None
        line = text[at + len(MARKER) :].splitlines()[0]
        try:
            what, error, message = json.loads(line)
        except ValueError:
            return None
        return cls(str(what), str(error), str(message))


def _failed(what: str, exc: BaseException) -> WorkerError:
    return WorkerError(what, type(exc).__name__, str(exc))


# ---------------------------------------------------------------------------------------------
# The policy, as text
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicySource:
    """A policy as the bytes of its files, to ship to workers and compile there.

    ``files`` are ``(relative path, bytes)`` pairs under one root, ``entry`` the path that is
    loaded (``"."`` for a folder at the root), or ``""`` for one text compiled with
    :func:`escalate.loads` under its file name (:meth:`from_text`, or a single file that
    extends nothing); ``digest`` is the sha256 of all of it, the key a
    worker caches the compiled policy under. Build one with :meth:`from_text` or
    :meth:`from_path`, which compile the policy once where they run, so a bad policy is a
    :class:`~escalate.errors.PolicyError` there, before any worker starts.

    >>> source = PolicySource.from_text("policy: p\\nversion: 1\\n")
    >>> source.compile().id
    'p'
    """

    entry: str
    files: tuple[tuple[str, bytes], ...] = field(repr=False)
    digest: str

    @classmethod
    def from_text(cls, text: str | bytes, *, filename: str = "<string>") -> PolicySource:
        """The policy in ``text`` (YAML, as :func:`escalate.loads` takes it; ``filename`` labels
        errors). Text cannot ``extends`` a file: use :meth:`from_path` for that."""
        loads(text, filename=filename)  # a bad policy fails here, not on every worker
        data = text.encode("utf-8") if isinstance(text, str) else text
        return cls._of("", ((filename, data),))

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> PolicySource:
        """The policy at ``path`` as :func:`escalate.load` reads it (a file, a path without
        ``.yaml``, a folder), with the files of every policy it ``extends``."""
        load(path)  # the loader's own checks and messages, with the real file names
        given = os.fspath(path)
        if not os.path.exists(given) and os.path.isfile(given + ".yaml"):
            given += ".yaml"  # as load() names it
        name = _document(given)
        found: dict[str, bytes] = {}
        _collect(name, found, depth=0)
        if not os.path.isdir(name) and len(found) == 1:
            # One file: compiled from its text under the name load() gave it, so even the
            # positions a decision's trace names are the ones of load(path) here.
            return cls._of("", ((given, found[name]),))
        root = os.path.commonpath([os.path.dirname(f) for f in found])
        entry = os.path.relpath(os.path.abspath(name), root)
        files = tuple(
            sorted((os.path.relpath(f, root).replace(os.sep, "/"), d) for f, d in found.items())
        )
        return cls._of(entry.replace(os.sep, "/"), files)

    @classmethod
    def _of(cls, entry: str, files: tuple[tuple[str, bytes], ...]) -> PolicySource:
        digest = hashlib.sha256()
        for part in (entry.encode("utf-8"), *(x for f, d in files for x in (f.encode(), d))):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return cls(entry, files, digest.hexdigest())

    def compile(self) -> Policy:
        """Compile the policy (each call compiles anew; :func:`compiled` caches)."""
        if not self.entry:
            ((filename, text),) = self.files
            return loads(text, filename=filename)
        # load() reads files: the folder layout, the folder merge and `extends` paths are the
        # loader's, so the policy is written out as it was read and loaded from there.
        with tempfile.TemporaryDirectory(prefix="escalate-policy-") as root:
            for name, data in self.files:
                target = os.path.join(root, *name.split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as out:
                    out.write(data)
            return load(os.path.join(root, *self.entry.split("/")))


def _document(name: str) -> str:
    """The file or folder ``load`` reads for ``name`` (``rules/p`` may be ``rules/p.yaml``)."""
    if not os.path.exists(name) and os.path.isfile(name + ".yaml"):
        name += ".yaml"
    return os.path.abspath(name)


def _collect(name: str, found: dict[str, bytes], depth: int) -> None:
    """Add the policy files of ``name`` (a file or a folder) and of the policy it extends."""
    if depth > MAX_EXTENDS:  # load() refused this already; never loop
        raise PolicyError(f"policies extend one another more than {MAX_EXTENDS} deep")
    if os.path.isdir(name):
        files = [
            os.path.join(name, n)
            for n in sorted(os.listdir(name))
            if n.endswith(POLICY_SUFFIXES) and not n.endswith(CASE_SUFFIXES)
        ]
        folder = name
    else:
        files = [name]
        folder = os.path.dirname(name)
    extends: str | None = None
    for file in files:
        data = read_file(file, what="policy", max_bytes=MAX_BYTES)
        found[file] = data
        document, _ = parse_yaml(data, file)
        if isinstance(document, Mapping) and isinstance(document.get("extends"), str):
            extends = document["extends"]
    if extends is not None:
        _collect(_document(os.path.join(folder, extends)), found, depth + 1)


class _Compiled:
    """Policies compiled in this process, by :attr:`PolicySource.digest`; the few most
    recently used are kept. Thread-safe: Dask's threaded scheduler shares a process."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._policies: OrderedDict[str, Policy] = OrderedDict()
        self.compilations: Counter[str] = Counter()

    def get(self, source: PolicySource) -> Policy:
        with self._lock:
            policy = self._policies.get(source.digest)
            if policy is None:
                policy = source.compile()
                self.compilations[source.digest] += 1
                self._policies[source.digest] = policy
                while len(self._policies) > self._size:
                    gone, _ = self._policies.popitem(last=False)
                    del self.compilations[gone]  # bounded like the memo
            self._policies.move_to_end(source.digest)
            return policy


# A memo per process, at this edge only, and why: Dask and Spark unpickle a task's function for
# every task, so a cache held by that function would last one partition, and neither engine
# offers a per-process place for it that works with every scheduler (Dask's local schedulers
# have no worker object; Spark reuses its Python workers across tasks but gives them no state).
# It holds immutable compiled policies keyed by the digest of their source text, so it cannot
# change a result, only save compiling the same policy again.
_PROCESS = _Compiled(size=4)


def compiled(source: PolicySource) -> Policy:
    """The compiled policy of ``source``, compiled at most once in this process."""
    if not isinstance(source, PolicySource):
        raise ArgumentError(
            f"the policy must be a PolicySource (PolicySource.from_path or .from_text), "
            f"got {type(source).__name__}"
        )
    return _PROCESS.get(source)


def compilations(source: PolicySource) -> int:
    """How many times this process has compiled ``source`` through :func:`compiled` since it
    last entered the memo: 1 while the memo holds it, 0 once other policies pushed it out."""
    return _PROCESS.compilations[source.digest]


# ---------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------


def decision_record(policy: Policy, ticket: object, now: datetime) -> dict[str, Any]:
    """``ticket`` (a mapping, or its JSON text) decided at ``now``: ``ticket_id``,
    ``decision`` (:meth:`~escalate.Decision.to_json`, byte for byte what ``policy.evaluate``
    gives), ``next_evaluation_at`` (ISO-8601 UTC or ``None``) and ``actions`` (how many are
    due). A failure is a :class:`WorkerError` naming the ticket."""
    try:
        data = parse_json(ticket, "ticket") if isinstance(ticket, str) else ticket
    except EscalateError as exc:
        raise _failed(f"ticket {shown(ticket)}", exc) from None
    name = data.get("id") if isinstance(data, Mapping) else None
    what = f"ticket {name}" if isinstance(name, str) else f"ticket {shown(data)}"
    try:
        if not isinstance(data, Mapping):
            raise ArgumentError(
                f"a ticket is a JSON object or a mapping, got {type(data).__name__}"
            )
        decision = policy.evaluate(data, now=now)
        return {
            "ticket_id": decision.ticket_id,
            "decision": decision.to_json(),
            "next_evaluation_at": iso(decision.next_evaluation_at),
            "actions": len(decision.actions),
        }
    except Exception as exc:  # anything, a bug included, names the ticket on the way out
        raise _failed(what, exc) from None


def check_call(source: PolicySource, now: datetime) -> None:
    """What a driver checks before a sweep starts: the policy compiles (here, once), ``now``
    is an aware datetime; so a bad argument fails before any task runs."""
    compiled(source)
    if not isinstance(now, datetime):
        raise ArgumentError(f"now must be an aware datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetimeError(f"now must be aware (with a time zone), got {now.isoformat()}")


def evaluate_partition(
    source: PolicySource, tickets: Iterable[object], now: datetime
) -> Iterator[dict[str, Any]]:
    """Each ticket of a partition as its :func:`decision_record`, the policy compiled at most
    once in this process."""
    policy = compiled(source)
    for ticket in tickets:
        yield decision_record(policy, ticket, now)


# ---------------------------------------------------------------------------------------------
# Replaying a log's incidents
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ReplayedIncident:
    """One incident replayed on a worker, with what :func:`assemble` needs of its reading:
    ``first_line`` (its place in the log), ``rows``, its ``anomalies`` (lines as in the whole
    log), which ``counters`` its ticket used and whether the two sets ``agree``."""

    first_line: int
    rows: int
    result: IncidentReplay
    anomalies: tuple[Anomaly, ...]
    counters: Literal["servicenow", "derived"]
    agree: bool


def replay_incident(
    source: PolicySource,
    mapping: ServiceNowMapping,
    number: str,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    clock: str | None,
    max_steps: int,
) -> ReplayedIncident:
    """Read and replay one incident: ``rows`` are ``(line in the log, row)`` pairs, every row
    of incident ``number`` (in any order). The same reading and replay as
    :func:`~escalate.adapters.servicenow.read_log` and
    :func:`~escalate.adapters.servicenow.replay` give this incident within the whole log."""
    ordered = sorted(rows, key=lambda pair: pair[0])
    lines = [line for line, _ in ordered]
    try:
        policy = compiled(source)
        try:
            reading = read_log([row for _, row in ordered], mapping, first_line=1)
        except LogError as exc:
            raise _in_log(exc, lines) from None
        if len(reading.incidents) != 1:
            raise ArgumentError(
                f"the rows given as incident {number} are {len(reading.incidents)} incidents "
                f"({', '.join(i.number for i in reading.incidents)}); group rows by number"
            )
        (incident,) = reading.incidents
        (result,) = replay(policy, (incident,), clock=clock, max_steps=max_steps).incidents
    except Exception as exc:  # anything, a bug included, names the incident on the way out
        raise _failed(f"incident {number}", exc) from None
    return ReplayedIncident(
        first_line=lines[0] if lines else 0,
        rows=len(lines),
        result=result,
        anomalies=tuple(
            dataclasses.replace(a, line=lines[a.line - 1], detail=_relined(a.detail, lines))
            for a in incident.anomalies
        ),
        counters=incident.counters.used,
        agree=incident.counters.agree,
    )


# The phrases in which read_log names another row's line inside a message or an anomaly's
# detail ("sys_mod_count 1 also on line 7", "opened_at differs from line 2's ..."); the
# differential tests read every anomaly kind both ways, so a new phrase cannot go unseen.
_OTHER_LINE = re.compile(r"(also on line |differs from line )(\d+)\b")


def _relined(text: str, lines: Sequence[int]) -> str:
    """``text`` with the lines it names (counted within one incident's rows from 1) as the
    lines of those rows in the whole log."""

    def real(match: re.Match[str]) -> str:
        n = int(match.group(2))
        return match.group(1) + str(lines[n - 1] if 0 < n <= len(lines) else n)

    return _OTHER_LINE.sub(real, text)


def _in_log(exc: LogError, lines: Sequence[int]) -> LogError:
    """``exc`` (read from one incident's rows, numbered from 1) with its line in the log."""
    real = lines[exc.line - 1] if 0 < exc.line <= len(lines) else exc.line
    message = _relined(exc.message.removeprefix(f"line {exc.line}: "), lines)
    column = str(exc.path[0]) if exc.path else ""
    return LogError(message, line=real, column=column, value=exc.value)


def assemble(policy: Policy, incidents: Iterable[ReplayedIncident], *, clock: str | None) -> Replay:
    """The :class:`~escalate.adapters.servicenow.Replay` of a whole log from its incidents
    replayed anywhere, in any order: ordered by first line, as ``read_log`` orders them."""
    done = sorted(incidents, key=lambda i: i.first_line)
    seen: dict[str, int] = {}
    for incident in done:
        number = incident.result.number
        if number in seen:
            raise ArgumentError(
                f"incident {number} came back twice (first lines {seen[number]} and "
                f"{incident.first_line}): its rows write the number differently; group rows by "
                "the number as the mapping reads it"
            )
        seen[number] = incident.first_line
    used = {i.counters for i in done}
    if len(used) > 1:
        raise ArgumentError("the incidents carry different counters; use one mapping")
    empty = replay(policy, (), clock=clock)  # the clock's name, checked
    return Replay(
        policy_id=empty.policy_id,
        policy_version=empty.policy_version,
        policy_hash=empty.policy_hash,
        clock=empty.clock,
        incidents=tuple(i.result for i in done),
        anomalies=tuple(a for i in done for a in i.anomalies),
        rows=sum(i.rows for i in done),
        counters_used=next(iter(used)) if used else None,
        counters_disagree=tuple(i.result.number for i in done if not i.agree),
    )
