"""The YAML edge of the loader: safe parsing of one document, with the position of every key.

:func:`parse_yaml` turns policy text into plain Python data (what PyYAML's ``SafeLoader``
builds) plus a :class:`Positions` table, so that later stages can report
``rules/p1.yaml:14:9: ...`` for any key path. It is the only place that sees YAML syntax, and it
turns every way a document can be wrong or hostile into a :class:`~escalate.errors.PolicyError`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from escalate.errors import PolicyError

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT_CHARS",
    "Positions",
    "located",
    "parse_yaml",
]

MAX_BYTES = 2 * 1024 * 1024
"""Largest document accepted, in bytes of UTF-8 (a policy is kilobytes; this is a guard)."""
MAX_ALIAS_NODES = 10_000
"""Most nodes a document may reach through aliases and merge keys (stops "billion laughs")."""
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists accepted."""
MAX_INT_CHARS = 4300
"""Longest integer literal accepted (Python's own limit for decimal strings; YAML 1.1
base-60 integers such as ``1:30`` take quadratic time to convert, so they need a cap too)."""

_YAML = "tag:yaml.org,2002:"
_MERGE_TAG = _YAML + "merge"
_INT_TAG = _YAML + "int"
_SCALAR_TAGS = frozenset(
    _YAML + name for name in ("str", "int", "float", "bool", "null", "timestamp", "value", "merge")
)
_TAGS_BY_KIND: dict[type[Node], frozenset[str]] = {
    ScalarNode: _SCALAR_TAGS,
    SequenceNode: frozenset({_YAML + "seq"}),
    MappingNode: frozenset({_YAML + "map"}),
}
_PLAIN_DATA = "strings, numbers, booleans, null, dates, lists and mappings"

# What YAML 1.1 accepts in a stream (PyYAML's Reader and libyaml agree on this set), minus a
# byte-order mark anywhere but at the start, which libyaml rejects.
_UNACCEPTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")

_AnyLoader = yaml.SafeLoader | yaml.CSafeLoader


def _construct_str(loader: _AnyLoader, node: Node) -> str:
    """A plain ``=`` or ``<<`` that is not a merge key, read as the string it is.

    YAML 1.1 resolves them to the ``value`` and ``merge`` tags, which ``SafeLoader`` cannot
    build; in a policy (``op: =``) they can only mean the string.
    """
    return loader.construct_yaml_str(node)


class _PyLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, reading ``=`` and ``<<`` values as strings."""


_Loader: type[_AnyLoader] = _PyLoader

if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        """PyYAML's libyaml-based safe loader, reading ``=`` and ``<<`` values as strings."""

    _Loader = _CLoader

for _loader in {_PyLoader, _Loader}:
    _loader.add_constructor(_YAML + "value", _construct_str)
    _loader.add_constructor(_MERGE_TAG, _construct_str)

_Mark = tuple[int, int]
_Path = tuple[str | int, ...]


class Positions:
    """Where each key path of a parsed document stands: ``(filename, line, column)``, 1-based.

    Paths are tuples of mapping keys and list indexes, as in :class:`PolicyError`. A mapping key
    that YAML reads as something other than a string (``1``, ``true``, ``2024-01-01``) stays
    that way in the data but is spelled ``str(key)`` in a path. Positions inside an aliased
    (``*anchor``) or merged (``<<:``) part point at the anchored text.

    >>> data, positions = parse_yaml("clocks:\\n  p1: {within: 30m}\\n", "p.yaml")
    >>> positions.of(("clocks", "p1", "within"))
    ('p.yaml', 2, 8)
    >>> positions.value_of(("clocks", "p1", "within"))
    ('p.yaml', 2, 16)
    >>> positions.of(("clocks", "p1", "missing"))  # the nearest ancestor that exists
    ('p.yaml', 2, 3)
    """

    __slots__ = ("_keys", "_values", "filename")

    def __init__(
        self, filename: str, keys: Mapping[_Path, _Mark], values: Mapping[_Path, _Mark]
    ) -> None:
        self.filename = filename
        self._keys = dict(keys)
        self._values = dict(values)

    def of(self, path: Sequence[str | int]) -> tuple[str, int, int] | None:
        """Where the key (or list item) at ``path`` stands, else where its nearest ancestor does.

        ``None`` only for an empty document. Use it for errors that name the key.
        """
        return self._find(self._keys, path)

    def value_of(self, path: Sequence[str | int]) -> tuple[str, int, int] | None:
        """Where the value at ``path`` starts, else where its nearest ancestor's value does.

        For a list item this is the item itself, as with :meth:`of`. Use it for errors about a
        bad value that sits on another line than its key.
        """
        return self._find(self._values, path)

    def __contains__(self, path: object) -> bool:
        """Whether ``path`` (a tuple) names a node of the document."""
        return path in self._keys

    def __repr__(self) -> str:
        return f"Positions({self.filename!r}, {len(self._keys)} paths)"

    def _find(
        self, table: dict[_Path, _Mark], path: Sequence[str | int]
    ) -> tuple[str, int, int] | None:
        key = tuple(path)
        while True:
            mark = table.get(key)
            if mark is not None:
                return (self.filename, *mark)
            if not key:
                return None
            key = key[:-1]


