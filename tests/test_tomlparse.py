"""TOML parsing (tomlparse.py): the parser's verdicts; no parser for a run that parses nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterctl.store.tomlfile import dump_toml
from clusterctl.tomlparse import TomlSyntaxError, parse_toml_text, read_written_form
from tests.conftest import run_main_then

TOMLI_LOADED = "print('tomli' in sys.modules or 'tomllib' in sys.modules)"


def test_a_document_and_a_syntax_error() -> None:
    assert parse_toml_text('a = 1\n[b]\nc = "d"\n') == {"a": 1, "b": {"c": "d"}}
    with pytest.raises(TomlSyntaxError, match=r"Invalid value \(at line 1, column 5\)"):
        parse_toml_text("a = \n")
    with pytest.raises(ValueError):  # TomlSyntaxError is a ValueError, as the parser's own is
        parse_toml_text("a = 007\n")


def test_a_run_answered_from_the_cache_imports_no_parser(
    seeded_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ["--store", str(seeded_store)]
    for warming in (["calls", "--all"], ["calls", "--all", "-f", "json"]):
        run_main_then([*store, *warming], "")
    for argv in (["calls"], ["calls", "--all", "-f", "json"], ["warn", "--dry-run"]):
        *_, loaded = run_main_then([*store, *argv], TOMLI_LOADED)
        assert loaded == "False", argv
    # A call file as clusterctl writes it is read without the parser; one edited by hand into
    # another form of TOML needs it, as does such a config file.
    *output, loaded = run_main_then([*store, "show", "ESCP-S3-EOI"], TOMLI_LOADED)
    assert "ESCP-S3-EOI" in "\n".join(output) and loaded == "False"
    path = seeded_store / "calls" / "ESCP-S3-EOI.toml"
    path.write_text("# checked by hand\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    *output, loaded = run_main_then([*store, "show", "ESCP-S3-EOI"], TOMLI_LOADED)
    assert "ESCP-S3-EOI" in "\n".join(output) and loaded == "True"
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Europe/Brussels" # ours\n')
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    *_, loaded = run_main_then([*store, "calls"], TOMLI_LOADED)
    assert loaded == "True"


# --- the form clusterctl writes, read without tomli --------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types, key order and UTC offsets (== on two aware datetimes
    compares only the instant)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, datetime):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None) and a.utcoffset() == b.utcoffset()
    return bool(a == b)


#: Strings as the writer writes them with short escapes at most (any other control character
#: is written as \uXXXX, which is tomli's to read).
_plain_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x7f"), max_size=12
).filter(lambda t: not any(ord(c) < 0x20 and c not in "\b\t\n\f\r" for c in t))
_zones = st.sampled_from(
    [
        None,
        UTC,
        timezone(timedelta(hours=14)),
        timezone(timedelta(hours=5, minutes=30)),
        timezone(-timedelta(hours=23, minutes=59)),
    ]
)
_written_scalars = st.one_of(
    _plain_text,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.datetimes(timezones=_zones),
)
_written_keys = st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True)
_written_tables = st.dictionaries(
    _written_keys, st.one_of(_written_scalars, st.lists(_written_scalars, max_size=3)), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(
    _written_tables,
    st.dictionaries(
        st.sampled_from(["deadlines", "extensions", "x-y"]),
        st.lists(_written_tables, min_size=1, max_size=3),
        max_size=2,
    ),
)
def test_what_clusterctl_writes_is_read_as_tomli_reads_it(
    head: dict[str, Any], blocks: dict[str, list[dict[str, Any]]]
) -> None:
    record = {**{k: v for k, v in head.items() if k not in blocks}, **blocks}
    text = dump_toml(record).decode()
    read = read_written_form(text)
    assert read is not None, text  # read without tomli: no string here needs a \uXXXX escape
    assert _same(read, tomli.loads(text))
    assert _same(read, record)


#: Lines in and around the written form: valid and not, each meaning what TOML says.
_LINES = [
    'id = "A-1"',
    'title = "Ünïcode ✓ \t tab"',
    "n = 0",
    "n = -0",
    "n = 007",
    "n = +1",
    "n = 1_000",
    "n = 123456789012345678",
    "n = 1234567890123456789012",
    "n = 1.5",
    "b = true",
    "b = True",
    "d = 2018-03-08 17:00:00+01:00",
    "d = 2018-02-30 17:00:00+01:00",
    "d = 2018-03-08 17:00:00+24:00",
    "d = 2018-03-08 17:00:00+12:75",
    "d = 2018-03-08 17:00:00-23:59",
    "d = 0000-03-08 17:00:00",
    "d = 2018-03-08 17:00:00.123456+00:00",
    "d = 2018-03-08 17:00:00.12+00:00",
    "d = 2018-03-08T17:00:00Z",
    "d = 2018-03-08",
    "d = 2018-03-08 17:00:60",
    "d = 2018-03-08 24:00:00",
    "d = 2018-13-08 17:00:00",
    "d = 2018-03-00 17:00:00",
    "d = 2018-03-08 17:60:00+01:00",
    "d = ٢٠١٨-03-08 17:00:00",
    'e = "a\\"b"',
    'e = "a\x01b"',
    'e = "a\x7fb"',
    'e = "a\x1fb"',
    'e = "a\\u00e9"',
    'e = "a\\nb\\tc\\\\d\\"e\\rf\\bg\\fh"',
    'e = "a\\qb"',
    'e = "\\"',
    'e = "',
    'e = "\\\\"',
    'e = "a\\eb"',
    'e = "\\x41"',
    "e = 'literal'",
    'e = """x"""',
    'e = "x',
    'e = "x" # note',
    "# a comment",
    "",
    "tags = [",
    '    "a",',
    "    1,",
    '    "b"',
    "]",
    "tags = []",
    "tags = [ ]",
    '  id = "A-1"',
    'id  = "A-1"',
    'id="A-1"',
    'x.y = "z"',
    '"quoted" = 1',
    "[[deadlines]]",
    "[[ deadlines ]]",
    "[deadlines]",
    "[[x.y]]",
    "[[id]]",
    "[[tags]]",
    'id = "A-1"\r',
]


def _check_against_tomli(text: str) -> bool:
    """Whether ``text`` was read without tomli; fails unless that reading, or else the one
    ``parse_toml_text`` falls back to, is exactly tomli's (its error for text it refuses)."""
    read = read_written_form(text)
    try:
        expected = tomli.loads(text)
    except ValueError:  # TOMLDecodeError, or a ValueError of its own
        assert read is None, repr(text)  # never read: tomli's error is what is shown
        with pytest.raises(TomlSyntaxError):
            parse_toml_text(text)
        return False
    assert read is None or _same(read, expected), repr(text)
    assert _same(parse_toml_text(text), expected), repr(text)
    return read is not None


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(_LINES), max_size=10),
    st.sampled_from(["\n", "\r\n", "", "\n\n"]),
)
def test_near_the_written_form_it_reads_as_tomli_or_leaves_it_to_tomli(
    lines: list[str], end: str
) -> None:
    _check_against_tomli("\n".join(lines) + end)


