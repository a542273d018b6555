#!/usr/bin/env python3
"""Whole commands of two or more installed builds, interleaved, piped and on a terminal.

    python benchmarks/pairs.py benchmarks/work/session-100000 \\
        --build before=/venv-a/bin/clusterctl --build after=/venv-b/bin/clusterctl \\
        [--rounds 11] [--where piped,terminal] -- calls --open

Each round runs the command once with each build, in turn, through ``tools.Spawner`` (as
``run.py`` times its rows): piped to /dev/null, then on a pseudo-terminal of ``run.py``'s size
(``tools.TERMINAL``, colour allowed, ``TERM=xterm-256color``). Every build reads the session's
store with a summary cache of its own, copied once from the session's. The first round is a
warm-up. Prints the median and quartiles of each build's wall time per place, and the bytes
each build showed on the terminal (equal bytes: the same table). Read-only commands only: a
command that writes would change the store the next build reads.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import tools

PLACES = ("piped", "terminal")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = tools.trees_parser(
        __doc__,
        rounds=11,
        metavar="NAME=EXE",
        build_help="a build: a name and its clusterctl executable (give two or more)",
    )
    parser.add_argument(
        "--where", default="piped,terminal", help="piped, terminal or both (the default)"
    )
    parser.add_argument("command", nargs="+", help="the clusterctl command, after --")
    args = parser.parse_args(argv)
    places = args.where.split(",")
    if not places or any(place not in PLACES for place in places):
        parser.error(f"--where takes {' and/or '.join(PLACES)}, comma-separated")
    if any("=" not in build for build in args.build) or len(args.build) < 2:
        parser.error("give --build NAME=EXE at least twice")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.places = places
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    session: Path = args.session.resolve()
    store = session / "store"
    if not store.is_dir():
        sys.exit(f"pairs.py: {store} is not a store; make the session with run.py first")
    builds = {name: str(exe) for name, exe in tools.trees(args.build)}
    envs = {}
    for name in builds:
        cache = session / f"pairs-cache-{name}"
        if not cache.exists():
            shutil.copytree(session / "cache", cache)
        envs[name] = tools.clusterctl_env(cache)
    times: dict[tuple[str, str], list[float]] = {(n, p): [] for p in args.places for n in builds}
    shown: dict[str, int] = {}
    spawner = tools.Spawner()
    try:
        for round_ in range(args.rounds + 1):  # round 0: the warm-up
            for place in args.places:
                for name, exe in builds.items():
                    terminal = place == "terminal"
                    env = tools.terminal_env(envs[name]) if terminal else envs[name]
                    argv = [exe, "--store", str(store), *args.command]
                    run = spawner.run(argv, env, pty=terminal).must(f"{name}: {' '.join(argv)}")
                    if round_:
                        times[name, place].append(run.seconds)
                    if terminal:
                        shown[name] = run.shown_bytes
    finally:
        spawner.close()
    print(f"`clusterctl {' '.join(args.command)}` on {session.name}, {args.rounds} rounds")
    for (name, place), values in times.items():
        median = statistics.median(values) * 1000
        low, high = _quartiles(values)
        print(f"{place:8} {name}: {median:,.0f} ms ({low * 1000:,.0f}-{high * 1000:,.0f})")
    for name, count in shown.items():
        print(f"shown on the terminal by {name}: {count:,} bytes")
    return 0


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    quartiles = statistics.quantiles(values, n=4)
    return quartiles[0], quartiles[2]


if __name__ == "__main__":
    sys.exit(main())
