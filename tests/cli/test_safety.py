"""Never silenced, never doubled, never lost: hostile input and output through the real CLI.

In-process with Typer's CliRunner where that shows everything, and as real processes of the
installed script where the run needs real streams (a closed stdin, a device file). Each error is
one ``error:`` line on stderr with its documented exit code, never a traceback, and it leaves
the store as it was.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from clusterctl.cli import app
from tests.cli.helpers import without_notices
from tests.conftest import clusterctl_exe


def run(store: Path, *args: str, input: str | bytes | None = None) -> Result:
    """``clusterctl --store STORE args`` in-process; exceptions are not caught (a traceback
    would fail the test)."""
    argv = ["--store", str(store), *args]
    return CliRunner().invoke(app, argv, input=input, catch_exceptions=False)


def failed(result: Result, code: int) -> str:
    """The one stderr line of a run that failed with ``code`` (nothing on stdout)."""
    assert (result.exit_code, result.stdout) == (code, ""), (result.exit_code, result.output)
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.rstrip("\n")


def ok(result: Result) -> str:
    """stdout of a successful run (nothing on stderr but a notice, see helpers.NOTICE)."""
    assert (result.exit_code, without_notices(result.stderr)) == (0, ""), (
        result.exit_code,
        result.output,
    )
    return result.stdout


def process(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The installed script as a real process."""
    return subprocess.run(
        [*clusterctl_exe(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,
    )


def files(store: Path) -> dict[str, bytes]:
    """The store's call files, by name."""
    calls = store / "calls"
    return {p.name: p.read_bytes() for p in calls.iterdir()} if calls.exists() else {}


def record(**change: Any) -> dict[str, Any]:
    """A valid JSON record of one call, as ``calls --format json`` writes, with ``change``."""
    return {
        "id": "IMP-1",
        "title": "T",
        "timezone": "Europe/Brussels",
        "deadlines": [{"label": "", "deadline": "2030-03-08T17:00:00+01:00"}],
        **change,
    }


def write_json(path: Path, records: Any) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


# --- import refuses what `add` refuses -------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"url": "javascript:alert(1)"},
            "invalid URL 'javascript:alert(1)': it must start with http:// or https://",
        ),
        ({"tags": ["ours", ""]}, "a tag must not be empty"),
        ({"title": "\ud800"}, "'title': not valid UTF-8 text"),
        ({"note": "\ud800"}, "'note': not valid UTF-8 text"),
    ],
)
def test_json_import_refuses_what_add_refuses(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    store = tmp_path / "store"
    path = write_json(tmp_path / "in.json", [record(id="OK-1"), record(**change)])
    assert failed(run(store, "import", str(path)), 2) == (
        f"error: {path}: record 2 (IMP-1): {message}; nothing was imported"
    )
    assert files(store) == {}


def test_csv_import_refuses_what_add_refuses(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ok(run(store, "add", "IMP-1", "--title", "T", "-d", "2030-03-08", "--url", "https://x.org"))
    exported = ok(run(store, "calls", "--all", "--format", "csv"))
    path = tmp_path / "in.csv"
    path.write_text(exported.replace("https://x.org", "javascript:alert(1)"), encoding="utf-8")
    fresh = tmp_path / "fresh"
    assert failed(run(fresh, "import", str(path)), 2) == (
        f"error: {path}: record 1 (IMP-1): invalid URL 'javascript:alert(1)': it must start "
        "with http:// or https://; nothing was imported"
    )
    assert files(fresh) == {}


# --- URLs with control characters --------------------------------------------------------------

CRLF_URL = "http://x\r\nBEGIN:VALARM"
CRLF_REFUSAL = (
    "error: invalid URL 'http://x\\r\\nBEGIN:VALARM': it must not contain control characters"
)


@pytest.mark.parametrize(
    "args",
    [
        ["add", "NEW-1", "--title", "T", "-d", "2030-03-08", "--url", CRLF_URL],
        ["add", "NEW-1", "--title", "T", "-d", "2030-03-08", "--url", "https://x.org/\x00"],
        ["edit", "A-1", "--url", CRLF_URL],
        ["edit", "A-1", "--url", "https://x.org/\x85"],
        ["extend", "A-1", "--by", "1d", "--source", CRLF_URL, "--at", "2030-01-01"],
    ],
)
def test_a_url_with_control_characters_is_refused(tmp_path: Path, args: list[str]) -> None:
    store = tmp_path / "store"
    ok(run(store, "add", "A-1", "--title", "T", "-d", "2030-03-08", "--url", "https://x.org"))
    before = files(store)
    url = args[args.index("--url" if "--url" in args else "--source") + 1]
    assert failed(run(store, *args), 2) == (
        f"error: invalid URL {url!r}: it must not contain control characters"
    )
    assert files(store) == before


def test_json_import_refuses_a_url_with_control_characters(tmp_path: Path) -> None:
    store = tmp_path / "store"
    path = write_json(tmp_path / "in.json", [record(url=CRLF_URL)])
    assert failed(run(store, "import", str(path)), 2) == (
        f"error: {path}: record 1 (IMP-1): {CRLF_REFUSAL.removeprefix('error: ')}; "
        "nothing was imported"
    )
    assert files(store) == {}


def test_export_ics_survives_a_hand_edited_url(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ok(run(store, "add", "A-1", "--title", "T", "-d", "2030-03-08", "--url", "https://x.org"))
    ok(run(store, "add", "B-2", "--title", "U", "-d", "2030-04-08"))
    path = store / "calls" / "A-1.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("https://x.org", "http://x\\r\\nBEGIN:VALARM"), encoding="utf-8")
    result = run(store, "export", "ics", "--all")
    ok(result)
    unfolded = result.stdout_bytes.replace(b"\r\n ", b"")
    assert b"\r\nURL:http://x%0D%0ABEGIN:VALARM\r\n" in unfolded
    assert b"\r\nUID:A-1--deadline@clusterctl\r\n" in unfolded
    assert b"\r\nUID:B-2--deadline@clusterctl\r\n" in unfolded
    assert unfolded.count(b"\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n") == 10  # 5 per event
    assert unfolded.count(b"\r\nBEGIN:VALARM\r\n") == 10  # none made from the URL


# --- JSON import: nulls, lone surrogates, deep nesting ----------------------------------------

BASE = '"id": "IMP-1", "title": "T", "timezone": "UTC", "deadlines": [{"deadline": "2030-03-08"}]'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'[{{{BASE}, "title": "\\ud800"}}]', "record 1 (IMP-1): 'title': not valid UTF-8 text"),
        (f'[{{{BASE}, "zz": "\\ud800"}}]', "record 1 (IMP-1): 'zz': not valid UTF-8 text"),
        (f'[{{{BASE}, "title": null}}]', "record 1 (IMP-1): 'title' is missing or empty"),
        (
            '[{"id": "IMP-1", "title": "T", "timezone": "UTC", "deadlines": [{"deadline": null}]}]',
            "record 1 (IMP-1): 'deadlines[1].deadline' must be a date-time, not NoneType",
        ),
        (
            f'[{{{BASE}, "tags": ["a", null]}}]',
            "record 1 (IMP-1): 'tags' must be a list of strings",
        ),
        (f"[{{{BASE}}}, null]", "record 2: a call must be a table/object, not NoneType"),
        (
            f'[{{{BASE}, "zz": null}}]',
            "record 1 (IMP-1): 'zz' is null, which the store cannot hold (leave the key out)",
        ),
        (
            f'[{{{BASE}, "zz": {{"a": [1, null]}}}}]',
            "record 1 (IMP-1): 'zz.a[2]' is null, which the store cannot hold (leave the key out)",
        ),
        (
            f'[{{{BASE}, "zz": {"[" * 800}{"]" * 800}}}]',
            "record 1 (IMP-1): 'zz' is nested more than 100 levels deep",
        ),
    ],
)
def test_json_import_of_hostile_values_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    store = tmp_path / "store"
    path = tmp_path / "in.json"
    path.write_text(text, encoding="ascii")
    assert failed(run(store, "import", str(path)), 2) == (
        f"error: {path}: {message}; nothing was imported"
    )
    assert files(store) == {}


