"""The limits every input path and every read and write share, through the real command line:
one range of years, one size per field and per file (clusterctl/limits.py).

Nothing is lost: a call that was accepted is listed, checked, exported and backed up. Nothing is
bricked: what a command would write but could not read back is refused before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import Cli, as_json, ok

# --- one range of years, and no call ever vanishes -------------------------------------------


def test_a_deadline_before_1970_is_listed_checked_exported_and_backed_up(
    cli: Cli, store_dir: Path
) -> None:
    ok(cli("add", "NEW-1", "--title", "New", "-d", "2031-01-01"))
    ok(cli("calls", "--all", "--at", "2026-11-25"))  # a cache now exists
    assert ok(cli("add", "OLD-1950", "--title", "Old", "-d", "1950-03-08")) == (
        "Added OLD-1950: deadline 1950-03-08 17:00 CET\n"
    )
    listing = ok(cli("calls", "--all", "--at", "2026-11-25"))
    assert [line.split()[0] for line in listing.splitlines()[1:]] == ["NEW-1", "OLD-1950"]
    assert ok(cli("check")) == f"ok: 2 calls in {store_dir}, no problems\n"
    backup = as_json(cli("calls", "--all", "--format", "json", "--at", "2026-11-25"))
    assert [c["id"] for c in backup] == ["NEW-1", "OLD-1950"]
    assert backup[1]["deadline"] == "1950-03-08T17:00:00+01:00"
    ics = ok(cli("export", "ics", "--all", "--at", "2026-11-25"))
    assert ics.count("BEGIN:VEVENT") == 2
