"""Changes to several files at once, and how the next process finishes one a crash interrupted.

A change to several files (an import) writes every temporary file, syncs them, then writes the
journal: that is the commit point. The renames follow and the journal is removed. A writer killed
in between leaves the journal, and the next process that sees it (under the lock) completes the
renames, so a crash leaves the state before or after the whole change, never a mix. A killed
writer can also leave temporary files; ``.state/writing`` says so, and only then does the next
change list ``calls/`` to remove them (listing 100,000 names would cost a write 60 ms).
Into an empty calls/, a change of many files needs no journal: it fills a fresh directory that
then takes calls/'s place (fill.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
from array import array
from collections.abc import Callable, Iterable

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.fileread import exists, path_text
from clusterctl.store import fill
from clusterctl.store.files import (
    PendingWrite,
    apply_writes,
    atomic_write,
    commit_writes,
    discard_temps,
    fsync_dir,
    sync_temps,
    write_temp,
)
from clusterctl.store.layout import SUFFIX, TEMP_NAME, Layout
from clusterctl.store.lock import LockUnavailable, flock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from clusterctl.store.files import StrPath


def commit_files(
    layout: Layout,
    contents: Iterable[tuple[StrPath, bytes]],
    count: int,
    removals: Iterable[StrPath],
    progress: Callable[[int, int], None] | None = None,
    signatures: array[int] | None = None,
    *,
    writer_thread: bool = True,
) -> bool:
    """Under the lock: write the ``count`` files of ``contents``, then remove ``removals``, as one
    change; ``progress(done, count)`` is told every 100 files and after the last. Each file's
    signature right after it took its place is appended to ``signatures``, in order. True when
    each signature was taken before its file was in calls/ (fill.py): then an edit made there
    since changed it, unless made within the clock tick of the file's own writing.

    Without ``writer_thread`` the files are written on this thread: for ``contents`` that
    another process makes ahead (forkmap.fork_ahead), the writing overlaps that process anyway,
    and a thread's unbounded queue would only let the bytes pile up where the disk is slower
    (an import of 100,000 calls peaked at 300 MB instead of 275)."""
    removed = list(removals)
    if count:
        try:
            # Before the first new file: a writer killed from here on leaves the marker, and
            # the next change sweeps. Not fsynced; see maintenance.survey_store.
            arm_sweep(layout)
        except OSError as exc:
            raise _unchanged(layout.writing_marker, exc) from None
        staging = fill.prepare(layout, count, removed)
        if staging is not None:  # into an empty calls/: no temporary twins, no journal
            _commit_filled(layout, staging, contents, count, progress, signatures, writer_thread)
            return True
    writes: list[PendingWrite] = []
    where: StrPath = layout.calls_dir
    journaled = False
    try:

        def write(path: StrPath, data: bytes) -> None:
            writes.append(write_temp(path, data))

        failed_at = _write_each(contents, count, progress, write, writer_thread)
        if failed_at is not None:
            where, error = failed_at
            raise error
        if len(writes) + len(removed) <= 1:
            commit_writes(writes, removed, signatures)
            _disarm_sweep(layout)
            return False
        where = layout.calls_dir
        sync_temps(writes)
        where = layout.journal
        journaled = True
        _write_journal(layout, writes, removed)  # the commit point of a multi-file change
    except BaseException as exc:
        discard_temps(writes)
        if journaled:  # without its temporary files the journal must never be replayed
            with contextlib.suppress(OSError):
                os.unlink(layout.journal)
        # An interrupt can land after a temporary file exists but before it is in `writes`:
        # look for it (still under the lock). A failed change is rare; this listing is too.
        _sweep_temps(layout)
        if isinstance(exc, OSError):
            raise _unchanged(where, exc) from None
        raise
    try:
        apply_writes(((w.temp, w.target) for w in writes), removed, signatures=signatures)
        os.unlink(layout.journal)
        fsync_dir(layout.state_dir)  # a journal that reappeared after a crash would replay
        _disarm_sweep(layout)
    except OSError as exc:
        raise StoreError(
            f"{layout.journal}: the change was recorded but not fully applied "
            f"({describe_os_error(exc)}); the next clusterctl command completes it"
        ) from None
    return False


def _unchanged(where: StrPath, exc: OSError) -> StoreError:
    return StoreError(f"{where}: cannot write: {describe_os_error(exc)}; the store is unchanged")


def _commit_filled(
    layout: Layout,
    staging: str,
    contents: Iterable[tuple[StrPath, bytes]],
    count: int,
    progress: Callable[[int, int], None] | None,
    signatures: array[int] | None,
    writer_thread: bool,
) -> None:
    """``commit_files`` into an empty calls/, by the fresh directory ``staging`` (fill.py)."""
    where: StrPath = staging
    try:
        create = fill.creator(staging, signatures)
        failed_at = _write_each(contents, count, progress, create, writer_thread)
        if failed_at is not None:
            where, error = failed_at
            raise error
        os.sync()  # one flush for them all, as sync_temps does for temporary files
    except BaseException as exc:
        _sweep_temps(layout)  # the fresh directory, and the marker once it is gone
        if isinstance(exc, OSError):
            raise _unchanged(where, exc) from None
        raise
    try:
        os.rename(staging, layout.calls_dir)  # the commit point: atomic over an empty one
    except OSError as exc:
        _sweep_temps(layout)
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):  # only a program taking no lock
            raise StoreError(
                f"{layout.calls_dir}: another program put files there during the import; "
                "nothing was imported, run it again"
            ) from None
        raise _unchanged(layout.calls_dir, exc) from None
    try:
        fsync_dir(layout.root)
        fsync_dir(layout.state_dir)
    except OSError as exc:
        raise StoreError(
            f"{layout.calls_dir}: the calls were written, but the system could not confirm "
            f"they are safe on the disk ({describe_os_error(exc)}); run clusterctl check"
        ) from None
    _disarm_sweep(layout)


#: From how many files on a thread writes the temporary files while this one encodes the next.
THREADED_WRITES = 100


def _write_each(
    contents: Iterable[tuple[StrPath, bytes]],
    count: int,
    progress: Callable[[int, int], None] | None,
    write: Callable[[StrPath, bytes], None],
    writer_thread: bool,
) -> tuple[StrPath, BaseException] | None:
    """``write(path, data)`` each of the ``count`` files of ``contents`` in order, telling
    ``progress`` every 100 files and after the last; from ``THREADED_WRITES`` files on a thread
    of its own (unless not ``writer_thread``). Return the path whose write failed and the
    error, else None. Errors of ``contents`` itself (a call too large) are raised here."""
    if count >= THREADED_WRITES and writer_thread:
        return _write_in_thread(contents, count, progress, write)
    for done, (path, data) in enumerate(contents, start=1):
        try:
            write(path, data)
        except OSError as exc:
            return path, exc
        if progress is not None and (done % 100 == 0 or done == count):
            progress(done, count)
    return None


def _write_in_thread(
    contents: Iterable[tuple[StrPath, bytes]],
    count: int,
    progress: Callable[[int, int], None] | None,
    write: Callable[[StrPath, bytes], None],
) -> tuple[StrPath, BaseException] | None:
    """``_write_each`` with ``write`` on a thread of its own.

    Creating a file on a disk is mostly the kernel's work, done without the GIL: on its own
    thread it overlaps the encoding of the next calls (an import of 100,000 calls on this
    project's VM, in pairs: 21.2, 22.1, 34.7, 26.4 s against 25.6, 23.5, 37.2, 32.5 s; in
    memory, on tmpfs, no difference). The queue is not bounded: a bounded one made the threads
    hand the GIL to each other at every file (33-35 s); what it holds at most is the bytes
    that put used to keep (60 MB).
    """
    # Not at the top: 6 ms of imports that only a write of many files needs.
    import queue
    import threading

    todo: queue.SimpleQueue[tuple[StrPath, bytes] | None] = queue.SimpleQueue()
    failed: list[tuple[StrPath, BaseException]] = []

    def writer() -> None:
        done = 0
        while (item := todo.get()) is not None:
            if failed:  # only empty the queue
                continue
            try:
                write(*item)
            except BaseException as exc:  # handed to the caller's thread
                failed.append((item[0], exc))
                continue
            done += 1
            if progress is not None and (done % 100 == 0 or done == count):
                progress(done, count)

    thread = threading.Thread(target=writer, name="clusterctl-writer", daemon=True)
    thread.start()
    try:
        for item in contents:
            if failed:
                break
            todo.put(item)
    finally:
        todo.put(None)
        thread.join()
    return failed[0] if failed else None


def _write_journal(layout: Layout, writes: list[PendingWrite], removals: list[StrPath]) -> None:
    # Not at the top: json takes 1.6 ms to import, and only a change to several files or the
    # recovery from a crashed one reads or writes a journal.
    import json

    root = layout.root
    prefix = root if root.endswith(os.sep) else root + os.sep
    cut = len(prefix)

    def entry(path: StrPath) -> str:
        # Relative: survives moving the store. By string, not Path.relative_to: 2.4 s of an
        # import of 100,000 calls.
        text = os.fspath(path)
        return text[cut:] if text.startswith(prefix) else text

    # One entry a line, each by the C encoder: json.dumps(indent=...) runs in Python, and for an
    # import of 100,000 calls it took 1 s and 40 MB, the peak of the import's memory. Bytes
    # from the start (json.dumps escapes all but ASCII): no second copy of the whole text.
    dumps = json.dumps
    renames = b",\n".join(dumps([entry(w.temp), entry(w.target)]).encode() for w in writes)
    removed = b",\n".join(dumps(entry(p)).encode() for p in removals)
    atomic_write(
        layout.journal,
        b'{"version": 1,\n"renames": [\n%s\n],\n"removals": [\n%s\n]}\n' % (renames, removed),
    )


def _read_journal(layout: Layout) -> tuple[list[tuple[str, str]], list[str]] | None:
    """The pending renames and removals, or None when no change is pending."""
    root = layout.root
    try:
        with open(layout.journal, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"{layout.journal}: unreadable journal: {exc}") from None
    import json  # see _write_journal

    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise StoreError(f"{layout.journal}: unreadable journal: {exc}") from None
    renames: list[tuple[str, str]] | None
    removals: list[str] | None

    def under_root(entry: str) -> str:
        # The text of Path(root) / entry, so that the checks below compare normalised paths.
        return path_text(os.path.join(root, entry))

    try:
        renames = [(under_root(t), under_root(f)) for t, f in data["renames"]]
        removals = [under_root(p) for p in data["removals"]]
    except (KeyError, TypeError, ValueError):
        renames = removals = None
    # Only ever rename a temporary twin over its own file and remove files in calls/.
    split = os.path.split
    if (
        renames is None
        or removals is None
        or not all(
            split(t)[0] == split(f)[0]
            and split(t)[1].startswith(f".{split(f)[1]}.")
            and TEMP_NAME.fullmatch(split(t)[1])
            for t, f in renames
        )
        or not all(
            split(p)[0] == layout.calls_dir and split(p)[1].endswith(SUFFIX) for p in removals
        )
    ):
        raise StoreError(
            f"{layout.journal}: malformed journal of a change; check the store by hand, "
            "then delete this file"
        )
    return renames, removals


def recover(layout: Layout) -> None:
    """Under the lock: finish a change whose writer died, and drop its temporary files."""
    pending = _read_journal(layout)
    if pending is not None:
        try:
            apply_writes(*pending, replay=True)
            os.unlink(layout.journal)
            fsync_dir(layout.state_dir)
        except OSError as exc:
            raise StoreError(
                f"{layout.journal}: cannot finish an interrupted change: {describe_os_error(exc)}"
            ) from None
    # A writer that died while writing temporary files left the marker: sweep calls/.
    if pending is not None or os.path.exists(layout.writing_marker):
        _sweep_temps(layout)


def settle(layout: Layout, timeout: float) -> None:
    """Before a read: if a change is half applied, wait for it or finish it (crashed writer)."""
    if not exists(layout.journal):
        return
    try:
        with flock(layout, timeout):
            recover(layout)
        return
    except LockUnavailable as exc:
        problem = str(exc)
    # This process cannot write the store: wait for a live writer, then look again.
    with contextlib.suppress(StoreError), flock(layout, timeout, shared=True):
        pass
    if exists(layout.journal):
        raise StoreError(
            f"{layout.journal}: a change to the store was interrupted and cannot be "
            f"finished by this process ({problem}); run clusterctl check as a user who "
            "can write the store"
        )


def _sweep_temps(layout: Layout) -> None:
    """Under the lock: remove temporary files from calls/, then the marker that asked for it.

    Under the lock no other writer is between writing a temporary file and renaming it. The
    marker stays if anything could not be removed, so that the next change tries again.
    """
    swept = fill.remove_staging(layout)
    try:
        names = os.listdir(layout.calls_dir)
    except FileNotFoundError:
        names = []
    except OSError:
        return
    for name in names:
        if name.startswith(".") and TEMP_NAME.fullmatch(name):
            try:
                os.unlink(os.path.join(layout.calls_dir, name))
            except FileNotFoundError:
                pass
            except OSError:
                swept = False
    if swept:
        _disarm_sweep(layout)


def arm_sweep(layout: Layout) -> None:
    """Make the next change remove temporary files from calls/ (they may be left behind)."""
    os.close(os.open(layout.writing_marker, os.O_WRONLY | os.O_CREAT, 0o644))


def _disarm_sweep(layout: Layout) -> None:
    # Never an error: the change is done, and a marker left behind costs one listing later.
    with contextlib.suppress(OSError):
        os.unlink(layout.writing_marker)
