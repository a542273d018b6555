#!/usr/bin/env python3
"""clusterctl with no cache at all, and the commands run.py does not time, on a measured store.

    python benchmarks/cold.py benchmarks/work/session-100000 [--runs 3] [--clusterctl CMD]...
        [--states cold,stale,warm] [--drop-page-cache]

Runs in that session's store (made by ``run.py``), with its cache directory: each "cold" run
first deletes the cache (summaries, JSON templates, check's findings: all derived); each
"stale" run follows one that made it and a new modification time for every call file (as a
checkout that rewrote them all leaves them: the same bytes, no entry of the cache holds); each
"warm" run follows one that made it. Prints the median and min-max wall time and the peak memory
(``ru_maxrss`` of the child) of each, with the exact command.

Given ``--clusterctl`` more than once (two builds, say), runs them one after the other for every
run, each with a cache directory of its own (``cache-1``, ``cache-2``... in the session), so
that they meet the same moments of a VM whose speed drifts; figures are then per build.

``--drop-page-cache`` (root, Linux) also empties the kernel's page cache before each "cold"
run, as after a reboot: every call file is then read from the disk.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import tools

STATES = ("cold", "stale", "warm")
CASES = (
    ("calls --open", ["calls", "--open"]),
    ("calls --all --format json", ["calls", "--all", "--format", "json"]),
    ("warn --dry-run", ["warn", "--dry-run"]),
    ("check", ["check"]),
)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak MB of one run of ``argv``, output discarded."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("session", type=Path, help="a run.py session directory")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--clusterctl",
        action="append",
        help="the command to run (default: clusterctl); give it again for another build",
    )
    parser.add_argument(
        "--states", default=",".join(STATES), help="which of cold, stale and warm to run"
    )
    parser.add_argument(
        "--drop-page-cache",
        action="store_true",
        help="empty the kernel's page cache before each cold run (root, Linux)",
    )
    args = parser.parse_args(argv)
    states = [state.strip() for state in args.states.split(",")]
    if not states or any(state not in STATES for state in states):
        parser.error(f"--states: choose from {', '.join(STATES)}")
    session = args.session.resolve()
    builds = args.clusterctl or ["clusterctl"]
    caches = (
        [session / "cache"]
        if len(builds) == 1
        else [session / f"cache-{k}" for k in range(1, len(builds) + 1)]
    )
    envs = [
        {
            **os.environ,
            "CLUSTERCTL_CACHE_DIR": str(cache),
            "CLUSTERCTL_CONFIG": str(session / "no-config.toml"),
            "NO_COLOR": "1",
        }
        for cache in caches
    ]
    bases = [[*shlex.split(build), "--store", str(session / "store")] for build in builds]
    for label, extra in CASES:
        for state in states:
            runs: list[list[tuple[float, float]]] = [[] for _ in builds]
            for _ in range(args.runs):
                for k, (base, env, cache) in enumerate(zip(bases, envs, caches, strict=True)):
                    if state == "cold" and args.drop_page_cache:
                        tools.drop_page_cache()
                    runs[k].append(_run(base + extra, env, cache, session, state))
            for k, build in enumerate(builds):
                seconds = [s for s, _ in runs[k]]
                who = f" [{build}]" if len(builds) > 1 else ""
                print(
                    f"{label:28} {state}: {statistics.median(seconds):6.2f} s "
                    f"({min(seconds):.2f}-{max(seconds):.2f}), "
                    f"{max(m for _, m in runs[k]):.0f} MB{who}"
                )
    for base, cache in zip(bases, caches, strict=True):
        print(f"commands: CLUSTERCTL_CACHE_DIR={cache} {shlex.join(base)} <case>")
    return 0


def _run(
    argv: list[str], env: dict[str, str], cache: Path, session: Path, state: str
) -> tuple[float, float]:
    """One timed run of ``argv`` in ``state``: with no cache, or after a run that made it (and
    then, for "stale", a new modification time for every call file)."""
    if state == "cold":
        shutil.rmtree(cache, ignore_errors=True)
    else:
        timed(argv, env)  # makes what the run finds
    if state == "stale":
        calls = session / "store" / "calls"
        for name in os.listdir(calls):
            os.utime(calls / name)
    return timed(argv, env)


if __name__ == "__main__":
    raise SystemExit(main())