#: A call file in the written form with every kind of value it holds.
_RICH = """id = "HORIZON-CL4-2027-01"
title = "Twin transition: \\"digital\\" \\\\ green"
programme = "Horizon Europe"
url = "https://example.org/call?id=1&x=2"
tags = [
    "digital",
    "green",
]
note = "lead: Marta\\ninternal deadline\ttwo weeks earlier\\r\\f\\b"
timezone = "America/New_York"
opens = 2026-10-01 00:00:00-04:00
priority = 3
watched = true
aliases = []

[[deadlines]]
label = "Short proposal"
deadline = 2027-01-14 17:00:00-05:00
aoe = false

[[deadlines]]
label = "Full proposal"
deadline = 2027-05-20 17:00:00.250000-04:00

[[extensions]]
kind = "extension"
to = 2027-01-21 17:00:00-05:00
recorded = 2026-12-02 08:00:00+00:00
"""


def test_written_files_changed_line_by_line_read_as_tomli_reads_them() -> None:
    # The shipped calls, each changed a few lines at a time (a line of _LINES put in, a line
    # removed, repeated or cut short, two swapped): most stay valid TOML, many in the form.
    shipped = sorted((Path(__file__).resolve().parents[1] / "data" / "calls").glob("*.toml"))
    texts = [path.read_text(encoding="utf-8") for path in shipped] + [_RICH]
    assert all(read_written_form(text) is not None for text in texts)
    rng = random.Random(20261203)
    read = 0
    tries = 3000
    for _ in range(tries):
        lines = rng.choice(texts).split("\n")
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(lines))
            change = rng.randrange(5)
            if change == 0:
                lines.insert(at, rng.choice(_LINES))
            elif change == 1 and len(lines) > 1:
                del lines[at]
            elif change == 2:
                lines.insert(at, lines[at])
            elif change == 3:
                lines[at] = lines[at][: rng.randrange(len(lines[at]) + 1)]
            else:
                other = rng.randrange(len(lines))
                lines[at], lines[other] = lines[other], lines[at]
        read += _check_against_tomli("\n".join(lines))
    # Both ways were taken often: the checks above were not all of text left to tomli.
    assert tries * 0.2 < read < tries * 0.8, read


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('id = "A"\nid = "B"\n', "Cannot overwrite a value"),
        ("deadlines = 1\n[[deadlines]]\nx = 1\n", "Cannot overwrite a value"),
        ("d = 2018-02-30 17:00:00+01:00\n", "Invalid date or datetime"),
        ("n = 007\n", "Expected newline or end of document"),
        ("tags = [\n    1,\n", "Invalid value"),
        ("tags = [\n    1,", "Invalid value"),
        ('e = "\n', "Illegal character"),
        ("d = 2018-03-08 17:00:00+12:75\n", "Expected newline or end of document"),
    ],
)
def test_invalid_text_in_the_written_form_gets_tomlis_message(text: str, message: str) -> None:
    assert read_written_form(text) is None
    with pytest.raises(TomlSyntaxError, match=message):
        parse_toml_text(text)


def test_the_shipped_calls_are_read_without_tomli() -> None:
    shipped = sorted((Path(__file__).resolve().parents[1] / "data" / "calls").glob("*.toml"))
    assert shipped
    for path in shipped:
        text = path.read_text(encoding="utf-8")
        read = read_written_form(text)
        assert read is not None, path.name
        assert _same(read, tomli.loads(text)), path.name
