#!/usr/bin/env python3
"""Where a listing's time goes, phase by phase, in one process, for two builds side by side.

    python benchmarks/phases.py benchmarks/work/session-100000 \\
        --build before=/path/to/older/checkout --build after=. [--rounds 5] [--extend ID]
        [--export]

Each build is a directory holding the ``clusterctl`` package (a checkout); each round runs every
build once, in turn, in a fresh interpreter with the same Python (this one), on the session's
store and a cache directory of each build's own (warmed first). A round times, as
``calls --open`` does them: the summaries (the cache's ``stat`` of every file and load),
selecting and sorting the open calls, making the rows, laying out the piped table and the
table on a 120-column colour terminal. With ``--export`` it times ``calls --all --format json``
instead: the remembered templates (loaded, every file's ``stat``, what changed made again),
choosing and ordering them, and filling and writing them. With ``--extend ID`` each timed run
follows an ``extend ID`` by the same build (a day later each time): the first listing after a
single write. Every run lists at one moment, the minute the script started (as a listing
would then: the live half of the summary cache), so that the builds' outputs compare: prints
the median (min-max) of each phase per build and a digest of each build's output: equal
digests mean the same bytes (not with ``--extend``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import tools

#: Run in the child: the phases of one listing at the moment argv[2], timed; JSON on stdout.
CHILD = r"""
import gc, hashlib, io, json, sys, time
gc.disable()  # as clusterctl's own entry point does
from datetime import datetime
from clusterctl import query, render
from clusterctl.actions.listing import filter_options
from clusterctl.layout import Terminal
from clusterctl.store import Store
now = datetime.fromisoformat(sys.argv[2])
flt = filter_options(True, False, False, False, None, None, None, None)
times = {}
t = time.perf_counter()
summaries = Store(sys.argv[1]).summaries(open_at=now.timestamp(), unreadable=[])
times["summaries"] = time.perf_counter() - t
t = time.perf_counter()
chosen = query.select(summaries, flt, now.timestamp())
times["select"] = time.perf_counter() - t
t = time.perf_counter()
rows = render.make_rows(chosen, now, None)
times["rows"] = time.perf_counter() - t
digests = []
for name, terminal in (("table", None), ("terminal", Terminal(120, True))):
    out = io.StringIO()
    t = time.perf_counter()
    render.print_rows(rows, out, terminal)
    times[name] = time.perf_counter() - t
    digests.append(hashlib.sha256(out.getvalue().encode()).hexdigest()[:12])
print(json.dumps({"times": times, "rows": len(rows), "digests": digests}))
"""

#: Run in the child with --export: the phases of ``calls --all --format json``.
EXPORT_CHILD = r"""
import gc, hashlib, io, json, sys, time
gc.disable()  # as clusterctl's own entry point does
from datetime import datetime
from clusterctl import jsontext, query
from clusterctl.store import Store
now = datetime.fromisoformat(sys.argv[2]).timestamp()
times = {}
t = time.perf_counter()
named = Store(sys.argv[1]).derive_every(jsontext.KIND, jsontext.call_template, unreadable=[])
times["templates"] = time.perf_counter() - t
t = time.perf_counter()
chosen = jsontext.select(named, query.CallFilter(statuses=query.ALL_STATUSES), now)
del named
times["select"] = time.perf_counter() - t
out = io.StringIO()
t = time.perf_counter()
if hasattr(jsontext, "in_order"):  # 3506950 on: select hands over each call's status
    jsontext.write_listing(chosen, out)
else:
    jsontext.write_listing(chosen, now, out)
times["write"] = time.perf_counter() - t
digest = hashlib.sha256(out.getvalue().encode()).hexdigest()[:12]
print(json.dumps({"times": times, "rows": len(chosen), "digests": [digest]}))
"""

PHASES = ("summaries", "select", "rows", "table", "terminal")
EXPORT_PHASES = ("templates", "select", "write")
#: The moment every run lists at: the minute the script started.
NOW = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
_EXTENDED: list[date] = []  # the deadline the last --extend gave


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = tools.trees_parser(__doc__, rounds=5)
    parser.add_argument("--extend", metavar="ID", help="extend this call before each timed run")
    parser.add_argument(
        "--export", action="store_true", help="time calls --all --format json instead"
    )
    return parser.parse_args(argv)


def measure(
    session: Path, name: str, source: Path, extend: str | None = None, export: bool = False
) -> dict:
    """One run of CHILD (EXPORT_CHILD with ``export``) with the build in ``source``, its cache
    under the session's; after an ``extend`` of that call by the same build if given."""
    env = tools.tree_env(session, source, session / f"phases-cache-{name}")
    if extend is not None:
        store = str((session / "store").resolve())
        clusterctl = [sys.executable, "-m", "clusterctl", "--store", store]
        if not _EXTENDED:  # the first: a day after the call's deadline now
            shown = subprocess.run(
                [*clusterctl, "show", extend, "--format", "json"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd="/",
            )
            _EXTENDED.append(date.fromisoformat(json.loads(shown.stdout)["deadline"][:10]))
        _EXTENDED[0] += timedelta(days=1)
        command = [*clusterctl, "extend", extend, "--to", _EXTENDED[0].isoformat()]
        subprocess.run(command, env=env, check=True, cwd="/", stdout=subprocess.DEVNULL)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            EXPORT_CHILD if export else CHILD,
            str((session / "store").resolve()),
            NOW,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd="/",  # never the checkout's own clusterctl by accident
    )
    result = json.loads(done.stdout)
    if not result["rows"]:
        raise SystemExit(f"{session / 'store'}: no open calls to list; run run.py first")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    builds = tools.trees(args.build)
    for name, source in builds:  # warm-up: each build's cache made (or checked) once
        measure(args.session, name, source, export=args.export)
    results: dict[str, list[dict]] = {name: [] for name, _ in builds}
    for round_ in range(args.rounds):
        order = builds if round_ % 2 == 0 else builds[::-1]
        for name, source in order:
            results[name].append(measure(args.session, name, source, args.extend, args.export))
    after = f", each right after `extend {args.extend}`" if args.extend else ""
    command = "calls --all --format json" if args.export else "calls --open"
    print(
        f"Phases of `{command}`{after} at {NOW}, {args.rounds} interleaved rounds, median (min-max)"
    )
    print()
    print("| phase | " + " | ".join(name for name, _ in builds) + " |")
    print("|---|" + "---|" * len(builds))
    for phase in EXPORT_PHASES if args.export else PHASES:
        cells = []
        for name, _ in builds:
            values = [r["times"][phase] for r in results[name]]
            cells.append(f"{statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})")
        print(f"| {phase} | " + " | ".join(cells) + " |")
    for name, _ in builds:
        last = results[name][-1]
        print(f"\n{name}: {last['rows']} rows, digests {', '.join(last['digests'])}", end="")
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
