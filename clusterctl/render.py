"""Output: tables for people, plain columns for pipes, stable JSON and CSV for scripts.

Which columns a listing has is decided here; how wide each is and how a table is drawn (plain,
or fitted and styled for a terminal) is ``clusterctl.layout``'s. User-typed text is data: it is
printed through ``printable`` (control characters made visible) and styled only by the palette
below, so a title can neither restyle nor hijack the terminal.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from clusterctl.errors import UsageError
from clusterctl.history import Extension, Kind
from clusterctl.layout import Column, Terminal, detail_text, table_text
from clusterctl.lazyre import LazyPattern
from clusterctl.model import Call, CallSummary, Status
from clusterctl.records import NamedTuple
from clusterctl.timefmt import format_duration, format_moment, format_relative, format_time_left
from clusterctl.zones import AOE_KEY, get_zone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from clusterctl.layout import How

URGENT = timedelta(days=2)
SOON = timedelta(days=7)

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
_CONTROL = LazyPattern(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_LINE_BREAKS = LazyPattern(r"[\r\n\t]+")


def printable(text: str) -> str:
    """``text`` safe for a terminal: line breaks become spaces, other controls visible escapes."""
    if text.isprintable():  # no control, line break or bidi control (all unprintable): as is
        return text
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


class Row(NamedTuple):
    """One listing line, computed once and rendered by any of the human formats."""

    id: str
    title: str
    programme: str
    deadline: str
    time_left: str
    status: str
    extended: bool
    urgency: str  # "urgent", "soon" or ""
    tags: str = ""


class Rows:
    """A listing's rows, kept column by column (each attribute a list, one item a row, named
    as ``Row``'s fields); iterated, a ``Row`` each. A table is drawn column by column: at
    48,000 rows, a list a column instead of a ``Row`` each made the rows and their columns
    0.30 -> 0.21 s (seven alternating rounds)."""

    __slots__ = Row._fields
    id: list[str]
    title: list[str]
    programme: list[str]
    deadline: list[str]
    time_left: list[str]
    status: list[str]
    extended: list[bool]
    urgency: list[str]
    tags: list[str]

    def __init__(self) -> None:
        for field in Row._fields:
            setattr(self, field, [])

    def __len__(self) -> int:
        return len(self.id)

    def __iter__(self) -> Iterator[Row]:
        return map(Row, *(getattr(self, field) for field in Row._fields))


def urgency(remaining: float | None) -> str:
    """'urgent' within 2 days, 'soon' within 7 days, else ''."""
    if remaining is None or remaining <= 0:
        return ""
    if remaining <= URGENT.total_seconds():
        return "urgent"
    if remaining <= SOON.total_seconds():
        return "soon"
    return ""


#: Each status's text: an enum's ``.value`` is a property, 8 % of ``make_rows``'s time, a dict's
#: lookup a fifth of that.
_STATUS_TEXT = {status: status.value for status in Status}


def make_rows(summaries: Iterable[CallSummary], now: datetime, display_zone: str | None) -> Rows:
    """Rows for a listing as seen at ``now``, deadlines in the call's zone or ``display_zone``."""
    now_ts = now.timestamp()
    rows = Rows()
    ids, titles, programmes, deadlines = rows.id, rows.title, rows.programme, rows.deadline
    lefts, statuses, extended, urgencies = rows.time_left, rows.status, rows.extended, rows.urgency
    tag_cells = rows.tags
    closed = Status.CLOSED
    # Thousands of calls share far fewer deadlines (a day at 17:00 in Brussels) and openings:
    # each moment is formatted, and its urgency found, once, and the texts are checked for
    # controls at once: 48,000 rows took 0.45 s, then 0.25 s; the urgency once a moment, 0.45
    # -> 0.36 s (seven alternating rounds on a slow minute); 9,249 forthcoming calls open at
    # 548 moments.
    moments: dict[tuple[float, str], tuple[str, str, str]] = {}
    openings: dict[float, str] = {}  # so are openings: "opens in 20 days" made once each
    for s in summaries:
        status, (label, ts, _) = s.standing(now_ts)
        known = moments.get((ts, s.timezone))
        if known is None:
            deadline = datetime.fromtimestamp(ts, get_zone(s.timezone))
            known = moments[ts, s.timezone] = (
                format_moment(deadline, display_zone),
                format_time_left(deadline, now),
                urgency(ts - now_ts),
            )
        when, left, urgency_ = known
        if label:
            when = f"{when} ({printable(label)})"
        if status is closed:
            urgency_ = ""
        elif status is Status.FORTHCOMING and s.opens is not None:
            # Forthcoming means the opening is still ahead: "opens in 20 days".
            left = openings.get(s.opens, "")
            if not left:
                opens = datetime.fromtimestamp(s.opens, UTC)
                left = openings[s.opens] = "opens " + format_relative(opens, now)
        title, programme, tags = s.title, s.programme, ", ".join(s.tags)
        if not (title + programme + tags).isprintable():  # one check for the usual row
            title, programme, tags = printable(title), printable(programme), printable(tags)
        ids.append(s.id)
        titles.append(title)
        programmes.append(programme)
        deadlines.append(when)
        lefts.append(left)
        statuses.append(_STATUS_TEXT[status])
        extended.append(s.extended)
        urgencies.append(urgency_)
        tag_cells.append(tags)
    return rows


