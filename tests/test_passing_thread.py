"""in_passing_thread: the work's result or error comes back, and the OpenMP workers it started end with it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

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


# Run in a process of its own: in the test session other tests' threads come and go, and the count is process-wide.
CHECK = """
import json, threading, time
import psutil, torch
from ragvsft.serve.passing_thread import in_passing_thread

def compute():
    with torch.inference_mode():
        torch.nn.functional.linear(torch.ones(256, 1024), torch.ones(1024, 1024)).sum()

def threads_once_settled(before, wait_s):
    # An ended thread's OpenMP workers exit just after it (and /proc lists a joined thread a moment longer).
    deadline = time.monotonic() + wait_s
    while psutil.Process().num_threads() != before and time.monotonic() < deadline:
        time.sleep(0.02)
    return psutil.Process().num_threads()

counts = []

def caller():  # a fresh thread: had the work run on it, its own OpenMP workers would stay
    before = psutil.Process().num_threads()
    in_passing_thread(compute)
    after_passing = threads_once_settled(before, 10)
    compute()  # on the caller itself, which lives on: its workers stay (what the server avoids)
    counts.extend([before, after_passing, threads_once_settled(before, 1)])

thread = threading.Thread(target=caller)
thread.start()
thread.join()
print(json.dumps({"threads": torch.get_num_threads(), "counts": counts}))
"""


def test_openmp_workers_of_the_work_end_with_it() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=300)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["threads"] < 2:
        pytest.skip("torch computes on one thread here: OpenMP starts no workers")
    before, after_passing, after_living = result["counts"]
    assert after_passing == before
    assert after_living > before
