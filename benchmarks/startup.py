"""Start-up of two clusterctl builds side by side: ``--version``, ``show``, ``calls``, ``add``.

Each build is a source tree run as ``python -m clusterctl`` with the tree first on PYTHONPATH, by
the same interpreter, so only the code differs. Rounds are interleaved (the order of the two
builds alternates); each build works on its own copy of the store (and its own cache), and
``add`` adds a new call each round. Reported per command: the median and min-max of
the child's wall time and CPU time (user + sys, from ``os.wait4``) and the new/old ratio.

    git worktree add /tmp/clusterctl-old <commit>
    python benchmarks/startup.py --old /tmp/clusterctl-old --new . --rounds 25
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

COMMANDS: dict[str, list[str]] = {
    "--version": ["--version"],
    "show": ["show", "ESCP-S3-EOI", "--at", "2018-01-01"],
    "calls": ["calls", "--at", "2018-01-01"],
    "add": ["add", "STARTUP-{n}", "--title", "Start-up probe", "-d", "2030-03-01"],
}


def run_once(tree: Path, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one ``python -m clusterctl argv`` from ``tree``."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "clusterctl", *argv],
        env={**env, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tempfile.gettempdir(),
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = (time.perf_counter() - started) * 1000
    assert child.stderr is not None
    if status != 0:
        raise SystemExit(f"{tree}: clusterctl {' '.join(argv)} failed: {child.stderr.read()!r}")
    child.stderr.close()
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the old build's source tree")
    parser.add_argument("--new", type=Path, default=Path.cwd(), help="the new build's tree")
    parser.add_argument("--store", type=Path, help="store to copy (default: OLD/data)")
    parser.add_argument("--rounds", type=int, default=25, help="timed rounds (default 25)")
    args = parser.parse_args(argv)
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    work = Path(tempfile.mkdtemp(prefix="clusterctl-startup-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(NO_COLOR="1", CLUSTERCTL_CONFIG=str(work / "no-config.toml"))
    stores, envs = {}, {}
    for name in trees:
        stores[name] = work / name / "store"
        shutil.copytree(args.store or trees["old"] / "data", stores[name])
        envs[name] = {**env, "CLUSTERCTL_CACHE_DIR": str(work / name / "cache")}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {
        (name, command): [] for name in trees for command in COMMANDS
    }
    for n in range(args.rounds + 1):  # round 0 warms the caches and is not counted
        for command, words in COMMANDS.items():
            for name in list(trees) if n % 2 else list(trees)[::-1]:
                full = [w.replace("{n}", str(n)) for w in words]
                if command != "--version":
                    full = ["--store", str(stores[name]), *full]
                measured = run_once(trees[name], full, envs[name])
                if n:
                    times[(name, command)].append(measured)
    print(f"{args.rounds} interleaved rounds, {sys.executable} (Python {sys.version.split()[0]})")
    print(f"old: {trees['old']}\nnew: {trees['new']}\n")
    print("| command | old wall ms | new wall ms | old CPU ms | new CPU ms | CPU new/old |")
    print("|---|---|---|---|---|---|")
    for command in COMMANDS:
        old, new = times[("old", command)], times[("new", command)]
        ratio = statistics.median(c for _, c in new) / statistics.median(c for _, c in old)
        print(
            f"| `{command}` | {spread([w for w, _ in old])} | {spread([w for w, _ in new])} "
            f"| {spread([c for _, c in old])} | {spread([c for _, c in new])} | {ratio:.2f} |"
        )
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
