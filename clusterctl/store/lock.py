"""Advisory locks (flock) on files in ``.state/``.

A change holds ``.state/lock`` across its whole read-modify-write and ``warn`` holds
``.state/warn.lock``; readers never lock, except to finish a change that a crashed writer left.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from clusterctl.errors import LockTimeoutError, StoreError, describe_os_error
from clusterctl.fileread import make_dir
from clusterctl.store.layout import LOCK, Layout


class LockUnavailable(StoreError):
    """The lock file cannot be opened (a read-only store, for instance)."""


@contextlib.contextmanager
def flock(
    layout: Layout,
    timeout: float,
    name: str = LOCK,
    what: str = "the store",
    *,
    shared: bool = False,
) -> Iterator[None]:
    """Hold ``.state/<name>``: exclusive to change, ``shared`` only to wait for a writer.

    LockTimeoutError after ``timeout`` seconds; LockUnavailable if the lock file cannot be opened.
    """
    # Not at the top: fcntl takes 0.3 ms to import, and a read locks only to finish a crashed
    # change.
    import fcntl

    path = os.path.join(layout.state_dir, name)
    try:
        if shared:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        else:
            make_dir(layout.state_dir, parents=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        raise LockUnavailable(
            f"{layout.root}: cannot change the store: {describe_os_error(exc)}"
        ) from None
    locked = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(path)
                    raise LockTimeoutError(
                        f"{path}: {what} is locked by another clusterctl process"
                        f"{f' (pid {holder})' if holder else ''} for more than "
                        f"{timeout:g} s; try again or raise --lock-timeout"
                    ) from None
                time.sleep(0.02)
        # The lock dies with its holder (flock), so a crashed process never blocks others.
        if not shared:
            with contextlib.suppress(OSError):  # only informative; a full disk must not fail
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
        locked = not shared
        yield
    finally:
        if locked:  # still holding the lock here, so no later holder's pid is erased
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        os.close(fd)


def _read_pid(path: str) -> str:
    try:
        with open(path) as handle:  # the locale's encoding, as Path.read_text()
            return handle.read().strip()
    except OSError:
        return ""
