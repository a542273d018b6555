"""A listing reads the few files changed since the summary cache was saved on top of it, and
leaves the cache as it is: the first listing after a single ``extend`` or ``add`` at 100,000
calls no longer re-pickles the live half. More changes than ``cache.patch_limit`` rebuild it."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clusterctl.model import Stage
from clusterctl.store import Store, Unreadable, cachedata, tomlfile
from clusterctl.store import cache as cache_module
from clusterctl.store.idindex import IdIndex, signature
from tests.store.helpers import make_call, spy_on_checks, spy_on_parses


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return spy_on_parses(monkeypatch)


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Twenty calls, every file older than the cache (no racy entries), the cache saved."""
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    # One per thousand calls; a limit of 16 lets twenty calls stand for 16,000.
    monkeypatch.setattr(cache_module, "patch_limit", lambda files: 16)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n in range(20):
            txn.put(make_call(f"CALL-{n:02d}", title=f"Title {n}"))
    fresh(s).summaries()
    return s


def fresh(s: Store) -> Store:
    return Store(s.root, cache_dir=s.cache_dir)


def cache_bytes(s: Store) -> bytes:
    (path,) = Path(s.cache_dir).glob("summaries-*.pickle")
    return path.read_bytes()


def titles(s: Store, unreadable: list[Unreadable] | None = None) -> dict[str, str]:
    return {x.id: x.title for x in fresh(s).summaries(unreadable=unreadable)}


def test_single_writes_are_read_on_top_of_the_cache_which_is_left_alone(
    saved: Store, parses: list[str]
) -> None:
    before = cache_bytes(saved)
    saved.update("CALL-03", lambda c: c.replace(title="Changed"))
    saved.add(make_call("NEW-1", title="New"))
    saved.remove("CALL-07")
    parses.clear()
    for _ in range(2):  # every listing reads them until the cache is saved again
        seen = titles(saved)
        assert seen["CALL-03"] == "Changed" and seen["NEW-1"] == "New" and "CALL-07" not in seen
        assert len(seen) == 20
    assert sorted(parses) == ["CALL-03.toml", "CALL-03.toml", "NEW-1.toml", "NEW-1.toml"]
    assert cache_bytes(saved) == before


def test_more_changes_than_the_limit_rebuild_and_save_the_cache(
    saved: Store, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "patch_limit", lambda files: 2)
    before = cache_bytes(saved)
    for n in (1, 2, 3):
        saved.update(f"CALL-0{n}", lambda c: c.replace(title="Changed"))
    parses.clear()
    assert [t for t in titles(saved).values() if t == "Changed"] == ["Changed"] * 3
    assert sorted(parses) == ["CALL-01.toml", "CALL-02.toml", "CALL-03.toml"]
    assert cache_bytes(saved) != before
    parses.clear()
    titles(saved)
    assert parses == []  # the rebuilt cache holds them


def test_a_file_broken_and_mended_by_hand_is_reported_then_read(saved: Store) -> None:
    path = Path(saved.call_path("CALL-05"))
    good = path.read_text()
    path.write_text("id = 'CALL-05'\ntitle = \n")
    unreadable: list[Unreadable] = []
    seen = titles(saved, unreadable)
    assert "CALL-05" not in seen and len(seen) == 19
    assert [os.path.basename(u.path) for u in unreadable] == ["CALL-05.toml"]
    path.write_text(good.replace("Title 5", "Mended"))
    unreadable.clear()
    assert titles(saved, unreadable)["CALL-05"] == "Mended" and unreadable == []


def test_a_file_removed_by_hand_is_not_read(saved: Store, parses: list[str]) -> None:
    Path(saved.call_path("CALL-11")).unlink()
    parses.clear()
    assert "CALL-11" not in titles(saved) and parses == []


def test_a_writer_takes_in_what_listings_read_on_top_of_the_cache(
    saved: Store, parses: list[str]
) -> None:
    saved.update("CALL-03", lambda c: c.replace(title="Changed"))
    titles(saved)  # read on top of the cache, which still holds the old CALL-03
    with saved.transaction() as txn:  # a bulk write updates the cache, CALL-03 read again
        for n in range(100):
            txn.put(make_call(f"BULK-{n:03d}", title=f"Bulk {n}"))
    parses.clear()
    seen = titles(saved)
    assert seen["CALL-03"] == "Changed" and len(seen) == 120 and parses == []


