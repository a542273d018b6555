#!/usr/bin/env python3
"""Generate a benchmark data set: N realistic calls, for clusterctl and as Taskwarrior tasks.

    python benchmarks/generate.py --calls 10000 --out DIR [--seed S] [--anchor DATE] [--json-only]

writes ``DIR/calls.json`` (the ``calls --format json`` contract, loaded with ``clusterctl import``),
``DIR/tasks-<model>.json`` (``task import`` input), ``DIR/manifest.json`` (the data's shape) and,
unless ``--json-only``, builds ``DIR/store`` and ``DIR/taskdata-<model>`` from them.

The shape is taken at a fixed "now", ``--anchor`` at 12:00 UTC: about half the calls open, a tenth
forthcoming, the rest closed; a tenth extended once or twice; 12 % with two labelled stages.
The same seed and anchor give the same data; a smaller size is a prefix of a larger one.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import tools
import vocabulary as v

#: Bump when the generated data changes, so that cached data sets are rebuilt.
GENERATOR_VERSION = 2
DEFAULT_ANCHOR = date(2026, 11, 25)
DEFAULT_SEED = 20261125
#: How calls become Taskwarrior tasks (see ``taskwarrior_tasks``).
TW_MODELS = ("pending", "completed")


@dataclass
class Synthetic:
    """One generated call: its import record and what the benchmark needs to know at the anchor."""

    record: dict[str, Any]
    status: str  # at the anchor: open, forthcoming or closed
    effective: datetime  # the next (else last) effective deadline at the anchor
    last: datetime  # the latest effective deadline
    opens: datetime | None


def anchor_instant(anchor: date) -> datetime:
    """The benchmark's fixed "now": noon UTC on the anchor date."""
    return datetime(anchor.year, anchor.month, anchor.day, 12, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _local(day: date, hm: tuple[int, int], zone: ZoneInfo) -> datetime:
    # A wall time rebuilt from the date: an extension keeps 17:00 across a DST change.
    return datetime(day.year, day.month, day.day, *hm, tzinfo=zone)


def _make_id(rng: random.Random, pattern: str, year: int, taken: set[str]) -> str:
    for attempt in range(40):
        values = {key: rng.choice(words) for key, words in v.FIELDS.items()}
        values.update(
            year=year,
            a=rng.randint(1, 6),
            mm=f"{rng.randint(1, 12):02d}",
            nn=f"{rng.randint(1, 99):02d}",
            nnn=f"{rng.randint(1, 999):03d}",
        )
        cid = pattern.format(**values)
        if attempt > 20:  # a crowded pattern: a counter makes it unique
            cid = f"{cid}-{attempt}"
        if cid not in taken:
            taken.add(cid)
            return cid
    # Crowded even with those counters (EIC's few topics at 100,000 calls): count on from 40.
    base = cid.rsplit("-", 1)[0]
    n = 40
    while f"{base}-{n}" in taken:
        n += 1
    taken.add(f"{base}-{n}")
    return f"{base}-{n}"


def _title(rng: random.Random, programme: str) -> str:
    """A title of 40-150 characters, in the styles the portals use."""
    kind, purpose = rng.choice(v.KINDS), rng.choice(v.PURPOSES)
    subject, other = rng.sample(v.SUBJECTS, 2)
    shape = rng.choice((0, 0, 1, 2, 3, 4))
    if shape == 0:
        title = f"{kind} on {subject} {purpose}"
    elif shape == 1:
        title = f"{subject}: {kind.lower()} {purpose}"
    elif shape == 2:
        title = f"{subject} {purpose} ({rng.choice(v.ACRONYMS)})"
    elif shape == 3:
        title = f"{kind} on {subject} and {other} {purpose} in {rng.choice(v.REGIONS)}"
    else:
        title = f"{subject} in {rng.choice(v.REGIONS)}"
    title = title[0].upper() + title[1:]
    if len(title) < 40:
        title += f" ({programme})"
    if len(title) > 150:
        title = title[:150].rsplit(" ", 1)[0].rstrip(",:;")
    return title


def _schedule(
    rng: random.Random, anchor: date, hm: tuple[int, int], zone: ZoneInfo
) -> tuple[dict[str, datetime], list[dict[str, Any]], datetime | None]:
    """Stages (label -> original deadline), extensions and opening of one call.

    Half the calls are open at the anchor, a tenth forthcoming, the rest closed. Open and closed
    calls are planned backwards from the effective deadline, so an extension never changes the
    status; forthcoming ones forwards from the opening day.
    """
    roll = rng.random()
    moves = [rng.randint(7, 45) for _ in range(rng.choice((1, 1, 2)))] if rng.random() < 0.1 else []
    labels = rng.choice(v.STAGE_LABELS) if rng.random() < 0.12 else ("",)
    gap = rng.randint(90, 200)  # between two stages
    opens_day = None
    if roll >= 0.6:  # closed: up to seven years back, so COSME-era calls exist
        last = -rng.randint(1, 2555) - sum(moves)
    elif roll >= 0.5:  # forthcoming
        opens_day = rng.randint(1, 120)
        last = opens_day + rng.randint(45, 180) + (gap if len(labels) == 2 else 0)
    else:  # open: a quarter due within a month
        last = (rng.randint(1, 30) if rng.random() < 0.25 else rng.randint(31, 330)) - sum(moves)
    days = [last - gap, last][-len(labels) :]
    if opens_day is None and rng.random() < 0.7:
        opens_day = days[0] - rng.randint(60, 240)
        if roll < 0.5:  # open: opened already
            opens_day = min(opens_day, -rng.randint(1, 30))
    stages = {
        label: _local(anchor + timedelta(days=d), hm, zone)
        for label, d in zip(labels, days, strict=True)
    }
    extensions: list[dict[str, Any]] = []
    current = stages[labels[-1]]
    for move in moves:
        to = _local(current.date() + timedelta(days=move), hm, zone)
        extensions.append({"stage": labels[-1], "from": current, "to": to})
        current = to
    recorded_by = anchor_instant(anchor)
    for ext in reversed(extensions):  # announced before the deadline it moved, and by "now"
        pause = timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
        ext["recorded"] = (min(ext["from"], recorded_by) - pause).astimezone(UTC)
        recorded_by = ext["recorded"]
    opens = None if opens_day is None else _local(anchor + timedelta(days=opens_day), (0, 0), zone)
    return stages, extensions, opens


def _tags(rng: random.Random) -> list[str]:
    tags: list[str] = []
    for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 2, 3, 4))):
        tag = rng.choices(v.TAGS, v.TAG_WEIGHTS)[0]
        if tag not in tags:
            tags.append(tag)
    return tags


