"""Lenient reads: the good calls plus a record of each file that could not be read.

``Store.summaries`` and ``Store.get_many`` given an ``unreadable`` list never raise for one call
file: they collect an ``Unreadable`` (path, reason) instead and go on. A file that vanishes
between the listing and the read (a concurrent remove, a git pull) is left out, and one that
changes meanwhile is read as it is now, never cached as it was. Without the list they stay
strict. Races are injected here at the exact point between two steps of a read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from clusterctl.errors import NotFoundError
from clusterctl.model import CallSummary
from clusterctl.store import Store, TomlFileError, Unreadable, reread
from clusterctl.store import cache as cache_module
from clusterctl.store.layout import Layout
from tests.store.helpers import make_call

TYPO = b'id = "BAD-1"\ntitle = \n'
TYPO_REASON = "invalid TOML: Invalid value (at line 2, column 9)"
FAR = 2e9  # a moment after every deadline here: "live" listings then see every call


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    # Trust every file written before the cache at once: the racy window is test_cache.py's.
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    for call_id in ("CALL-1", "CALL-2", "CALL-3"):
        s.add(make_call(call_id, title=f"Title of {call_id}"))
    return s


def fresh(s: Store) -> Store:
    """A new Store on the same files and cache: the next command run."""
    return Store(s.root, cache_dir=s.cache_dir)


def ids(summaries: list[CallSummary]) -> list[str]:
    return sorted(x.id for x in summaries)


def lenient(s: Store, **options: float) -> tuple[list[str], list[Unreadable]]:
    found: list[Unreadable] = []
    return ids(s.summaries(unreadable=found, **options)), found


def before_reading(
    monkeypatch: pytest.MonkeyPatch, name: str, act: Callable[[str], None]
) -> list[str]:
    """Run ``act(path)`` just before the cache reads the file ``name``; return the names read.

    Paths are strings, as the store's are."""
    real = reread.read_toml_file
    read: list[str] = []

    def racing(path: str, display: str) -> tuple[bytes, os.stat_result]:
        read.append(os.path.basename(path))
        if os.path.basename(path) == name:
            act(path)
        return real(path, display)

    monkeypatch.setattr(reread, "read_toml_file", racing)
    return read


# --- a file that cannot be read ------------------------------------------------------------------


def test_a_lenient_read_returns_the_good_calls_and_names_the_bad_file(store: Store) -> None:
    bad = os.path.join(store.calls_dir, "BAD-1.toml")
    Path(bad).write_bytes(TYPO)
    assert lenient(fresh(store)) == (["CALL-1", "CALL-2", "CALL-3"], [Unreadable(bad, TYPO_REASON)])
    assert str(Unreadable(bad, TYPO_REASON)) == f"{bad}: {TYPO_REASON}"


def test_a_strict_read_still_refuses_the_bad_file(store: Store) -> None:
    bad = os.path.join(store.calls_dir, "BAD-1.toml")
    Path(bad).write_bytes(TYPO)
    for _ in range(2):  # from the files, then from the cache that records the bad file
        with pytest.raises(TomlFileError) as caught:
            fresh(store).summaries()
        assert str(caught.value) == f"{bad}: {TYPO_REASON}"
        assert caught.value.reason == TYPO_REASON


def test_an_unchanged_bad_file_is_remembered_not_read_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = os.path.join(store.calls_dir, "BAD-1.toml")
    Path(bad).write_bytes(TYPO)
    lenient(fresh(store))  # builds the cache
    read = before_reading(monkeypatch, "", lambda path: None)
    for options in ({}, {"open_at": FAR}):
        assert lenient(fresh(store), **options) == (
            ["CALL-1", "CALL-2", "CALL-3"],
            [Unreadable(bad, TYPO_REASON)],
        )
    assert read == []


def test_each_bad_file_is_handed_over_once_per_run(store: Store) -> None:
    Path(store.calls_dir, "BAD-1.toml").write_bytes(TYPO)
    s = fresh(store)
    found: list[Unreadable] = []
    s.summaries(open_at=FAR, unreadable=found)
    s.summaries(unreadable=found)
    s.get_many(["CALL-1", "BAD-1"], unreadable=found)
    assert [os.path.basename(u.path) for u in found] == ["BAD-1.toml"]