def located(error: PolicyError, positions: Positions) -> PolicyError:
    """``error`` with its ``source`` set to where its key path stands in the document.

    An error that already has a source is returned unchanged (whoever set it knew better); one
    whose path is not in the document points at the nearest ancestor that is.
    """
    if error.source is not None:
        return error
    source = positions.of(error.path)
    return error if source is None else error.located(source)


def parse_yaml(
    text: str | bytes,
    filename: str = "<string>",
    *,
    max_bytes: int = MAX_BYTES,
    max_alias_nodes: int = MAX_ALIAS_NODES,
    max_depth: int = MAX_DEPTH,
    document: str = "a policy file",
) -> tuple[object, Positions]:
    """Safely parse one YAML document into plain data and the positions of its keys.

    The data is what PyYAML's ``SafeLoader`` builds: ``dict``, ``list``, ``str``, ``int``,
    ``float``, ``bool``, ``None``, ``datetime.date`` and ``datetime.datetime`` (naive unless the
    text has an offset) -- YAML 1.1 rules, so ``yes`` is ``True`` and ``1:30`` is ``90``. An
    empty document gives ``None``. Aliased parts are shared objects, not copies.

    Bytes must be UTF-8 (a byte-order mark is fine). Every problem -- bad encoding, syntax, a
    tag other than the core ones (``!!python/...``, ``!!binary``, ``!!set``, ``!custom``), a
    second document, a duplicate or non-scalar mapping key, a recursive alias, more than
    ``max_bytes`` bytes, more than ``max_alias_nodes`` nodes reached through aliases, nesting
    deeper than ``max_depth`` -- raises :class:`PolicyError` with ``file:line:col`` where known;
    no other exception escapes. ``document`` is what the messages call the file (``an events
    file``).

    >>> parse_yaml("targets: {P1: 30m, P2: 4h}")[0]
    {'targets': {'P1': '30m', 'P2': '4h'}}
    >>> parse_yaml("a: 1\\na: 2\\n", "p.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    escalate.errors.PolicyError: p.yaml:2:1: a: duplicate key 'a' on lines 1 and 2; ...
    """
    source = _decode(text, filename, max_bytes)
    loader = _Loader(source)
    try:
        node = _compose(loader, filename, max_depth, document)
        if node is None:
            return None, Positions(filename, {}, {})
        walk = _Walk(loader, filename, max_alias_nodes, max_depth, document)
        walk.keys[()] = _mark(node)
        walk.node(node, ())
        data = _construct(loader, node, filename)
    finally:
        loader.dispose()
    return data, Positions(filename, walk.keys, walk.values)


def _line_col(text: str, index: int) -> tuple[int, int]:
    """The 1-based ``(line, column)`` of character ``index`` in ``text``, as YAML counts them.

    Line breaks are ``\\n``, ``\\r\\n``, ``\\r``, NEL, LS and PS, as in YAML 1.1.

    >>> _line_col("ab\\r\\ncd", 5)
    (2, 2)
    >>> _line_col("", 0)
    (1, 1)
    """
    lines = _LINE_BREAK.split(text[:index])
    return len(lines), len(lines[-1]) + 1


