"""Reading a small regular file without trusting what its path names.

The store's files and the config file are both read this way. This module needs nothing of
clusterctl but its errors, so the config can use it without importing the store.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from clusterctl.errors import describe_os_error


class UnreadableFile(Exception):
    """A file ``read_bounded`` refuses: ``kind`` is 'directory', 'special', 'too large' or 'os'."""

    def __init__(self, kind: str, detail: str = "", size: int = 0) -> None:
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail
        self.size = size


def read_bounded(path: str | Path, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes and stat of a regular file of at most ``limit`` bytes.

    FileNotFoundError if it is absent; UnreadableFile for anything else that goes wrong.
    """
    try:
        # O_NONBLOCK: a FIFO named like the file must not hang the program; fstat rejects it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnreadableFile("os", describe_os_error(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile("directory")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("special")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        raw = b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile("os", describe_os_error(exc)) from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise UnreadableFile("too large", size=max(len(raw), info.st_size))
    return raw, info
