"""Tables for people (clusterctl/layout.py and the table parts of clusterctl/render.py).

The width allocation is pure: tested on made-up columns, with hypothesis for its promises
(never under a column's minimum, a fixed column whole, the line within the terminal when it can
be). Whole tables are rendered into strings at 80, 100, 120 and 160 columns, plain and styled,
and read back; the real pseudo-terminal runs are in tests/cli/test_listing_terminal.py.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterctl import layout, render
from clusterctl.errors import UsageError
from clusterctl.layout import (
    Column,
    Fit,
    Layout,
    Terminal,
    allocate,
    cell_width,
    detail_text,
    table_text,
    truncate,
    wrap,
)
from clusterctl.model import CallSummary

ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DAY = 86400.0


def plain(text: str) -> str:
    """``text`` without SGR escapes."""
    return ANSI.sub("", text)


# --- display width, cutting and wrapping ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("abc", 3),
        ("", 0),
        ("Zürich", 6),
        ("Ελλάδα", 6),
        ("日本語", 6),  # wide
        ("ｆｕｌｌ", 8),  # fullwidth forms
        ("e\u0301", 1),  # a combining accent takes no column
        ("🙂", 2),
        ("a\u200db", 2),  # a zero-width joiner
    ],
)
def test_cell_width_counts_terminal_columns(text: str, width: int) -> None:
    assert cell_width(text) == width


@pytest.mark.parametrize(
    ("text", "width", "cut"),
    [
        ("Hydrogen valleys", 20, "Hydrogen valleys"),
        ("Hydrogen valleys", 16, "Hydrogen valleys"),
        ("Hydrogen valleys", 15, "Hydrogen valle…"),
        ("Hydrogen valleys", 10, "Hydrogen…"),  # no space before the ellipsis
        ("日本語のタイトル", 7, "日本語…"),  # never half a wide character
        ("日本語のタイトル", 8, "日本語…"),
        ("abc", 0, ""),
    ],
)
def test_truncate_ends_in_an_ellipsis_within_the_width(text: str, width: int, cut: str) -> None:
    assert truncate(text, width) == cut
    assert cell_width(truncate(text, width)) <= width


@pytest.mark.parametrize(
    ("text", "width", "how", "lines"),
    [
        (
            "2027-01-29 12:00 CET (Cut-off 1)",
            25,
            "label",
            ["2027-01-29 12:00 CET", "(Cut-off 1)"],
        ),
        ("2027-01-29 12:00 CET (Cut-off 1)", 32, "label", ["2027-01-29 12:00 CET (Cut-off 1)"]),
        ("closed 1021 days 7 h ago", 16, "words", ["closed 1021 days", "7 h ago"]),
        ("in 1 day 17 h !! urgent", 14, "words", ["in 1 day 17 h", "!! urgent"]),
        ("in 113 days 17 h", 12, "words", ["in 113 days", "17 h"]),  # '17 h' stays together
        ("https://example.org/a/b/c", 10, "words", ["https://ex", "ample.org/", "a/b/c"]),
    ],
)
def test_wrap_breaks_where_the_column_allows_and_cuts_nothing(
    text: str, width: int, how: layout.How, lines: list[str]
) -> None:
    assert wrap(text, width, how) == lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_minimum_widths() -> None:
    deadlines = ["2027-01-29 12:00 CET (Cut-off 1)", "2027-04-08 17:00 CEST (Full proposal)"]
    assert layout.minimum_width(deadlines, "label", "Deadline") == len("2027-04-08 17:00 CEST")
    # Words, a number with its unit, an urgency mark: '!! urgent' and the header are widest.
    assert layout.minimum_width(["in 113 days 17 h", "!! urgent"], "words", "Time left") == 9
    assert layout.minimum_width(["a" * 50], "title", "Title") == 20
    assert layout.minimum_width(["a" * 50], "cut", "Programme") == 10
    assert layout.minimum_width(["forthcoming"], "fixed", "Status") == 11


def test_minimum_widths_of_columns_whose_cells_repeat() -> None:
    # Thousands of rows share a few moments: each distinct text counts once, as often as it
    # repeats, and a wide one met once still sets the width (in any place in the column).
    times = ["in 3 days"] * 500 + ["in 12 hours 5 min"] + ["in 3 days"] * 500
    assert layout.minimum_width(times, "words", "Left") == len("12 hours")
    deadlines = ["2027-01-29 12:00 CET (Stage 1)"] * 1000 + ["2027-01-29 12:00 AoE-12:00"]
    assert layout.minimum_width(deadlines, "label", "D") == len("2027-01-29 12:00 AoE-12:00")
    # Wide characters are measured as the terminal shows them, repeated or not.
    assert layout.minimum_width(["期限 2 日"] * 3, "words", "") == 4
    assert layout.minimum_width([], "words", "Time left") == len("Time left")


# --- width allocation --------------------------------------------------------------------------

ID = Fit("key", 39, 39)
TITLE = Fit("title", 120, 20)
PROGRAMME = Fit("cut", 24, 10, optional=True)
DEADLINE = Fit("label", 36, 21)
LEFT = Fit("words", 24, 9)
STATUS = Fit("fixed", 11, 11)


def test_without_a_terminal_every_column_is_whole() -> None:
    assert allocate([ID, TITLE, PROGRAMME, DEADLINE], None) == Layout((39, 120, 24, 36))


def test_the_title_takes_what_is_left_on_one_line() -> None:
    # 39 + 36 + 24 + 11 and 4 gaps of 2 = 118: the title gets 160 - 118 = 42.
    assert allocate([ID, TITLE, DEADLINE, LEFT, STATUS], 160) == Layout((39, 42, 36, 24, 11))


def test_a_label_moves_to_its_own_line_before_the_title_goes_under_20() -> None:
    # At 140 the title would get 20 with every label on its line: 39+20+36+24+11+8 = 138 fits.
    assert allocate([ID, TITLE, DEADLINE, LEFT, STATUS], 140) == Layout((39, 22, 36, 24, 11))
    # At 130 the labels go below the moments (21 columns) and the title gets the rest.
    assert allocate([ID, TITLE, DEADLINE, LEFT, STATUS], 130) == Layout((39, 27, 21, 24, 11))


def test_below_20_title_columns_the_title_gets_a_line_of_its_own() -> None:
    # 39 + 21 + 24 + 11 + 20 and 4 gaps = 123 > 120: the title goes below, the labels stay.
    assert allocate([ID, TITLE, DEADLINE, LEFT, STATUS], 120) == Layout(
        (39, 0, 36, 24, 11), title=118
    )
    # At 112 (39 + 36 + 24 + 11 + 6 = 116) the labels go below the moments as well.
    assert allocate([ID, TITLE, DEADLINE, LEFT, STATUS], 112) == Layout(
        (39, 0, 21, 24, 11), title=110
    )


def test_then_the_id_gets_a_line_of_its_own_and_the_time_left_wraps_last() -> None:
    # 39+21+24+11 + 3 gaps = 101 > 100: the id goes above, the rest fits in 100 - 2.
    assert allocate([ID, TITLE, DEADLINE, LEFT, STATUS], 100) == Layout(
        (0, 0, 36, 24, 11), title=98, key=True
    )
    # At 60: 2 + 21 + 24 + 11 + 4 = 62: the time left wraps into 22 columns.
    assert allocate([ID, TITLE, DEADLINE, LEFT, STATUS], 60) == Layout(
        (0, 0, 21, 22, 11), title=58, key=True
    )


def test_optional_columns_only_while_the_title_keeps_40() -> None:
    fits = [ID, TITLE, PROGRAMME, DEADLINE, LEFT, STATUS]
    # 160: the title would keep 40 - 26 = 14 with the programme: left out.
    assert allocate(fits, 160).widths[2] == 0
    # 200: with the programme the title keeps 200 - 118 - 26 = 56.
    assert allocate(fits, 200) == Layout((39, 56, 24, 36, 24, 11))
    # A short title keeps all it needs: the programme comes in sooner.
    short = [ID, Fit("title", 30, 20), PROGRAMME, DEADLINE, LEFT, STATUS]
    assert allocate(short, 175).widths == (39, 30, 24, 36, 24, 11)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[Fit], int]:
    kinds = ["fixed", "key", "title", "cut", "label", "words"]
    fits = []
    for how in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=8)):
        natural = draw(st.integers(1, 90))
        if how in ("fixed", "key"):
            minimum = natural
        elif how == "title":
            minimum = min(natural, 20)
        else:
            minimum = draw(st.integers(1, natural))
        fits.append(Fit(how, natural, minimum, optional=draw(st.booleans())))
    return fits, draw(st.integers(20, 250))


@given(tables())
def test_allocation_promises(table: tuple[list[Fit], int]) -> None:
    fits, width = table
    result = allocate(fits, width)
    main = [(f, w) for f, w in zip(fits, result.widths, strict=True) if w]
    for fit, w in main:
        assert fit.minimum <= w <= fit.natural or (fit.how == "title" and w >= fit.minimum)
        if fit.how in ("fixed", "key"):
            assert w == fit.natural  # never cut, never wrapped
    for fit, w in zip(fits, result.widths, strict=True):
        if not fit.optional and not w:  # a required column is on its own line, never dropped
            assert (fit.how == "title" and result.title) or (fit.how == "key" and result.key)
    used = sum(w for _, w in main) + layout.GAP * (len(main) - 1) + layout.INDENT * result.key
    least = sum(f.minimum for f, _ in main) + layout.GAP * (len(main) - 1)
    assert used <= width or used == least + layout.INDENT * result.key  # overflow only at minima
    title = next((f for f in fits if f.how == "title" and not f.optional), None)
    if title is not None and not result.title:
        on_line = result.widths[fits.index(title)]
        assert on_line >= min(title.natural, 20)


# --- whole tables -------------------------------------------------------------------------------


def summary(
    call_id: str,
    title: str,
    days: float,
    *,
    programme: str = "Horizon Europe Cluster 5",
    label: str = "",
    tags: tuple[str, ...] = (),
    extended: bool = False,
) -> CallSummary:
    deadline = NOW.timestamp() + days * DAY
    stages = ((label, deadline, extended),)
    return CallSummary(
        call_id, title, programme, tags, "Europe/Brussels", None, stages, "", extended
    )


REALISTIC = [
    summary(
        "HORIZON-CL6-2026-04-GOVERNANCE-01",
        "Additional activities for the European Partnership of Agriculture of Data",
        1.2,
        programme="HORIZON-CL6-2026-04",
    ),
    summary(
        "ESCP-S3-DEMO",
        "Example: a call with two cut-off dates",
        65,
        programme="COSME",
        label="Cut-off 1",
        tags=("demo", "ours"),
        extended=True,
    ),
    summary(
        "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10",
        "Horizon scanning and foresight in future enabling digital technologies (CSA)",
        113,
    ),
    summary(
        "HORIZON-INFRA-2024-EOSC-01-03",
        "Enabling a network of EOSC federated and trustworthy repositories and enhancing the "
        "framework of generic and discipline specific services for data and other research "
        "digital objects",
        -987,
    ),
]


def draw(summaries: list[CallSummary], width: int, **options: object) -> str:
    out = io.StringIO()
    rows = render.make_rows(summaries, NOW, None)
    render.print_rows(rows, out, Terminal(width, color=False), **options)  # type: ignore[arg-type]
    return out.getvalue()


def row_blocks(text: str, ids: list[str]) -> dict[str, str]:
    """Each id's row: its lines, from the line that starts with the id to the next such line."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if any(line.startswith(x) for x in ids)]
    blocks = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        call_id = next(x for x in ids if lines[start].split()[0] == x)
        blocks[call_id] = "\n".join(lines[start:end])
    return blocks


