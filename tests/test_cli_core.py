"""The core tracker (issue 2) through the real command line, in-process with Typer's CliRunner.

Every test pins the clock with ``--at``, so statuses, times left and filters are deterministic.
Output is compared exactly: whole lines, whole JSON values, exit codes and stderr text.

CliRunner's stdin and stdout are not terminals, so listings come out as plain aligned columns and
``remove`` without ``--yes`` takes its non-terminal refusal path (the interactive prompt is
exercised on a real pseudo-terminal in test_e2e.py).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import Result

from clusterctl import __version__
from clusterctl.cli import app

Run = Callable[..., Result]

NOW = "2018-03-02 17:00"  # Brussels wall time: 16:00 UTC, six days before ALPHA-1 closes
SEED_COS = "COS-CLUSTPARTNS-2017-3-02"
SEED_EOI = "ESCP-S3-EOI"
ID_RULE = (
    "an id is 1-120 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
)


# --- helpers -------------------------------------------------------------------------------------


def ok(result: Result) -> str:
    """stdout of a successful run (nothing on stderr)."""
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


def failed(result: Result, code: int) -> str:
    """The one stderr line of a failed run, after checking the exit code and empty stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes (and every directory, as None) under ``root``."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def first_column(stdout: str) -> list[str]:
    """The ids of a plain listing (first column, header dropped)."""
    return [line.split()[0] for line in stdout.splitlines()[1:]]


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
    from typer.testing import CliRunner

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


# --- version and help ------------------------------------------------------------------------


def test_version(cli: Run) -> None:
    assert ok(cli("--version")) == f"clusterctl {__version__}\n"


def _command_paths() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        if sub:
            paths.extend((name, child) for child in sub)
        else:
            paths.append((name,))
    return sorted(paths)


COMMAND_PATHS = _command_paths()


def test_every_documented_command_is_registered() -> None:
    expected = {
        ("calls",), ("show",), ("add",), ("extend",), ("edit",), ("remove",), ("import",),
        ("check",), ("migrate",), ("warn",), ("export", "ics"), ("config", "path"),
        ("config", "show"),
    }  # fmt: skip
    assert expected <= set(COMMAND_PATHS)


def _paragraphs(text: str) -> list[str]:
    """Help text as paragraphs, each re-joined onto one line (help output is wrapped)."""
    blocks = re.split(r"\n\s*\n", text)
    joined = [" ".join(line.strip() for line in block.splitlines()).strip() for block in blocks]
    # The wrapper may also break after a hyphen ('--add-' / 'tag'): undo that too.
    return [re.sub(r"(?<=[A-Za-z0-9]-) (?=[a-z])", "", p) for p in joined]


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_help_has_a_one_line_summary_and_a_runnable_example(path: tuple[str, ...]) -> None:
    from typer.testing import CliRunner

    text = ok(CliRunner().invoke(app, [*path, "--help"]))
    paragraphs = _paragraphs(text)
    assert paragraphs[0].startswith(f"Usage: clusterctl {' '.join(path)} [OPTIONS]")
    summary = paragraphs[1]
    # One sentence: the docstring's first line, also shown in the parent's command list.
    assert summary.endswith("."), summary
    assert ". " not in summary, summary
    examples = [p for p in paragraphs if re.search(r"\bExample\b[^:]*:", p)]
    assert examples, f"no example in the help of {' '.join(path)}"
    found = re.search(r"\bExample\b[^:]*:.*?\b(clusterctl .*)$", examples[0])
    assert found, examples[0]
    argv = shlex.split(found.group(1))[1:]
    # The example parses as a complete command line (required options given, values valid).
    command = typer.main.get_command(app)
    ctx = command.make_context("clusterctl", ["--store", "x", *argv], resilient_parsing=False)
    for name in path:
        assert argv.pop(0) == name
        command = command.commands[name]  # type: ignore[attr-defined]
        ctx = command.make_context(name, list(argv), parent=ctx)


def test_top_level_help_lists_every_command() -> None:
    from typer.testing import CliRunner

    text = ok(CliRunner().invoke(app, ["--help"]))
    for name in {path[0] for path in COMMAND_PATHS}:
        assert re.search(rf"^  {name}  +[A-Z]", text, re.MULTILINE), name
    assert "--store" in text and "CLUSTERCTL_STORE" in text


# --- calls: the JSON and CSV contract ------------------------------------------------------

ALPHA_EXTENDED_JSON = {
    "id": "ALPHA-1",
    "title": "Alpha digital call",
    "programme": "COSME",
    "url": "https://example.org/alpha",
    "tags": ["digital", "startups"],
    "note": "lead: Anna",
    "status": "open",
    "timezone": "Europe/Brussels",
    "opens": "2018-01-10T00:00:00+01:00",
    "deadline": "2018-04-05T17:00:00+02:00",
    "deadline_label": "",
    "extended": True,
    "deadlines": [
        {
            "label": "",
            "deadline": "2018-04-05T17:00:00+02:00",
            "original_deadline": "2018-03-08T17:00:00+01:00",
            "extended": True,
        }
    ],
    "extensions": [
        {
            "stage": "",
            "from": "2018-03-08T17:00:00+01:00",
            "to": "2018-03-22T17:00:00+01:00",
            "reason": "portal outage",
            "source": "https://example.org/news/1",
            "recorded": "2018-03-02T16:00:00+00:00",
        },
        {
            "stage": "",
            "from": "2018-03-22T17:00:00+01:00",
            "to": "2018-04-05T17:00:00+02:00",
            "reason": "",
            "source": "",
            "recorded": "2018-03-20T08:00:00+00:00",
        },
    ],
}


def extend_alpha_twice(cli: Run) -> None:
    """ALPHA-1: 8 March -> 22 March (with reason and source) -> +14 days across the DST change."""
    assert ok(
        cli(
            "extend", "ALPHA-1", "--to", "22 March 2018", "--reason", "portal outage",
            "--source", "https://example.org/news/1", "--at", NOW,
        )
    ) == "Extended ALPHA-1: 2018-03-08 17:00 CET -> 2018-03-22 17:00 CET\n"  # fmt: skip
    assert ok(cli("extend", "ALPHA-1", "--by", "14d", "--at", "2018-03-20 09:00")) == (
        "Extended ALPHA-1: 2018-03-22 17:00 CET -> 2018-04-05 17:00 CEST\n"
    )


# --- check, migrate -----------------------------------------------------------------------------


def test_a_malformed_file_is_reported_and_never_overwritten(cli: Run, sample: Path) -> None:
    path = sample / "calls" / "ALPHA-1.toml"
    path.write_text('id = "ALPHA-1"\ntitle = \n')
    before = snapshot(sample)
    message = f"error: {path}: invalid TOML: Invalid value (at line 2, column 9)"
    assert failed(cli("calls", "--at", NOW), 5) == message
    assert failed(cli("show", "ALPHA-1", "--at", NOW), 5) == message
    assert failed(cli("extend", "ALPHA-1", "--by", "1d", "--at", NOW), 5) == message
    assert failed(cli("edit", "ALPHA-1", "--note", "x"), 5) == message
    assert failed(cli("remove", "ALPHA-1", "--yes"), 5) == message
    assert snapshot(sample) == before
