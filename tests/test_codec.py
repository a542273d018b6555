"""Tests for clusterctl.codec: records from import files, and the JSON and CSV it writes."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterctl.codec import RecordError, call_from_json, call_to_json
from clusterctl.errors import StoreError
from clusterctl.interchange import (
    NonFiniteNumberError,
    calls_to_csv,
    escape_formula,
    load_json,
    read_calls_csv,
    unescape_formula,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)

ID_RULE = (
    "an id is 1-120 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
)


def record(**change: Any) -> dict[str, Any]:
    """A valid JSON record of one call, with ``change`` applied."""
    return {
        "id": "IMP-1",
        "title": "T",
        "timezone": "Europe/Brussels",
        "deadlines": [{"label": "", "deadline": "2030-03-08T17:00:00+01:00"}],
        **change,
    }


EXTENSION = {
    "from": "2030-03-08T17:00:00+01:00",
    "to": "2030-03-22T17:00:00+01:00",
    "recorded": "2030-03-02T16:00:00+00:00",
}


def test_a_valid_record_is_read() -> None:
    call = call_from_json(record(url="https://example.org", tags=["a", "b"]))
    assert (call.id, call.url, call.tags) == ("IMP-1", "https://example.org", ("a", "b"))


# --- import refuses what `add` refuses ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"url": "javascript:alert(1)"},
            "invalid URL 'javascript:alert(1)': it must start with http:// or https://",
        ),
        ({"url": "ftp://x"}, "invalid URL 'ftp://x': it must start with http:// or https://"),
        ({"title": " "}, "'title' is missing or empty"),
        ({"title": "\ud800"}, "'title': not valid UTF-8 text"),
        ({"note": "caf\udce9"}, "'note': not valid UTF-8 text"),
        ({"programme": "\udfff"}, "'programme': not valid UTF-8 text"),
        ({"tags": ["ok", "\ud800"]}, "'tags': not valid UTF-8 text"),
        ({"tags": [""]}, "a tag must not be empty"),
        ({"tags": ["ok", "  "]}, "a tag must not be empty"),
        ({"id": "A\x01"}, f"invalid id 'A\\x01': {ID_RULE}"),
        ({"id": "A\n"}, f"invalid id 'A\\n': {ID_RULE}"),
        (
            {"deadlines": [{"label": "\ud800", "deadline": "2030-03-08T17:00:00+01:00"}]},
            "'deadlines[1].label': not valid UTF-8 text",
        ),
        (
            {
                "deadlines": [
                    {"label": "A", "deadline": "2030-03-08T17:00:00+01:00"},
                    {"label": "B", "deadline": "2030-03-08T16:00:00+00:00"},
                ]
            },
            "two deadlines of one call are the same moment",
        ),
        (
            {"extensions": [{**EXTENSION, "reason": "\ud800"}]},
            "'extensions[1].reason': not valid UTF-8 text",
        ),
        (
            {"extensions": [{**EXTENSION, "source": "javascript:x"}]},
            "invalid URL 'javascript:x': it must start with http:// or https://",
        ),
    ],
)
def test_import_refuses_what_add_refuses(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError) as caught:
        call_from_json(record(**change))
    assert str(caught.value) == message


# --- every value of an import must be one the store can write ---------------------------------


def nested(depth: int) -> Any:
    """Arrays nested ``depth`` deep: ``[[...]]``."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": None}, "'title' is missing or empty"),
        ({"id": None}, "'id' is missing or empty"),
        ({"timezone": None}, "'timezone' is missing or empty"),
        (
            {"deadlines": [{"deadline": None}]},
            "'deadlines[1].deadline' must be a date-time, not NoneType",
        ),
        ({"deadlines": [None]}, "'deadlines' must be a list of tables"),
        ({"deadlines": None}, "'deadlines' must be a list of tables"),
        ({"tags": ["a", None]}, "'tags' must be a list of strings"),
        ({"extensions": [None]}, "'extensions' must be a list of tables"),
        (
            {"extensions": [{**EXTENSION, "to": None}]},
            "'extensions[1].to' must be a date-time, not NoneType",
        ),
        ({"zz": None}, "'zz' is null, which the store cannot hold (leave the key out)"),
        ({"zz": [1, None]}, "'zz[2]' is null, which the store cannot hold (leave the key out)"),
        (
            {"zz": {"a": [{"b": None}]}},
            "'zz.a[1].b' is null, which the store cannot hold (leave the key out)",
        ),
        (
            {"deadlines": [{"deadline": "2030-03-08T17:00:00+01:00", "q": None}]},
            "'deadlines[1].q' is null, which the store cannot hold (leave the key out)",
        ),
        (
            {"extensions": [{**EXTENSION, "q": [None]}]},
            "'extensions[1].q[1]' is null, which the store cannot hold (leave the key out)",
        ),
        ({"zz": "\ud800"}, "'zz': not valid UTF-8 text"),
        ({"zz": ["ok", {"a": "\udfff"}]}, "'zz[2].a': not valid UTF-8 text"),
        ({"\ud800": 1}, "a key of the record: not valid UTF-8 text"),
        ({"zz": {"\ud800": 1}}, "a key in 'zz': not valid UTF-8 text"),
        ({"zz": nested(800)}, "'zz' is nested more than 100 levels deep"),
        ({"zz": nested(101)}, "'zz' is nested more than 100 levels deep"),
        ({"zz": {"a": nested(100)}}, "'zz' is nested more than 100 levels deep"),
    ],
)
def test_import_refuses_what_the_store_cannot_hold(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError) as caught:
        call_from_json(record(**change))
    assert str(caught.value) == message


