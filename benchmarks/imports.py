#!/usr/bin/env python3
"""``import`` of a data set into a fresh store by two or more installed builds, interleaved.

    python benchmarks/imports.py benchmarks/work/data-n100000-seed20261125-2026-11-25 \\
        --build before=/venv-a/bin/clusterctl --build after=/venv-b/bin/clusterctl \\
        [--rounds 5] [--dir benchmarks/work/imports] [--floor]

Each round imports the data set's ``calls.json`` with each build in turn, each into a new store
(and summary cache) under ``--dir``, timed through ``tools.Spawner`` as ``run.py`` times its
import: wall time and peak memory. The builds take turns going first (ABBA), since what one
import leaves the disk to do slows the next. Each store is checked (every call there, ``check``
clean) and kept until the end: removing 100,000 files slows the disk for a while after it
returns: ext4 without a journal, as on this project's VM, passes over every inode freed in the
last minutes when it makes a new one (``recently_deleted``, a third of perf's samples of an
import of 10,000 calls started right after a store of 100,000 was removed). Run it minutes
after removing many files, for the same reason. The file system is synced before each import.
With ``--floor`` each round also times ``floor.py``'s two ways of creating that many files
(plainly; under a temporary name renamed into place) in the same place, kept as the stores
are: the disk's part of any import at that moment.
Prints the median and min-max of each build, and each round's figures in order.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import floor
import tools


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a data set made by generate.py")
    parser.add_argument(
        "--build", action="append", required=True, metavar="NAME=EXE", help="a build (two or more)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument(
        "--dir", type=Path, default=tools.WORK / "imports", help="where the stores are made"
    )
    parser.add_argument("--floor", action="store_true", help="also time floor.py's creates")
    return parser.parse_args(argv)


def one_import(spawner: tools.Spawner, data: Path, target: Path, exe: str) -> tools.Run:
    """Import ``data`` into a new store in ``target``, and check it."""
    argv, env = tools.clusterctl_import(data, target, [exe])
    run = spawner.run(argv, env).must(f"import by {exe}")
    expected = json.loads((data / "manifest.json").read_text(encoding="utf-8"))["key"]["calls"]
    found = len(os.listdir(target / "store" / "calls"))
    if found != expected:
        raise tools.CommandFailed(f"{exe}: {found} call files after the import, not {expected}")
    tools.capture([exe, "--store", str(target / "store"), "check"], env)
    os.sync()
    return run


def _floor(base: Path, count: int) -> dict[str, float]:
    """``floor.py``'s creates (plainly; by a temporary name renamed), in directories kept until
    the end, as the stores are."""
    times = {}
    for way in ("create", "rename"):
        directory = tempfile.mkdtemp(prefix=f"import-floor-{way}-", dir=base)
        data = b"x" * 550
        start = time.perf_counter()
        for n in range(count):
            name = f"CALL-{n:06d}.toml"
            if way == "create":
                floor.create(directory, name, data)
            else:
                floor.create(directory, f".{name}.tmp", data)
                os.rename(os.path.join(directory, f".{name}.tmp"), os.path.join(directory, name))
        times[way] = time.perf_counter() - start
    return times


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    args.data, args.dir = args.data.resolve(), args.dir.resolve()  # the spawner runs elsewhere
    builds = [(name, str(exe)) for name, exe in tools.trees(args.build)]
    args.dir.mkdir(parents=True, exist_ok=True)
    count = json.loads((args.data / "manifest.json").read_text(encoding="utf-8"))["key"]["calls"]
    spawner = tools.Spawner()
    seconds: dict[str, list[float]] = {name: [] for name, _ in builds}
    peaks: dict[str, list[int]] = {name: [] for name, _ in builds}
    floors: dict[str, list[float]] = {"create": [], "rename": []}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        os.sync()
        for n in range(args.rounds):
            line = []
            for name, exe in builds if n % 2 == 0 else builds[::-1]:
                target = Path(tempfile.mkdtemp(prefix=f"import-{name}-", dir=args.dir))
                run = one_import(spawner, args.data, target, exe)
                seconds[name].append(run.seconds)
                peaks[name].append(run.peak_kb)
                line.append(f"{name} {run.seconds:.1f} s")
            if args.floor:
                times = _floor(args.dir, count)
                os.sync()
                for key in floors:
                    floors[key].append(times[key])
                line.append(f"floor create {times['create']:.1f} s, rename {times['rename']:.1f} s")
            print(f"round {n + 1}: " + ", ".join(line), flush=True)
    finally:
        spawner.close()
        for made in args.dir.glob("import-*"):
            shutil.rmtree(made)
    print(f"\nimport of {count:,} calls, {args.rounds} interleaved rounds from {started}:")
    for name, exe in builds:
        print(
            f"  {name:10} {_spread(seconds[name])}, peak {max(peaks[name]) // 1024} MB"
            f"   ({exe} --store STORE import {args.data / 'calls.json'})"
        )
    if args.floor:
        for key, values in floors.items():
            print(f"  floor {key:6} {_spread(values)}   (floor.py --files {count} --runs 1)")


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


if __name__ == "__main__":
    main()
