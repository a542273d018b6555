"""Reading many call files on every core: forked workers for the cold reads of a large store.

Parsing is CPU work that one Python process does on one core (at 100,000 calls, the first
JSON export after an import parsed for 22 s). ``fork_map`` splits such work across forked
copies of the process, which need nothing passed to them (a fork inherits every closure), and
takes their results back through a pipe. It is only ever an accelerator: a worker that fails
in any way leaves its part to this process, so a result is never wrong or missing, only slower.
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
    """``[func(x) for x in items]``, in order; from ``FORK_MINIMUM`` items on, the items after
    the first part are done by forked workers, one part each, while this process does the first.

    ``func`` must not change anything a worker's result does not carry back (a worker's other
    changes stay in the worker) and its results must pickle.
    """
    count = workers() if len(items) >= FORK_MINIMUM else 1
    if count < 2:
        return [func(x) for x in items]
    # Not at the top: pickle takes 3 ms to import, and only a cold read of a large store forks.
    import pickle

    size = -(-len(items) // count)
    parts = [items[i : i + size] for i in range(0, len(items), size)]
    forked: list[tuple[int, int] | None] = []  # per later part: (pid, read end), or None
    try:
        for part in parts[1:]:
            try:
                forked.append(_fork(func, part, pickle.dumps))
            except OSError:  # no process to spare: that part is done here
                forked.append(None)
        results = [func(x) for x in parts[0]]
        for k, part in enumerate(parts[1:]):
            worker, forked[k] = forked[k], None
            done = None if worker is None else _collect(worker, pickle.load)
            if done is None or len(done) != len(part):  # the worker failed: done here
                done = [func(x) for x in part]
            results.extend(done)
        return results
    finally:
        for worker in forked:
            if worker is not None:
                _stop(worker)


def _fork(
    func: Callable[[X], R], part: Sequence[X], dumps: Callable[[list[R]], bytes]
) -> tuple[int, int]:
    """Fork a worker that writes the pickled results of ``part`` to a pipe; its pid and the
    read end."""
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
            data = dumps([func(x) for x in part])
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
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
    return done if status == 0 else None


def _stop(worker: tuple[int, int]) -> None:
    """Kill and reap a worker not read (this process is failing or interrupted)."""
    pid, fd = worker
    for step in (lambda: os.close(fd), lambda: os.kill(pid, 9), lambda: os.waitpid(pid, 0)):
        with contextlib.suppress(OSError):
            step()
