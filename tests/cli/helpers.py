"""Helpers shared by the CLI tests in tests/cli/, one file per command group.

Result checks (exit code, stdout, the one stderr line), store snapshots, the moments, ids
and calls that tests of several groups start from, and how the warn tests add calls and read
their runs. The fixtures that build stores are in conftest.py next to this file.
"""

from __future__ import annotations

import json
import os
import re
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


#: What a successful ``add`` or ``import`` may say on stderr (issue 15 §4), which tests that
#: are about something else leave alone: that it created the store, that a deadline is already
#: past on the clock (many tests add 2018 deadlines without --at), that stages were given out
#: of date order. tests/cli/test_changes_input.py checks each of them.
NOTICE = re.compile(
    r"Created a new store in .*\n"
    r"|warning: the deadline .* is already past\n"
    r"|warning: the deadlines were not given in date order .*\n"
)


def without_notices(stderr: str) -> str:
    """``stderr`` without the NOTICE lines."""
    return NOTICE.sub("", stderr)


def ok(result: Result) -> str:
    """stdout of a successful run (nothing on stderr but a NOTICE)."""
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    assert without_notices(result.stderr) == ""
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
            "kind": "extension",
            "stage": "",
            "from": "2018-03-08T17:00:00+01:00",
            "to": "2018-03-22T17:00:00+01:00",
            "reason": "portal outage",
            "source": "https://example.org/news/1",
            "recorded": "2018-03-02T16:00:00+00:00",
        },
        {
            "kind": "extension",
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


# --- warn: the store of warn_store (conftest.py) and how its runs are read -----------------------

LEDGER = Path(".state") / "warnings-sent.json"

# warn_store (all deadlines 17:00 in the call's zone):
#   ALPHA-1  single stage   2027-04-08 17:00 CEST (15:00Z)
#   BETA-2   Stage 1        2027-04-01 17:00 CEST (15:00Z), Stage 2 2027-06-01 17:00 CEST
#   LIS-3    Europe/Lisbon  2027-04-20 17:00 WEST (16:00Z)
# At AT (2027-03-30 09:00 Brussels = 07:00Z) three warnings are due:
LINES_AT = [
    "BETA-2  Beta call  deadline 2027-04-01 17:00 CEST (Stage 1)  in 2 days 8 h (under 7d)",
    "ALPHA-1  Alpha call  deadline 2027-04-08 17:00 CEST  in 9 days 8 h (under 14d)",
    "LIS-3  Lisbon call  deadline 2027-04-20 17:00 WEST  in 21 days 9 h (under 30d)",
]


def add(cli: Cli, call_id: str, title: str, *deadlines: str, tz: str = "Europe/Brussels") -> None:
    """Add a call through the CLI (each deadline may be 'Label=WHEN')."""
    args = ["add", call_id, "--title", title, "--tz", tz]
    for deadline in deadlines:
        args += ["--deadline", deadline]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr


def warn(cli: Cli, *args: str) -> Result:
    """Run ``clusterctl warn`` with ``args``."""
    return cli("warn", *args)


def lines(result: Result) -> list[str]:
    """The non-empty stdout lines of a run."""
    return [line for line in result.stdout.splitlines() if line]


def ledger_keys(store: Path) -> set[str]:
    """The keys of the delivered-warnings ledger (empty when it does not exist)."""
    path = store / LEDGER
    if not path.exists():
        return set()
    return set(json.loads(path.read_text(encoding="utf-8"))["sent"])


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    """A config file with ``text`` and ``mode``, named by CLUSTERCTL_CONFIG from now on."""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    os.environ["CLUSTERCTL_CONFIG"] = str(path)  # restored by the autouse monkeypatch
    return path
