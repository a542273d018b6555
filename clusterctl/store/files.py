"""Atomic replacement of files: a crash leaves the old content or the new, never a mix.

A change to one file is a temporary file beside it, fsynced, renamed over the old one; the
directory is synced after the rename. ``journal`` builds changes to several files on these steps.
"""

from __future__ import annotations

import contextlib
import os
import stat
from array import array
from collections.abc import Callable, Iterable

from clusterctl.fileread import make_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO, TypeVar

    T = TypeVar("T")
    #: A path as these functions take it: a string (the store's own), or a Path (a test's).
    StrPath = str | os.PathLike[str]


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_dir(path: StrPath) -> None:
    """Make the entries of the directory ``path`` durable (after a rename or a removal); ''
    is the current directory (what os.path.dirname gives for a name alone: a store at '.')."""
    fd = os.open(path or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PendingWrite:
    """A temporary file written beside ``target``, not yet renamed over it."""

    __slots__ = ("target", "temp")  # not a dataclass, which would cost every start-up 0.5 ms

    # Strings, not Paths: an import builds one per call, and pathlib cost 4 s of 100,000.
    def __init__(self, target: str, temp: str) -> None:
        self.target = target
        self.temp = temp


def write_temp(path: StrPath, data: bytes) -> PendingWrite:
    """Write ``data`` to a temporary file beside the file that ``path`` names (or links to)."""
    target = os.fspath(path)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        mode = _new_file_mode()
    else:
        mode = info.st_mode & 0o7777
        if stat.S_ISLNK(info.st_mode):
            target = os.path.realpath(target)
            try:
                mode = os.stat(target).st_mode & 0o7777
            except FileNotFoundError:
                mode = _new_file_mode()
    head, name = os.path.split(target)
    # Not tempfile.mkstemp: importing tempfile (and random) costs more than a whole small write.
    temp = os.path.join(head, f".{name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return PendingWrite(target, temp)


def sync_temps(writes: list[PendingWrite]) -> None:
    """Make every temporary file's content durable."""
    if len(writes) == 1:
        fd = os.open(writes[0].temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    elif writes:
        os.sync()  # one flush for a bulk import instead of one fsync per file


def apply_writes(
    renames: Iterable[tuple[StrPath, StrPath]],
    removals: Iterable[StrPath],
    *,
    replay: bool = False,
    signatures: array[int] | None = None,
) -> None:
    """Rename each temp file over its target, remove ``removals``, then sync the directories.

    With ``replay`` (finishing a journal) a missing temporary file was already renamed. With
    ``signatures``, each target's signature (mtime, size, inode, ctime) right after its rename
    is appended to it: what the file is while it still holds what was written (the summary
    cache keeps that, cache.py). An array, not tuples: at 100,000 files, 3 MB instead of 22.
    """
    renames, removals = list(renames), list(removals)
    for temp, target in renames:
        try:
            os.replace(temp, target)
        except FileNotFoundError:
            if not replay:
                raise
        if signatures is not None:
            try:
                st = os.stat(target)
            except OSError:  # gone or changed already: a signature no file has, never vouched for
                signatures.extend((-1, -1, -1, -1))
            else:
                signatures.extend((st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns))
    for path in removals:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    dirname = os.path.dirname
    for directory in {dirname(t) for _, t in renames} | {dirname(p) for p in removals}:
        fsync_dir(directory)


def discard_temps(writes: Iterable[PendingWrite]) -> None:
    """Remove the temporary files of ``writes`` that are still there."""
    for write in writes:
        with contextlib.suppress(OSError):
            os.unlink(write.temp)


def commit_writes(
    writes: list[PendingWrite],
    removals: Iterable[StrPath] = (),
    signatures: array[int] | None = None,
) -> None:
    """Make every temp file durable, then rename each over its target and sync the directories
    (``signatures`` as ``apply_writes``)."""
    try:
        sync_temps(writes)
        apply_writes(((w.temp, w.target) for w in writes), removals, signatures=signatures)
    except BaseException:
        discard_temps(writes)  # those not renamed yet; the others are gone already
        raise


def atomic_write(path: StrPath, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new content."""
    commit_writes([write_temp(path, data)])


# --- files of our own in a directory others may share (the summary cache) -------------------


def _read_all(handle: BinaryIO) -> Any:
    return handle.read()


#: Not O_NOFOLLOW where the system lacks it; the ownership check still applies.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_private(path: StrPath, read: Callable[[BinaryIO], T] = _read_all) -> T | None:
    """The bytes of ``path`` (or what ``read`` makes of the open file) if it is ours alone
    (owned by us, writable by nobody else), else None; FileNotFoundError if absent. Checked on
    the open file, so it is the file we read."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or info.st_mode & 0o022:
            return None
        return read(handle)


def write_private(path: StrPath, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Replace ``path`` (a planted link included, never followed) by a file only we can read,
    in a directory created 0700 if missing.

    Not ``write_temp``: that keeps the mode of the file it replaces and writes through a link,
    both right for call files and wrong in a directory other users can write to. ``data`` may
    be a function that writes the content to the file it is given.
    """
    head, name = os.path.split(os.fspath(path))
    make_dir(head or ".", 0o700, parents=True)
    temp = os.path.join(head, f".{name}.{os.urandom(6).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temp, flags, 0o600)
    try:
        with open(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def store_key(text: str) -> str:
    """A stable 64-bit FNV-1a hash of ``text`` in hex (names a store's cache file).

    Not hashlib: importing it loads OpenSSL, about 3 ms of every listing. The cache also records
    the root it belongs to, so a collision could only cost a rebuild, never a wrong answer.
    """
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"
