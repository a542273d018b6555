"""Helpers shared by the CLI tests in tests/cli/, one file per command group.

Result checks (exit code, stdout, the one stderr line), store snapshots, and the moments,
ids and calls that tests of several groups start from. The fixtures that build stores are in
conftest.py next to this file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

Cli = Callable[..., Result]

NOW = "2018-03-02 17:00"  # Brussels wall time: 16:00 UTC, six days before ALPHA-1 closes
AT = "2027-03-30 09:00"  # Brussels: 07:00Z; the --at of the export, colour and warn tests
SEED_COS = "COS-CLUSTPARTNS-2017-3-02"
SEED_EOI = "ESCP-S3-EOI"
ID_RULE = (
    "an id is 1-120 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
)


# --- results -------------------------------------------------------------------------------------


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


def succeeded(result: Result) -> Result:
    """Assert the run succeeded; return it (to look at stdout, stderr or the bytes written)."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


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


# --- ALPHA-1 of the ``sample`` store, extended twice ---------------------------------------------

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


def extend_alpha_twice(cli: Cli) -> None:
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


# --- user text is data, never markup -------------------------------------------------------------

HOSTILE = "[bold red]X[/] \x1b[31mred\x1b]8;;http://evil\x07"
HOSTILE_SHOWN = "[bold red]X[/] \\x1b[31mred\\x1b]8;;http://evil\\x07"
