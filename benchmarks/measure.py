#!/usr/bin/env python3
"""Time clusterctl and Taskwarrior side by side on data sets written by generate.py.

    python benchmarks/measure.py DATA_DIR [DATA_DIR ...] [--runs 5] [--out FILE]
        [--clusterctl CMD] [--tw-models pending,completed] [--no-taskwarrior]

Per data set, in a fresh ``benchmarks/work/session-<n>``: ``clusterctl import``, then
``calls --open`` five times right away; the same with ``task import`` for each Taskwarrior model.
Then every operation in rounds (one warm-up, ``--runs`` timed), each clusterctl command followed by
its Taskwarrior equivalent, so machine noise hits both alike. Whole processes: wall time, and each
child's own peak RSS from ``wait4``. Results (with the exact command of every figure) go to JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import tools

DEFAULT_OUT = tools.HERE / "results" / "results.json"
#: Where the sessions of an earlier run go until this run has measured everything. Removing
#: 100,000 files right before an import slowed it for minutes: ext4 without a journal, as on
#: this project's VM, passes over every inode freed lately when it makes a new one
#: (``recently_deleted``; see benchmarks/imports.py).
TRASH = tools.WORK / "trash"
FIRST_RUNS = 5  # listings right after an import
TERMINAL_NAME = "{1}x{0} pseudo-terminal".format(*tools.TERMINAL)


@dataclass
class Spec:
    """One command to measure: ``argv(i)`` for round i (0 is the warm-up)."""

    op: str  # the operation, the same for clusterctl's command and its equivalents
    tool: str  # clusterctl, taskwarrior/<model>, or a reference such as baseline
    argv: Callable[[int], list[str]]
    env: dict[str, str]
    pty: bool = False
    warmup: bool = True
    before: Callable[[int], object] | None = None
    runs: list[tools.Run] = field(default_factory=list)
    argvs: list[list[str]] = field(default_factory=list)
    warmup_run: tools.Run | None = None


def fixed(*argv: str) -> Callable[[int], list[str]]:
    """The same command line in every round."""
    return lambda _i: list(argv)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


ENV_SHOWN = ("CLUSTERCTL_CACHE_DIR", "CLUSTERCTL_CONFIG", "NO_COLOR", "TASKRC", "TASKDATA", "TERM")


def as_json(spec: Spec) -> dict[str, Any]:
    """Everything measured for one command, with its exact command line and environment."""
    secs = [r.seconds for r in spec.runs]
    q1, _, q3 = statistics.quantiles(secs, n=4, method="inclusive") if len(secs) > 1 else secs * 3
    every = [*spec.runs, *([spec.warmup_run] if spec.warmup_run else [])]
    env = {k: spec.env[k] for k in ENV_SHOWN if k in spec.env and spec.env[k] != os.environ.get(k)}
    result = {
        "op": spec.op,
        "tool": spec.tool,
        "command": shlex.join(spec.argvs[0]),
        "env": env,
        "terminal": TERMINAL_NAME if spec.pty else None,
        "median_ms": _ms(statistics.median(secs)),
        "min_ms": _ms(min(secs)),
        "max_ms": _ms(max(secs)),
        "q1_ms": _ms(q1),
        "q3_ms": _ms(q3),
        "runs_ms": [_ms(s) for s in secs],
        "warmup_ms": _ms(spec.warmup_run.seconds) if spec.warmup_run else None,
        "peak_rss_mb": round(max(r.peak_kb for r in every) / 1024, 1),
    }
    if any(argv != spec.argvs[0] for argv in spec.argvs):
        result["last_command"] = shlex.join(spec.argvs[-1])  # e.g. a later date each round
    if spec.pty:
        result["terminal_bytes"] = statistics.median(r.shown_bytes for r in spec.runs)
    return result


def interleaved(spawner: tools.Spawner, specs: Sequence[Spec], runs: int) -> list[dict[str, Any]]:
    """A warm-up round, then ``runs`` rounds, each running every spec once, in order."""
    for i in range(runs + 1):
        for spec in specs:
            if i == 0 and not spec.warmup:
                continue
            if spec.before is not None:
                spec.before(i)
            argv = spec.argv(i)
            run = spawner.run(argv, spec.env, spec.pty).must(f"{spec.tool}: {shlex.join(argv)}")
            if i == 0:
                spec.warmup_run = run
            else:
                spec.runs.append(run)
                spec.argvs.append(argv)
    return [as_json(spec) for spec in specs]


def _json(argv: Sequence[str], env: dict[str, str]) -> Any:
    return json.loads(tools.capture(argv, env))


def _run_json(run: tools.Run, argv: Sequence[str]) -> dict[str, Any]:
    return {"command": shlex.join(argv), "ms": _ms(run.seconds), "peak_rss_mb": run.peak_kb / 1024}


def after_import(
    spawner: tools.Spawner, imp: tuple[list[str], dict[str, str]], listing: list[str]
) -> dict[str, Any]:
    """Import, then the first listings right away.

    Not interleaved: clusterctl re-reads files changed less than 3 s before its cache was built,
    so how soon the listings follow the import is part of what is measured.
    """
    argv, env = imp
    imported = spawner.run(argv, env).must(shlex.join(argv))
    firsts = [spawner.run(listing, env).must(shlex.join(listing)) for _ in range(FIRST_RUNS)]
    return {
        "import": _run_json(imported, argv),
        "env": {k: env[k] for k in ENV_SHOWN if k in env and env[k] != os.environ.get(k)},
        "listing": shlex.join(listing),
        "runs_ms": [_ms(r.seconds) for r in firsts],
        "peak_rss_mb": [round(r.peak_kb / 1024, 1) for r in firsts],
    }


class Op(NamedTuple):
    """An operation: clusterctl's arguments, then Taskwarrior's (None: no equivalent).

    In the arguments, {id} is the subject (a call id, a task number), {date} a later day each
    round and {i} the round's number.
    """

    name: str
    ours: str
    theirs: str | None
    pty: bool = False


OPEN_FILTER = "status:pending due.after:now"  # waiting (forthcoming) tasks are not pending
READS = (
    Op("calls --open", "calls --open", f"{OPEN_FILTER} list"),
    Op(
        "calls --open --within 14d",
        "calls --open --within 14d",
        f"{OPEN_FILTER} due.before:now+14d list",
    ),
    Op("calls --open --format json", "calls --open --format json", f"{OPEN_FILTER} export"),
    Op("calls --all --format json", "calls --all --format json", "export"),
    Op("show ID", "show {id}", "{id} info"),
    Op("calls --open on a terminal", "calls --open", f"{OPEN_FILTER} list", pty=True),
    Op("warn --dry-run", "warn --dry-run", None),
)
TITLE = "Benchmark call {i}: support for cluster organisations in the twin transition"
WRITES = (
    Op("extend ID --to DATE", "extend {id} --to {date}", "{id} modify due:{date}"),
    Op(
        "add",
        f"add BENCH-ADD-{{i:03d}} --title '{TITLE}' --deadline 2027-03-01 --programme bench",
        f"add '{TITLE}' due:2027-03-01 project:bench",
    ),
)


def _day_after(iso: str, days: int) -> str:
    return (date.fromisoformat(iso[:10]) + timedelta(days=days)).isoformat()


def _filled(prefix: list[str], template: str, subject: str, due: str) -> Callable:
    def argv(i: int) -> list[str]:
        later = _day_after(due, i + 1)
        return [*prefix, *(p.format(i=i, id=subject, date=later) for p in shlex.split(template))]

    return argv


def specs(
    table: Sequence[Op],
    base: list[str],
    envs: dict[str, dict[str, str]],
    subjects: dict[str, str],
    dues: dict[str, str],
) -> list[Spec]:
    """The table's commands, each clusterctl one followed by its Taskwarrior equivalents."""
    out = []
    for op in table:
        for tool, env in envs.items():
            template = op.ours if tool == "clusterctl" else op.theirs
            if template is None:
                continue
            prefix = base if tool == "clusterctl" else ["task"]
            argv = _filled(prefix, template, subjects[tool], dues[tool])
            out.append(
                Spec(op.name, tool, argv, tools.terminal_env(env) if op.pty else env, op.pty)
            )
    return out