def test_a_saved_broken_file_mended_by_hand_is_read_on_top(saved: Store) -> None:
    path = Path(saved.call_path("CALL-05"))
    good = path.read_text()
    path.write_text("id = 'CALL-05'\ntitle = \n")
    with saved.transaction() as txn:  # more changes than the limit: the cache is rebuilt
        for n in range(20):
            txn.put(make_call(f"MORE-{n:02d}", title=f"More {n}"))
    unreadable: list[Unreadable] = []
    titles(saved, unreadable)  # saved with CALL-05 unreadable
    assert [os.path.basename(u.path) for u in unreadable] == ["CALL-05.toml"]
    path.write_text(good.replace("Title 5", "Mended"))
    unreadable.clear()
    assert titles(saved, unreadable)["CALL-05"] == "Mended" and unreadable == []


def test_a_live_only_listing_gets_a_closed_call_reopened_on_top_of_the_cache(
    saved: Store,
) -> None:
    closed = (Stage("", datetime(2001, 1, 1, 17, tzinfo=UTC)),)
    saved.add(make_call("OLD-1", title="Old", stages=closed))
    for path in Path(saved.cache_dir).glob("summaries-*"):
        path.unlink()
    fresh(saved).summaries()  # built whole: OLD-1 in the closed half, which open listings skip
    now = time.time()
    assert "OLD-1" not in {x.id for x in fresh(saved).summaries(open_at=now)}
    reopened = (Stage("", datetime(2099, 1, 1, 17, tzinfo=UTC)),)
    saved.update("OLD-1", lambda c: c.replace(title="Reopened", stages=reopened))
    live = {x.id: x for x in fresh(saved).summaries(open_at=now)}
    assert live["OLD-1"].title == "Reopened" and live["OLD-1"].status(now).value == "open"


@pytest.mark.usefixtures("clock_rule_only")
def test_many_racy_entries_are_checked_once_not_by_every_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clock rule's racy window: a bulk writer stamps the cache right after writing, so every
    # file it wrote is racy, kept with its digest. One edit after it must not leave them all to be
    # checked by content by every listing (at 100,000 calls, 1 s each time).
    monkeypatch.setattr(cache_module, "patch_limit", lambda files: 16)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n in range(100):
            txn.put(make_call(f"CALL-{n:03d}", title=f"Title {n}"))
    s.update("CALL-007", lambda c: c.replace(title="Changed"))
    checked = spy_on_checks(monkeypatch)
    later = Store(s.root, cache_dir=s.cache_dir, clock=lambda: time.time_ns() + 10 * 10**9)
    assert {x.id: x.title for x in later.summaries()}["CALL-007"] == "Changed"
    assert len(checked) == 99  # once, by the rebuild that then saves them as trusted
    checked.clear()
    later = Store(s.root, cache_dir=s.cache_dir, clock=lambda: time.time_ns() + 10 * 10**9)
    assert len(later.summaries()) == 100 and checked == []


def test_the_limit_is_one_changed_file_per_thousand_calls() -> None:
    assert [cache_module.patch_limit(n) for n in (999, 1000, 10_000, 100_000)] == [0, 1, 10, 100]


def test_a_file_removed_since_the_cache_was_saved_leaves_the_next_cache(saved: Store) -> None:
    Path(saved.call_path("CALL-11")).unlink()
    titles(saved)  # read on top: CALL-11 is gone, the cache still names it
    for n in [n for n in range(17) if n != 11]:  # more changed than the limit: rebuilt
        saved.update(f"CALL-{n:02d}", lambda c: c.replace(title="Changed"))
    assert len(titles(saved)) == 19
    root = os.path.realpath(saved.root)
    cache = cache_module.CacheFile.of(root, saved.cache_dir).load()
    assert cache is not None and len(cache.names) == 19 and "CALL-11.toml" not in cache.names