def _url_and_note(rng: random.Random, cid: str, programme: str) -> tuple[str, str]:
    url = note = ""
    if rng.random() < 0.75:
        url = f"{v.PORTAL}/topic-details/{cid.lower()}"
        if programme.startswith("Interreg "):
            url = f"https://www.interreg.eu/calls/{cid.lower()}"
    if rng.random() < 0.25:
        note = rng.choice(v.NOTES).format(
            lead=rng.choice(v.LEADS),
            p1=rng.choice(v.PARTNERS),
            p2=rng.choice(v.PARTNERS),
            m=rng.randint(1, 40),
            k=rng.randint(1, 12),
        )
    return url, note


def generate_calls(
    n: int, seed: int = DEFAULT_SEED, anchor: date = DEFAULT_ANCHOR
) -> list[Synthetic]:
    """``n`` calls, the same for the same (seed, anchor)."""
    rng = random.Random(seed)
    now = anchor_instant(anchor).timestamp()
    names = [p[0] for p in v.PROGRAMMES]
    weights = [p[1] for p in v.PROGRAMMES]
    patterns = {p[0]: p[2] for p in v.PROGRAMMES}
    taken: set[str] = set()
    calls: list[Synthetic] = []
    for _ in range(n):
        zone_name = rng.choice(v.ZONES)
        zone = ZoneInfo(zone_name)
        hm = rng.choice(((17, 0), (17, 0), (17, 0), (17, 0), (12, 0), (23, 59)))
        if zone_name == "Etc/GMT+12":  # anywhere on earth
            hm = (23, 59)
        stages, extensions, opens = _schedule(rng, anchor, hm, zone)
        first = min(stages.values(), key=datetime.timestamp)
        programme = rng.choices(names, weights)[0]
        if programme == "COSME" and first.year > 2020:
            programme = "Single Market Programme"  # COSME's successor from 2021
        cid = _make_id(rng, patterns[programme], first.year, taken)
        url, note = _url_and_note(rng, cid, programme)
        record = {
            "id": cid,
            "title": _title(rng, programme),
            "programme": programme,
            "url": url,
            "tags": _tags(rng),
            "note": note,
            "timezone": zone_name,
            "opens": _iso(opens) if opens else None,
            "deadlines": [{"label": label, "deadline": _iso(w)} for label, w in stages.items()],
            "extensions": [
                {
                    "stage": ext["stage"],
                    "from": _iso(ext["from"]),
                    "to": _iso(ext["to"]),
                    "reason": rng.choice(v.REASONS),
                    "source": f"{v.PORTAL}/news/{cid.lower()}",
                    "recorded": _iso(ext["recorded"].replace(microsecond=0)),
                }
                for ext in extensions
            ],
        }
        effective = {**stages, **{ext["stage"]: ext["to"] for ext in extensions}}
        ahead = [w for w in effective.values() if w.timestamp() > now]
        last = max(effective.values(), key=datetime.timestamp)
        if opens is not None and opens.timestamp() > now:
            status = "forthcoming"
        else:
            status = "open" if last.timestamp() > now else "closed"
        relevant = min(ahead, key=datetime.timestamp) if ahead else last
        calls.append(Synthetic(record, status, relevant, last, opens))
    return calls


