"""``check``, ``migrate`` and ``config path``/``config show`` through the real command line
(clusterctl/cli/admin.py, actions/admin.py): store problems listed in full, the config file's
path, its masked contents and the one-line errors about it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterctl.cli import app
from tests.cli.helpers import AT, Cli, failed, ok, snapshot, succeeded

# --- check, migrate -----------------------------------------------------------------------------


def test_check_clean_store(cli: Cli, sample: Path) -> None:
    assert ok(cli("check")) == f"ok: 4 calls in {sample}, no problems\n"


def test_check_lists_every_problem(cli: Cli, sample: Path) -> None:
    calls = sample / "calls"
    (calls / "ALPHA-1.toml").write_text('id = "ALPHA-1"\ntitle = \n')
    gamma = (calls / "GAMMA-3.toml").read_text()
    (calls / "GAMMA-3.toml").write_text(gamma.replace('id = "GAMMA-3"', 'id = "GAMMA-9"'))
    delta = (calls / "DELTA-4.toml").read_text()
    (calls / "DELTA-4.toml").write_text(delta.replace("2018-04-01", "2018-07-01"))
    beta = (calls / "BETA-2.toml").read_text()
    (calls / "BETA-2.toml").write_text(beta.replace("Europe/Brussels", "Mars/Olympus"))
    before = snapshot(sample)
    result = cli("check")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"problem: {calls / 'ALPHA-1.toml'}: invalid TOML: Invalid value (at line 2, column 9)",
        f"problem: {calls / 'BETA-2.toml'}: unknown time zone 'Mars/Olympus': use an IANA name "
        "such as Europe/Brussels",
        f"problem: {calls / 'DELTA-4.toml'}: DELTA-4: opens 2018-07-01T00:00:00+02:00 is not "
        "before its first deadline",
        f"problem: {calls / 'GAMMA-3.toml'}: declares id 'GAMMA-9' but the file name says "
        "'GAMMA-3'",
        f"error: 4 problems in {sample}",
    ]
    assert snapshot(sample) == before


def test_migrate_on_a_current_store(cli: Cli, seeded_store: Path) -> None:
    assert ok(cli("migrate", store=seeded_store)) == "schema version 1 is current; nothing to do\n"


def test_seed_store_passes_check(cli: Cli, seeded_store: Path) -> None:
    assert ok(cli("check", store=seeded_store)) == f"ok: 2 calls in {seeded_store}, no problems\n"


def test_check_of_a_store_that_does_not_exist_fails(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    assert failed(cli("check", store=missing), 5) == f"error: {missing}: no clusterctl store there"
    assert not missing.exists()


# --- config path / config show ------------------------------------------------------------------


def test_config_path_honours_the_environment(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "elsewhere" / "clusterctl.toml"
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(chosen))
    assert succeeded(cli("config", "path")).stdout == f"{chosen}\n"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLUSTERCTL_CONFIG", "~/my.toml")
    assert succeeded(cli("config", "path")).stdout == f"{tmp_path / 'home' / 'my.toml'}\n"
    monkeypatch.delenv("CLUSTERCTL_CONFIG")
    default = tmp_path / "xdg-config" / "clusterctl" / "config.toml"
    if sys.platform.startswith("linux"):
        assert succeeded(cli("config", "path")).stdout == f"{default}\n"


def test_config_path_works_even_when_the_file_is_broken(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the one command a user needs to find the broken file
    config = tmp_path / "broken.toml"
    config.write_text("store = \n", encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    assert succeeded(cli("config", "path")).stdout == f"{config}\n"


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
    result = succeeded(CliRunner().invoke(app, ["config", "show"]))
    assert PASSWORD not in result.stdout + result.stderr
    shown = json.loads(result.stdout)
    assert shown == {
        "path": str(config),
        "exists": True,
        "store": str(tmp_path / "team-store"),
        "timezone": "Europe/Lisbon",
        "lock_timeout": 3.0,
        "warn": {
            "thresholds": "14d,2d",
            "email": ["team@example.org"],
            "notify": [],
            "tags": [],
            "programme": None,
            "search": None,
        },
        "portal": {"endpoint": None, "timeout": None, "search": []},
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
    result = succeeded(CliRunner().invoke(app, ["--store", str(other), "config", "show"]))
    assert json.loads(result.stdout)["effective_store"] == {
        "path": str(other),
        "chosen_by": "--store / CLUSTERCTL_STORE",
    }


def test_config_show_without_a_file(cli: Cli, tmp_path: Path) -> None:
    shown = json.loads(succeeded(cli("config", "show")).stdout)
    assert shown["exists"] is False
    assert shown["smtp"] == {}
    assert shown["warn"] == {
        "thresholds": None,
        "email": [],
        "notify": [],
        "tags": [],
        "programme": None,
        "search": None,
    }
    assert shown["portal"] == {"endpoint": None, "timeout": None, "search": []}


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
