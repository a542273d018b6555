"""The signature of a call file, (mtime, size, inode, ctime): what says it is unchanged.

Taken of every file by every listing (as ``git status`` does), so on every core for a large
store. ctime too: an edit that put the old mtime back (``touch -r``, ``cp -p``) still moves it.
``Trust`` says which entries a signature alone vouches for, and which are racy.
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable, Sequence

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.records import NamedTuple
from clusterctl.store.forkmap import MEANWHILE_SHARE, fork_parts

#: The signature of a file that is not there: it never matches a real one.
GONE = (-1, -1, -1, -1)
#: The signature kept for a file that is there but whose bytes came from another file than
#: the one looked at (a link whose target came back, a file replaced): it never matches either.
UNTRUSTED = (-2, -2, -2, -2)
#: What ``looked_at`` and ``reference`` give when no moment of the file system's clock can be
#: vouched for: ``Trust``'s second rule then trusts nothing.
NO_REFERENCE = -(2**63)
#: File systems on which this kernel's one clock stamps every ctime, which nobody can set: not
#: a server's or another client's clock (NFS, CephFS, FUSE), not a creation time or an mtime
#: (FAT, exFAT). ``Trust``'s second rule holds on these alone.
ONE_CLOCK = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs", "zfs", "bcachefs"})


class Trust(NamedTuple):
    """Which entries of a cache their file's signature vouches for; the others are racy, and
    are checked against the bytes they were made of.

    An entry read from a file could be stale with the same signature only if the file was
    edited again, in place and to the same size, within the timestamp tick of its ctime. It is
    trusted if either rule rules that out:

    - ``clock_ns``: its mtime and ctime are older than this moment of this machine's clock, a
      margin (``cache.RACY_SECONDS``) before it was read: ticks are coarse (2 s on FAT).
    - ``fs_ns``: its ctime is older than the newest ctime among the store's files when they
      were looked at, before it was read (``looked_at``). That ctime was stamped by the same
      clock, the file system's, which stamps any later edit at least as new; so an edit after
      the read cannot have kept an older ctime. This is git's rule for its index, with the
      reference taken before reading (an index file written afterwards leaves a gap) and from
      the store's own file system (the cache lives elsewhere). Right after a bulk write it
      leaves only the files of the last tick racy, where the first rule left every file written
      in the last ``RACY_SECONDS``. It holds only where one clock stamps every ctime and that
      ctime is of the past (``reference``).
    """

    clock_ns: int
    fs_ns: int

    def racy(self, mtime: int, ctime: int) -> bool:
        """True unless a file changed at ``mtime`` and ``ctime`` is trusted by a rule."""
        return racy(mtime, ctime, self.clock_ns, self.fs_ns)


def racy(mtime: int, ctime: int, clock_ns: int, fs_ns: int) -> bool:
    """``Trust(clock_ns, fs_ns).racy(mtime, ctime)`` without making the Trust: a derived file
    saved checks each of its entries (100,000 for an export: 1.3 -> 0.3 us each, timeit)."""
    return ctime >= fs_ns and max(mtime, ctime) >= clock_ns


def reference(calls_dir: str, newest: int) -> int:
    """``newest`` (``looked_at``'s, asked after the look and before any read) as ``Trust.fs_ns``
    where it vouches for the files older than it: a moment of the past by this machine's clock
    (a ctime from the future, left by a clock set back, would vouch for edits not yet made), on
    a file system ``ONE_CLOCK`` names; else ``NO_REFERENCE``."""
    if newest == NO_REFERENCE or newest > time.time_ns():
        return NO_REFERENCE
    return newest if _fs_type(calls_dir) in ONE_CLOCK else NO_REFERENCE


def _fs_type(calls_dir: str) -> str | None:
    """The type of the file system calls/ is on, by the mount it is opened through (its
    ``mnt_id``: a btrfs subvolume's device is listed nowhere); None off Linux."""
    mount = mount_id(calls_dir)
    if mount is None:
        return None
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as mounts:
            return fs_type(mounts.read(), mount)
    except OSError:
        return None


def mount_id(path: str) -> str | None:
    """The id of the mount ``path`` is reached through (``mnt_id``); None off Linux, or if
    ``path`` is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii", errors="replace") as info:
                return next((ln.split()[1] for ln in info if ln.startswith("mnt_id:")), None)
        finally:
            os.close(fd)
    except OSError:
        return None


def fs_type(mountinfo: str, mount_id: str | None) -> str | None:
    """The type of the file system of mount ``mount_id`` in ``mountinfo`` (the text of
    /proc/self/mountinfo), or None."""
    for line in mountinfo.splitlines():
        if line.split(" ", 1)[0] == mount_id and " - " in line:
            return line.split(" - ", 1)[1].split(" ", 1)[0]
    return None


def signatures(
    calls_dir: str, names: list[str], meanwhile: Callable[[], object] | None = None
) -> array[int]:
    """(mtime, size, inode, ctime) of every file, flat, in ``names`` order; (-1, -1, -1, -1)
    for a file that is not there. From 10,000 names on every core: at 100,000 a listing's
    0.40-0.44 s of ``stat`` took 0.23 s on two (store/forkmap.py). ``meanwhile`` is called
    while they are taken (``fork_parts``)."""
    return looked_at(calls_dir, names, meanwhile)[0]


def looked_at(
    calls_dir: str,
    names: list[str],
    meanwhile: Callable[[], object] | None = None,
    share: float = MEANWHILE_SHARE,
) -> tuple[array[int], int]:
    """``signatures``, and the newest ctime among them (for ``Trust.fs_ns``, see ``reference``):
    ``NO_REFERENCE`` if a file is on another file system than calls/, whose clock may be
    another. ``meanwhile`` and ``share`` as ``fork_parts`` takes them."""
    sigs = array("q")
    newest = -1
    parts = fork_parts(lambda part: _stat_all(calls_dir, part), names, 5, meanwhile, share)
    for part, part_newest in parts:
        sigs.extend(part)
        newest = NO_REFERENCE if NO_REFERENCE in (newest, part_newest) else max(newest, part_newest)
    return sigs, newest


def of(st: os.stat_result) -> tuple[int, int, int, int]:
    """The signature of the file ``st`` is the ``stat`` (or ``fstat``) of."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def holds(sigs: array[int], place: int, st: os.stat_result) -> bool:
    """Whether ``sigs`` (flat, as ``signatures`` gives them) holds at ``place`` the signature
    of the file ``st`` describes (the ``fstat`` of a file read, the ``lstat`` of a link): what
    was read is what was looked at."""
    return tuple(sigs[4 * place : 4 * place + 4]) == of(st)


def _stat_all(calls_dir: str, names: Sequence[str]) -> tuple[array[int], int]:
    sigs = array("q")
    append = sigs.extend
    try:
        dir_fd = os.open(calls_dir, os.O_RDONLY)
    except FileNotFoundError:  # removed since it was listed (a git checkout): no file is there
        return array("q", [-1] * (4 * len(names))), -1
    except OSError as exc:
        raise StoreError(f"{calls_dir}: cannot list: {describe_os_error(exc)}") from None
    foreign = False
    try:
        device = os.fstat(dir_fd).st_dev
        for name in names:
            try:
                st = os.stat(name, dir_fd=dir_fd)
            except FileNotFoundError:
                try:  # a link to nothing is there, and unreadable: it must be reported
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:  # removed while we listed: never matches a real file
                    append(GONE)
                    continue
            if st.st_dev != device:  # a link out of calls/'s file system
                foreign = True
            append((st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns))  # of(st), inline
    finally:
        os.close(dir_fd)
    return sigs, (NO_REFERENCE if foreign else max(sigs[3::4], default=-1))


def differing(old: bytes, new: bytes, limit: int) -> list[int] | None:
    """The positions whose packed signature (32 bytes) differs between ``old`` and ``new``,
    and those past the end of ``old``; None when there are more than ``limit``."""
    found = list(range(len(old) // 32, len(new) // 32))
    common = min(len(old), len(new))
    # Compared a block of 512 at a time, each one only in a block that differs: one stat pass
    # worth of signatures (100,000) in ~2 ms.
    step = 32 * 512
    for start in range(0, common, step):
        end = min(start + step, common)
        if old[start:end] != new[start:end]:
            found.extend(
                at // 32 for at in range(start, end, 32) if old[at : at + 32] != new[at : at + 32]
            )
            if len(found) > limit:
                return None
    return found if len(found) <= limit else None


def by_name(names: list[str], sigs: array[int]) -> dict[str, tuple[int, ...]]:
    """name -> its signature, from ``names`` and their signatures as ``signatures`` gives them."""
    return {name: tuple(sigs[4 * n : 4 * n + 4]) for n, name in enumerate(names)}


class Recorded:
    """Signatures taken earlier of the files ``recorded`` (flat and packed, as ``signatures``
    gives them), looked up by position while the names are still those (the usual case), else
    by name: at 100,000 calls a dict of them took 35 MB."""

    __slots__ = ("by_name", "by_position")

    def __init__(self, recorded: list[str], packed: bytes, names: list[str]) -> None:
        sigs = array("q")
        sigs.frombytes(packed)
        same = recorded == names
        self.by_position: array[int] | None = sigs if same else None
        self.by_name = {} if same else by_name(recorded, sigs)

    def get(self, position: int, name: str) -> tuple[int, ...] | None:
        """The signature taken of ``name``, at ``position`` in the names; None if none was."""
        if self.by_position is not None:
            return tuple(self.by_position[4 * position : 4 * position + 4])
        return self.by_name.get(name)
