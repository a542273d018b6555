"""The store's lock (store/lock.py): writers wait for it and time out, readers never wait.

Besides the lock within one process, real processes: twenty installed ``clusterctl`` racers
adding or extending at once lose nothing, and a lock held by another process (alive, or
killed with SIGKILL) bounds a change's wait or does not block it at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clusterctl.errors import LockTimeoutError
from clusterctl.store import Store
from tests.cli.helpers import without_notices
from tests.conftest import run, start
from tests.store.helpers import listing, make_call, ok, one_error, stat_tree, temp_files


def test_a_held_lock_makes_writers_time_out_but_not_readers(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    with Store(root).transaction() as txn:
        txn.put(make_call("HELD-1"))
        waiting = Store(root, lock_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            waiting.add(make_call("CALL-2"))
        elapsed = time.monotonic() - started
        assert 0.3 <= elapsed < 3
        assert f"(pid {os.getpid()})" in str(info.value)
        assert "for more than 0.3 s; try again or raise --lock-timeout" in str(info.value)
        assert Store(root).ids() == ["CALL-1"]  # reads never wait for the lock
    assert Store(root).ids() == ["CALL-1", "HELD-1"]
    Store(root, lock_timeout=0.3).add(make_call("CALL-2"))
    assert Store(root).ids() == ["CALL-1", "CALL-2", "HELD-1"]


# --- concurrency: real processes ------------------------------------------------------------------


def test_twenty_processes_adding_distinct_calls_all_land(tmp_path: Path) -> None:
    root = tmp_path / "store"  # does not exist yet: the racers also create it together
    racers = [
        start(root, "add", f"RACE-{n:02d}", "--title", f"Race {n}", "-d", "2031-03-08")
        for n in range(20)
    ]
    results = [(without_notices(p.communicate(timeout=120)[1]), p.returncode) for p in racers]
    assert results == [("", 0)] * 20
    assert sorted(listing(root, "--all")) == [f"RACE-{n:02d}" for n in range(20)]
    assert ok(run(root, "check")) == f"ok: 20 calls in {root}, no problems\n"
    assert (root / "clusterctl.toml").read_text() == "schema_version = 1\n"
    assert temp_files(root) == []


@pytest.mark.parametrize("how", ["by", "to"])
def test_twenty_processes_extending_one_call_all_land_in_a_chain(store: Path, how: str) -> None:
    original = "2031-03-08T17:00:00+01:00"
    if how == "by":
        args = [["--by", "1d"] for _ in range(20)]
    else:  # distinct moments, in whatever order the racers get the lock
        args = [["--to", f"2031-04-{n + 1:02d} 12:00", "--allow-earlier"] for n in range(20)]
    racers = [
        start(store, "extend", "CALL-1", *a, "--reason", f"racer {n}") for n, a in enumerate(args)
    ]
    results = [(p.communicate(timeout=120)[1], p.returncode) for p in racers]
    assert [code for _, code in results] == [0] * 20, results
    record = listing(store, "--all")["CALL-1"]
    extensions = record["extensions"]
    assert sorted(e["reason"] for e in extensions) == sorted(f"racer {n}" for n in range(20))
    previous = original
    for ext in extensions:
        assert ext["from"] == previous
        previous = ext["to"]
    assert record["deadline"] == previous
    if how == "by":
        assert previous == "2031-03-28T17:00:00+01:00"  # 20 days later, nothing lost
    else:
        assert sorted(e["to"] for e in extensions) == [
            f"2031-04-{n + 1:02d}T12:00:00+02:00" for n in range(20)
        ]
    assert ok(run(store, "check")) == f"ok: 1 call in {store}, no problems\n"


# --- a lock held by another process ---------------------------------------------------------------


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, str(os.getpid()).encode())
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def lock_holder(store: Path) -> Iterator[subprocess.Popen]:
    """A live process holding the store's lock (as another clusterctl would)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store / ".state" / "lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    yield holder
    if holder.poll() is None:
        holder.kill()
    holder.wait(timeout=10)
    holder.stdout.close()


@pytest.mark.parametrize(
    "args",
    [
        ("add", "CALL-2", "--title", "T", "-d", "2031-03-08"),
        ("extend", "CALL-1", "--by", "1d"),
        ("remove", "CALL-1", "--yes"),
    ],
)
def test_a_live_lock_holder_makes_a_change_fail_in_bounded_time(
    store: Path, lock_holder: subprocess.Popen, args: tuple[str, ...]
) -> None:
    before = stat_tree(store / "calls")
    started = time.monotonic()
    result = run(store, "--lock-timeout", "0.5", *args, timeout=30)
    elapsed = time.monotonic() - started
    assert one_error(result, 6) == (
        f"error: {store / '.state' / 'lock'}: the store is locked by another clusterctl "
        f"process (pid {lock_holder.pid}) for more than 0.5 s; try again or raise --lock-timeout"
    )
    assert 0.5 <= elapsed < 10
    assert stat_tree(store / "calls") == before
    # Reading does not wait for the lock.
    assert ok(run(store, "calls", "--all", "--format", "json", timeout=30)).count('"id"') == 1


def test_a_lock_holder_killed_with_sigkill_does_not_block(
    store: Path, lock_holder: subprocess.Popen
) -> None:
    lock_holder.send_signal(signal.SIGKILL)
    lock_holder.wait(timeout=10)
    started = time.monotonic()
    ok(run(store, "--lock-timeout", "0.5", "add", "CALL-2", "--title", "T", "-d", "2031-03-08"))
    assert time.monotonic() - started < 10
    assert sorted(listing(store, "--all")) == ["CALL-1", "CALL-2"]