def test_unknown_keys_that_the_store_can_hold_are_kept() -> None:
    extra = {"zz": nested(100), "n": [1, 2.5, True, "é", {"": {}}], "opens": None}
    call = call_from_json(record(**extra))
    assert call.extra == {"zz": nested(100), "n": [1, 2.5, True, "é", {"": {}}]}
    assert call.opens is None  # a known key: null there means none


# --- JSON is always valid JSON: no NaN, no Infinity ------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "NaN is not a JSON number"),
        ('{"a": [Infinity]}', "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e999", "the number 1e999 is too large"),
        ("[-1.5e400]", "the number -1.5e400 is too large"),
    ],
)
def test_load_json_refuses_what_is_not_a_finite_number(text: str, message: str) -> None:
    with pytest.raises(NonFiniteNumberError) as caught:
        load_json(text)
    assert str(caught.value) == message


def test_load_json_reads_large_finite_numbers() -> None:
    assert load_json("[1.5e300, -2, 10000000000000000000000]") == [1.5e300, -2, 10**22]


def test_a_stored_nan_is_a_store_error_not_invalid_json() -> None:
    # TOML has nan and inf: a hand-edited file may hold one under a key the program keeps.
    call = call_from_json(record()).replace(extra={"ok": 1, "yy": [float("nan")]})
    with pytest.raises(StoreError) as caught:
        call_to_json(call, NOW)
    assert (
        str(caught.value) == "call IMP-1: key 'yy' holds nan, which JSON cannot hold; edit its file"
    )
    with pytest.raises(StoreError):
        calls_to_csv([call], NOW)


def test_stored_times_of_day_are_iso_strings_in_json() -> None:
    call = call_from_json(record()).replace(extra={"at": time(7, 32), "inf": float("inf")})
    with pytest.raises(StoreError):
        call_to_json(call, NOW)
    call = call.replace(extra={"at": [time(7, 32)]})
    assert json.dumps(call_to_json(call, NOW)["at"], allow_nan=False) == '["07:32:00"]'


def test_csv_json_columns_refuse_nan() -> None:
    text = calls_to_csv([call_from_json(record())], NOW).replace(",[],", ",[NaN],", 1)
    with pytest.raises(
        ValueError, match=r"^line 2: column 'tags' is not JSON: NaN is not a JSON number$"
    ):
        read_calls_csv(text)


# --- CSV: clusterctl reads back what it writes ---------------------------------------------------


def csv_round_trip(**change: Any) -> dict[str, Any]:
    """The record that reading the CSV of ``record(**change)`` gives back."""
    (read,) = read_calls_csv(calls_to_csv([call_from_json(record(**change))], NOW))
    return read