@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_every_row_keeps_its_id_deadline_status_and_20_title_characters(width: int) -> None:
    text = draw(REALISTIC, width)
    assert max(cell_width(line) for line in text.splitlines()) <= width
    rows = render.make_rows(REALISTIC, NOW, None)
    blocks = row_blocks(text, [r.id for r in rows])
    assert list(blocks) == [r.id for r in rows]
    for row in rows:
        block = blocks[row.id]
        assert row.id in block.splitlines()[0].split()  # whole, on one line
        moment = row.deadline.partition(" (")[0]
        assert any(moment in line for line in block.splitlines())  # date, time, zone together
        assert re.search(rf"\b{row.status}\b", block)
        assert any(row.title[:20] in line for line in block.splitlines())
        assert row.time_left in block.replace("\n", " ") or row.time_left.split()[0] in block


def test_the_look_at_80_columns() -> None:
    # 33 + 32 + 22 + 6 + 8 and 4 gaps > 80: the title below, the id above the rest.
    assert draw(REALISTIC[:2], 80).splitlines() == [
        "ID",
        "  Deadline                          Time left               Status  Extended",
        "  Title",
        "─" * 76,
        "HORIZON-CL6-2026-04-GOVERNANCE-01",
        "  2026-11-26 17:48 CET              in 1 day 4 h !! urgent  open",
        "  Additional activities for the European Partnership of Agriculture of Data",
        "ESCP-S3-DEMO",
        "  2027-01-29 13:00 CET (Cut-off 1)  in 65 days              open    extended",
        "  Example: a call with two cut-off dates",
    ]


