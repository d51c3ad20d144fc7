"""Hostile paths, files and arguments for ``load`` and ``loads`` (issue #8, classes 4 and 5).

Only regular files are read, never more than the size limit plus one byte; every bad path,
file, folder entry or argument is an ``EscalateError`` subclass that names it. The reads that
would hang or exhaust memory without the fix run in a child process with a timeout and a memory
limit, so a regression fails the test instead of stopping the suite.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escalate.errors import ArgumentError, EscalateError, PolicyError
from escalate.policy.loader import MAX_BYTES, load, loads

HEADER = "policy: p\nversion: 1\n"
CALENDAR = "calendars:\n  office: {timezone: UTC, hours: 24x7, years: [2024, 2025]}\n"
RULE = "rules:\n  - id: r\n    when: {category: network}\n    then: {notify: {to: [assignee]}}\n"
PEOPLE = "directory:\n  people:\n    ann: {channels: {email: a}}\n    ben: {channels: {email: b}}\n"


def schedule(name: str) -> str:
    return (
        f"  {name}:\n    timezone: UTC\n    layers:\n"
        "      - {name: main, level: 1, rotation: {members: [ann, ben], turn: 1d, "
        "anchor: 2024-01-01}}\n"
    )


def folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / name.replace("_", ".")).write_text(text)
    return tmp_path


def error_of(path: str | Path) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load(path)
    return caught.value


def in_child(code: str) -> str:
    """Run ``code`` in a fresh interpreter (60 s, 1 GiB of memory at most); its output.

    A read that never ends fails the test by the timeout instead of hanging the suite, one that
    exhausts memory by the limit.
    """
    limited = f"{LIMIT_MEMORY}\n{code}" if sys.platform != "win32" else code
    try:
        done = subprocess.run(
            [sys.executable, "-c", limited],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after 60 s: {code}")
    return done.stdout + done.stderr[-300:]


LIMIT_MEMORY = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))"
LOAD_IN_CHILD = """
from escalate import EscalateError, load
try:
    load({path!r})
    print("loaded")
except EscalateError as exc:
    print(type(exc).__name__, exc)
