#!/usr/bin/env python3
"""One command's run in-process (imports and work, not the interpreter's start), for builds
side by side.

    python benchmarks/inprocess.py benchmarks/work/session-1000 \\
        --build before=/path/to/older/checkout --build after=. [--rounds 15] -- calls --open

Each round runs every build once, in turn, in a fresh interpreter of this Python started in the
root directory (``python -m`` or a script in a checkout would import that checkout whatever
PYTHONPATH says), with the build first on PYTHONPATH, bytecode written, the session's store and
a cache directory of each build's own; the first two rounds warm the caches and are not counted.
The child times ``clusterctl.__main__.main()`` from before its first import to its return.
Prints the median and quartiles of each build, in milliseconds, and the command.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import tools

#: Run in the child: main() timed, its output discarded, the milliseconds on stdout.
CHILD = tools.main_in_child(
    "import time\nstart = time.perf_counter()", "print((time.perf_counter() - start) * 1000)"
)

WARM_UP = 2


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = tools.trees_parser(__doc__, rounds=15)
    parser.add_argument("command", nargs="+", help="the clusterctl command line, after --")
    return parser.parse_args(argv)


def run_once(session: Path, source: Path, cache: Path, command: list[str]) -> float:
    """Milliseconds of one in-process run of ``command`` by the build in ``source``."""
    env = {**tools.tree_env(session, source, cache), "NO_COLOR": "1"}
    store = str((session / "store").resolve())
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "--store", store, *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    return float(done.stdout.split()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    builds = tools.trees(args.build)
    with tempfile.TemporaryDirectory(prefix="inprocess-") as scratch:
        results: dict[str, list[float]] = {name: [] for name, _ in builds}
        for round_ in range(WARM_UP + args.rounds):
            order = builds if round_ % 2 == 0 else builds[::-1]
            for name, source in order:
                took = run_once(args.session, source, Path(scratch, name), args.command)
                if round_ >= WARM_UP:
                    results[name].append(took)
    print(f"`clusterctl {shlex.join(args.command)}` in-process, {args.rounds} interleaved rounds")
    print()
    print("| build | median ms | quartiles |")
    print("|---|---|---|")
    for name, values in results.items():
        low, _, high = statistics.quantiles(values, n=4)
        print(f"| {name} | {statistics.median(values):.1f} | {low:.1f}-{high:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