def test_a_field_longer_than_the_csv_modules_default_limit_round_trips() -> None:
    limit = csv.field_size_limit()
    # A title may hold 1,000 characters (clusterctl/limits.py), but the history column holds
    # every extension: three with 60,000-character reasons make a 180,000-character cell; the
    # csv module's default limit is 131,072.
    moves = [
        ("2030-03-08", "2030-03-22"),
        ("2030-03-22", "2030-04-05"),
        ("2030-04-05", "2030-04-19"),
    ]
    extensions = [
        {
            **EXTENSION,
            "from": f"{a}T17:00:00+01:00",
            "to": f"{b}T17:00:00+02:00" if b > "2030-03-30" else f"{b}T17:00:00+01:00",
            "reason": f"{n} " + "r" * 60_000,
        }
        for n, (a, b) in enumerate(moves)
    ]
    extensions[1]["from"] = extensions[0]["to"]
    extensions[2]["from"] = extensions[1]["to"]
    read = csv_round_trip(extensions=extensions)
    assert [e["reason"] for e in read["extensions"]] == [e["reason"] for e in extensions]
    assert [e.reason for e in call_from_json(read).extensions] == [e["reason"] for e in extensions]
    assert csv.field_size_limit() == limit  # the process-wide limit is left as it was


@pytest.mark.parametrize(
    "title",
    [
        "carriage\rreturn",
        "\rleading CR",
        "CRLF\r\ninside",
        "line\nfeed",
        "vertical\x0btab",
        "form\x0cfeed",
        "file\x1cgroup\x1drecord\x1eseparators",
        "next\x85line",
        "line\u2028and paragraph\u2029separators",
        'quote " and comma , and ;',
    ],
)
def test_csv_round_trips_every_line_break(title: str) -> None:
    assert csv_round_trip(title=title, note=title)["title"] == title
    assert csv_round_trip(title=title, note=title)["note"] == title


def test_csv_with_crlf_line_endings_from_other_tools_is_read() -> None:
    text = calls_to_csv([call_from_json(record(title="a\nb"))], NOW).replace("\n", "\r\n")
    (read,) = read_calls_csv(text)
    assert read["title"] == "a\r\nb"  # inside quotes: the field's own text, as written
    assert read["id"] == "IMP-1"


# --- CSV: no spreadsheet runs a cell as a formula, and import restores the text exactly ----------

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),  # its own quote must survive: one more
        ("''+x", "'''+x"),
        ("'plain", "'plain"),  # a quote before anything else is left alone
        ("''", "''"),
        ("'", "'"),
        ("a=b", "a=b"),
        (" =x", " =x"),
        ("", ""),
        ("[]", "[]"),
    ],
)
def test_formula_cells_are_escaped(text: str, cell: str) -> None:
    assert escape_formula(text) == cell
    assert unescape_formula(cell) == text


@given(st.text())
def test_every_string_survives_formula_escaping(text: str) -> None:
    cell = escape_formula(text)
    assert unescape_formula(cell) == text
    assert not cell.startswith(TRIGGERS)


@given(
    st.text(min_size=1).filter(str.strip),
    st.text(),
    st.text(),
    st.sampled_from(["", *TRIGGERS, "'", "''", "'=", "\r\n"]),
)
def test_every_title_programme_and_note_round_trips_through_csv(
    title: str, programme: str, note: str, prefix: str
) -> None:
    title = prefix + title
    (read,) = read_calls_csv(
        calls_to_csv([call_from_json(record(title=title, programme=programme, note=note))], NOW)
    )
    assert (read["title"], read["programme"], read["note"]) == (title, programme, note)


def test_exported_csv_cells_never_start_a_formula() -> None:
    call = call_from_json(record(title="=1+1", programme="@x", note="-3", url="https://x.org"))
    lines = calls_to_csv([call], NOW).splitlines()
    assert lines[1].startswith("IMP-1,'=1+1,'@x,https://x.org,[],'-3,open,")


HEADER = "id,title,timezone,deadlines,zz\n"
DEADLINES = '"[{""deadline"": ""2030-03-08T17:00:00+01:00""}]"'


def test_a_short_csv_row_leaves_its_missing_cells_out() -> None:
    (read,) = read_calls_csv(f"{HEADER}IMP-1,T,UTC,{DEADLINES}\n")
    assert "zz" not in read
    assert call_from_json(read).extra == {}


@pytest.mark.parametrize(("cells", "more"), [(",x", "1 more field"), (",x,y", "2 more fields")])
def test_a_csv_row_longer_than_the_header_is_refused_not_cut(cells: str, more: str) -> None:
    with pytest.raises(ValueError, match=rf"^line 2: {more} than the header names$"):
        read_calls_csv(f"{HEADER}IMP-1,T,UTC,{DEADLINES},z{cells}\n")
