"""The summary cache: never stale, and listings of open calls skip the closed ones."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clusterctl.model import Call, make_stages
from clusterctl.store import Store
from clusterctl.store import cache as cache_module
from clusterctl.timeparse import parse_moment, parse_now
from tests.store.helpers import AT, add, call_text, invoke, listing, make_call, ok, spy_on_parses


def _call(call_id: str, deadline: str) -> Call:
    zone = "Europe/Brussels"
    return Call(
        id=call_id,
        title=f"Title of {call_id}",
        timezone=zone,
        stages=make_stages([("", parse_moment(deadline, zone))]),
    )


# Every test here both ways a listing takes in a few changed files (tests/store/conftest.py).
pytestmark = pytest.mark.usefixtures("patching")


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store of three calls: OLD-1 and OLD-2 closed, NEW-1 live (open until 2099)."""
    # Trust every file written before the cache: the 3 s racy window is tested separately.
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(_call("OLD-1", "2018-03-08"))
    s.add(_call("OLD-2", "2019-03-08"))
    s.add(_call("NEW-1", "2099-03-08"))
    return s


def _fresh(s: Store, clock: Callable[[], int] = time.time_ns) -> Store:
    """A new Store object on the same files (a new command run), by default now."""
    return Store(s.root, cache_dir=s.cache_dir, clock=clock)


def _at(moment: float) -> Callable[[], int]:
    """The clock of a run at ``moment`` (POSIX seconds), in nanoseconds as time.time_ns."""
    return lambda: int(moment * 1e9)


def _ids(summaries) -> list[str]:
    return sorted(x.id for x in summaries)


def test_open_listing_loads_only_live_calls_once_the_cache_is_valid(mixed: Store) -> None:
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]  # builds the cache
    now = datetime.now(UTC).timestamp()  # a later command
    assert _ids(_fresh(mixed).summaries(open_at=now)) == ["NEW-1"]
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]


def test_a_moment_before_the_cache_was_built_gets_every_call(mixed: Store) -> None:
    _fresh(mixed).summaries()
    past = parse_now("2018-01-01").timestamp()
    assert _ids(_fresh(mixed).summaries(open_at=past)) == ["NEW-1", "OLD-1", "OLD-2"]


def test_a_hand_edit_that_reopens_a_closed_call_is_seen(mixed: Store) -> None:
    _fresh(mixed).summaries()
    path = Path(mixed.call_path("OLD-1"))
    text = path.read_text()
    path.write_text(text.replace("2018-03-08", "2098-03-08"))
    _fresh(mixed).summaries()  # rebuilds the cache (or reads it on top: "patched")
    now = datetime.now(UTC).timestamp()
    assert _ids(_fresh(mixed).summaries(open_at=now)) == ["NEW-1", "OLD-1"]


def test_a_hand_edit_that_keeps_size_and_mtime_is_seen(mixed: Store) -> None:
    _fresh(mixed).summaries()
    path = Path(mixed.call_path("NEW-1"))
    before = path.stat()
    path.write_text(path.read_text().replace("2099-03-08", "2097-03-08"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    (summary,) = [s for s in _fresh(mixed).summaries() if s.id == "NEW-1"]
    assert datetime.fromtimestamp(summary.stages[0][1], UTC).year == 2097


def test_files_added_and_removed_by_hand_are_seen(mixed: Store) -> None:
    _fresh(mixed).summaries()
    Path(mixed.call_path("OLD-2")).unlink()
    os.link(
        mixed.call_path("NEW-1"), Path(mixed.calls_dir) / "copy.tmp"
    )  # not a call file: ignored
    Store(mixed.root, cache_dir=mixed.cache_dir).add(_call("NEW-2", "2098-01-01"))
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "NEW-2", "OLD-1"]
    now = datetime.now(UTC).timestamp()
    assert _ids(_fresh(mixed).summaries(open_at=now)) == ["NEW-1", "NEW-2"]
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "NEW-2", "OLD-1"]


def test_files_changed_just_before_the_cache_was_built_are_reread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(_call("A-1", "2099-03-08"))
    _fresh(s).summaries()  # the cache is built within RACY_SECONDS of the file's change
    path = Path(s.call_path("A-1"))
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


def test_a_broken_cache_file_is_rebuilt(mixed: Store) -> None:
    _fresh(mixed).summaries()
    (cache_file,) = list(Path(mixed.cache_dir).glob("*.pickle"))  # not the names beside it
    cache_file.write_bytes(b"not a pickle")
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]


def test_a_change_to_a_live_call_keeps_every_closed_call(
    mixed: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh(mixed).summaries()  # cache: NEW-1 live, OLD-1 and OLD-2 closed
    Store(mixed.root, cache_dir=mixed.cache_dir).add(_call("NEW-2", "2098-01-01"))
    edited = Path(mixed.call_path("NEW-1"))
    edited.write_text(edited.read_text().replace("2099-03-08", "2097-03-08"))
    now = datetime.now(UTC).timestamp()
    # A partial rebuild (closed half carried over; or read on top of the cache: "patched");
    # it may return the closed calls too.
    assert {"NEW-1", "NEW-2"} <= set(_ids(_fresh(mixed).summaries(open_at=now)))
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "NEW-2", "OLD-1", "OLD-2"]
    Path(mixed.call_path("OLD-1")).unlink()
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "NEW-2", "OLD-2"]


