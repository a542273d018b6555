"""The summary cache: never stale, and listings of open calls skip the closed ones."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clusterctl.model import Call, make_stages
from clusterctl.store import Store
from clusterctl.store import cache as cache_module
from clusterctl.timeparse import parse_moment, parse_now


def _call(call_id: str, deadline: str) -> Call:
    zone = "Europe/Brussels"
    return Call(
        id=call_id,
        title=f"Title of {call_id}",
        timezone=zone,
        stages=make_stages([("", parse_moment(deadline, zone))]),
    )


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    # Trust every file written before the cache: the 3 s racy window is tested separately.
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(_call("OLD-1", "2018-03-08"))
    s.add(_call("OLD-2", "2019-03-08"))
    s.add(_call("NEW-1", "2099-03-08"))
    return s


def _fresh(s: Store) -> Store:
    """A new Store object on the same files (a new command run)."""
    return Store(s.root, cache_dir=s.cache_dir)


def _ids(summaries) -> list[str]:
    return sorted(x.id for x in summaries)


def test_open_listing_loads_only_live_calls_once_the_cache_is_valid(store: Store) -> None:
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]  # builds the cache
    now = datetime.now(UTC).timestamp()  # a later command
    assert _ids(_fresh(store).summaries(open_at=now)) == ["NEW-1"]
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]


def test_a_moment_before_the_cache_was_built_gets_every_call(store: Store) -> None:
    _fresh(store).summaries()
    past = parse_now("2018-01-01").timestamp()
    assert _ids(_fresh(store).summaries(open_at=past)) == ["NEW-1", "OLD-1", "OLD-2"]


def test_a_hand_edit_that_reopens_a_closed_call_is_seen(store: Store) -> None:
    _fresh(store).summaries()
    path = store.call_path("OLD-1")
    text = path.read_text()
    path.write_text(text.replace("2018-03-08", "2098-03-08"))
    _fresh(store).summaries()  # rebuilds the cache
    now = datetime.now(UTC).timestamp()
    assert _ids(_fresh(store).summaries(open_at=now)) == ["NEW-1", "OLD-1"]


def test_a_hand_edit_that_keeps_size_and_mtime_is_seen(store: Store) -> None:
    _fresh(store).summaries()
    path = store.call_path("NEW-1")
    before = path.stat()
    path.write_text(path.read_text().replace("2099-03-08", "2097-03-08"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    (summary,) = [s for s in _fresh(store).summaries() if s.id == "NEW-1"]
    assert datetime.fromtimestamp(summary.stages[0][1], UTC).year == 2097


def test_files_added_and_removed_by_hand_are_seen(store: Store) -> None:
    _fresh(store).summaries()
    store.call_path("OLD-2").unlink()
    os.link(store.call_path("NEW-1"), store.calls_dir / "copy.tmp")  # not a call file: ignored
    Store(store.root, cache_dir=store.cache_dir).add(_call("NEW-2", "2098-01-01"))
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "NEW-2", "OLD-1"]
    now = datetime.now(UTC).timestamp()
    assert _ids(_fresh(store).summaries(open_at=now)) == ["NEW-1", "NEW-2"]
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "NEW-2", "OLD-1"]


def test_files_changed_just_before_the_cache_was_built_are_reread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(_call("A-1", "2099-03-08"))
    _fresh(s).summaries()  # the cache is built within RACY_SECONDS of the file's change
    path = s.call_path("A-1")
    before = path.stat()
    path.write_text(path.read_text().replace("2099-03-08", "2098-03-08"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    # Simulate a coarse clock: the edit leaves every stat field as it was.
    real_stat = os.stat

    def same_stat(name, *args, **kwargs):
        result = real_stat(name, *args, **kwargs)
        if str(name).endswith("A-1.toml"):
            return before
        return result

    monkeypatch.setattr(cache_module.os, "stat", same_stat)
    (summary,) = _fresh(s).summaries()
    assert datetime.fromtimestamp(summary.stages[0][1], UTC).year == 2098


def test_a_broken_cache_file_is_rebuilt(store: Store) -> None:
    _fresh(store).summaries()
    (cache_file,) = list(store.cache_dir.iterdir())
    cache_file.write_bytes(b"not a pickle")
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]


def test_a_change_to_a_live_call_keeps_every_closed_call(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh(store).summaries()  # cache: NEW-1 live, OLD-1 and OLD-2 closed
    Store(store.root, cache_dir=store.cache_dir).add(_call("NEW-2", "2098-01-01"))
    edited = store.call_path("NEW-1")
    edited.write_text(edited.read_text().replace("2099-03-08", "2097-03-08"))
    now = datetime.now(UTC).timestamp()
    # A partial rebuild (closed half carried over); it may return the closed calls too.
    assert {"NEW-1", "NEW-2"} <= set(_ids(_fresh(store).summaries(open_at=now)))
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "NEW-2", "OLD-1", "OLD-2"]
    store.call_path("OLD-1").unlink()
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "NEW-2", "OLD-2"]


def test_a_live_call_that_closed_since_the_cache_was_built_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    soon = datetime.now(UTC).timestamp() + 1.5
    s.add(_call("SOON-1", datetime.fromtimestamp(soon, UTC).isoformat(timespec="seconds")))
    s.add(_call("LATER-1", "2099-01-01"))
    _fresh(s).summaries()  # SOON-1 is live in this cache
    import time as _time

    _time.sleep(2.0)  # SOON-1 closes
    edited = s.call_path("LATER-1")
    edited.write_text(edited.read_text().replace("2099-01-01", "2098-01-01"))
    _fresh(s).summaries(open_at=datetime.now(UTC).timestamp())  # partial rebuild
    assert _ids(_fresh(s).summaries()) == ["LATER-1", "SOON-1"]


def test_a_closed_call_reopened_by_an_extension_moves_to_the_live_half(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh(store).summaries()
    edited = store.call_path("OLD-1")
    edited.write_text(edited.read_text().replace("2018-03-08", "2096-03-08"))
    _fresh(store).summaries(open_at=datetime.now(UTC).timestamp())  # partial: OLD-1 dropped
    now = datetime.now(UTC).timestamp()
    assert _ids(_fresh(store).summaries(open_at=now)) == ["NEW-1", "OLD-1"]
    (reopened,) = [s for s in _fresh(store).summaries() if s.id == "OLD-1"]
    assert datetime.fromtimestamp(reopened.stages[0][1], UTC).year == 2096
    # A later full rebuild (too many stale rows) keeps the live row, not the stale closed one.
    monkeypatch.setattr(cache_module, "MAX_DROPPED", 0)
    other = store.call_path("OLD-2")
    other.write_text(other.read_text().replace("2019-03-08", "2019-03-09"))
    summaries = {s.id: s for s in _fresh(store).summaries()}
    assert sorted(summaries) == ["NEW-1", "OLD-1", "OLD-2"]
    assert datetime.fromtimestamp(summaries["OLD-1"].stages[0][1], UTC).year == 2096
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]


def test_the_cache_file_is_named_by_a_stable_hash_of_the_real_root() -> None:
    from clusterctl.store.cache import _fnv1a_hex

    # Published FNV-1a 64-bit test vectors: the name must not change between runs or versions.
    assert _fnv1a_hex("") == "cbf29ce484222325"
    assert _fnv1a_hex("a") == "af63dc4c8601ec8c"
    assert _fnv1a_hex("foobar") == "85944171f73967e8"