def _decode(text: str | bytes, filename: str, max_bytes: int) -> str:
    """The document as text, checked for size, encoding and acceptable characters."""
    if isinstance(text, str) and len(text) > max_bytes and not text.isascii():
        # Every character is at least one byte: too long, without encoding a copy to count.
        raise PolicyError(
            f"document is at least {len(text)} bytes; the limit is {max_bytes} bytes",
            source=(filename, 1, 1),
        )
    if isinstance(text, bytes) or text.isascii():
        size = len(text)
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise PolicyError(
            f"document is {size} bytes; the limit is {max_bytes} bytes",
            source=(filename, 1, 1),
        )
    if isinstance(text, bytes):
        raw = text.removeprefix(codecs.BOM_UTF8)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            good = raw[: exc.start].decode("utf-8")
            bad = raw[exc.start : exc.end].hex(" ")
            raise PolicyError(
                f"the document is not valid UTF-8: cannot decode byte(s) {bad} ({exc.reason})",
                source=(filename, *_line_col(good, len(good))),
            ) from exc
    else:
        text = text.removeprefix("\ufeff")
    match = _UNACCEPTABLE.search(text)
    if match is not None:
        char = match.group()
        raise PolicyError(
            f"character U+{ord(char):04X} is not allowed in YAML "
            "(control characters, lone surrogates and inner byte-order marks are not)",
            source=(filename, *_line_col(text, match.start())),
        )
    return text


def _compose(loader: _AnyLoader, filename: str, max_depth: int, document: str) -> Node | None:
    """The node tree of the only document (``None`` when there is none)."""
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        if exc.context == "expected a single document in the stream" and exc.problem_mark:
            first = exc.context_mark.line + 1 if exc.context_mark else 1
            second = exc.problem_mark.line + 1
            raise PolicyError(
                f"a second YAML document starts on line {second}; {document} holds exactly one "
                f"document (the first starts on line {first})",
                source=(filename, second, exc.problem_mark.column + 1),
            ) from exc
        raise _syntax_error(exc, filename) from exc
    except yaml.YAMLError as exc:
        # A ReaderError: _decode already rejects every character the readers reject.
        raise PolicyError(f"cannot read the document: {exc}", source=(filename, 1, 1)) from exc
    except (ValueError, OverflowError) as exc:
        # The pure-Python scanner lets chr() fail on an escape such as "\U10010000".
        where = (filename, 1, 1)
        if isinstance(loader, yaml.reader.Reader):
            mark = loader.get_mark()
            where = (filename, mark.line + 1, mark.column + 1)
        raise PolicyError(f"invalid YAML: unreadable escape ({exc})", source=where) from exc
    except RecursionError:
        # Only the pure-Python composer recurses; libyaml stops at 1000 levels by itself.
        raise PolicyError(
            f"the document nests too deeply to parse; the limit is {max_depth} levels",
            source=(filename, 1, 1),
        ) from None


def _syntax_error(exc: yaml.MarkedYAMLError, filename: str) -> PolicyError:
    """A PyYAML syntax error as a PolicyError at the problem's position."""
    mark = exc.problem_mark or exc.context_mark
    where = (filename, mark.line + 1, mark.column + 1) if mark else (filename, 1, 1)
    problem = exc.problem or "invalid YAML"
    if problem == "second occurrence" and exc.context and exc.context_mark:
        # PyYAML: "found duplicate anchor 'x'; first occurrence" ... "second occurrence"
        what = exc.context.removesuffix("; first occurrence")
        return PolicyError(
            f"invalid YAML: {what}, first defined on line {exc.context_mark.line + 1}",
            source=where,
        )
    context = ""
    if exc.context:
        context = f" ({exc.context}"
        if exc.context_mark and exc.problem_mark and exc.context_mark is not exc.problem_mark:
            context += f" on line {exc.context_mark.line + 1}"
        context += ")"
    return PolicyError(f"invalid YAML: {problem}{context}", source=where)


