"""Fixtures shared by the CLI tests in tests/cli/: the stores that tests of several command
groups start from (tests/conftest.py gives every test its isolated environment and ``cli``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clusterctl.cli import app
from tests.cli.helpers import Cli, add, ok, succeeded
from tests.conftest import isolated

SAMPLE_ADDS = [
    [
        "add", "ALPHA-1", "--title", "Alpha digital call", "--programme", "COSME",
        "--tag", "digital", "--tag", "startups", "--note", "lead: Anna", "--opens", "2018-01-10",
        "--url", "https://example.org/alpha", "--deadline", "2018-03-08 17:00",
    ],
    [
        "add", "BETA-2", "--title", "Beta green call", "--programme", "Horizon 2020",
        "--tag", "green", "--deadline", "Stage 2=2018-06-12 17:00",
        "--deadline", "Stage 1=2018-03-20 17:00",
    ],
    [
        "add", "GAMMA-3", "--title", "Gamma call", "--programme", "Interreg",
        "--tag", "Digital", "--deadline", "2018-02-15",
    ],
    [
        "add", "DELTA-4", "--title", "Delta call", "--programme", "COSME", "--tag", "green",
        "--tag", "digital", "--opens", "2018-04-01", "--deadline", "2018-05-31",
    ],
]  # fmt: skip


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four calls that cover open, multi-stage, closed and forthcoming at NOW (built once)."""
    base = tmp_path_factory.mktemp("sample")
    env = {"CLUSTERCTL_CONFIG": str(base / "no-config.toml"), "NO_COLOR": None}
    env["CLUSTERCTL_CACHE_DIR"] = str(base / "cache")
    runner = CliRunner()
    for args in SAMPLE_ADDS:
        result = runner.invoke(app, ["--store", str(base / "store"), *args], env=env)
        ok(result)
    return base / "store"


@pytest.fixture
def sample(sample_template: Path, store_dir: Path) -> Path:
    """``store_dir`` holding a copy of the four sample calls."""
    shutil.copytree(sample_template, store_dir)
    return store_dir


def _built_once(base: Path, build: Callable[[Cli], None]) -> Path:
    """The store ``build`` makes through the CLI in-process at ``base / "store"``, in the
    environment a test gets (for fixtures that copy one store into every test that asks)."""
    store = base / "store"
    runner = CliRunner()

    def cli(*args: str, input: str | None = None) -> Result:
        argv = ["--store", str(store), *args]
        return runner.invoke(app, argv, input=input, catch_exceptions=False)

    with isolated(base):
        build(cli)
    return store


def _export_calls(cli: Cli) -> None:
    succeeded(cli("add", "ALPHA-1", "--title", "Alpha call", "-d", "2027-04-08", "-p", "COSME",
                  "--url", "https://example.eu/alpha", "-t", "sme"))  # fmt: skip
    succeeded(cli("add", "BETA-2", "--title", "Beta call", "-d", "Stage 1=2027-04-01",
                  "-d", "Stage 2=2027-06-01", "-p", "Horizon Europe", "-t", "digital"))  # fmt: skip
    succeeded(cli("add", "LIS-3", "--title", "Lisbon call", "-d", "2027-04-20",
                  "--tz", "Europe/Lisbon", "--opens", "2027-04-01"))  # fmt: skip
    succeeded(cli("add", "OLD-4", "--title", "Old call", "-d", "2024-02-07"))


@pytest.fixture(scope="session")
def export_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The calls of ``export_store``, added once per test process."""
    return _built_once(tmp_path_factory.mktemp("export"), _export_calls)


@pytest.fixture
def export_store(export_template: Path, store_dir: Path) -> Path:
    """Four calls in two zones, one of them closed: at AT, ALPHA-1 and BETA-2 are open, LIS-3
    forthcoming, OLD-4 closed (the export and colour tests call it ``store``). A copy of the
    store these four ``add`` commands make (``_export_calls``), files and times as they left them.
    """
    shutil.copytree(export_template, store_dir)
    return store_dir


def _warn_calls(cli: Cli) -> None:
    add(cli, "ALPHA-1", "Alpha call", "2027-04-08 17:00")
    add(cli, "BETA-2", "Beta call", "Stage 1=2027-04-01", "Stage 2=2027-06-01")
    add(cli, "LIS-3", "Lisbon call", "2027-04-20 17:00", tz="Europe/Lisbon")


@pytest.fixture(scope="session")
def warn_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The calls of ``warn_store``, added once per test process."""
    return _built_once(tmp_path_factory.mktemp("warn"), _warn_calls)


@pytest.fixture
def warn_store(warn_template: Path, store_dir: Path) -> Path:
    """The three-call store described above LINES_AT in helpers.py (the warn tests call it
    ``store``): a copy of the store these three ``add`` commands make (``_warn_calls``)."""
    shutil.copytree(warn_template, store_dir)
    return store_dir
