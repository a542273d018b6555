#!/usr/bin/env python3
"""Benchmark clusterctl on synthetic stores of 1,000 to 100,000 calls, against Taskwarrior.

Run from the repository with the project's virtualenv active (see benchmarks/README.md)::

    python benchmarks/run.py [--sizes 1000,10000,100000] [--runs 5] [--out FILE]

What it does, per size:

1. Generates the calls with a fixed seed (realistic ids, titles, zones, tags, a fifth extended,
   some multi-stage, deadlines over ten years around ``--anchor``), writes them as a JSON file in
   the ``calls --format json`` contract and loads it with ``clusterctl import`` (the project's
   own import path; its time and peak memory are reported). The same calls go into Taskwarrior
   with ``task import``, one task per call with ``due``. Both stores are built once and kept under
   ``benchmarks/work/``; every benchmark session works on a fresh copy of them.
2. Times whole processes: one warm-up round, then ``--runs`` rounds with clusterctl's and
   Taskwarrior's commands interleaved; the median is reported. The first ``calls --open`` of a
   session runs with no summary cache at all and is reported as "cold". Peak memory is each
   child's own ``ru_maxrss``, read with ``os.wait4`` on its pid by a small spawner process.
3. Prints a table, the ratios clusterctl/Taskwarrior, PASS/FAIL per target of issue 6, and
   writes every number to a JSON file.

This is a benchmark, not a test: it never fails the build, it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
DEFAULT_OUT = HERE / "results" / "results.json"
#: Bump when the generator changes, so that cached stores are rebuilt.
GENERATOR_VERSION = 1
DEFAULT_ANCHOR = date(2026, 11, 25)
#: Deadlines spread from 9.6 years before the anchor to 0.4 years after it: a few percent open.
SPAN_BEFORE_DAYS = round(9.6 * 365)
SPAN_AFTER_DAYS = round(0.4 * 365)

# --- synthetic calls -------------------------------------------------------------------------

ZONES = (
    *(["Europe/Brussels"] * 80),
    *(["UTC"] * 10),
    "Europe/Lisbon",
    "Europe/Helsinki",
    "Europe/Dublin",
    "Europe/Athens",
    "America/New_York",
    "Asia/Tokyo",
    "Africa/Nairobi",
    "Etc/GMT+12",
    "Europe/Madrid",
    "Atlantic/Canary",
)
HORIZON_TOPICS = (
    "DIGITAL-EMERGING",
    "HUMAN",
    "SPACE",
    "RESILIENCE",
    "TWIN-TRANSITION",
    "MATERIALS",
    "DATA",
    "INFRA",
    "CLIMATE",
    "ENERGY",
    "HEALTH",
    "FOOD",
    "MOBILITY",
    "CULTURE",
    "SECURITY",
    "WIDERA",
)
COS_TOPICS = ("CLUSTPARTNS", "CLUSTINTER", "CLUSTEXCEL", "SMEINNOV", "TOURISM", "ESCP-S3")
DIGITAL_AREAS = ("CLOUD-AI", "SKILLS", "CYBER", "EDIH", "DEPLOY", "HPC")
INTERREG_REGIONS = ("NWE", "CE", "ADRION", "ALPINE", "BSR", "MED", "EUROPE", "DANUBE")
SUBJECTS = (
    "cluster partnerships",
    "industrial ecosystems",
    "green transition of SMEs",
    "digital innovation hubs",
    "smart specialisation investments",
    "advanced materials",
    "artificial intelligence in manufacturing",
    "resilient supply chains",
    "circular economy",
    "tourism ecosystems",
    "cross-border value chains",
    "quantum technologies",
    "hydrogen valleys",
    "cultural and creative industries",
    "agri-food innovation",
    "space downstream applications",
)
PURPOSES = (
    "for SME internationalisation",
    "for the twin transition",
    "for interregional investment",
    "to scale up deep-tech start-ups",
    "for skills and upskilling",
    "in less-developed regions",
    "beyond Europe",
    "for market uptake",
)
KINDS = (
    "European Strategic Cluster Partnerships",
    "Coordination and support action",
    "Research and innovation action",
    "Innovation action",
    "Call for expression of interest",
    "Pilot project",
    "Support for cluster organisations",
)
TAGS = ("ours", "sme", "digital", "green", "priority", "partner-search", "lead", "watch", "skills")
LEADS = ("Anna", "Jan", "Marta", "Luc", "Sofia")
PORTAL = "https://ec.europa.eu/info/funding-tenders/opportunities"
REASONS = ("extended by DG GROW", "portal update", "technical problems on the portal", "")


@dataclass
class Synthetic:
    """One generated call, as the JSON contract record plus what the benchmark needs to know."""

    record: dict[str, Any]
    effective: datetime  # the next (or last) effective deadline at the anchor, as an instant
    open_at_anchor: bool
    opens: datetime | None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _make_id(rng: random.Random, year: int, taken: set[str]) -> tuple[str, str]:
    """A realistic, unique topic id and its programme."""
    family = rng.random()
    for attempt in range(1000):
        if family < 0.55:
            programme = "Horizon Europe"
            cid = (
                f"HORIZON-CL{rng.randint(1, 6)}-{year}-{rng.randint(1, 5):02d}-"
                f"{rng.choice(HORIZON_TOPICS)}-{rng.randint(1, 99):02d}"
            )
        elif family < 0.70:
            programme = "COSME" if year < 2021 else "SMP"
            prefix = "COS" if year < 2021 else "SMP-COSME"
            cid = (
                f"{prefix}-{rng.choice(COS_TOPICS)}-{year}-{rng.randint(1, 4)}-"
                f"{rng.randint(1, 99):02d}"
            )
        elif family < 0.85:
            programme = "Digital Europe"
            cid = (
                f"DIGITAL-{year}-{rng.choice(DIGITAL_AREAS)}-{rng.randint(1, 9):02d}-"
                f"{rng.choice(HORIZON_TOPICS)}"
            )
        elif family < 0.95:
            programme = "Interreg"
            cid = f"INTERREG-{rng.choice(INTERREG_REGIONS)}-{year}-{rng.randint(1, 999):03d}"
        else:
            programme = "LIFE"
            cid = (
                f"LIFE-{year}-SAP-{rng.choice(('NAT', 'ENV', 'CLIMA', 'CET'))}-{rng.randint(1, 99)}"
            )
        if attempt > 20:  # a crowded pattern: make it unique with a counter
            cid = f"{cid}-{attempt}"
        if cid not in taken:
            taken.add(cid)
            return cid, programme
    raise RuntimeError("could not generate a unique id")  # pragma: no cover


def _local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def generate(n: int, seed: int, anchor: date) -> list[Synthetic]:
    """``n`` calls, the same for the same (seed, anchor); a smaller size is a prefix of a larger."""
    rng = random.Random(seed)
    anchor_instant = datetime(anchor.year, anchor.month, anchor.day, 12, tzinfo=UTC)
    taken: set[str] = set()
    calls: list[Synthetic] = []
    for _ in range(n):
        zone_name = rng.choice(ZONES)
        zone = ZoneInfo(zone_name)
        day = anchor + timedelta(days=rng.randint(-SPAN_BEFORE_DAYS, SPAN_AFTER_DAYS))
        hour, minute = rng.choice(((17, 0), (17, 0), (17, 0), (17, 0), (12, 0), (23, 59)))
        if zone_name == "Etc/GMT+12":
            hour, minute = 23, 59
        cid, programme = _make_id(rng, day.year, taken)
        first = _local(day, hour, minute, zone)
        multi = rng.random() < 0.12
        stages = [("", first)]
        if multi:
            second = _local(day + timedelta(days=rng.randint(120, 200)), hour, minute, zone)
            stages = [("Stage 1", first), ("Stage 2", second)]
        extensions = []
        effective = {label: when for label, when in stages}
        if rng.random() < 0.2:
            label, when = stages[-1]
            new = when + timedelta(days=rng.randint(7, 45))
            new = _local(new.date(), hour, minute, zone)  # same wall time across a DST change
            recorded = (
                when - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
            ).astimezone(UTC)
            extensions.append(
                {
                    "stage": label,
                    "from": _iso(when),
                    "to": _iso(new),
                    "reason": rng.choice(REASONS),
                    "source": f"{PORTAL}/news/{cid.lower()}",
                    "recorded": _iso(recorded.replace(microsecond=0)),
                }
            )
            effective[label] = new
        opens = None
        if rng.random() < 0.4:
            opens_day = day - timedelta(days=rng.randint(60, 200))
            opens = _local(opens_day, 0, 0, zone)
        ahead = [when for when in effective.values() if when > anchor_instant]
        relevant = min(ahead) if ahead else max(effective.values())
        is_open = bool(ahead) and (opens is None or opens <= anchor_instant)
        status = "open" if is_open else ("forthcoming" if ahead else "closed")
        relevant_label = next(label for label, when in effective.items() if when == relevant)
        tags = rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2, 3)))
        note = f"lead: {rng.choice(LEADS)}" if rng.random() < 0.1 else ""
        title = f"{rng.choice(KINDS)} on {rng.choice(SUBJECTS)} {rng.choice(PURPOSES)}"
        record = {
            "id": cid,
            "title": title,
            "programme": programme,
            "url": f"{PORTAL}/portal/topic-details/{cid.lower()}",
            "tags": tags,
            "note": note,
            "status": status,
            "timezone": zone_name,
            "opens": _iso(opens) if opens else None,
            "deadline": _iso(relevant),
            "deadline_label": relevant_label,
            "extended": bool(extensions),
            "deadlines": [
                {
                    "label": label,
                    "deadline": _iso(effective[label]),
                    "original_deadline": _iso(when),
                    "extended": effective[label] != when,
                }
                for label, when in stages
            ],
            "extensions": extensions,
        }
        calls.append(Synthetic(record, relevant, is_open, opens))
    return calls


def _tw_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


#: How calls become Taskwarrior tasks (see ``taskwarrior_tasks``).
TW_MODELS = ("pending", "completed")


def taskwarrior_tasks(calls: Sequence[Synthetic], anchor: date, model: str) -> list[dict[str, Any]]:
    """One Taskwarrior task per call, ``due`` = the next (else last) effective deadline.

    Model ``pending`` (the issue's set-up, and Taskwarrior's default on import): every call is a
    pending task; a closed call is simply overdue. Model ``completed``: closed calls are completed
    tasks (``end`` = deadline), which Taskwarrior keeps out of pending.data, so most commands
    never read them. In both, a forthcoming call waits (``wait`` = opens) and is hidden from
    reports until it opens, as clusterctl hides it from ``--open``.
    """
    anchor_instant = datetime(anchor.year, anchor.month, anchor.day, 12, tzinfo=UTC)
    tasks = []
    for call in calls:
        rec = call.record
        entry = call.opens or (call.effective - timedelta(days=120))
        task: dict[str, Any] = {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, rec["id"])),
            "description": f"{rec['id']}: {rec['title']}",
            "project": rec["programme"].replace(" ", ""),
            "entry": _tw_time(min(entry, anchor_instant)),
            "due": _tw_time(call.effective),
            "status": "pending",
        }
        if rec["tags"]:
            task["tags"] = list(rec["tags"])
        if rec["status"] == "closed" and model == "completed":
            task["status"] = "completed"
            task["end"] = _tw_time(call.effective)
        elif rec["status"] == "forthcoming" and call.opens is not None:
            task["wait"] = _tw_time(call.opens)
        tasks.append(task)
    return tasks


# --- running processes -----------------------------------------------------------------------


@dataclass
class Run:
    """One finished child process."""

    seconds: float
    peak_kb: int
    returncode: int
    stderr: str


#: The process that starts every measured command. The peak RSS that ``wait4`` reports for a
#: child on Linux includes the memory of the process it was forked (or vforked) from at exec
#: time, so children are started by this small, separate Python, not by the benchmark itself
#: (which holds 100,000 generated calls). Its own size is the floor of every figure; it is
#: measured (by spawning ``true``) and reported.
SPAWNER = r"""
import json, os, sys, time
for line in sys.stdin:
    req = json.loads(line)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    start = time.perf_counter()
    try:
        pid = os.posix_spawnp(req["argv"][0], req["argv"], req["env"], file_actions=actions)
    except OSError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        continue
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"seconds": seconds, "code": code, "maxrss": usage.ru_maxrss}), flush=True)
"""


class Spawner:
    """A small child Python that runs commands for us and reports time and peak RSS."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-E", "-c", SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=WORK,
        )
        fd, name = tempfile.mkstemp(prefix="clusterctl-bench-", suffix=".stderr")
        os.close(fd)
        self._stderr_path = Path(name)

    def run(self, argv: Sequence[str], env: dict[str, str]) -> Run:
        """Run ``argv`` to completion: wall time, exit code, stderr, the child's peak RSS."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        request = {"argv": list(argv), "env": env, "stderr": str(self._stderr_path)}
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        reply = json.loads(self._proc.stdout.readline())
        if "error" in reply:
            raise CommandFailed(f"cannot start {argv[0]}: {reply['error']}")
        stderr = self._stderr_path.read_text(encoding="utf-8", errors="replace")
        # ru_maxrss is in KiB on Linux and in bytes on macOS.
        peak = reply["maxrss"] // 1024 if sys.platform == "darwin" else reply["maxrss"]
        return Run(reply["seconds"], peak, reply["code"], stderr)

    def close(self) -> None:
        """Stop the spawner and remove its scratch file."""
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)
        self._stderr_path.unlink(missing_ok=True)


_SPAWNER: Spawner | None = None


def run_process(argv: Sequence[str], env: dict[str, str]) -> Run:
    """Run ``argv`` to completion through the spawner (started on first use)."""
    global _SPAWNER
    if _SPAWNER is None:
        _SPAWNER = Spawner()
    return _SPAWNER.run(argv, env)


def capture(argv: Sequence[str], env: dict[str, str]) -> str:
    """Run an untimed helper command and return its stdout (raise with stderr on failure)."""
    done = subprocess.run(list(argv), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


@dataclass
class Measurement:
    """Repeated runs of one command."""

    name: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)
    warmup: Run | None = None
    cold: Run | None = None

    @property
    def median(self) -> float:
        """Median wall time of the timed runs, in seconds."""
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        """Highest peak RSS over every run of this command (warm-up and cold included), MiB."""
        every = [*self.runs, *(r for r in (self.warmup, self.cold) if r is not None)]
        return max(r.peak_kb for r in every) / 1024

    def as_json(self) -> dict[str, Any]:
        """Everything measured, for the results file."""
        return {
            "argv": self.argv,
            "median_s": round(self.median, 5),
            "min_s": round(min(r.seconds for r in self.runs), 5),
            "max_s": round(max(r.seconds for r in self.runs), 5),
            "runs_s": [round(r.seconds, 5) for r in self.runs],
            "warmup_s": round(self.warmup.seconds, 5) if self.warmup else None,
            "cold_s": round(self.cold.seconds, 5) if self.cold else None,
            "peak_rss_mb": round(self.peak_mb, 1),
        }


class CommandFailed(RuntimeError):
    """A benchmarked command exited non-zero: the numbers would be meaningless."""


@dataclass
class Spec:
    """One command to measure: ``argv(i)`` for run i (0 is the warm-up)."""

    name: str
    argv: Callable[[int], list[str]]
    env: dict[str, str]
    warmup: bool = True
    before: Callable[[int], None] | None = None


def fixed(*argv: str) -> Callable[[int], list[str]]:
    """The same command line for every run."""
    return lambda _i: list(argv)


def measure_group(specs: Sequence[Spec], runs: int) -> dict[str, Measurement]:
    """Run the specs round-robin (warm-up round, then ``runs`` rounds).

    Interleaving exposes every command, clusterctl's and Taskwarrior's alike, to the same
    background load, so the ratios stay meaningful on a busy machine.
    """
    results = {spec.name: Measurement(name=spec.name, argv=spec.argv(1)) for spec in specs}
    for i in range(runs + 1):
        for spec in specs:
            if i == 0 and not spec.warmup:
                continue
            if spec.before is not None:
                spec.before(i)
            argv = spec.argv(i)
            run = run_process(argv, spec.env)
            if run.returncode != 0:
                raise CommandFailed(
                    f"{spec.name}: {' '.join(argv)} exited {run.returncode}: {run.stderr.strip()}"
                )
            if i == 0:
                results[spec.name].warmup = run
            else:
                results[spec.name].runs.append(run)
    return results


# --- building the stores ---------------------------------------------------------------------


def clusterctl_argv() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m clusterctl``."""
    exe = shutil.which("clusterctl", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "clusterctl"]


