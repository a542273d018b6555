#!/usr/bin/env python3
"""Turn a results JSON from measure.py into Markdown tables for benchmarks/README.md.

    python benchmarks/report.py [RESULTS_JSON] [--title TEXT] [--out FILE]

Machine and versions, the data's shape, medians with their spread (min-max), peak memory, the
ratio clusterctl / Taskwarrior per data model, the exact command of every figure and the targets
of issue 6.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results" / "results.json"


def ms(value: float) -> str:
    """Milliseconds, as precise as they are meaningful."""
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def timing(m: dict[str, Any] | None) -> str:
    """Median (min-max) in ms."""
    if m is None:
        return ""
    return f"{ms(m['median_ms'])} ({ms(m['min_ms'])}–{ms(m['max_ms'])})"


def ratio(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> str:
    """clusterctl median / Taskwarrior median."""
    if not ours or not theirs:
        return ""
    return f"{ours['median_ms'] / theirs['median_ms']:.2f}"


def _pct(part: int, whole: int) -> str:
    return f"{part:,} ({100 * part / whole:.0f} %)"


def header(meta: dict[str, Any], floor: float | None) -> list[str]:
    """Machine, versions and method."""
    load = meta["load_average"][0]
    load_end = meta.get("load_average_end", [load])[0]
    peer = (
        f"Taskwarrior {meta['taskwarrior']}, models {', '.join(meta['taskwarrior_models'])}"
        if not meta["peer_missing"]
        else "**Taskwarrior missing: clusterctl alone, no ratios**"
    )
    return [
        f"- Machine: {meta['platform']}, {meta['cpus']} CPUs, load average {load} at the start, "
        f"{load_end} at the end; Python {meta['python']}; measured {meta['date']}.",
        f"- clusterctl: `{meta['clusterctl']}`, run as `{meta['clusterctl_command']}`; {peer}.",
        f"- Timing: median (min–max) of {meta['runs']} timed rounds after "
        f"{meta['warmup_rounds']} warm-up round; {meta['timing']}.",
        f"- Memory: {meta['memory']}" + (f"; floor {floor:.1f} MB." if floor is not None else "."),
    ]


def shape_line(size: dict[str, Any]) -> str:
    """What the data set looks like at the anchor, and what each tool lists now."""
    data = size["data"]
    sh, key = data["shape"], data["key"]
    n, st, ext = sh["calls"], sh["status_at_anchor"], sh["extended"]
    title = sh["title_chars"]
    now = "; ".join(
        f"{tool}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        for tool, counts in size["rows_now"].items()
    )
    return (
        f"Data (seed {key['seed']}, generator v{key['generator']}), at the anchor "
        f"{key['anchor']} 12:00 UTC: {_pct(st['open'], n)} open, "
        f"{_pct(st['forthcoming'], n)} forthcoming, {_pct(st['closed'], n)} closed; "
        f"{_pct(ext['once'] + ext['twice'], n)} extended ({ext['once']:,} once, "
        f"{ext['twice']:,} twice); {_pct(sh['two_stage'], n)} with two stages; "
        f"{sh['programmes']} programmes; {sh['tags_distinct']} distinct tags, 0–4 per call; "
        f"titles {title['min']}–{title['max']} characters (median {title['median']:.0f}); "
        f"{_pct(sh['with_url'], n)} with a URL, {_pct(sh['with_note'], n)} with a note; "
        f"{sh['zones']} time zones. Listed at measurement time: {now}."
    )


def _by(measurements: Sequence[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for m in measurements:
        table.setdefault(m["op"], {})[m["tool"]] = m
    return table


def operations_table(measurements: Sequence[dict[str, Any]], peers: Sequence[str]) -> list[str]:
    """One row per operation: clusterctl, then each Taskwarrior model with its ratio."""
    cols = ["operation", "clusterctl ms", "MB"]
    for peer in peers:
        cols += [f"{peer} ms", "MB", "ratio"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for op, tools in _by(measurements).items():
        ours = tools.get("clusterctl")
        label = f"`{op}`"
        if ours is None and len(tools) == 1:  # a reference such as the baseline: same column
            ((name, ours),) = tools.items()
            label += f" ({name})"
        cells = [label, timing(ours), f"{ours['peak_rss_mb']:.0f}" if ours else ""]
        for peer in peers:
            theirs = tools.get(peer)
            mb = f"{theirs['peak_rss_mb']:.0f}" if theirs else ""
            cells += [timing(theirs), mb, ratio(ours, theirs)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def after_import_table(first: dict[str, Any]) -> list[str]:
    """The import and the first listings right after it, run by run."""
    lines = [
        "| tool | import s | import MB | listing right after, runs 1–5, ms | listing MB |",
        "|---|---|---|---|---|",
    ]
    for tool, f in first.items():
        runs = ", ".join(ms(x) for x in f["runs_ms"])
        lines.append(
            f"| {tool} | {f['import']['ms'] / 1000:.1f} | {f['import']['peak_rss_mb']:.0f} "
            f"| {runs} | {max(f['peak_rss_mb']):.0f} |"
        )
    return lines


def commands(size: dict[str, Any]) -> list[str]:
    """The exact command of every figure, with the session directory written as $S."""
    session = size["session"]

    def show(command: str, env: dict[str, str]) -> str:
        prefix = " ".join(f"{k}={v}" for k, v in env.items())
        return f"{prefix} {command}".strip().replace(session, "$S")

    lines = [f"`S={session}`", ""]
    for tool, f in size["after_import"].items():
        lines.append(f"- import, {tool}: `{show(f['import']['command'], f['env'])}`")
        lines.append(f"  then 5 × `{show(f['listing'], f['env'])}`")
    for m in size["measurements"]:
        text = f"- {m['op']}, {m['tool']}: `{show(m['command'], m['env'])}`"
        if "last_command" in m:
            text += f" … `{show(m['last_command'], {})}`"
        if m.get("terminal"):
            text += f" (on a {m['terminal']}, {m['terminal_bytes']:,.0f} bytes shown)"
        lines.append(text)
    return lines


def targets(results: dict[str, Any], peer: str = "taskwarrior/pending") -> list[str]:
    """PASS/FAIL per target of issue 6 (ratios against the ``pending`` model)."""
    start = _by(results["startup"])
    bare = start["python -c pass"]["baseline"]["median_ms"]
    rows = []
    for op in ("--version", "--help"):
        value = start[op]["clusterctl"]["median_ms"]
        rows.append((f"`{op}` ≤ 2 × `python -c pass` + 60 ms", value, 2 * bare + 60, "ms"))
    sizes = {s["calls"]: _by(s["measurements"]) for s in results["sizes"]}
    pairs = ("calls --open --within 14d", "calls --open", "show ID", "extend ID --to DATE", "add")
    for op in pairs:
        at = sizes.get(10_000, {}).get(op, {})
        value = None
        if "clusterctl" in at and peer in at:
            value = at["clusterctl"]["median_ms"] / at[peer]["median_ms"]
        rows.append((f"10,000 calls: `{op}` / Taskwarrior ≤ 1", value, 1.0, "×"))
    big = sizes.get(100_000, {})
    for op, limit in (("calls --open", 1000), ("extend ID --to DATE", 500)):
        value = big[op]["clusterctl"]["median_ms"] if op in big else None
        rows.append((f"100,000 calls: `{op}` < {limit:,} ms", value, limit, "ms"))
    peaks = [t["clusterctl"]["peak_rss_mb"] for t in big.values() if "clusterctl" in t]
    for size in results["sizes"]:  # the listings right after the import count too
        if size["calls"] == 100_000:
            peaks += size["after_import"]["clusterctl"]["peak_rss_mb"]
    name = "100,000 calls: peak memory of every command < 200 MB"
    rows.append((name, max(peaks, default=None), 200, "MB"))
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    for name, value, limit, unit in rows:
        if value is None:
            lines.append(f"| {name} | not measured | n/a |")
            continue
        shown = f"{value:.2f} ×" if unit == "×" else f"{value:,.1f} {unit}"
        lines.append(f"| {name} | {shown} | {'PASS' if value <= limit else 'FAIL'} |")
    return lines


def render(results: dict[str, Any], title: str = "Results") -> str:
    """The whole Markdown section."""
    start = results["startup"]
    floor = next((m["peak_rss_mb"] for m in start if m["op"] == "true"), None)
    peers = [f"taskwarrior/{m}" for m in results["meta"]["taskwarrior_models"]]
    out = [f"## {title}", "", *header(results["meta"], floor), ""]
    if results["meta"]["peer_missing"]:
        out += ["> **The peer (Taskwarrior) was missing: no comparison in this run.**", ""]
    out += ["### Start-up (no store)", ""]
    out += operations_table(start, ["taskwarrior"] if peers else [])
    for size in results["sizes"]:
        out += ["", f"### {size['calls']:,} calls", "", shape_line(size), ""]
        out += operations_table(size["measurements"], peers)
        out += ["", "Right after an import (no summary cache yet), in order:", ""]
        out += after_import_table(size["after_import"])
        out += ["", "<details><summary>Exact commands</summary>", "", *commands(size)]
        out += ["", "</details>"]
    out += ["", "### Targets of issue 6 (ratios against the `pending` model)", ""]
    out += targets(results)
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print (or write) the Markdown for a results file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("results", nargs="?", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--title", default="Results", help="the section's heading")
    parser.add_argument("--out", type=Path, help="write here instead of printing")
    args = parser.parse_args(argv)
    text = render(json.loads(args.results.read_text(encoding="utf-8")), args.title)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
