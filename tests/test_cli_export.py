"""CLI tests for ``export ics``, ``config path``/``config show`` and the colour rules.

Calendars are parsed back with icalendar; the colour test runs real processes on a pseudo-terminal
so that Rich really sees a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clusterctl.cli import app
from tests.conftest import clusterctl_exe, run_on_terminal

Cli = Callable[..., Result]

AT = "2027-03-30 09:00"  # Brussels: 07:00Z


def ok(result: Result) -> Result:
    """Assert the run succeeded; return it."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


@pytest.fixture
def store(cli: Cli, store_dir: Path) -> Path:
    """Four open or forthcoming calls in two zones, one closed call."""
    ok(cli("add", "ALPHA-1", "--title", "Alpha call", "-d", "2027-04-08", "-p", "COSME",
           "--url", "https://example.eu/alpha", "-t", "sme"))  # fmt: skip
    ok(cli("add", "BETA-2", "--title", "Beta call", "-d", "Stage 1=2027-04-01",
           "-d", "Stage 2=2027-06-01", "-p", "Horizon Europe", "-t", "digital"))  # fmt: skip
    ok(cli("add", "LIS-3", "--title", "Lisbon call", "-d", "2027-04-20", "--tz", "Europe/Lisbon",
           "--opens", "2027-04-01"))  # fmt: skip
    ok(cli("add", "OLD-4", "--title", "Old call", "-d", "2024-02-07"))
    return store_dir


# --- colour rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [("calls", "--all"), ("show", "BETA-2"), ("warn", "--dry-run"), ("import", "--help")],
)
@pytest.mark.parametrize("how", ["piped", "NO_COLOR", "--no-color"])
def test_piped_output_is_plain(
    store: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...], how: str
) -> None:
    # CliRunner's stdout is not a terminal: plain text, no ANSI, no borders
    args = ["--store", str(store)]
    if how == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    if how == "--no-color":
        args.insert(0, "--no-color")
    at = [] if "--help" in command else ["--at", AT]
    result = ok(CliRunner().invoke(app, [*args, *command, *at]))
    assert result.stdout
    assert "\x1b" not in result.stdout + result.stderr
    if "--help" not in command:
        assert not set(result.stdout) & set("│┃─━┏┓┗┛╭╮╰╯")


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run clusterctl on a 200-column pseudo-terminal; return what it wrote."""
    code, output = run_on_terminal([*clusterctl_exe(), *args], env={"COLUMNS": "200", **env})
    assert code == 0, output
    return output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")
def test_no_color_on_a_real_terminal(store: Path) -> None:
    args = ["--store", str(store), "calls", "--all", "--at", AT]
    coloured = run_on_a_terminal(args, {})
    assert b"\x1b[" in coloured  # the control: a terminal does get colour
    plain_env = run_on_a_terminal(args, {"NO_COLOR": "1"})
    plain_flag = run_on_a_terminal(["--no-color", *args], {})
    for output in (plain_env, plain_flag):
        assert b"\x1b" not in output
        # urgency still reads without colour
        assert b"in 2 days 8 h ! soon" in output
        assert b"BETA-2" in output
