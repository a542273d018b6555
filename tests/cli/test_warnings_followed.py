"""warn keeps to the calls you follow (--tag/--programme/--search, or [warn] in the config
file) and says what changed since the last digest, whatever recorded it (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import AT, Cli, add, lines, warn
from tests.smtp_server import SmtpSink


@pytest.fixture
def store(warn_store: Path, cli: Cli) -> Path:
    """The three-call warn store; ALPHA-1 and LIS-3 are followed (tag 'ours')."""
    for call_id in ("ALPHA-1", "LIS-3"):
        assert cli("edit", call_id, "--add-tag", "ours").exit_code == 0
    return warn_store


def test_tag_keeps_warn_to_the_calls_followed(cli: Cli, store: Path) -> None:
    assert [line.split()[0] for line in lines(warn(cli, "--at", AT, "--tag", "ours"))] == [
        "ALPHA-1",
        "LIS-3",
    ]
    # The others were not delivered: without the filter they are still due.
    assert [line.split()[0] for line in lines(warn(cli, "--at", AT))] == ["BETA-2"]


def test_the_config_files_filters_are_the_default(
    cli: Cli, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[warn]\ntags = ["ours"]\nsearch = "lisbon"\n', encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    assert [line.split()[0] for line in lines(warn(cli, "--at", AT, "--dry-run"))] == ["LIS-3"]
    # An option replaces the config file's filters as a whole.
    assert [line.split()[0] for line in lines(warn(cli, "--at", AT, "-p", "x", "--dry-run"))] == []


def test_a_dry_run_says_which_calls_the_filters_keep(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT, "--tag", "ours", "--dry-run")
    assert result.stderr.splitlines()[0] == "dry run: the filters keep 2 of 3 calls: ALPHA-1, LIS-3"


def test_a_new_followed_call_is_in_the_next_digest(cli: Cli, store: Path) -> None:
    assert len(lines(warn(cli, "--at", AT, "--tag", "ours"))) == 2  # the first digest
    add(cli, "NEW-4", "A new call", "2027-09-30 17:00")
    assert cli("edit", "NEW-4", "--add-tag", "ours").exit_code == 0
    add(cli, "OTHER-5", "Not followed", "2027-09-30 17:00")
    result = warn(cli, "--at", AT, "--tag", "ours")
    assert result.stdout.splitlines() == [
        "Changed since the last digest:",
        "  new NEW-4: A new call, deadline 2027-09-30 17:00 CEST",
    ]
    assert warn(cli, "--at", AT, "--tag", "ours").stdout == ""


def test_a_deadline_brought_forward_is_in_the_next_digest(cli: Cli, store: Path) -> None:
    assert len(lines(warn(cli, "--at", AT))) == 3
    moved = cli(
        "extend",
        "LIS-3",
        "--to",
        "2027-04-15 17:00",
        "--allow-earlier",
        "--reason",
        "notice",
        "--at",
        AT,
    )
    assert moved.exit_code == 0, moved.stderr
    result = warn(cli, "--at", AT)
    assert result.stdout.splitlines()[-1] == (
        "  brought forward LIS-3: 2027-04-20 17:00 WEST -> 2027-04-15 17:00 WEST (notice)"
    )


def test_the_e_mail_digest_has_the_section(
    cli: Cli, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpSink() as sink:
        for key, value in sink.env().items():
            monkeypatch.setenv(key, value)
        assert warn(cli, "--at", AT, "-e", "a@example.org").exit_code == 0
        extended = cli("extend", "BETA-2", "--stage", "Stage 2", "--by", "7d", "--at", AT)
        assert extended.exit_code == 0, extended.stderr
        result = warn(cli, "--at", AT, "-e", "a@example.org")
        assert result.exit_code == 0, result.stderr
        message = sink.messages[1][2]
    assert message["Subject"] == "clusterctl: 1 change since the last digest"
    body = message.get_content().replace("\r\n", "\n")
    assert (
        "Changed since the last digest:\n\n  extended BETA-2 (Stage 2): 2027-06-01 17:00 " in body
    )