_MARKERS = {"urgent": " !! urgent", "soon": " ! soon"}


def _time_left_cells(rows: Rows) -> list[str]:
    return [
        left + _MARKERS.get(u, "") for left, u in zip(rows.time_left, rows.urgency, strict=True)
    ]


def _extended_cells(rows: Rows) -> list[str]:
    return ["extended" if extended else "" for extended in rows.extended]


def _styles_of(field: str) -> Callable[[Rows], list[str]]:
    """Each row's style: that of the palette named by its ``field`` (its urgency, its status)."""
    return lambda rows: [STYLES.get(name, "") for name in getattr(rows, field)]


class _CallColumn(NamedTuple):
    header: str
    how: How
    cells: Callable[[Rows], Sequence[str]]
    style: Callable[[Rows], list[str]] | str = ""


#: The columns of a listing by the names --columns takes, in the order --wide shows them.
CALL_COLUMNS: dict[str, _CallColumn] = {
    "id": _CallColumn("ID", "key", attrgetter("id"), STYLES["id"]),
    "title": _CallColumn("Title", "title", attrgetter("title")),
    "programme": _CallColumn("Programme", "cut", attrgetter("programme")),
    "tags": _CallColumn("Tags", "cut", attrgetter("tags")),
    "deadline": _CallColumn("Deadline", "label", attrgetter("deadline")),
    "left": _CallColumn("Time left", "words", _time_left_cells, _styles_of("urgency")),
    "status": _CallColumn("Status", "fixed", attrgetter("status"), _styles_of("status")),
    "extended": _CallColumn("Extended", "fixed", _extended_cells, STYLES["extended"]),
}
#: Piped output keeps the columns scripts have always read; a terminal adds the tags and shows
#: programme and tags only when the title keeps room (``layout.TITLE_ROOMY``).
PLAIN_COLUMNS = ("id", "title", "programme", "deadline", "left", "status", "extended")
TERMINAL_COLUMNS = ("id", "title", "programme", "tags", "deadline", "left", "status", "extended")
OPTIONAL_COLUMNS = frozenset({"programme", "tags"})
HEADERS = tuple(CALL_COLUMNS[name].header for name in PLAIN_COLUMNS)


def parse_columns(text: str) -> tuple[str, ...]:
    """The column names of a --columns value such as 'id,deadline,title' (UsageError if not)."""
    names = tuple(name.strip().lower() for name in text.split(","))
    for name in names:
        if name not in CALL_COLUMNS:
            what = f"unknown column {name!r}" if name else "an empty column name"
            raise UsageError(f"{what} in --columns; choose from {', '.join(CALL_COLUMNS)}")
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"column {name!r} is named twice in --columns")
    return names


def call_columns(
    rows: Rows,
    *,
    terminal: bool,
    names: Sequence[str] | None = None,
    wide: bool = False,
    color: bool = True,
) -> list[Column]:
    """The listing's table columns: those ``names`` (--columns) as given, else the defaults
    (every column with --wide) without the columns that are empty in every row; without
    ``color``, unstyled."""
    default = TERMINAL_COLUMNS if terminal else PLAIN_COLUMNS
    chosen = names or (tuple(CALL_COLUMNS) if wide else default)
    columns = []
    for name in chosen:
        spec = CALL_COLUMNS[name]
        cells = spec.cells(rows)
        if not names and not any(cells):
            continue
        style: str | list[str] = ""
        if isinstance(spec.style, str):
            style = spec.style
        elif color:  # a style per row only for colour: 0.02 s of 48,000 rows in a pipe
            style = spec.style(rows)
        optional = terminal and not names and not wide and name in OPTIONAL_COLUMNS
        columns.append(Column(spec.header, spec.how, cells, style, optional))
    return columns


def print_rows(
    rows: Rows,
    out: IO[str],
    terminal: Terminal | None,
    *,
    names: Sequence[str] | None = None,
    wide: bool = False,
) -> None:
    """The listing, in one write: fitted and styled on a ``terminal``, plain columns without."""
    color = terminal is not None and terminal.color
    columns = call_columns(rows, terminal=terminal is not None, names=names, wide=wide, color=color)
    out.write(table_text(columns, terminal))


