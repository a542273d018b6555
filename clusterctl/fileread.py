"""Reading a small regular file without trusting what its path names; paths as plain text.

The store's files and the config file are both read this way. This module needs nothing of
clusterctl but its errors, so the config can use it without importing the store.

Paths are ``str`` throughout the config and the store, never ``pathlib.Path``: importing pathlib
costs every run ~3.4 ms (it pulls in urllib.parse, ipaddress, fnmatch and ntpath). ``path_text``
and ``expand_user`` give the text pathlib would, so messages name a path as they always did;
``exists``, ``is_dir``, ``is_file``, ``is_symlink`` and ``make_dir`` behave as pathlib's methods
do (unlike ``os.path``'s, they raise a permission denied rather than say "no").
"""

from __future__ import annotations

import errno
import os
import stat

from clusterctl.errors import describe_os_error

#: The least ``read_bounded`` asks for at a time: a file that grows as it is read, or one whose
#: size fstat does not know (0 in /proc), is read in steps of this much.
_READ_STEP = 8192


class UnreadableFile(Exception):
    """A file ``read_bounded`` refuses: ``kind`` is 'directory', 'special', 'too large' or 'os';
    ``info`` is the ``fstat`` of what was refused, None for 'os' (an error of the system)."""

    def __init__(
        self, kind: str, detail: str = "", size: int = 0, info: os.stat_result | None = None
    ) -> None:
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail
        self.size = size
        self.info = info


def read_bounded(path: str | os.PathLike[str], limit: int) -> tuple[bytes, os.stat_result]:
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
            raise UnreadableFile("directory", info=info)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("special", info=info)
        chunks, size = [], 0
        while size <= limit:
            # Asked for as much as fstat says is left (and a little more, to see the end), not
            # up to the limit: os.read allocates what it is asked for, and 1 MiB for a call
            # file of 550 bytes made reading it 36 us instead of 13 (a fifth of parsing it).
            want = max(info.st_size + 1 - size, _READ_STEP)
            chunk = os.read(fd, min(limit + 1 - size, want))
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
        raise UnreadableFile("too large", size=max(len(raw), info.st_size), info=info)
    return raw, info


def path_text(path: str | os.PathLike[str]) -> str:
    """``str(pathlib.PurePosixPath(path))``: no empty or '.' parts, no doubled or trailing
    slashes (two leading ones are kept, as POSIX allows), '' as '.'; '..' stays."""
    text = os.fspath(path)
    if text.startswith("/"):
        root = "//" if text.startswith("//") and not text.startswith("///") else "/"
    else:
        root = ""
    return root + "/".join(p for p in text.split("/") if p and p != ".") or "."


def expand_user(path: str | os.PathLike[str]) -> str:
    """``str(pathlib.Path(path).expanduser())``: a leading '~' or '~user' made the home
    directory; RuntimeError, as pathlib's, when that cannot be found."""
    text = path_text(path)
    if not text.startswith("~"):
        return text
    first, _, rest = text.partition("/")
    home = os.path.expanduser(first)
    if home.startswith("~"):
        raise RuntimeError("Could not determine home directory.")
    return path_text(os.path.join(home, rest) if rest else home)


#: The errors that pathlib's ``exists`` and ``is_*`` take for "no"; any other one is raised.
_ABSENT = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def _mode(path: str | os.PathLike[str], follow_symlinks: bool = True) -> int | None:
    """The file's st_mode, or None where pathlib would say it is not there."""
    try:
        return os.stat(path, follow_symlinks=follow_symlinks).st_mode
    except OSError as exc:
        if exc.errno not in _ABSENT:
            raise
        return None
    except ValueError:  # a NUL in the path
        return None


def exists(path: str | os.PathLike[str]) -> bool:
    """``Path(path).exists()``."""
    return _mode(path) is not None


def is_dir(path: str | os.PathLike[str]) -> bool:
    """``Path(path).is_dir()``."""
    mode = _mode(path)
    return mode is not None and stat.S_ISDIR(mode)


def is_file(path: str | os.PathLike[str]) -> bool:
    """``Path(path).is_file()``."""
    mode = _mode(path)
    return mode is not None and stat.S_ISREG(mode)


def is_symlink(path: str | os.PathLike[str]) -> bool:
    """``Path(path).is_symlink()``."""
    mode = _mode(path, follow_symlinks=False)
    return mode is not None and stat.S_ISLNK(mode)


def make_dir(path: str, mode: int = 0o777, *, parents: bool = False) -> None:
    """``Path(path).mkdir(mode, parents=parents, exist_ok=True)`` for a path as ``path_text``
    writes it: a failure where a directory is (made by another process meanwhile) is none."""
    try:
        os.mkdir(path, mode)
    except FileNotFoundError:
        parent = os.path.dirname(path) or "."
        if not parents or parent == path:
            raise
        make_dir(parent, parents=True)
        make_dir(path, mode)
    except OSError:
        if not is_dir(path):
            raise