def measure_dataset(
    spawner: tools.Spawner, data: Path, cc: list[str], models: Sequence[str], runs: int
) -> dict[str, Any]:
    """Every measurement of one data set, in a fresh session directory."""
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    size = manifest["shape"]["calls"]
    session = tools.WORK / f"session-{size}"
    if session.exists():  # removed once everything is measured: see TRASH
        TRASH.mkdir(parents=True, exist_ok=True)
        session.rename(TRASH / f"{session.name}-{time.time_ns()}")
    session.mkdir(parents=True)
    base = [*cc, "--store", str(session / "store")]
    env = tools.clusterctl_env(session / "cache")
    print(f"[{size}] import, then {FIRST_RUNS} listings right away...", flush=True)
    imp = tools.clusterctl_import(data, session, cc)
    first = {"clusterctl": after_import(spawner, imp, [*base, "calls", "--open"])}
    check = spawner.run([*base, "check"], env).must("clusterctl check")
    first["clusterctl"]["check"] = _run_json(check, [*base, "check"])
    tenv = {f"taskwarrior/{m}": tools.taskwarrior_env(session, m) for m in models}
    task_open = ["task", *OPEN_FILTER.split()]
    for m in models:
        imp = tools.task_import(data, session, m)
        first[f"taskwarrior/{m}"] = after_import(spawner, imp, [*task_open, "list"])

    # What each tool lists now: the real clock has moved on from the generator's anchor.
    subject = manifest["subject"]["id"]
    listed = _json([*base, "calls", "--all", "--format", "json"], env)
    rows: dict[str, Any] = {"clusterctl": dict(Counter(c["status"] for c in listed))}
    subjects = {"clusterctl": subject}
    dues = {"clusterctl": _json([*base, "show", subject, "--format", "json"], env)["deadline"]}
    for tool, menv in tenv.items():
        rows[tool] = {"open": len(_json([*task_open, "export"], menv))}
        task = _json(["task", manifest["subject"]["uuid"], "export"], menv)[0]
        subjects[tool] = str(task["id"])
        dues[tool] = f"{task['due'][:4]}-{task['due'][4:6]}-{task['due'][6:8]}"

    print(f"[{size}] {runs} interleaved rounds after a warm-up: reads, then writes...", flush=True)
    envs = {"clusterctl": env, **tenv}
    measured = interleaved(spawner, specs(READS, base, envs, subjects, dues), runs)
    measured += interleaved(spawner, specs(WRITES, base, envs, subjects, dues), runs)

    # What a script doing `extend` then `calls` pays: the cache re-validates the changed file.
    later = _json([*base, "show", subject, "--format", "json"], env)["deadline"]

    def extend(i: int) -> tools.Run:
        return spawner.run([*base, "extend", subject, "--to", _day_after(later, i)], env)

    listing = fixed(*base, "calls", "--open")
    after = Spec("calls --open just after extend", "clusterctl", listing, env, before=extend)
    after.warmup = False
    measured += interleaved(spawner, [after], runs)
    return {
        "calls": size,
        "data": manifest,
        "session": str(session),
        "after_import": first,
        "rows_now": rows,
        "subjects": subjects,
        "measurements": measured,
    }