@pytest.mark.usefixtures("clock_rule_only")
def test_a_cache_stamped_earlier_than_the_last_keeps_digests_of_entries_racy_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clock set back between two runs: the second cache's stamp is earlier than the first's,
    # so files the first trusted by signature are racy again in the second, and must be kept
    # with a digest there, or a listing reading on top of it would trust a same-tick edit.
    limit = [16]
    monkeypatch.setattr(cache_module, "patch_limit", lambda files: limit[0])
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n in range(40):
            txn.put(make_call(f"CALL-{n:02d}", title=f"Title {n}"))
    ahead = Store(s.root, cache_dir=s.cache_dir, clock=lambda: time.time_ns() + 10 * 10**9)
    ahead.summaries()  # stamped 10 s ahead: every file trusted by its signature
    for n in range(17):  # more changes than the limit: the next listing rebuilds, stamped now
        s.update(f"CALL-{n:02d}", lambda c: c.replace(title="Changed"))
    titles(s)
    limit[0] = 40  # room for the 17 racy entries the rebuild kept digests of
    s.update("CALL-20", lambda c: c.replace(title="Changed"))  # one change: read on top
    path = Path(s.call_path("CALL-39"))
    before = os.stat(path)
    path.write_text(path.read_text().replace("Title 39", "Title 93"))  # the same size
    real_stat = os.stat

    def same_stat(name, *args, **kwargs):  # an edit within one tick of a coarse clock
        return before if str(name).endswith("CALL-39.toml") else real_stat(name, *args, **kwargs)

    monkeypatch.setattr(os, "stat", same_stat)
    assert titles(s)["CALL-39"] == "Title 93"


def cached_names(s: Store) -> list[str]:
    cache = cache_module.CacheFile.of(os.path.realpath(s.root), s.cache_dir).load()
    assert cache is not None
    return cache.names


def test_scan_gives_the_order_it_aligned_the_names_to(saved: Store) -> None:
    calls_dir = saved.calls_dir
    file = cache_module.CacheFile.of(os.path.realpath(saved.root), saved.cache_dir)
    cached = cached_names(saved)
    listed = sorted(cached, reverse=True)
    assert listed != cached

    def aligned(names: list[str]) -> list[str] | None:
        return cache_module.scan(calls_dir, names, file, None)[2]

    assert aligned(list(cached)) is None  # already in the cache's order
    assert aligned(listed) == cached  # the same files in another order
    Path(calls_dir, "CALL-NEW.toml").write_bytes(tomlfile.call_bytes(make_call("CALL-NEW")))
    assert aligned([*cached, "CALL-NEW.toml"]) is None  # new ones last: as the cache holds them
    assert aligned(["CALL-NEW.toml", *listed]) == [*cached, "CALL-NEW.toml"]
    os.remove(Path(calls_dir, cached[3]))  # removed by hand: not among the files there
    listed.remove(cached[3])
    expected = [n for n in cached if n != cached[3]]
    assert aligned(["CALL-NEW.toml", *listed]) == [*expected, "CALL-NEW.toml"]


def test_a_listing_leaves_the_names_in_the_cache_s_order_for_the_next(saved: Store) -> None:
    # A writer moves each name it wrote to the end of the cache's names; a listing of calls/
    # gives them in the directory's order, and a file made by hand is not in the cache at all.
    # The listing that aligned the two leaves the names in the cache's order, new ones last, so
    # the next one finds them aligned; and that one leaves the index as it is.
    saved.update("CALL-03", lambda c: c.replace(title="Moved"))
    new = Path(saved.calls_dir, "CALL-NEW.toml")
    new.write_bytes(tomlfile.call_bytes(make_call("CALL-NEW", title="By hand")))
    assert titles(saved)["CALL-NEW"] == "By hand"
    index = IdIndex.of(os.path.realpath(saved.root), saved.cache_dir)
    names = index.name_list(signature(saved.calls_dir))
    assert names is not None and sorted(names) == sorted(os.listdir(saved.calls_dir))
    cached = cached_names(saved)
    assert names[-1] == "CALL-NEW.toml" and cache_module._aligned(cached, names) is names
    written = os.stat(index.path)
    assert titles(saved)["CALL-03"] == "Moved"
    assert os.stat(index.path).st_mtime_ns == written.st_mtime_ns