def test_deeply_nested_unknown_keys_within_the_limit_round_trip(tmp_path: Path) -> None:
    store = tmp_path / "store"
    path = tmp_path / "in.json"
    path.write_text(f'[{{{BASE}, "zz": {"[" * 100}{"]" * 100}}}]', encoding="ascii")
    assert ok(run(store, "import", str(path))) == "imported: 1 new\n"
    (exported,) = json.loads(ok(run(store, "calls", "--all", "--format", "json")))
    assert json.dumps(exported["zz"]) == "[" * 100 + "]" * 100


# --- JSON output is always valid JSON ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("[-Infinity]", "-Infinity is not a JSON number"),
        ("1e999", "the number 1e999 is too large"),
    ],
)
def test_json_import_refuses_nan_and_infinity(tmp_path: Path, value: str, message: str) -> None:
    store = tmp_path / "store"
    path = tmp_path / "in.json"
    path.write_text(f'[{{{BASE}, "zz": {value}}}]', encoding="ascii")
    assert failed(run(store, "import", str(path)), 2) == f"error: {path}: not valid JSON: {message}"
    assert files(store) == {}


def test_a_hand_edited_nan_never_reaches_json_output(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ok(run(store, "add", "A-1", "--title", "T", "-d", "2030-03-08"))
    path = store / "calls" / "A-1.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[[deadlines]]", "yy = nan\n\n[[deadlines]]"), encoding="utf-8")
    message = "error: call A-1: key 'yy' holds nan, which JSON cannot hold; edit its file"
    assert failed(run(store, "calls", "--all", "--format", "json"), 5) == message
    assert failed(run(store, "show", "A-1", "--format", "json"), 5) == message
    assert failed(run(store, "show", "A-1", "--format", "csv"), 5) == message
    path.write_text(text.replace("[[deadlines]]", "yy = 07:32:00\n\n[[deadlines]]"))
    assert json.loads(ok(run(store, "show", "A-1", "--format", "json")))["yy"] == "07:32:00"


