"""The limits every input path and every read and write share, through the real command line:
one range of years, one size per field and per file (clusterctl/limits.py).

Nothing is lost: a call that was accepted is listed, checked, exported and backed up. Nothing is
bricked: what a command would write but could not read back is refused before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.helpers import Cli, as_json, failed, ok, snapshot
from tests.conftest import FIXTURES

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


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        ("1899-12-31", "'1899-12-31' is outside the supported years 1900-2999"),
        ("1 January 3000", "'1 January 3000' is outside the supported years 1900-2999"),
    ],
)
def test_add_and_extend_refuse_a_year_outside_the_range(
    cli: Cli, store_dir: Path, deadline: str, message: str
) -> None:
    assert failed(cli("add", "X-1", "--title", "X", "-d", deadline), 2) == f"error: {message}"
    ok(cli("add", "X-1", "--title", "X", "-d", "1900-01-01"))
    ok(cli("add", "X-2", "--title", "X", "-d", "2999-12-31"))
    before = snapshot(store_dir)
    assert failed(cli("extend", "X-1", "--to", deadline, "--allow-earlier"), 2) == (
        f"error: {message}"
    )
    assert snapshot(store_dir) == before


def _record(call_id: str = "BIG-1", **fields: object) -> dict[str, object]:
    return {
        "id": call_id,
        "title": "Big",
        "timezone": "Europe/Brussels",
        "deadlines": [{"deadline": "2031-03-08T17:00:00+01:00"}],
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"deadlines": [{"deadline": "1899-12-31T17:00:00+01:00"}]},
         "'deadlines[1].deadline': '1899-12-31T17:00:00+01:00' is outside the supported years "
         "1900-2999"),
        ({"title": "T" * 1001}, "title too long (1001 characters; at most 1000)"),
        ({"note": "n" * 65_537}, "note too long (65537 characters; at most 65536)"),
        ({"url": "https://example.org/" + "u" * 1981},
         "url too long (2001 characters; at most 2000)"),
        ({"tags": ["ok", "t" * 1001]}, "tag 2 too long (1001 characters; at most 1000)"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_import_refuses_what_it_could_not_read_back_and_writes_nothing(
    cli: Cli, store_dir: Path, tmp_path: Path, fields: dict[str, object], problem: str, fmt: str
) -> None:
    ok(cli("add", "KEEP-1", "--title", "Kept", "-d", "2031-03-08"))
    source = tmp_path / f"calls.{fmt}"
    record = _record(**fields)
    source.write_text(_as_csv(record) if fmt == "csv" else json.dumps([record]))
    before = snapshot(store_dir)
    assert failed(cli("import", str(source)), 2) == (
        f"error: {source}: record 1 (BIG-1): {problem}; nothing was imported"
    )
    assert snapshot(store_dir) == before
    assert ok(cli("calls", "--all", "--at", "2026-11-25")).splitlines()[1].startswith("KEEP-1 ")


def test_an_import_of_a_2_mb_title_is_refused_and_the_store_keeps_working(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    # Before: "imported: 1 new", and then calls, warn, export, remove and add --replace all
    # failed on "too large (2000102 bytes; at most 1048576)".
    ok(cli("add", "KEEP-1", "--title", "Kept", "-d", "2031-03-08"))
    source = tmp_path / "big.json"
    source.write_text(json.dumps([_record(title="T" * 2_000_000)]))
    before = snapshot(store_dir)
    assert failed(cli("import", str(source)), 2) == (
        f"error: {source}: record 1 (BIG-1): title too long (2000000 characters; at most 1000); "
        "nothing was imported"
    )
    assert snapshot(store_dir) == before
    for args in (("calls",), ("warn", "--dry-run"), ("export", "ics")):
        assert cli(*args, "--at", "2031-03-01").exit_code == 0, args
    assert failed(cli("remove", "BIG-1", "--yes"), 3) == f"error: no call 'BIG-1' in {store_dir}"


def _as_csv(record: dict[str, object]) -> str:
    """``record`` as a clusterctl CSV file (written by hand: the store would refuse it)."""
    row = {**record, "tags": json.dumps(record.get("tags", []))}
    row["deadlines"] = json.dumps(record["deadlines"])
    row["extensions"] = "[]"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return text.getvalue()


def test_add_and_edit_refuse_a_title_beyond_the_limit(cli: Cli, store_dir: Path) -> None:
    message = "error: call X-1: title too long (1001 characters; at most 1000)"
    assert failed(cli("add", "X-1", "--title", "T" * 1001, "-d", "2031-03-08"), 2) == message
    assert not store_dir.exists()
    ok(cli("add", "X-1", "--title", "T" * 1000, "-d", "2031-03-08"))
    before = snapshot(store_dir)
    assert failed(cli("edit", "X-1", "--title", "T" * 1001), 2) == message
    assert failed(cli("edit", "X-1", "--note", "n" * 65_537), 2) == (
        "error: call X-1: note too long (65537 characters; at most 65536)"
    )
    assert snapshot(store_dir) == before


def test_a_call_whose_file_would_be_too_large_is_refused_before_writing(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    # Every field within its limit, but 1,100 tags of 1,000 characters make a 1.1 MB file.
    tags = [f"{n:04d}" + "t" * 996 for n in range(1100)]
    source = tmp_path / "tags.json"
    source.write_text(json.dumps([_record(tags=tags)]))
    ok(cli("add", "KEEP-1", "--title", "Kept", "-d", "2031-03-08"))
    before = snapshot(store_dir)
    message = failed(cli("import", str(source)), 2)
    assert message.startswith("error: call BIG-1: too large to store (")
    assert message.endswith(" bytes; at most 1048576); nothing was written")
    assert snapshot(store_dir) == before
    ok(cli("calls", "--all"))


def test_a_first_import_refused_for_a_file_too_large_leaves_no_store(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    # Calls are encoded as they are written: the refusal comes after the store was created.
    tags = [f"{n:04d}" + "t" * 996 for n in range(1100)]
    source = tmp_path / "tags.json"
    source.write_text(json.dumps([_record("A-1"), _record(tags=tags)]))
    message = failed(cli("import", str(source)), 2)
    assert message.startswith("error: call BIG-1: too large to store (")
    assert not (store_dir / "calls").exists()
    assert not (store_dir / "clusterctl.toml").exists()
    assert not (store_dir / ".gitignore").exists()
    assert ok(cli("calls", "--all")).startswith("No calls yet in ")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"deadlineDate": ["1899-12-31T17:00:00.000+0000"]},
         "deadline 1 1899-12-31T17:00:00+00:00 is outside the supported years 1900-2999"),
        ({"startDate": ["1899-12-01T00:00:00.000+0000"]},
         "opens 1899-12-01T00:00:00+00:00 is outside the supported years 1900-2999"),
        ({"title": ["T" * 1001]}, "title too long (1001 characters; at most 1000)"),
    ],
)  # fmt: skip
def test_a_portal_import_keeps_the_same_limits(
    cli: Cli, store_dir: Path, tmp_path: Path, changes: dict[str, list[str]], problem: str
) -> None:
    data = json.loads((FIXTURES / "eu-portal-search-page.json").read_text(encoding="utf-8"))
    meta = data["results"][0]["metadata"]
    meta.update(changes)
    source = tmp_path / "portal.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    topic = meta["identifier"][0]
    assert failed(cli("import", str(source), "--from", "eu-portal"), 2) == (
        f"error: {source}: result 1 ({topic}): {problem}"
    )
    assert not store_dir.exists()
