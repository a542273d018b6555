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
from collections.abc import Callable, Iterator, Sequence

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


#: This process's part of a ``fork_parts`` with ``meanwhile``, against a worker's, unless the
#: caller gives its own (``cache.ROWS_SHARE``): with two cores an export of 100,000 calls
#: loads its remembered templates (0.17 s) while a worker takes the ``stat`` of four files in
#: five (all of them: 0.31 s on two cores, on the slower VM of 2026-12-03; 0.23 s in
#: signature.py's figure), then the rest.
MEANWHILE_SHARE = 0.25

#: How many items ``fork_map`` hands its ``ahead`` at a time.
AHEAD_STEP = 256


def fork_map(
    func: Callable[[X], R],
    items: Sequence[X],
    ahead: Callable[[Sequence[X]], object] | None = None,
) -> list[R]:
    """``[func(x) for x in items]``, in order, on every core from ``FORK_MINIMUM`` items on
    (``fork_parts``). Each process calls ``ahead`` (if given) on the next ``AHEAD_STEP`` of
    its items before it works on the present ones: to have them read ahead
    (store/readahead.py)."""

    def each(part: Sequence[X]) -> list[R]:
        if ahead is None or not part:
            return [func(x) for x in part]
        results: list[R] = []
        ahead(part[:AHEAD_STEP])
        for start in range(0, len(part), AHEAD_STEP):
            following = part[start + AHEAD_STEP : start + 2 * AHEAD_STEP]
            if following:
                ahead(following)
            results.extend([func(x) for x in part[start : start + AHEAD_STEP]])
        return results

    parts = fork_parts(each, items)
    results = parts[0]
    for k in range(1, len(parts)):
        results.extend(parts[k])
        parts[k] = []  # let go of each part once copied: 100,000 results are 0.8 MB a list
    return results