def _tw_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def taskwarrior_tasks(
    calls: Sequence[Synthetic], anchor: date = DEFAULT_ANCHOR, model: str = "pending"
) -> list[dict[str, Any]]:
    """One Taskwarrior task per call, ``due`` = its next (else last) effective deadline.

    Model ``pending``: every call is a pending task, a closed one is just overdue. Model
    ``completed``: closed calls are completed tasks, which most Taskwarrior commands never read.
    In both a forthcoming call waits (``wait`` = opens), as ``calls --open`` hides it. The URL,
    the note and each extension become annotations, so both tools hold the same information.
    """
    now = anchor_instant(anchor)
    tasks = []
    for call in calls:
        rec = call.record
        first = min(datetime.fromisoformat(d["deadline"]) for d in rec["deadlines"])
        entry = min(call.opens or first - timedelta(days=120), now - timedelta(days=1))
        task: dict[str, Any] = {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, rec["id"])),
            "description": f"{rec['id']}: {rec['title']}",
            "project": "".join(ch for ch in rec["programme"] if ch.isalnum()),
            "entry": _tw_time(entry),
            "due": _tw_time(call.effective),
            "status": "pending",
        }
        if rec["tags"]:
            task["tags"] = list(rec["tags"])
        texts = [rec["url"], rec["note"].replace("\n", " / ")] + [
            f"deadline extended from {e['from']} to {e['to']} {e['reason']}".rstrip()
            for e in rec["extensions"]
        ]
        annotations = [text for text in texts if text]
        if annotations:  # distinct entry times: Taskwarrior keys annotations by them
            task["annotations"] = [
                {"entry": _tw_time(entry + timedelta(seconds=k)), "description": text}
                for k, text in enumerate(annotations)
            ]
        if call.status == "closed" and model == "completed":
            task["status"] = "completed"
            task["end"] = _tw_time(call.last)
        elif call.status == "forthcoming" and call.opens is not None:
            task["wait"] = _tw_time(call.opens)
        tasks.append(task)
    return tasks


