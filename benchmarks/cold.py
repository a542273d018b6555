#!/usr/bin/env python3
"""clusterctl with no cache at all, and the commands run.py does not time, on a measured store.

    python benchmarks/cold.py benchmarks/work/session-100000 [--runs 3] [--clusterctl CMD]

Runs in that session's store (made by ``run.py``), with its cache directory: each "cold" run
first deletes the cache (summaries, JSON templates, check's findings: all derived); each
"stale" run follows one that made it and a new modification time for every call file (as a
checkout that rewrote them all leaves them: the same bytes, no entry of the cache holds); each
"warm" run follows one that made it. Prints the median and min-max wall time and the peak memory
(``ru_maxrss`` of the child) of each, with the exact command.
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
    parser.add_argument("--clusterctl", default="clusterctl")
    args = parser.parse_args(argv)
    session = args.session.resolve()
    cache = session / "cache"
    env = {
        **os.environ,
        "CLUSTERCTL_CACHE_DIR": str(cache),
        "CLUSTERCTL_CONFIG": str(session / "no-config.toml"),
        "NO_COLOR": "1",
    }
    base = [*shlex.split(args.clusterctl), "--store", str(session / "store")]
    for label, extra in CASES:
        for state in ("cold", "stale", "warm"):
            runs = []
            for _ in range(args.runs):
                if state == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                else:
                    timed(base + extra, env)  # makes what the run finds
                if state == "stale":
                    calls = session / "store" / "calls"
                    for name in os.listdir(calls):
                        os.utime(calls / name)
                runs.append(timed(base + extra, env))
            seconds = [s for s, _ in runs]
            print(
                f"{label:28} {state}: {statistics.median(seconds):6.2f} s "
                f"({min(seconds):.2f}-{max(seconds):.2f}), {max(m for _, m in runs):.0f} MB"
            )
    print(f"commands: CLUSTERCTL_CACHE_DIR={cache} {shlex.join(base)} <case>")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
