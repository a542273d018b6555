"""The Typer-free route for plain command lines: the same results as Typer, or no route.

The guarantees (the spec it reads is checked against Typer in test_argspec.py): a command line
the route accepts gives the same exit code, output and
store files (local state included) on both routes, for curated lines, global options, the
store from the environment and hypothesis-made lines, in-process and as real processes with
an ASCII terminal; and only plain runs skip importing Typer.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterctl.cli import argspec, fast, typer_app
from tests.cli.helpers import without_notices
from tests.cli.warm_route import WarmRoute, warm_routes
from tests.conftest import (
    ROOT,
    clusterctl_exe,
    read_terminal,
    run_main_then,
    run_on_terminal,
    terminal_env,
)

STORE_ENVVAR = "CLUSTERCTL_STORE"


def _option(command: str, name: str) -> dict[str, Any]:
    """The argspec entry of ``command``'s option spelt ``name``."""
    return next(o for o in argspec.COMMANDS[command]["options"] if name in o["names"])


def test_a_store_path_that_cannot_be_read_is_left_to_typer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["--store", str(tmp_path), "extend", "X-1", "--by", "3d"]
    assert fast.parse(argv, environ={}) is not None
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root reads everything
    assert fast.parse(argv, environ={}) is None
    assert fast.parse(argv[2:], environ={"CLUSTERCTL_STORE": str(tmp_path)}) is None


# --- which command lines take the route --------------------------------------------------------


def test_a_plain_add_is_parsed_with_typer_defaults() -> None:
    argv = [
        "--store",
        "S",
        "add",
        "X-1",
        "--title",
        "T",
        "-d",
        "8 March 2018",
        "-d",
        "B=9 May 2018",
    ]
    invocation = fast.parse([*argv, "--tag=a", "-t", "b", "--replace"], environ={})
    assert invocation is not None
    assert invocation.command == "add"
    assert invocation.globals == {"store": "S", "lock_timeout": None, "no_color": False}
    assert invocation.values == {
        "call_id": "X-1",
        "title": "T",
        "deadline": ["8 March 2018", "B=9 May 2018"],
        "tz": "Europe/Brussels",
        "opens": None,
        "programme": "",
        "url": "",
        "tag": ["a", "b"],
        "note": "",
        "extended": False,
        "reason": "",
        "source": "",
        "replace_": True,
        "dry_run": False,
        "at": None,
    }


def test_the_store_comes_from_the_environment_as_in_click() -> None:
    argv = ["extend", "X-1", "--by", "3d"]
    invocation = fast.parse(argv, environ={"CLUSTERCTL_STORE": "/env/store"})
    assert invocation is not None and invocation.globals["store"] == "/env/store"
    invocation = fast.parse(argv, environ={"CLUSTERCTL_STORE": ""})  # empty means unset
    assert invocation is not None and invocation.globals["store"] is None
    invocation = fast.parse(["--store", "opt", *argv], environ={"CLUSTERCTL_STORE": "env"})
    assert invocation is not None and invocation.globals["store"] == "opt"


