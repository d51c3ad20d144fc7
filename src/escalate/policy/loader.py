"""Loading policies: the only module that reads files, and only when asked to.

``loads(text)`` compiles a policy from YAML text; ``load(path)`` reads a ``.yaml`` file, a
path without the extension, or a folder whose ``*.yaml`` files together form one policy.
Every problem is a :class:`~escalate.errors.PolicyError` that names ``file:line:col`` and the
key path; an argument of the wrong Python type is an :class:`~escalate.errors.ArgumentError`.

Files are read by :func:`read_file` (the command line reads its JSON inputs with it too): only
regular files, and never more than the size limit plus one byte, so a FIFO, a device such as
``/dev/zero`` or a file that keeps growing cannot make a load hang or exhaust memory.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from typing import Any, cast

from escalate.engine.compiled import Policy, Recipe
from escalate.errors import ArgumentError, EscalateError, PolicyError, remapped, shown, suggest
from escalate.policy._yaml import MAX_BYTES, Positions, parse_yaml
from escalate.policy.compiler import compile_policy, validate_spec
from escalate.policy.segments import (
    LISTED_SECTIONS,
    NAMED_SECTIONS,
    Origin,
    Overlaid,
    apply_overlay,
    dangling_hint,
    plain_origin,
)

__all__ = ["MAX_BYTES", "MAX_EXTENDS", "load", "loads"]

KeyPath = tuple[str | int, ...]
SCALAR_KEYS = ("policy", "version", "description", "pin")
#: Sections of named entries: in a folder, each file may add entries, each name once.
MERGED_KEYS = ("terminology", *NAMED_SECTIONS)
#: The longest chain of policies extending one another (a extends b extends c ...).
MAX_EXTENDS = 8
#: Sections that are lists: in a folder, each file's entries are appended in file order.
LISTED_KEYS = LISTED_SECTIONS
POLICY_SUFFIXES = (".yaml", ".yml")
CASE_SUFFIXES = (".cases.yaml", ".cases.yml")
_CHUNK = 1 << 16
# The longest repr of a value quoted in a message; a longer one is cut.


def loads(text: str | bytes, *, filename: str = "<string>", max_bytes: int = MAX_BYTES) -> Policy:
    """Compile a policy from YAML text (nothing is read from disk).

    ``text`` is a ``str`` or UTF-8 ``bytes`` of at most ``max_bytes`` bytes (default
    :data:`MAX_BYTES`); ``filename`` only labels errors. Any other type is an
    :class:`~escalate.errors.ArgumentError`; bad content is a
    :class:`~escalate.errors.PolicyError`.
    """
    if not isinstance(text, str | bytes):
        raise ArgumentError(
            f"loads() takes the policy as str or UTF-8 bytes, got {type(text).__name__}"
        )
    if not isinstance(filename, str):
        raise ArgumentError(f"filename must be a str, got {type(filename).__name__}")
    limit = _limit(max_bytes)
    data, positions = parse_yaml(text, filename, max_bytes=limit)
    policy = compile_policy(data, locate=positions.of, source=filename)
    _keep_recipes(policy, (_reloads, (text, filename, limit)))
    return policy


def load(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Policy:
    """Read and compile a policy from a file, a path without ``.yaml``, or a folder.

    Only regular files are read (or symbolic links to them); a folder's ``*.yaml`` and
    ``*.yml`` files (not ``*.cases.yaml``) are read in name order and must all be regular
    files. The policy may hold at most ``max_bytes`` bytes (default :data:`MAX_BYTES`), in
    one file or in all the files of a folder together, and with the policies it ``extends``.

    A policy with ``extends: <path>`` is the base policy at that path (relative to the
    extending file's folder; a file, a path without ``.yaml`` or a folder) with the extending
    policy's sections applied as overrides, ``add:`` and ``remove:`` (see
    :mod:`escalate.policy.segments`); a base may extend another, up to
    :data:`MAX_EXTENDS` deep, and never itself.
    """
    name = _path_text(path, "load() takes the policy path as a str or os.PathLike")
    return _load(name, _limit(max_bytes), _Files())


def _load(given: str, limit: int, files: _Files) -> Policy:
    """``load(given)`` with every look at the file system made through ``files``."""
    if not given:
        raise PolicyError("the policy path is empty; name a .yaml file or a folder")
    budget = [limit]
    name, data, origin = _read_document(given, limit, budget, files)
    overlays: list[tuple[str, Overlaid]] = []
    data, origin = _extend(name, data, origin, limit, budget, (), overlays, files)
    try:
        policy = compile_policy(data, locate=lambda p: origin(p)[0], source=name, origin=origin)
    except PolicyError as exc:
        if not overlays:
            raise
        raise _in_extension(exc, name, overlays) from None
    _keep_recipes(policy, (_reload, (given, limit, files.recording())))
    return policy


# -- compiling a pickled policy again -------------------------------------------------------------
#
# Compiled conditions are closures, which pickle cannot hold; a policy pickles as what it was
# compiled from instead (``Policy.__reduce__``) and is compiled again where it is unpickled:
# the same bytes give the same content hash, positions and decisions. ``load`` records every
# answer the file system gave it (which names exist, folder listings, the bytes of each file),
# so the policy is rebuilt from those answers, not from files that may have changed since or
# do not exist on the machine that unpickles it.


class _Files:
    """The file system as ``load`` sees it: the disk, each answer recorded; or, given a
    recording, those answers played back (nothing is read from disk)."""

    __slots__ = ("_answers", "_replaying")

    def __init__(self, recording: tuple[tuple[tuple[str, str], object], ...] | None = None):
        self._replaying = recording is not None
        self._answers: dict[tuple[str, str], object] = dict(recording or ())

    def recording(self) -> tuple[tuple[tuple[str, str], object], ...]:
        """Every answer given so far, in the order they were asked for."""
        return tuple(self._answers.items())

    def _answer(self, question: str, path: str, ask: Callable[[], object]) -> object:
        key = (question, path)
        if self._replaying:
            if key not in self._answers:
                raise PolicyError(
                    f"cannot compile the pickled policy again: its recorded source has no "
                    f"answer to {question} {path!r}"
                )
            return self._answers[key]
        answer = ask()
        self._answers[key] = answer
        return answer

    def kind(self, path: str) -> str | None:
        """``"folder"``, ``"other"`` (anything but a folder) or ``None`` (nothing there)."""

        def ask() -> str | None:
            info = _stat(path, "policy")
            if info is None:
                return None
            return "folder" if stat.S_ISDIR(info.st_mode) else "other"

        return cast("str | None", self._answer("kind", path, ask))

    def isdir(self, path: str) -> bool:
        return cast(bool, self._answer("isdir", path, lambda: os.path.isdir(path)))

    def realpath(self, path: str) -> str:
        return cast(str, self._answer("realpath", path, lambda: os.path.realpath(path)))

    def names(self, folder: str) -> tuple[str, ...]:
        """The names in ``folder``, sorted."""

        def ask() -> tuple[str, ...]:
            try:
                with os.scandir(folder) as entries:
                    return tuple(sorted(entry.name for entry in entries))
            except OSError as exc:
                raise PolicyError(f"cannot list folder {folder!r}: {_reason(exc)}") from None

        return cast("tuple[str, ...]", self._answer("names", folder, ask))

    def read(self, path: str, max_bytes: int) -> bytes:
        return cast(
            bytes,
            self._answer("read", path, lambda: read_file(path, what="policy", max_bytes=max_bytes)),
        )


def _reload(
    given: str, limit: int, recording: tuple[tuple[tuple[str, str], object], ...]
) -> Policy:
    """A policy ``load`` read, compiled again from the answers the file system gave it."""
    return _load(given, limit, _Files(recording))


def _reloads(text: str | bytes, filename: str, limit: int) -> Policy:
    """A policy ``loads`` read, compiled again from its text."""
    return loads(text, filename=filename, max_bytes=limit)


def _segment_policy(whole: Policy, segment: str) -> Policy:
    """The compiled policy of segment ``segment`` of ``whole`` (unpickled: compiled again)."""
    for found in whole.segments:
        if found.id == segment:
            return cast(Policy, found.policy)
    raise PolicyError(f"policy {whole.id!r} has no segment {segment!r}")


def _keep_recipes(policy: Policy, recipe: Recipe) -> None:
    """Give ``policy`` its recipe, and each of its segments' policies theirs."""
    policy._keep_recipe(recipe)
    for segment in policy.segments:
        chosen = segment.policy
        assert isinstance(chosen, Policy)
        chosen._keep_recipe((_segment_policy, (policy, segment.id)))


