"""Signatures (mtime, size, inode, ctime) packed 32 bytes each, and finding those that changed."""

from __future__ import annotations

import os
import tempfile
import time
from array import array
from pathlib import Path

import pytest

from clusterctl.store import signature
from clusterctl.store.signature import (
    NO_REFERENCE,
    Recorded,
    Trust,
    differing,
    fs_type,
    looked_at,
    reference,
    signatures,
)
from tests.store.helpers import skip_unless_one_clock


@pytest.mark.parametrize(
    ("changed", "limit", "expected"),
    [
        ([], 5, []),
        ([0, 511, 512, 99_999], 5, [0, 511, 512, 99_999]),
        ([3, 4, 5], 2, None),
    ],
)
def test_differing_finds_each_changed_signature(
    changed: list[int], limit: int, expected: list[int] | None
) -> None:
    old = bytearray(os.urandom(32 * 100_000))
    new = bytearray(old)
    for n in changed:
        new[32 * n + 31] ^= 0xFF
    assert differing(bytes(old), bytes(new), limit) == expected


def test_differing_counts_signatures_past_the_old_end_as_changed() -> None:
    old = os.urandom(32 * 10)
    assert differing(old, old + os.urandom(64), 5) == [10, 11]
    assert differing(old, old + os.urandom(32 * 6), 5) is None


def test_recorded_signatures_are_found_by_position_or_by_name() -> None:
    packed = array("q", [1, 2, 3, 4, 5, 6, 7, 8]).tobytes()
    same = Recorded(["A.toml", "B.toml"], packed, ["A.toml", "B.toml"])
    assert same.by_name == {} and same.get(1, "B.toml") == (5, 6, 7, 8)
    moved = Recorded(["A.toml", "B.toml"], packed, ["B.toml", "C.toml", "A.toml"])
    assert moved.get(0, "B.toml") == (5, 6, 7, 8) and moved.get(2, "A.toml") == (1, 2, 3, 4)
    assert moved.get(1, "C.toml") is None
    assert Recorded([], b"", ["A.toml"]).get(0, "A.toml") is None


@pytest.mark.parametrize(
    ("mtime", "ctime", "racy"),
    [
        (10, 10, False),  # older than both references
        (10, 60, False),  # changed after the clock's, but older than the newest ctime seen
        (10, 100, True),  # of the newest tick, within the clock's margin
        (200, 100, True),
        (10, 150, True),
    ],
)
def test_an_entry_is_racy_unless_a_rule_trusts_it(mtime: int, ctime: int, racy: bool) -> None:
    assert Trust(clock_ns=50, fs_ns=100).racy(mtime, ctime) is racy


def test_without_a_reference_only_the_clock_rule_trusts() -> None:
    trust = Trust(clock_ns=50, fs_ns=NO_REFERENCE)
    assert trust.racy(10, 60) and trust.racy(60, 10) and not trust.racy(10, 49)


def test_looked_at_gives_the_newest_ctime_of_the_files_there(tmp_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text(name)
    names = ["a.toml", "gone.toml", "b.toml"]
    sigs, newest = looked_at(str(tmp_path), names)
    assert list(sigs) == list(signatures(str(tmp_path), names))
    assert list(sigs[4:8]) == [-1, -1, -1, -1]
    assert newest == max((tmp_path / n).stat().st_ctime_ns for n in ("a.toml", "b.toml"))
    assert looked_at(str(tmp_path / "none"), names)[1] == -1  # no file: trusts nothing newer


def test_a_file_on_another_file_system_gives_no_reference(tmp_path: Path) -> None:
    elsewhere = Path("/dev/shm")
    if not elsewhere.is_dir() or elsewhere.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the tests' temporary files")
    (tmp_path / "a.toml").write_text("a")
    with tempfile.NamedTemporaryFile(dir=elsewhere) as target:
        (tmp_path / "b.toml").symlink_to(target.name)
        assert looked_at(str(tmp_path), ["a.toml", "b.toml"])[1] == NO_REFERENCE
        assert looked_at(str(tmp_path), ["a.toml"])[1] != NO_REFERENCE


MOUNTINFO = (
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "40 27 0:45 / /mnt/team\\040share rw,relatime - nfs4 server:/export rw,vers=4.2\n"
    "41 27 0:46 / /mnt/a\\040-\\040b rw - tmpfs tmpfs rw\n"
    "52 27 0:47 /@home /home rw,relatime shared:5 - btrfs /dev/vda2 rw,subvol=/@home\n"
)


@pytest.mark.parametrize(
    ("mount", "kind"), [("27", "ext4"), ("40", "nfs4"), ("41", "tmpfs"), ("52", "btrfs")]
)
def test_the_file_system_type_is_read_from_mountinfo(mount: str, kind: str) -> None:
    assert fs_type(MOUNTINFO, mount) == kind
    assert fs_type(MOUNTINFO, "99") is None and fs_type(MOUNTINFO, None) is None


def test_the_newest_ctime_vouches_only_from_the_past_on_a_file_system_of_one_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.toml").write_text("a")
    newest = looked_at(str(tmp_path), ["a.toml"])[1]
    skip_unless_one_clock(tmp_path)
    assert reference(str(tmp_path), newest) == newest
    # A ctime from the future (a clock set back since): no reference.
    assert reference(str(tmp_path), time.time_ns() + 10**12) == NO_REFERENCE
    assert reference(str(tmp_path), NO_REFERENCE) == NO_REFERENCE
    monkeypatch.setattr(signature, "ONE_CLOCK", frozenset({"nfs4"}))  # as on a server's clock
    assert reference(str(tmp_path), newest) == NO_REFERENCE


def test_without_proc_there_is_no_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = open

    def no_proc(path, *args, **kwargs):  # as on macOS
        if str(path).startswith("/proc/"):
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_proc)
    assert reference(str(tmp_path), 5) == NO_REFERENCE