def test_a_call_json_cannot_hold_stops_only_the_exports_that_select_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ok(run(store, "add", "OLD-1", "--title", "Closed long ago", "-d", "2001-03-08"))
    ok(run(store, "add", "NEW-1", "--title", "Open", "-d", "2030-03-08"))
    path = store / "calls" / "OLD-1.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[[deadlines]]", "yy = nan\n\n[[deadlines]]"), encoding="utf-8")
    message = "error: call OLD-1: key 'yy' holds nan, which JSON cannot hold; edit its file"
    for _ in range(2):  # its template made, then remembered
        for args in (["--open"], [], ["--open", "--within", "30d"]):
            result = run(store, "calls", *args, "--format", "json", "--at", "2030-03-01")
            listed = json.loads(ok(result))
            assert [c["id"] for c in listed] == ["NEW-1"]
        for args in (["--all"], ["--closed"]):
            result = run(store, "calls", *args, "--format", "json", "--at", "2030-03-01")
            assert failed(result, 5) == message  # and nothing written before it


# --- import reads at most 256 MiB --------------------------------------------------------------

TOO_LARGE = "larger than 256 MiB, the most an import file may be; nothing was imported"


def test_import_of_dev_zero_is_refused_after_256_mib(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = process("--store", str(store), "import", "/dev/zero")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: /dev/zero: {TOO_LARGE}\n"
    assert not store.exists()


def test_import_of_a_file_past_the_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clusterctl import importer

    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 4 * 1024 * 1024)  # the real one: above
    store = tmp_path / "store"
    path = tmp_path / "big.json"
    with path.open("wb") as out:  # sparse: 4 MiB and one byte, of which only "[" is written
        out.write(b"[")
        out.truncate(4 * 1024 * 1024 + 1)
    assert failed(run(store, "import", str(path)), 2) == (
        f"error: {path}: larger than 4 MiB, the most an import file may be; nothing was imported"
    )
    assert not store.exists()
    with path.open("r+b") as out:  # at the cap: read, and refused for what it holds
        out.truncate(4 * 1024 * 1024)
    assert failed(run(store, "import", str(path)), 2).startswith(f"error: {path}: not valid JSON")


