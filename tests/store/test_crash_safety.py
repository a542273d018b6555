"""SIGKILL at random moments: a writer killed anywhere leaves the state before or after.

A forked writer that already has the program imported (a fresh interpreter would spend the
whole window starting up) is killed with SIGKILL at a random moment inside the write; the
kill moments are spread over a typical run (``crash_many`` in helpers.py). Crashes at chosen
steps of a commit are in test_journal.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clusterctl.store import fill
from tests.store.helpers import AT, add, call_text, crash_many, invoke, ok


@pytest.fixture
def warm_cli(tmp_path: Path) -> None:
    """Import everything the writers use, so a forked writer starts working at once."""
    scratch = tmp_path / "warm"
    add(scratch, "WARM-1")
    ok(invoke(scratch, "extend", "WARM-1", "--by", "1d", "--at", AT))
    source = tmp_path / "warm.json"
    source.write_text(ok(invoke(scratch, "calls", "--format", "json", "--all", "--at", AT)))
    ok(invoke(scratch, "import", str(source), "--replace"))
    ok(invoke(scratch, "check"))
    shutil.rmtree(scratch)


def import_file(tmp_path: Path, ids: list[str]) -> Path:
    """A JSON file to import: a call for each of ``ids``, "imported N" with a long title."""
    records = [
        {
            "id": call_id,
            "title": f"imported {n} " + "x" * 300,
            "timezone": "Europe/Brussels",
            "deadlines": [{"label": "", "deadline": "2032-01-01T17:00:00+01:00"}],
        }
        for n, call_id in enumerate(ids)
    ]
    source = tmp_path / "import.json"
    source.write_text(json.dumps(records))
    return source


def test_sigkill_during_a_bulk_import_leaves_before_or_after(
    tmp_path: Path, warm_cli: None
) -> None:
    base = tmp_path / "base"
    for n in range(30):
        (base / "calls").mkdir(parents=True, exist_ok=True)
        (base / "calls" / f"OLD-{n:03d}.toml").write_text(call_text(f"OLD-{n:03d}", f"old {n}"))
    (base / "clusterctl.toml").write_text("schema_version = 1\n")
    source = import_file(tmp_path, [f"{'OLD' if n < 30 else 'NEW'}-{n:03d}" for n in range(90)])
    outcomes = crash_many(
        tmp_path, base, ["import", str(source), "--replace"], runs=30, seed=20300115
    )
    # Some kills stopped the writer, some of them between its first temporary file and the end.
    assert outcomes["before"] > 0 and outcomes["finished"] < 30, outcomes
    assert outcomes["temp-left"] + outcomes["mixed-on-disk"] > 0, outcomes


def test_sigkill_during_a_first_import_leaves_nothing_or_everything(
    tmp_path: Path, warm_cli: None
) -> None:
    # Into an empty calls/ the import fills a fresh directory and renames it over calls/.
    base = tmp_path / "base"
    (base / "calls").mkdir(parents=True)
    (base / "clusterctl.toml").write_text("schema_version = 1\n")
    source = import_file(tmp_path, [f"NEW-{n:03d}" for n in range(fill.FILL_MINIMUM + 50)])
    outcomes = crash_many(tmp_path, base, ["import", str(source)], runs=20, seed=20261204)
    assert outcomes["before"] > 0 and outcomes["finished"] < 20, outcomes
    assert outcomes["staging-left"] > 0 and outcomes["mixed-on-disk"] == 0, outcomes


def test_sigkill_during_an_extend_leaves_before_or_after(tmp_path: Path, warm_cli: None) -> None:
    base = tmp_path / "base"
    add(base, "CALL-1", "--note", "n" * 2000)
    argv = ["extend", "CALL-1", "--by", "14d", "--reason", "r" * 2000, "--at", AT]
    outcomes = crash_many(tmp_path, base, argv, runs=30, seed=5)
    assert outcomes["before"] > 0 and outcomes["finished"] < 30, outcomes
