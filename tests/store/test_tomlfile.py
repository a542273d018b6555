"""The TOML of a call file (store/tomlfile.py): the same bytes every time, hand edits kept,
files that cannot be read refused and left alone.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterctl.errors import StoreError
from clusterctl.store import MAX_CALL_FILE_BYTES, Store, Unreadable
from clusterctl.store.tomlfile import dump_toml
from tests.conftest import run
from tests.store.helpers import (
    BRU,
    DEADLINE,
    RECORDED,
    add,
    every_command,
    invoke,
    listing,
    make_call,
    ok,
    one_error,
    refusals,
    stat_tree,
    tree,
)

# --- deterministic output and hand edits --------------------------------------------------------

FULL = make_call(
    "FULL-1",
    title="Full",
    url="https://example.org/full",
    tags=("ours", "cluster"),
    note="a note",
    opens=datetime(2030, 11, 1, 0, 0, tzinfo=BRU),
    extensions=(),
).extend(datetime(2031, 3, 15, 17, 0, tzinfo=BRU), recorded=RECORDED, reason="why", source="")


def test_the_same_call_gives_the_same_bytes(tmp_path: Path) -> None:
    one, two = Store(tmp_path / "one"), Store(tmp_path / "two")
    one.add(FULL)
    two.add(FULL)
    first = (tmp_path / "one" / "calls" / "FULL-1.toml").read_bytes()
    assert (tmp_path / "two" / "calls" / "FULL-1.toml").read_bytes() == first
    one.add(FULL, replace=True)
    one.update("FULL-1", lambda c: c)
    assert (tmp_path / "one" / "calls" / "FULL-1.toml").read_bytes() == first


def test_key_order_is_stable(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.add(FULL)
    text = (tmp_path / "store" / "calls" / "FULL-1.toml").read_text()
    assert text == (
        'id = "FULL-1"\n'
        'title = "Full"\n'
        'programme = "COSME"\n'
        'url = "https://example.org/full"\n'
        'tags = [\n    "ours",\n    "cluster",\n]\n'
        'note = "a note"\n'
        'timezone = "Europe/Brussels"\n'
        "opens = 2030-11-01 00:00:00+01:00\n"
        "\n[[deadlines]]\n"
        "deadline = 2031-03-08 17:00:00+01:00\n"
        "\n[[extensions]]\n"
        'kind = "extension"\n'
        "from = 2031-03-08 17:00:00+01:00\n"
        "to = 2031-03-15 17:00:00+01:00\n"
        'reason = "why"\n'
        "recorded = 2030-01-02 03:04:00+00:00\n"
    )


HAND_EDITED = """\
id = "HAND-1"
title = "Hand edited"
owner = "anna"
timezone = "Europe/Brussels"
priority = 3

[[deadlines]]
deadline = 2031-03-08T17:00:00+01:00
room = "B.12"

[[extensions]]
from = 2031-03-08T17:00:00+01:00
to = 2031-03-15T17:00:00+01:00
recorded = 2030-01-01T00:00:00Z
ticket = "EXT-7"
meta = { checked = true }

[review]
by = "board"

[review.meta]
round = 2
"""


def test_unknown_keys_survive_every_rewrite(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    path = root / "calls" / "HAND-1.toml"
    path.write_text(HAND_EDITED)
    store = Store(root)
    later = datetime(2031, 3, 22, 17, 0, tzinfo=BRU)
    store.update("HAND-1", lambda c: c.extend(later, recorded=RECORDED, reason="again"))
    store.update("HAND-1", lambda c: c.replace(note="edited", tags=("x",)))
    record = tomllib.loads(path.read_text())
    assert record["owner"] == "anna"
    assert record["priority"] == 3
    assert record["review"] == {"by": "board", "meta": {"round": 2}}
    assert record["deadlines"][0]["room"] == "B.12"
    assert record["extensions"][0]["ticket"] == "EXT-7"
    assert record["extensions"][0]["meta"] == {"checked": True}
    assert [e["reason"] for e in record["extensions"] if "reason" in e] == ["again"]
    assert record["note"] == "edited"
    assert Store(root).check() == []


# --- hostile values -------------------------------------------------------------------------

ODD_TEXT = [
    "Ünïcödé — ŝtrange “quotes” ½",
    "مرحبا بالعالم (right to left) שלום",
    "emoji 🇪🇺🚀👩‍🔬 and a ZWJ",
    "x" * 1000,  # the longest title, programme and tag (clusterctl/limits.py)
    "line one\nline two\r\nline three\rend",
    'quotes " and \' and \\ backslash and """ triple',
    "NUL \x00 BEL \x07 ESC \x1b[31m DEL \x7f",
    "[bold]markup[/bold] [link=http://evil]x[/link]",
]


