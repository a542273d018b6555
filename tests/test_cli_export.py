"""CLI tests for ``export ics``, ``config path``/``config show`` and the colour rules.

Calendars are parsed back with icalendar; the colour test runs real processes on a pseudo-terminal
so that Rich really sees a terminal.
"""

from __future__ import annotations

import json
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


# --- config path / config show ------------------------------------------------------------------


def test_config_path_honours_the_environment(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "elsewhere" / "clusterctl.toml"
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(chosen))
    assert ok(cli("config", "path")).stdout == f"{chosen}\n"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLUSTERCTL_CONFIG", "~/my.toml")
    assert ok(cli("config", "path")).stdout == f"{tmp_path / 'home' / 'my.toml'}\n"
    monkeypatch.delenv("CLUSTERCTL_CONFIG")
    default = tmp_path / "xdg-config" / "clusterctl" / "config.toml"
    if sys.platform.startswith("linux"):
        assert ok(cli("config", "path")).stdout == f"{default}\n"


def test_config_path_works_even_when_the_file_is_broken(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the one command a user needs to find the broken file
    config = tmp_path / "broken.toml"
    config.write_text("store = \n", encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    assert ok(cli("config", "path")).stdout == f"{config}\n"


PASSWORD = "pw-Very$ecret-42"
FULL_CONFIG = f"""
store = "team-store"
timezone = "Europe/Lisbon"
lock_timeout = 3

[warn]
thresholds = "14d,2d"
email = ["team@example.org"]

[smtp]
host = "smtp.example.org"
port = 587
from = "bot@example.org"
user = "bot"
password = "{PASSWORD}"
tls = "starttls"
"""


def test_config_show_masks_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(FULL_CONFIG, encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    result = ok(CliRunner().invoke(app, ["config", "show"]))
    assert PASSWORD not in result.stdout + result.stderr
    shown = json.loads(result.stdout)
    assert shown == {
        "path": str(config),
        "exists": True,
        "store": str(tmp_path / "team-store"),
        "timezone": "Europe/Lisbon",
        "lock_timeout": 3.0,
        "warn": {"thresholds": "14d,2d", "email": ["team@example.org"]},
        "smtp": {
            "host": "smtp.example.org",
            "port": 587,
            "from": "bot@example.org",
            "user": "bot",
            "password": "********",
            "tls": "starttls",
        },
        "effective_store": {
            "path": str(tmp_path / "team-store"),
            "chosen_by": f"config file {config}",
        },
    }
    # --store wins over the file
    other = tmp_path / "other"
    result = ok(CliRunner().invoke(app, ["--store", str(other), "config", "show"]))
    assert json.loads(result.stdout)["effective_store"] == {
        "path": str(other),
        "chosen_by": "--store / CLUSTERCTL_STORE",
    }


def test_config_show_without_a_file(cli: Cli, tmp_path: Path) -> None:
    shown = json.loads(ok(cli("config", "show")).stdout)
    assert shown["exists"] is False
    assert shown["smtp"] == {}
    assert shown["warn"] == {"thresholds": None, "email": []}


def test_config_show_refuses_a_shared_file_with_a_password(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(FULL_CONFIG, encoding="utf-8")
    config.chmod(0o644)
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    result = cli("config", "show")
    assert result.exit_code == 8
    assert result.stdout == ""
    assert PASSWORD not in result.stderr
    assert result.stderr == (
        f"error: config file {config} holds an SMTP password but is readable by others; "
        f"run: chmod 600 {config}\n"
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("store = \n", "(at line 1, column 9)"),
        ('timezone = "Europe/Lisbon"\n[warn\nthresholds = "1d"\n', "(at line 2, column 6)"),
        ('[smtp]\nhost = "a"\nhost = "b"\n', "(at line 3, column"),
        ('[warn]\nthresholds = "1d', "line 2, column"),
        ("lock_timeout = 10\n\n\n  = 5\n", "(at line 4, column 3)"),
    ],
)
@pytest.mark.parametrize("command", [("config", "show"), ("calls",), ("warn", "--at", AT)])
def test_malformed_config_names_line_and_column(
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    where: str,
    command: tuple[str, ...],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    result = cli(*command)
    assert result.exit_code == 8
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: config file {config}: ")
    assert where in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('colour = "yes"\n', "unknown key 'colour'"),
        ("[warn]\nthresholds = 3\n", "[warn].thresholds must be a string"),
        ('timezone = "Mars/Olympus"\n', "timezone must be an IANA time zone"),
        ('[smtp]\nport = "25"\n', "[smtp].port must be an integer from 1 to 65535"),
    ],
)
def test_invalid_config_values_are_named(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fragment: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    result = cli("config", "show")
    assert result.exit_code == 8
    assert fragment in result.stderr


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
