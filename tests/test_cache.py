"""The summary cache: never stale, and listings of open calls skip the closed ones."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clusterctl import store as store_module
from clusterctl.model import Call, make_stages
from clusterctl.store import Store
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
    monkeypatch.setattr(store_module, "RACY_SECONDS", 0.0)
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

    monkeypatch.setattr(store_module.os, "stat", same_stat)
    (summary,) = _fresh(s).summaries()
    assert datetime.fromtimestamp(summary.stages[0][1], UTC).year == 2098


def test_a_broken_cache_file_is_rebuilt(store: Store) -> None:
    _fresh(store).summaries()
    (cache_file,) = list(store.cache_dir.iterdir())
    cache_file.write_bytes(b"not a pickle")
    assert _ids(_fresh(store).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]