@pytest.mark.parametrize("text", ODD_TEXT, ids=range(len(ODD_TEXT)))
def test_odd_text_round_trips_exactly(tmp_path: Path, text: str) -> None:
    root = tmp_path / "store"
    call = make_call(title=text, note=text, programme=text, tags=(text,))
    call = call.extend(DEADLINE + timedelta(days=1), recorded=RECORDED, reason=text, source=text)
    Store(root).add(call)
    raw = (root / "calls" / "CALL-1.toml").read_bytes()
    assert b"\r" not in raw  # line breaks in values are escaped: one key, one line
    got = Store(root).get("CALL-1")
    assert (got.title, got.note, got.programme, got.tags) == (text, text, text, (text,))
    assert (got.extensions[0].reason, got.extensions[0].source) == (text, text)
    assert Store(root).summaries()[0].title == text
    assert Store(root).check() == []


# --- files that cannot be read are refused and left alone -----------------------------------

BROKEN = [
    pytest.param(
        b'id = "CALL-1"\ntitle = \n',
        r"invalid TOML: Invalid value \(at line 2, column 9\)",
        id="toml",
    ),
    pytest.param(
        b'id = "CALL-1"\n<<<<<<< HEAD\ntitle = "a"\n=======\ntitle = "b"\n>>>>>>> other\n',
        r"unresolved git merge conflict at line 2, column 1",
        id="conflict",
    ),
    pytest.param(
        b'id = "CALL-1"\ntitle = "caf\xe9"\n',
        r"not UTF-8 text \(at line 2, column 13\)",
        id="latin1",
    ),
    pytest.param(b"", r"'id' is missing or empty", id="empty"),
    pytest.param(bytes(range(256)) * 4, r"CALL-1.toml: (not UTF-8|invalid TOML)", id="binary"),
    pytest.param(
        b"a = " + b"[" * 2000 + b"]" * 2000 + b"\n", r"nested too deeply", id="deep-nesting"
    ),
    pytest.param(
        b'id = "CALL-1"\ntitle = "t"\ntimezone = "Europe/Brussels"\n'
        b"[[deadlines]]\ndeadline = 0001-01-01T00:00:00\n",
        r"CALL-1.toml: .*(range|overflow)",
        id="year-1",
    ),
    pytest.param(
        b'id = "CALL-1"\ntitle = "t"\ntimezone = "Mars/Olympus"\n'
        b"[[deadlines]]\ndeadline = 2031-01-01T17:00:00+01:00\n",
        r"CALL-1.toml: unknown time zone 'Mars/Olympus'",
        id="zone",
    ),
    pytest.param(
        b'id = "CALL-2"\ntitle = "t"\ntimezone = "Europe/Brussels"\n'
        b"[[deadlines]]\ndeadline = 2031-01-01T17:00:00+01:00\n",
        r"declares id 'CALL-2' but the file name says 'CALL-1'",
        id="id-mismatch",
    ),
    pytest.param(
        b"# " + b"x" * MAX_CALL_FILE_BYTES + b"\n",
        rf"too large \({MAX_CALL_FILE_BYTES + 3} bytes; at most {MAX_CALL_FILE_BYTES}\)",
        id="huge",
    ),
]