def print_rows_plain(rows: Rows, out: IO[str]) -> None:
    """Aligned columns without borders or colour, for pipes and cron mail."""
    print_rows(rows, out, None)


def print_rows_table(rows: Rows, console: Any) -> None:
    """The listing on a Rich-like ``console`` (its file, width, colour and encoding)."""
    terminal, stream = _drawn_on(console, None)
    print_rows(rows, stream, terminal)


def terminal_of(stream: IO[str], no_color: bool) -> Terminal | None:
    """The terminal ``stream`` is, or None when it is not one (pipes, files, cron).

    Its width is $COLUMNS when set (as Rich and most tools read it), else the terminal's own,
    else 80; colour as ``color_wanted`` decides.
    """
    if not stream.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() else 0
    if width <= 0:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            width = os.get_terminal_size(stream.fileno()).columns
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return Terminal(width if width > 0 else 80, color_wanted(stream, no_color), encoding)


# --- machine formats ------------------------------------------------------------------------------


def write_json(value: Any, out: IO[str]) -> None:
    """Pretty, key-order-stable JSON with a trailing newline, valid on any stream.

    Non-ASCII stays readable on a UTF-8 stream; on any other it is written as \\u escapes, since
    the stream's own fallback for what it cannot encode (a backslash escape) is not JSON. NaN and
    infinity are not JSON: ``value`` must hold none (ValueError).
    """
    from clusterctl import prettyjson  # its json import: ~1.5 ms that tables never need

    # One write of the whole text: json.dump writes each token on its own, about 90 calls to
    # write per call (900,000 for a 10,000-call export, most of its time).
    out.write(prettyjson.dumps(value, ensure_ascii=not is_utf8(out)) + "\n")


def is_utf8(out: IO[str]) -> bool:
    """True when ``out`` encodes as UTF-8 (JSON may then keep non-ASCII as it is)."""
    return codecs.lookup(getattr(out, "encoding", None) or "utf-8").name == "utf-8"


def write_calls_csv(calls: Sequence[Call], now: datetime, out: IO[str]) -> None:
    """CSV with one row per call (``interchange.calls_to_csv``), always UTF-8."""
    # codec: ~6 ms that a table from the cache never needs
    from clusterctl.interchange import calls_to_csv

    text = calls_to_csv(calls, now)
    buffer = getattr(out, "buffer", None)
    if is_utf8(out) or buffer is None:
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
    """Label/value lines: 'Label  value' when piped; on a terminal (a ``Terminal`` or a
    Rich-like console) bold labels and values wrapped to its width, never cut."""
    if console is None:
        width = max(len(label) for label, _ in lines)
        out.write("".join(f"{label.ljust(width)}  {value}\n" for label, value in lines))
        return
    terminal, stream = _drawn_on(console, out)
    stream.write(detail_text(lines, terminal, STYLES["id"]))


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


def warning_columns(warnings: Sequence[Any], now: datetime, zone: str | None) -> list[Column]:
    """Due warnings as table columns, laid out as the listing's (an empty mark column left out)."""
    cells = [_warning_cells(w, now, zone) for w in warnings]
    urgencies = [STYLES.get(urgency((w.deadline - now).total_seconds()), "") for w in warnings]
    columns = [
        Column("ID", "key", [c[0] for c in cells], STYLES["id"]),
        Column("Title", "title", [c[1] for c in cells]),
        Column("Deadline", "label", [c[2] for c in cells]),
        Column("Time left", "words", [c[3] for c in cells], urgencies),
        Column("", "fixed", [c[4] for c in cells], STYLES["extended"]),
    ]
    return columns if any(c[4] for c in cells) else columns[:-1]


def print_warnings_table(
    warnings: Sequence[Any],
    now: datetime,
    zone: str | None,
    console: Any,
    out: IO[str] | None = None,
) -> None:
    """Due warnings as a table on a terminal: ``console`` is a ``Terminal`` (written to ``out``,
    else stdout) or a Rich-like console (written to its file)."""
    terminal, stream = _drawn_on(console, out)
    stream.write(table_text(warning_columns(warnings, now, zone), terminal))


def _drawn_on(console: Any, out: IO[str] | None) -> tuple[Terminal, IO[str]]:
    """The terminal and stream of a ``Terminal`` (with ``out``) or of a Rich-like console."""
    if isinstance(console, Terminal):
        return console, out or sys.stdout
    color = console.color_system is not None and not getattr(console, "no_color", False)
    encoding = getattr(console, "encoding", None) or "utf-8"
    return Terminal(console.width, color, encoding), out or console.file