def test_import_from_stdin_past_the_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clusterctl import importer

    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 1024)
    store = tmp_path / "store"
    text = json.dumps([record(note="n" * 2000)])
    assert failed(run(store, "import", "-", input=text), 2) == (
        "error: stdin: larger than 1024 bytes, the most an import file may be; nothing was imported"
    )
    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", len(text.encode()))
    assert ok(run(store, "import", "-", input=text)) == "imported: 1 new\n"


# --- CSV import reads back clusterctl's own export -----------------------------------------------


def test_a_long_title_round_trips_through_csv(tmp_path: Path) -> None:
    store = tmp_path / "store"
    # Titles stop at 1,000 characters (clusterctl/limits.py); the history column does not:
    # three extensions with 60,000-character reasons make a cell past the csv module's 128 KiB.
    title = "A very long title. " * 50
    ok(run(store, "add", "LONG-1", "--title", title, "-d", "2030-03-08"))
    for n, to in enumerate(("2030-03-15", "2030-03-22", "2030-03-29")):
        reason = f"{n} " + "r" * 60_000
        ok(run(store, "extend", "LONG-1", "--to", to, "--reason", reason, "--at", "2030-01-01"))
    exported = ok(run(store, "calls", "--all", "--format", "csv"))
    path = tmp_path / "calls.csv"
    path.write_text(exported, encoding="utf-8")
    fresh = tmp_path / "fresh"
    assert ok(run(fresh, "import", str(path))) == "imported: 1 new\n"
    assert files(fresh) == files(store)
    assert ok(run(fresh, "calls", "--all", "--format", "csv")) == exported


def test_titles_with_every_line_break_round_trip_through_csv(tmp_path: Path) -> None:
    store = tmp_path / "store"
    titles = ["a\rb", "\rc", "d\x0be", "f\x0cg", "h\x1ci", "j\x85k", "l\u2028m", "n\r\no", "p\nq"]
    for n, title in enumerate(titles, start=1):
        ok(run(store, "add", f"T-{n}", "--title", title, "-d", "2030-03-08", "--note", title))
    result = run(store, "calls", "--all", "--format", "csv")
    ok(result)
    path = tmp_path / "calls.csv"
    path.write_bytes(result.stdout_bytes)  # not .stdout, where Click turns CRLF into LF
    fresh = tmp_path / "fresh"
    assert ok(run(fresh, "import", str(path))) == f"imported: {len(titles)} new\n"
    assert files(fresh) == files(store)
    records = json.loads(ok(run(fresh, "calls", "--all", "--format", "json")))
    assert sorted(r["title"] for r in records) == sorted(titles)


# --- CSV export is safe to open in a spreadsheet ------------------------------------------------


def test_csv_export_neutralises_formulas_and_import_restores_them(tmp_path: Path) -> None:
    store = tmp_path / "store"
    titles = {
        "F-1": '=HYPERLINK("http://evil.example","click")',
        "F-2": "+1+1",
        "F-3": "-2",
        "F-4": "@SUM(A1:A9)",
        "F-5": "\tTabbed",
        "F-6": "\rCarriage",
        "F-7": "'=already quoted",
        "F-8": "'plain quote",
    }
    for call_id, title in titles.items():
        ok(
            run(
                store,
                "add",
                call_id,
                "--title",
                title,
                "-d",
                "2030-03-08",
                "-p",
                "=cmd|' /C calc'!A0",
            )
        )
    result = run(store, "calls", "--all", "--format", "csv")
    ok(result)
    text = result.stdout_bytes.decode("utf-8")
    assert '\nF-1,"\'=HYPERLINK(""http://evil.example"",""click"")",\'=cmd|\' /C calc\'!A0,' in text
    # What a spreadsheet sees: no cell starts a formula.
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + len(titles)
    assert not [
        cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    ]
    assert '\n"F-6","\'\r' in text
    assert "F-7,''=already quoted," in text
    assert "F-8,'plain quote," in text
    path = tmp_path / "calls.csv"
    path.write_bytes(result.stdout_bytes)
    fresh = tmp_path / "fresh"
    assert ok(run(fresh, "import", str(path))) == f"imported: {len(titles)} new\n"
    assert files(fresh) == files(store)


