"""``clusterctl warn`` through the real command line (clusterctl/cli/warnings.py,
actions/warnings.py): cron-friendly output, each warning once, thresholds, dry runs, JSON and
the ledger. E-mail digests, failures and overlapping runs are in test_warnings_email.py.

Every run passes ``--at`` so that nothing depends on the clock.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.helpers import (
    AT,
    LEDGER,
    LINES_AT,
    Cli,
    add,
    ledger_keys,
    lines,
    warn,
    write_config,
)
from tests.smtp_server import SmtpSink


@pytest.fixture
def store(warn_store: Path) -> Path:
    """The three-call store most tests here start from (conftest.py's ``warn_store``)."""
    return warn_store


def tracked_files(store: Path) -> dict[str, bytes]:
    """Every file of the store outside .state/, by relative path, with its bytes."""
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and ".state" not in p.relative_to(store).parts
    }


# --- silence and plain output ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_silent_when_nothing_is_due(cli: Cli, store: Path, fmt: str) -> None:
    result = warn(cli, "--at", "2027-01-01", "--format", fmt)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert not (store / LEDGER).exists()


def test_silent_on_an_empty_store(cli: Cli, store_dir: Path) -> None:
    add(cli, "ONLY-1", "Only", "2027-04-08")
    assert cli("remove", "ONLY-1", "--yes").exit_code == 0
    result = warn(cli, "--at", "2027-04-08 09:00")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_missing_store_is_an_error_not_silence(cli: Cli, tmp_path: Path) -> None:
    # cron mails only output: a mistyped store path must not look like "nothing due"
    missing = tmp_path / "no-such-store"
    result = cli("warn", "--at", AT, store=missing)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {missing}: no clusterctl store")
    assert not missing.exists()


