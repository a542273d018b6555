"""Renderers: the terminal-only progress counter, terminal-safe text, and the Rich tables of a
listing, one call and due warnings rendered into a Console at 80 and 160 columns."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from clusterctl import render
from clusterctl.model import Call, make_stages
from clusterctl.render import TerminalProgress, printable
from clusterctl.warn import DEFAULT_THRESHOLDS, due_warnings


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_on_a_terminal() -> None:
    out = _Terminal()
    progress = TerminalProgress("writing calls", 1000, out)
    progress(500, 1000)
    progress(1000, 1000)
    assert out.getvalue() == "\rwriting calls: 500/1000\rwriting calls: 1000/1000\n"


def test_progress_is_silent_when_not_a_terminal_or_for_small_work() -> None:
    piped = io.StringIO()
    TerminalProgress("writing calls", 10_000, piped)(10_000, 10_000)
    small = _Terminal()
    TerminalProgress("writing calls", 10, small)(10, 10)
    assert piped.getvalue() == "" and small.getvalue() == ""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[bold]x[/]", "[bold]x[/]"),
        ("a\r\nb\tc", "a b c"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]8;;http://evil\x07", "\\x1b]8;;http://evil\\x07"),
    ],
)
def test_printable_keeps_text_literal(text: str, shown: str) -> None:
    assert printable(text) == shown


# --- tables rendered into a Console, as Rich's own tests do --------------------------------------
#
# A characterisation of today's tables, kept to what must hold whatever their layout: every id
# whole, every deadline and status shown, markup in a title shown as typed. Where today's table
# breaks one of these at 80 columns, the test is an expected failure (strict: it fails once the
# table is fixed, and the mark must go) whose reason says what the table does instead.

BRU = ZoneInfo("Europe/Brussels")
NOW = datetime(2027, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 in Brussels
MARKUP = "[bold]x[/bold]"
LONG_ID = "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10"  # 38 characters, as real EU calls have


def _call(call_id: str, title: str, *deadlines: tuple[str, datetime], **more: Any) -> Call:
    return Call(
        id=call_id,
        title=title,
        timezone="Europe/Brussels",
        stages=make_stages(list(deadlines)),
        programme="COSME",
        **more,
    )


CALLS = [
    _call(
        LONG_ID,
        f"{MARKUP} Digital and emerging technologies for competitiveness",
        ("", datetime(2027, 4, 8, 17, 0, tzinfo=BRU)),
    ),
    _call(
        "COS-CLUSTPARTNS-2027-3-02",
        "Cluster partnerships",
        ("Stage 1", datetime(2027, 4, 1, 12, 0, tzinfo=BRU)),
        ("Stage 2", datetime(2027, 6, 1, 12, 0, tzinfo=BRU)),
    ).extend(datetime(2027, 4, 3, 12, 0, tzinfo=BRU), recorded=NOW, stage="Stage 1"),
    _call(
        "ESCP-S3-EOI", "Expressions of interest", ("", datetime(2026, 11, 20, 10, 0, tzinfo=BRU))
    ),
    _call(
        "EIC-2027-PATHFINDEROPEN-01",
        "Pathfinder challenges",
        ("", datetime(2027, 9, 15, 15, 30, tzinfo=BRU)),
        opens=datetime(2027, 5, 4, 0, 0, tzinfo=BRU),
    ),
]
#: id -> (the deadline a listing shows, status) at NOW
LISTED = {
    LONG_ID: ("2027-04-08 17:00 CEST", "open"),
    "COS-CLUSTPARTNS-2027-3-02": ("2027-04-03 12:00 CEST (Stage 1)", "open"),
    "ESCP-S3-EOI": ("2026-11-20 10:00 CET", "closed"),
    "EIC-2027-PATHFINDEROPEN-01": ("2027-09-15 15:30 CEST", "forthcoming"),
}


def rendered(draw: Callable[[Console], None], width: int) -> str:
    """What ``draw`` prints on a console ``width`` columns wide, without colour."""
    out = io.StringIO()
    draw(Console(file=out, width=width, color_system=None, force_terminal=False))
    return out.getvalue()


def test_a_listings_rows_are_kept_by_column_and_read_by_row() -> None:
    rows = render.make_rows([c.summary() for c in CALLS], NOW, None)
    assert len(rows) == len(CALLS)
    read = list(rows)
    assert all(isinstance(row, render.Row) for row in read)
    assert [row.id for row in read] == rows.id == [c.id for c in CALLS]
    assert {row.id: (row.deadline, row.status) for row in read} == LISTED
    by_id = {row.id: row for row in read}
    stage = by_id["COS-CLUSTPARTNS-2027-3-02"]  # 4 days 3 hours ahead, extended
    assert (stage.time_left, stage.urgency, stage.extended) == ("in 4 days 3 h", "soon", True)
    assert by_id["ESCP-S3-EOI"].urgency == ""  # closed: never urgent
    assert by_id["EIC-2027-PATHFINDEROPEN-01"].time_left.startswith("opens in ")
    assert by_id[LONG_ID].title == f"{MARKUP} Digital and emerging technologies for competitiveness"


def test_rows_of_calls_that_share_an_opening_each_say_when_it_opens() -> None:
    # Openings are formatted once a moment: calls that share one share its text; another
    # opening, and every call's status, are their own (plain text, not the enum).
    opens, later = datetime(2027, 5, 4, 0, 0, tzinfo=BRU), datetime(2027, 6, 1, 0, 0, tzinfo=BRU)
    due = ("", datetime(2027, 9, 15, 15, 30, tzinfo=BRU))
    calls = [
        _call("A-1", "First", due, opens=opens),
        _call("A-2", "Second", due, opens=later),
        _call("A-3", "Third", due, opens=opens),
    ]
    rows = render.make_rows([c.summary() for c in calls], NOW, None)
    first, second = "opens in 34 days 15 h", "opens in 62 days 15 h"
    assert rows.time_left == [first, second, first]
    assert rows.status == ["forthcoming"] * 3
    listed = render.make_rows([c.summary() for c in CALLS], NOW, None).status
    assert {type(status) for status in rows.status + listed} == {str}


def listing_table(width: int) -> str:
    rows = render.make_rows([c.summary() for c in CALLS], NOW, None)
    return rendered(lambda console: render.print_rows_table(rows, console), width)


def detail(call: Call, width: int) -> str:
    lines = render.call_detail_lines(call, NOW, None)
    return rendered(lambda console: render.print_detail(lines, console, console.file), width)


def warnings_table(width: int) -> str:
    due = due_warnings(CALLS, DEFAULT_THRESHOLDS, NOW, set())
    assert [w.call_id for w in due] == ["COS-CLUSTPARTNS-2027-3-02", LONG_ID]
    return rendered(lambda console: render.print_warnings_table(due, NOW, None, console), width)


def words(text: str) -> list[str]:
    return text.split()


def broken_at_80(reason: str) -> list[Any]:
    """Both widths: ``reason`` said what the tables did at 80 before the layout of issue 15."""
    return [80, 160]


@pytest.mark.parametrize("width", [80, 160])
def test_a_listing_table_shows_every_id_whole(width: int) -> None:
    out = listing_table(width)
    for call_id in LISTED:
        assert call_id in words(out), out


@pytest.mark.parametrize("width", [80, 160])
def test_a_listing_table_shows_every_deadline(width: int) -> None:
    out = words(listing_table(width))  # a deadline may wrap between its words
    for deadline, _ in LISTED.values():
        assert all(word in out for word in deadline.split()), (deadline, out)


@pytest.mark.parametrize(
    "width",
    broken_at_80(
        "a 38-character id leaves the other columns too little room at 80: Status is cut to "
        "'clos' and 'fort' (print_rows_table promises the status stays whole)"
    ),
)
def test_a_listing_table_shows_every_status_whole(width: int) -> None:
    out = words(listing_table(width))
    assert out.count("open") == 2
    assert out.count("forthcoming") == 1
    assert out.count("closed") == 2  # the status, and the time left: "closed 129 days ... ago"


@pytest.mark.parametrize(
    "width",
    broken_at_80(
        "a 38-character id leaves the Title column no width at all at 80 (nor Programme and "
        "Extended): the titles are not shown"
    ),
)
def test_a_listing_table_shows_markup_in_a_title_as_typed(width: int) -> None:
    assert MARKUP in listing_table(width)


@pytest.mark.parametrize("width", [80, 160])
def test_a_detail_view_shows_id_deadlines_status_and_markup_as_typed(width: int) -> None:
    out = detail(CALLS[0], width)
    lines = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in out.splitlines()}
    assert lines["ID"] == LONG_ID
    assert lines["Status"] == "open"
    assert lines["Deadline"] == "2027-04-08 17:00 CEST, in 9 days 8 h"
    assert lines["Title"].startswith(f"{MARKUP} Digital")
    assert "competitiveness" in out  # wrapped, never cut


@pytest.mark.parametrize("width", [80, 160])
def test_a_detail_view_shows_every_stage_and_extension(width: int) -> None:
    out = words(detail(CALLS[1], width))  # long values wrap between words
    assert "COS-CLUSTPARTNS-2027-3-02" in out
    for text in (
        "Deadline (Stage 1) 2027-04-03 12:00 CEST, in 4 days 3 h (extended; originally "
        "2027-04-01 12:00 CEST)",
        "Deadline (Stage 2) 2027-06-01 12:00 CEST, in 63 days 3 h",
        "Extension 1 2027-04-01 12:00 CEST -> 2027-04-03 12:00 CEST [Stage 1], recorded "
        "2027-03-30 07:00 UTC",
    ):
        assert " ".join(out).count(text) == 1, text


@pytest.mark.parametrize(
    "width",
    broken_at_80(
        "the warnings table's ID column is cut with an ellipsis: at 80 a 38-character id "
        "shows as 'HORIZON-CL4-2027-04-DIGITAL-E…'"
    ),
)
def test_a_warnings_table_shows_every_id_whole(width: int) -> None:
    out = words(warnings_table(width))
    assert LONG_ID in out and "COS-CLUSTPARTNS-2027-3-02" in out


@pytest.mark.parametrize(
    "width",
    broken_at_80(
        "at 80 the Deadline and Time left columns are cut with an ellipsis: '(Stage 1)' and "
        "'(under 7d)' are lost, and the EXTENDED column gets no width"
    ),
)
def test_a_warnings_table_shows_every_deadline_threshold_and_extension(width: int) -> None:
    out = words(warnings_table(width))
    for text in (
        "2027-04-03 12:00 CEST (Stage 1)",
        "in 4 days 3 h (under 7d)",
        "2027-04-08 17:00 CEST",
        "in 9 days 8 h (under 14d)",
        "EXTENDED",
    ):
        assert all(word in out for word in text.split()), (text, out)


@pytest.mark.parametrize(
    "width",
    broken_at_80("at 80 the warnings table's Title column gets no width: no title is shown"),
)
def test_a_warnings_table_shows_markup_in_a_title_as_typed(width: int) -> None:
    assert MARKUP in warnings_table(width)