@pytest.mark.parametrize(
    "text", ["S", "a//b/", "./x/./y", "/", "//srv/x", "///x", ".", "../up", "~/s", "~root/s"]
)
@pytest.mark.parametrize("env", [False, True], ids=["option", "environment"])
def test_a_path_is_the_text_of_typers_path_and_no_path(text: str, env: bool) -> None:
    # A string (importing pathlib costs every run ~3.4 ms), spelt as Typer's Path spells it: the
    # messages that name the store read the same on both routes.
    argv = ["extend", "X-1", "--by", "3d"]
    if env:
        invocation = fast.parse(argv, environ={"CLUSTERCTL_STORE": text})
    else:
        invocation = fast.parse(["--store", text, *argv], environ={})
    assert invocation is not None
    assert type(invocation.globals["store"]) is str
    assert invocation.globals["store"] == str(Path(text))
    invocation = fast.parse(["import", text], environ={})
    assert invocation is not None and invocation.values["file"] == str(Path(text))


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--version"],
        ["--help"],
        ["add", "--help"],
        ["add", "-h", "X", "--title", "T", "-d", "2027-01-01"],
        ["--version", "add", "X", "--title", "T", "-d", "2027-01-01"],
        ["remove", "X", "--yes"],  # not a command of the route: it may ask on a terminal
        ["config", "show"],  # a group's command
        ["export", "ics"],
        ["calls", "-f", "xml"],  # not a choice: Typer lists them
        ["calls", "-f", "JSON"],  # choices are case-sensitive
        ["calls", "-af", "json"],  # short options run together
        ["show", "X", "Y"],
        ["add", "X", "--title", "T"],  # --deadline missing: Typer says so
        ["add", "--title", "T", "-d", "2027-01-01"],  # no ID
        ["add", "X", "Y", "--title", "T", "-d", "2027-01-01"],  # two IDs
        ["add", "X", "--title", "T", "--title", "U", "-d", "2027-01-01"],  # given twice
        ["add", "X", "--title", "-T", "-d", "2027-01-01"],  # a value like an option
        ["add", "X", "--title", "T", "-d"],  # no value
        ["add", "X", "--title", "T", "-d2027-01-01"],
        ["add", "X", "--title", "T", "-d=2027-01-01"],
        ["add", "X", "--title", "T", "-d", "2027-01-01", "--replace=yes"],
        ["add", "X", "--title", "T", "-d", "2027-01-01", "--colour"],  # unknown option
        ["add", "X", "--title", "T", "-d", "2027-01-01", "--"],
        ["add", "X", "--title", "T", "-d", "2027-01-01", "--store", "S"],  # global after command
        ["--lock-timeout", "1e3", "add", "X", "--title", "T", "-d", "2027-01-01"],
        ["--lock-timeout", "-1", "add", "X", "--title", "T", "-d", "2027-01-01"],
        ["--store=", "add", "X", "--title", "T", "-d", "2027-01-01"],
        ["--install-completion"],
        ["extend", "X", "--to", "2027-01-01", "--allow-earlier", "--allow-earlier"],
    ],
)
def test_anything_not_plain_is_left_to_typer(argv: list[str]) -> None:
    assert fast.parse(argv, environ={}) is None


def test_shell_completion_is_left_to_typer() -> None:
    argv = ["extend", "X-1", "--by", "3d"]
    assert fast.parse(argv, environ={"_CLUSTERCTL_COMPLETE": "complete_bash"}) is None


# --- both routes give the same result ----------------------------------------------------------


UNICODE_CALL = """\
id = "UNICODE-1"
title = "Zürich – Ελλάδα: Smart Specialisation «S3» für Cluster"
programme = "Interreg Ελλάδα"
tags = [
    "Étape",
    "ours",
]
timezone = "Europe/Athens"

[[deadlines]]
label = "Étape 1"
deadline = 2017-03-20 17:00:00+02:00

[[deadlines]]
label = "Étape 2"
deadline = 2017-06-20 17:00:00+03:00
"""


@contextmanager
def fresh_store() -> Iterator[Callable[[], Path]]:
    """A function that puts a fresh copy of the test store (and no cache) at one path.

    The shipped calls plus one with non-ASCII text everywhere. Both routes run at the same
    path, so messages that name the store compare equal.
    """
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"

        def reset() -> Path:
            shutil.rmtree(store, ignore_errors=True)
            shutil.rmtree(os.environ["CLUSTERCTL_CACHE_DIR"], ignore_errors=True)
            shutil.copytree(ROOT / "data", store, ignore=shutil.ignore_patterns(".state"))
            (store / "calls" / "UNICODE-1.toml").write_text(UNICODE_CALL, encoding="utf-8")
            return store

        yield reset


def _files(store: Path) -> dict[str, bytes]:
    """Every file of the store, local state included (the sweep marker, the lock file)."""
    return {
        str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()
    }


