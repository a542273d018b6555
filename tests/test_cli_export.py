"""CLI tests for ``export ics``, ``config path``/``config show`` and the colour rules.

Calendars are parsed back with icalendar; the colour test runs real processes on a pseudo-terminal
so that Rich really sees a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner, Result

from clusterctl.cli import app
from tests.conftest import clusterctl_exe, run_on_terminal

Cli = Callable[..., Result]

AT = "2027-03-30 09:00"  # Brussels: 07:00Z
D = timedelta(days=1)
DEFAULT_TRIGGERS = [-30 * D, -14 * D, -7 * D, -2 * D, -D]
# uid -> deadline instant, for the store built by the ``store`` fixture
EXPECTED = {
    "ALPHA-1--deadline@clusterctl": datetime(2027, 4, 8, 15, 0, tzinfo=UTC),
    "BETA-2--stage-1@clusterctl": datetime(2027, 4, 1, 15, 0, tzinfo=UTC),
    "BETA-2--stage-2@clusterctl": datetime(2027, 6, 1, 15, 0, tzinfo=UTC),
    "LIS-3--deadline@clusterctl": datetime(2027, 4, 20, 16, 0, tzinfo=UTC),
    "OLD-4--deadline@clusterctl": datetime(2024, 2, 7, 16, 0, tzinfo=UTC),
}

BETA_UIDS = {"BETA-2--stage-1@clusterctl", "BETA-2--stage-2@clusterctl"}


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


def events(data: bytes) -> dict[str, object]:
    """The calendar's VEVENTs by UID (parsing it with icalendar)."""
    calendar = Calendar.from_ical(data)
    found = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "UIDs must be unique"
    return found


def export(cli: Cli, *args: str) -> bytes:
    """``export ics ARGS`` to stdout, as bytes."""
    return ok(cli("export", "ics", *args)).stdout_bytes


# --- export ics ---------------------------------------------------------------------------------


