#!/usr/bin/env python3
"""What one file per call costs this machine before clusterctl does any work of its own.

    python benchmarks/floor.py --files 100000 --dir /tmp [--size 550] [--runs 3]

Creates ``--files`` files of ``--size`` bytes in a fresh directory under ``--dir`` (what any
import of that many calls must do, in the least work: no temporary names, no renames, no
sync), then looks at each by name (``os.stat``, what validating the summary cache costs a
listing) and reads each (what re-reading them costs). Prints seconds per step, the median of
``--runs`` rounds with min-max; each round works in its own directory, removed afterwards.
The store keeps one plain TOML file per call on purpose (hand-editable, merge-clean), so these
are floors a one-file peer such as Taskwarrior does not pay.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence


def one_round(base: str, files: int, size: int) -> dict[str, float]:
    """Seconds to create, stat and read ``files`` files of ``size`` bytes in a new directory."""
    directory = tempfile.mkdtemp(prefix="clusterctl-floor-", dir=base)
    names = [f"CALL-{n:06d}.toml" for n in range(files)]
    data = b"x" * size
    try:
        start = time.perf_counter()
        for name in names:
            fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)
        created = time.perf_counter()
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
    return {"create": created - start, "stat": statted - created, "read": read - statted}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000, help="how many files")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where to make them")
    parser.add_argument("--size", type=int, default=550, help="bytes per file (the data's mean)")
    parser.add_argument("--runs", type=int, default=3, help="rounds")
    args = parser.parse_args(argv)
    rounds = [one_round(args.dir, args.files, args.size) for _ in range(args.runs)]
    print(f"{args.files:,} files of {args.size} bytes in {args.dir}, {args.runs} rounds:")
    for step in ("create", "stat", "read"):
        values = [r[step] for r in rounds]
        print(
            f"  {step:6} {statistics.median(values):7.2f} s ({min(values):.2f}-{max(values):.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
