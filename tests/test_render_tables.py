"""Tables for people (clusterctl/layout.py).

The width allocation is pure: tested on made-up columns, with hypothesis for its promises
(never under a column's minimum, a fixed column whole, the line within the terminal when it can
be).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterctl import layout
from clusterctl.layout import (
    Column,
    Fit,
    Layout,
    allocate,
    cell_width,
    table_text,
    truncate,
    wrap,
)

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


# --- whole tables ---------------------------------------------------------------------------


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
