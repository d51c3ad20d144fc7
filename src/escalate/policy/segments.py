"""Overlays: a base policy's data with entries overridden, added and removed by id.

A segment (``segments:`` in a policy) and a policy that ``extends:`` another are both an
overlay on a base: every section entry they write replaces the base's entry of the same id
whole (rules and segments by their ``id``), ``add:`` brings entries the base lacks, ``remove:``
drops entries by id, and ``terminology`` aliases are added to the base's. Overriding or
removing an id the base does not define is an error (with a suggestion), never a silent add.

These are pure functions over parsed YAML data, shapes already checked by the models: the
loader reads base files, the compiler compiles the result and catches what a removal leaves
dangling (and :func:`dangling_hint` names the removal in that error).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from escalate.errors import PolicyError, render_path, shown, suggest

__all__ = [
    "LISTED_SECTIONS",
    "NAMED_SECTIONS",
    "Origin",
    "Overlaid",
    "apply_overlay",
    "dangling_hint",
    "plain_origin",
    "segment_base",
]

KeyPath = tuple[str | int, ...]
Source = tuple[str, int, int]
#: Where a key path of a (merged) document came from: its position and its key path in the
#: document that wrote it (a base file, an extending file, a segment of the same file).
Origin = Callable[[KeyPath], tuple[Source | None, KeyPath]]

#: Sections of entries by name, overridden, added and removed by that name.
NAMED_SECTIONS = (
    "statuses",
    "priority_matrix",
    "custom_fields",
    "calendars",
    "schedules",
    "clocks",
    "paths",
    "classification",
    "redaction",
    "templates",
    "audiences",
    "vendors",
    # Extending policies only (a segment's format has no such keys):
    "channels",
    "notification_plans",
)
_DIRECTORY_SECTIONS = ("people", "teams", "roles")
#: Sections that are lists of entries with an ``id``.
LISTED_SECTIONS = ("rules", "segments")
#: Top-level values an extending policy replaces when it writes them.
_SCALARS = (
    "policy",
    "version",
    "description",
    "pin",
    "empty_values",
    "lint",
    "status_pages",
    "notifications",
    "governance",
    "recurrence",
    "postmortem",
)
#: Every top-level key an overlay may write, each merged above: a key missing here would be
#: dropped without a word (``governance:`` once was), so :meth:`_Overlay.apply` refuses it.
_HANDLED = frozenset(
    {
        *_SCALARS,
        *NAMED_SECTIONS,
        *LISTED_SECTIONS,
        "terminology",
        "directory",
        "extends",
        "add",
        "remove",
    }
)


def plain_origin(locate: Callable[[KeyPath], Source | None]) -> Origin:
    """The origin of a document that is its own source: positions from ``locate``, paths as
    they are."""
    return lambda path: (locate(path), path)


@dataclass(frozen=True, slots=True)
class Overlaid:
    """The data an overlay made, where each part of it came from, and what it removed.

    ``removed`` maps the key path of each removed entry (``("paths", "major")``) to the key
    path of its ``remove:`` item in the overlay's own document.
    """

    data: dict[str, Any]
    origin: Origin
    removed: Mapping[KeyPath, KeyPath]
    overlay_origin: Origin

    def locate(self, path: KeyPath) -> Source | None:
        """The position of a key path of the merged data in the document that wrote it."""
        return self.origin(path)[0]


def segment_base(data: Mapping[str, Any]) -> dict[str, Any]:
    """The base a segment applies to: the policy without its segments."""
    return {k: v for k, v in data.items() if k != "segments"}


def apply_overlay(
    base: Mapping[str, Any],
    base_origin: Origin,
    overlay: Mapping[str, Any],
    overlay_origin: Origin,
    *,
    at: KeyPath,
    label: str,
    extends: bool,
) -> Overlaid:
    """``base`` with the sections of ``overlay`` (at key path ``at`` in its document) applied.

    ``label`` names the overlay in errors (``segment 'emea'``); ``extends`` says whether it is
    an extending policy (which also replaces ``policy``, ``version``, ``description`` and
    ``pin`` and may change ``segments``) or a segment. Neither mapping is changed.
    """
    return _Overlay(base, base_origin, overlay, overlay_origin, at, label, extends).apply()


def dangling_hint(error: PolicyError, overlaid: Overlaid, label: str) -> str:
    """What to add to a compile error of overlaid data: which removal left a name dangling.

    >>> hint = dangling_hint(
    ...     PolicyError("unknown path 'major'"),
    ...     Overlaid({}, plain_origin(lambda p: None), {("paths", "major"): ("remove", "paths", 0)},
    ...              plain_origin(lambda p: None)),
    ...     "segment 'emea'",
    ... )
    >>> hint
    "; segment 'emea' removes paths.major (at remove.paths[0])"
    """
    for entry, where in sorted(overlaid.removed.items(), key=lambda item: render_path(item[0])):
        if repr(str(entry[-1])) in error.message:
            source, path = overlaid.overlay_origin(where)
            at = render_path(path)
            if source is not None:
                at = f"{source[0]}:{source[1]}:{source[2]}"
            return f"; {label} removes {render_path(entry)} (at {at})"
    return ""


class _Overlay:
    """One application of an overlay; see :func:`apply_overlay`."""

    def __init__(
        self,
        base: Mapping[str, Any],
        base_origin: Origin,
        overlay: Mapping[str, Any],
        overlay_origin: Origin,
        at: KeyPath,
        label: str,
        extends: bool,
    ) -> None:
        self.base = base
        self.base_origin = base_origin
        self.overlay = overlay
        self.overlay_origin = overlay_origin
        self.at = at
        self.label = label
        self.extends = extends
        self.merged: dict[str, Any] = {
            k: v for k, v in base.items() if k not in ("extends", "add", "remove")
        }
        # Merged key path prefix -> (origin of the document that wrote it, its path there).
        self.owners: dict[KeyPath, tuple[Origin, KeyPath]] = {}
        self.removed: dict[KeyPath, KeyPath] = {}

    def fail(self, message: str, where: KeyPath, suggestion: str | None = None) -> PolicyError:
        source, path = self.overlay_origin((*self.at, *where))
        return PolicyError(
            f"{self.label} {message}", path=path, source=source, suggestion=suggestion
        )

    def apply(self) -> Overlaid:
        overlay = self.overlay
        add = overlay.get("add") or {}
        remove = overlay.get("remove") or {}
        for key in sorted(set(overlay) - _HANDLED, key=str):
            if key in ("id", "when", "precedence") and not self.extends:
                continue  # a segment's own keys
            raise self.fail(f"writes {key!s}, which an overlay cannot merge", (key,))
        if self.extends:
            for key in _SCALARS:
                if key in overlay:
                    self.merged[key] = overlay[key]
                    self.owners[(key,)] = (self.overlay_origin, (*self.at, key))
        self._terminology(overlay.get("terminology") or {}, add.get("terminology") or {})
        for section in NAMED_SECTIONS:
            self._named(
                (section,),
                overlay.get(section) or {},
                add.get(section) or {},
                remove.get(section) or [],
            )
        directory_over = overlay.get("directory") or {}
        directory_add = add.get("directory") or {}
        directory_remove = remove.get("directory") or {}
        for section in _DIRECTORY_SECTIONS:
            self._named(
                ("directory", section),
                directory_over.get(section) or {},
                directory_add.get(section) or {},
                directory_remove.get(section) or [],
            )
        base_directory = self._base_names(("directory",))
        for prefix, values in (((), directory_over), (("add",), directory_add)):
            for key, value in sorted(values.items()):
                if key in _DIRECTORY_SECTIONS:
                    continue
                # contact_max_age: replaced when written, added under add: when the base has none
                if prefix and key in base_directory:
                    raise self.fail(
                        f"adds directory.{key}, which the base already sets; to replace it, "
                        "write it under 'directory:' instead of 'add:'",
                        ("add", "directory", key),
                    )
                self._section(("directory",))[key] = value
                self.owners[("directory", key)] = (
                    self.overlay_origin,
                    (*self.at, *prefix, "directory", key),
                )
        for section in LISTED_SECTIONS:
            if section == "segments" and not self.extends:
                continue
            self._listed(
                section,
                overlay.get(section) or [],
                add.get(section) or [],
                remove.get(section) or [],
            )
        return Overlaid(self.merged, self._origin, dict(self.removed), self.overlay_origin)

    def _origin(self, path: KeyPath) -> tuple[Source | None, KeyPath]:
        for length in (3, 2, 1):
            if len(path) < length:
                continue
            owner = self.owners.get(tuple(_part(p) for p in path[:length]))
            if owner is not None:
                origin, local = owner
                return origin((*local, *path[length:]))
        return self.base_origin(path)

    def _section(self, where: KeyPath) -> dict[Any, Any]:
        """The merged section at ``where`` (one or two keys), copied before it is changed."""
        if len(where) == 1:
            found = self.merged.get(str(where[0]))
            copy = dict(found or {})
            self.merged[str(where[0])] = copy
            return copy
        outer = self._section(where[:1])
        inner = dict(outer.get(where[1]) or {})
        outer[where[1]] = inner
        return inner

    def _base_names(self, where: KeyPath) -> Mapping[Any, Any]:
        found: Any = self.base
        for key in where:
            found = (found or {}).get(key) if isinstance(found, Mapping) else None
        return found if isinstance(found, Mapping) else {}

    def _named(
        self, where: KeyPath, over: Mapping[Any, Any], add: Mapping[Any, Any], remove: list[Any]
    ) -> None:
        if not (over or add or remove):
            return
        known = self._base_names(where)
        names = [str(k) for k in known]
        what = render_path(where)
        if where == ("statuses",) and self.base.get("statuses") is None:
            # Adding to the built-in statuses would replace them all with the few written.
            raise self.fail(
                "changes statuses, but the base uses the built-in statuses: declare them "
                "under 'statuses:' in the base first",
                ("add" if add and not over else "remove" if remove and not over else "statuses",),
            )
        overridden: set[str] = set()
        for name in over:
            if name not in known:
                raise self.fail(
                    f"overrides {what}.{name}, which the base does not define; to add it, "
                    "write it under 'add:'",
                    (*where, _part(name)),
                    suggest(str(name), names),
                )
            overridden.add(str(name))
        for name in add:
            if name in known:
                raise self.fail(
                    f"adds {what}.{name}, which the base already defines; to replace it, "
                    f"write it under '{what}:' instead of 'add:'",
                    ("add", *where, _part(name)),
                )
        for i, name in enumerate(remove):
            if name not in known:
                raise self.fail(
                    f"removes {what}.{name}, which the base does not define",
                    ("remove", *where, i),
                    suggest(str(name), names),
                )
            if str(name) in overridden:
                raise self.fail(
                    f"both overrides and removes {what}.{name}; do one",
                    ("remove", *where, i),
                )
        section = self._section(where)
        for prefix, entries in (((), over), (("add",), add)):
            for name, entry in entries.items():
                section[name] = entry
                at = (*where, _part(name))
                self.owners[at] = (self.overlay_origin, (*self.at, *prefix, *at))
        for i, name in enumerate(remove):
            section.pop(name, None)
            self.removed[(*where, _part(name))] = (*self.at, "remove", *where, i)

    def _terminology(self, over: Mapping[str, Any], add: Mapping[str, Any]) -> None:
        if not (over or add):
            return
        known = self._base_names(("terminology",))
        merged = self._section(("terminology",))
        for field, table in sorted(over.items()):
            if field not in known:
                raise self.fail(
                    f"adds aliases to terminology.{field}, which the base does not have; to "
                    "add the field's terms, write them under 'add:'",
                    ("terminology", field),
                    suggest(field, [str(k) for k in known]),
                )
            terms = dict(merged[field])
            for canonical, aliases in sorted(table.items()):
                if canonical not in terms:
                    raise self.fail(
                        f"adds aliases to {shown(canonical)}, which is not a canonical {field} "
                        f"of the base (known: {', '.join(sorted(map(str, terms)))}); to add a "
                        "term, write it under 'add:'",
                        ("terminology", field, canonical),
                        suggest(str(canonical), [str(t) for t in terms]),
                    )
                terms[canonical] = [*terms[canonical], *aliases]
            merged[field] = terms
        for field, table in sorted(add.items()):
            terms = dict(merged.get(field) or {})
            for canonical, aliases in sorted(table.items()):
                if canonical in terms:
                    raise self.fail(
                        f"adds {shown(canonical)} to terminology.{field}, which the base "
                        f"already has; to add aliases to it, write them under 'terminology:'",
                        ("add", "terminology", field, canonical),
                    )
                terms[canonical] = list(aliases)
                self.owners[("terminology", field, _part(canonical))] = (
                    self.overlay_origin,
                    (*self.at, "add", "terminology", field, _part(canonical)),
                )
            merged[field] = terms

    def _listed(self, section: str, over: list[Any], add: list[Any], remove: list[Any]) -> None:
        base_items: list[Any] = list(self.base.get(section) or [])
        if not (over or add or remove):
            return
        ids = [item.get("id") for item in base_items]
        names = [str(i) for i in ids]
        replaced: dict[str, tuple[int, Any]] = {}
        for i, item in enumerate(over):
            entry_id = item.get("id")
            if entry_id not in ids:
                raise self.fail(
                    f"overrides {section} id {shown(entry_id)}, which the base does not define; "
                    "to add it, write it under 'add:'",
                    (section, i, "id"),
                    suggest(str(entry_id), names),
                )
            if entry_id in replaced:
                raise self.fail(
                    f"overrides {section} id {shown(entry_id)} twice "
                    f"(also {section}[{replaced[entry_id][0]}])",
                    (section, i, "id"),
                )
            replaced[entry_id] = (i, item)
        for i, item in enumerate(add):
            if item.get("id") in ids:
                raise self.fail(
                    f"adds {section} id {shown(item.get('id'))}, which the base already defines; "
                    f"to replace it, write it under '{section}:' instead of 'add:'",
                    ("add", section, i, "id"),
                )
        dropped: dict[str, int] = {}
        for i, entry_id in enumerate(remove):
            if entry_id not in ids:
                raise self.fail(
                    f"removes {section} id {shown(entry_id)}, which the base does not define",
                    ("remove", section, i),
                    suggest(str(entry_id), names),
                )
            if entry_id in replaced:
                raise self.fail(
                    f"both overrides and removes {section} id {shown(entry_id)}; do one",
                    ("remove", section, i),
                )
            dropped[entry_id] = i
        merged: list[Any] = []
        owners: list[tuple[Origin, KeyPath]] = []
        for j, item in enumerate(base_items):
            entry_id = item.get("id")
            if entry_id in dropped:
                self.removed[(section, entry_id)] = (
                    *self.at,
                    "remove",
                    section,
                    dropped[entry_id],
                )
                continue
            if entry_id in replaced:
                i, replacement = replaced[entry_id]
                owners.append((self.overlay_origin, (*self.at, section, i)))
                merged.append(replacement)
            else:
                owners.append((self.base_origin, (section, j)))
                merged.append(item)
        for i, item in enumerate(add):
            owners.append((self.overlay_origin, (*self.at, "add", section, i)))
            merged.append(item)
        for k, owner in enumerate(owners):
            self.owners[(section, k)] = owner
        self.merged[section] = merged


def _part(key: object) -> str | int:
    """A mapping key or list index as a key path spells it."""
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)