# --- remove with stdin closed ----------------------------------------------------------------


def with_stdin_closed(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed script run by a shell as ``clusterctl args <&-`` (stdin closed)."""
    return subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", *clusterctl_exe(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_remove_with_stdin_closed_is_the_non_terminal_refusal(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ok(run(store, "add", "X-1", "--title", "T", "-d", "2030-03-08"))
    before = files(store)
    refusal = "error: not removing X-1 without confirmation: add --yes\n"
    closed = with_stdin_closed("--store", str(store), "remove", "X-1")
    assert (closed.returncode, closed.stdout, closed.stderr) == (2, "", refusal)
    not_a_terminal = process("--store", str(store), "remove", "X-1", stdin=subprocess.DEVNULL)
    assert (not_a_terminal.returncode, not_a_terminal.stdout, not_a_terminal.stderr) == (
        2,
        "",
        refusal,
    )
    assert files(store) == before
    removed = with_stdin_closed("--store", str(store), "remove", "X-1", "--yes")
    assert (removed.returncode, removed.stdout, removed.stderr) == (0, "Removed X-1\n", "")
    assert files(store) == {}


def test_remove_action_refuses_when_there_is_no_stdin_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process callers get no prepare_process(): sys.stdin is None itself.
    from clusterctl.actions.changes import remove_call
    from clusterctl.actions.context import AppContext
    from clusterctl.errors import UsageError

    store = tmp_path / "store"
    ok(run(store, "add", "X-1", "--title", "T", "-d", "2030-03-08"))
    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(UsageError, match=r"^not removing X-1 without confirmation: add --yes$"):
        remove_call(AppContext(store_option=store), "X-1", confirm=lambda question: True)
    assert (store / "calls" / "X-1.toml").exists()


# --- --store "" ------------------------------------------------------------------------------

EMPTY_STORE = (
    "error: Invalid value for '--store': must not be empty; use '.' for the current directory "
    "(see 'clusterctl --help')\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ["--store", "", "calls"],
        ["--store=", "calls", "--all"],
        ["--store", "", "show", "X-1"],
        ["--store", "", "add", "X-1", "--title", "T", "-d", "2030-03-08"],
        ["--store", "", "import", "in.json"],
        ["--store", "", "export", "ics"],
        ["--store", "", "warn", "--dry-run"],
        ["--store", "", "remove", "X-1", "--yes"],
        ["--store", "", "check"],
        ["--store", "", "migrate"],
        ["--store", "", "config", "path"],
        ["--store", "", "config", "show"],
        ["--store", "", "calls", "--help"],
    ],
)
def test_an_empty_store_option_is_refused_on_every_command(
    tmp_path: Path,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    script_main: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    # The console script's main() in-process, in the cwd: the same routing, message and exit
    # code as its process (whose start-up, ~0.2 s on Typer's route, is not what is checked).
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    write_json(cwd / "in.json", [record()])
    monkeypatch.chdir(cwd)
    result = script_main(*args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", EMPTY_STORE)
    assert sorted(p.name for p in cwd.iterdir()) == ["in.json"]  # no store made in the cwd


@pytest.mark.parametrize("args", [["calls", "--all"], ["config", "show"]])  # both routes
def test_an_empty_store_variable_means_unset(
    tmp_path: Path,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    script_main: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    # main() in-process, in the cwd, as in the test above.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("CLUSTERCTL_STORE", raising=False)
    expected = script_main(*args)
    assert expected.returncode == 0
    assert str(tmp_path / "xdg-data") in expected.stdout  # the default store, not the cwd
    monkeypatch.setenv("CLUSTERCTL_STORE", "")
    empty = script_main(*args)
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, expected.stdout, "")
    assert list(cwd.iterdir()) == []
