"""clusterctl.store.Store on real files: absent stores, the first change, staged changes.

Everything in tests/store/ runs against real directories in tmp_path. The same promises are
also checked through the command line: reading commands never write (not even a timestamp),
a missing store is created by the first change only, a read-only store can still be read,
keys added by hand survive ``extend`` and ``edit``.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from clusterctl.errors import ConflictError, NotFoundError, StoreError
from clusterctl.store import GITIGNORE, Store
from tests.store.helpers import (
    AT,
    add,
    call_files,
    invoke,
    listing,
    make_call,
    ok,
    one_error,
    stat_tree,
    temp_files,
    tree,
)


def test_reads_never_create_a_store(tmp_path: Path) -> None:
    root = tmp_path / "missing" / "store"
    store = Store(root)
    assert store.summaries() == []
    assert store.ids() == []
    assert store.all_calls() == []
    assert store.find("CALL-1") is None
    assert store.check() == []
    assert not store.exists()
    with pytest.raises(NotFoundError, match="there is no store"):
        store.get("CALL-1")
    with pytest.raises(StoreError, match=r"missing; .* is not a clusterctl store"):
        store.migrate()
    assert not root.exists()
    assert not root.parent.exists()


def test_first_change_creates_the_layout(tmp_path: Path) -> None:
    root = tmp_path / "new" / "store"
    Store(root).add(make_call())
    assert (root / "clusterctl.toml").read_bytes() == b"schema_version = 1\n"
    assert (root / ".gitignore").read_text() == GITIGNORE
    assert (root / ".state" / "lock").is_file()
    assert sorted(call_files(root)) == ["CALL-1.toml"]
    assert temp_files(root) == []
    assert not (root / ".state" / "commit.json").exists()
    assert Store(root).get("CALL-1") == make_call()


def test_add_refuses_a_duplicate_and_replace_overwrites(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.add(make_call())
    with pytest.raises(ConflictError, match="already exists"):
        store.add(make_call(title="Other"))
    store.add(make_call(title="Other"), replace=True)
    assert store.get("CALL-1").title == "Other"


def test_a_failed_change_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    before = tree(root)
    with pytest.raises(ZeroDivisionError), Store(root).transaction() as txn:
        txn.put(make_call("NEW-1"))
        txn.delete("CALL-1")
        raise ZeroDivisionError
    assert tree(root) == before


# --- through the command line: reads never write; the first change creates the store --------------


def test_a_read_only_store_can_be_read_but_not_changed(store: Path, read_only: Any) -> None:
    add(store, "CALL-2")
    for path in [*(store / "calls").iterdir(), store / "clusterctl.toml", store / ".gitignore"]:
        read_only.protect(path, 0o444)
    read_only.protect(store / ".state" / "lock", 0o444)
    for path in (store / "calls", store / ".state", store):
        read_only.protect(path, 0o555)
    before = stat_tree(store)
    assert "CALL-1" in ok(read_only("calls", "--all"))
    assert json.loads(ok(read_only("show", "CALL-2", "--format", "json")))["id"] == "CALL-2"
    assert ok(read_only("check")) == f"ok: 2 calls in {store}, no problems\n"
    ok(read_only("warn", "--dry-run", "--at", AT))
    assert "BEGIN:VCALENDAR" in ok(read_only("export", "ics", "--all"))
    assert one_error(read_only("add", "CALL-3", "--title", "T", "-d", "2031-03-08"), 5) == (
        f"error: {store}: cannot change the store: Permission denied"
    )
    assert stat_tree(store) == before


READS = [
    ("calls",),
    ("calls", "--all", "--format", "json"),
    ("calls", "--all", "--format", "csv"),
    ("show", "CALL-1"),
    ("show", "CALL-1", "--format", "json"),
    ("check",),
    ("warn", "--dry-run", "--at", "2031-03-01"),
    ("export", "ics", "--all"),
    ("import", "-", "--dry-run"),
]
LONG_AGO_NS = 946_684_800 * 10**9  # 2000-01-01T00:00:00Z


def test_reading_commands_never_write_into_the_store(store: Path) -> None:
    ok(invoke(store, "extend", "CALL-1", "--by", "1d", "--at", AT))
    # Every mtime back to 2000: a read that wrote anything would stamp it now, whatever the
    # granularity of the file system's clock.
    for path in store.rglob("*"):
        os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS), follow_symlinks=False)
    before = stat_tree(store)
    for args in READS:
        result = invoke(store, *args, input="[]" if args[0] == "import" else None)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    assert stat_tree(store) == before


@pytest.mark.parametrize(
    "args",
    [
        ("calls",),
        ("calls", "--format", "json"),
        ("show", "CALL-1"),
        ("check",),
        ("warn", "--dry-run"),
        ("warn",),
        ("export", "ics"),
        ("migrate",),
        ("import", "-", "--dry-run"),
        ("extend", "CALL-1", "--by", "1d"),
        ("remove", "CALL-1", "--yes"),
    ],
)
def test_a_missing_store_is_not_created_by_reads(tmp_path: Path, args: tuple[str, ...]) -> None:
    root = tmp_path / "nowhere" / "store"
    result = invoke(root, *args, input="[]")
    assert result.exit_code in (0, 1, 3, 5), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert not root.parent.exists()


def test_the_first_change_creates_the_store(tmp_path: Path) -> None:
    root = tmp_path / "nowhere" / "store"
    add(root, "CALL-1")
    assert (root / "clusterctl.toml").read_text() == "schema_version = 1\n"
    assert sorted(p.name for p in (root / "calls").iterdir()) == ["CALL-1.toml"]


# --- through the command line: a symlinked store directory ----------------------------------------


def test_a_symlinked_store_directory_is_written_through(store: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-store"
    link.symlink_to(store)
    (store / "calls" / "CALL-1.toml").chmod(0o640)
    ok(invoke(link, "edit", "CALL-1", "--note", "via the link"))
    add(link, "CALL-2")
    assert link.is_symlink()
    assert sorted(p.name for p in (store / "calls").iterdir()) == ["CALL-1.toml", "CALL-2.toml"]
    assert (store / "calls" / "CALL-1.toml").stat().st_mode & 0o7777 == 0o640
    assert listing(store, "--all")["CALL-1"]["note"] == "via the link"


# --- through the command line: hand-added keys survive --------------------------------------------


HAND_EDITED = """\
id = "CALL-1"
title = "Hand edited"
owner = "anna"
timezone = "Europe/Brussels"
review = { by = "board", round = 2 }

