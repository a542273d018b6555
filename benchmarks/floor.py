#!/usr/bin/env python3
"""What one file per call costs this machine before clusterctl does any work of its own.

    python benchmarks/floor.py --files 100000 --dir /tmp [--size 550] [--runs 3]
        [--store STORE [--drop-page-cache]] [--json CALLS.json] [--shown CMD]

Creates ``--files`` files of ``--size`` bytes in a fresh directory under ``--dir`` (what any
import of that many calls must do, in the least work: no temporary names, no renames, no
sync), then the same number again each under a temporary name renamed into place (the least
an import that never leaves a half-written call file can do; still no sync), then looks at
each by name (``os.stat``, what validating the summary cache costs a listing) and reads each
(what re-reading them costs). Prints seconds per step, the median of ``--runs`` rounds with
min-max; each round works in its own directory, removed afterwards.

``--store`` also reads every call file of a real store and parses it with tomli, the compiled
TOML parser: what any listing with no cache must do before validating a single call; then
parses them as clusterctl does ("our parse": the form it writes is read without tomli). With
``--drop-page-cache`` (root, Linux) it also reads them from the disk, as after a reboot: one
after the other, and asked for ahead first (what ``store/readahead.py`` does).
``--json`` times decoding a ``calls --format json`` file with the standard library's C
decoder, what an import must do before writing a single call. ``--shown CMD`` runs the command
once on a pseudo-terminal of run.py's size, keeps what it showed, then times that command and
``cat`` of those bytes there, as run.py times "on a terminal": what showing them costs alone.

The store keeps one plain TOML file per call on purpose (hand-editable, merge-clean), so these
are floors a one-file peer such as Taskwarrior does not pay.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence

import tools


def create(directory: str, name: str, data: bytes) -> None:
    """Create the file ``name`` in ``directory`` holding ``data``: no temporary name, no sync."""
    fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, data)
    os.close(fd)


def one_round(base: str, files: int, size: int) -> dict[str, float]:
    """Seconds to create (plainly, then by rename), stat and read ``files`` files of ``size``
    bytes in new directories."""
    directory = tempfile.mkdtemp(prefix="clusterctl-floor-", dir=base)
    renamed = tempfile.mkdtemp(prefix="clusterctl-floor-", dir=base)
    names = [f"CALL-{n:06d}.toml" for n in range(files)]
    data = b"x" * size
    try:
        start = time.perf_counter()
        for name in names:
            create(directory, name, data)
        created = time.perf_counter()
        for name in names:
            temp = f".{name}.tmp"
            create(renamed, temp, data)
            os.rename(os.path.join(renamed, temp), os.path.join(renamed, name))
        by_rename = time.perf_counter()
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            for name in names:
                os.stat(name, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        statted = time.perf_counter()
        for name in names:
            with open(os.path.join(directory, name), "rb") as handle:
                handle.read()
        read = time.perf_counter()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(renamed, ignore_errors=True)
    return {
        "create": created - start,
        "rename": by_rename - created,
        "stat": statted - by_rename,
        "read": read - statted,
    }


def parse_round(store: str) -> dict[str, float]:
    """Seconds to read every call file of ``store``, to parse them all with tomli, and to parse
    them as clusterctl does (``tomlparse.parse_toml_text``: the form it writes read directly)."""
    import tomli

    from clusterctl.tomlparse import parse_toml_text

    calls = os.path.join(store, "calls")
    start = time.perf_counter()
    texts = []
    for name in os.listdir(calls):
        if name.endswith(".toml"):
            with open(os.path.join(calls, name), "rb") as handle:
                texts.append(handle.read().decode("utf-8"))
    read = time.perf_counter()
    for text in texts:
        tomli.loads(text)
    parsed = time.perf_counter()
    for text in texts:
        parse_toml_text(text)
    return {
        "store read": read - start,
        "store parse": parsed - read,
        "our parse": time.perf_counter() - parsed,
    }


def cold_read_round(store: str) -> dict[str, float]:
    """Seconds to read every call file of ``store`` from the disk (the page cache emptied
    first): one after the other; then, emptied again, asking for all of them first
    (``posix_fadvise(WILLNEED)``, which queues the reads and returns) and reading them after."""
    calls = os.path.join(store, "calls")
    names = sorted(n for n in os.listdir(calls) if n.endswith(".toml"))
    dir_fd = os.open(calls, os.O_RDONLY)

    def read_all() -> None:
        for name in names:
            fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
            os.read(fd, 1 << 16)
            os.close(fd)

    try:
        tools.drop_page_cache()
        start = time.perf_counter()
        read_all()
        plain = time.perf_counter() - start
        tools.drop_page_cache()
        start = time.perf_counter()
        for name in names:
            fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            os.close(fd)
        asked = time.perf_counter()
        read_all()
        read = time.perf_counter()
    finally:
        os.close(dir_fd)
    return {"disk read": plain, "disk ask": asked - start, "then read": read - asked}


def json_round(path: str) -> dict[str, float]:
    """Seconds to read and decode a JSON file with the standard library."""
    start = time.perf_counter()
    with open(path, "rb") as handle:
        json.loads(handle.read())
    return {"json decode": time.perf_counter() - start}


def shown_round(command: str, spawner: tools.Spawner, shown: str) -> dict[str, float]:
    """Seconds of ``command`` and of ``cat`` of what it showed (``shown``), each on a
    pseudo-terminal of run.py's size, its colour allowed."""
    env = tools.terminal_env(dict(os.environ))
    ran = spawner.run(shlex.split(command), env, pty=True).must(command)
    cat = spawner.run(["cat", shown], env, pty=True).must("cat")
    return {"command shown": ran.seconds, "cat shown": cat.seconds}