def test_the_look_at_160_columns() -> None:
    # One line; the title gets 49 columns; with the programme it would keep under 40: left out.
    assert draw(REALISTIC[:2], 160).splitlines() == [
        "ID                                 Title                                              "
        "Deadline                          Time left               Status  Extended",
        "─" * 160,
        "HORIZON-CL6-2026-04-GOVERNANCE-01  Additional activities for the European Partnersh…  "
        "2026-11-26 17:48 CET              in 1 day 4 h !! urgent  open",
        "ESCP-S3-DEMO                       Example: a call with two cut-off dates             "
        "2027-01-29 13:00 CET (Cut-off 1)  in 65 days              open    extended",
    ]
    # Wider, programme and tags come in while the title keeps its whole 73 columns.
    assert draw(REALISTIC[:2], 220).splitlines()[0].split() == [
        "ID", "Title", "Programme", "Tags", "Deadline", "Time", "left", "Status", "Extended",
    ]  # fmt: skip


def test_colour_styles_only_the_cells_and_the_header() -> None:
    rows = render.make_rows(REALISTIC[:2], NOW, None)
    out = io.StringIO()
    render.print_rows(rows, out, Terminal(160, color=True))
    text = out.getvalue()
    assert "\x1b[1mID\x1b[0m" in text  # bold header
    assert "\x1b[1mHORIZON-CL6-2026-04-GOVERNANCE-01\x1b[0m" in text  # bold id
    assert "\x1b[1;31min 1 day 4 h !! urgent\x1b[0m" in text  # urgent
    assert "\x1b[32mopen\x1b[0m" in text
    assert "\x1b[35mextended\x1b[0m" in text
    assert plain(text) == draw(REALISTIC[:2], 160)  # colour adds escapes and nothing else