def test_a_live_call_that_closed_since_the_cache_was_built_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(_call("SOON-1", "2097-06-01"))
    s.add(_call("LATER-1", "2099-01-01"))
    closes = parse_moment("2097-06-01", "Europe/Brussels").timestamp()
    _fresh(s, clock=_at(closes - 3600)).summaries()  # SOON-1 is live in this cache
    edited = Path(s.call_path("LATER-1"))
    before = edited.stat()
    edited.write_text(edited.read_text().replace("2099-01-01", "2098-01-01"))
    # A later edit: a later mtime, even where the file system's clock is coarse.
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    later = closes + 3600  # SOON-1 has closed
    _fresh(s, clock=_at(later)).summaries(open_at=later)  # partial rebuild, or patched
    assert _ids(_fresh(s, clock=_at(later)).summaries()) == ["LATER-1", "SOON-1"]


def test_the_cache_is_built_at_the_moment_the_stores_clock_gives(mixed: Store) -> None:
    built = parse_now("2050-01-01").timestamp()
    _fresh(mixed, clock=_at(built)).summaries()  # a run in 2050 builds the cache
    # Moments are compared with the cache's: before it every call, from it on the live ones.
    assert _ids(_fresh(mixed).summaries(open_at=built - 1)) == ["NEW-1", "OLD-1", "OLD-2"]
    assert _ids(_fresh(mixed).summaries(open_at=built)) == ["NEW-1"]


