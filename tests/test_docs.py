"""The examples in docs/ are run, so the guide cannot drift from the code.

Every ```pycon block of a page runs as one doctest session (blocks share their names, in
order). Every ```yaml block of the policy reference loads as a policy; a yaml block followed
directly by a ```text block starting with ``policy.yaml:`` must fail with exactly that error.
"""

from __future__ import annotations

import doctest
import json
import re
import shutil
from pathlib import Path

import pytest

from escalate import PolicyError, loads
from escalate.schemas import json_schema

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: Pages whose examples need an optional extra, and the module it provides: without it they are
#: skipped, saying so (make test installs every extra).
NEEDS = {"backends.md": "durable_rules_engine"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def blocks(page: str) -> list[re.Match[str]]:
    return list(FENCE.finditer((DOCS / page).read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_the_pycon_examples_of_a_page_print_what_they_say(page: str) -> None:
    if page in NEEDS:
        pytest.importorskip(NEEDS[page], reason=f"{page}'s examples need {NEEDS[page]}")
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    names: dict[str, object] = {}
    for match in blocks(page):
        if match.group(1) != "pycon":
            continue
        line = (DOCS / page).read_text(encoding="utf-8")[: match.start()].count("\n") + 1
        test = parser.get_doctest(match.group(2), names, f"{page}:{line}", page, line)
        runner.run(test, clear_globs=False)
        names = test.globs
    assert 0 == runner.summarize(verbose=False).failed


def test_every_yaml_example_of_the_policy_reference_loads_or_fails_as_shown() -> None:
    found = blocks("policy-reference.md")
    checked = 0
    for i, match in enumerate(found):
        if match.group(1) != "yaml":
            continue
        following = found[i + 1] if i + 1 < len(found) else None
        expected = None
        if (
            following is not None
            and following.group(1) == "text"
            and following.group(2).startswith("policy.yaml:")
        ):
            expected = following.group(2).strip()
        if expected is None:
            loads(match.group(2), filename="policy.yaml")
        else:
            with pytest.raises(PolicyError) as caught:
                loads(match.group(2), filename="policy.yaml")
            assert expected == str(caught.value)
        checked += 1
    assert checked >= 10


def test_the_readme_embedding_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^```python\n(.*?)^```\n", readme, re.M | re.S)
    assert match is not None
    monkeypatch.chdir(DOCS.parent)  # the example loads rules/ by a relative path
    exec(compile(match.group(1), "README.md", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert "INC0042:path:service-desk:1:0:L2" in printed


def test_the_editor_schema_recipe_in_the_policy_reference_validates_the_shipped_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (DOCS / "policy-reference.md").read_text(encoding="utf-8")
    match = re.search(r"the way an editor does.*?^```python\n(.*?)^```\n", text, re.M | re.S)
    assert match is not None
    (tmp_path / "rules").mkdir()
    shutil.copy(DOCS.parent / "rules" / "itil-default.yaml", tmp_path / "rules")
    (tmp_path / "policy.schema.json").write_text(json.dumps(json_schema("policy")))
    monkeypatch.chdir(tmp_path)
    exec(compile(match.group(1), "policy-reference.md", "exec"), {"__name__": "recipe"})


MARKDOWN = sorted(
    [*DOCS.glob("*.md"), DOCS.parent / "README.md", DOCS.parent / "bench" / "README.md"]
)


def _prose(text: str) -> tuple[str, list[int]]:
    """The page without its fenced blocks, and the lines of fences left open."""
    out: list[str] = []
    open_at: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            if open_at:
                if line.strip() != "```":  # a fence with an info string cannot close a block
                    return "", open_at
                open_at.pop()
            else:
                open_at.append(number)
            continue
        if not open_at:
            out.append(line)
    return "\n".join(out), open_at


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but - and _ dropped, spaces -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(DOCS.parent)))
def test_every_fence_closes_and_every_link_to_a_heading_finds_it(page: Path) -> None:
    prose, open_at = _prose(page.read_text(encoding="utf-8"))
    assert not open_at, f"{page.name}: the fence on line {open_at[0]} never closes"
    for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?#([\w-]+)\)", prose):
        linked = page if not target else (page.parent / target).resolve()
        if not linked.exists():
            continue  # links to files are checked by the reader, anchors here
        headings = _prose(linked.read_text(encoding="utf-8"))[0]
        anchors = {_anchor(h) for h in re.findall(r"^#+ (.*)$", headings, re.M)}
        assert anchor in anchors, f"{page.name}: no heading #{anchor} in {linked.name}"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_every_pycon_block_ends_with_a_blank_line_so_the_page_runs_under_python_m_doctest(
    page: str,
) -> None:
    # Without the blank line, `python -m doctest docs/<page>` reads the closing fence as part
    # of the last expected output, and a reader who copies the example sees it fail.
    text = (DOCS / page).read_text(encoding="utf-8")
    unended = [
        text[: match.start()].count("\n") + 1
        for match in blocks(page)
        if match.group(1) == "pycon" and not match.group(2).endswith("\n\n")
    ]
    assert [] == unended