@pytest.mark.parametrize("half", ["live", "closed"])
def test_a_cached_call_that_breaks_is_reported_not_served_from_the_cache(
    store: Store, half: str
) -> None:
    if half == "closed":  # a call closed for good when the cache was built
        from datetime import datetime

        from clusterctl.model import Stage
        from tests.store.helpers import BRU

        old = Stage("", datetime(2001, 3, 8, 17, tzinfo=BRU))
        store.add(make_call("CALL-2", title="Title of CALL-2", stages=(old,)), replace=True)
    assert lenient(fresh(store))[1] == []  # the cache now holds CALL-2
    path = Path(store.call_path("CALL-2"))
    path.write_bytes(path.read_bytes().replace(b'title = "Title of CALL-2"', b"title = "))
    reason = "invalid TOML: Invalid value (at line 2, column 9)"
    for _ in range(2):  # the rebuilt cache, then the saved one
        assert lenient(fresh(store)) == (["CALL-1", "CALL-3"], [Unreadable(str(path), reason)])
    path.write_bytes(path.read_bytes().replace(b"title = \n", b'title = "Mended"\n'))
    assert lenient(fresh(store)) == (["CALL-1", "CALL-2", "CALL-3"], [])


def test_a_link_to_nothing_is_reported_not_skipped(store: Store) -> None:
    link = Path(store.calls_dir, "LINK-1.toml")
    link.symlink_to(Path(store.calls_dir, "missing.toml"))
    reason = "a symbolic link to a file that does not exist"
    found = [Unreadable(str(link), reason)]
    assert lenient(fresh(store)) == (["CALL-1", "CALL-2", "CALL-3"], found)


# --- files that vanish or change while a read runs -----------------------------------------------


