"""Changes to several files (store/journal.py): a crash at any step leaves the state before or
after the whole change.

Crashes are real: a forked child is stopped with ``os._exit`` at a chosen step of a commit (no
cleanup handlers run, exactly like SIGKILL), and the parent then inspects the files the child
left behind.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clusterctl.errors import StoreError
from clusterctl.model import Call
from clusterctl.store import Store, journal
from tests.store.helpers import (
    CRASHED,
    FULL_DISK,
    call_text,
    crash_on_call,
    full_disk_refusal,
    in_child,
    listing,
    make_call,
    one_error,
    refusals,
    temp_files,
    tree,
    view,
)


def crash_store(tmp_path: Path) -> tuple[Path, dict, dict]:
    """A store with three calls, and the views before and after the change ``big_change``."""
    root = tmp_path / "base"
    for n in (1, 2, 3):
        Store(root).add(make_call(f"OLD-{n}", title=f"old {n}"))
    before = view(root)
    scratch = tmp_path / "scratch"
    shutil.copytree(root, scratch)
    big_change(scratch)
    after = view(scratch)
    assert before != after
    return root, before, after


def big_change(root: Path) -> None:
    """Replace two calls, add two, remove one: six files in one commit."""
    with Store(root).transaction() as txn:
        txn.put(make_call("OLD-1", title="new 1"))
        txn.put(make_call("OLD-2", title="new 2"))
        txn.put(make_call("NEW-4", title="new 4"))
        txn.put(make_call("NEW-5", title="new 5"))
        txn.delete("OLD-3")


@pytest.mark.parametrize(
    ("function", "after", "expected"),
    [
        # os.replace: 1st call installs the journal (the commit point), then one per call file.
        ("replace", 0, "before"),
        ("replace", 1, "after"),
        ("replace", 2, "after"),
        ("replace", 4, "after"),
        # os.unlink: the removal of OLD-3, then the journal itself.
        ("unlink", 0, "after"),
        ("unlink", 1, "after"),
        # os.sync: before the temporary files are durable, nothing is committed.
        ("sync", 0, "before"),
    ],
)
def test_a_crash_at_any_step_leaves_the_state_before_or_after(
    tmp_path: Path, function: str, after: int, expected: str
) -> None:
    base, before_view, after_view = crash_store(tmp_path)
    root = tmp_path / "crashed"
    shutil.copytree(base, root)

    def crash() -> None:
        crash_on_call(os, function, after)
        big_change(root)

    assert in_child(crash) == CRASHED
    if temp_files(root / "calls"):  # what the crash left, the next change is told to sweep
        assert (root / ".state" / "writing").exists()
    journal = root / ".state" / "commit.json"
    # What the files hold right now is one of the two states, file by file ...
    assert journal.exists() == (expected == "after" and function != "sync")
    # ... and every reader sees the whole change or none of it (it finishes the journal).
    assert view(root) == (before_view if expected == "before" else after_view)
    assert Store(root).check() == []
    assert not journal.exists()
    Store(root).add(make_call("LATER-1"))  # the next change sweeps what the crash left
    assert temp_files(root / "calls") == []
    assert set(view(root)) - {"LATER-1"} == set(before_view if expected == "before" else after_view)


def test_leftover_temporary_files_are_ignored_and_swept(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    assert not (root / ".state" / "writing").exists()  # a finished change leaves no marker
    # What a writer killed while writing leaves: a temporary file and the marker.
    leftover = root / "calls" / ".CALL-1.toml.a1b2c3d4.tmp"
    leftover.write_bytes(b"\x00torn half of a fi")
    (root / ".state" / "writing").touch()
    unrelated = root / "calls" / ".CALL-1.toml.swp"
    unrelated.write_bytes(b"an editor's file")
    assert Store(root).ids() == ["CALL-1"]
    Store(root).add(make_call("CALL-2"))
    assert not leftover.exists()
    assert unrelated.exists()
    assert not (root / ".state" / "writing").exists()


def test_an_interrupt_while_writing_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C right after a temporary file was created, before the writer recorded its name.
    root = tmp_path / "store"
    Store(root).add(make_call())
    real_write_temp = journal.write_temp

    def interrupted(path: Path, data: bytes) -> object:
        real_write_temp(path, data)
        raise KeyboardInterrupt

    monkeypatch.setattr(journal, "write_temp", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Store(root).update("CALL-1", lambda call: call.replace(note="changed"))
    assert temp_files(root / "calls") == []
    assert not (root / ".state" / "writing").exists()
    assert Store(root).get("CALL-1").note == ""


def test_a_change_lists_calls_only_when_a_writer_may_have_left_files(tmp_path: Path) -> None:
    # Listing 100,000 names costs a write 60 ms, so without the marker a change does not look.
    # After a power failure the (unsynced) marker may be lost: check sees the file and re-arms.
    root = tmp_path / "store"
    Store(root).add(make_call())
    leftover = root / "calls" / ".CALL-1.toml.a1b2c3d4.tmp"
    leftover.write_bytes(b"\x00torn half of a fi")
    Store(root).add(make_call("CALL-2"))
    assert leftover.exists()
    assert Store(root).check() == []
    assert (root / ".state" / "writing").exists()
    Store(root).add(make_call("CALL-3"))
    assert not leftover.exists()


@pytest.mark.parametrize(
    "journal",
    [
        b"{not json",
        json.dumps({"version": 1, "renames": [["../x", "calls/A.toml"]], "removals": []}).encode(),
        json.dumps({"version": 1, "renames": [], "removals": ["clusterctl.toml"]}).encode(),
        json.dumps({"version": 1}).encode(),
    ],
)
def test_a_malformed_journal_is_refused_untouched(tmp_path: Path, journal: bytes) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    (root / ".state" / "commit.json").write_bytes(journal)
    before = tree(root)
    for action in refusals(Store(root)):
        with pytest.raises(StoreError, match=r"commit\.json: (unreadable|malformed) journal"):
            action()
    assert tree(root) == before


def test_a_commit_reports_progress_while_writing_many_calls(tmp_path: Path) -> None:
    from clusterctl.model import make_stages
    from clusterctl.timeparse import parse_moment

    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    seen: list[tuple[int, int]] = []
    with store.transaction() as txn:
        for n in range(250):
            txn.put(
                Call(
                    id=f"C-{n:03d}",
                    title="t",
                    timezone="Europe/Brussels",
                    stages=make_stages([("", parse_moment("2030-01-01", "Europe/Brussels"))]),
                )
            )
        txn.progress = lambda done, total: seen.append((done, total))
    assert seen == [(100, 250), (200, 250), (250, 250)]
    assert len(store.ids()) == 250


# --- many files: the temporary files are written on a thread of their own ----------------------


def many_change(root: Path, count: int = journal.THREADED_WRITES + 50) -> None:
    """Replace OLD-1 to OLD-3 and add ``count`` - 3 calls in one commit (the threaded path;
    test_cache_racy's bulk writes show that the files' signatures keep their order)."""
    with Store(root).transaction() as txn:
        for n in (1, 2, 3):
            txn.put(make_call(f"OLD-{n}", title=f"new {n}"))
        for n in range(count - 3):
            txn.put(make_call(f"MANY-{n:03d}"))


def fail_on_call(real: Callable[..., Any], number: int, error: BaseException) -> Any:
    """``real``, except that its call number ``number`` raises ``error``."""
    done = 0

    def failing(*args: object) -> object:
        nonlocal done
        done += 1
        if done == number:
            raise error
        return real(*args)

    return failing


def test_a_failed_write_of_many_files_names_the_file_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, before_view, _ = crash_store(tmp_path)
    before = tree(root)
    monkeypatch.setattr(journal, "write_temp", fail_on_call(journal.write_temp, 120, FULL_DISK))
    with pytest.raises(StoreError) as caught:
        many_change(root)
    assert str(caught.value) == full_disk_refusal(root / "calls" / "MANY-119.toml")
    assert tree(root) == before
    assert view(root) == before_view


def test_an_interrupt_while_encoding_many_files_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C lands in the thread that encodes while the other one is writing.
    root, before_view, _ = crash_store(tmp_path)
    before = tree(root)
    from clusterctl.store import transaction

    encode = fail_on_call(transaction.checked_call_bytes, 130, KeyboardInterrupt())
    monkeypatch.setattr(transaction, "checked_call_bytes", encode)
    with pytest.raises(KeyboardInterrupt):
        many_change(root)
    assert tree(root) == before
    assert view(root) == before_view


@pytest.mark.parametrize("after", [0, 1, 120, journal.THREADED_WRITES + 49])
def test_a_crash_while_writing_many_files_leaves_the_state_before(
    tmp_path: Path, after: int
) -> None:
    root, before_view, _ = crash_store(tmp_path)

    def crash() -> None:
        crash_on_call(journal, "write_temp", after)  # in the writing thread
        many_change(root)

    assert in_child(crash) == CRASHED
    assert not (root / ".state" / "commit.json").exists()
    assert view(root) == before_view
    Store(root).add(make_call("LATER-1"))  # the next change sweeps what the crash left
    assert temp_files(root / "calls") == []
    assert set(view(root)) == set(before_view) | {"LATER-1"}


# --- a change interrupted after its commit point --------------------------------------------------


def test_an_interrupted_import_is_finished_by_the_next_reader_who_can_write(
    store: Path, read_only: Any
) -> None:
    # What a writer killed right after its commit point leaves: temporary files and the journal.
    calls = store / "calls"
    temps = {}
    for call_id in ("NEW-1", "NEW-2"):
        temps[call_id] = calls / f".{call_id}.toml.k1ll3d.tmp"
        temps[call_id].write_text(call_text(call_id, f"imported {call_id}"))
    journal = store / ".state" / "commit.json"
    journal.write_text(
        json.dumps(
            {
                "version": 1,
                "renames": [[f"calls/{t.name}", f"calls/{i}.toml"] for i, t in temps.items()],
                "removals": ["calls/CALL-1.toml"],
            }
        )
    )
    read_only.protect(store / ".state" / "lock", 0o444)
    read_only.protect(calls, 0o555)
    assert one_error(read_only("calls", "--all"), 5) == (
        f"error: {journal}: a change to the store was interrupted and cannot be finished by "
        f"this process ({store}: cannot change the store: Permission denied); run clusterctl "
        "check as a user who can write the store"
    )
    assert journal.exists() and all(t.exists() for t in temps.values())
    (store / ".state" / "lock").chmod(0o644)
    calls.chmod(0o755)
    assert {i: r["title"] for i, r in listing(store, "--all").items()} == {
        "NEW-1": "imported NEW-1",
        "NEW-2": "imported NEW-2",
    }
    assert not journal.exists() and temp_files(store) == []