@pytest.mark.parametrize(("content", "message"), BROKEN)
def test_a_broken_call_file_is_refused_and_never_overwritten(
    tmp_path: Path, content: bytes, message: str
) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call("OTHER-1"))
    path = root / "calls" / "CALL-1.toml"
    path.write_bytes(content)
    before = tree(root)
    *refused, remove = refusals(Store(root))
    for action in refused:
        with pytest.raises(StoreError, match=message) as info:
            action()
        assert str(path) in str(info.value)
        assert "\n" not in str(info.value)
    assert tree(root) == before
    problems = Store(root).check()
    assert len(problems) == 1 and str(path) in problems[0]
    # Other calls stay readable one by one, and by a lenient listing, which names the file.
    assert Store(root).get("OTHER-1").id == "OTHER-1"
    unreadable: list[Unreadable] = []
    assert [s.id for s in Store(root).summaries(unreadable=unreadable)] == ["OTHER-1"]
    assert [u.path for u in unreadable] == [str(path)]  # the store's paths are strings
    assert re.search(message, str(unreadable[0]))
    # Removing it is how it gets cleaned up.
    assert remove() is None
    assert not path.exists()


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling-symlink"])
def test_call_paths_that_are_not_files(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call("OTHER-1"))
    path = root / "calls" / "CALL-1.toml"
    if kind == "directory":
        path.mkdir()
        message = "is a directory, not a TOML file"
    elif kind == "fifo":
        os.mkfifo(path)
        message = "not a regular file"
    else:
        path.symlink_to(tmp_path / "nowhere.toml")
        message = "a symbolic link to a file that does not exist"
    before = tree(root)
    started = time.monotonic()
    problems = Store(root).check()
    assert problems == [f"{path}: {message}"]
    if kind != "dangling-symlink":
        for action in refusals(Store(root)):
            with pytest.raises(StoreError, match=message):
                action()
    assert time.monotonic() - started < 5  # a FIFO must never block a read
    assert tree(root) == before


# --- through the command line: never overwrite what cannot be read --------------------------------


UNREADABLE = [
    pytest.param(
        b'id = "CALL-1"\ntitle = \n', "invalid TOML: Invalid value (at line 2, column 9)", id="toml"
    ),
    pytest.param(
        b'id = "CALL-1"\n<<<<<<< HEAD\ntitle = "ours"\n=======\ntitle = "theirs"\n'
        b">>>>>>> feature\n",
        "unresolved git merge conflict at line 2, column 1; resolve it by hand, then run "
        "clusterctl check",
        id="conflict",
    ),
]