WIDE = summary("CJK-1", "資金調達の呼びかけ：クラスター連携", 3, programme="欧州", tags=("標準",))


@pytest.mark.parametrize("width", [80, 100, 120, 160, 220])
@pytest.mark.parametrize("calls", [REALISTIC, [*REALISTIC, WIDE]], ids=["ascii", "with-wide"])
def test_colour_adds_escapes_and_nothing_else(width: int, calls: list[CallSummary]) -> None:
    # Columns of ASCII text and columns with wide characters are padded by separate means:
    # either way the coloured table, its escapes taken out, is the plain one, cell for cell.
    rows = render.make_rows(calls, NOW, None)
    out = io.StringIO()
    render.print_rows(rows, out, Terminal(width, color=True), wide=True)
    assert "\x1b[" in out.getvalue()
    assert plain(out.getvalue()) == draw(calls, width, wide=True)


def test_a_title_is_data_on_a_terminal() -> None:
    hostile = summary("EVIL-1", "[bold red]X[/] \x1b[31mred\x1b]8;;http://evil\x07 end", 3)
    rows = render.make_rows([hostile], NOW, None)
    out = io.StringIO()
    render.print_rows(rows, out, Terminal(200, color=True))
    text = out.getvalue()
    assert "[bold red]X[/] \\x1b[31mred\\x1b]8;;http://evil\\x07 end" in text
    assert "\x1b[31mred" not in text and "\x07" not in text and "\x1b]" not in text


def test_wide_characters_are_measured_by_their_columns() -> None:
    calls = [
        summary("CJK-1", "日本語のタイトル：クラスター協力のための国際的な呼びかけ", 3),
        summary("ASCII-2", "A plain title for a cluster call on regional innovation", 4),
    ]
    text = draw(calls, 100)
    lines = text.splitlines()
    assert max(cell_width(line) for line in lines) <= 100
    # The status column starts at the same terminal column on every row.
    starts = {cell_width(line[: line.index("open")]) for line in lines if "open" in line}
    assert len(starts) == 1


