"""Loading policies: the only module that reads files, and only when asked to.

``loads(text)`` compiles a policy from YAML text; ``load(path)`` reads a ``.yaml`` file, a
path without the extension, or a folder whose ``*.yaml`` files together form one policy.
Every problem is a :class:`~escalate.errors.PolicyError` that names ``file:line:col`` and the
key path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

from escalate.engine.compiled import Policy
from escalate.errors import PolicyError
from escalate.policy._yaml import Positions, parse_yaml
from escalate.policy.compiler import compile_policy

__all__ = ["load", "loads"]

KeyPath = tuple[str | int, ...]
SCALAR_KEYS = ("policy", "version", "description", "pin")
MERGED_KEYS = ("terminology", "priority_matrix", "custom_fields", "calendars", "clocks", "paths")


def loads(text: str | bytes, *, filename: str = "<string>") -> Policy:
    """Compile a policy from YAML text (nothing is read from disk)."""
    data, positions = parse_yaml(text, filename)
    return compile_policy(data, locate=positions.of, source=filename)


def load(path: str | FsPath) -> Policy:
    """Read and compile a policy from a file, a path without ``.yaml``, or a folder."""
    target = FsPath(path)
    if target.is_dir():
        files = sorted(p for p in target.iterdir() if p.suffix in (".yaml", ".yml"))
        files = [p for p in files if not p.name.endswith((".cases.yaml", ".cases.yml"))]
        if not files:
            raise PolicyError(f"folder {str(target)!r} holds no .yaml policy files")
        return _load_many(files, str(target))
    if not target.exists() and target.with_suffix(".yaml").exists():
        target = target.with_suffix(".yaml")
    try:
        text = target.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read policy {str(target)!r}: {exc.strerror}") from None
    return loads(text, filename=str(target))


def _load_many(files: list[FsPath], folder: str) -> Policy:
    """Merge several files into one policy: named entries may be defined once, rules append."""
    merged: dict[str, Any] = {}
    owners: dict[KeyPath, tuple[str, Positions, KeyPath]] = {}
    for file in files:
        data, positions = parse_yaml(file.read_bytes(), str(file))
        if data is None:
            continue
        if not isinstance(data, Mapping):
            raise PolicyError("a policy file is a mapping", source=positions.of(()))
        for key, value in data.items():
            here = (str(key),)
            if key in MERGED_KEYS and isinstance(value, Mapping):
                table = merged.setdefault(key, {})
                if not isinstance(table, dict):
                    raise PolicyError(f"{key} must be a mapping", source=positions.of(here))
                for name, entry in value.items():
                    if name in table:
                        first = owners[(key, name)]
                        raise PolicyError(
                            f"{key}.{name} is defined twice (first at "
                            f"{_where(first[1].of(first[2]))})",
                            path=(key, name),
                            source=positions.of((key, name)),
                        )
                    table[name] = entry
                    owners[(key, name)] = (str(file), positions, (key, name))
            elif key == "rules" and isinstance(value, list):
                rules = merged.setdefault("rules", [])
                for i, rule in enumerate(value):
                    owners[("rules", len(rules))] = (str(file), positions, ("rules", i))
                    rules.append(rule)
            else:
                if key in merged and merged[key] != value:
                    raise PolicyError(
                        f"{key} differs between files ({merged[key]!r} vs {value!r})",
                        path=here,
                        source=positions.of(here),
                    )
                merged[key] = value
                owners.setdefault(here, (str(file), positions, here))

    def locate(path: KeyPath) -> tuple[str, int, int] | None:
        for length in (2, 1):
            owner = owners.get(path[:length])
            if owner is not None:
                _, positions, local = owner
                return positions.of((*local, *path[length:]))
        return None

    return compile_policy(merged, locate=locate, source=folder)


def _where(source: tuple[str, int, int] | None) -> str:
    return "?" if source is None else f"{source[0]}:{source[1]}:{source[2]}"
