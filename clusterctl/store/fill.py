"""A first import: the new call files fill a fresh directory that then takes calls/'s place.

Into an empty calls/, a change of many files (an import) only creates. Instead of a temporary
twin per file renamed into place after a journal (two directory entries made a file), each file
is created under its own name in ``.state/calls.new/``; all are synced; and that directory is
renamed over the empty calls/, which rename(2) does atomically. That rename is the commit
point: no journal, and a reader sees the empty store or the whole import, never a part of it.
calls/ is then another directory (inode) with the same name, mode and owner: a shell whose
working directory was the empty calls/ must enter it again.
A writer killed before it leaves the store as it was, and ``.state/writing``: the next change
removes the half-filled directory (``remove_staging``).

Creating 100,000 files on this project's VM took 4.1-5.1 s, and each under a temporary name
renamed into place 8.1-8.6 s (benchmarks/imports.py --floor, three rounds, 2026-12-04 13:48 UTC).
"""

from __future__ import annotations

import os
import stat
from array import array
from collections.abc import Callable

from clusterctl.store.layout import Layout, has_entries

TYPE_CHECKING = False
if TYPE_CHECKING:
    from clusterctl.store.files import StrPath

#: The directory, in .state/, that the files of a first import are created in.
STAGING = "calls.new"

#: From how many files a change into an empty calls/ fills a fresh directory: for fewer, the
#: journal's renames cost less than the directory's creation and removal of a failed one.
FILL_MINIMUM = 100


def staging_dir(layout: Layout) -> str:
    """Where a first import creates its files."""
    return os.path.join(layout.state_dir, STAGING)


def prepare(layout: Layout, count: int, removals: list[StrPath]) -> str | None:
    """Under the lock, once ``.state/writing`` is there: the fresh directory for a change of
    ``count`` new files and ``removals`` into calls/, made with calls/'s mode and owner; None
    when the change cannot fill one and keeps the journal's route: fewer files, a removal, not
    Linux, calls/ holding anything or being a link, a mount point or on another mount than
    .state/, calls/ with extended attributes (an ACL, a security label: a new directory would
    not have them), or a mode or owner this process cannot give the new one."""
    if count < FILL_MINIMUM or removals or not hasattr(os, "listxattr"):
        return None
    # Not at the top: every command imports this module (through journal), and signature.py
    # with what it imports cost a plain `show` 2.4 ms more (python -X importtime).
    from clusterctl.store.signature import mount_id

    calls = layout.calls_dir
    try:
        here = os.lstat(calls)
    except FileNotFoundError:
        here = None
    except OSError:
        return None
    try:
        if here is not None and (
            not stat.S_ISDIR(here.st_mode)
            or has_entries(calls)
            or os.listxattr(calls, follow_symlinks=False)
        ):
            return None
        mount = mount_id(layout.state_dir)
        if mount is None or mount_id(calls if here is not None else layout.root) != mount:
            return None
    except OSError:
        return None
    if not remove_staging(layout):  # what a killed first import left, unless already swept
        return None
    staging = staging_dir(layout)
    try:
        os.mkdir(staging, 0o777)
        if here is not None:
            made = os.lstat(staging)
            if (made.st_uid, made.st_gid) != (here.st_uid, here.st_gid):
                os.chown(staging, here.st_uid, here.st_gid)
            # After the owner: POSIX lets chown clear the set-group-ID bit.
            os.chmod(staging, stat.S_IMODE(here.st_mode))
            made = os.lstat(staging)
            if (made.st_mode, made.st_uid, made.st_gid) != (
                here.st_mode,
                here.st_uid,
                here.st_gid,
            ):  # the kernel dropped a bit, such as set-group-ID for a group not ours
                raise PermissionError
    except OSError:
        remove_staging(layout)
        return None
    return staging


def creator(staging: str, signatures: array[int] | None) -> Callable[[StrPath, bytes], None]:
    """What creates a file of calls/ (by its path there) with its bytes in ``staging``, and
    appends its signature to ``signatures``: renaming the directory changes none of them."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    join, basename, write, fstat = os.path.join, os.path.basename, os.write, os.fstat

    def create(path: StrPath, data: bytes) -> None:
        fd = os.open(join(staging, basename(path)), flags, 0o666)  # the umask's, as a new file
        try:
            view = memoryview(data)
            while view:
                view = view[write(fd, view) :]
            if signatures is not None:
                st = fstat(fd)
                signatures.extend((st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns))
        finally:
            os.close(fd)

    return create


def remove_staging(layout: Layout) -> bool:
    """Under the lock: remove what a killed first import left at ``.state/calls.new``; False
    if it is still there (the next change tries again). A link there is removed, never
    followed."""
    staging = staging_dir(layout)
    try:
        info = os.lstat(staging)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        if stat.S_ISDIR(info.st_mode):
            # Not at the top: shutil costs 16 ms to import, and only a killed first import
            # leaves a directory to remove.
            import shutil

            shutil.rmtree(staging)  # by descriptors where the system allows: links not followed
        else:
            os.unlink(staging)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True