"""

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


# -- what is read: regular files only, at most the limit plus one byte --------------------------


@needs_fifo
def test_load_of_a_fifo_is_a_policy_error_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    assert (
        f"PolicyError cannot read policy '{fifo}': it is a FIFO (named pipe), not a regular file\n"
        == in_child(LOAD_IN_CHILD.format(path=str(fifo)))
    )


@needs_fifo
def test_a_fifo_among_the_yaml_files_of_a_folder_is_a_policy_error_naming_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text(HEADER)
    os.mkfifo(tmp_path / "b.yaml")
    assert (
        f"PolicyError cannot read policy '{tmp_path / 'b.yaml'}': it is a FIFO (named pipe), "
        "not a regular file\n"
    ) == in_child(LOAD_IN_CHILD.format(path=str(tmp_path)))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_load_of_dev_zero_is_a_policy_error_instead_of_an_endless_read() -> None:
    assert "PolicyError cannot read policy '/dev/zero': it is a device, not a regular file\n" == (
        in_child(LOAD_IN_CHILD.format(path="/dev/zero"))
    )


def test_a_file_larger_than_the_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    assert (
        f"cannot read policy '{big}': it is {MAX_BYTES + 1} bytes; the limit is {MAX_BYTES} bytes"
        == str(error_of(big))
    )


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="no /proc on this system")
def test_a_file_that_says_it_is_empty_is_still_read_only_up_to_the_limit() -> None:
    # /proc files report size 0 and have content: the limit holds for what is read.
    with pytest.raises(PolicyError) as caught:
        load("/proc/self/status", max_bytes=10)
    assert (
        "cannot read policy '/proc/self/status': it holds more than 10 bytes; the limit is 10 bytes"
    ) == str(caught.value)


def test_max_bytes_lowers_the_limit_of_load(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(HEADER)
    with pytest.raises(PolicyError) as caught:
        load(path, max_bytes=len(HEADER) - 1)
    assert f"cannot read policy '{path}': it is 21 bytes; the limit is 20 bytes" == str(
        caught.value
    )


def test_max_bytes_lowers_the_limit_of_loads() -> None:
    with pytest.raises(PolicyError) as caught:
        loads(HEADER, max_bytes=20)
    assert "<string>:1:1: document is 21 bytes; the limit is 20 bytes" == str(caught.value)


def test_the_limit_holds_for_the_files_of_a_folder_together(tmp_path: Path) -> None:
    folder(tmp_path, a_yaml=HEADER, b_yaml=RULE)
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, max_bytes=len(RULE) + 5)
    assert (
        f"the policy files of folder '{tmp_path}' hold more than {len(RULE) + 5} bytes together "
        "(the limit is reached in 'b.yaml')"
    ) == str(caught.value)


def test_a_folder_named_like_a_policy_file_inside_a_folder_is_a_policy_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text(HEADER)
    (tmp_path / "b.yaml").mkdir()
    assert f"cannot read policy '{tmp_path / 'b.yaml'}': it is a folder, not a regular file" == str(
        error_of(tmp_path)
    )


def test_a_broken_link_inside_a_folder_is_a_policy_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEADER)
    (tmp_path / "b.yaml").symlink_to(tmp_path / "gone.yaml")
    assert (
        f"cannot read policy '{tmp_path / 'b.yaml'}': it is a symbolic link to a file that does "
        "not exist"
    ) == str(error_of(tmp_path))


def test_a_link_to_a_policy_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(HEADER)
    (tmp_path / "p.yaml").symlink_to(tmp_path / "real.txt")
    assert "p" == load(tmp_path / "p.yaml").id


# -- paths ---------------------------------------------------------------------------------------


def test_a_path_with_a_nul_character_is_a_policy_error_naming_it() -> None:
    assert "cannot read policy 'a\\x00b.yaml': a path cannot hold a NUL character" == str(
        error_of("a\0b.yaml")
    )


def test_a_path_too_long_for_the_system_is_a_policy_error_naming_it(tmp_path: Path) -> None:
    long = str(tmp_path / ("a" * 5000))
    assert f"cannot read policy '{long}': File name too long" == str(error_of(long))


def test_an_empty_path_is_a_policy_error_not_the_current_folder() -> None:
    assert "the policy path is empty; name a .yaml file or a folder" == str(error_of(""))


def test_a_path_without_the_extension_gets_yaml_appended_not_its_suffix_replaced(
    tmp_path: Path,
) -> None:
    (tmp_path / "p.yaml").write_text(HEADER)
    assert f"cannot read policy '{tmp_path / 'p.v2'}': No such file or directory" == str(
        error_of(tmp_path / "p.v2")
    )


@pytest.mark.parametrize(
    "path",
    ["/", ".", "/dev/null", "/proc/self/fd", "no/such/dir/p", "a" * 300, "\udcff.yaml", "\n"],
)
def test_any_path_loads_or_raises_an_escalate_error(path: str) -> None:
    with pytest.raises(EscalateError):
        load(path)


# -- argument types ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, 1, bytearray(b"policy: p"), ["policy: p"], Path("p")])
def test_loads_of_something_other_than_str_or_bytes_is_an_argument_error(text: object) -> None:
    with pytest.raises(ArgumentError) as caught:
        loads(text)  # type: ignore[arg-type]
    assert f"loads() takes the policy as str or UTF-8 bytes, got {type(text).__name__}" == str(
        caught.value
    )


def test_loads_of_utf8_bytes_compiles_the_policy() -> None:
    assert "p" == loads(HEADER.encode()).id


def test_loads_of_bytes_that_are_not_utf8_is_a_policy_error() -> None:
    with pytest.raises(PolicyError) as caught:
        loads("policy: pé\n".encode("latin-1"))
    assert (
        "<string>:1:10: the document is not valid UTF-8: cannot decode byte(s) e9 (invalid "
        "continuation byte)"
    ) == str(caught.value)


def test_a_filename_that_is_not_a_str_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError) as caught:
        loads(HEADER, filename=None)  # type: ignore[arg-type]
    assert "filename must be a str, got NoneType" == str(caught.value)


@pytest.mark.parametrize("path", [None, 3, b"p.yaml"])
def test_load_of_something_other_than_a_str_path_is_an_argument_error(path: object) -> None:
    with pytest.raises(ArgumentError) as caught:
        load(path)  # type: ignore[arg-type]
    assert str(caught.value).startswith(
        f"load() takes the policy path as a str or os.PathLike, got {type(path).__name__}: "
    )


@pytest.mark.parametrize(("limit", "why"), [(-1, "not be negative"), ("1", "be an int")])
def test_a_bad_max_bytes_is_an_argument_error(limit: object, why: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        loads(HEADER, max_bytes=limit)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"max_bytes must {why}")


# -- folders: one shape per section ---------------------------------------------------------------


def test_a_section_that_is_a_mapping_in_one_file_and_a_list_in_another_names_both_files(
    tmp_path: Path,
) -> None:
    folder(tmp_path, a_yaml=HEADER + CALENDAR, b_yaml="calendars:\n  - office\n")
    assert (
        f"{tmp_path / 'b.yaml'}:1:1: calendars: calendars is a list here and a mapping at "
        f"{tmp_path / 'a.yaml'}:3:1; a section spread over several files must be a mapping in "
        "each"
    ) == str(error_of(tmp_path))


def test_rules_that_are_a_mapping_in_one_file_and_a_list_in_another_name_both_files(
    tmp_path: Path,
) -> None:
    folder(tmp_path, a_yaml=HEADER + "rules: {r: 1}\n", b_yaml=RULE)
    assert (
        f"{tmp_path / 'b.yaml'}:1:1: rules: rules is a list here and a mapping at "
        f"{tmp_path / 'a.yaml'}:3:1; a section spread over several files must be a list in each"
    ) == str(error_of(tmp_path))


def test_an_empty_section_in_a_second_file_is_an_error_naming_both(tmp_path: Path) -> None:
    folder(tmp_path, a_yaml=HEADER + CALENDAR, b_yaml="calendars:\n")
    assert "calendars is empty here and a mapping at" in error_of(tmp_path).message


def test_schedules_spread_over_files_are_merged_by_name(tmp_path: Path) -> None:
    folder(
        tmp_path,
        a_yaml=HEADER + PEOPLE + "schedules:\n" + schedule("day"),
        b_yaml="schedules:\n" + schedule("night"),
    )
    assert ("day", "night") == tuple(sorted(load(tmp_path).directory.schedules))


def test_a_value_written_as_true_in_one_file_and_1_in_another_differs(tmp_path: Path) -> None:
    folder(tmp_path, a_yaml=HEADER, b_yaml="version: true\n")
    assert "version differs between files (1 vs True)" == error_of(tmp_path).message


def test_a_long_value_that_differs_between_files_is_cut_in_the_message(tmp_path: Path) -> None:
    folder(tmp_path, a_yaml=HEADER + "description: short\n", b_yaml=f"description: {'x' * 500}\n")
    assert (
        f"description differs between files ('short' vs '{'x' * 120}'… (500 characters))"
        == error_of(tmp_path).message
    )


def test_a_key_missing_from_every_file_of_a_folder_is_located_in_the_first(
    tmp_path: Path,
) -> None:
    folder(tmp_path, a_yaml="policy: p\n", b_yaml=RULE)
    assert (str(tmp_path / "a.yaml"), 1, 1) == error_of(tmp_path).source


def test_a_non_string_key_in_a_folder_is_located_in_its_file(tmp_path: Path) -> None:
    folder(tmp_path, a_yaml=HEADER, b_yaml="1: one\n")
    assert (str(tmp_path / "b.yaml"), 1, 1) == error_of(tmp_path).source


def test_a_long_non_ascii_text_is_refused_without_counting_its_bytes() -> None:
    with pytest.raises(PolicyError) as caught:
        loads("é" * 30, max_bytes=20)
    assert "<string>:1:1: document is at least 30 bytes; the limit is 20 bytes" == str(caught.value)


SECTIONS = ("version", "calendars", "clocks", "rules")
SHAPES = ("{}", "[]", "x", "1", "true", "null", "{a: 1}", "[1]", "[{id: r}]")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(files=[{"rules": "{a: 1}"}, {"rules": "[1]"}])
@example(files=[{"calendars": "[1]"}, {"calendars": "{a: 1}"}])
@given(
    files=st.lists(
        st.dictionaries(st.sampled_from(SECTIONS), st.sampled_from(SHAPES), max_size=4),
        min_size=2,
        max_size=3,
    )
)
def test_any_shapes_of_sections_across_folder_files_load_or_raise_a_policy_error(
    files: list[dict[str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for i, sections in enumerate(files):
            text = "".join(f"{key}: {value}\n" for key, value in sections.items())
            (Path(folder) / f"{i}.yaml").write_text(text)
        with contextlib.suppress(PolicyError):
            load(folder)