def test_a_cell_wraps_by_its_columns_and_goes_on_under_its_own_column() -> None:
    # 7 characters in 13 columns: in a column of 8 the cell wraps, though its length would fit.
    wide = [
        Column("Tags", "words", ["日本語 日本語", "a b"]),
        Column("Status", "fixed", ["open"] * 2),
    ]
    assert table_text(wide, Terminal(16, False)).splitlines()[2:] == [
        "日本語    open",
        "日本語",
        "a b       open",
    ]
    # What wraps goes on under its column, after the blank cells of the columns before it.
    cells = ["in 3 days !! urgent", "in 9 days"]
    table = [Column("ID", "fixed", ["A-1", "B-2"]), Column("Time left", "words", cells)]
    table.append(Column("Status", "fixed", ["open"] * 2))
    assert table_text(table, Terminal(24, False)).splitlines()[2:] == [
        "A-1  in 3 days    open",
        "     !! urgent",
        "B-2  in 9 days    open",
    ]


def test_a_terminal_that_cannot_show_unicode_gets_ascii_and_escapes() -> None:
    calls = [summary("U-1", "Zürich – Ελλάδα: " + "x" * 80, 3)]
    out = io.StringIO()
    render.print_rows(render.make_rows(calls, NOW, None), out, Terminal(80, False, "ascii"))
    text = out.getvalue()
    assert text.isascii()
    assert "Z\\xfcrich \\u2013" in text
    assert "-" * 40 in text and "~" in text  # the rule and the ellipsis
    assert max(len(line) for line in text.splitlines()) <= 80


def test_plain_text_is_the_aligned_columns_scripts_read() -> None:
    columns = [
        Column("ID", "key", ["A-1", "LONGER-ID-2"], "bold"),
        Column("Title", "title", ["x" * 90, "short"]),
        Column("Status", "fixed", ["open", "closed"], ["green", "dim"]),
        Column("Note", "fixed", ["", "n"]),
    ]
    table = [["ID", "Title", "Status", "Note"], ["A-1", "x" * 90, "open", ""]]
    table.append(["LONGER-ID-2", "short", "closed", "n"])
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    expected = "".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in table
    )
    assert table_text(columns, None) == expected  # whole cells, no style, no rule


CELL_TEXT = st.text(
    alphabet=st.sampled_from(["a", "Z", "7", " ", "%", "s", "-", "é", "漢", "\u0301"]), max_size=12
)


@given(st.lists(st.lists(CELL_TEXT, min_size=3, max_size=3), min_size=1, max_size=6))
def test_plain_text_pads_every_cell_by_its_columns(cells: list[list[str]]) -> None:
    # ASCII tables take a shorter way (one format a row) than others: both give these lines.
    headers = ["ID", "Title", "Status"]
    columns = [
        Column(header, how, [row[i] for row in cells])
        for i, (header, how) in enumerate(zip(headers, ("key", "title", "fixed"), strict=True))
    ]
    table = [headers, *cells]
    widths = [max(cell_width(row[i]) for row in table) for i in range(3)]
    expected = "".join(
        "  ".join(c + " " * (w - cell_width(c)) for c, w in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in table
    )
    assert table_text(columns, None) == expected


# --- which columns ------------------------------------------------------------------------------


def test_piped_columns_are_todays_without_empty_ones() -> None:
    rows = render.make_rows(REALISTIC[2:], NOW, None)  # nothing extended, no tags
    out = io.StringIO()
    render.print_rows(rows, out, None)
    header = out.getvalue().splitlines()[0]
    assert re.split(r"  +", header) == [
        "ID", "Title", "Programme", "Deadline", "Time left", "Status",
    ]  # fmt: skip
    out = io.StringIO()
    render.print_rows(rows, out, None, wide=True)
    assert re.split(r"  +", out.getvalue().splitlines()[0]) == [
        "ID", "Title", "Programme", "Deadline", "Time left", "Status",
    ]  # fmt: skip
    out = io.StringIO()
    render.print_rows(rows, out, None, names=("status", "id", "extended", "tags"))
    assert out.getvalue().splitlines() == [
        "Status  ID                                       Extended  Tags",
        "open    HORIZON-CL4-2027-04-DIGITAL-EMERGING-10",
        "closed  HORIZON-INFRA-2024-EOSC-01-03",
    ]  # named columns stay, even empty


def test_wide_shows_every_column_that_has_something() -> None:
    rows = render.make_rows(REALISTIC, NOW, None)
    out = io.StringIO()
    render.print_rows(rows, out, None, wide=True)
    assert re.split(r"  +", out.getvalue().splitlines()[0]) == [
        "ID", "Title", "Programme", "Tags", "Deadline", "Time left", "Status", "Extended",
    ]  # fmt: skip
    # On a narrow terminal --wide keeps programme and tags (cut), still fitted.
    text = draw(REALISTIC, 100, wide=True)
    assert "Programme" in text and "Tags" in text
    assert max(cell_width(line) for line in text.splitlines()) <= 100


def test_chosen_columns_on_a_terminal() -> None:
    text = draw(REALISTIC, 120, names=("status", "id", "deadline", "title"))
    lines = text.splitlines()
    assert re.split(r"  +", lines[0]) == ["Status", "ID", "Deadline", "Title"]
    assert re.split(r"  +", lines[2])[:3] == [
        "open", "HORIZON-CL6-2026-04-GOVERNANCE-01", "2026-11-26 17:48 CET",
    ]  # fmt: skip
    # Narrower, the title goes below as with the default columns.
    lines = draw(REALISTIC, 80, names=("id", "deadline", "title")).splitlines()
    assert lines[:2] == ["ID                                       Deadline", "  Title"]
    assert max(cell_width(line) for line in lines) <= 80


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("id,deadline,title", ("id", "deadline", "title")),
        (" ID , Left ", ("id", "left")),
        ("extended", ("extended",)),
    ],
)
def test_parse_columns(text: str, names: tuple[str, ...]) -> None:
    assert render.parse_columns(text) == names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id,dealine",
            "unknown column 'dealine' in --columns; choose from id, title, programme, tags, "
            "deadline, left, status, extended",
        ),
        (
            "",
            "an empty column name in --columns; choose from id, title, programme, tags, "
            "deadline, left, status, extended",
        ),
        ("id,title,id", "column 'id' is named twice in --columns"),
    ],
)
def test_parse_columns_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        render.parse_columns(text)
    assert str(caught.value) == message


