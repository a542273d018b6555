#!/usr/bin/env python3
"""What a command's start costs, piece by piece: the interpreter, the standard modules it needs,
Python's own cost per module, and clusterctl's modules.

    python benchmarks/startfloor.py STORE [--python PY] [--rounds 31] [--id ID]

For ``show``, ``add`` and ``extend`` on ``STORE`` (a copy is used; ``add`` adds a new call each
round and ``extend`` extends it), a child first lists the modules the command loads. Then, in
interleaved rounds of fresh processes of ``PY`` (default: this Python; give the interpreter of
an installed clusterctl), it times:

- ``python -c pass``, and ``import re``, which the console script pip writes does first;
- the standard modules the command loads (every module it loads that is not clusterctl's);
- as many empty modules of a package as the command loads of clusterctl's (Python's own cost of
  finding, reading and running a module, with nothing in it);
- all the modules the command loads, imported and not run, and the command itself, run.

Prints the median and quartiles of each, in milliseconds.
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
from collections.abc import Callable, Sequence

import tools

#: A probe: the command line of round ``n``.
Probe = Callable[[int | str], list[str]]

#: Run in a child: the command, then the names of the modules it loaded, one per line.
LIST_MODULES = tools.main_in_child(after='print("\\n".join(sorted(sys.modules)))')


def _modules(python: str, argv: list[str], env: dict[str, str]) -> list[str]:
    """The top modules (and clusterctl's) the command ``argv`` loads, importable by name."""
    done = subprocess.run(
        [python, "-c", LIST_MODULES, *argv], env=env, capture_output=True, text=True, check=True
    )
    base = subprocess.run(
        [python, "-c", "import sys; print('\\n'.join(sys.modules))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    started = set(base.stdout.split())
    return [m for m in done.stdout.split() if m not in started and not m.startswith("_")]


def _time(command: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="a store to copy and run the commands on")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to time")
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds")
    parser.add_argument("--id", default=None, help="the call `show` shows (default: the first)")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="clusterctl-startfloor-")
    try:
        store = os.path.join(work, "store")
        shutil.copytree(args.store, store)
        env = {
            **os.environ,
            "CLUSTERCTL_CACHE_DIR": os.path.join(work, "cache"),
            "CLUSTERCTL_CONFIG": os.path.join(work, "no-config.toml"),
        }
        shown = args.id or sorted(os.listdir(os.path.join(store, "calls")))[0].removesuffix(".toml")
        commands: dict[str, Probe] = {
            "show": lambda n: ["show", shown],
            "add": lambda n: ["add", f"FLOOR-{n}", "--title", "Start probe", "-d", "2030-03-01"],
            "extend": lambda n: ["extend", f"FLOOR-{n}", "--to", "2030-04-01"],
        }
        py = args.python
        # In this order: the add makes the call the extend extends.
        loaded = {
            name: _modules(py, ["--store", store, *make("list")], env)
            for name, make in commands.items()
        }
        empty = os.path.join(work, "empty")
        os.makedirs(os.path.join(empty, "ep"))
        most = max(sum(m.startswith("clusterctl") for m in mods) for mods in loaded.values())
        for stem in ["__init__", *(f"m{i}" for i in range(most))]:
            with open(os.path.join(empty, "ep", f"{stem}.py"), "w") as out:
                out.write("X = 1\n")
        subprocess.run([py, "-m", "compileall", "-q", empty], check=True)
        run = [py, "-m", "clusterctl", "--store", store]
        probes: dict[str, Probe] = {
            "python -c pass": lambda n: [py, "-c", "pass"],
            "import re": lambda n: [py, "-c", "import re"],
        }
        for name, mods in loaded.items():
            own = [m for m in mods if m.startswith("clusterctl")]
            std = [m for m in mods if not m.startswith("clusterctl")]
            fake = [f"ep.m{i}" for i in range(len(own))]
            probes[f"{name}: its standard modules ({len(std)})"] = _imports(py, std)
            probes[f"{name}: + {len(own)} empty modules"] = _imports(py, std + fake)
            probes[f"{name}: + clusterctl's {len(own)} modules"] = _imports(py, std + own)
            probes[f"{name}: run"] = _run(run, commands[name])
        times: dict[str, list[float]] = {label: [] for label in probes}
        for n in range(args.rounds):
            for label, probe in probes.items():
                times[label].append(_time(probe(n), env, empty))
        print(f"{args.rounds} interleaved rounds, {py}; median (quartiles), ms\n")
        for label, values in times.items():
            q1, _, q3 = statistics.quantiles(values, n=4)
            print(f"{label:48} {statistics.median(values):6.1f} ({q1:.1f}-{q3:.1f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _imports(python: str, modules: list[str]) -> Probe:
    code = "import " + ", ".join(modules) if modules else "pass"
    return lambda n: [python, "-c", code]


def _run(prefix: list[str], make: Probe) -> Probe:
    return lambda n: [*prefix, *make(n)]


if __name__ == "__main__":
    sys.exit(main())
