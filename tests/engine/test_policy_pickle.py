"""A compiled policy pickles as its source text and unpickles into one that decides the same.

Process pools, Spark and Dask ship the policy to their workers with ``pickle``; what arrives
must give byte-identical decisions, carry the same ``content_hash`` and ``source``, and not
depend on the files still being there.
"""

import json
import pickle
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate import ArgumentError, Availability, Policy, load, loads
from escalate.policy.compiler import compile_policy

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"
TICKETS = sorted((ROOT / "examples" / "tickets").glob("*.json"))
NOW = datetime(2024, 11, 20, 15, 0, tzinfo=UTC)


def tickets() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in TICKETS]


def availability() -> Availability:
    return Availability.from_mapping(
        json.loads((ROOT / "examples" / "availability.json").read_text())
    )


def decisions(policy: Policy) -> list[str]:
    return [policy.evaluate(t, now=NOW, availability=availability()).to_json() for t in tickets()]


def round_trip(policy: Policy) -> Policy:
    return pickle.loads(pickle.dumps(policy))


def test_the_shipped_pack_decides_the_same_after_a_round_trip() -> None:
    policy = load(PACK)
    back = round_trip(policy)
    assert back is not policy
    assert (back.content_hash, back.source, back.positions) == (
        policy.content_hash,
        policy.source,
        policy.positions,
    )
    assert decisions(back) == decisions(policy)


def test_a_policy_from_text_decides_the_same_after_a_round_trip() -> None:
    policy = loads(PACK.read_bytes(), filename="pack.yaml")
    back = round_trip(policy)
    assert (back.content_hash, back.source) == (policy.content_hash, "pack.yaml")
    assert decisions(back) == decisions(policy)


def folder_policy(tmp_path: Path) -> Path:
    """The shipped pack split over a folder of two files, extending a base in another one."""
    text = PACK.read_text()
    head, rules = text.split("\nrules:\n", 1)
    base = tmp_path / "base"
    base.mkdir()
    (base / "a.yaml").write_text(head + "\n")
    (base / "b.yaml").write_text("rules:\n" + rules)
    folder = tmp_path / "eu"
    folder.mkdir()
    (folder / "eu.yaml").write_text(
        "extends: ../base\npolicy: itil-eu\nversion: 2\nremove: {rules: [wrong-team]}\n"
    )
    return folder


def test_a_folder_policy_that_extends_another_decides_the_same_after_a_round_trip(
    tmp_path: Path,
) -> None:
    policy = load(folder_policy(tmp_path))
    back = round_trip(policy)
    assert (back.content_hash, back.source, back.positions) == (
        policy.content_hash,
        policy.source,
        policy.positions,
    )
    assert decisions(back) == decisions(policy)


def test_a_pickled_folder_policy_needs_none_of_its_files(tmp_path: Path) -> None:
    policy = load(folder_policy(tmp_path))
    data = pickle.dumps(policy)
    shutil.rmtree(tmp_path / "base")
    (tmp_path / "eu" / "eu.yaml").write_text("policy: changed\n")
    back = pickle.loads(data)
    assert back.content_hash == policy.content_hash
    assert decisions(back) == decisions(policy)


def test_a_segments_policy_pickles_alone_and_decides_as_the_segment_does() -> None:
    policy = load(PACK)
    uk = next(s for s in policy.segments if s.id == "uk").policy
    assert isinstance(uk, Policy)
    back = round_trip(uk)
    assert (back.segment, back.content_hash, back.source) == ("uk", uk.content_hash, uk.source)
    assert decisions(back) == decisions(uk)


def test_segments_survive_the_round_trip_and_still_select_tickets() -> None:
    policy = load(PACK)
    back = round_trip(policy)
    assert [(s.id, s.policy.content_hash) for s in back.segments] == [
        (s.id, s.policy.content_hash) for s in policy.segments
    ]
    data = tickets()[0] | {"region": "uk"}
    assert back.evaluate(data, now=NOW).segment == "uk"
    assert back.evaluate(data, now=NOW).to_json() == policy.evaluate(data, now=NOW).to_json()


def test_copying_a_policy_gives_the_same_immutable_object() -> None:
    import copy

    policy = loads("policy: p\nversion: 1\n")
    assert copy.copy(policy) is policy
    assert copy.deepcopy(policy) is policy


def test_a_policy_not_built_by_load_says_why_it_cannot_be_pickled() -> None:
    policy = compile_policy({"policy": "p", "version": 1})
    with pytest.raises(ArgumentError, match=r"not built by escalate\.load or escalate\.loads"):
        pickle.dumps(policy)
