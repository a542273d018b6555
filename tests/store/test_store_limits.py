"""The store's share of the limits (clusterctl/limits.py): no call vanishes from the cache, and
no write leaves a file that a read would refuse."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from clusterctl.codec import call_to_record
from clusterctl.errors import StoreError, UsageError
from clusterctl.model import Call, Stage
from clusterctl.store import Store
from clusterctl.store.tomlfile import dump_toml
from tests.store.helpers import BRU, DEADLINE, RECORDED, call_files, make_call, temp_files


def test_a_call_closed_before_1970_stays_in_the_cache_after_a_change(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    store.add(make_call("NEW-1"))
    assert [s.id for s in Store(store.root, cache_dir=store.cache_dir).summaries()] == ["NEW-1"]
    old = make_call("OLD-1", stages=(Stage("", datetime(1950, 3, 8, 17, tzinfo=BRU)),))
    store.add(old)  # the next listing carries the cache's closed half over and adds OLD-1
    for _ in range(2):  # the rebuilt cache, then the cache as saved
        fresh = Store(store.root, cache_dir=store.cache_dir)
        assert sorted(s.id for s in fresh.summaries()) == ["NEW-1", "OLD-1"]


def test_a_change_that_would_make_the_file_too_large_is_refused_and_writes_nothing(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    store.add(make_call("BIG-1", note="n" * 60_000))
    before = Path(store.call_path("BIG-1")).read_bytes()
    reason = "r" * 65_536  # each within its limit; 16 of them are over a megabyte

    def extend_often(call: Call) -> Call:
        for day in range(1, 17):
            call = call.extend(DEADLINE + timedelta(days=day), recorded=RECORDED, reason=reason)
        return call

    with pytest.raises(UsageError) as caught:
        store.update("BIG-1", extend_often)
    assert re.fullmatch(
        r"call BIG-1: too large to store \(1[0-9]{6} bytes; at most 1048576\); nothing was written",
        str(caught.value),
    )
    assert Path(store.call_path("BIG-1")).read_bytes() == before
    assert temp_files(store.root) == []


def test_a_transaction_refuses_a_call_beyond_the_limits_before_writing_any(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    store.add(make_call("KEEP-1"))
    before = call_files(store.root)
    refused = pytest.raises(UsageError, match=r"^call BAD-2: title too long \(1001 characters")
    with refused, store.transaction() as txn:
        txn.put(make_call("GOOD-1"))
        txn.put(make_call("BAD-2", title="T" * 1001))
    assert call_files(store.root) == before


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"title": "T" * 1001}, "title too long (1001 characters; at most 1000)"),
        ({"programme": "P" * 1001}, "programme too long (1001 characters; at most 1000)"),
        ({"stages": (Stage("L" * 1001, DEADLINE),)},
         "label of deadline 1 too long (1001 characters; at most 1000)"),
    ],
)  # fmt: skip
def test_a_hand_edited_text_beyond_its_limit_is_refused_by_name(
    tmp_path: Path, changes: dict[str, object], problem: str
) -> None:
    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    store.add(make_call("CALL-1"))
    # What a hand edit could write: the encoder without the limits.
    record = call_to_record(make_call("CALL-1", **changes))
    path = store.call_path("CALL-1")
    Path(path).write_bytes(dump_toml(record))
    with pytest.raises(StoreError) as caught:
        store.get("CALL-1")
    assert str(caught.value) == f"{path}: {problem}"
