"""A first import fills a fresh directory that takes calls/'s place (store/fill.py): readers see
none of it or all of it, a crash at any step leaves the state before or after, a failure
changes nothing, and a calls/ that is not plainly empty keeps the journal's route.

Crashes are real (a forked child stopped with ``os._exit``), as in test_journal.py.
"""

from __future__ import annotations

import os
import stat
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from clusterctl.errors import StoreError
from clusterctl.store import Store, fill, journal, transaction
from tests.store.helpers import (
    CRASHED,
    FULL_DISK,
    crash_on_call,
    full_disk_refusal,
    in_child,
    make_call,
    temp_files,
    tree,
    view,
)

COUNT = fill.FILL_MINIMUM + 20


def first_import(root: Path, count: int = COUNT) -> None:
    """``count`` new calls NEW-000... in one change."""
    with Store(root).transaction() as txn:
        for n in range(count):
            txn.put(make_call(f"NEW-{n:03d}", title=f"Title {n}"))


def empty_store(tmp_path: Path) -> Path:
    """A store whose calls/ is there and empty (its one call removed)."""
    root = tmp_path / "store"
    Store(root).add(make_call("GONE-1"))
    Store(root).remove("GONE-1")
    assert os.listdir(root / "calls") == []
    return root


def spied(given: list[str | None], root: Path) -> Path:
    """``root``, with what ``fill.prepare`` gave so far (making it) forgotten."""
    given.clear()
    return root


@pytest.fixture
def filled(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """What each ``fill.prepare`` gave: the fresh directory, or None for the journal's route."""
    given: list[str | None] = []
    real = fill.prepare

    def prepare(*args: object) -> str | None:
        given.append(real(*args))  # type: ignore[arg-type]
        return given[-1]

    monkeypatch.setattr(fill, "prepare", prepare)
    return given


def test_a_first_import_writes_the_same_files_as_the_journal_without_a_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filled: list[str | None]
) -> None:
    monkeypatch.setattr(journal, "_write_journal", None)  # any journal would fail
    root = spied(filled, empty_store(tmp_path))
    before = os.stat(root / "calls")
    first_import(root)
    assert filled == [str(root / ".state" / fill.STAGING)]
    assert os.stat(root / "calls").st_ino != before.st_ino  # the fresh directory took its place
    assert sorted(os.listdir(root / ".state")) == ["lock"]  # no staging, marker or journal left
    assert temp_files(root / "calls") == []
    monkeypatch.undo()
    by_journal = tmp_path / "by-journal"
    monkeypatch.setattr(fill, "FILL_MINIMUM", 10**9)
    first_import(by_journal)
    assert tree(root / "calls") == tree(by_journal / "calls") and len(tree(root / "calls")) == COUNT
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (root / "calls").iterdir()}
    assert modes == {
        p.name: stat.S_IMODE(p.stat().st_mode) for p in (by_journal / "calls").iterdir()
    }
    assert view(root) == view(by_journal)


def test_a_first_import_into_a_new_store_creates_it(
    tmp_path: Path, filled: list[str | None]
) -> None:
    root = tmp_path / "new"
    first_import(root)
    assert filled[0] is not None and len(view(root)) == COUNT
    assert Store(root).check() == []


def test_readers_see_none_of_a_first_import_until_all_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = empty_store(tmp_path)
    seen: list[int] = []
    real_creator = fill.creator

    def creator(staging: str, signatures: array[int] | None) -> Callable[[str, bytes], None]:
        create = real_creator(staging, signatures)

        def create_and_look(path: str, data: bytes) -> None:
            create(path, data)
            if len(os.listdir(staging)) == 60:
                seen.append(len(Store(root).ids()))  # a reader, while the writer holds the lock

        return create_and_look

    monkeypatch.setattr(fill, "creator", creator)
    first_import(root)
    assert seen == [0]
    assert len(Store(root).ids()) == COUNT