def clusterctl_env(cache_dir: Path) -> dict[str, str]:
    """The environment of every clusterctl run: no user config, a private summary cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERCTL_")}
    env.update(
        CLUSTERCTL_CONFIG=str(WORK / "no-config.toml"),  # never created: defaults
        CLUSTERCTL_CACHE_DIR=str(cache_dir),
        NO_COLOR="1",
    )
    return env


def task_env(taskdata: Path, taskrc: Path) -> dict[str, str]:
    """The environment of every Taskwarrior run: an isolated data dir and rc file."""
    env = dict(os.environ)
    env.update(TASKDATA=str(taskdata), TASKRC=str(taskrc))
    return env


TASKRC = """\
# Isolated Taskwarrior configuration for the clusterctl benchmark.
data.location={data}
confirmation=off
verbose=nothing
# gc stays at its default (on): reports renumber and move completed tasks out of pending.data.
gc=on
hooks=off
recurrence=off
news.version=9.9.9
"""


def _copy_tree(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    if shutil.which("cp"):
        subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    else:  # pragma: no cover - not on Linux/macOS
        shutil.copytree(source, target, symlinks=True)


@dataclass
class Built:
    """A size's base stores (never benchmarked directly) and what was learnt building them."""

    size: int
    base_store: Path
    base_taskdata: dict[str, Path]  # Taskwarrior model -> its data directory
    manifest: dict[str, Any]


