#!/usr/bin/env python3
"""Benchmark clusterctl against Taskwarrior: generate.py, then measure.py, then report.py.

    python benchmarks/run.py [--sizes 1000,10000,100000] [--runs 5] [--out FILE]

Installs nothing unless ``--install-taskwarrior`` is given. Without ``task`` on PATH it measures
clusterctl alone and says so loudly. A benchmark, not a test: it reports, it never fails a build.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import generate
import measure
import report
import tools


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (the flags benchmarks/README.md documents)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="calls per data set")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument(
        "--out",
        type=Path,
        default=measure.DEFAULT_OUT,
        help=f"results JSON (default {measure.DEFAULT_OUT}); the Markdown goes beside it",
    )
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED, help="generator seed")
    parser.add_argument(
        "--anchor",
        type=date.fromisoformat,
        default=generate.DEFAULT_ANCHOR,
        help="the data's fixed 'now' (noon UTC that day; default %(default)s)",
    )
    parser.add_argument(
        "--tw-models",
        default=",".join(generate.TW_MODELS),
        help="Taskwarrior data models: pending (every call a pending task; the targets use it), "
        "completed (closed calls completed); default both",
    )
    parser.add_argument(
        "--clusterctl",
        metavar="CMD",
        help="the clusterctl to measure, e.g. '/other/venv/bin/clusterctl' (default: the console "
        "script next to this Python, else 'python -m clusterctl')",
    )
    parser.add_argument("--no-taskwarrior", action="store_true", help="measure clusterctl alone")
    parser.add_argument(
        "--install-taskwarrior",
        action="store_true",
        help="if `task` is missing: apt-get install -y taskwarrior (through sudo unless root)",
    )
    parser.add_argument(
        "--no-install", action="store_true", help="accepted for old command lines: the default now"
    )
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached data sets")
    parser.add_argument("--title", help="heading of the Markdown report")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: expected numbers such as 1000,10000, got {args.sizes!r}")
    if not args.sizes or min(args.sizes) < 1 or args.runs < 1:
        parser.error("--sizes and --runs must be positive")
    args.tw_models = [m.strip() for m in args.tw_models.split(",") if m.strip()]
    unknown = set(args.tw_models) - set(generate.TW_MODELS)
    if unknown:
        parser.error(f"--tw-models: unknown {sorted(unknown)}; choose from {generate.TW_MODELS}")
    return args


def peer_models(args: argparse.Namespace) -> list[str]:
    """The Taskwarrior models to compare with; installing Taskwarrior only when asked to."""
    if args.no_taskwarrior:
        print("note: --no-taskwarrior: measuring clusterctl alone")
        return []
    if not shutil.which("task") and args.install_taskwarrior:
        tools.install_taskwarrior()
    if not shutil.which("task"):
        print(measure.peer_missing_banner(), file=sys.stderr, flush=True)
        return []
    return args.tw_models


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or reuse) the data sets, measure, write and print the report."""
    args = parse_args(argv)
    cc = shlex.split(args.clusterctl) if args.clusterctl else tools.default_clusterctl()
    today = datetime.now(UTC).date()
    if abs((today - args.anchor).days) > 30:
        print(
            f"note: today ({today}) is {abs((today - args.anchor).days)} days from the anchor "
            f"({args.anchor}): both tools use the real clock, so the share of open calls has "
            f"drifted from the design; pass --anchor {today} for the designed mix."
        )
    models = peer_models(args)
    datasets = []
    for size in args.sizes:
        data = tools.WORK / f"data-n{size}-seed{args.seed}-{args.anchor}"
        manifest = generate.write_dataset(data, size, args.seed, args.anchor, args.rebuild)
        print(f"[{size}] data set {data} (generated in {manifest['generate_s']} s)", flush=True)
        datasets.append(data)
    results = measure.measure(datasets, cc, models, args.runs, args.out)
    text = report.render(results, args.title or f"Results of {results['meta']['date'][:10]}")
    markdown = args.out.with_suffix(".md")
    markdown.write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"results: {args.out}\nreport: {markdown}")
    if not models and not args.no_taskwarrior:
        print(measure.peer_missing_banner(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
