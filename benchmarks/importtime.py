#!/usr/bin/env python3
"""``python -X importtime`` of ``show``, ``add`` and ``extend`` for two builds: the modules each
imports, their summed self time and the ten dearest.

    git worktree add /tmp/clusterctl-old <commit>
    python benchmarks/importtime.py --old /tmp/clusterctl-old --new . [--runs 11]

Each build runs from its source tree (first on PYTHONPATH, from a scratch directory so that the
current one does not shadow it) on its own copy of its shipped ``data/``; per command the run
with the median total is shown. ``-X importtime`` slows every import, so totals are larger than
in a plain run; compare the two builds with each other.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

COMMANDS = {
    "show": ["show", "ESCP-S3-EOI", "--at", "2018-01-01"],
    "add": ["add", "IMPORTTIME-{n}", "--title", "Probe", "-d", "2030-03-01"],
    "extend": ["extend", "ESCP-S3-EOI", "--to", "2030-{m}-01"],
}


def imports(stderr: str) -> list[tuple[int, str]]:
    """(self microseconds, module) of each line ``-X importtime`` wrote."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, _, module = line[len("import time:") :].split("|")
            found.append((int(own), module.strip()))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="source tree of one build")
    parser.add_argument("--new", type=Path, required=True, help="source tree of the other")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for name, template in COMMANDS.items():
        for label, tree in (("old", args.old.resolve()), ("new", args.new.resolve())):
            work = tempfile.mkdtemp()
            shutil.copytree(tree / "data", f"{work}/store")
            child_env = {
                **env,
                "PYTHONPATH": str(tree),
                "NO_COLOR": "1",
                "CLUSTERCTL_CACHE_DIR": f"{work}/cache",
                "CLUSTERCTL_CONFIG": f"{work}/none.toml",
            }
            runs = []
            # One unmeasured run first: it compiles whatever has no .pyc yet (a fresh clone).
            for n in range(-1, args.runs):
                command = [
                    a.replace("{n}", str(n + 1)).replace("{m}", f"{(n + 1) % 12 + 1:02d}")
                    for a in template
                ]
                done = subprocess.run(
                    [sys.executable, "-X", "importtime", "-m", "clusterctl", "--store",
                     f"{work}/store", *command],
                    env=child_env, cwd=work, capture_output=True, text=True, check=True,
                )  # fmt: skip
                found = imports(done.stderr)
                if n >= 0:
                    runs.append((sum(us for us, _ in found), found))
            shutil.rmtree(work)
            runs.sort(key=lambda run: run[0])
            total, found = runs[len(runs) // 2]
            top = ", ".join(f"{m} {us / 1000:.1f}" for us, m in sorted(found, reverse=True)[:10])
            print(f"{name} {label}: {len(found)} modules, {total / 1000:.1f} ms; top ten: {top}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
