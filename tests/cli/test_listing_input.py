"""A store path that does not exist, and ``--within ""`` (issue 15, §4), through the real command
line: a path the user named that does not exist is an error for every command but ``add`` and
``import``, which create the store and say so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import AT, Cli, failed, ok
from tests.conftest import FIXTURES

MISSING = (
    "error: {store}: no clusterctl store there (check --store, $CLUSTERCTL_STORE or the config "
    "file; clusterctl add or import creates one)"
)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["calls"], 5, MISSING),
        (["calls", "--all", "--format", "json"], 5, MISSING),
        (["export", "ics", "--all"], 5, MISSING),
        (
            ["warn", "--at", AT],
            5,
            "error: {store}: no clusterctl store there (check --store, $CLUSTERCTL_STORE or the "
            "config file)",
        ),
        (["check"], 5, "error: {store}: no clusterctl store there"),
        (["show", "X-1"], 3, "error: no call 'X-1': there is no store at {store} yet"),
        (
            ["extend", "X-1", "--by", "1d"],
            3,
            "error: no call 'X-1': there is no store at {store} yet",
        ),
        (
            ["edit", "X-1", "--note", "n"],
            3,
            "error: no call 'X-1': there is no store at {store} yet",
        ),
        (["remove", "X-1", "--yes"], 3, "error: no call 'X-1': there is no store at {store} yet"),
    ],
)
def test_a_store_path_that_does_not_exist_is_an_error(
    cli: Cli, store_dir: Path, args: list[str], code: int, message: str
) -> None:
    assert failed(cli(*args), code) == message.format(store=store_dir)
    assert not store_dir.exists()


def test_the_store_variable_is_held_to_the_same_rule(cli: Cli, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clusterctl.cli import app

    missing = tmp_path / "typo"
    result = CliRunner().invoke(app, ["calls"], env={"CLUSTERCTL_STORE": str(missing)})
    assert failed(result, 5) == MISSING.format(store=missing)


def test_the_default_store_before_the_first_add_has_no_calls_yet(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clusterctl.cli import app

    # conftest points XDG_DATA_HOME into tmp_path: the per-user default is not created yet.
    default = tmp_path / "xdg-data" / "clusterctl" / "store"
    result = CliRunner().invoke(app, ["calls", "--at", AT])
    assert ok(result) == f"No calls yet in {default}.\n"


def test_an_existing_empty_directory_is_an_empty_store(cli: Cli, store_dir: Path) -> None:
    store_dir.mkdir()
    assert ok(cli("calls", "--at", AT)) == f"No calls yet in {store_dir}.\n"


def test_add_creates_the_store_and_says_so(cli: Cli, store_dir: Path) -> None:
    result = cli("add", "X-1", "--title", "T", "-d", "2027-05-01", "--at", AT)
    assert (result.exit_code, result.stdout) == (0, "Added X-1: deadline 2027-05-01 17:00 CEST\n")
    assert result.stderr == f"Created a new store in {store_dir}\n"
    again = cli("add", "X-2", "--title", "T", "-d", "2027-05-01", "--at", AT)
    assert (again.exit_code, again.stderr) == (0, "")


def test_import_creates_the_store_and_says_so(cli: Cli, store_dir: Path, tmp_path: Path) -> None:
    result = cli("import", str(FIXTURES / "eu-portal-search-page.json"), "--at", AT)
    assert result.exit_code == 0
    assert result.stderr == f"Created a new store in {store_dir}\n"
    backup = tmp_path / "backup.json"
    backup.write_text(ok(cli("calls", "--all", "--format", "json", "--at", AT)))
    other = tmp_path / "other"
    copied = cli("import", str(backup), store=other)
    assert (copied.exit_code, copied.stdout) == (0, "imported: 8 new\n")
    assert copied.stderr == f"Created a new store in {other}\n"
    # a dry run, or an import that writes nothing, creates nothing
    (tmp_path / "empty.json").write_text(json.dumps([]))
    nothing = tmp_path / "nothing"
    assert ok(cli("import", str(backup), "--dry-run", store=nothing)).endswith("8 new\n")
    assert ok(cli("import", str(tmp_path / "empty.json"), store=nothing)) == "imported: 0 new\n"
    assert not nothing.exists()


@pytest.mark.parametrize("args", [["calls"], ["export", "ics"]])
def test_an_empty_within_is_refused_like_any_bad_duration(
    cli: Cli, store_dir: Path, args: list[str]
) -> None:
    ok(cli("add", "X-1", "--title", "T", "-d", "2027-05-01", "--at", AT))
    assert failed(cli(*args, "--within", "", "--at", AT), 2) == (
        "error: invalid duration '': use e.g. 36h, 14d, 2w, 1d12h or 45m "
        "(weeks, days, hours, minutes)"
    )