def shape(calls: Sequence[Synthetic]) -> dict[str, Any]:
    """What the data set looks like at the anchor, for the report."""
    recs = [c.record for c in calls]
    status = Counter(c.status for c in calls)
    extensions = Counter(len(r["extensions"]) for r in recs)
    tags_per_call = Counter(len(r["tags"]) for r in recs)
    programmes = Counter(r["programme"] for r in recs)
    titles = [len(r["title"]) for r in recs]
    return {
        "calls": len(recs),
        "status_at_anchor": {s: status[s] for s in ("open", "forthcoming", "closed")},
        "extended": {"once": extensions[1], "twice": extensions[2]},
        "two_stage": sum(1 for r in recs if len(r["deadlines"]) == 2),
        "with_opens": sum(1 for r in recs if r["opens"]),
        "with_url": sum(1 for r in recs if r["url"]),
        "with_note": sum(1 for r in recs if r["note"]),
        "programmes": len(programmes),
        "top_programmes": programmes.most_common(5),
        "tags_distinct": len({t for r in recs for t in r["tags"]}),
        "tags_per_call": {str(k): tags_per_call[k] for k in sorted(tags_per_call)},
        "title_chars": {
            "min": min(titles),
            "median": statistics.median(titles),
            "max": max(titles),
        },
        "zones": len({r["timezone"] for r in recs}),
    }


def pick_subject(calls: Sequence[Synthetic], anchor: date) -> Synthetic:
    """The call that show/extend work on: open, one stage, due two months or more ahead."""
    later = anchor_instant(anchor) + timedelta(days=60)
    fits = [
        c
        for c in calls
        if c.status == "open" and len(c.record["deadlines"]) == 1 and c.effective > later
    ]
    return fits[len(fits) // 2] if fits else calls[0]


def write_dataset(
    out: Path,
    n: int,
    seed: int = DEFAULT_SEED,
    anchor: date = DEFAULT_ANCHOR,
    rebuild: bool = False,
) -> dict[str, Any]:
    """Write calls.json, tasks-<model>.json and manifest.json to ``out``; reuse them if current."""
    key = {"calls": n, "seed": seed, "anchor": anchor.isoformat(), "generator": GENERATOR_VERSION}
    manifest_path = out / "manifest.json"
    if manifest_path.exists() and not rebuild:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("key") == key:
            return manifest
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)  # written last: its presence marks a complete set
    started = time.perf_counter()
    calls = generate_calls(n, seed, anchor)
    files = {"calls.json": [c.record for c in calls]}
    for model in TW_MODELS:
        files[f"tasks-{model}.json"] = taskwarrior_tasks(calls, anchor, model)
    for name, data in files.items():
        (out / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    subject = pick_subject(calls, anchor)
    manifest = {
        "key": key,
        "generate_s": round(time.perf_counter() - started, 2),
        "files_mb": {name: round((out / name).stat().st_size / 1e6, 2) for name in files},
        "shape": shape(calls),
        "subject": {
            "id": subject.record["id"],
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, subject.record["id"])),
        },
    }
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Write the data set and, unless --json-only, build the stores from it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, required=True, help="how many calls")
    parser.add_argument("--out", type=Path, required=True, help="directory to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--anchor", type=date.fromisoformat, default=DEFAULT_ANCHOR)
    parser.add_argument("--json-only", action="store_true", help="build no store")
    parser.add_argument("--clusterctl", metavar="CMD", help="the clusterctl to import with")
    args = parser.parse_args(argv)
    manifest = write_dataset(args.out, args.calls, args.seed, args.anchor, rebuild=True)
    print(json.dumps(manifest["shape"], indent=1))
    if args.json_only:
        return 0
    for old in ("store", "cache", *(f"taskdata-{m}" for m in TW_MODELS)):
        shutil.rmtree(args.out / old, ignore_errors=True)
    cc = shlex.split(args.clusterctl) if args.clusterctl else tools.default_clusterctl()
    steps = [tools.clusterctl_import(args.out, args.out, cc)]
    if shutil.which("task"):
        steps += [tools.task_import(args.out, args.out, model) for model in TW_MODELS]
    else:
        print("note: `task` is not on PATH: no Taskwarrior data built", file=sys.stderr)
    for step, env in steps:
        print("$", shlex.join(step), flush=True)
        done = subprocess.run(step, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            sys.exit(f"failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
