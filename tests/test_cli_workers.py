"""The worker-process helper behind ``--workers``: partitions, order, errors, usage."""

import argparse
import operator

import pytest

from escalate.cli._workers import partition_of, run_in_workers, workers_arg


def test_a_key_has_the_same_partition_in_every_run() -> None:
    # CRC-32, not hash(): these numbers are fixed whatever PYTHONHASHSEED says.
    assert [partition_of(f"INC{i}", 3) for i in range(6)] == [
        partition_of(f"INC{i}", 3) for i in range(6)
    ]
    assert {partition_of(f"INC{i}", 3) for i in range(100)} == {0, 1, 2}


def test_partitions_are_crc32_of_the_utf8_key() -> None:
    import zlib

    assert partition_of("Müller", 7) == zlib.crc32("Müller".encode()) % 7


@pytest.mark.parametrize("text", ["0", "-1", "x", "1.5", "", "٣", "257"])
def test_workers_must_be_a_positive_whole_number(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="whole number of worker processes"):
        workers_arg(text)


def test_results_come_back_in_input_order_across_processes() -> None:
    items = list(range(50))
    results = list(run_in_workers(operator.add, 1000, items, str, 2, chunk_size=7))
    assert results == [1000 + i for i in items]


def test_one_worker_runs_in_this_process_with_the_same_results() -> None:
    items = list(range(20))
    assert list(run_in_workers(operator.add, 5, items, str, 1)) == list(
        run_in_workers(operator.add, 5, items, str, 2, chunk_size=3)
    )


def test_an_exception_that_is_not_an_escalate_error_is_not_hidden() -> None:
    with pytest.raises(ZeroDivisionError):
        list(run_in_workers(operator.truediv, 1, [1, 0, 2], str, 2))