def _read_document(
    name: str, limit: int, budget: list[int], files: _Files
) -> tuple[str, object, Origin]:
    """The data of the policy at ``name`` (a file, a path without ``.yaml``, a folder), with
    the name actually read and the origin of its key paths; ``budget`` holds the bytes still
    allowed and is reduced by what was read."""
    kind = files.kind(name)
    if kind is None:
        # "rules/p" may name "rules/p.yaml"; otherwise the error names the path as given.
        kind = files.kind(name + ".yaml")
        if kind is not None:
            name += ".yaml"
    if kind == "folder":
        data, locate = _read_folder(name, limit, budget, files)
        return name, data, plain_origin(locate)
    text = files.read(name, budget[0])
    budget[0] -= len(text)
    data, positions = parse_yaml(text, name, max_bytes=limit)
    return name, data, plain_origin(positions.of)


def _extend(
    name: str,
    data: object,
    origin: Origin,
    limit: int,
    budget: list[int],
    chain: tuple[str, ...],
    overlays: list[tuple[str, Overlaid]],
    files: _Files,
) -> tuple[object, Origin]:
    """``data`` with the policy it ``extends`` (if any) read, extended in turn, and under it."""
    if not isinstance(data, Mapping) or "extends" not in data:
        return data, origin

    def locate(path: KeyPath) -> tuple[str, int, int] | None:
        return origin(path)[0]

    spec = validate_spec(data, locate)  # the shape of every section, before merging
    assert spec.extends is not None
    here = files.realpath(name)
    chain = (*chain, here)
    if len(chain) > MAX_EXTENDS:
        raise PolicyError(
            f"policies extend one another more than {MAX_EXTENDS} deep",
            path=("extends",),
            source=locate(("extends",)),
        )
    folder = name if files.isdir(name) else os.path.dirname(name)
    base_name = os.path.join(folder, spec.extends)
    try:
        base_name, base, base_origin = _read_document(base_name, limit, budget, files)
    except PolicyError as exc:
        raise PolicyError(
            f"extends {shown(spec.extends)}: {exc.message}",
            path=("extends",),
            source=locate(("extends",)),
            suggestion=_nearby(spec.extends, base_name, here),
        ) from None
    if files.realpath(base_name) in chain:
        names = " -> ".join(shown(os.path.basename(n)) for n in (*chain, base_name))
        raise PolicyError(
            f"extends makes a cycle ({names}): a policy cannot extend itself",
            path=("extends",),
            source=locate(("extends",)),
        )
    base, base_origin = _extend(base_name, base, base_origin, limit, budget, chain, overlays, files)
    validate_spec(base, lambda p: base_origin(p)[0])
    assert isinstance(base, Mapping)
    label = shown(os.path.basename(name))
    overlaid = apply_overlay(base, base_origin, data, origin, at=(), label=label, extends=True)
    overlays.insert(0, (label, overlaid))
    return overlaid.data, overlaid.origin