def test_due_warnings_one_plain_line_each_soonest_first(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == "".join(line + "\n" for line in LINES_AT)
    # plain text for pipes and cron mail: no colour, no table borders
    assert "\x1b" not in result.stdout
    assert not set(result.stdout) & set("│┃─━┏┓┗┛╭╮╰╯|")


@pytest.mark.parametrize("no_color", ["flag", "env"])
def test_no_color_output_is_plain(
    cli: Cli, store: Path, no_color: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color == "env":
        monkeypatch.setenv("NO_COLOR", "1")
        result = cli("warn", "--at", AT)
    else:
        from typer.testing import CliRunner

        from clusterctl.cli import app

        result = CliRunner().invoke(app, ["--no-color", "--store", str(store), "warn", "--at", AT])
    assert result.exit_code == 0
    assert lines(result) == LINES_AT
    assert "\x1b" not in result.stdout


def test_tz_shows_deadlines_in_the_viewers_zone(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT, "--tz", "UTC", "--dry-run")
    assert [line.split("  deadline ")[1].split("  ")[0] for line in lines(result)] == [
        "2027-04-01 15:00 UTC (Stage 1)",
        "2027-04-08 15:00 UTC",
        "2027-04-20 16:00 UTC",
    ]


# --- each warning once -----------------------------------------------------------------------


def test_each_warning_is_given_once(cli: Cli, store: Path) -> None:
    assert lines(warn(cli, "--at", AT)) == LINES_AT
    again = warn(cli, "--at", AT)
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    # later, but no new threshold crossed: still nothing
    later = warn(cli, "--at", "2027-03-30 16:00")
    assert (later.exit_code, later.stdout, later.stderr) == (0, "", "")
    # the next day BETA-2 Stage 1 crosses 2d: only that
    nxt = warn(cli, "--at", "2027-03-31 09:00")
    assert lines(nxt) == [
        "BETA-2  Beta call  deadline 2027-04-01 17:00 CEST (Stage 1)  in 1 day 8 h (under 2d)"
    ]
    assert ledger_keys(store) == {
        "BETA-2|Stage 1|2027-04-01T15:00:00Z|604800",
        "BETA-2|Stage 1|2027-04-01T15:00:00Z|172800",
        "ALPHA-1||2027-04-08T15:00:00Z|1209600",
        "LIS-3||2027-04-20T16:00:00Z|2592000",
    }


def test_a_missed_day_gives_one_warning_for_the_tightest_threshold(cli: Cli, store: Path) -> None:
    # first run ever 1 day 12 h before ALPHA-1: 30d, 14d, 7d and 2d are all crossed
    result = warn(cli, "--at", "2027-04-07 05:00", "--format", "json")
    alpha = [w for w in json.loads(result.stdout) if w["id"] == "ALPHA-1"]
    assert [w["threshold"] for w in alpha] == ["2d"]
    assert {k for k in ledger_keys(store) if k.startswith("ALPHA-1")} == {
        "ALPHA-1||2027-04-08T15:00:00Z|172800"
    }
    # the 1d warning still comes, once
    later = warn(cli, "--at", "2027-04-08 09:00")
    assert lines(later) == [
        "ALPHA-1  Alpha call  deadline 2027-04-08 17:00 CEST  in 8 h (under 1d)"
    ]
    assert warn(cli, "--at", "2027-04-08 16:59").stdout == ""


def test_a_passed_deadline_gives_no_warning(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", "2027-04-08 17:00", "--format", "json")
    assert "ALPHA-1" not in {w["id"] for w in json.loads(result.stdout)}


def test_an_extension_rearms_and_says_extended(cli: Cli, store: Path) -> None:
    assert len(lines(warn(cli, "--at", "2027-04-07 12:00"))) == 2  # ALPHA-1 2d, LIS-3 14d
    assert warn(cli, "--at", "2027-04-07 12:00").stdout == ""
    extended = cli("extend", "ALPHA-1", "--to", "2027-04-10", "--at", "2027-04-07 12:00")
    assert extended.exit_code == 0, extended.stderr
    result = warn(cli, "--at", "2027-04-07 12:00")
    # The digest also says what moved since the last one (issue 17).
    assert result.stdout.splitlines() == [
        "ALPHA-1  Alpha call  deadline 2027-04-10 17:00 CEST  in 3 days 5 h (under 7d)  EXTENDED",
        "",
        "Changed since the last digest:",
        "  extended ALPHA-1: 2027-04-08 17:00 CEST -> 2027-04-10 17:00 CEST",
    ]
    assert warn(cli, "--at", "2027-04-07 12:00").stdout == ""


def test_warn_sees_a_hand_edit_made_after_it_remembered_a_call(cli: Cli, store: Path) -> None:
    # The first run remembers each candidate's facts (Store.derive); the edit, within the same
    # second and of the same size, must still be seen (by signature, else by digest).
    first = warn(cli, "--dry-run", "--at", "2027-04-07 12:00")
    assert "ALPHA-1  Alpha call  deadline 2027-04-08 17:00 CEST" in first.stdout
    assert any(
        name.startswith("warn-facts-") for name in os.listdir(os.environ["CLUSTERCTL_CACHE_DIR"])
    )
    path = store / "calls" / "ALPHA-1.toml"
    text = path.read_text(encoding="utf-8")
    assert "2027-04-08 17:00:00+02:00" in text
    path.write_text(text.replace("2027-04-08 17:00:00+02:00", "2027-04-09 17:00:00+02:00"))
    second = warn(cli, "--dry-run", "--at", "2027-04-07 12:00")
    assert "ALPHA-1  Alpha call  deadline 2027-04-09 17:00 CEST" in second.stdout
    assert "2027-04-08" not in second.stdout


# --- thresholds ---------------------------------------------------------------------------------


def test_thresholds_option(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT, "--thresholds", "14d,3d,12h")
    assert [(line.split()[0], line.split("(under ")[1]) for line in lines(result)] == [
        ("BETA-2", "3d)"),
        ("ALPHA-1", "14d)"),
    ]
    result = warn(cli, "--at", "2027-04-01 06:00", "--thresholds", "14d,3d,12h")
    assert lines(result) == [
        "BETA-2  Beta call  deadline 2027-04-01 17:00 CEST (Stage 1)  in 11 h (under 12h)"
    ]


@pytest.mark.parametrize("bad", ["", "0d", "3x", "14d,,3d", "-1d", "30s"])
def test_bad_thresholds_are_a_usage_error(cli: Cli, store: Path, bad: str) -> None:
    result = warn(cli, "--at", AT, "--thresholds", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: invalid thresholds")
    assert len(result.stderr.splitlines()) == 1
    assert not (store / LEDGER).exists()


def test_thresholds_from_the_config_file(cli: Cli, store: Path, tmp_path: Path) -> None:
    write_config(tmp_path, '[warn]\nthresholds = "3d"\n', mode=0o644)
    dry = warn(cli, "--at", AT, "--dry-run")
    assert [line.split()[0] for line in lines(dry)] == ["BETA-2"]
    assert "(under 3d)" in dry.stdout
    # the option wins over the file
    assert len(lines(warn(cli, "--at", AT, "--dry-run", "--thresholds", "30d"))) == 3


# --- dry run, JSON, where the ledger lives -----------------------------------------------------


def test_dry_run_prints_but_remembers_nothing(cli: Cli, store: Path) -> None:
    before = tracked_files(store)
    for _ in range(2):
        dry = warn(cli, "--at", AT, "--dry-run")
        assert (dry.exit_code, lines(dry), dry.stderr) == (0, LINES_AT, "")
    assert not (store / LEDGER).exists()
    assert lines(warn(cli, "--at", AT)) == LINES_AT
    # after a real run, a dry run knows what was delivered
    assert warn(cli, "--at", AT, "--dry-run").stdout == ""
    assert tracked_files(store) == before


def test_dry_run_with_email_sends_nothing(cli: Cli, store: Path) -> None:
    with SmtpSink() as sink:
        for key, value in sink.env().items():
            os.environ[key] = value
        result = warn(cli, "--at", AT, "--dry-run", "--email", "team@example.org")
        assert result.exit_code == 0
        assert lines(result) == LINES_AT
        assert sink.messages == []
    assert not (store / LEDGER).exists()


def test_json_format_has_stable_keys(cli: Cli, store: Path) -> None:
    cli("edit", "ALPHA-1", "--programme", "HORIZON", "--url", "https://example.eu/alpha")
    result = warn(cli, "--at", AT, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [w["id"] for w in data] == ["BETA-2", "ALPHA-1", "LIS-3"]
    assert data[1] == {
        "id": "ALPHA-1",
        "title": "Alpha call",
        "programme": "HORIZON",
        "url": "https://example.eu/alpha",
        "stage": "",
        "deadline": "2027-04-08T17:00:00+02:00",
        "deadline_utc": "2027-04-08T15:00:00Z",
        "threshold": "14d",
        "remaining_seconds": 9 * 86400 + 8 * 3600,
        "extended": False,
    }
    assert data[0]["stage"] == "Stage 1"
    assert data[2]["deadline"] == "2027-04-20T17:00:00+01:00"
    # JSON runs are deliveries too
    assert warn(cli, "--at", AT, "--format", "json").stdout == ""


def test_ledger_lives_in_state_and_call_files_are_untouched(cli: Cli, store: Path) -> None:
    before = tracked_files(store)
    assert warn(cli, "--at", AT).exit_code == 0
    assert warn(cli, "--at", "2027-04-07 12:00").exit_code == 0
    assert tracked_files(store) == before  # bytes identical, nothing added outside .state/
    assert len(ledger_keys(store)) == 5
    data = json.loads((store / LEDGER).read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["sent"]["ALPHA-1||2027-04-08T15:00:00Z|1209600"] == "2027-03-30T07:00:00Z"
    assert "/.state/" in (store / ".gitignore").read_text(encoding="utf-8")


def test_broken_ledger_is_an_error(cli: Cli, store: Path) -> None:
    (store / LEDGER).parent.mkdir(exist_ok=True)
    (store / LEDGER).write_text("{not json", encoding="utf-8")
    result = warn(cli, "--at", AT)
    assert result.exit_code == 5
    assert "unreadable warnings ledger" in result.stderr
    assert result.stdout == ""