def test_a_listing_after_a_removal_leaves_the_index_alone(saved: Store) -> None:
    # The removed file's name stays in the cache's names until the cache is rebuilt: a listing
    # records the names there once, and the next ones leave the index as it is.
    saved.remove("CALL-05")
    os.remove(Path(saved.calls_dir, "CALL-07.toml"))
    assert "CALL-05" not in titles(saved) and "CALL-07" not in titles(saved)
    index = IdIndex.of(os.path.realpath(saved.root), saved.cache_dir)
    assert sorted(index.name_list(signature(saved.calls_dir)) or []) == sorted(
        os.listdir(saved.calls_dir)
    )
    written = os.stat(index.path)
    for _ in range(2):
        assert len(titles(saved)) == 18
    assert os.stat(index.path).st_mtime_ns == written.st_mtime_ns


def _touched(s: Store, names: list[str]) -> None:
    """Give ``names`` new signatures (a checkout or a copy back rewrote them unchanged)."""
    later = time.time_ns() + 10**9
    for name in names:
        os.utime(Path(s.calls_dir) / name, ns=(later, later))


@pytest.mark.parametrize("whole", [False, True], ids=["live half rebuilt", "whole cache rebuilt"])
def test_when_every_file_changed_the_old_rows_are_not_kept_beside_those_read_again(
    saved: Store, monkeypatch: pytest.MonkeyPatch, parses: list[str], whole: bool
) -> None:
    # Kept beside the rows read again, the old ones took a 100,000-call listing to 298 MB. A
    # listing unpickles them while it looks at the files (RowsAhead), before it knows whether
    # it can use them: it lets go of them before it reads any file, and the rebuild loads none
    # of its own but the closed half it carries over.
    if whole:  # as when many closed calls changed
        monkeypatch.setattr(cache_module, "MAX_DROPPED", -1)
    old: list = []
    aheads: list[cachedata.RowsAhead] = []
    loaded_by_the_rebuild: list[str] = []  # which half of the old cache, not by RowsAhead
    held_while_read: list[bool] = []
    in_ahead = [False]
    real_load, real_rows = cache_module.CacheFile.load, cachedata.load_rows
    real_ahead, real_parse = cachedata.RowsAhead.__call__, tomlfile.parse_call

    def load(self: cache_module.CacheFile):
        old.append(real_load(self))
        return old[-1]

    def rows(blob: bytes, names: list[str]) -> list:
        for c in filter(None, old):
            if (names is c.live_names or names is c.closed_names) and not in_ahead[0]:
                loaded_by_the_rebuild.append("live" if names is c.live_names else "closed")
        return real_rows(blob, names)

    def ahead(self: cachedata.RowsAhead) -> None:
        aheads.append(self)
        in_ahead[0] = True
        try:
            real_ahead(self)
        finally:
            in_ahead[0] = False

    def parse(raw: bytes, path: str) -> object:
        held_while_read.append(any(a.loaded is not None for a in aheads))
        return real_parse(raw, path)

    monkeypatch.setattr(cache_module.CacheFile, "load", load)
    monkeypatch.setattr(cachedata, "load_rows", rows)
    monkeypatch.setattr(cachedata.RowsAhead, "__call__", ahead)
    monkeypatch.setattr(tomlfile, "parse_call", parse)
    _touched(saved, sorted(os.listdir(saved.calls_dir)))
    assert titles(saved) == {f"CALL-{n:02d}": f"Title {n}" for n in range(20)}
    assert len(parses) == 20 and old and aheads  # every file read again
    assert held_while_read == [False] * 20
    # Rebuilding the live half carries the closed half over, which an --all listing reads.
    assert loaded_by_the_rebuild == ([] if whole else ["closed"])
    parses.clear()
    assert titles(saved) == {f"CALL-{n:02d}": f"Title {n}" for n in range(20)}
    assert parses == []  # the rebuilt cache serves the next listing


def test_when_most_files_changed_the_others_come_from_the_old_rows(
    saved: Store, parses: list[str]
) -> None:
    _touched(saved, [f"CALL-{n:02d}.toml" for n in range(18)])  # more than patch_limit
    path = Path(saved.calls_dir) / "CALL-19.toml"
    assert titles(saved) == {f"CALL-{n:02d}": f"Title {n}" for n in range(20)}
    assert sorted(parses) == [f"CALL-{n:02d}.toml" for n in range(18)]  # not 18 and 19
    assert path.exists()
