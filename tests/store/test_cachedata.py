"""The summary cache's content: each half kept by last deadline, as a listing shows them."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from clusterctl.model import Stage
from clusterctl.store import Store
from clusterctl.store.cache import CacheFile
from clusterctl.store.cachedata import CacheBuilder, in_listing_order
from clusterctl.store.signature import NO_REFERENCE
from tests.store.helpers import make_call


def _row(call_id: str, *deadlines: float) -> tuple:
    stages = tuple((f"S{n}", d, False) for n, d in enumerate(deadlines))
    return (call_id, "T", "P", (), "UTC", None, stages, "", False)


def test_rows_go_by_last_deadline_then_id_and_the_closed_latest_first() -> None:
    rows = {
        "B.toml": _row("B", 30.0),
        "A.toml": _row("A", 30.0),
        "C.toml": _row("C", 50.0, 10.0),  # its last deadline counts
        "D.toml": _row("D", 20.0),
    }
    builder = CacheBuilder(0, NO_REFERENCE, all_live=True)  # the builder finds each last deadline
    for name, row in rows.items():
        builder.add(name, row)
    rows, last = builder.live, builder.last
    assert list(in_listing_order(rows, last, closed=False)) == [
        "D.toml",
        "A.toml",
        "B.toml",
        "C.toml",
    ]
    assert list(in_listing_order(rows, last, closed=True)) == [
        "C.toml",
        "A.toml",
        "B.toml",
        "D.toml",
    ]


def test_a_built_cache_keeps_each_half_in_that_order(tmp_path: Path) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n, deadline in enumerate(["2031-05-01", "2010-02-01", "2030-01-01", "2011-09-09"]):
            when = datetime.fromisoformat(f"{deadline}T17:00:00+00:00")
            txn.put(make_call(f"CALL-{n}", stages=(Stage("", when),)))
    Store(s.root, cache_dir=s.cache_dir).summaries()
    cache = CacheFile.of(os.path.realpath(s.root), s.cache_dir).load()
    assert cache is not None
    assert cache.live_names == ["CALL-2.toml", "CALL-0.toml"]
    assert cache.closed_names == ["CALL-3.toml", "CALL-1.toml"]
    assert [r.id for r in cache.rows(live_only=False)] == ["CALL-2", "CALL-0", "CALL-3", "CALL-1"]