def _nearby(extends: str, base_name: str, here: str) -> str | None:
    """For an ``extends`` naming nothing, the closest policy file or folder beside where it
    points (``base.yaml`` for ``bse.yaml``), written as ``extends`` would write it; ``None``
    when something is there (the error is another one) or nothing is close."""
    if _stat(base_name, "policy") is not None or _stat(base_name + ".yaml", "policy") is not None:
        return None
    folder, wanted = os.path.split(base_name)
    try:
        with os.scandir(folder or ".") as entries:
            names = [
                e.name
                for e in entries
                if (e.is_dir() or e.name.endswith((".yaml", ".yml")))
                and os.path.realpath(e.path) != here
            ]
    except OSError:
        return None
    if not wanted.endswith((".yaml", ".yml")):  # "bse" may mean "base" for "base.yaml"
        names += [n.rsplit(".", 1)[0] for n in names if n.endswith((".yaml", ".yml"))]
    found = suggest(wanted, names)
    return None if found is None else os.path.join(os.path.dirname(extends), found)


def _in_extension(exc: PolicyError, name: str, overlays: list[tuple[str, Overlaid]]) -> PolicyError:
    """A compile error of an extended policy, saying which extension and removal caused it
    (each of several errors so)."""
    return remapped(exc, lambda e: _in_extension_one(e, name, overlays))


def _in_extension_one(
    exc: PolicyError, name: str, overlays: list[tuple[str, Overlaid]]
) -> PolicyError:
    hint = ""
    for label, overlaid in overlays:
        hint = dangling_hint(exc, overlaid, label)
        if hint:
            break
    message = exc.message + hint
    if exc.source is not None and exc.source[0] != name:
        message = f"as extended by {shown(os.path.basename(name))}: {message}"
    return PolicyError(message, path=exc.path, source=exc.source, suggestion=exc.suggestion)


