"""End to end: the installed ``clusterctl`` script and ``python -m clusterctl`` as processes.

Each run gets the isolated environment of conftest.py (no developer config, cache or store), a
copy of the shipped data/ store or a fresh one under tmp_path, and ``--at`` for a fixed clock.
Piped runs check plain output; runs on a real pseudo-terminal check colour, NO_COLOR and the
confirmation prompt of ``remove``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clusterctl import __version__
from tests.cli.helpers import without_notices
from tests.conftest import clusterctl_exe, isolated, run_on_terminal

NOW = "2018-03-02 17:00"
SEED_COS = "COS-CLUSTPARTNS-2017-3-02"
SEED_EOI = "ESCP-S3-EOI"
HOSTILE = "[bold red]X[/] \x1b[31mred\x1b]8;;http://evil\x07"
HOSTILE_SHOWN = "[bold red]X[/] \\x1b[31mred\\x1b]8;;http://evil\\x07"
ANSI = re.compile(r"\x1b[\[\]]")


def script() -> str:
    """The console script installed next to this interpreter (not a python -m fallback)."""
    exe = shutil.which("clusterctl", path=str(Path(sys.executable).parent))
    assert exe, "the clusterctl console script is not installed in this environment"
    return exe


def run(
    *args: str, module: bool = False, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run clusterctl as a process with stdout and stderr piped."""
    argv = [sys.executable, "-m", "clusterctl"] if module else [script()]
    result = subprocess.run(
        [*argv, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        timeout=60,
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert without_notices(result.stderr) == ""
    return result.stdout


def error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def run_on_tty(
    *args: str, env: dict[str, str] | None = None, answer: bytes | None = None
) -> tuple[int, bytes]:
    """Run the script with stdin, stdout and stderr on a pseudo-terminal; return (code, output)."""
    return run_on_terminal([script(), *args], env=env, answer=answer)


@pytest.fixture
def seeded(seeded_store: Path) -> Path:
    return seeded_store


# --- install and version ----------------------------------------------------------------------


def test_console_script_is_installed() -> None:
    assert clusterctl_exe() == [script()]


def test_version_from_the_script_and_the_module() -> None:
    assert ok(run("--version")) == f"clusterctl {__version__}\n"
    assert ok(run("--version", module=True)) == f"clusterctl {__version__}\n"


def test_module_and_script_give_the_same_listing(seeded: Path) -> None:
    args = ("--store", str(seeded), "calls", "--all", "--at", NOW)
    assert ok(run(*args, module=True)) == ok(run(*args))


def test_module_help_names_the_program() -> None:
    out = ok(run("calls", "--help", module=True, env={"COLUMNS": "200"}))
    assert "Usage: clusterctl calls [OPTIONS]" in out
    assert "Example: clusterctl calls --open --within 14d" in out


# --- the main job on the shipped data ---------------------------------------------------------


def test_calls_all_on_a_copy_of_data(seeded: Path) -> None:
    out = ok(run("--store", str(seeded), "calls", "--all", "--at", NOW))
    rows = [re.split(r"  +", line) for line in out.splitlines()]
    assert rows == [
        ["ID", "Title", "Programme", "Deadline", "Time left", "Status", "Extended"],
        [
            SEED_COS,
            "European Strategic Cluster Partnerships for Smart Specialisation Investments "
            "(ESCP-S3)",
            "COSME",
            "2018-03-08 17:00 CET",
            "in 6 days ! soon",
            "open",
        ],
        [
            SEED_EOI,
            "Call for Expression of Interest for the European Strategic Cluster Partnerships "
            "for Smart Specialisation Investments",
            "2017-03-31 17:00 CEST",
            "closed 336 days 1 h ago",
            "closed",
            "extended",
        ],
    ]
    assert not ANSI.search(out)
    data = json.loads(ok(run("--store", str(seeded), "calls", "--all", "-f", "json", "--at", NOW)))
    assert [(c["id"], c["deadline"], c["status"]) for c in data] == [
        (SEED_COS, "2018-03-08T17:00:00+01:00", "open"),
        (SEED_EOI, "2017-03-31T17:00:00+02:00", "closed"),
    ]


def test_store_chosen_by_environment_variable(seeded: Path) -> None:
    out = ok(run("calls", "--at", NOW, env={"CLUSTERCTL_STORE": str(seeded)}))
    assert [line.split()[0] for line in out.splitlines()[1:]] == [SEED_COS]


def test_default_store_is_the_per_user_data_directory(tmp_path: Path) -> None:
    # conftest points XDG_DATA_HOME into tmp_path, so the platform default lands there.
    ok(run("add", "X-1", "--title", "T", "--deadline", "2018-03-08"))
    assert (tmp_path / "xdg-data" / "clusterctl" / "store" / "calls" / "X-1.toml").is_file()
    settings = json.loads(ok(run("config", "show")))
    assert settings["effective_store"] == {
        "path": str(tmp_path / "xdg-data" / "clusterctl" / "store"),
        "chosen_by": "default",
    }


def test_a_new_store_in_the_current_directory_works_the_first_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # '--store .': the marker is a name alone, whose directory os.path.dirname gives as ''.
    monkeypatch.chdir(tmp_path)
    ok(run("--store", ".", "add", "X-1", "--title", "T", "--deadline", "2030-01-01"))
    assert (tmp_path / "clusterctl.toml").is_file() and (tmp_path / "calls" / "X-1.toml").is_file()
    assert ok(run("--store", ".", "check")) == "ok: 1 call in ., no problems\n"
    # A change to several files goes through the journal, whose entries are relative to '.'.
    calls = json.loads(ok(run("--store", ".", "calls", "--all", "-f", "json")))
    calls.append({**calls[0], "id": "X-2"})
    (tmp_path.parent / "two.json").write_text(json.dumps(calls))
    ok(run("--store", ".", "import", str(tmp_path.parent / "two.json"), "--replace"))
    assert sorted(p.name for p in (tmp_path / "calls").iterdir()) == ["X-1.toml", "X-2.toml"]
    assert not (tmp_path / ".state" / "commit.json").exists()
    assert ok(run("--store", ".", "check")) == "ok: 2 calls in ., no problems\n"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "error: store '~nouser-clusterctl/s': no home directory for its '~'"),
        (
            {"CLUSTERCTL_STORE": "~nouser-clusterctl/s"},
            "error: store '~nouser-clusterctl/s': no home directory for its '~'",
        ),
        (
            {"CLUSTERCTL_CONFIG": "~nouser-clusterctl/c.toml"},
            "error: $CLUSTERCTL_CONFIG '~nouser-clusterctl/c.toml': no home directory for its '~'",
        ),
    ],
)
def test_a_tilde_of_no_user_is_a_one_line_error(env: dict[str, str], expected: str) -> None:
    args = ("calls",) if env else ("--store", "~nouser-clusterctl/s", "calls")
    assert error_line(run(*args, env=env), 2) == expected


