"""Hostile and odd input through the command line: titles, line breaks, control characters and
ids that are not safe file names, typed or imported.

The CLI runs in-process against a store directory (CliRunner, catch_exceptions=False, so a
traceback fails the test), with the store tests' helpers (tests/store/helpers.py) and the
``store`` fixture of tests/conftest.py: one call, CALL-1. ``AT`` is therefore theirs
(2030-01-15 12:00), not the AT of tests/cli/helpers.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import ID_RULE
from tests.store.helpers import AT, invoke, listing, ok, one_error, stat_tree

TITLES = [
    "Ünïcödé café — “quotes” ½ ß",
    "مرحبا بالعالم: دعوة لتقديم المقترحات",
    "שלום עולם \u202eevil\u202c reversed",
    "emoji 🇪🇺🚀👩‍🔬✨",
    "漢字とかなの題名",
    "t" * 1000,  # the longest title (clusterctl/limits.py)
]


@pytest.mark.parametrize("title", TITLES, ids=["latin", "arabic", "hebrew", "emoji", "cjk", "long"])
def test_odd_titles_round_trip(store: Path, title: str) -> None:
    ok(invoke(store, "add", "ODD-1", "--title", title, "-d", "2031-03-08"))
    assert listing(store)["ODD-1"]["title"] == title
    shown = json.loads(ok(invoke(store, "show", "ODD-1", "--format", "json")))
    assert shown["title"] == title
    plain = ok(invoke(store, "show", "ODD-1"))
    assert any(line.startswith("Title") for line in plain.splitlines())
    assert ok(invoke(store, "check")).startswith("ok: 2 calls")


def test_line_breaks_are_stored_exactly_and_shown_on_one_line(store: Path) -> None:
    title, note, reason = "first\r\nsecond", "note one\nnote two\rthree", "why\r\nbecause"
    ok(invoke(store, "add", "CRLF-1", "--title", title, "--note", note, "-d", "2031-03-08"))
    ok(invoke(store, "extend", "CRLF-1", "--by", "1d", "--reason", reason, "--at", AT))
    raw = (store / "calls" / "CRLF-1.toml").read_bytes()
    assert b"\r" not in raw and b"second\n" not in raw
    record = listing(store)["CRLF-1"]
    assert (record["title"], record["note"], record["extensions"][0]["reason"]) == (
        title,
        note,
        reason,
    )
    shown = ok(invoke(store, "show", "CRLF-1", "--at", AT)).splitlines()
    assert [line for line in shown if line.startswith("Title")] == ["Title        first second"]
    assert [line for line in shown if line.startswith("Note")] == [
        "Note         note one note two three"
    ]
    assert any(line.endswith("reason: why because") for line in shown)
    assert not any(line.startswith(("second", "note two", "three", "because")) for line in shown)
    rows = ok(invoke(store, "calls", "--at", AT)).splitlines()
    assert len(rows) == 3 and "first second" in rows[1] + rows[2]


def test_nul_and_escape_sequences_from_an_import_are_kept_and_shown_inert(
    store: Path, tmp_path: Path
) -> None:
    title = "a\x00b \x1b[2J\x1b]8;;http://evil\x07 [bold]c[/bold]"
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps(
            [
                {
                    "id": "NUL-1",
                    "title": title,
                    "timezone": "Europe/Brussels",
                    "deadlines": [{"deadline": "2031-03-08T17:00:00+01:00"}],
                }
            ]
        )
    )
    ok(invoke(store, "import", str(source)))
    assert listing(store)["NUL-1"]["title"] == title
    for args in (("show", "NUL-1"), ("calls",)):
        out = ok(invoke(store, *args, "--at", AT))
        assert "\x00" not in out and "\x1b" not in out and "\x07" not in out
        assert "a\\x00b \\x1b[2J\\x1b]8;;http://evil\\x07 [bold]c[/bold]" in out


# --- ids that are not safe file names -------------------------------------------------------------


BAD_IDS = ["a b", "a/b", "../etc", "..", "a..b", "$(touch x)", "a;rm -rf", "`id`", "x|y", "é", ""]


@pytest.mark.parametrize("bad", [*BAD_IDS, ".hidden", "-dash", "x" * 121], ids=repr)
def test_ids_that_are_not_safe_file_names_are_refused(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "store"
    result = invoke(root, "add", "--title", "T", "-d", "2031-03-08", "--", bad)
    assert one_error(result, 2) == f"error: invalid id {bad!r}: {ID_RULE}"
    assert not root.exists()


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_bad_ids_are_refused_by_every_command_that_takes_one(store: Path, bad: str) -> None:
    before = stat_tree(store)
    for args in (("show",), ("extend", "--by", "1d"), ("edit", "--note", "x"), ("remove", "-y")):
        assert one_error(invoke(store, *args, "--", bad), 2) == (
            f"error: invalid id {bad!r}: {ID_RULE}"
        )
    assert stat_tree(store) == before


def test_a_bad_id_in_an_import_file_is_refused(store: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps(
            [
                {
                    "id": "../../escaped",
                    "title": "x",
                    "timezone": "Europe/Brussels",
                    "deadlines": [{"deadline": "2031-03-08T17:00:00+01:00"}],
                }
            ]
        )
    )
    before = stat_tree(store)
    message = one_error(invoke(store, "import", str(source)), 2)
    assert message.startswith(f"error: {source}: record 1 (../../escaped): invalid id")
    assert stat_tree(store) == before
    assert not (tmp_path / "escaped.toml").exists()
