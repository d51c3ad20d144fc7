"""Worker processes for commands over many tickets: partitioned by ticket id, results in order.

``--workers N`` (:func:`workers_arg`) runs a command's per-item work in ``N`` processes of a
:class:`concurrent.futures.ProcessPoolExecutor` (no scheduler of escalate's own). Items are
partitioned by a stable hash of their key (a ticket id, an incident number: :func:`partition_of`,
CRC-32 of its UTF-8 bytes, the same on every machine and run, unlike ``hash``): the items of one
key are in one partition, in input order. Each partition is cut into chunks of at most
``chunk_size`` items, the pool's unit of work (an item is never split). :func:`run_in_workers`
gives the results back in the input order, so the output of ``--workers N`` is the output of
``--workers 1`` byte for byte.

What the work needs besides the item (the policy, the instant, options) is ``shared``: pickled
once and set up once per worker process by the pool's initializer (a :class:`escalate.Policy`
pickles as its source text and is compiled again there). Processes are started with the
``spawn`` method on every platform, so what a worker sees is exactly what was pickled.

Errors: an :class:`~escalate.errors.EscalateError` raised by the work for an item is reported
as the same error would be without workers: the one of the first failing item in input order
is raised in the calling process, after the results of the items before it, with its message
unchanged (file, line, key); no traceback crosses the process boundary. Any other exception
is a bug and propagates as such (the CLI reports it as an internal error).
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, ClassVar, Generic, TypeVar

from escalate.errors import EscalateError

__all__ = ["CHUNK_SIZE", "MAX_WORKERS", "partition_of", "run_in_workers", "workers_arg"]

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

CHUNK_SIZE = 500
"""Most items sent to a worker process in one task (a pickled chunk and its results)."""
MAX_WORKERS = 256
"""Largest ``--workers``: more processes than that is a typing mistake, not a machine."""


def workers_arg(text: str) -> int:
    """A ``--workers`` value: a whole number from 1 to :data:`MAX_WORKERS` (``0`` and negative
    numbers are usage errors: a command always runs somewhere).

    >>> workers_arg("4")
    4
    """
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of worker processes from 1 to {MAX_WORKERS}, got {text!r}"
        )
    return int(text)


def partition_of(key: str, parts: int) -> int:
    """The partition (``0`` to ``parts - 1``) of the item with ``key``: CRC-32 of its UTF-8
    bytes modulo ``parts``; stable across runs, processes and machines.

    >>> partition_of("INC0010001", 4), partition_of("INC0010001", 4)
    (2, 2)
    """
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % parts


class _Failed:
    """What a worker sends back for an item whose work raised an ``EscalateError``."""

    __slots__ = ("error",)

    def __init__(self, error: EscalateError) -> None:
        self.error = error


class _Worker(Generic[S, T, R]):
    """The work and what it shares, as set up once in each worker process."""

    def __init__(self, work: Callable[[S, T], R], shared: S) -> None:
        self.work = work
        self.shared = shared


class _Current:
    """The worker process's work, set by the pool's initializer (a worker process runs one
    command's work, then ends with the pool)."""

    worker: ClassVar[_Worker[Any, Any, Any] | None] = None


def _initialize(work: Callable[[S, T], R], shared: S) -> None:
    _Current.worker = _Worker(work, shared)


def _run_chunk(chunk: list[Any]) -> list[Any]:
    """The results of one chunk, stopping at the first item whose work fails."""
    worker = _Current.worker
    assert worker is not None, "the pool's initializer sets up every worker"
    results: list[Any] = []
    for item in chunk:
        try:
            results.append(worker.work(worker.shared, item))
        except EscalateError as exc:
            results.append(_Failed(_portable(exc)))
            break
    return results


def _portable(exc: EscalateError) -> EscalateError:
    """``exc`` if it survives pickling unchanged, else an ``EscalateError`` with its message
    (an error class whose constructor takes other arguments than its message cannot be
    rebuilt from its pickle)."""
    try:
        back = pickle.loads(pickle.dumps(exc))
    except Exception:  # any failure to round-trip means: send the message instead
        return EscalateError(str(exc))
    return (
        back
        if isinstance(back, EscalateError) and str(back) == str(exc)
        else EscalateError(str(exc))
    )


def run_in_workers(
    work: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    keys: Callable[[T], str],
    workers: int,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[R]:
    """``work(shared, item)`` for every item, in input order, in ``workers`` processes.

    ``work`` must be a module-level function and ``shared`` picklable (both are sent to each
    worker once); ``keys(item)`` is the item's partition key. With ``workers == 1`` the work
    runs here, in this process, item by item (nothing is pickled). An ``EscalateError`` for an
    item is raised when the results before it have been yielded (see the module docstring).
    """
    if workers == 1:
        for item in items:
            yield work(shared, item)
        return
    parts: list[list[int]] = [[] for _ in range(workers)]
    for index, item in enumerate(items):
        parts[partition_of(keys(item), workers)].append(index)
    chunks = [part[i : i + chunk_size] for part in parts for i in range(0, len(part), chunk_size)]
    # Where each item's result will be: its chunk and its place in it.
    place: list[tuple[int, int]] = [(0, 0)] * len(items)
    for number, chunk in enumerate(chunks):
        for offset, index in enumerate(chunk):
            place[index] = (number, offset)
    pool = ProcessPoolExecutor(
        max_workers=min(workers, max(len(chunks), 1)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_initialize,
        initargs=(work, shared),
    )
    try:
        # A chunk's future is dropped once its results are read, so finished chunks' results
        # are not all held until the last one is yielded.
        futures: list[Future[list[Any]] | None] = [
            pool.submit(_run_chunk, [items[i] for i in chunk]) for chunk in chunks
        ]
        got: dict[int, list[Any]] = {}
        left = [len(chunk) for chunk in chunks]
        for index in range(len(items)):
            number, offset = place[index]
            if number not in got:
                future = futures[number]
                assert future is not None, "a chunk's results are read once"
                got[number] = future.result()
                futures[number] = None
            results = got[number]
            # A chunk stops at its first failure, which is raised before any item after it.
            assert offset < len(results), "no item after a failure is reached"
            result = results[offset]
            if isinstance(result, _Failed):
                raise result.error
            left[number] -= 1
            if not left[number]:
                del got[number]
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