def measure_startup(spawner: tools.Spawner, cc: list[str], peer: bool, runs: int) -> list[dict]:
    """Commands that touch no store, and the floor of every figure."""
    env = tools.clusterctl_env(tools.WORK / "startup" / "cache")
    specs = [
        Spec("python -c pass", "baseline", fixed(sys.executable, "-c", "pass"), env),
        Spec("--version", "clusterctl", fixed(*cc, "--version"), env),
        Spec("--help", "clusterctl", fixed(*cc, "--help"), env),
        Spec("true", "spawner floor", fixed("true"), env),
    ]
    if peer:
        tenv = tools.taskwarrior_env(tools.WORK / "startup", "empty")
        specs.insert(2, Spec("--version", "taskwarrior", fixed("task", "--version"), tenv))
        specs.append(Spec("--help", "taskwarrior", fixed("task", "help"), tenv))
    return interleaved(spawner, specs, runs)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }


def measure(
    datasets: Sequence[Path],
    cc: list[str],
    models: Sequence[str],
    runs: int,
    out: Path | None = None,
) -> dict[str, Any]:
    """Measure every data set; with ``out``, write the results there after each one."""
    peer = bool(models)
    results: dict[str, Any] = {
        "meta": {
            **machine(),
            "clusterctl_command": shlex.join(cc),
            "clusterctl": tools.version([*cc, "--version"]),
            "taskwarrior": tools.version(["task", "--version"]) if peer else None,
            "taskwarrior_models": list(models),
            "peer_missing": not peer,
            "runs": runs,
            "warmup_rounds": 1,
            "first_runs_after_import": FIRST_RUNS,
            "timing": "wall time of whole processes (perf_counter around posix_spawn + wait4)"
            + (", each clusterctl command followed by its Taskwarrior equivalents" if peer else ""),
            "memory": "each child's own peak RSS (ru_maxrss from wait4), started by a small "
            "spawner process whose own size (the `true` row) is the floor of every figure",
        },
        "sizes": [],
    }
    spawner = tools.Spawner()
    try:
        print(f"clusterctl: {results['meta']['clusterctl']} ({shlex.join(cc)})", flush=True)
        results["startup"] = measure_startup(spawner, cc, peer, runs)
        for data in datasets:
            results["sizes"].append(measure_dataset(spawner, data, cc, models, runs))
            results["meta"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
            if out is not None:  # partial results survive a failure in a later size
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    finally:
        spawner.close()
        shutil.rmtree(TRASH, ignore_errors=True)
    return results


def peer_missing_banner() -> str:
    """The loud note printed when Taskwarrior is not there to compare with."""
    line = "!" * 78
    return (
        f"{line}\n!! Taskwarrior (`task`) is not on PATH: measuring clusterctl ALONE, no ratios.\n"
        "!! Install it (apt-get install taskwarrior) or pass --install-taskwarrior to run.py.\n"
        f"{line}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the given data sets and write the results as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("data", nargs="+", type=Path, help="data sets written by generate.py")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument("--clusterctl", metavar="CMD", help="the clusterctl to measure")
    parser.add_argument("--tw-models", default="pending,completed", help="Taskwarrior models")
    parser.add_argument("--no-taskwarrior", action="store_true", help="clusterctl alone")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    cc = shlex.split(args.clusterctl) if args.clusterctl else tools.default_clusterctl()
    models = [] if args.no_taskwarrior else [m for m in args.tw_models.split(",") if m]
    if models and not shutil.which("task"):
        print(peer_missing_banner(), file=sys.stderr)
        models = []
    measure(args.data, cc, models, args.runs, args.out)
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