def test_a_file_removed_between_listing_and_reading_is_left_out(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_reading(monkeypatch, "CALL-2.toml", os.unlink)
    assert lenient(fresh(store)) == (["CALL-1", "CALL-3"], [])
    monkeypatch.undo()
    assert lenient(fresh(store)) == (["CALL-1", "CALL-3"], [])  # and the saved cache agrees
    store.add(make_call("CALL-2", title="Back again"))  # the same name, a new file
    assert {s.id: s.title for s in fresh(store).summaries()}["CALL-2"] == "Back again"


def test_a_strict_read_also_leaves_out_a_file_removed_while_it_ran(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_reading(monkeypatch, "CALL-2.toml", os.unlink)
    assert ids(fresh(store).summaries()) == ["CALL-1", "CALL-3"]


def test_a_file_replaced_while_it_is_read_is_read_as_it_is_now(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def git_pull(path: Path) -> None:
        (path.parent / "pulled.tmp").write_bytes(
            path.read_bytes().replace(b"Title of CALL-2", b"Pulled title")
        )
        os.replace(path.parent / "pulled.tmp", path)

    # The cache read the old signature, then the file changed before its content was read.
    looked_at = cache_module.looked_at
    monkeypatch.setattr(
        cache_module,
        "looked_at",
        lambda calls_dir, names, *rest, **kw: (
            looked_at(calls_dir, names, *rest, **kw),
            git_pull(Path(calls_dir, "CALL-2.toml")),
        )[0],
    )
    titles = {s.id: s.title for s in fresh(store).summaries()}
    assert titles["CALL-2"] == "Pulled title"
    monkeypatch.undo()
    titles = {s.id: s.title for s in fresh(store).summaries()}  # never the old title again
    assert titles["CALL-2"] == "Pulled title"


@pytest.mark.parametrize("cache", ["none", "saved"])
def test_a_summary_made_of_a_file_other_than_the_one_looked_at_is_never_trusted(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str
) -> None:
    # A call file that is a link whose target is missing when looked at (its signature is the
    # link's) and back when read: the summary must not be kept under the link's signature,
    # which holds again whenever the target is missing.
    assert lenient(fresh(store)) == (["CALL-1", "CALL-2", "CALL-3"], [])
    if cache == "none":  # every file read, into the cache built then
        shutil.rmtree(store.cache_dir)
    path = Path(store.call_path("CALL-2"))
    target = tmp_path / "CALL-2-target.toml"
    path.rename(target)
    path.symlink_to(target)
    real = cache_module.looked_at

    def racing(calls_dir: str, names: list[str], *rest, **kw):
        target.rename(tmp_path / "away")
        try:
            return real(calls_dir, names, *rest, **kw)
        finally:
            (tmp_path / "away").rename(target)

    monkeypatch.setattr(cache_module, "looked_at", racing)
    assert lenient(fresh(store)) == (["CALL-1", "CALL-2", "CALL-3"], [])
    monkeypatch.setattr(cache_module, "looked_at", real)
    target.unlink()
    reason = "a symbolic link to a file that does not exist"
    for _ in range(2):  # the cache built or patched then, and the one saved now
        assert lenient(fresh(store)) == (["CALL-1", "CALL-3"], [Unreadable(str(path), reason)])


def test_a_link_whose_target_was_away_only_while_it_was_read_is_read_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its signature was taken of the target (there then), the read found a link to nothing:
    # that run says so, but the cache must not keep "a link to nothing" under the target's
    # signature, which holds again once the target's directory is back.
    shutil.rmtree(store.cache_dir, ignore_errors=True)
    path = Path(store.call_path("CALL-2"))
    away, back = tmp_path / "away", tmp_path / "targets"
    back.mkdir()
    path.rename(back / path.name)
    path.symlink_to(back / path.name)
    real = reread.read_toml_file

    def racing(path: str, display: str) -> tuple[bytes, os.stat_result]:
        if not path.endswith("CALL-2.toml"):
            return real(path, display)
        back.rename(away)
        try:
            return real(path, display)
        finally:
            away.rename(back)

    monkeypatch.setattr(reread, "read_toml_file", racing)
    reason = "a symbolic link to a file that does not exist"
    assert lenient(fresh(store)) == (["CALL-1", "CALL-3"], [Unreadable(str(path), reason)])
    monkeypatch.setattr(reread, "read_toml_file", real)
    for _ in range(2):  # the cache built then, and the one saved now
        assert lenient(fresh(store)) == (["CALL-1", "CALL-2", "CALL-3"], [])


def test_a_passing_error_of_the_system_is_reported_once_not_remembered(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(store.cache_dir, ignore_errors=True)
    real = reread.read_toml_file

    def too_many_open_files(path: str, display: str) -> tuple[bytes, os.stat_result]:
        if path.endswith("CALL-2.toml"):
            raise TomlFileError(display, "cannot read: too many open files")
        return real(path, display)

    monkeypatch.setattr(reread, "read_toml_file", too_many_open_files)
    found = [Unreadable(store.call_path("CALL-2"), "cannot read: too many open files")]
    assert lenient(fresh(store)) == (["CALL-1", "CALL-3"], found)
    monkeypatch.setattr(reread, "read_toml_file", real)
    for _ in range(2):
        assert lenient(fresh(store)) == (["CALL-1", "CALL-2", "CALL-3"], [])


def test_a_file_removed_between_listing_and_stat_is_left_out(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = Layout.call_names

    def then_remove(layout: Layout) -> list[str]:
        names = listing(layout)
        Path(layout.calls_dir, "CALL-3.toml").unlink()
        return names

    monkeypatch.setattr(Layout, "call_names", then_remove)
    assert lenient(fresh(store)) == (["CALL-1", "CALL-2"], [])


def test_calls_directory_removed_after_the_listing_gives_no_calls(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = Layout.call_names

    def then_checkout(layout: Layout) -> list[str]:
        names = listing(layout)
        shutil.rmtree(layout.calls_dir)
        return names

    monkeypatch.setattr(Layout, "call_names", then_checkout)
    assert lenient(fresh(store)) == ([], [])


def test_get_many_skips_a_call_removed_since_the_listing(store: Store) -> None:
    s = fresh(store)
    listed = sorted(x.id for x in s.summaries())
    store.remove("CALL-2")  # another process, between the listing and the full read
    found: list[Unreadable] = []
    assert [c.id for c in s.get_many(listed, unreadable=found)] == ["CALL-1", "CALL-3"]
    assert found == []
    with pytest.raises(NotFoundError, match=r"^no call 'CALL-2' in "):
        s.get_many(listed)  # strict: a named call that is not there is an error


def test_get_many_names_a_call_that_broke_since_the_listing(store: Store) -> None:
    s = fresh(store)
    listed = sorted(x.id for x in s.summaries())
    path = store.call_path("CALL-2")
    Path(path).write_bytes(b'id = "CALL-2"\ntitle = \n')
    found: list[Unreadable] = []
    assert [c.id for c in s.get_many(listed, unreadable=found)] == ["CALL-1", "CALL-3"]
    assert found == [Unreadable(path, TYPO_REASON)]