def _subject(calls: Sequence[Synthetic], anchor: date) -> Synthetic:
    """The call that show/extend work on: open, single-stage, due a month or more ahead."""
    anchor_instant = datetime(anchor.year, anchor.month, anchor.day, 12, tzinfo=UTC)
    candidates = [
        c
        for c in calls
        if c.open_at_anchor
        and len(c.record["deadlines"]) == 1
        and c.effective > anchor_instant + timedelta(days=30)
    ]
    return candidates[len(candidates) // 2] if candidates else calls[0]


def build(
    size: int,
    seed: int,
    anchor: date,
    cc: list[str],
    models: Sequence[str],
    rebuild: bool,
) -> Built:
    """Generate the calls for ``size``, import them into clusterctl and Taskwarrior; cached."""
    key = f"n{size}-seed{seed}-{anchor.isoformat()}-g{GENERATOR_VERSION}"
    base = WORK / f"base-{key}"
    manifest_path = base / "manifest.json"
    store = base / "store"
    manifest: dict[str, Any] = {}
    if manifest_path.exists() and not rebuild:
        manifest = json.loads(manifest_path.read_text())
    if not manifest.get("complete"):
        if base.exists():
            shutil.rmtree(base)
        manifest = {}
    missing = [m for m in models if m not in manifest.get("taskwarrior", {})]
    if manifest and not missing:
        print(f"[{size}] using the cached stores in {base.relative_to(REPO)}", flush=True)
        tw = {m: base / f"taskdata-{m}" for m in models}
        return Built(size, store, tw, manifest)

    base.mkdir(parents=True, exist_ok=True)
    print(f"[{size}] generating {size:,} calls (seed {seed})...", flush=True)
    started = time.perf_counter()
    calls = generate(size, seed, anchor)
    gen_s = time.perf_counter() - started
    if not manifest:
        json_path = base / "calls.json"
        json_path.write_text(json.dumps([c.record for c in calls], ensure_ascii=False))
        json_mb = json_path.stat().st_size / 1e6
        print(
            f"[{size}] generated in {gen_s:.1f} s, {json_mb:.1f} MB of JSON; "
            f"`clusterctl import` (the project's import path)...",
            flush=True,
        )
        env = clusterctl_env(base / "cache")
        imported = run_process([*cc, "--store", str(store), "import", str(json_path)], env)
        if imported.returncode != 0:
            raise SystemExit(f"[{size}] clusterctl import failed: {imported.stderr.strip()[:2000]}")
        print(
            f"[{size}] clusterctl import: {imported.seconds:.1f} s, "
            f"peak {imported.peak_kb / 1024:.0f} MB; `clusterctl check`...",
            flush=True,
        )
        checked = run_process([*cc, "--store", str(store), "check"], env)
        print(f"[{size}] clusterctl check: {checked.seconds:.1f} s (exit {checked.returncode})")
        if checked.returncode != 0:
            raise SystemExit(f"[{size}] the imported store fails check: {checked.stderr[:2000]}")
        json_path.unlink()  # large and reproducible: regenerated when needed
        shutil.rmtree(base / "cache", ignore_errors=True)
        subject = _subject(calls, anchor)
        counts = {
            s: sum(1 for c in calls if c.record["status"] == s)
            for s in ("open", "forthcoming", "closed")
        }
        manifest = {
            "size": size,
            "seed": seed,
            "anchor": anchor.isoformat(),
            "generator_version": GENERATOR_VERSION,
            "generate_s": round(gen_s, 3),
            "json_mb": round(json_mb, 2),
            "status_at_anchor": counts,
            "extended": sum(1 for c in calls if c.record["extensions"]),
            "multi_stage": sum(1 for c in calls if len(c.record["deadlines"]) > 1),
            "zones": len({c.record["timezone"] for c in calls}),
            "subject_id": subject.record["id"],
            "subject_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, subject.record["id"])),
            "clusterctl_import": {
                "seconds": round(imported.seconds, 3),
                "peak_rss_mb": round(imported.peak_kb / 1024, 1),
            },
            "clusterctl_check": {
                "seconds": round(checked.seconds, 3),
                "peak_rss_mb": round(checked.peak_kb / 1024, 1),
            },
            "taskwarrior": {},
        }
    for model in missing:
        taskdata = base / f"taskdata-{model}"
        if taskdata.exists():
            shutil.rmtree(taskdata)
        taskdata.mkdir()
        tasks_path = base / "tasks.json"
        tasks_path.write_text(json.dumps(taskwarrior_tasks(calls, anchor, model)))
        taskrc = base / "taskrc"
        taskrc.write_text(TASKRC.format(data=taskdata))
        tenv = task_env(taskdata, taskrc)
        print(f"[{size}] `task import` (model {model!r})...", flush=True)
        tw_import = run_process(["task", "import", str(tasks_path)], tenv)
        if tw_import.returncode != 0:
            raise SystemExit(f"[{size}] task import failed: {tw_import.stderr.strip()[:2000]}")
        # One report so that gc moves completed tasks out of pending.data once, here.
        gc = run_process(["task", "list"], tenv)
        print(
            f"[{size}] task import: {tw_import.seconds:.1f} s, peak "
            f"{tw_import.peak_kb / 1024:.0f} MB; first report (gc) {gc.seconds:.1f} s",
            flush=True,
        )
        manifest["taskwarrior"][model] = {
            "seconds": round(tw_import.seconds, 3),
            "peak_rss_mb": round(tw_import.peak_kb / 1024, 1),
            "first_report_gc_s": round(gc.seconds, 3),
        }
        tasks_path.unlink()
        taskrc.unlink()
    manifest["complete"] = True
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return Built(size, store, {m: base / f"taskdata-{m}" for m in models}, manifest)


# --- the benchmark session ---------------------------------------------------------------------


def find_task(install: bool) -> str | None:
    """The ``task`` executable, installing Taskwarrior with apt-get if asked and possible."""
    exe = shutil.which("task")
    if exe or not install:
        return exe
    apt = shutil.which("apt-get")
    if apt is None:
        print("note: Taskwarrior (`task`) is missing and apt-get is not available; install it.")
        return None
    print("note: Taskwarrior missing; trying `apt-get install -y taskwarrior`...", flush=True)
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        print("note: not root and no sudo: cannot install Taskwarrior.")
        return None
    done = subprocess.run([*prefix, apt, "install", "-y", "taskwarrior"], capture_output=True)
    if done.returncode != 0:
        print(
            "note: `apt-get install -y taskwarrior` failed (maybe run `apt-get update` first):\n"
            + done.stderr.decode(errors="replace")[-800:]
        )
    return shutil.which("task")


def _date_after(iso: str, days: int) -> str:
    return (date.fromisoformat(iso[:10]) + timedelta(days=days)).isoformat()


#: clusterctl command -> its Taskwarrior equivalent, for the ratios.
PAIRS = (
    ("calls --open --within 14d", "task due<14d list"),
    ("calls --open", "task open list"),
    ("calls --open --format json", "task open export"),
    ("show ID", "task ID info"),
    ("extend ID --to", "task ID modify due:"),
    ("add", "task add"),
)
OPEN = ["status:pending", "due.after:now"]


@dataclass
class TaskSide:
    """One Taskwarrior data set prepared for a session."""

    model: str
    env: dict[str, str]
    task_id: str
    due_iso: str


def _prepare_taskwarrior(built: Built, model: str, session: Path) -> TaskSide:
    taskdata = session / f"taskdata-{model}"
    _copy_tree(built.base_taskdata[model], taskdata)
    taskrc = session / f"taskrc-{model}"
    taskrc.write_text(TASKRC.format(data=taskdata))
    tenv = task_env(taskdata, taskrc)
    exported = json.loads(capture(["task", built.manifest["subject_uuid"], "export"], tenv))
    due = exported[0]["due"]
    return TaskSide(model, tenv, str(exported[0]["id"]), f"{due[:4]}-{due[4:6]}-{due[6:8]}")


def _task_specs(side: TaskSide, kind: str) -> list[Spec]:
    """Taskwarrior's equivalents, named ``<name> [<model>]``; ``kind`` is read or write."""
    tid, env, tag = side.task_id, side.env, f" [{side.model}]"
    if kind == "read":
        return [
            Spec("task open list" + tag, fixed("task", *OPEN, "list"), env),
            Spec(
                "task due<14d list" + tag, fixed("task", *OPEN, "due.before:now+14d", "list"), env
            ),
            Spec("task open export" + tag, fixed("task", *OPEN, "export"), env),
            Spec("task ID info" + tag, fixed("task", tid, "info"), env),
        ]
    return [
        Spec(
            "task ID modify due:" + tag,
            lambda i: ["task", tid, "modify", f"due:{_date_after(side.due_iso, i + 1)}"],
            env,
        ),
        Spec(
            "task add" + tag,
            lambda i: ["task", "add", f"Benchmark call {i}", "due:2027-03-01", "project:bench"],
            env,
        ),
    ]


def bench_size(
    built: Built, cc: list[str], runs: int, models: Sequence[str]
) -> tuple[dict[str, Measurement], dict[str, dict[str, Measurement]]]:
    """Every measurement of one size, on fresh copies of its stores; clusterctl's and, per
    Taskwarrior model, Taskwarrior's (run interleaved with clusterctl's)."""
    size = built.size
    session = WORK / f"session-{size}"
    session.mkdir(parents=True, exist_ok=True)
    store = session / "store"
    cache = session / "cache"
    print(f"[{size}] copying the base stores for this session...", flush=True)
    _copy_tree(built.base_store, store)
    shutil.rmtree(cache, ignore_errors=True)
    sides = [_prepare_taskwarrior(built, model, session) for model in models]
    env = clusterctl_env(cache)
    base = [*cc, "--store", str(store)]
    subject = built.manifest["subject_id"]

    print(f"[{size}] timing ({runs} interleaved runs after a warm-up round)...", flush=True)
    # Cold: no summary cache at all (the first command after a clone, or after deleting it).
    cold = run_process([*base, "calls", "--open"], env)
    _must(cold)
    reads = [
        Spec("calls --open", fixed(*base, "calls", "--open"), env),
        Spec(
            "calls --open --format json", fixed(*base, "calls", "--open", "--format", "json"), env
        ),
        Spec("calls --open --within 14d", fixed(*base, "calls", "--open", "--within", "14d"), env),
        Spec("show ID", fixed(*base, "show", subject), env),
        Spec("warn --dry-run", fixed(*base, "warn", "--dry-run"), env),
    ]
    for side in sides:
        reads += _task_specs(side, "read")
    measured = measure_group(reads, runs)
    measured["calls --open"].cold = cold

    current = json.loads(capture([*base, "show", subject, "--format", "json"], env))["deadline"]
    writes = [
        Spec(
            "extend ID --to",
            lambda i: [*base, "extend", subject, "--to", _date_after(current, i + 1)],
            env,
        ),
        Spec(
            "add",
            lambda i: [
                *base,
                "add",
                f"BENCH-ADD-{size}-{i:03d}",
                "--title",
                f"Benchmark call {i}",
                "--deadline",
                "2027-03-01",
                "--programme",
                "bench",
            ],
            env,
        ),
    ]
    for side in sides:
        writes += _task_specs(side, "write")
    measured.update(measure_group(writes, runs))

    # A listing right after a change: what a script doing `extend` then `calls` pays.
    after = json.loads(capture([*base, "show", subject, "--format", "json"], env))["deadline"]
    measured.update(
        measure_group(
            [
                Spec(
                    "calls --open (just after extend)",
                    fixed(*base, "calls", "--open"),
                    env,
                    warmup=False,
                    before=lambda i: _must(
                        run_process([*base, "extend", subject, "--to", _date_after(after, i)], env)
                    ),
                )
            ],
            runs,
        )
    )
    cmds = {k: v for k, v in measured.items() if not k.startswith("task ")}
    tws: dict[str, dict[str, Measurement]] = {}
    for model in models:
        tag = f" [{model}]"
        tws[model] = {k.removesuffix(tag): v for k, v in measured.items() if k.endswith(tag)}
    return cmds, tws


def _must(run: Run) -> None:
    if run.returncode != 0:
        raise CommandFailed(run.stderr.strip())


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def _row(name: str, m: Measurement, *, cold: bool = False) -> str:
    low = min(r.seconds for r in m.runs)
    extra = _ms(m.cold.seconds) if cold and m.cold else ""
    return f"  {name:<40} {_ms(m.median)} {_ms(low)} {m.peak_mb:9.1f}  {extra}"


def print_startup(startup: dict[str, Measurement]) -> None:
    """The size-independent rows."""
    print(f"\n  {'startup (no store access)':<40} median ms   min ms   peak MB")
    for name, m in startup.items():
        print(_row(name, m))


def ratios(cmds: dict[str, Measurement], tw: dict[str, Measurement]) -> dict[str, float]:
    """clusterctl median / Taskwarrior median for each pair measured."""
    return {
        f"{ours} / {theirs}": cmds[ours].median / tw[theirs].median
        for ours, theirs in PAIRS
        if ours in cmds and theirs in tw
    }


def print_size(
    size: int,
    cmds: dict[str, Measurement],
    tws: dict[str, dict[str, Measurement]],
    manifest: dict[str, Any],
) -> None:
    """One size's table."""
    counts = manifest["status_at_anchor"]
    imp = manifest["clusterctl_import"]
    print(
        f"\n{size:,} calls: {counts['open']} open, {counts['forthcoming']} forthcoming at the "
        f"anchor; {manifest['extended']} extended, {manifest['multi_stage']} multi-stage"
    )
    line = f"  build: clusterctl import {imp['seconds']:.1f} s, peak {imp['peak_rss_mb']:.0f} MB"
    for model, ti in manifest.get("taskwarrior", {}).items():
        line += f"; task import ({model}) {ti['seconds']:.1f} s, peak {ti['peak_rss_mb']:.0f} MB"
    print(line)
    print(f"  {'clusterctl':<40} median ms   min ms   peak MB   cold ms")
    for name, m in cmds.items():
        print(_row(name, m, cold=True))
    for model, tw in tws.items():
        print(f"  {'Taskwarrior, model ' + model:<40} median ms   min ms   peak MB")
        for name, m in tw.items():
            print(_row(name, m))
    if tws:
        print(f"  {'ratio clusterctl / Taskwarrior':<56}" + "".join(f"{m:>11}" for m in tws))
        for ours, theirs in PAIRS:
            cells = "".join(
                f"{cmds[ours].median / tw[theirs].median:11.2f}"
                if ours in cmds and theirs in tw
                else f"{'-':>11}"
                for tw in tws.values()
            )
            print(f"    {ours:<26} / {theirs:<24}{cells}")


@dataclass
class Target:
    """One target of issue 6 and whether it was met."""

    name: str
    value: float | None
    limit: float
    unit: str

    @property
    def verdict(self) -> str:
        """PASS, FAIL or n/a (not measured in this run)."""
        if self.value is None:
            return "n/a"
        return "PASS" if self.value <= self.limit else "FAIL"


def check_targets(
    startup: dict[str, Measurement],
    sizes: dict[int, tuple[dict[str, Measurement], dict[str, dict[str, Measurement]]]],
    model: str,
) -> list[Target]:
    """The issue's targets, evaluated on medians (peak memory: the worst run of any command)."""
    targets: list[Target] = []
    bare = startup["python -c pass"].median
    limit = 2 * bare + 0.060
    for name in ("clusterctl --version", "clusterctl --help"):
        targets.append(
            Target(f"{name} <= 2 x python -c pass + 60 ms", startup[name].median, limit, "s")
        )
    cmds10, tws10 = sizes.get(10_000, ({}, {}))
    tw10 = tws10.get(model, {})
    for ours, theirs in PAIRS:
        if ours == "calls --open --format json":
            continue
        value = (
            cmds10[ours].median / tw10[theirs].median if ours in cmds10 and theirs in tw10 else None
        )
        targets.append(Target(f"10,000: {ours} / {theirs} <= 1.0", value, 1.0, "x"))
    cmds100, _ = sizes.get(100_000, ({}, {}))
    listing = cmds100.get("calls --open")
    targets.append(
        Target("100,000: calls --open < 1 s", listing.median if listing else None, 1.0, "s")
    )
    extend = cmds100.get("extend ID --to")
    targets.append(Target("100,000: extend < 0.5 s", extend.median if extend else None, 0.5, "s"))
    peak = max((m.peak_mb for m in cmds100.values()), default=None)
    targets.append(Target("100,000: peak memory of every command < 200 MB", peak, 200.0, "MB"))
    return targets


def print_targets(targets: list[Target], model: str) -> None:
    """PASS/FAIL per target."""
    print(f"\nTargets of issue 6 (ratios against Taskwarrior model {model!r})")
    for t in targets:
        if t.value is None:
            shown = "not measured in this run"
        elif t.unit == "s":
            shown = f"{t.value * 1000:.1f} ms (limit {t.limit * 1000:.1f} ms)"
        elif t.unit == "x":
            shown = f"{t.value:.2f} (limit {t.limit:.2f})"
        else:
            shown = f"{t.value:.1f} MB (limit {t.limit:.0f} MB)"
        print(f"  {t.verdict:<5} {t.name:<64} {shown}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="store sizes (default 1000,10000,100000)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})"
    )
    parser.add_argument("--seed", type=int, default=20261125, help="generator seed")
    parser.add_argument(
        "--anchor",
        type=date.fromisoformat,
        default=DEFAULT_ANCHOR,
        help="the date deadlines are spread around (default 2026-11-25)",
    )
    parser.add_argument(
        "--tw-models",
        default=",".join(TW_MODELS),
        help="Taskwarrior data models to compare with: pending (the issue's, used for the "
        "targets), completed (closed calls as completed tasks); default both",
    )
    parser.add_argument(
        "--clusterctl",
        metavar="CMD",
        help="the command to benchmark, e.g. '/other/venv/bin/clusterctl' (default: the console "
        "script next to this Python, else 'python -m clusterctl')",
    )
    parser.add_argument("--no-taskwarrior", action="store_true", help="skip the comparison")
    parser.add_argument(
        "--no-install", action="store_true", help="never try apt-get install taskwarrior"
    )
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached stores")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: expected numbers such as 1000,10000, got {args.sizes!r}")
    if not args.sizes or any(s < 1 for s in args.sizes) or args.runs < 1:
        parser.error("--sizes and --runs must be positive")
    args.tw_models = [m.strip() for m in args.tw_models.split(",") if m.strip()]
    unknown = set(args.tw_models) - set(TW_MODELS)
    if unknown:
        parser.error(f"--tw-models: unknown {sorted(unknown)}; choose from {TW_MODELS}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Build, measure, print, write."""
    args = parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    cc = shlex.split(args.clusterctl) if args.clusterctl else clusterctl_argv()
    today = datetime.now(UTC).date()
    if abs((today - args.anchor).days) > 60:
        print(
            f"note: today ({today}) is far from the anchor ({args.anchor}), so the share of open "
            f"calls differs from the design; pass --anchor {today} for a comparable mix."
        )
    task = None if args.no_taskwarrior else find_task(not args.no_install)
    models = args.tw_models if task else []
    if task is None and not args.no_taskwarrior:
        print("note: Taskwarrior is not available: clusterctl only, no ratios.")
    task_version = capture(["task", "--version"], dict(os.environ)).strip() if task else None

    env = clusterctl_env(WORK / "startup-cache")
    print(f"clusterctl: {' '.join(cc)}; Taskwarrior: {task_version or 'none'}", flush=True)
    startup = measure_group(
        [
            Spec("python -c pass", fixed(sys.executable, "-c", "pass"), env),
            Spec("clusterctl --version", fixed(*cc, "--version"), env),
            Spec("clusterctl --help", fixed(*cc, "--help"), env),
            Spec("true (spawner floor)", fixed("true"), env),
        ],
        args.runs,
    )
    floor = startup.pop("true (spawner floor)")
    print(f"memory floor (the spawner, measured with `true`): {floor.peak_mb:.1f} MB")
    print_startup(startup)

    results: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": platform.machine(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "clusterctl": capture([*cc, "--version"], env).strip(),
            "taskwarrior": task_version,
            "taskwarrior_models": models,
            "runs": args.runs,
            "seed": args.seed,
            "anchor": args.anchor.isoformat(),
            "timing": "wall time of whole processes (perf_counter); median of the runs that "
            "follow one warm-up run",
            "memory": "each child's own peak RSS (ru_maxrss via os.wait4), started by a small "
            "spawner process whose size is the floor of every figure",
            "memory_floor_mb": round(floor.peak_mb, 1),
        },
        "startup": {name: m.as_json() for name, m in startup.items()},
        "sizes": {},
    }
    measured: dict[int, tuple[dict[str, Measurement], dict[str, dict[str, Measurement]]]] = {}
    for size in args.sizes:
        built = build(size, args.seed, args.anchor, cc, models, args.rebuild)
        cmds, tws = bench_size(built, cc, args.runs, models)
        measured[size] = (cmds, tws)
        print_size(size, cmds, tws, built.manifest)
        results["sizes"][str(size)] = {
            "build": built.manifest,
            "clusterctl": {name: m.as_json() for name, m in cmds.items()},
            "taskwarrior": {
                model: {name: m.as_json() for name, m in tw.items()} for model, tw in tws.items()
            },
            "ratios": {
                model: {k: round(v, 3) for k, v in ratios(cmds, tw).items()}
                for model, tw in tws.items()
            },
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")  # partial results survive

    model = "pending" if "pending" in models else (models[0] if models else "pending")
    targets = check_targets(startup, measured, model)
    print("\n" + "=" * 100)
    print_startup(startup)
    for size, (cmds, tws) in measured.items():
        print_size(size, cmds, tws, results["sizes"][str(size)]["build"])
    print_targets(targets, model)
    results["targets"] = {
        "taskwarrior_model": model,
        "results": [
            {
                "target": t.name,
                "value": None if t.value is None else round(t.value, 5),
                "limit": t.limit,
                "unit": t.unit,
                "verdict": t.verdict,
            }
            for t in targets
        ],
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults written to {args.out}")
    if _SPAWNER is not None:
        _SPAWNER.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