[[deadlines]]
deadline = 2031-03-08T17:00:00+01:00
room = "B.12"

[[extensions]]
from = 2031-03-08T17:00:00+01:00
to = 2031-03-15T17:00:00+01:00
recorded = 2030-01-01T00:00:00Z
ticket = "EXT-7"

[budget]
total = 1_500_000
[budget.split]
lead = 0.6
"""


def test_hand_added_keys_survive_extend_and_edit(store: Path) -> None:
    path = store / "calls" / "CALL-1.toml"
    path.write_text(HAND_EDITED)
    ok(invoke(store, "extend", "CALL-1", "--by", "7d", "--reason", "again", "--at", AT))
    ok(invoke(store, "edit", "CALL-1", "--note", "edited", "--add-tag", "ours"))
    record = tomllib.loads(path.read_text())
    assert record["owner"] == "anna"
    assert record["review"] == {"by": "board", "round": 2}
    assert record["budget"] == {"total": 1_500_000, "split": {"lead": 0.6}}
    assert record["deadlines"][0]["room"] == "B.12"
    assert record["extensions"][0]["ticket"] == "EXT-7"
    assert [e.get("reason") for e in record["extensions"]] == [None, "again"]
    assert (record["note"], record["tags"]) == ("edited", ["ours"])
    assert ok(invoke(store, "check")).startswith("ok: 1 call")
