"""The store's share of the limits (clusterctl/limits.py): no call vanishes from the cache, and
no write leaves a file that a read would refuse."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from clusterctl.model import Stage
from clusterctl.store import Store
from tests.store.helpers import BRU, make_call


def test_a_call_closed_before_1970_stays_in_the_cache_after_a_change(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    store.add(make_call("NEW-1"))
    assert [s.id for s in Store(store.root, cache_dir=store.cache_dir).summaries()] == ["NEW-1"]
    old = make_call("OLD-1", stages=(Stage("", datetime(1950, 3, 8, 17, tzinfo=BRU)),))
    store.add(old)  # the next listing carries the cache's closed half over and adds OLD-1
    for _ in range(2):  # the rebuilt cache, then the cache as saved
        fresh = Store(store.root, cache_dir=store.cache_dir)
        assert sorted(s.id for s in fresh.summaries()) == ["NEW-1", "OLD-1"]
