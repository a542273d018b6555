"""Work on every file of a large store on every core: forked workers.

Parsing is CPU work that one Python process does on one core (at 100,000 calls, the first
JSON export after an import parsed for 22 s), and even the ``stat`` of every file, which every
listing takes, is 0.4 s of one core. ``fork_parts`` splits such work across forked copies of the
process, which need nothing passed to them (a fork inherits every closure), and takes their
results back through a pipe. It is only ever an accelerator: a worker that fails in any way
leaves its part to this process, so a result is never wrong or missing, only slower.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO, TypeVar

    X = TypeVar("X")
    R = TypeVar("R")

#: Below this many items the work (0.1-0.2 ms a file) does not pay for forking a process.
FORK_MINIMUM = 2000

#: At most this many processes in all: each holds its part of the results until it is read.
MAX_WORKERS = 4


def workers() -> int:
    """How many processes ``fork_map`` uses: the cores this process may run on, at most
    ``MAX_WORKERS``; 1 where there is no fork."""
    if not hasattr(os, "fork"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def fork_map(func: Callable[[X], R], items: Sequence[X]) -> list[R]:
    """``[func(x) for x in items]``, in order, on every core from ``FORK_MINIMUM`` items on
    (``fork_parts``)."""

    def each(part: Sequence[X]) -> list[R]:
        return [func(x) for x in part]

    parts = fork_parts(each, items)
    results = parts[0]
    for k in range(1, len(parts)):
        results.extend(parts[k])
        parts[k] = []  # let go of each part once copied: 100,000 results are 0.8 MB a list
    return results


def fork_parts(func: Callable[[Sequence[X]], R], items: Sequence[X], weight: int = 1) -> list[R]:
    """``func`` of each part of ``items``, in order: one part per core, the first done by this
    process while forked workers do the others. Under ``FORK_MINIMUM * weight`` items (a
    ``weight`` for work cheaper per item than parsing a file), one part, done here.

    ``func`` must not change anything its result does not carry back (a worker's other
    changes stay in the worker), and its results must pickle.
    """
    count = workers() if len(items) >= FORK_MINIMUM * weight else 1
    if count < 2:
        return [func(items)]
    # Not at the top: pickle takes 1.5 ms to import (see store/pickling.py), and only a read
    # of a large store forks.
    import pickle

    from clusterctl.store.pickling import dump_without_memo  # see store/pickling.py

    size = -(-len(items) // count)
    parts = [items[i : i + size] for i in range(0, len(items), size)]
    forked: list[tuple[int, int] | None] = []  # per later part: (pid, read end), or None
    try:
        for part in parts[1:]:
            try:
                forked.append(_fork(func, part, dump_without_memo))
            except OSError:  # no process to spare: that part is done here
                forked.append(None)
        results = [func(parts[0])]
        for k, part in enumerate(parts[1:]):
            worker, forked[k] = forked[k], None
            done = None if worker is None else _collect(worker, pickle.load)
            results.append(func(part) if done is None else done[0])  # failed: done here
        return results
    finally:
        for worker in forked:
            if worker is not None:
                _stop(worker)


def _fork(
    func: Callable[[Sequence[X]], R],
    part: Sequence[X],
    dump: Callable[[list[R], BinaryIO], None],
) -> tuple[int, int]:
    """Fork a worker that writes ``[func(part)]`` pickled to a pipe; its pid and the read end.

    Pickled without the pickler's memo (``dump``): the results hold nothing shared, and the
    pickle is written to the pipe as it is made, never whole in the worker's memory.
    """
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # pragma: no cover - runs in the worker, which never returns
        code = 1
        try:
            os.close(read_end)
            with open(write_end, "wb") as out:
                dump([func(part)], out)
            code = 0
        finally:
            # Never the parent's exit handlers or buffered output: only the results.
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _collect(worker: tuple[int, int], load: Callable[[BinaryIO], list[R]]) -> list[R] | None:
    """The results of ``worker``, or None if it failed in any way; it is reaped."""
    pid, fd = worker
    try:
        with open(fd, "rb") as pipe:
            done = load(pipe)  # streamed: never the whole part as bytes as well
    except Exception:  # died, or wrote nothing usable
        done = None
    _, status = os.waitpid(pid, 0)
    return done if status == 0 and isinstance(done, list) and len(done) == 1 else None


def _stop(worker: tuple[int, int]) -> None:
    """Kill and reap a worker not read (this process is failing or interrupted)."""
    pid, fd = worker
    for step in (lambda: os.close(fd), lambda: os.kill(pid, 9), lambda: os.waitpid(pid, 0)):
        with contextlib.suppress(OSError):
            step()
