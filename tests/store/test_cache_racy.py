"""Racy cache entries (files changed close to the cache's stamp) are checked by content, one by
one, and writers keep the cache warm: a listing right after a change parses no file."""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

import clusterctl.store as store_module
from clusterctl.store import Store, forkmap
from clusterctl.store import cache as cache_module
from tests.store.helpers import make_call, spy_on_parses

# Every test here both ways a listing takes in a few changed files (tests/store/conftest.py).
pytestmark = pytest.mark.usefixtures("patching")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return spy_on_parses(monkeypatch)


def fresh(s: Store) -> Store:
    return Store(s.root, cache_dir=s.cache_dir)


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

    titles = bulk_write_then_warm_later(s, monkeypatch, edit)
    assert titles["CALL-7"] == "Hand 7" and titles["CALL-8"] == "Title 8"


def bulk_write_then_warm_later(
    s: Store, monkeypatch: pytest.MonkeyPatch, between: Callable[[], None]
) -> dict[str, str]:
    """Write BULK_WRITE calls CALL-n titled "Title n"; run ``between``; then let the writer warm
    the cache as if long after (nothing it wrote is racy any more). The titles a fresh listing
    then gives, by id."""
    held: list[tuple[object, ...]] = []
    monkeypatch.setattr(cache_module, "record_writes", lambda *args: held.append(args))
    with s.transaction() as txn:
        for n in range(store_module.BULK_WRITE):
            txn.put(make_call(f"CALL-{n}", title=f"Title {n}"))
    between()
    (args,) = held
    calls_dir, cache_file, written, deleted, _, listing = args
    later = time.time_ns() + int(cache_module.RACY_SECONDS * 2e9)
    cache_module.record_writes(calls_dir, cache_file, written, deleted, lambda: later, listing)
    return {x.id: x.title for x in fresh(s).summaries()}


def test_a_writer_stamps_the_cache_when_it_looks_so_older_files_are_not_racy(
    tmp_path: Path, parses: list[str]
) -> None:
    # git's rule: racy is what changed within RACY_SECONDS of the moment the files were looked
    # at, not every file of a long import.
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


def test_a_file_changed_right_after_its_rename_is_not_vouched_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The edit lands between the rename and the writer's look at the file, so the signature the
    # writer keeps is the edited file's; and the writer looks again long after (not racy). Only
    # reading the bytes back tells the writer the file is not what it wrote.
    from clusterctl.store import files as files_module

    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    real_replace = os.replace

    def replace_then_edit(src: str, dst: str) -> None:
        real_replace(src, dst)
        if str(dst).endswith("CALL-7.toml"):
            path = Path(dst)
            path.write_text(path.read_text().replace("Title 7", "Hand 7"))  # same size

    monkeypatch.setattr(files_module.os, "replace", replace_then_edit)
    titles = bulk_write_then_warm_later(
        s, monkeypatch, lambda: monkeypatch.setattr(files_module.os, "replace", real_replace)
    )
    assert titles["CALL-7"] == "Hand 7" and titles["CALL-8"] == "Title 8"


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
