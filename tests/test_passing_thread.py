"""in_passing_thread: the work's result or error comes back, and the OpenMP workers it started end with it."""

from __future__ import annotations

import threading

import psutil
import pytest

from ragvsft.serve.passing_thread import in_passing_thread


def test_returns_the_result_from_another_thread() -> None:
    caller = threading.current_thread()
    assert in_passing_thread(lambda: (threading.current_thread() is not caller, 6 * 7)) == (True, 42)


def test_raises_the_works_error_in_the_caller() -> None:
    def fail() -> None:
        raise ValueError("bad adapter folder")

    with pytest.raises(ValueError, match="bad adapter folder"):
        in_passing_thread(fail)


def test_openmp_workers_of_the_work_end_with_it() -> None:
    torch = pytest.importorskip("torch")
    if torch.get_num_threads() < 2:
        pytest.skip("torch computes on one thread here: OpenMP starts no workers")

    def compute() -> None:
        with torch.inference_mode():
            torch.nn.functional.linear(torch.ones(256, 1024), torch.ones(1024, 1024)).sum()

    counts: list[int] = []

    def caller() -> None:  # a fresh thread: had the work run on it, its own OpenMP workers would stay
        counts.append(psutil.Process().num_threads())
        in_passing_thread(compute)
        counts.append(psutil.Process().num_threads())
        compute()  # on the caller itself, which lives on: its workers stay (what the server avoids)
        counts.append(psutil.Process().num_threads())

    thread = threading.Thread(target=caller)
    thread.start()
    thread.join()
    before, after_passing, after_living = counts
    assert after_passing == before
    assert after_living > before
