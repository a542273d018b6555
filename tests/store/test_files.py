"""Atomic writes (store/files.py): the old content or the new, the mode kept, links followed.

Write errors are real: clusterctl runs as a process under a real RLIMIT_FSIZE, or on a
read-only directory (as root, the child drops CAP_DAC_OVERRIDE so that permissions bite:
the ``read_only`` fixture of conftest.py), and must fail with one line and change nothing.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clusterctl.store import Store, atomic_write
from tests.conftest import run
from tests.store.helpers import (
    AT,
    call_files,
    invoke,
    make_call,
    ok,
    one_error,
    stat_tree,
    temp_files,
)


def test_atomic_write_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "file.toml"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    inode = path.stat().st_ino
    atomic_write(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert path.stat().st_mode & 0o7777 == 0o640
    assert path.stat().st_ino != inode  # renamed over, never rewritten in place
    assert temp_files(tmp_path) == []


def test_atomic_write_of_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.toml", b"x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "new.toml").stat().st_mode & 0o7777 == 0o640


def test_writes_go_through_a_symlinked_call_file_and_keep_its_mode(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store(root)
    store.add(make_call())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "CALL-1.toml"
    shutil.move(root / "calls" / "CALL-1.toml", target)
    target.chmod(0o640)
    (root / "calls" / "CALL-1.toml").symlink_to(target)
    store.update("CALL-1", lambda c: c.replace(note="through the link"))
    link = root / "calls" / "CALL-1.toml"
    assert link.is_symlink() and link.resolve() == target
    assert tomllib.loads(target.read_text())["note"] == "through the link"
    assert target.stat().st_mode & 0o7777 == 0o640
    assert temp_files(tmp_path) == []


def test_a_symlinked_store_directory_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real"
    Store(real).add(make_call())
    link = tmp_path / "link"
    link.symlink_to(real)
    (real / "calls" / "CALL-1.toml").chmod(0o640)
    Store(link).update("CALL-1", lambda c: c.replace(note="via link"))
    Store(link).add(make_call("CALL-2"))
    assert link.is_symlink()
    assert sorted(call_files(real)) == ["CALL-1.toml", "CALL-2.toml"]
    assert Store(real).get("CALL-1").note == "via link"
    assert (real / "calls" / "CALL-1.toml").stat().st_mode & 0o7777 == 0o640


# --- write errors: a full disk (RLIMIT_FSIZE) and a read-only directory ---------------------------


def small_files(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def no_bytecode() -> dict[str, str]:
    """This test's environment, and no .pyc writes that the size limit would break."""
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("add", "BIG-1", "--title", "T", "-d", "2031-03-08", "--note", "x" * 9000), "BIG-1"),
        (("extend", "CALL-1", "--by", "1d", "--reason", "r" * 9000), "CALL-1"),
        (("edit", "CALL-1", "--note", "n" * 9000), "CALL-1"),
    ],
)
def test_a_file_size_limit_fails_cleanly_and_changes_nothing(
    store: Path, args: tuple[str, ...], culprit: str
) -> None:
    before = stat_tree(store, strict=False)
    result = run(store, *args, preexec_fn=small_files(4096), env=no_bytecode())
    assert one_error(result, 5) == (
        f"error: {store / 'calls' / (culprit + '.toml')}: cannot write: file too large for this "
        "system's limits; the store is unchanged"
    )
    assert stat_tree(store, strict=False) == before
    assert temp_files(store) == []


@pytest.mark.parametrize(("limit", "culprit"), [(4096, "calls/NEW-07.toml"), (1500, None)])
def test_a_file_size_limit_during_an_import_imports_nothing(
    store: Path, tmp_path: Path, limit: int, culprit: str | None
) -> None:
    records = [
        {
            "id": f"NEW-{n:02d}",
            "title": f"small {n}",
            "note": "big " * 2000 if n == 7 and culprit else "",
            "timezone": "Europe/Brussels",
            "deadlines": [{"label": "", "deadline": "2032-01-01T17:00:00+01:00"}],
        }
        for n in range(40)
    ]
    source = tmp_path / "import.json"
    source.write_text(json.dumps(records))
    before = stat_tree(store, strict=False)
    result = run(store, "import", str(source), preexec_fn=small_files(limit), env=no_bytecode())
    # At 1500 bytes every call file fits, but the journal listing 40 renames does not.
    where = store / (culprit or ".state/commit.json")
    assert one_error(result, 5) == (
        f"error: {where}: cannot write: file too large for this system's limits; "
        "the store is unchanged"
    )
    assert stat_tree(store, strict=False) == before
    assert temp_files(store / "calls") == []
    assert not (store / ".state" / "commit.json").exists()


def test_a_read_only_calls_directory_refuses_changes_cleanly(store: Path, read_only: Any) -> None:
    read_only.protect(store / "calls", 0o555)
    before = stat_tree(store / "calls")
    for args in (
        ("add", "CALL-2", "--title", "T", "-d", "2031-03-08"),
        ("extend", "CALL-1", "--by", "1d"),
        ("edit", "CALL-1", "--note", "x"),
    ):
        message = one_error(read_only(*args), 5)
        assert message.startswith(f"error: {store / 'calls'}")
        assert message.endswith(": cannot write: Permission denied; the store is unchanged")
    assert stat_tree(store / "calls") == before
    assert temp_files(store) == []
    assert "CALL-1" in ok(read_only("calls", "--all"))


# --- through the command line: a symlinked call file ----------------------------------------------


def test_a_symlinked_call_file_is_written_through_keeping_its_mode(
    store: Path, tmp_path: Path
) -> None:
    target = tmp_path / "shared" / "CALL-1.toml"
    target.parent.mkdir()
    link = store / "calls" / "CALL-1.toml"
    shutil.move(link, target)
    target.chmod(0o640)
    link.symlink_to(target)
    ok(invoke(store, "extend", "CALL-1", "--by", "1d", "--at", AT))
    ok(invoke(store, "edit", "CALL-1", "--note", "through the link"))
    assert link.is_symlink() and link.resolve() == target
    assert target.stat().st_mode & 0o7777 == 0o640
    record = tomllib.loads(target.read_text())
    assert record["note"] == "through the link" and len(record["extensions"]) == 1
    assert temp_files(tmp_path) == []


def test_a_target_gone_right_after_its_rename_gets_a_signature_no_file_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Removed by someone else between the rename and the look at it: the change still stands.
    from array import array

    from clusterctl.store import files

    target = tmp_path / "CALL-1.toml"
    pending = files.write_temp(target, b"x = 1\n")
    real_replace = os.replace

    def replace_then_remove(src: str, dst: str) -> None:
        real_replace(src, dst)
        os.unlink(dst)

    monkeypatch.setattr(files.os, "replace", replace_then_remove)
    signatures = array("q")
    files.apply_writes([(pending.temp, pending.target)], [], signatures=signatures)
    assert list(signatures) == [-1, -1, -1, -1]
