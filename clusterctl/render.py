"""Output: Rich tables for people, plain columns for pipes, stable JSON and CSV for scripts.

User-typed text is data: it is printed through ``printable`` (control characters made visible) and
as Rich ``Text`` objects, never as markup, so a title can neither restyle nor hijack the terminal.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from clusterctl.history import Extension, Kind
from clusterctl.model import Call, CallSummary, Status
from clusterctl.timefmt import format_duration, format_moment, format_relative, format_time_left
from clusterctl.zones import AOE_KEY, get_zone

URGENT = timedelta(days=2)
SOON = timedelta(days=7)
TITLE_WIDTH = 60

#: One palette for the whole program.
STYLES = {
    "urgent": "bold red",
    "soon": "yellow",
    "open": "green",
    "forthcoming": "cyan",
    "closed": "dim",
    "extended": "magenta",
    "id": "bold",
}

# C0/C1 controls, line/paragraph separators and the bidi controls that reorder displayed text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


def printable(text: str) -> str:
    """``text`` safe for a terminal: line breaks become spaces, other controls visible escapes."""
    text = _LINE_BREAKS.sub(" ", text)
    return _CONTROL.sub(_escape, text)


def echo(text: str, *, err: bool = False) -> None:
    """Print a line for people on stdout (or stderr), control characters made visible.

    Not ``typer.echo``: Click swaps an ASCII stdout for a UTF-8 one, so a title would reach an
    ASCII terminal as raw bytes; Python's stream turns what it cannot show into escapes.
    """
    if err:
        # What stdout holds was printed first: keep that order where both go to one place (cron).
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
    stream = sys.stderr if err else sys.stdout
    if stream is not None:  # None: started with it closed
        print(printable(text), file=stream, flush=True)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def color_wanted(stream: IO[str], no_color: bool) -> bool:
    """Colour only on a terminal, never with --no-color or NO_COLOR set (no-color.org)."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def make_console(*, color: bool = True) -> Any:
    """A Rich console bound to stdout, colour as decided by ``color_wanted``."""
    from rich.console import Console  # Rich: ~31 ms that piped output never needs

    return Console(
        file=sys.stdout,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )


class TerminalProgress:
    """A one-line ``label: done/total`` counter on stderr, shown only on a terminal."""

    #: Below this many items the work is too quick for a counter to help.
    MINIMUM = 500

    def __init__(self, label: str, total: int, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = total >= self.MINIMUM and self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        self.stream.write(f"\r{self.label}: {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


# --- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One listing line, computed once and rendered by any of the human formats."""

    id: str
    title: str
    programme: str
    deadline: str
    time_left: str
    status: str
    extended: bool
    urgency: str  # "urgent", "soon" or ""


def urgency(remaining: float | None) -> str:
    """'urgent' within 2 days, 'soon' within 7 days, else ''."""
    if remaining is None or remaining <= 0:
        return ""
    if remaining <= URGENT.total_seconds():
        return "urgent"
    if remaining <= SOON.total_seconds():
        return "soon"
    return ""


def make_rows(
    summaries: Iterable[CallSummary], now: datetime, display_zone: str | None
) -> list[Row]:
    """Rows for a listing as seen at ``now``, deadlines in the call's zone or ``display_zone``."""
    now_ts = now.timestamp()
    rows = []
    for s in summaries:
        label, ts, _ = s.relevant_deadline(now_ts)
        deadline = datetime.fromtimestamp(ts, get_zone(s.timezone))
        status = s.status(now_ts)
        when = format_moment(deadline, display_zone)
        if label:
            when = f"{when} ({printable(label)})"
        if status is Status.FORTHCOMING and s.opens is not None:
            # Forthcoming means the opening is still ahead: "opens in 20 days".
            left = "opens " + format_relative(datetime.fromtimestamp(s.opens, UTC), now)
        else:
            left = format_time_left(deadline, now)
        rows.append(
            Row(
                id=s.id,
                title=printable(s.title),
                programme=printable(s.programme),
                deadline=when,
                time_left=left,
                status=str(status),
                extended=s.extended,
                urgency=urgency(ts - now_ts) if status is not Status.CLOSED else "",
            )
        )
    return rows


def _time_left_cell(row: Row) -> str:
    marker = {"urgent": " !! urgent", "soon": " ! soon"}.get(row.urgency, "")
    return row.time_left + marker


def _extended_cell(row: Row) -> str:
    return "extended" if row.extended else ""


HEADERS = ("ID", "Title", "Programme", "Deadline", "Time left", "Status", "Extended")


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.id,
        row.title,
        row.programme,
        row.deadline,
        _time_left_cell(row),
        row.status,
        _extended_cell(row),
    )


def print_rows_plain(rows: Sequence[Row], out: IO[str]) -> None:
    """Aligned columns without borders or colour, for pipes and cron mail."""
    table = [HEADERS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = []
    for line in table:
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        )
    out.write("\n".join(lines) + "\n")


def print_rows_table(rows: Sequence[Row], console: Any) -> None:
    """A Rich table for a terminal; long titles are truncated (JSON keeps them whole)."""
    from rich import box  # tables: ~6 ms more, only on a terminal
    from rich.table import Table
    from rich.text import Text

    # On a narrow terminal the title and programme give way first (cut, one line each), then
    # the deadline and time left wrap between words; the id and the status stay whole.
    table = Table(header_style="bold", expand=False, box=box.SIMPLE_HEAD)
    for header in HEADERS:
        kwargs: dict[str, Any] = {"no_wrap": header in ("ID", "Status", "Extended")}
        if header == "Title":
            kwargs.update(max_width=TITLE_WIDTH)
        elif header == "Deadline":
            kwargs.update(min_width=len("2018-03-08"))
        elif header == "Time left":
            kwargs.update(min_width=len("in 30 days"))
        table.add_column(header, **kwargs)
    for row in rows:
        status_style = STYLES.get(row.status, "")
        table.add_row(
            Text(row.id, style=STYLES["id"]),
            Text(row.title, no_wrap=True, overflow="ellipsis"),
            Text(row.programme, no_wrap=True, overflow="ellipsis"),
            Text(row.deadline),
            Text(_time_left_cell(row), style=STYLES.get(row.urgency, "")),
            Text(row.status, style=status_style),
            Text(_extended_cell(row), style=STYLES["extended"]),
        )
    console.print(table)


# --- machine formats ------------------------------------------------------------------------------


def write_json(value: Any, out: IO[str]) -> None:
    """Pretty, key-order-stable JSON with a trailing newline, valid on any stream.

    Non-ASCII stays readable on a UTF-8 stream; on any other it is written as \\u escapes, since
    the stream's own fallback for what it cannot encode (a backslash escape) is not JSON. NaN and
    infinity are not JSON: ``value`` must hold none (ValueError).
    """
    import json  # ~1.5 ms that tables never need

    json.dump(value, out, indent=2, ensure_ascii=not _is_utf8(out), allow_nan=False)
    out.write("\n")


def _is_utf8(out: IO[str]) -> bool:
    return codecs.lookup(getattr(out, "encoding", None) or "utf-8").name == "utf-8"


def write_calls_csv(calls: Sequence[Call], now: datetime, out: IO[str]) -> None:
    """CSV with one row per call (``codec.calls_to_csv``), always UTF-8."""
    # codec: ~6 ms that a table from the cache never needs
    from clusterctl.codec import calls_to_csv

    text = calls_to_csv(calls, now)
    buffer = getattr(out, "buffer", None)
    if _is_utf8(out) or buffer is None:
        out.write(text)
        return
    # CSV has no escapes: beneath a stream that is not UTF-8, write the UTF-8 bytes every CSV
    # reader (and clusterctl import) expects, rather than the stream's backslash fallbacks.
    out.flush()
    buffer.write(text.encode("utf-8", "backslashreplace"))
    buffer.flush()


# --- one call ---------------------------------------------------------------------------------


def call_detail_lines(call: Call, now: datetime, display_zone: str | None) -> list[tuple[str, str]]:
    """(label, value) pairs describing one call with its full deadline history."""

    def when(dt: datetime, aoe: bool = False) -> str:
        text = format_moment(dt, display_zone)
        return f"{text} ({format_moment(dt, AOE_KEY)})" if aoe else text

    lines: list[tuple[str, str]] = [
        ("ID", call.id),
        ("Title", printable(call.title)),
        ("Programme", printable(call.programme) or "-"),
        ("URL", printable(call.url) or "-"),
        ("Tags", printable(", ".join(call.tags)) or "-"),
        ("Status", str(call.status(now))),
        ("Time zone", call.timezone),
        ("Opens", when(call.opens) if call.opens else "-"),
    ]
    for view in call.stage_views():
        name = f"Deadline ({printable(view.label)})" if view.label else "Deadline"
        value = f"{when(view.deadline, view.aoe)}, {format_time_left(view.deadline, now)}"
        if view.moved:
            word = "brought forward" if view.last_move == Kind.BROUGHT_FORWARD else "extended"
            if view.original is None:
                value += f", {word} (original deadline not stated)"
            else:
                value += f" ({word}; originally {when(view.original)})"
        lines.append((name, value))
    if call.note:
        lines.append(("Note", printable(call.note)))
    for n, ext in enumerate(call.extensions, start=1):
        lines.append((f"{ENTRY_NAMES[ext.kind]} {n}", _entry_text(ext, when)))
    return lines


#: How ``show`` names each kind of history entry.
ENTRY_NAMES = {
    Kind.EXTENSION: "Extension",
    Kind.BROUGHT_FORWARD: "Brought forward",
    Kind.CORRECTION: "Correction",
}


def _entry_text(ext: Extension, when: Callable[[datetime, bool], str]) -> str:
    """One history entry for ``show``: what changed, old -> new, when recorded, why."""
    stage = f" [{printable(ext.stage)}]" if ext.stage else ""
    if ext.corrects == "timezone":
        text = f"time zone {ext.old} -> {ext.new} (wall times kept)"
    elif ext.corrects == "label":
        text = f"stage label {printable(ext.old)!r} -> {printable(ext.new)!r}"
    else:
        before = "not stated" if ext.from_ is None else when(ext.from_, False)
        after = "-" if ext.to is None else when(ext.to, ext.aoe)
        what = "deadline " if ext.kind is Kind.CORRECTION else ""
        text = f"{what}{before} -> {after}{stage}"
    text += f", recorded {when(ext.recorded, False)}"
    if ext.reason:
        text += f"; reason: {printable(ext.reason)}"
    if ext.source:
        text += f"; source: {printable(ext.source)}"
    return text


def print_detail(lines: Sequence[tuple[str, str]], console: Any | None, out: IO[str]) -> None:
    """Label/value lines: a two-column Rich grid on a terminal, plain 'Label: value' otherwise."""
    if console is None:
        width = max(len(label) for label, _ in lines)
        out.write("".join(f"{label.ljust(width)}  {value}\n" for label, value in lines))
        return
    from rich.table import Table  # see print_rows_table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in lines:
        grid.add_row(Text(label), Text(value))
    console.print(grid)


# --- warnings ---------------------------------------------------------------------------------


def _warning_cells(w: Any, now: datetime, zone: str | None) -> tuple[str, str, str, str, str]:
    when = format_moment(w.deadline, zone) + (f" ({printable(w.stage)})" if w.stage else "")
    note = "EXTENDED" if w.extended else ""
    left = f"{format_time_left(w.deadline, now)} (under {format_duration(w.threshold)})"
    return (w.call_id, printable(w.title), when, left, note)


def warning_lines(warnings: Sequence[Any], now: datetime, zone: str | None) -> list[str]:
    """One plain line per due warning: id, title, deadline, time left, extension mark."""
    lines = []
    for w in warnings:
        call_id, title, when, left, note = _warning_cells(w, now, zone)
        line = f"{call_id}  {title}  deadline {when}  {left}"
        lines.append(f"{line}  {note}" if note else line)
    return lines


def print_warnings_table(
    warnings: Sequence[Any], now: datetime, zone: str | None, console: Any
) -> None:
    """Due warnings as a Rich table on a terminal."""
    from rich.table import Table  # see print_rows_table
    from rich.text import Text

    table = Table(header_style="bold")
    for header in ("ID", "Title", "Deadline", "Time left", ""):
        table.add_column(
            header, no_wrap=header != "Title", max_width=TITLE_WIDTH if header == "Title" else None
        )
    for w in warnings:
        cells = _warning_cells(w, now, zone)
        remaining = (w.deadline - now).total_seconds()
        table.add_row(
            Text(cells[0], style=STYLES["id"]),
            Text(cells[1]),
            Text(cells[2]),
            Text(cells[3], style=STYLES.get(urgency(remaining), "")),
            Text(cells[4], style=STYLES["extended"]),
        )
    console.print(table)
