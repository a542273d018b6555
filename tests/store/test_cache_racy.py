"""Racy cache entries (files changed close to the cache's stamp) are checked by content, one by
one, and writers keep the cache warm: a listing right after a change parses no file."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

import clusterctl.store as store_module
from clusterctl.store import Store, forkmap
from clusterctl.store import cache as cache_module
from clusterctl.store.cachedata import SummaryCache
from clusterctl.store.signature import NO_REFERENCE
from tests.store.helpers import make_call, skip_unless_one_clock, spy_on_checks, spy_on_parses

# Every test here both ways a listing takes in a few changed files (tests/store/conftest.py).
pytestmark = pytest.mark.usefixtures("patching")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return spy_on_parses(monkeypatch)


def fresh(s: Store) -> Store:
    return Store(s.root, cache_dir=s.cache_dir)


@pytest.mark.usefixtures("clock_rule_only")
def test_racy_entries_are_checked_by_content_not_parsed(tmp_path: Path, parses: list[str]) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    for n in (1, 2, 3):
        s.add(make_call(f"CALL-{n}", title=f"Title {n}"))
    fresh(s).summaries()
    parses.clear()
    # Every file is within RACY_SECONDS of the cache's stamp: racy, yet none is parsed.
    assert sorted(x.title for x in fresh(s).summaries()) == ["Title 1", "Title 2", "Title 3"]
    assert parses == []
    # A racy file that changed is parsed again, and only that one.
    path = Path(s.call_path("CALL-2"))
    path.write_text(path.read_text().replace("Title 2", "Title X"))
    assert sorted(x.title for x in fresh(s).summaries()) == ["Title 1", "Title 3", "Title X"]
    assert parses == ["CALL-2.toml"]


def test_a_racy_entry_becomes_trusted_once_a_later_run_restamps_the_cache(
    tmp_path: Path, parses: list[str]
) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("CALL-1"))
    fresh(s).summaries()
    parses.clear()
    later = Store(s.root, cache_dir=s.cache_dir, clock=lambda: 2**62)
    later.summaries()  # checked by content, then saved stamped later: no longer racy
    (entry,) = (tmp_path / "cache").glob("summaries-*.pickle")
    cache = cache_module.CacheFile(entry, os.path.realpath(s.root)).load()
    assert cache is not None and cache.digests == {} and cache.built_ns == 2**62
    assert parses == []


def test_bulk_writers_keep_the_cache_warm(tmp_path: Path, parses: list[str]) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("CALL-1", title="One"))
    s.add(make_call("CALL-2", title="Two"))
    fresh(s).summaries()  # a small store: its first listing makes the cache
    count = store_module.BULK_WRITE
    with s.transaction() as txn:  # as import does: many calls in one change
        for n in range(count):
            txn.put(make_call(f"BULK-{n}", title=f"Bulk {n}"))
        txn.put(txn.get("CALL-1").replace(title="Uno"))
        txn.delete("CALL-2")
    parses.clear()
    titles = {x.id: x.title for x in fresh(s).summaries()}
    assert len(titles) == count + 1 and titles["CALL-1"] == "Uno" and "CALL-2" not in titles
    assert parses == []


def test_a_single_write_leaves_the_cache_to_the_next_listing(
    tmp_path: Path, parses: list[str]
) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("CALL-1", title="One"))
    s.add(make_call("CALL-2", title="Two"))
    fresh(s).summaries()
    s.update("CALL-1", lambda c: c.replace(title="Uno"))
    s.remove("CALL-2")
    parses.clear()
    assert {x.id: x.title for x in fresh(s).summaries()} == {"CALL-1": "Uno"}
    assert parses == ["CALL-1.toml"]


def test_a_writer_reads_the_few_files_changed_by_hand_and_leaves_more_to_the_next_reader(
    tmp_path: Path, parses: list[str], patching: str
) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("CALL-1", title="One"))
    text = Path(s.call_path("CALL-1")).read_text()
    Path(s.call_path("HAND-1")).write_text(text.replace("CALL-1", "HAND-1").replace("One", "Hand"))
    fresh(s).summaries()
    Path(s.call_path("HAND-1")).write_text(
        text.replace("CALL-1", "HAND-1").replace("One", "Hand 2")
    )
    parses.clear()
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"BULK-{n}", title=f"Bulk {n}"))
    if patching == "patched":  # one file is within cache.patch_limit: read as a listing would
        assert parses == ["HAND-1.toml"]
    else:  # more than the limit: none is parsed, the next reader reads them
        assert parses == []
    parses.clear()
    titles = {x.id: x.title for x in fresh(s).summaries()}
    assert titles["CALL-1"] == "One" and titles["HAND-1"] == "Hand 2" and len(titles) == 102
    if patching == "patched":  # the writer's files and HAND-1 are all in the cache
        assert parses == []
    else:  # the writer gave up: the next reader parses HAND-1 and every file it wrote
        assert "HAND-1.toml" in parses and len(parses) == 1 + store_module.BULK_WRITE


def test_a_file_changed_after_a_writer_wrote_it_is_seen(tmp_path: Path) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("CALL-1", title="One"))
    path = Path(s.call_path("CALL-1"))
    before = path.stat()
    path.write_text(path.read_text().replace("One", "Two"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert [x.title for x in fresh(s).summaries()] == ["Two"]


def test_an_import_into_an_empty_store_builds_the_cache(tmp_path: Path, parses: list[str]) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    count = store_module.BULK_WRITE
    with s.transaction() as txn:
        for n in range(count):
            txn.put(make_call(f"CALL-{n}", title=f"Title {n}"))
    parses.clear()
    assert len(fresh(s).summaries()) == count
    assert parses == []


def test_a_file_changed_between_a_writers_rename_and_its_cache_update_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone edits a file the import just put in place (same size, old mtime put back), and the
    # import looks at the files long enough after that for the edit not to be racy any more: the
    # writer must notice the file is no longer the one it placed, and not vouch for it.
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")

    def edit() -> None:
        path = Path(s.call_path("CALL-7"))
        before = path.stat()
        path.write_text(path.read_text().replace("Title 7", "Hand 7"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    titles = bulk_write_then_warm_later(s, monkeypatch, edit, warmed=False)
    assert titles["CALL-7"] == "Hand 7" and titles["CALL-8"] == "Title 8"


@pytest.mark.parametrize("route", ["journal", "fill"])
def test_a_writer_that_finds_its_files_as_it_wrote_them_warms_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str], route: str
) -> None:
    # What the tests below compare with: nothing changed, the cache is made, and trusted.
    from clusterctl.store import fill

    if route == "journal":
        monkeypatch.setattr(fill, "FILL_MINIMUM", 10**9)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    titles = bulk_write_then_warm_later(s, monkeypatch, lambda: parses.clear(), warmed=True)
    assert titles["CALL-7"] == "Title 7" and parses == []


def bulk_write_then_warm_later(
    s: Store, monkeypatch: pytest.MonkeyPatch, between: Callable[[], None], warmed: bool
) -> dict[str, str]:
    """Write BULK_WRITE calls CALL-n titled "Title n"; run ``between``; then let the writer warm
    the cache as if long after (nothing it wrote is racy any more), which it does or gives up
    as ``warmed`` says. The titles a fresh listing then gives, by id."""
    held: list[tuple[object, ...]] = []
    record_writes = cache_module.record_writes
    monkeypatch.setattr(cache_module, "record_writes", lambda *args: held.append(args))
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"CALL-{n}", title=f"Title {n}"))
    between()
    (args,) = held
    calls_dir, cache_file, written, deleted, _, listing, unseen = args
    later = time.time_ns() + int(cache_module.RACY_SECONDS * 2e9)
    record_writes(calls_dir, cache_file, written, deleted, lambda: later, listing, unseen)
    assert os.path.exists(cache_file.path) == warmed  # type: ignore[attr-defined]
    return {x.id: x.title for x in fresh(s).summaries()}


@pytest.mark.usefixtures("clock_rule_only")
def test_a_writer_stamps_the_cache_when_it_looks_so_older_files_are_not_racy(
    tmp_path: Path, parses: list[str]
) -> None:
    # The clock rule: racy is what changed within RACY_SECONDS of the moment the files were
    # looked at, not every file of a long import.
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"CALL-{n}", title=f"Title {n}"))
    (entry,) = (tmp_path / "cache").glob("summaries-*.pickle")
    cache_file = cache_module.CacheFile(entry, os.path.realpath(s.root))
    cache = cache_file.load()
    assert cache is not None and len(cache.digests) == store_module.BULK_WRITE  # all just written
    rows = {row.id: row for row in cache.rows(live_only=False)}
    written = {
        name: (rows[name.removesuffix(".toml")], cache.digests[name], array("q", sig).tobytes())
        for name, sig in cache.signatures().items()
    }
    later = time.time_ns() + int(cache_module.RACY_SECONDS * 2e9)
    cache_module.record_writes(s.calls_dir, cache_file, written, set(), lambda: later)
    cache = cache_file.load()
    assert cache is not None and cache.digests == {} and cache.built_ns == later
    parses.clear()
    assert len(fresh(s).summaries()) == store_module.BULK_WRITE
    assert parses == []


@pytest.mark.parametrize("route", ["journal", "fill"])
def test_a_file_changed_right_after_its_rename_is_not_vouched_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    # The edit lands between the rename and the writer's look at the file, so the signature the
    # writer keeps is the edited file's; and the writer looks again long after (not racy). Only
    # reading the bytes back tells the writer the file is not what it wrote. Into an empty
    # calls/ (the fill route) the rename is the fresh directory's, over calls/.
    from clusterctl.store import files as files_module
    from clusterctl.store import fill, journal

    if route == "journal":
        monkeypatch.setattr(fill, "FILL_MINIMUM", 10**9)
    module, name = (files_module.os, "replace") if route == "journal" else (journal.os, "rename")
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    real = getattr(os, name)

    def rename_then_edit(src: str, dst: str) -> None:
        real(src, dst)
        edited = Path(dst) / "CALL-7.toml" if route == "fill" else Path(dst)
        if edited.name == "CALL-7.toml":
            edited.write_text(edited.read_text().replace("Title 7", "Hand 7"))  # same size

    monkeypatch.setattr(module, name, rename_then_edit)
    titles = bulk_write_then_warm_later(
        s, monkeypatch, lambda: monkeypatch.setattr(module, name, real), warmed=False
    )
    assert titles["CALL-7"] == "Hand 7" and titles["CALL-8"] == "Title 8"


@pytest.mark.usefixtures("clock_rule_only")
def test_racy_entries_checked_on_every_core_still_catch_an_edit_that_kept_the_signature(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Right after a bulk write most entries are racy, and a listing checks them in forked
    # workers: an edit within one tick of a coarse clock (the same signature) is still found.
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"CALL-{n:03d}", title=f"Title {n:03d}"))
    parses.clear()
    assert len(fresh(s).summaries()) == store_module.BULK_WRITE
    assert parses == []  # every racy entry vouched for by its bytes, none parsed
    path = Path(s.call_path("CALL-042"))
    before = os.stat(path)
    path.write_text(path.read_text().replace("Title 042", "Title 24X"))  # the same size
    real_stat = os.stat

    def same_stat(name, *args, **kwargs):  # the workers are forked: they see this one too
        return before if str(name).endswith("CALL-042.toml") else real_stat(name, *args, **kwargs)

    monkeypatch.setattr(os, "stat", same_stat)
    titles = {x.id: x.title for x in fresh(s).summaries()}
    assert titles["CALL-042"] == "Title 24X" and parses == ["CALL-042.toml"]


def _cache_of(s: Store) -> SummaryCache:
    cache = cache_module.CacheFile.of(os.path.realpath(s.root), s.cache_dir).load()
    assert cache is not None
    return cache


def _ctimes(s: Store) -> dict[str, int]:
    return {path.name: path.stat().st_ctime_ns for path in Path(s.calls_dir).glob("*.toml")}


@pytest.mark.parametrize("route", ["journal", "fill"])
def test_right_after_a_bulk_write_only_the_files_of_its_last_tick_are_racy(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    # The file system's rule (signature.Trust): an edit after the writer looked gets a ctime at
    # least as new as the newest it saw, so a file with an older ctime is trusted at once. The
    # file system's clock is made to tick halfway (an event, waited for, not a sleep): after a
    # file's rename into place, or its creation in the fresh directory of the fill route.
    from clusterctl.store import files as files_module
    from clusterctl.store import fill

    skip_unless_one_clock(tmp_path)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    real_replace, real_creator = os.replace, fill.creator
    probe = tmp_path / "probe"
    probe.touch()

    def tick_after(path: str) -> None:
        if str(path).endswith("CALL-049.toml"):
            written = os.stat(path).st_ctime_ns
            while probe.stat().st_ctime_ns <= written:
                os.utime(probe)  # stamps its ctime with the file system's clock

    if route == "journal":
        monkeypatch.setattr(fill, "FILL_MINIMUM", 10**9)

        def replace_then_tick(src: str, dst: str) -> None:
            real_replace(src, dst)
            tick_after(dst)

        monkeypatch.setattr(files_module.os, "replace", replace_then_tick)
    else:

        def creator(staging: str, signatures: array[int] | None) -> Callable[[str, bytes], None]:
            create = real_creator(staging, signatures)

            def create_then_tick(path: str, data: bytes) -> None:
                create(path, data)
                tick_after(os.path.join(staging, os.path.basename(path)))

            return create_then_tick

        monkeypatch.setattr(fill, "creator", creator)
    read_back = spy_on_checks(monkeypatch)
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"CALL-{n:03d}", title=f"Title {n:03d}"))
    monkeypatch.setattr(files_module.os, "replace", real_replace)
    monkeypatch.setattr(fill, "creator", real_creator)
    ctimes = _ctimes(s)
    newest = max(ctimes.values())
    last_tick = {name for name, ctime in ctimes.items() if ctime == newest}
    # The writer reads back what it wrote. Files it signed before they were in calls/ (the fill
    # route) an edit there could only have left unchanged within the newest tick.
    assert sorted(read_back) == sorted(ctimes if route == "journal" else last_tick)
    cache = _cache_of(s)
    assert cache.fs_ns == newest and set(cache.digests) == last_tick
    assert not last_tick & {f"CALL-{n:03d}.toml" for n in range(50)}  # before the tick
    checked = spy_on_checks(monkeypatch)
    parses.clear()
    assert len(fresh(s).summaries()) == store_module.BULK_WRITE
    assert parses == [] and sorted(checked) == sorted(last_tick)


def test_an_edit_in_the_last_tick_that_kept_the_signature_is_still_seen(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"CALL-{n:03d}", title=f"Title {n:03d}"))
    ctimes = _ctimes(s)
    name = max(ctimes, key=lambda name: ctimes[name])  # a file of the newest tick
    path = Path(s.calls_dir, name)
    before = os.stat(path)
    path.write_text(path.read_text().replace("Title ", "Title!"))  # the same size
    real_stat = os.stat

    def same_stat(file, *args, **kwargs):  # an edit within the tick: the same signature
        return before if str(file).endswith(name) else real_stat(file, *args, **kwargs)

    monkeypatch.setattr(os, "stat", same_stat)
    parses.clear()
    titles = {x.id: x.title for x in fresh(s).summaries()}
    assert titles[name.removesuffix(".toml")].startswith("Title!") and parses == [name]


def test_a_call_file_on_another_file_system_leaves_the_clock_rule_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its ctime comes from another clock: the newest ctime of calls/ vouches for nothing.
    elsewhere = Path("/dev/shm")
    if not elsewhere.is_dir() or elsewhere.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the tests' temporary files")
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("LINKED", title="Linked"))
    target = Path(tempfile.mkdtemp(dir=elsewhere)) / "LINKED.toml"
    try:
        shutil.move(s.call_path("LINKED"), target)
        Path(s.call_path("LINKED")).symlink_to(target)
        fresh(s).summaries()  # a cache for the writer to keep warm
        with s.transaction() as txn:
            for n in range(store_module.BULK_WRITE):
                txn.put(make_call(f"CALL-{n:03d}", title=f"Title {n:03d}"))
        cache = _cache_of(s)
        assert cache.fs_ns == NO_REFERENCE
        assert len(cache.digests) >= store_module.BULK_WRITE  # all just written: racy
        checked = spy_on_checks(monkeypatch)
        titles = {x.id: x.title for x in fresh(s).summaries()}
        assert titles["LINKED"] == "Linked" and len(checked) >= store_module.BULK_WRITE
    finally:
        shutil.rmtree(target.parent)


def test_a_ctime_from_the_future_vouches_for_nothing(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One file stamped while the clock was an hour ahead (set back since): the newest ctime
    # is then no moment of the past, and an edit of another file in its own tick, after it
    # was read, must still be seen.
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("AHEAD", title="Ahead"))
    s.add(make_call("X", title="Title 1"))
    future = time.time_ns() + 3600 * 10**9
    real_stat = os.stat
    kept: dict[str, os.stat_result] = {}

    def stat(file, *args, **kwargs):  # the forked workers see it too
        st = real_stat(file, *args, **kwargs)
        name = str(file)
        if name.endswith("AHEAD.toml"):
            fields = list(st)
            fields[9] = future // 10**9  # st_ctime
            return os.stat_result(fields, {"st_ctime_ns": future, "st_mtime_ns": st.st_mtime_ns})
        return kept.get("X", st) if name.endswith("X.toml") else st

    monkeypatch.setattr(os, "stat", stat)
    assert {x.id: x.title for x in fresh(s).summaries()}["X"] == "Title 1"
    path = Path(s.call_path("X"))
    kept["X"] = real_stat(path)  # the edit keeps X's signature, as within its tick
    path.write_text(path.read_text().replace("Title 1", "Title 2"))
    assert {x.id: x.title for x in fresh(s).summaries()}["X"] == "Title 2"


def test_a_first_import_reads_back_all_it_wrote_where_the_clocks_may_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where signature.reference cannot vouch for the file system's clock, the newest tick of
    # the files tells nothing about an edit's: every file is read back.
    from clusterctl.store import fill

    monkeypatch.setattr(cache_module, "reference", lambda calls_dir, newest: NO_REFERENCE)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    prepared: list[str | None] = []
    real_prepare = fill.prepare
    monkeypatch.setattr(
        fill, "prepare", lambda *a: prepared.append(real_prepare(*a)) or prepared[-1]
    )
    read_back = spy_on_checks(monkeypatch)
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"CALL-{n:03d}"))
    assert prepared[0] is not None  # the fill route
    assert sorted(read_back) == sorted(_ctimes(s))


def test_a_first_import_reads_back_a_file_of_its_newest_tick_whose_edit_kept_the_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fill route signs each file before it is in calls/. CALL-99, made last, is of the
    # newest tick: an edit right after the directory's rename, within that tick and of the
    # same size, keeps its signature (stat is made to say so), and the writer looks long after
    # (not racy). Only reading it back shows the writer the file is not what it wrote.
    from clusterctl.store import journal

    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    real_rename, real_stat = os.rename, os.stat
    kept: dict[str, os.stat_result] = {}

    def rename_then_edit(src: str, dst: str) -> None:
        real_rename(src, dst)
        path = Path(dst) / "CALL-99.toml"
        if path.exists():
            kept[path.name] = real_stat(path)
            path.write_text(path.read_text().replace("Title 99", "Hand  99"))  # same size

    def stat(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        return kept.get(os.path.basename(str(file))) or real_stat(file, *args, **kwargs)

    monkeypatch.setattr(journal.os, "rename", rename_then_edit)
    monkeypatch.setattr(os, "stat", stat)
    titles = bulk_write_then_warm_later(s, monkeypatch, lambda: None, warmed=False)
    assert kept  # the fill route renamed the directory
    assert titles["CALL-99"] == "Hand  99" and titles["CALL-98"] == "Title 98"
