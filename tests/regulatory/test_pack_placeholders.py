"""Filling a pack's placeholder role from an extending policy leaves lint nothing to say.

The new-user trial filled GDPR's ``dpo`` role the documented way and was left with
``unused-person`` and ``unused-ignore`` findings it could not fix from its own file (the
pack's lint ignores). The packs now need no ignores: the placeholder people carry reserved
``example.invalid`` addresses and a deputy backs the role, so a policy that replaces them, or
refills the role and removes them, lints clean, and one that refills the role but keeps them
is told exactly which entries to remove.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate import lint, load

PACKS = Path(__file__).resolve().parents[2] / "rules" / "regulatory"
ROLES = {
    "gdpr": "dpo",
    "dora": "dora-reporting",
    "nis2": "nis2-reporting",
    "hipaa": "privacy-officer",
    "sec": "sec-disclosure",
}


def extend(tmp_path: Path, pack: str, body: str) -> Path:
    path = tmp_path / f"bank-{pack}.yaml"
    path.write_text(
        f"extends: {PACKS / f'{pack}.yaml'}\npolicy: bank-{pack}\nversion: 1\n{body}",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("pack", sorted(ROLES))
def test_a_pack_alone_lints_clean_without_ignores(pack: str) -> None:
    policy = load(PACKS / f"{pack}.yaml")
    assert (lint(policy), policy.lint_ignores) == ((), ())


@pytest.mark.parametrize("pack", sorted(ROLES))
def test_replacing_the_placeholder_people_lints_clean(tmp_path: Path, pack: str) -> None:
    role = ROLES[pack]
    path = extend(
        tmp_path,
        pack,
        f"""directory:
  people:
    {role}: {{name: Dr Weber, channels: {{email: "weber@bank.example"}}}}
    {role}-deputy: {{name: Compliance One, channels: {{email: "comp1@bank.example"}}}}
""",
    )
    policy = load(path)
    assert lint(policy) == ()
    assert policy.directory.people[role].name == "Dr Weber"


@pytest.mark.parametrize("pack", sorted(ROLES))
def test_refilling_the_role_and_removing_the_placeholders_lints_clean(
    tmp_path: Path, pack: str
) -> None:
    role = ROLES[pack]
    body = f"""directory:
  roles:
    {role}: {{person: dr-weber, backup: comp1}}
add:
  directory:
    people:
      dr-weber: {{name: Dr Weber, channels: {{email: "weber@bank.example"}}}}
      comp1: {{name: Compliance One, channels: {{email: "comp1@bank.example"}}}}
"""
    kept = lint(load(extend(tmp_path, pack, body)))
    # the trial's file: the placeholders stay and are reported, each by its own key, fixable
    # from the extending file (no unused-ignore about the pack's lint section)
    assert [(f.code, ".".join(map(str, f.where))) for f in kept] == [
        ("unused-person", f"directory.people.{role}"),
        ("unused-person", f"directory.people.{role}-deputy"),
    ]
    removed = body + f"remove:\n  directory: {{people: [{role}, {role}-deputy]}}\n"
    assert lint(load(extend(tmp_path, pack, removed))) == ()