def test_a_config_store_with_a_tilde_of_no_user_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('store = "~nouser-clusterctl/s"\n')
    result = run("calls", env={"CLUSTERCTL_CONFIG": str(config)})
    assert error_line(result, 8) == (
        f"error: config file {config}: store '~nouser-clusterctl/s': no home directory for its '~'"
    )


def test_show_on_a_copy_of_data(seeded: Path) -> None:
    out = ok(run("--store", str(seeded), "show", SEED_EOI, "--at", NOW))
    assert out.splitlines()[5:9] == [
        "Status       closed",
        "Time zone    Europe/Brussels",
        "Opens        -",
        "Deadline     2017-03-31 17:00 CEST, closed 336 days 1 h ago, "
        "extended (original deadline not stated)",
    ]
    assert ok(run("--store", str(seeded), "check")) == f"ok: 2 calls in {seeded}, no problems\n"


def test_add_and_extend_on_a_fresh_store(tmp_path: Path) -> None:
    store = str(tmp_path / "fresh")
    assert ok(
        run(
            "--store", store, "add", "NEW-1", "--title", "New call", "--programme", "COSME",
            "--deadline", "8 March 2018, 17:00h Brussels time", "--tag", "digital",
        )
    ) == "Added NEW-1: deadline 2018-03-08 17:00 CET\n"  # fmt: skip
    assert ok(
        run(
            "--store", store, "extend", "NEW-1", "--by", "14d", "--reason", "portal outage",
            "--at", "2018-03-20 10:00",
        )
    ) == "Extended NEW-1: 2018-03-08 17:00 CET -> 2018-03-22 17:00 CET\n"  # fmt: skip
    assert ok(run("--store", store, "extend", "NEW-1", "--to", "5 April 2018", "--at", NOW)) == (
        "Extended NEW-1: 2018-03-22 17:00 CET -> 2018-04-05 17:00 CEST\n"
    )
    data = json.loads(ok(run("--store", store, "show", "NEW-1", "-f", "json", "--at", NOW)))
    assert (data["deadline"], data["status"], data["extended"]) == (
        "2018-04-05T17:00:00+02:00",
        "open",
        True,
    )
    assert [(e["from"], e["to"], e["reason"], e["recorded"]) for e in data["extensions"]] == [
        (
            "2018-03-08T17:00:00+01:00",
            "2018-03-22T17:00:00+01:00",
            "portal outage",
            "2018-03-20T09:00:00+00:00",
        ),
        ("2018-03-22T17:00:00+01:00", "2018-04-05T17:00:00+02:00", "", "2018-03-02T16:00:00+00:00"),
    ]
    assert ok(run("--store", store, "check")) == f"ok: 1 call in {store}, no problems\n"


