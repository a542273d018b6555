"""Atomic writes (store/files.py): the old content or the new, the mode kept, links followed."""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path

from clusterctl.store import Store, atomic_write
from tests.store.helpers import call_files, make_call, temp_files


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
    store.update("CALL-1", lambda c: replace(c, note="through the link"))
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
    Store(link).update("CALL-1", lambda c: replace(c, note="via link"))
    Store(link).add(make_call("CALL-2"))
    assert link.is_symlink()
    assert sorted(call_files(real)) == ["CALL-1.toml", "CALL-2.toml"]
    assert Store(real).get("CALL-1").note == "via link"
    assert (real / "calls" / "CALL-1.toml").stat().st_mode & 0o7777 == 0o640
