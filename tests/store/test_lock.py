"""The store's lock (store/lock.py): writers wait for it and time out, readers never wait."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from clusterctl.errors import LockTimeoutError
from clusterctl.store import Store
from tests.store.helpers import make_call


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