def capture_shown(command: str, spawner: tools.Spawner) -> str:
    """A file holding what ``command`` shows on a pseudo-terminal of run.py's size."""
    fd, path = tempfile.mkstemp(prefix="clusterctl-floor-shown-")
    os.close(fd)
    env = tools.terminal_env(dict(os.environ))
    try:
        spawner.run(shlex.split(command), env, pty=True, keep=path).must(command)
    except BaseException:
        os.unlink(path)
        raise
    with open(path, "rb+") as handle:
        # The terminal turned each newline into \r\n; cat's would again.
        data = handle.read().replace(b"\r\n", b"\n")
        handle.seek(0)
        handle.write(data)
        handle.truncate()
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000, help="how many files")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where to make them")
    parser.add_argument("--size", type=int, default=550, help="bytes per file (the data's mean)")
    parser.add_argument("--runs", type=int, default=3, help="rounds")
    parser.add_argument("--store", help="a store whose call files to read and parse")
    parser.add_argument("--json", help="a calls --format json file to decode")
    parser.add_argument(
        "--shown", metavar="CMD", help="a command whose showing on a terminal to time"
    )
    parser.add_argument(
        "--drop-page-cache",
        action="store_true",
        help="with --store, also read its files from the disk (root, Linux: empties the page "
        "cache), one after the other and asked for ahead",
    )
    args = parser.parse_args(argv)
    rounds = []
    spawner = tools.Spawner() if args.shown else None
    shown = ""
    try:
        if spawner:
            shown = capture_shown(args.shown, spawner)
            print(f"{args.shown}: {os.path.getsize(shown):,} bytes shown")
        for _ in range(args.runs):
            found = one_round(args.dir, args.files, args.size)
            if spawner:
                found.update(shown_round(args.shown, spawner, shown))
            if args.store:
                found.update(parse_round(args.store))
                if args.drop_page_cache:
                    found.update(cold_read_round(args.store))
            if args.json:
                found.update(json_round(args.json))
            rounds.append(found)
    finally:
        if spawner:
            spawner.close()
        if shown:
            os.unlink(shown)
    print(f"{args.files:,} files of {args.size} bytes in {args.dir}, {args.runs} rounds:")
    for step in rounds[0]:
        values = [r[step] for r in rounds]
        low, high = min(values), max(values)
        print(f"  {step:13} {statistics.median(values):7.2f} s ({low:.2f}-{high:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