# --- one call, warnings ---------------------------------------------------------------------


def test_detail_wraps_a_url_and_an_id_and_never_cuts_them() -> None:
    url = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/x"
    long_id = "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10-WITH-A-VERY-LONG-SUFFIX-FOR-THE-TEST"
    pairs = [("ID", long_id), ("URL", url), ("Note", "word " * 30)]
    text = detail_text(pairs, Terminal(60, color=False), "bold")
    assert "…" not in text
    assert max(cell_width(line) for line in text.splitlines()) <= 60
    joined = {}
    for line in text.splitlines():
        if not line.startswith(" "):
            label = line.split()[0]
            joined[label] = line[len("Note") + 2 :].strip()
        else:
            joined[label] += line.strip() if label != "Note" else " " + line.strip()
    assert joined["ID"] == long_id and joined["URL"] == url
    coloured = detail_text(pairs, Terminal(60, color=True), "bold")
    assert coloured.startswith("\x1b[1mID\x1b[0m")


class _Warning:
    """What the warnings table reads of a ``warn.DueWarning``."""

    def __init__(self, call_id: str, title: str, days: float, extended: bool = False) -> None:
        self.call_id = call_id
        self.title = title
        self.stage = ""
        self.deadline = NOW + timedelta(days=days)
        self.extended = extended
        self.threshold = timedelta(days=7)


@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_warnings_follow_the_listings_rules(width: int) -> None:
    warnings = [
        _Warning("HORIZON-CL6-2026-04-GOVERNANCE-01", REALISTIC[0].title, 1.2),
        _Warning("ESCP-S3-DEMO", "Example: a call with two cut-off dates", 5),
    ]
    out = io.StringIO()
    render.print_warnings_table(warnings, NOW, None, Terminal(width, False), out)
    text = out.getvalue()
    assert max(cell_width(line) for line in text.splitlines()) <= width
    assert "EXTENDED" not in text and text.splitlines()[0].rstrip().endswith(
        ("Time left", "Title")
    )  # the empty mark column is left out
    assert "Additional activities" in text  # the title is never 0 columns wide
    for w in warnings:
        assert any(line.startswith(w.call_id) for line in text.splitlines())
    extended = [*warnings, _Warning("X-3", "Extended call", 6, extended=True)]
    out = io.StringIO()
    render.print_warnings_table(extended, NOW, None, Terminal(width, False), out)
    assert "EXTENDED" in out.getvalue()
