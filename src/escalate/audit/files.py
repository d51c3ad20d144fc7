"""Audit trail files: the only I/O of :mod:`escalate.audit` (reading a trail, appending to it).

A trail is a JSON Lines file of records (:mod:`escalate.audit.records`), each line ended by a
newline. :func:`append_records` continues the file's chain: it verifies the file first and
refuses to append to a broken one.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from escalate.audit.chain import TrailNotFoundError, continue_trail
from escalate.audit.records import AuditTrail
from escalate.errors import EscalateError

__all__ = ["append_records", "read_trail"]


def read_trail(path: str | os.PathLike[str], *, missing_ok: bool = False) -> bytes:
    """The bytes of the trail at ``path``; a missing file is a
    :class:`~escalate.audit.chain.TrailNotFoundError` (empty bytes with ``missing_ok``: a
    trail not started yet)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        if missing_ok:
            return b""
        raise TrailNotFoundError(f"no audit trail at {os.fspath(path)!r}") from None
    except OSError as exc:
        raise EscalateError(
            f"cannot read audit trail {os.fspath(path)!r}: {exc.strerror or type(exc).__name__}"
        ) from None


def append_records(path: str | os.PathLike[str], build: Callable[[AuditTrail], object]) -> int:
    """Continue the trail at ``path`` (created when missing): ``build`` adds records to an
    :class:`AuditTrail` that continues the file's chain; they are appended, one line each.
    Returns how many records were appended."""
    existing = read_trail(path, missing_ok=True)
    try:
        trail = continue_trail(existing)
    except EscalateError as exc:
        raise EscalateError(f"{os.fspath(path)!r}: {exc}") from None
    build(trail)
    lines = trail.lines()
    if not lines:
        return 0
    text = "".join(f"{line}\n" for line in lines)
    if existing and not existing.endswith(b"\n"):
        text = "\n" + text
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise EscalateError(
            f"cannot write audit trail {os.fspath(path)!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    return len(lines)