def test_export_all_to_a_file(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.ics"
    result = ok(cli("export", "ics", "--all", "-o", str(target), "--at", AT))
    assert result.stdout == ""
    assert result.stderr == f"Wrote 4 calls to {target}\n"
    data = target.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    found = events(data)
    assert set(found) == set(EXPECTED)  # one event per stage
    for uid, instant in EXPECTED.items():
        start = found[uid].decoded("dtstart")
        assert start == instant
        assert start.utcoffset() is not None
    assert str(found["LIS-3--deadline@clusterctl"]["dtstart"].params["TZID"]) == "Europe/Lisbon"
    assert str(found["ALPHA-1--deadline@clusterctl"]["dtstart"].params["TZID"]) == (
        "Europe/Brussels"
    )
    tzids = {str(tz["tzid"]) for tz in Calendar.from_ical(data).walk("VTIMEZONE")}
    assert tzids == {"Europe/Brussels", "Europe/Lisbon"}
    alpha = found["ALPHA-1--deadline@clusterctl"]
    assert str(alpha["summary"]) == "Deadline: ALPHA-1 Alpha call"
    assert str(alpha["url"]) == "https://example.eu/alpha"
    assert "Programme: COSME" in str(alpha["description"])
    assert str(found["BETA-2--stage-2@clusterctl"]["summary"]) == (
        "Deadline: BETA-2 Beta call – Stage 2"
    )
    assert found["ALPHA-1--deadline@clusterctl"].decoded("dtstamp") == datetime(
        2027, 3, 30, 7, 0, tzinfo=UTC
    )


def test_one_call_is_singular(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "one.ics"
    result = ok(cli("export", "ics", "--search", "Alpha", "-o", str(target), "--at", AT))
    assert result.stderr == f"Wrote 1 call to {target}\n"


def test_stdout_and_file_are_the_same_calendar(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.ics"
    ok(cli("export", "ics", "--all", "--output", str(target), "--at", AT))
    assert export(cli, "--all", "--at", AT) == target.read_bytes()


def test_overwrites_the_file_atomically_in_place(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.ics"
    target.write_text("old", encoding="utf-8")
    ok(cli("export", "ics", "--all", "-o", str(target), "--at", AT))
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unwritable_output_is_a_one_line_error(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "calls.ics"
    result = cli("export", "ics", "--all", "-o", str(target), "--at", AT)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {target}: cannot write")
    assert len(result.stderr.splitlines()) == 1


def test_uids_stable_and_sequence_raised_by_extend(cli: Cli, store: Path) -> None:
    first = events(export(cli, "--all", "--at", AT))
    later = events(export(cli, "--all", "--at", "2027-04-15 10:00"))
    assert set(first) == set(later) == set(EXPECTED)
    assert all(int(e["sequence"]) == 0 for e in first.values())
    ok(cli("extend", "BETA-2", "--stage", "Stage 2", "--to", "2027-06-15", "--at", AT))
    extended = events(export(cli, "--all", "--at", AT))
    assert set(extended) == set(EXPECTED)
    stage2 = extended["BETA-2--stage-2@clusterctl"]
    assert int(stage2["sequence"]) == 1
    assert stage2.decoded("dtstart") == datetime(2027, 6, 15, 15, 0, tzinfo=UTC)
    assert "Original deadline: 2027-06-01 17:00 CEST" in str(stage2["description"])
    assert int(extended["BETA-2--stage-1@clusterctl"]["sequence"]) == 0
    ok(cli("extend", "BETA-2", "--stage", "Stage 2", "--by", "7d", "--at", AT))
    again = events(export(cli, "--all", "--at", AT))
    assert int(again["BETA-2--stage-2@clusterctl"]["sequence"]) == 2
    assert again["BETA-2--stage-2@clusterctl"].decoded("dtstart") == datetime(
        2027, 6, 22, 15, 0, tzinfo=UTC
    )


def triggers(event) -> list[timedelta]:
    """The alarm triggers of one event, in file order."""
    alarms = event.walk("VALARM")
    assert all(str(a["action"]) == "DISPLAY" for a in alarms)
    return [a.decoded("trigger") for a in alarms]


def test_alarms_at_the_default_thresholds(cli: Cli, store: Path) -> None:
    for event in events(export(cli, "--all", "--at", AT)).values():
        assert triggers(event) == DEFAULT_TRIGGERS


def test_alarms_at_given_thresholds(cli: Cli, store: Path) -> None:
    found = events(export(cli, "--all", "--at", AT, "--thresholds", "12h,3d"))
    for event in found.values():
        assert triggers(event) == [-3 * D, -timedelta(hours=12)]


def test_alarms_at_the_config_thresholds(
    cli: Cli, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[warn]\nthresholds = "10d,1h"\n', encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    for event in events(export(cli, "--all", "--at", AT)).values():
        assert triggers(event) == [-10 * D, -timedelta(hours=1)]
    only = events(export(cli, "--all", "--at", AT, "--thresholds", "2d"))
    assert all(triggers(e) == [-2 * D] for e in only.values())


def test_bad_thresholds(cli: Cli, store: Path) -> None:
    result = cli("export", "ics", "--all", "--thresholds", "soon")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid thresholds 'soon'")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "uids"),
    [
        # default: open and forthcoming
        ((), set(EXPECTED) - {"OLD-4--deadline@clusterctl"}),
        (("--all",), set(EXPECTED)),
        (("--closed",), {"OLD-4--deadline@clusterctl"}),
        (("--forthcoming",), {"LIS-3--deadline@clusterctl"}),
        (
            ("--open",),
            {
                "ALPHA-1--deadline@clusterctl",
                "BETA-2--stage-1@clusterctl",
                "BETA-2--stage-2@clusterctl",
            },
        ),
        (("--open", "--within", "3d"), BETA_UIDS),
        (("--all", "--programme", "horizon"), BETA_UIDS),
        (("--tag", "sme"), {"ALPHA-1--deadline@clusterctl"}),
        (("--search", "lisbon"), {"LIS-3--deadline@clusterctl"}),
        (("--tag", "nothing-has-this"), set()),
    ],
)  # fmt: skip
def test_filters(cli: Cli, store: Path, args: tuple[str, ...], uids: set[str]) -> None:
    data = export(cli, *args, "--at", AT)
    assert set(events(data)) == uids
    calendar = Calendar.from_ical(data)
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]) == "-//clusterctl//EN"


def test_export_from_an_empty_store_is_an_empty_calendar(cli: Cli) -> None:
    data = export(cli, "--all", "--at", AT)
    calendar = Calendar.from_ical(data)
    assert calendar.walk("VEVENT") == []
    assert calendar.walk("VTIMEZONE") == []


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