@pytest.mark.parametrize(("content", "message"), UNREADABLE)
def test_an_unreadable_call_file_is_refused_everywhere_and_left_alone(
    store: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "replacement.json"
    source.write_text(json.dumps([{**listing(store, "--all")["CALL-1"], "title": "new"}]))
    path = store / "calls" / "CALL-1.toml"
    path.write_bytes(content)
    before = stat_tree(store, strict=False)
    for args in every_command(source):
        if args[0] in ("calls", "export", "warn"):  # the other calls are read: test_degraded.py
            result = invoke(store, *args)
            assert result.exit_code == 9, args
            assert result.stderr.splitlines()[0] == f"warning: {path}: {message}", args
        elif args[0] != "remove":  # removing it is how it gets cleaned up: test_degraded.py
            assert one_error(invoke(store, *args), 5) == f"error: {path}: {message}", args
    result = invoke(store, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"problem: {path}: {message}",
        f"error: 1 problem in {store}",
    ]
    after = stat_tree(store, strict=False)
    after.pop(".state/warn.lock")  # warn got as far as the ledger's lock: nothing was due
    assert after == before


def strange_files() -> list[Any]:
    rng = random.Random(1)
    return [
        pytest.param("empty", "'id' is missing or empty", id="empty"),
        pytest.param(
            bytes(rng.getrandbits(8) for _ in range(4096)), "not UTF-8 text (at line", id="binary"
        ),
        pytest.param(
            b"# padding\n" * (MAX_CALL_FILE_BYTES // 10 + 1),
            f"too large ({(MAX_CALL_FILE_BYTES // 10 + 1) * 10} bytes; at most "
            f"{MAX_CALL_FILE_BYTES})",
            id="huge",
        ),
        pytest.param("directory", "is a directory, not a TOML file", id="directory"),
        pytest.param("fifo", "not a regular file", id="fifo"),
    ]


@pytest.mark.parametrize(("content", "message"), strange_files())
def test_strange_call_files_give_clear_errors(
    store: Path,
    content: bytes | str,
    message: str,
    script_main: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    path = store / "calls" / "ODD-1.toml"

    def clusterctl(*args: str) -> subprocess.CompletedProcess[str]:
        if content == "fifo":  # a real process: a FIFO must not hang the test run
            return run(store, *args, timeout=30)
        return script_main("--store", str(store), *args)  # the same routes, in-process

    if content == "empty":
        path.write_bytes(b"")
    elif content == "directory":
        path.mkdir()
    elif content == "fifo":
        os.mkfifo(path)
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    for args in (("calls",), ("show", "ODD-1")):
        result = clusterctl(*args)
        if args == ("calls",):  # the other calls are listed, the file named: test_degraded.py
            assert result.returncode == 9, result.stderr
            line = result.stderr.splitlines()[0].replace("warning: ", "error: ", 1)
        else:
            line = one_error(result, 5)
        assert line.startswith(f"error: {path}: ") and message in line, line
    result = clusterctl("check")
    assert result.returncode == 1
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(ok(invoke(store, "show", "CALL-1", "--format", "json")))["id"] == "CALL-1"


# --- through the command line: the same content, the same bytes -----------------------------------


def test_the_same_content_is_written_as_the_same_bytes(tmp_path: Path) -> None:
    args = ("--programme", "COSME", "--tag", "b", "--tag", "a", "--url", "https://x.example/")
    one, two = tmp_path / "one", tmp_path / "two"
    add(one, "CALL-1", *args)
    add(two, "CALL-1", *args)
    path = Path("calls") / "CALL-1.toml"
    first = (one / path).read_bytes()
    assert (two / path).read_bytes() == first
    ok(invoke(one, "edit", "CALL-1", "--title", "Title of CALL-1"))
    assert (one / path).read_bytes() == first
    keys = [line.split(" = ")[0] for line in first.decode().splitlines() if " = " in line]
    assert keys == ["id", "title", "programme", "url", "tags", "timezone", "deadline"]


# --- the writer's own fast path against tomli-w ---------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
_scalars = st.one_of(
    _text,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3, minutes=-30))])),
    st.datetimes(),
    st.floats(allow_nan=False),  # not written by the fast path: tomli-w lays it out
    st.dates(),
)
_values = st.one_of(_scalars, st.lists(_scalars, max_size=4))
_keys = st.one_of(st.sampled_from(["id", "title", "a-b_C9", "", "x y", "é"]), _text)
_tables = st.dictionaries(_keys, _values, max_size=5)
_records = st.builds(
    lambda head, lists: {**head, **lists},
    _tables,
    st.dictionaries(
        st.sampled_from(["deadlines", "extensions", "x.y"]),
        st.lists(st.one_of(_tables, st.dictionaries(_keys, _tables, max_size=1)), max_size=3),
        max_size=2,
    ),
)


def _tomli_w_layout(record: dict[str, Any]) -> bytes:
    """dump_toml as it was before its fast path: tomli-w for the head and for each table (and
    a key such as "x.y" quoted in its [[...]] header, which it then was not: a fixed bug)."""
    import tomli_w
    from tomli_w._writer import format_key_part

    def table_list(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(t, dict) for t in value)

    blocks = [tomli_w.dumps({k: v for k, v in record.items() if not table_list(v)})]
    for key, tables in record.items():
        for table in tables if table_list(tables) else ():
            if any(isinstance(v, dict) or table_list(v) for v in table.values()):
                return tomli_w.dumps(record).encode()
            blocks.append(f"\n[[{format_key_part(key)}]]\n{tomli_w.dumps(table)}")
    return "".join(blocks).encode()


@settings(max_examples=200, deadline=None)
@given(_records)
def test_the_fast_writer_writes_what_tomli_w_writes(record: dict[str, Any]) -> None:
    assert dump_toml(record) == _tomli_w_layout(record)
    assert tomllib.loads(dump_toml(record).decode()) == record


def test_the_fast_writer_covers_every_call_clusterctl_writes() -> None:
    from clusterctl.codec import call_to_record
    from clusterctl.store.tomlfile import _fast_toml, _split_tables, read_call

    shipped_calls = Path(__file__).resolve().parents[2] / "data" / "calls"
    shipped = [read_call(p) for p in sorted(shipped_calls.glob("*.toml"))]
    odd = make_call("FAST-1", note='a "quoted"\nnote\t\x7f\\ \x01', tags=("b", "a"))
    for call in [*shipped, odd]:
        record = call_to_record(call)
        assert _fast_toml(*_split_tables(record)) is not None, call.id
        assert dump_toml(record) == _tomli_w_layout(record)
