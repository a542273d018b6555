"""Asking the kernel to read call files ahead when they are not in memory yet.

A run that reads every call file (no cache, ``check``, the first JSON export after an import)
reads them one after the other, each worker waiting on the disk for each file that is not in
the page cache: after a reboot, or once the kernel let the store's pages go. On this project's
VM, with the page cache emptied, 100,000 call files took 8.3-8.5 s to read one after the other,
and 2.6-2.9 s when their reads were first asked for with ``posix_fadvise(WILLNEED)``, which
queues them and returns (``benchmarks/floor.py --drop-page-cache``).
Asking costs about 3 us a file when the files are in memory already, so a batch is asked for
only when its last file is not (a read with ``RWF_NOWAIT``, which fails rather than wait).

Only ever an accelerator: anything that goes wrong here leaves the files to be read as before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

# Never blocking, even on a FIFO put in the file's place: opening one without a writer waits.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = _OPEN_FLAGS | getattr(os, "O_DIRECTORY", 0)
#: Linux only: the advice, and the read that says whether the disk would be waited for.
AVAILABLE = hasattr(os, "posix_fadvise") and hasattr(os, "RWF_NOWAIT")


def advise(calls_dir: str, names: Sequence[str]) -> int:
    """Ask the kernel to read the files ``names`` of ``calls_dir`` into memory, unless the
    last of them is there already; how many files were asked for."""
    if not names or not AVAILABLE:
        return 0
    try:
        dir_fd = os.open(calls_dir, _DIR_FLAGS)
    except (OSError, ValueError):  # gone, not a directory (a NUL in it: ValueError)
        return 0
    try:
        if in_memory(names[-1], dir_fd):
            return 0
        asked = 0
        for name in names:
            try:
                fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
            except (OSError, ValueError):  # gone, unreadable, a NUL: its reader will say so
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
                asked += 1
            except OSError:  # not a regular file: its reader will say so
                pass
            finally:
                os.close(fd)
        return asked
    finally:
        os.close(dir_fd)


def in_memory(name: str, dir_fd: int) -> bool:
    """False when reading the first byte of the file ``name`` would wait for the disk; True
    when it would not, and when that cannot be told (nothing is then asked for)."""
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except (OSError, ValueError):
        return True
    try:
        os.preadv(fd, [bytearray(1)], 0, os.RWF_NOWAIT)
        return True
    except BlockingIOError:
        return False
    except OSError:  # a kernel or file system without RWF_NOWAIT, a directory...
        return True
    finally:
        os.close(fd)