def _crash_creating(after: int) -> None:
    """In a child: die as the file number ``after`` of the fresh directory is to be created."""
    real_creator = fill.creator

    def creator(staging: str, signatures: array[int] | None) -> Callable[[str, bytes], None]:
        create = real_creator(staging, signatures)
        done = 0

        def crashing(path: str, data: bytes) -> None:
            nonlocal done
            if done == after:
                os._exit(CRASHED)
            done += 1
            create(path, data)

        return crashing

    fill.creator = creator  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("create 0", "before"),
        ("create 1", "before"),
        (f"create {COUNT - 1}", "before"),
        ("sync", "before"),
        ("rename", "before"),  # the commit point: the fresh directory over calls/
        ("fsync_dir", "after"),  # once it took calls/'s place
    ],
)
def test_a_crash_at_any_step_of_a_first_import_leaves_the_state_before_or_after(
    tmp_path: Path, step: str, expected: str
) -> None:
    root = empty_store(tmp_path)

    def crash() -> None:
        if step.startswith("create"):
            _crash_creating(int(step.split()[1]))
        elif step == "fsync_dir":
            crash_on_call(journal, "fsync_dir", 0)
        else:
            crash_on_call(os, step, 0)
        first_import(root)

    assert in_child(crash) == CRASHED
    assert (root / ".state" / "writing").exists()  # the next change is told to sweep
    assert len(view(root)) == (COUNT if expected == "after" else 0)
    Store(root).add(make_call("LATER-1"))  # the next change sweeps what the crash left
    assert sorted(os.listdir(root / ".state")) == ["lock"]
    assert temp_files(root / "calls") == []
    assert len(view(root)) == (COUNT if expected == "after" else 0) + 1


def test_a_failed_create_names_the_file_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = empty_store(tmp_path)
    before = tree(root)
    real_creator = fill.creator

    def creator(staging: str, signatures: array[int] | None) -> Callable[[str, bytes], None]:
        create = real_creator(staging, signatures)

        def failing(path: str, data: bytes) -> None:
            if path.endswith("NEW-069.toml"):
                raise FULL_DISK
            create(path, data)

        return failing

    monkeypatch.setattr(fill, "creator", creator)
    with pytest.raises(StoreError) as caught:
        first_import(root)
    assert str(caught.value) == full_disk_refusal(root / "calls" / "NEW-069.toml")
    assert tree(root) == before


def test_an_interrupt_while_encoding_a_first_import_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = empty_store(tmp_path)
    before = tree(root)
    done = 0
    real = transaction.checked_call_bytes

    def encode(call: object) -> bytes:
        nonlocal done
        done += 1
        if done == 70:
            raise KeyboardInterrupt
        return real(call)  # type: ignore[arg-type]

    monkeypatch.setattr(transaction, "checked_call_bytes", encode)
    with pytest.raises(KeyboardInterrupt):
        first_import(root)
    assert tree(root) == before


def test_a_first_import_keeps_the_mode_of_calls(tmp_path: Path, filled: list[str | None]) -> None:
    root = spied(filled, empty_store(tmp_path))
    os.chmod(root / "calls", 0o2750)  # set-group-ID: new files take the directory's group
    group = os.stat(root / "calls").st_gid
    first_import(root)
    assert filled[0] is not None
    assert stat.S_IMODE(os.stat(root / "calls").st_mode) == 0o2750
    assert os.stat(root / "calls").st_gid == group
    assert {p.stat().st_gid for p in (root / "calls").iterdir()} == {group}


@pytest.mark.skipif(os.geteuid() != 0, reason="giving calls/ another group needs root")
def test_a_first_import_keeps_the_owner_and_group_of_calls(
    tmp_path: Path, filled: list[str | None]
) -> None:
    root = spied(filled, empty_store(tmp_path))
    os.chown(root / "calls", 4321, 4242)
    os.chmod(root / "calls", 0o2770)
    first_import(root)
    assert filled[0] is not None  # the fresh directory was given them
    made = os.stat(root / "calls")
    assert (made.st_uid, made.st_gid, stat.S_IMODE(made.st_mode)) == (4321, 4242, 0o2770)
    assert {p.stat().st_gid for p in (root / "calls").iterdir()} == {4242}


def test_files_put_in_calls_by_another_program_during_a_first_import_stop_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Something that takes no lock (a git pull) writes into calls/ while the files are made:
    # the fresh directory cannot take calls/'s place, and nothing is imported.
    root = empty_store(tmp_path)
    real_creator = fill.creator

    def creator(staging: str, signatures: array[int] | None) -> Callable[[str, bytes], None]:
        create = real_creator(staging, signatures)

        def create_and_pull(path: str, data: bytes) -> None:
            create(path, data)
            if path.endswith("NEW-050.toml"):
                (root / "calls" / "PULLED.toml").write_text("pulled")

        return create_and_pull

    monkeypatch.setattr(fill, "creator", creator)
    with pytest.raises(StoreError) as caught:
        first_import(root)
    assert str(caught.value) == (
        f"{root / 'calls'}: another program put files there during the import; nothing was "
        "imported, run it again"
    )
    assert os.listdir(root / "calls") == ["PULLED.toml"]
    assert sorted(os.listdir(root / ".state")) == ["lock"]