def fork_parts(
    func: Callable[[Sequence[X]], R],
    items: Sequence[X],
    weight: int = 1,
    meanwhile: Callable[[], object] | None = None,
    share: float = MEANWHILE_SHARE,
) -> list[R]:
    """``func`` of each part of ``items``, in order: one part per core, the first done by this
    process while forked workers do the others. Under ``FORK_MINIMUM * weight`` items (a
    ``weight`` for work cheaper per item than parsing a file), one part, done here.

    ``meanwhile`` (if given) is called here once the workers are on their way, before this
    process's own part, which is then smaller (``share`` of a worker's): work of this process
    that does not need the results (loading what it remembers of the files) overlaps theirs.

    ``func`` must not change anything its result does not carry back (a worker's other
    changes stay in the worker), and its results must pickle.
    """
    count = workers() if len(items) >= FORK_MINIMUM * weight else 1
    if count < 2:
        if meanwhile is not None:
            meanwhile()
        return [func(items)]
    # Not at the top: pickle takes 1.5 ms to import (see store/pickling.py), and only a read
    # of a large store forks.
    import pickle

    from clusterctl.store.pickling import dump_without_memo  # see store/pickling.py

    if meanwhile is None:
        first = size = -(-len(items) // count)
    else:
        first = int(len(items) * share / (count - 1 + share))
        size = -(-(len(items) - first) // (count - 1))
    parts = [items[:first]] + [items[i : i + size] for i in range(first, len(items), size)]
    forked: list[tuple[int, int] | None] = []  # per later part: (pid, read end), or None

    def sender(part: Sequence[X]) -> Callable[[BinaryIO], None]:
        return lambda out: dump_without_memo([func(part)], out)

    try:
        for part in parts[1:]:
            try:
                forked.append(_fork(sender(part)))
            except OSError:  # no process to spare: that part is done here
                forked.append(None)
        if meanwhile is not None:
            meanwhile()
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


def _fork(send: Callable[[BinaryIO], None]) -> tuple[int, int]:
    """Fork a worker that runs ``send`` on the write end of a pipe; its pid and the read end.

    What a worker pickles goes to the pipe as it is made, never whole in its memory.
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
                send(out)
            code = 0
        finally:
            # Never the parent's exit handlers or buffered output: only the results.
            os._exit(code)
    os.close(write_end)
    return pid, read_end


#: How many results a ``fork_ahead`` worker sends at a time.
AHEAD_BATCH = 200


@contextlib.contextmanager
def fork_ahead(func: Callable[[X], R], items: Sequence[X]) -> Iterator[tuple[Iterator[R], bool]]:
    """``func(x)`` for each of ``items``, in order, made by one forked worker from
    ``FORK_MINIMUM`` items on, ahead of this process, which meanwhile does something else with
    them (a pipeline on two cores: writing files while the worker encodes the next ones); and
    whether a worker makes them.

    The worker sends ``AHEAD_BATCH`` results at a time and waits when the pipe is full: never
    more than a few batches are held. What it does not deliver, because it failed in any way,
    is made here, so an error of ``func`` is raised here, at its item. The worker is ended
    when the block ends, however it ends; ``func`` must change nothing, as for ``fork_parts``.
    """
    worker = None
    if workers() >= 2 and len(items) >= FORK_MINIMUM:
        # Not at the top: see fork_parts.
        import pickle

        def send(out: BinaryIO) -> None:
            for start in range(0, len(items), AHEAD_BATCH):
                batch = [func(x) for x in items[start : start + AHEAD_BATCH]]
                pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)
                out.flush()  # this batch is useful now, not once the buffer is full

        with contextlib.suppress(OSError):  # no process to spare: all made here
            worker = _fork(send)
    try:
        yield _received(func, items, worker), worker is not None
    finally:
        if worker is not None:
            _stop(worker)


def _received(
    func: Callable[[X], R], items: Sequence[X], worker: tuple[int, int] | None
) -> Iterator[R]:
    """The results ``worker`` sends, then the rest made here."""
    done = 0
    if worker is not None:
        import pickle  # see fork_parts

        pipe = open(worker[1], "rb", closefd=False)  # noqa: SIM115 - _stop closes the descriptor
        while done < len(items):
            try:
                batch = pickle.load(pipe)
            except Exception:  # died, or wrote nothing usable
                break
            if not isinstance(batch, list) or len(batch) != min(AHEAD_BATCH, len(items) - done):
                break
            done += len(batch)
            yield from batch
    for k in range(done, len(items)):
        yield func(items[k])


#: How many items each turn of ``fork_turns`` takes (about 35 KB of pickled calls: a pipe's
#: 64 KB holds one while the other process takes its turn).
TURN_BATCH = 100


def fork_turns(
    func: Callable[[X], R], items: Iterator[X], again: Callable[[], Iterator[X]]
) -> Iterator[tuple[X, R | None]]:
    """Each of ``items`` with ``func`` of it as a forked worker made it, or with None: this
    process makes that one. Batch by batch, they take turns (the worker every second batch of
    ``TURN_BATCH``), so that each makes about half on its own core.

    ``again()`` gives the worker the same items as ``items`` from the start (both read them,
    only one makes each: for items that are cheap to read, dear to make). From the first batch
    the worker does not deliver, because it failed in any way (``func`` raised, too), every
    item comes with None; ``func`` must change nothing, as for ``fork_parts``.
    """
    worker = None
    if workers() >= 2:
        # Not at the top: see fork_parts.
        import pickle

        def send(out: BinaryIO) -> None:
            batch: list[R] = []
            for k, x in enumerate(again()):
                if (k // TURN_BATCH) % 2:
                    batch.append(func(x))
                    if len(batch) == TURN_BATCH:
                        pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)
                        out.flush()
                        batch = []
            if batch:
                pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)

        with contextlib.suppress(OSError):  # no process to spare: all made here
            worker = _fork(send)
    if worker is None:
        yield from ((x, None) for x in items)
        return
    import pickle  # see fork_parts

    try:
        pipe = open(worker[1], "rb", closefd=False)  # noqa: SIM115 - _stop closes the descriptor
        made: list[R] | None = []
        for k, x in enumerate(items):
            turn = k % TURN_BATCH
            if (k // TURN_BATCH) % 2 == 0 or made is None:
                yield x, None
                continue
            if turn == 0:
                try:
                    made = pickle.load(pipe)
                except Exception:  # died, or wrote nothing usable: the rest is made here
                    made = None
                if not isinstance(made, list):
                    made = None
                    yield x, None
                    continue
            yield x, made[turn] if turn < len(made) else None
    finally:
        _stop(worker)


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
    """Kill and reap a worker not read (this process is failing or interrupted), or one whose
    results are all in."""
    pid, fd = worker
    for step in (lambda: os.close(fd), lambda: os.kill(pid, 9), lambda: os.waitpid(pid, 0)):
        with contextlib.suppress(OSError):
            step()