def _construct(loader: _AnyLoader, node: Node, filename: str) -> object:
    """The Python data of a node tree that :class:`_Walk` has checked."""
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:  # pragma: no cover - _Walk rejects these first
        raise _syntax_error(exc, filename) from exc


def _mark(node: Node) -> _Mark:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _short_tag(tag: str) -> str:
    """A tag the way it is written in YAML.

    >>> _short_tag("tag:yaml.org,2002:python/object/apply:os.system")
    '!!python/object/apply:os.system'
    >>> _short_tag("!custom")
    '!custom'
    """
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


_KIND = {ScalarNode: "a scalar", SequenceNode: "a list", MappingNode: "a mapping"}


class _Walk:
    """One pass over a node tree: check it and record where every path stands.

    The walk follows aliases the way a consumer of the data would, so it counts what an
    alias bomb would expand to and stops at the limit; checks and scalar construction happen
    once per node.
    """

    def __init__(
        self,
        loader: _AnyLoader,
        filename: str,
        max_alias_nodes: int,
        max_depth: int,
        document: str,
    ):
        self.loader = loader
        self.filename = filename
        self.document = document
        self.max_alias_nodes = max_alias_nodes
        self.max_depth = max_depth
        self.keys: dict[_Path, _Mark] = {}
        self.values: dict[_Path, _Mark] = {}
        self.seen: set[int] = set()
        self.open: set[int] = set()  # collections on the way from the root to here
        self.flat: set[int] = set()  # mappings whose merge keys are resolved
        self.flattening: set[int] = set()
        self.aliased = 0

    def error(self, message: str, path: _Path, node: Node) -> PolicyError:
        return PolicyError(message, path=path, source=(self.filename, *_mark(node)))

    def node(self, node: Node, path: _Path, *, aliased: bool = False) -> None:
        """Check ``node`` at ``path`` and everything below it."""
        if id(node) in self.seen:
            aliased = True
        else:
            self.seen.add(id(node))
            self.check(node, path)
        if aliased:
            self.count_alias(path, node)
        self.values[path] = _mark(node)
        if isinstance(node, ScalarNode):
            return
        if id(node) in self.open:
            raise self.error(
                "an alias refers to a collection that contains it; the data would be infinite",
                path,
                node,
            )
        if len(path) >= self.max_depth:
            # No path: it would be a hundred "[0]"s; the position says where.
            raise self.error(
                f"mappings and lists nest more than {self.max_depth} levels deep", (), node
            )
        self.open.add(id(node))
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.keys[(*path, index)] = _mark(item)
                self.node(item, (*path, index), aliased=aliased)
        elif isinstance(node, MappingNode):
            for key_node, value_node in self.flatten(node, path).value:
                key = self.loader.construct_object(key_node)
                at = (*path, key if isinstance(key, str) else str(key))
                self.keys[at] = _mark(key_node)
                self.node(value_node, at, aliased=aliased)
        self.open.discard(id(node))

    def count_alias(self, path: _Path, node: Node) -> None:
        """Count one more node reached through an alias or a merge key; stop at the limit."""
        self.aliased += 1
        if self.aliased > self.max_alias_nodes:
            raise self.error(
                f"aliases and merge keys expand to more than {self.max_alias_nodes} nodes; "
                "write the data out or use fewer nested aliases",
                path,
                node,
            )

    def check(self, node: Node, path: _Path) -> None:
        """Check a node's tag, and build a scalar now so that a bad one is reported here."""
        if node.tag not in _TAGS_BY_KIND[type(node)]:
            kind = _KIND[type(node)]
            if any(node.tag in tags for tags in _TAGS_BY_KIND.values()):
                problem = f"tag {_short_tag(node.tag)} cannot be used on {kind}"
            else:
                problem = (
                    f"unsupported tag {_short_tag(node.tag)}; {self.document} holds only "
                    f"{_PLAIN_DATA}"
                )
            raise self.error(problem, path, node)
        if isinstance(node, ScalarNode):
            if node.tag == _INT_TAG and len(node.value) > MAX_INT_CHARS:
                raise self.error(
                    f"integer literal has {len(node.value)} characters; the limit is "
                    f"{MAX_INT_CHARS}",
                    path,
                    node,
                )
            try:
                self.loader.construct_object(node)
            except (yaml.YAMLError, ValueError, LookupError, AttributeError, TypeError) as exc:
                # SafeConstructor reports some bad scalars (!!bool maybe, !!int "",
                # 2024-13-45) with a bare ValueError, KeyError or AttributeError.
                raise self.error(
                    f"invalid {_short_tag(node.tag)} value {node.value!r}: {_reason(exc)}",
                    path,
                    node,
                ) from exc

    def flatten(self, node: MappingNode, path: _Path, depth: int = 0) -> MappingNode:
        """``node`` with its ``<<`` merge keys resolved in place, as ``SafeConstructor`` would.

        Keys of the mapping win over merged ones; among merged mappings the first listed wins.
        Duplicate and non-scalar keys are errors. Merged keys are kept once each, so a chain of
        merges cannot grow exponentially the way PyYAML's own flattening does.
        """
        if id(node) in self.flat:
            return node
        if id(node) in self.flattening:
            raise self.error("merge keys (<<) refer to each other in a cycle", path, node)
        if depth > self.max_depth:
            raise self.error(f"merge keys chain more than {self.max_depth} mappings", path, node)
        self.flattening.add(id(node))
        own: dict[object, tuple[Node, Node]] = {}
        merges: list[MappingNode] = []
        merge_key: Node | None = None
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.error(
                    f"a mapping key must be a scalar (a string, number or date), "
                    f"not {_KIND[type(key_node)]}",
                    path,
                    key_node,
                )
            if key_node.tag == _MERGE_TAG:
                if merge_key is not None:
                    raise self.duplicate(merge_key, key_node, path)
                merge_key = key_node
                merges = self.merge_sources(value_node, path)
                continue
            self.check(key_node, path)
            key = self.loader.construct_object(key_node)
            if key in own:
                raise self.duplicate(own[key][0], key_node, path)
            own[key] = (key_node, value_node)
        # PyYAML builds the dict from the merged lists in reverse order, then the own keys:
        # later assignments win, and the key order follows the first assignment.
        merged: dict[object, tuple[Node, Node]] = {}
        for source in reversed(merges):
            for key_node, value_node in self.flatten(source, path, depth + 1).value:
                self.count_alias(path, key_node)
                merged[self.loader.construct_object(key_node)] = (key_node, value_node)
        merged.update(own)
        node.value = list(merged.values())
        self.flattening.discard(id(node))
        self.flat.add(id(node))
        return node

    def merge_sources(self, value: Node, path: _Path) -> list[MappingNode]:
        """The mappings a ``<<`` key merges: one mapping, or a list of mappings."""
        sources: list[MappingNode] = []
        for source in value.value if isinstance(value, SequenceNode) else [value]:
            if not isinstance(source, MappingNode):
                raise self.error(
                    f"a merge key (<<) takes a mapping or a list of mappings, "
                    f"not {_KIND[type(source)]}",
                    path,
                    source,
                )
            # The walk never visits these nodes themselves, only the pairs merged from them.
            self.check(source, path)
            sources.append(source)
        self.check(value, path)
        return sources

    def duplicate(self, first: Node, second: Node, path: _Path) -> PolicyError:
        """The error for a key written twice in one mapping."""
        key = self.loader.construct_object(second) if second.tag != _MERGE_TAG else "<<"
        name = key if isinstance(key, str) else str(key)
        one, two = first.start_mark.line + 1, second.start_mark.line + 1
        where = f"twice on line {one}" if one == two else f"on lines {one} and {two}"
        same = f" (the same key as {first.value!r})" if first.value != second.value else ""
        return self.error(
            f"duplicate key {second.value!r} {where}{same}; YAML would silently keep only the last",
            (*path, name),
            second,
        )


def _reason(exc: Exception) -> str:
    """What went wrong while building a scalar, in one line."""
    if isinstance(exc, yaml.MarkedYAMLError):
        return exc.problem or "invalid value"
    if isinstance(exc, KeyError):
        return "not a recognised value"
    if isinstance(exc, (IndexError, AttributeError)):
        return "not a valid literal"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