def test_a_closed_call_reopened_by_an_extension_moves_to_the_live_half(
    mixed: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh(mixed).summaries()
    edited = Path(mixed.call_path("OLD-1"))
    edited.write_text(edited.read_text().replace("2018-03-08", "2096-03-08"))
    # Partial: OLD-1 dropped from the closed half (or patched: read on top of the cache).
    _fresh(mixed).summaries(open_at=datetime.now(UTC).timestamp())
    now = datetime.now(UTC).timestamp()
    assert _ids(_fresh(mixed).summaries(open_at=now)) == ["NEW-1", "OLD-1"]
    (reopened,) = [s for s in _fresh(mixed).summaries() if s.id == "OLD-1"]
    assert datetime.fromtimestamp(reopened.stages[0][1], UTC).year == 2096
    # A later full rebuild (too many stale rows; "patched": read on top) keeps the live row,
    # not the stale closed one.
    monkeypatch.setattr(cache_module, "MAX_DROPPED", 0)
    other = Path(mixed.call_path("OLD-2"))
    other.write_text(other.read_text().replace("2019-03-08", "2019-03-09"))
    summaries = {s.id: s for s in _fresh(mixed).summaries()}
    assert sorted(summaries) == ["NEW-1", "OLD-1", "OLD-2"]
    assert datetime.fromtimestamp(summaries["OLD-1"].stages[0][1], UTC).year == 2096
    assert _ids(_fresh(mixed).summaries()) == ["NEW-1", "OLD-1", "OLD-2"]


def test_the_cache_file_is_named_by_a_stable_hash_of_the_real_root() -> None:
    from clusterctl.store.cache import store_key as _fnv1a_hex

    # Published FNV-1a 64-bit test vectors: the name must not change between runs or versions.
    assert _fnv1a_hex("") == "cbf29ce484222325"
    assert _fnv1a_hex("a") == "af63dc4c8601ec8c"
    assert _fnv1a_hex("foobar") == "85944171f73967e8"


# --- what the cache must notice ------------------------------------------------------------


@pytest.fixture
def counted_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the call files parsed by summaries() (the rest came from the cache)."""
    parsed = spy_on_parses(monkeypatch)
    # Trust cache entries after 50 ms instead of 3 s (still far above a timestamp tick).
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.05)
    return parsed


def titles(root: Path, clock: Callable[[], int] = time.time_ns) -> dict[str, str]:
    return {s.id: s.title for s in Store(root, clock=clock).summaries()}


def restore_mtime(path: Path, old: os.stat_result) -> None:
    """Give ``path`` the atime and mtime of ``old`` again after an in-place edit (as ``touch -r``
    or ``cp -p`` would), once the edit shows in its ctime.

    A file system stamps changes with a clock that may tick only every few milliseconds, and an
    edit in the tick of the file's last change leaves every stat field as it was: no cache can
    see it (RACY_SECONDS covers that in real use). So this waits for that tick, an event, where
    a fixed sleep used to; on a file system with fine timestamps it does not wait at all.
    """
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    while path.stat().st_ctime_ns == old.st_ctime_ns:
        os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))


def test_the_cache_sees_an_in_place_edit_that_restored_the_mtime(
    tmp_path: Path, counted_parses: list[str]
) -> None:
    root = tmp_path / "store"
    for n in (1, 2):
        Store(root).add(make_call(f"CALL-{n}", title=f"Title {n}111"))
    # Every run here is a second after the files were written, past RACY_SECONDS: the cache
    # trusts its entries, and only a changed signature makes it read a file again.
    later = _at(time.time() + 1)
    assert titles(root, later) == {"CALL-1": "Title 1111", "CALL-2": "Title 2111"}
    counted_parses.clear()
    assert titles(root, later) == {"CALL-1": "Title 1111", "CALL-2": "Title 2111"}
    assert counted_parses == []  # both entries came from the cache
    path = root / "calls" / "CALL-1.toml"
    old = path.stat()
    with open(path, "r+b") as handle:  # same size, same inode, same mtime afterwards
        data = handle.read()
        handle.seek(data.index(b"Title 1111") + len("Title "))
        handle.write(b"9")
    restore_mtime(path, old)
    new = path.stat()
    assert (new.st_size, new.st_ino, new.st_mtime_ns) == (old.st_size, old.st_ino, old.st_mtime_ns)
    assert titles(root, later) == {"CALL-1": "Title 9111", "CALL-2": "Title 2111"}
    assert counted_parses == ["CALL-1.toml"]


def test_the_cache_sees_files_removed_and_added_by_hand(
    tmp_path: Path, counted_parses: list[str]
) -> None:
    root = tmp_path / "store"
    for n in (1, 2):
        Store(root).add(make_call(f"CALL-{n}", title=f"Title {n}"))
    later = _at(time.time() + 1)  # past RACY_SECONDS: the cache trusts its entries
    titles(root, later)
    (root / "calls" / "CALL-1.toml").unlink()
    assert titles(root, later) == {"CALL-2": "Title 2"}
    text = (root / "calls" / "CALL-2.toml").read_text()
    (root / "calls" / "CALL-3.toml").write_text(
        text.replace("CALL-2", "CALL-3").replace("Title 2", "Title 3")
    )
    assert titles(root, later) == {"CALL-2": "Title 2", "CALL-3": "Title 3"}
    # Put a file back under the removed name with new content: never the cached summary.
    (root / "calls" / "CALL-1.toml").write_text(
        text.replace("CALL-2", "CALL-1").replace("Title 2", "Title X")
    )
    assert titles(root, later) == {"CALL-1": "Title X", "CALL-2": "Title 2", "CALL-3": "Title 3"}


@pytest.mark.parametrize("garbage", [b"", b"\x80\x04torn", b"not a pickle at all"])
def test_a_torn_or_foreign_cache_is_rebuilt(tmp_path: Path, garbage: bytes) -> None:
    root = tmp_path / "store"
    cache = tmp_path / "cache"
    Store(root, cache_dir=cache).add(make_call())
    Store(root, cache_dir=cache).summaries()
    (entry,) = cache.glob("*.pickle")  # not the names beside it (idindex.py)
    entry.write_bytes(garbage)
    assert [s.id for s in Store(root, cache_dir=cache).summaries()] == ["CALL-1"]


def test_an_unusable_cache_directory_is_not_an_error(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache cannot live under a file\n")
    assert [s.id for s in Store(root, cache_dir=blocker / "cache").summaries()] == ["CALL-1"]


# --- through the command line: the cache is never stale -------------------------------------------


def test_listing_sees_hand_edits_made_in_the_same_second(store: Path) -> None:
    add(store, "CALL-2")
    assert set(listing(store)) == {"CALL-1", "CALL-2"}
    path = store / "calls" / "CALL-1.toml"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes().replace(b"2031-03-08", b"2021-03-08"))  # now closed
    assert path.stat().st_size == size
    assert set(listing(store)) == {"CALL-2"}  # the default listing hides closed calls
    assert "2021-03-08" in ok(invoke(store, "calls", "--all", "--at", AT))
    (store / "calls" / "CALL-2.toml").unlink()
    assert listing(store) == {}
    (store / "calls" / "HAND-9.toml").write_text(call_text("HAND-9", "By hand"))
    assert listing(store)["HAND-9"]["title"] == "By hand"


def test_listing_sees_an_edit_that_restored_the_old_mtime(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Trust every file written before the cache was built (a CLI run takes its clock from
    # the system, so the cache's moment cannot be moved later as in the tests above).
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    assert ok(invoke(store, "calls", "--at", AT)).count("\nCALL-1 ") == 1  # builds the cache
    path = store / "calls" / "CALL-1.toml"
    old = path.stat()
    with open(path, "r+b") as handle:
        data = handle.read()
        handle.seek(data.index(b"2031-03-08"))
        handle.write(b"2021")
    restore_mtime(path, old)
    assert path.stat().st_mtime_ns == old.st_mtime_ns and path.stat().st_size == old.st_size
    assert listing(store) == {}
    assert "2021-03-08 17:00" in ok(invoke(store, "calls", "--all", "--at", AT))
