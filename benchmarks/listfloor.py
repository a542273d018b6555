#!/usr/bin/env python3
"""The least a Python program can do for a warm ``calls --open`` of a store that keeps one
file per call, timed beside clusterctl doing it.

    python benchmarks/listfloor.py benchmarks/work/session-100000 [--clusterctl CMD]
        [--python PY] [--rounds 9]

The floor (``FLOOR``, run by ``PY``: give the interpreter of the clusterctl measured) is handed,
ready made, everything a listing may remember between runs: the names in calls/, every file's
signature, and for each call not yet closed the cells a table shows of it (made once, from
``calls --all --format json``). Each run it does only what nothing remembered spares a listing:
the ``stat`` of every file, on two cores through a fork as clusterctl does; loading the cells;
choosing the open calls and ordering them by deadline; the time left to each deadline (once a
deadline, in days); laying out the columns and writing them at once; then it ends without the
interpreter's teardown. No validation, no check of racy files, no options, no configuration:
a floor, not a program. The two are interleaved round by round; prints the median and
quartiles of each one's wall time, the floor's phases, and both outputs' lines and bytes (to
show they list the same calls, though the floor's cells are not clusterctl's to the byte).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import tempfile
from array import array
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import tools

#: Run as ``PY -c FLOOR CALLS_DIR DATA``: the floor of a warm listing of the open calls.
FLOOR = r"""
import gc, os, pickle, sys, time
from array import array
marks = [time.perf_counter()]
gc.disable()
calls, data = sys.argv[1], sys.argv[2]
with open(data, "rb") as f:
    names, sigs, cells = pickle.load(f)
marks.append(time.perf_counter())

def stat_all(part):
    fd = os.open(calls, os.O_RDONLY)
    out = array("q")
    extend = out.extend
    for name in part:
        st = os.stat(name, dir_fd=fd)
        extend((st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns))
    os.close(fd)
    return out

half = len(names) // 2
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    with os.fdopen(w, "wb") as pipe:
        pipe.write(stat_all(names[half:]).tobytes())
    os._exit(0)
os.close(w)
mine = stat_all(names[:half]).tobytes()
with os.fdopen(r, "rb") as pipe:
    theirs = pipe.read()
os.waitpid(pid, 0)
if mine + theirs != sigs:
    sys.exit("a call file changed since listfloor.py prepared the floor: run it again")
marks.append(time.perf_counter())
now = time.time()
chosen = [(c[5], c[0], c) for c in cells if c[5] > now and (c[4] is None or c[4] <= now)]
chosen.sort()
marks.append(time.perf_counter())
lefts = {}
rows = [("ID", "Title", "Programme", "Deadline", "Time left", "Status", "Extended")]
for deadline, _, c in chosen:
    left = lefts.get(deadline)
    if left is None:
        left = lefts[deadline] = f"in {int((deadline - now) // 86400)} days"
    rows.append((c[0], c[1], c[2], c[3], left, "open", c[6]))
marks.append(time.perf_counter())
template = "  ".join(f"%-{max(map(len, column))}s" for column in zip(*rows))
sys.stdout.write("\n".join((template % row).rstrip() for row in rows) + "\n")
sys.stdout.flush()
marks.append(time.perf_counter())
phases = ("load", "stat", "choose", "cells", "layout")
sys.stderr.write(" ".join(f"{p}={b - a:.4f}" for p, a, b in zip(phases, marks, marks[1:])))
os._exit(0)
"""

PHASES = ("load", "stat", "choose", "cells", "layout")


def prepare(session: Path, cc: Sequence[str], data: Path) -> int:
    """Write the floor's remembered state for ``session``'s store to ``data``; the number of
    calls not closed."""
    env = tools.clusterctl_env(session / "cache")
    listed = json.loads(
        tools.capture([*cc, "--store", str(session / "store"), "calls", "--all", "-f", "json"], env)
    )
    cells = []
    for call in listed:
        if call["status"] == "closed":
            continue
        deadline = datetime.fromisoformat(call["deadline"]).astimezone(ZoneInfo(call["timezone"]))
        when = f"{deadline:%Y-%m-%d %H:%M} {deadline.tzname()}"
        if call["deadline_label"]:
            when += f" ({call['deadline_label']})"
        opens = None if call["opens"] is None else datetime.fromisoformat(call["opens"]).timestamp()
        extended = "extended" if call["extended"] else ""
        cells.append(
            (
                call["id"],
                call["title"],
                call["programme"],
                when,
                opens,
                deadline.timestamp(),
                extended,
            )
        )
    calls = session / "store" / "calls"
    names = sorted(os.listdir(calls))
    sigs = b"".join(_signature(calls / name) for name in names)
    with data.open("wb") as out:
        pickle.dump((names, sigs, cells), out, protocol=pickle.HIGHEST_PROTOCOL)
    return len(cells)


def _signature(path: Path) -> bytes:
    st = path.stat()
    return array("q", (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)).tobytes()


def _summary(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4)
    return f"{statistics.median(values):.3f} s ({q[0]:.3f}-{q[2]:.3f})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session", type=Path, help="a run.py session (its store and cache)")
    parser.add_argument("--clusterctl", help="the clusterctl to measure (default: beside PY)")
    parser.add_argument("--python", default=sys.executable, help="the Python to run the floor")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    args = parser.parse_args(argv)
    session = args.session.resolve()
    cc = args.clusterctl.split() if args.clusterctl else tools.default_clusterctl()
    env = tools.clusterctl_env(session / "cache")
    listing = [*cc, "--store", str(session / "store"), "calls", "--open"]
    with tempfile.TemporaryDirectory(prefix="clusterctl-listfloor-") as scratch:
        data = Path(scratch) / "floor.pickle"
        live = prepare(session, cc, data)
        floor = [args.python, "-c", FLOOR, str(session / "store" / "calls"), str(data)]
        outputs = {"clusterctl": tools.capture(listing, env), "floor": tools.capture(floor, env)}
        spawner = tools.Spawner()
        times: dict[str, list[float]] = {"clusterctl": [], "floor": []}
        phases: dict[str, list[float]] = {p: [] for p in PHASES}
        try:
            for _ in range(args.rounds):
                times["clusterctl"].append(spawner.run(listing, env).must("clusterctl").seconds)
                run = spawner.run(floor, env).must("the floor")
                times["floor"].append(run.seconds)
                for part in run.stderr.split():
                    name, seconds = part.split("=")
                    phases[name].append(float(seconds))
        finally:
            spawner.close()
    print(f"{session.name}: {live} calls not closed; {args.rounds} interleaved rounds")
    for name, values in times.items():
        text = outputs[name]
        lines = text.count("\n")
        print(f"{name}: {_summary(values)}; {lines} lines, {len(text):,} characters")
    print(
        "the floor's phases: "
        + ", ".join(f"{p} {statistics.median(v):.3f} s" for p, v in phases.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