def test_what_a_killed_first_import_left_is_removed_even_without_the_marker(
    tmp_path: Path, filled: list[str | None]
) -> None:
    root = spied(filled, empty_store(tmp_path))
    left = root / ".state" / fill.STAGING
    (left / "deeper").mkdir(parents=True)
    (left / "NEW-000.toml").write_text("half")
    first_import(root)
    assert filled[0] is not None and len(view(root)) == COUNT
    assert sorted(os.listdir(root / ".state")) == ["lock"]


def test_check_asks_the_next_change_to_remove_a_fresh_directory_whose_marker_was_lost(
    tmp_path: Path,
) -> None:
    # After a power failure the (unsynced) marker may be gone while the directory is not.
    root = tmp_path / "store"
    Store(root).add(make_call("CALL-1"))
    left = root / ".state" / fill.STAGING
    left.mkdir()
    (left / "NEW-000.toml").write_text("half")
    Store(root).add(make_call("CALL-2"))  # one file: the journal's route, which never looks
    assert left.exists()
    assert Store(root).check() == []
    assert (root / ".state" / "writing").exists()
    Store(root).add(make_call("CALL-3"))
    assert not left.exists() and sorted(Store(root).ids()) == ["CALL-1", "CALL-2", "CALL-3"]


def test_a_link_where_the_fresh_directory_goes_is_removed_not_followed(
    tmp_path: Path, filled: list[str | None]
) -> None:
    root = spied(filled, empty_store(tmp_path))
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    (root / ".state" / fill.STAGING).symlink_to(victim)
    (root / ".state" / "writing").touch()  # as a killed import leaves it: the sweep runs first
    first_import(root)
    assert filled[0] is not None and len(view(root)) == COUNT
    assert (victim / "keep.txt").read_text() == "mine" and os.listdir(victim) == ["keep.txt"]


def _extended_attribute(calls: Path) -> None:
    try:
        os.setxattr(calls, "user.clusterctl-test", b"1")
    except OSError as exc:
        pytest.skip(f"no user extended attributes on {calls}: {exc}")


def _hidden_file(calls: Path) -> None:
    (calls / ".gitkeep").write_text("")


def _linked(calls: Path) -> None:
    elsewhere = calls.parent.parent / "elsewhere"
    elsewhere.mkdir()
    calls.rmdir()
    calls.symlink_to(elsewhere)


@pytest.mark.parametrize(
    ("setup", "count"),
    [
        pytest.param(_hidden_file, COUNT, id="calls holds a hidden file"),
        pytest.param(_linked, COUNT, id="calls is a link"),
        pytest.param(_extended_attribute, COUNT, id="calls has an extended attribute"),
        pytest.param(None, fill.FILL_MINIMUM - 1, id="fewer files"),
    ],
)
def test_a_calls_directory_not_plainly_empty_keeps_the_journals_route(
    tmp_path: Path,
    filled: list[str | None],
    setup: Callable[[Path], None] | None,
    count: int,
) -> None:
    root = spied(filled, empty_store(tmp_path))
    if setup is not None:
        setup(root / "calls")
    kept = tree(root / "calls")
    first_import(root, count)
    assert filled == [None] and not (root / ".state" / fill.STAGING).exists()
    assert len(view(root)) == count
    now = tree(root / "calls")
    assert {k: now[k] for k in kept} == kept  # the hidden file, still there
    assert (root / "calls").is_symlink() == (setup is _linked)


def test_a_change_that_removes_keeps_the_journals_route(
    tmp_path: Path, filled: list[str | None]
) -> None:
    root = spied(filled, empty_store(tmp_path))
    with Store(root).transaction() as txn:
        for n in range(COUNT):
            txn.put(make_call(f"NEW-{n:03d}"))
        txn.delete("NEVER-THERE")
    assert filled == [None] and len(view(root)) == COUNT


def test_a_first_import_reports_progress(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    with Store(tmp_path / "store").transaction() as txn:
        for n in range(250):
            txn.put(make_call(f"NEW-{n:03d}"))
        txn.progress = lambda done, total: seen.append((done, total))
    assert seen == [(100, 250), (200, 250), (250, 250)]


def test_a_listing_right_after_a_first_import_parses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filled: list[str | None]
) -> None:
    # The signatures taken in the fresh directory are those of the files in calls/.
    from tests.store.helpers import spy_on_parses

    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with store.transaction() as txn:
        for n in range(COUNT):
            txn.put(make_call(f"NEW-{n:03d}"))
    assert filled[0] is not None
    parses = spy_on_parses(monkeypatch)
    assert len(Store(tmp_path / "store", cache_dir=tmp_path / "cache").summaries()) == COUNT
    assert parses == []