def read_file(
    path: str,
    *,
    what: str,
    max_bytes: int,
    error: Callable[[str], EscalateError] = PolicyError,
) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` of them.

    Anything else -- a missing file, a broken link, a folder, a FIFO, a socket, a device, a path
    with a NUL character or too long for the system, a file larger than ``max_bytes`` -- raises
    ``error("cannot read <what> '<path>': <why>")``. The file is opened without blocking and
    checked on the opened descriptor (so it cannot be swapped in between), and at most
    ``max_bytes + 1`` bytes are read, so nothing makes a read hang or run out of memory.
    """

    def fail(why: str) -> EscalateError:
        return error(f"cannot read {what} {path!r}: {why}")

    info = _stat(path, what, error=error)
    if info is None:
        raise fail(_missing(path))
    if not stat.S_ISREG(info.st_mode):
        # Checked before opening too: opening some devices has effects of its own.
        raise fail(_not_regular(info.st_mode))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise fail(_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise fail(_not_regular(info.st_mode))
        if info.st_size > max_bytes:
            raise fail(f"it is {info.st_size} bytes; the limit is {max_bytes} bytes")
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise fail(f"it holds more than {max_bytes} bytes; the limit is {max_bytes} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise fail(_reason(exc)) from None
    finally:
        os.close(fd)


def _path_text(path: object, usage: str) -> str:
    """``path`` as a ``str``; an ``ArgumentError`` for bytes paths and other types."""
    if isinstance(path, str):
        return path
    if isinstance(path, os.PathLike):
        text = os.fspath(path)
        if isinstance(text, str):
            return text
    raise ArgumentError(f"{usage}, got {type(path).__name__}: {shown(path)}")


def _limit(max_bytes: object) -> int:
    """``max_bytes`` checked: a non-negative ``int``."""
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool):
        raise ArgumentError(f"max_bytes must be an int, got {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ArgumentError(f"max_bytes must not be negative, got {max_bytes}")
    return max_bytes


def _stat(
    path: str, what: str, *, error: Callable[[str], EscalateError] = PolicyError
) -> os.stat_result | None:
    """``os.stat(path)`` following links, ``None`` when nothing (or a broken link) is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:  # too long, a link loop, no permission on a parent
        raise error(f"cannot read {what} {path!r}: {_reason(exc)}") from None
    except ValueError:  # an embedded NUL character
        raise error(f"cannot read {what} {path!r}: a path cannot hold a NUL character") from None


def _missing(path: str) -> str:
    if os.path.islink(path):
        return "it is a symbolic link to a file that does not exist"
    return os.strerror(2)  # "No such file or directory", as the system says it


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a FIFO (named pipe)"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "not a file"
    return f"it is {kind}, not a regular file"


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _read_folder(
    folder: str, max_bytes: int, budget: list[int], files: _Files
) -> tuple[object, Callable[[KeyPath], tuple[str, int, int] | None]]:
    """Read the policy files of ``folder`` (in name order) and merge them into one policy's
    data, with the position of every key path."""
    paths = [
        os.path.join(folder, n)
        for n in files.names(folder)
        if n.endswith(POLICY_SUFFIXES) and not n.endswith(CASE_SUFFIXES)
    ]
    if not paths:
        raise PolicyError(f"folder {folder!r} holds no .yaml policy files")
    documents: list[tuple[str, object, Positions]] = []
    total = max_bytes - budget[0]
    for file in paths:
        text = files.read(file, max_bytes)
        total += len(text)
        budget[0] = max_bytes - total
        if total > max_bytes:
            # The limit holds for the policy as a whole, however many files it is spread over.
            raise PolicyError(
                f"the policy files of folder {folder!r} hold more than {max_bytes} bytes "
                f"together (the limit is reached in {os.path.basename(file)!r})"
            )
        data, positions = parse_yaml(text, file, max_bytes=max_bytes)
        documents.append((file, data, positions))
    return _merge(documents, folder)


def _merge(
    documents: list[tuple[str, object, Positions]], folder: str
) -> tuple[object, Callable[[KeyPath], tuple[str, int, int] | None]]:
    """Merge several files into one policy: named entries may be defined once, rules append.

    A section spread over several files must have the same shape in each (a mapping of named
    entries, or the list of rules); keys other than those must be equal wherever they appear.
    """
    merged: dict[Any, Any] = {}
    # Where each top-level key, named entry and rule came from: its file's positions and its
    # path there. Non-string keys are spelt str(key), as Positions spells them.
    owners: dict[KeyPath, tuple[Positions, KeyPath]] = {}
    first: Positions | None = None
    for _file, data, positions in documents:
        if data is None:
            continue
        if not isinstance(data, Mapping):
            raise PolicyError("a policy file is a mapping", source=positions.of(()))
        if first is None:
            first = positions
        for key, value in data.items():
            here = (_part(key),)
            before = owners.get(here)
            if before is None:
                owners[here] = (positions, here)
                merged[key] = _fresh(key, value)
                if key in MERGED_KEYS and isinstance(value, Mapping):
                    for name in value:
                        owners[(*here, _part(name))] = (positions, (*here, _part(name)))
                elif key in LISTED_KEYS and isinstance(value, list):
                    for i in range(len(value)):
                        owners[(*here, i)] = (positions, (*here, i))
                continue
            where = _where(before[0].of(before[1]))
            if key in MERGED_KEYS or key in LISTED_KEYS:
                _check_shape(key, merged[key], value, where, positions)
            if key in MERGED_KEYS:
                table = merged[key]
                for name, entry in value.items():
                    at = (*here, _part(name))
                    if name in table:
                        was = owners[at]
                        raise PolicyError(
                            f"{key}.{name} is defined twice (first at {_where(was[0].of(was[1]))})",
                            path=(key, name),
                            source=positions.of(at),
                        )
                    table[name] = entry
                    owners[at] = (positions, at)
            elif key in LISTED_KEYS:
                rules = merged[key]
                for i, rule in enumerate(value):
                    owners[(*here, len(rules))] = (positions, (*here, i))
                    rules.append(rule)
            elif _tagged(merged[key]) != _tagged(value):
                raise PolicyError(
                    f"{key} differs between files ({shown(merged[key])} vs {shown(value)})",
                    path=here,
                    source=positions.of(here),
                )

    def locate(path: KeyPath) -> tuple[str, int, int] | None:
        for length in (2, 1):
            head = path[:length]
            # As the error gives it ("rules", 0), or as a key path spells it ("calendars", "1").
            for key in (head, tuple(_part(p) for p in head)):
                owner = owners.get(key)
                if owner is not None:
                    positions, local = owner
                    return positions.of((*local, *path[length:]))
        # A key no file has (say, a missing 'version'): the top of the first file.
        return None if first is None else first.of(())

    return merged, locate


def _fresh(key: object, value: object) -> object:
    """A copy of a mergeable section that later files can add to, other values as they are."""
    if key in MERGED_KEYS and isinstance(value, Mapping):
        return dict(value)
    if key in LISTED_KEYS and isinstance(value, list):
        return list(value)
    return value


def _check_shape(key: str, merged: object, value: object, where: str, positions: Positions) -> None:
    """A section spread over files must be a mapping (or, for rules and segments, a list) in
    each."""
    expected = list if key in LISTED_KEYS else Mapping
    for shape in (merged, value):
        if not isinstance(shape, expected):
            article = "a list" if key in LISTED_KEYS else "a mapping"
            raise PolicyError(
                f"{key} is {_kind(value)} here and {_kind(merged)} at {where}; a section "
                f"spread over several files must be {article} in each",
                path=(key,),
                source=positions.of((key,)),
            )


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"a scalar ({shown(value)})"


def _part(key: object) -> str | int:
    """A mapping key as a key path spells it."""
    return key if isinstance(key, str) else str(key)


def _tagged(value: object) -> object:
    """``value`` with the type of every part attached, so that ``1``, ``1.0`` and ``true``
    (equal in Python) compare as the different YAML values they are.

    >>> _tagged(1) == _tagged(True), _tagged({"a": [1]}) == _tagged({"a": [1]})
    (False, True)
    """
    if isinstance(value, Mapping):
        return ("map", frozenset((_tagged(k), _tagged(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_tagged(v) for v in value))
    if isinstance(value, float):
        return ("float", repr(value))  # nan equals nan here
    return (type(value).__name__, value)


def _where(source: tuple[str, int, int] | None) -> str:
    return "?" if source is None else f"{source[0]}:{source[1]}:{source[2]}"