# --- errors -----------------------------------------------------------------------------------


def test_errors_are_one_line_with_exit_codes(seeded: Path, tmp_path: Path) -> None:
    store = str(seeded)

    def shared_files() -> dict[Path, bytes]:
        # .state/ is local machinery (the lock file records the pid of its last holder).
        return {
            p: p.read_bytes()
            for p in sorted(seeded.rglob("*"))
            if p.is_file() and ".state" not in p.relative_to(seeded).parts
        }

    files = shared_files()
    assert error_line(run("--store", store, "show", "NOPE"), 3) == (
        f"error: no call 'NOPE' in {seeded}"
    )
    assert error_line(
        run("--store", store, "add", "X", "--title", "T", "--deadline", "31 February 2018"), 2
    ) == ("error: '31 February 2018' is not a valid date: day is out of range for month")
    assert error_line(
        run("--store", store, "add", SEED_EOI, "--title", "T", "--deadline", "2018-03-08"), 4
    ) == (f"error: a call with id {SEED_EOI!r} already exists")
    assert error_line(run("--store", store, "remove", SEED_EOI), 2) == (
        f"error: not removing {SEED_EOI} without confirmation: add --yes"
    )
    assert shared_files() == files
    broken = seeded / "calls" / f"{SEED_EOI}.toml"
    broken.write_text('id = "ESCP-S3-EOI"\ntitle = \n')
    listed = run("--store", store, "calls", "--all", "--at", "2018-03-01")
    assert listed.returncode == 9  # the other call is listed; the broken file is named
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["ID", SEED_COS]
    assert listed.stderr.splitlines() == [
        f"warning: {broken}: invalid TOML: Invalid value (at line 2, column 9)",
        "error: 1 call file could not be read; the other calls were read",
    ]
    assert error_line(run("--store", store, "show", SEED_EOI), 5) == (
        f"error: {broken}: invalid TOML: Invalid value (at line 2, column 9)"
    )
    assert broken.read_text() == 'id = "ESCP-S3-EOI"\ntitle = \n'
    result = run("--store", store, "check")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"problem: {broken}: invalid TOML: Invalid value (at line 2, column 9)",
        f"error: 1 problem in {seeded}",
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["calls", "--format", "xml"], "'xml'"),
        (["add", "X-1", "--deadline", "2018-03-08"], "--title"),
        (["calls", "--no-such-option"], "--no-such-option"),
    ],
)
def test_command_line_usage_errors_are_one_line(
    tmp_path: Path, args: list[str], named: str
) -> None:
    result = run("--store", str(tmp_path / "s"), *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert not re.search("[\u2500-\u257f]", result.stderr), "no boxes around errors"
    assert any(
        line.lower().startswith("error: ") and named in line for line in result.stderr.splitlines()
    ), result.stderr


# --- colour and terminals -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with EVIL-1, added by the script once for the tests below."""
    base = tmp_path_factory.mktemp("hostile")
    store = base / "hostile"
    add = ("add", "EVIL-1", "--title", HOSTILE, "--deadline", "2018-03-08")
    with isolated(base):
        ok(run("--store", str(store), *add))
    return store


@pytest.fixture
def hostile_store(hostile_template: Path, tmp_path: Path) -> Path:
    """A copy of ``hostile_template`` (files, bytes and times as the script left them)."""
    store = tmp_path / "hostile"
    shutil.copytree(hostile_template, store)
    return store


def test_piped_output_is_plain(hostile_store: Path) -> None:
    for extra in ({}, {"FORCE_COLOR": "1"}):
        out = ok(run("--store", str(hostile_store), "calls", "--at", NOW, env=extra))
        assert "\x1b" not in out and "\x07" not in out
        assert "─" not in out and "│" not in out  # no table borders in pipes
        assert out.splitlines()[1].split("  ")[:2] == ["EVIL-1", HOSTILE_SHOWN]
    shown = ok(run("--store", str(hostile_store), "show", "EVIL-1", "--at", NOW))
    assert "\x1b" not in shown
    assert f"Title      {HOSTILE_SHOWN}" in shown.splitlines()
    data = json.loads(ok(run("--store", str(hostile_store), "calls", "-f", "json", "--at", NOW)))
    assert data[0]["title"] == HOSTILE


@pytest.mark.parametrize(
    ("env", "flags"), [({"NO_COLOR": "1"}, []), ({}, ["--no-color"])], ids=["NO_COLOR", "flag"]
)
def test_no_color_on_a_terminal(hostile_store: Path, env: dict[str, str], flags: list[str]) -> None:
    code, out = run_on_tty(*flags, "--store", str(hostile_store), "calls", "--at", NOW, env=env)
    assert code == 0
    assert b"\x1b" not in out and b"\x07" not in out
    text = out.decode()
    assert HOSTILE_SHOWN in text
    assert "in 6 days ! soon" in text  # urgency reads without colour


def test_colour_on_a_terminal_never_passes_user_escapes(hostile_store: Path) -> None:
    code, out = run_on_tty("--store", str(hostile_store), "calls", "--at", NOW)
    assert code == 0
    assert b"\x1b[" in out, "a terminal gets colour"
    assert HOSTILE_SHOWN.encode() in out
    assert b"\x1b[31mred" not in out and b"\x1b]8;;" not in out and b"\x07" not in out


@pytest.mark.parametrize("columns", [72, 80, 100])
def test_a_narrow_terminal_still_shows_each_id_deadline_and_status(
    seeded: Path, columns: int
) -> None:
    # Titles give way first; the id, the deadline's date and the status must stay readable.
    # A row may take several lines (the title, then the id, get lines of their own): a row is
    # the lines from its id to the next id.
    env = {"COLUMNS": str(columns)}
    code, out = run_on_tty(
        "--no-color", "--store", str(seeded), "calls", "-a", "--at", NOW, env=env
    )
    assert code == 0, out
    lines = out.decode().splitlines()
    assert max(len(line) for line in lines) <= columns
    shown = "\n".join(lines)
    starts = [i for i, line in enumerate(lines) if line.startswith(("ESCP-S3-EOI", "COS-"))]
    for call_id, date in (
        ("ESCP-S3-EOI", "2017-03-31"),
        ("COS-CLUSTPARTNS-2017-3-02", "2018-03-08"),
    ):
        start = next(i for i in starts if lines[i].startswith(call_id))
        row = "\n".join(lines[start : min([i for i in starts if i > start] or [len(lines)])])
        assert date in row and ("open" in row or "closed" in row), shown


@pytest.mark.parametrize(
    ("answer", "code", "message", "kept"),
    [(b"y\n", 0, b"Removed ESCP-S3-EOI", False), (b"n\n", 1, b"Nothing removed.", True)],
)
def test_remove_asks_on_a_terminal(
    seeded: Path, answer: bytes, code: int, message: bytes, kept: bool
) -> None:
    path = seeded / "calls" / f"{SEED_EOI}.toml"
    before = path.read_bytes()
    got, out = run_on_tty("--no-color", "--store", str(seeded), "remove", SEED_EOI, answer=answer)
    assert got == code, out
    assert b"Remove ESCP-S3-EOI (Call for Expression of Interest" in out
    assert message in out
    assert path.exists() is kept
    if kept:
        assert path.read_bytes() == before