def _run_route(route: str, argv: list[str], store: Path, env_store: bool) -> int:
    """Run argv in-process on one route, the store given by --store or by CLUSTERCTL_STORE."""
    full = argv if env_store else ["--store", str(store), *argv]
    if env_store:
        os.environ[STORE_ENVVAR] = str(store)
    try:
        if route == "typer":
            return typer_app.run(full)
        invocation = fast.parse(full)
        assert invocation is not None, full
        return fast.run(invocation)
    finally:
        os.environ.pop(STORE_ENVVAR, None)


def _both_routes(
    argv: list[str], capsys: pytest.CaptureFixture[str], *, env_store: bool = False
) -> None:
    """Run argv on each route against a fresh copy of the store and compare everything."""
    with fresh_store() as reset:
        results = []
        for route in ("typer", "fast"):
            store = reset()
            capsys.readouterr()
            code = _run_route(route, argv, store, env_store)
            out = capsys.readouterr()
            results.append((code, out.out, out.err, _files(store)))
        assert results[1] == results[0], argv


AT = ["--at", "2017-03-01 09:00"]


@pytest.mark.parametrize(
    "argv",
    [
        ["add", "NEW-1", "--title", "New", "-d", "8 March 2027, 17:00h Brussels time"],
        ["add", "NEW-2", "--title", "T", "-d", "S1=2027-03-08", "-d", "S2=2027-09-01", "-t", "x"],
        ["add", "NEW-3", "--title", "T", "-d", "2027-03-08", "--opens", "2027-01-10", "--tz=UTC"],
        ["add", "NEW-4", "--title", "T", "-d", "2027-03-08", "--url", "ftp://x"],  # refused
        ["add", "NEW-5", "--title", " ", "-d", "2027-03-08"],  # empty title
        ["add", "ESCP-S3-EOI", "--title", "T", "-d", "2027-03-08"],  # exists
        ["add", "ESCP-S3-EOI", "--title", "T", "-d", "2027-03-08", "--replace"],
        ["add", "NEW-6", "--title", "T", "-d", "07/01/2026"],  # day-first: 7 January
        ["add", "NEW-7", "--title", "T", "-d", "2026-07-01"],  # ISO: 1 July
        ["add", "NEW-8", "--title", "T", "-d", "8 March"],  # no year: refused
        ["add", "bad id", "--title", "T", "-d", "2027-03-08"],
        ["add", "NEW-9", "--title", "T\x1b[31m", "-d", "2027-03-08", "--note", "n"],
        ["extend", "ESCP-S3-EOI", "--to", "7 April 2017", "--reason", "DG GROW", *AT],
        ["extend", "ESCP-S3-EOI", "--by", "14d", "--source", "https://ec.europa.eu", *AT],
        ["extend", "ESCP-S3-EOI", "--to", "1 March 2017", *AT],  # earlier: refused
        ["extend", "ESCP-S3-EOI", "--to", "1 March 2017", "--allow-earlier", *AT],
        ["extend", "ESCP-S3-EOI", *AT],  # neither --to nor --by
        ["extend", "NO-SUCH-CALL", "--by", "1d", *AT],
        ["extend", "ESCP-S3-EOI", "--by", "1 fortnight", *AT],
        ["edit", "ESCP-S3-EOI", "--note", "lead: Anna", "--add-tag", "ours"],
        ["edit", "ESCP-S3-EOI", "--remove-tag", "nope"],
        ["edit", "ESCP-S3-EOI"],  # nothing to change
        ["edit", "ESCP-S3-EOI", "--url", "", "--title", "Renamed", "-p", "SMP"],
        ["calls", *AT],
        ["calls", "--all", "-f", "json", *AT],
        ["calls", "--open", "--within", "60d", "--tz", "Europe/Lisbon", *AT],
        ["calls", "-a", "--format=csv", "-t", "nope", *AT],  # nothing matches
        ["calls", "--closed", "--search", "ESCP", "-p", "COSME", "--at", "2019-01-01"],
        ["calls", "--all", "--open", *AT],  # refused
        ["calls", "--within", "soon", *AT],  # refused
        ["calls", "--tz", "Mars/Base", *AT],  # refused
        ["show", "ESCP-S3-EOI", *AT],
        ["show", "COS-CLUSTPARTNS-2017-3-02", "-f", "json", "--tz", "UTC", *AT],
        ["show", "--format", "csv", "ESCP-S3-EOI", *AT],
        ["show", "NO-SUCH-CALL", *AT],
        ["show", "UNICODE-1", "--tz", "UTC", *AT],
        ["calls", "--search", "nothing like this", *AT],  # 'No calls match.'
        ["calls", "--at", "2031-01-01"],  # nothing open: the hint about hidden closed calls
        ["calls", "-t", "Étape", "--all", *AT],
        ["warn", "--dry-run", *AT],
        ["warn", "-f", "json", "--thresholds", "40d,20d", *AT],  # remembers in the ledger
        ["warn", "--thresholds", "", *AT],  # refused
        ["check"],
        ["migrate"],
        ["import", str(ROOT / "tests/fixtures/eu-portal-search-page.json"), "--at", "2026-11-25"],
        ["import", "no-such-file.json", "--from", "json"],
        # issue 15: kinds of change, corrections, dry runs, input that is probably a mistake
        ["add", "NEW-1", "--title", "T", "-d", "31 March 2027", "--extended", "--reason", "r", *AT],
        ["add", "NEW-2", "--title", "T", "-d", "2027-03-08", "--reason", "r"],  # refused
        ["add", "NEW-3", "--title", "T", "-d", "=2027-03-08"],  # empty label: refused
        [
            "add",
            "NEW-4",
            "--title",
            "T",
            "-d",
            "S2=2027-09-01",
            "-d",
            "S1=2016-03-08",
            "--tz",
            "CET",
        ],
        ["add", "NEW-5", "--title", "T", "-d", "31 March 2027 23:59 AoE", "--dry-run", *AT],
        ["extend", "ESCP-S3-EOI", "--to", "1 March 2017", "--allow-earlier", "-n", *AT],
        ["edit", "COS-CLUSTPARTNS-2017-3-02", "-d", "9 March 2018", "--stage", "", *AT],
        ["edit", "COS-CLUSTPARTNS-2017-3-02", "--deadline", "9 March 2018", *AT],
        ["edit", "COS-CLUSTPARTNS-2017-3-02", "--tz", "Europe/Paris", "--dry-run", *AT],
        ["edit", "UNICODE-1", "--stage-label", "Étape 2=Étape deux", *AT],
        ["edit", "UNICODE-1", "--stage-label", "Étape 2", *AT],  # refused
        ["calls", "--within", "", *AT],  # refused
    ],
)
def test_both_routes_agree(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    _both_routes(argv, capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-color", "--lock-timeout", "2.5", "add", "NEW-1", "--title", "T", "-d", "2027-03-08"],
        ["--lock-timeout=0", "extend", "ESCP-S3-EOI", "--by", "1d", *AT],
        ["edit", "--note", "n", "ESCP-S3-EOI"],  # the ID after an option
    ],
)
@pytest.mark.parametrize("env_store", [False, True], ids=["option", "environment"])
def test_both_routes_agree_on_global_options(
    argv: list[str], env_store: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    _both_routes(argv, capsys, env_store=env_store)


def test_the_lock_timeout_reaches_the_store(capsys: pytest.CaptureFixture[str]) -> None:
    # Another holder of the lock: both routes give up after --lock-timeout, with one message.
    argv = ["--lock-timeout", "0.3", "edit", "ESCP-S3-EOI", "--note", "n"]
    with fresh_store() as reset:
        results = []
        for route in ("typer", "fast"):
            store = reset()
            (store / ".state").mkdir(exist_ok=True)
            lock = os.open(store / ".state" / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
                started = time.monotonic()
                code = _run_route(route, argv, store, env_store=False)
                waited = time.monotonic() - started
            finally:
                os.close(lock)
            results.append((code, capsys.readouterr().err))
            assert waited >= 0.3, route
    assert results[0] == results[1]
    assert results[0][0] == 6 and "for more than 0.3 s" in results[0][1]


#: Values that usually work for an option, so that generated runs get past the parsing.
LIKELY = {
    "within": st.sampled_from(["14d", "36h", "2w", "400d", "1d12h"]),
    "tz": st.sampled_from(["UTC", "Europe/Lisbon", "Asia/Tokyo", "America/Sao_Paulo"]),
    "at": st.sampled_from(["2017-03-01 09:00", "2018-03-08T16:59+01:00", "1 March 2018"]),
    "search": st.sampled_from(["ESCP", "cluster", "zürich", "COSME"]),
    "programme": st.sampled_from(["COSME", "cos", "SMP"]),
    "tag": st.sampled_from(["ours", "demo", "Étape"]),
    "deadline": st.sampled_from(["2027-03-08", "S1=8 March 2027 12:00", "31/12/2027 17:00"]),
    "to": st.sampled_from(["7 April 2017", "2017-04-07T12:00+02:00", "2019-01-01"]),
    "by": st.sampled_from(["14d", "36h", "1w"]),
}

WORDS = st.sampled_from(
    [
        "",
        " ",
        "x",
        "ESCP-S3-EOI",
        "NEW-1",
        "2027-03-08",
        "2027-03-08T17:00+01:00",
        "8 March 2027",
        "31/12/2027 17:00",
        "B=9 May 2027",
        "=",
        "2017-02-01",
        "14d",
        "36h",
        "UTC",
        "Europe/Lisbon",
        "Mars/Base",
        "https://ec.europa.eu",
        "mailto:x",
        "ümlaut \u202e",
    ]
)


GLOBALS = st.sampled_from(
    [[], ["--no-color"], ["--lock-timeout", "5"], ["--lock-timeout=0.25", "--no-color"]]
)


#: The commands the generated lines use: those whose runs compare cheaply in-process (the
#: e-mail, import and store maintenance runs have their own tests of both routes below).
GENERATED_COMMANDS = ["add", "calls", "edit", "extend", "show"]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Command lines for the route's commands: mostly plain, some not (a value like an option,
    an option given twice, an unknown format), the ID anywhere among the options."""
    name = draw(st.sampled_from(GENERATED_COMMANDS))
    spec = argspec.COMMANDS[name]
    options = list(spec["options"])
    required = [o for o in options if o.get("required")]
    optional = [o for o in options if not o.get("required")]
    chosen = required + draw(st.lists(st.sampled_from(optional), max_size=5, unique_by=id))
    chosen += draw(st.lists(st.sampled_from(options), max_size=1))  # maybe one repeated
    groups: list[list[str]] = []
    for option in draw(st.permutations(chosen)):
        if option["kind"] == "flag":
            groups.append([option["names"][0]])
            continue
        for _ in range(draw(st.integers(1, 2)) if option.get("multiple") else 1):
            if option.get("choices"):  # now and then one Typer must refuse
                value = draw(st.sampled_from([*option["choices"] * 4, "xml", "JSON"]))
            elif draw(st.integers(0, 19)) == 0:
                value = "-x"  # like an option: Typer's route
            else:  # mostly values that work for this option, so that runs get far
                value = draw(st.one_of(LIKELY.get(option["dest"], WORDS), WORDS))
            spelling = draw(st.sampled_from(option["names"]))
            glued = spelling.startswith("--") and draw(st.booleans())
            groups.append([f"{spelling}={value}"] if glued else [spelling, value])
    for _ in spec["arguments"]:
        call_id = draw(st.sampled_from(["ESCP-S3-EOI", "COS-CLUSTPARTNS-2017-3-02", "NEW-1"]))
        groups.insert(draw(st.integers(0, len(groups))), [call_id])
    words = [word for group in groups for word in group]
    given_at = any(w == "--at" or w.startswith("--at=") for w in words)
    if any("--at" in o["names"] for o in options) and not given_at:
        words += AT  # the recorded time of an extension would otherwise be the clock's
    return [*draw(GLOBALS), name, *words]


def test_both_routes_agree_on_generated_command_lines(capsys: pytest.CaptureFixture[str]) -> None:
    routes = {"fast": 0, "typer": 0}

    @settings(max_examples=200, deadline=None)
    @given(argv=command_lines(), env_store=st.booleans())
    def agree(argv: list[str], env_store: bool) -> None:
        if fast.parse(argv, environ={}) is None:
            routes["typer"] += 1  # left to Typer: nothing to compare
            return
        routes["fast"] += 1
        _both_routes(argv, capsys, env_store=env_store)

    agree()
    # The generator must keep exercising both: mostly the route, sometimes the fallback.
    assert routes["fast"] >= 80 and routes["typer"] >= 10, routes


# --- the installed program ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def warm_route() -> Iterator[Callable[[str, dict[str, str]], WarmRoute]]:
    """Typer's route for the two tests below: see tests/cli/warm_route.py."""
    with warm_routes() as route:
        yield route


@pytest.mark.parametrize(
    "argv",
    [
        [
            "add",
            "U-1",
            "--title",
            "Zürich – Ελλάδα",
            "-d",
            "Étape 1=2030-01-08",
            "-d",
            "B=2030-06-01",
        ],
        ["add", "U-2", "--title", "T", "-d", "2030-01-08", "--url", "ftp://x"],
        ["extend", "ESCP-S3-EOI", "--to", "7 April 2017", "--stage", "Étape", *AT],
        ["extend", "ESCP-S3-EOI", "--by", "14d", "--reason", "é", *AT],
        ["edit", "ESCP-S3-EOI", "--remove-tag", "Ümlaut"],
        ["calls", "--all", "--tz", "Asia/Tokyo", *AT],
        ["calls", "--all", "-f", "json", *AT],
        ["calls", "--all", "-f", "csv", *AT],
        ["calls", "--search", "nothing like this", *AT],
        ["show", "UNICODE-1", *AT],
        ["show", "ESCP-S3-EOI", "--tz", "America/Sao_Paulo", *AT],
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_both_installed_routes_agree_on_real_streams(
    argv: list[str], encoding: str, warm_route: Callable[[str, dict[str, str]], WarmRoute]
) -> None:
    # In separate processes, so that each route sets up (or Click replaces) the real streams:
    # the installed script, and Typer's route in a child of a warm interpreter (warm_route.py).
    env = {**os.environ, "PYTHONIOENCODING": encoding}

    def text(output: bytes) -> str:
        return output.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")

    def typer_route(store: Path) -> tuple[int, str, str, dict[str, bytes]]:
        code, out, err = warm_route("pipes", env).run_piped(["--store", str(store), *argv], env)
        return code, text(out), text(err), _files(store)

    def installed(store: Path) -> tuple[int, str, str, dict[str, bytes]]:
        done = subprocess.run(
            [*clusterctl_exe(), "--store", str(store), *argv],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=60,
            env=env,
        )
        return done.returncode, done.stdout, done.stderr, _files(store)

    with fresh_store() as reset:
        typer = typer_route(reset())
        fast = installed(reset())
    assert fast == typer


@pytest.mark.parametrize(
    "argv",
    [
        ["calls", "--all", *AT],
        ["calls", "--all", "--no-color", *AT],
        ["show", "UNICODE-1", *AT],
        ["edit", "UNICODE-1", "--note", "n"],
    ],
)
@pytest.mark.parametrize("columns", ["80", "160"])
def test_both_routes_draw_the_same_on_a_terminal(
    argv: list[str], columns: str, warm_route: Callable[[str, dict[str, str]], WarmRoute]
) -> None:
    # On a terminal the routes draw Rich tables and colours: compare them byte for byte.
    # Typer's route runs in a child of a warm interpreter started on a terminal (warm_route.py).
    if "--no-color" in argv:  # a global option: before the command
        argv = ["--no-color", *(a for a in argv if a != "--no-color")]
    env = {"COLUMNS": columns}
    with fresh_store() as reset:
        master, slave = pty.openpty()
        try:
            job = warm_route("terminal", terminal_env(env)).start(
                ["--store", str(reset()), *argv], terminal_env(env), [slave] * 3
            )
        finally:
            os.close(slave)
        typer = read_terminal(master, job)
        fast = run_on_terminal([*clusterctl_exe(), "--store", str(reset()), *argv], env)
    assert typer[0] == 0, typer
    assert fast == typer
    if "--no-color" not in argv and argv[0] != "edit":
        assert b"\x1b[" in fast[1]  # really drawn for a terminal, in colour


def _loaded_frameworks(argv: list[str]) -> tuple[list[str], str]:
    """Run clusterctl argv in a fresh interpreter; which of typer, rich, typing and pathlib it
    imported (``typing`` alone costs a plain run ~3 ms, see ``clusterctl.records``; ``pathlib``
    ~3.4 ms, see ``clusterctl.fileread``)."""
    *output, loaded = run_main_then(
        argv,
        "import json\n"
        "heavy = {'typer', 'rich', 'typing', 'pathlib'}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))",
    )
    return json.loads(loaded), "\n".join(output)


@pytest.mark.parametrize(
    ("argv", "plain"),
    [
        (["add", "X-1", "--title", "T", "-d", "2027-03-01"], True),
        (["extend", "ESCP-S3-EOI", "--by", "1d"], True),
        (["edit", "ESCP-S3-EOI", "--note", "n"], True),
        (["edit", "ESCP-S3-EOI", "--note", "n", "--note", "m"], False),
        (["add", "X-2", "--title", "T"], False),
        (["calls"], True),
        (["calls", "--open", "--within", "14d"], True),
        (["calls", "-f", "json"], True),
        (["show", "ESCP-S3-EOI"], True),
        (["calls", "-f", "xml"], False),
        (["check"], True),
        (["warn", "--dry-run", "--at", "2018-03-01"], True),
        (["remove", "ESCP-S3-EOI", "--yes"], False),
    ],
)
def test_only_plain_runs_skip_typer(seeded_store: Path, argv: list[str], plain: bool) -> None:
    loaded, output = _loaded_frameworks(["--store", str(seeded_store), *argv])
    # Typer's route imports pathlib (Typer and Click do), as it may.
    assert loaded == ([] if plain else ["pathlib", "typer", "typing"]), output


def test_the_installed_program_takes_either_route(store_dir: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*clusterctl_exe(), "--store", str(store_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = run("add", "X-1", "--title", "T", "-d", "2027-03-01")
    assert (done.returncode, done.stdout, without_notices(done.stderr)) == (
        0,
        "Added X-1: deadline 2027-03-01 17:00 CET\n",
        "",
    )
    again = run("add", "X-1", "--title", "T", "-d", "2027-03-01")
    assert (again.returncode, again.stderr) == (4, "error: a call with id 'X-1' already exists\n")
    missing = run("add", "X-2", "--title", "T")  # Typer's route: its usage error
    assert missing.returncode == 2
    assert missing.stderr == (
        "error: Missing option '--deadline' / '-d'. (see 'clusterctl add --help')\n"
    )
    extended = run("extend", "X-1", "--by", "2d", "--at", "2026-12-01")
    assert extended.stdout == "Extended X-1: 2027-03-01 17:00 CET -> 2027-03-03 17:00 CET\n"
