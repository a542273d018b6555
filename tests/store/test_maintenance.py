"""check and migrate (store/maintenance.py)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clusterctl import store as store_mod
from clusterctl.errors import StoreError
from clusterctl.model import Stage
from clusterctl.store import Store, atomic_write, maintenance
from tests.store.helpers import (
    AT,
    BRU,
    DEADLINE,
    RECORDED,
    call_files,
    call_text,
    invoke,
    listing,
    make_call,
    ok,
    one_error,
    spy_on_files,
)

# --- migrate ------------------------------------------------------------------------------------


def old_store(tmp_path: Path) -> Path:
    """A schema-0 store: like schema 1, but the title was called 'name'."""
    root = tmp_path / "store"
    Store(root).add(make_call())
    Store(root).add(make_call("CALL-2", title="Second"))
    for path in (root / "calls").iterdir():
        path.write_text(path.read_text().replace("title = ", "name = "))
    (root / "clusterctl.toml").write_text("schema_version = 0\n")
    return root


def rename_name_to_title(root: str) -> None:  # a migration is given the store's path, a str
    for path in (Path(root) / "calls").glob("*.toml"):
        atomic_write(path, path.read_bytes().replace(b"name = ", b"title = "))


def test_migrate_keeps_a_backup_and_updates_the_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(store_mod.MIGRATIONS, 0, rename_name_to_title)
    root = old_store(tmp_path)
    before = call_files(root)
    with pytest.raises(StoreError, match="older than 1"):
        Store(root).summaries()
    start, end, backup = Store(root).migrate(now=datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC))
    assert (start, end) == (0, 1)
    assert backup == str(root / ".state" / "backups" / "schema-0-20300506T070809Z")
    backup = Path(backup)
    assert (root / "clusterctl.toml").read_text() == "schema_version = 1\n"
    assert (backup / "clusterctl.toml").read_text() == "schema_version = 0\n"
    assert {p.name: p.read_bytes() for p in (backup / "calls").iterdir()} == before
    assert not (backup / ".state").exists()
    assert sorted(s.title for s in Store(root).summaries()) == ["A call", "Second"]
    assert Store(root).check() == []
    assert Store(root).migrate() == (1, 1, None)


def test_a_failing_migration_names_the_backup_and_keeps_the_old_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(root: str) -> None:
        raise KeyError("title")

    monkeypatch.setitem(store_mod.MIGRATIONS, 0, broken)
    root = old_store(tmp_path)
    with pytest.raises(StoreError, match=r"migration from schema 0 failed \(KeyError: 'title'\)"):
        Store(root).migrate()
    assert (root / "clusterctl.toml").read_text() == "schema_version = 0\n"
    backups = list((root / ".state" / "backups").iterdir())
    assert len(backups) == 1


def test_migrate_without_a_registered_step_is_refused(tmp_path: Path) -> None:
    root = old_store(tmp_path)
    with pytest.raises(StoreError, match="no migration from schema version 0"):
        Store(root).migrate()
    assert (root / "clusterctl.toml").read_text() == "schema_version = 0\n"


# --- check ------------------------------------------------------------------------------------


def test_check_reports_copies_wrong_ids_and_broken_extension_chains(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store(root)
    store.add(make_call("CALL-1").extend(DEADLINE + timedelta(days=7), recorded=RECORDED))
    calls = root / "calls"
    shutil.copy(calls / "CALL-1.toml", calls / "COPY-1.toml")
    text = (calls / "CALL-1.toml").read_text()
    (calls / "CALL-2.toml").write_text(
        text.replace('id = "CALL-1"', 'id = "CALL-2"').replace(
            "from = 2031-03-08 17:00:00+01:00", "from = 2031-03-09 17:00:00+01:00"
        )
    )
    (calls / "notes.txt").write_text("hello\n")
    problems = Store(root).check()
    assert problems == [
        f"{calls / 'CALL-2.toml'}: CALL-2: extension 1 says it moved the deadline from "
        "2031-03-09T17:00:00+01:00, but the deadline then was 2031-03-08T17:00:00+01:00",
        f"{calls / 'COPY-1.toml'}: declares id 'CALL-1' but the file name says 'COPY-1'",
        f"{calls / 'COPY-1.toml'}: duplicate id 'CALL-1' (also in {calls / 'CALL-1.toml'})",
        f"{calls / 'notes.txt'}: not a call file (expected <ID>.toml)",
    ]


def test_check_when_calls_is_not_a_directory(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    shutil.rmtree(root / "calls")
    (root / "calls").write_text("oops\n")
    problems = Store(root).check()
    assert len(problems) == 1 and problems[0].startswith(f"{root / 'calls'}: cannot list")
    with pytest.raises(StoreError, match="calls: is not a directory"):
        Store(root).summaries()


def test_check_compares_the_opening_and_the_deadline_as_instants() -> None:
    from clusterctl.model import consistency_problems

    # The night the clocks go back: 02:50 CEST (00:50 UTC) comes before 02:10 CET (01:10 UTC),
    # although its wall time reads later.
    opens = datetime(2026, 10, 25, 2, 50, tzinfo=BRU)
    deadline = datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=BRU)
    call = make_call(opens=opens, stages=(Stage("", deadline),))
    assert consistency_problems(call) == []
    later = make_call(opens=deadline.replace(minute=20), stages=(Stage("", deadline),))
    assert consistency_problems(later) == [
        "CALL-1: opens 2026-10-25T02:20:00+01:00 is not before its first deadline"
    ]


# --- through the command line ---------------------------------------------------------------------


def test_migrate_from_an_older_schema_keeps_a_backup(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rename_name_to_title(root: str) -> None:
        for path in (Path(root) / "calls").glob("*.toml"):
            store_mod.atomic_write(path, path.read_bytes().replace(b"name = ", b"title = "))

    monkeypatch.setitem(store_mod.MIGRATIONS, 0, rename_name_to_title)
    path = store / "calls" / "CALL-1.toml"
    old_call = path.read_text().replace("title = ", "name = ")
    path.write_text(old_call)
    (store / "clusterctl.toml").write_text("schema_version = 0\n")
    assert one_error(invoke(store, "calls"), 5) == (
        f"error: {store / 'clusterctl.toml'}: schema version 0 is older than 1; run "
        "`clusterctl migrate` (a backup is kept)"
    )
    out = ok(invoke(store, "migrate"))
    assert out.startswith(f"migrated schema 0 -> 1; previous store kept in {store}/.state/backups/")
    backup = Path(out.strip().rsplit(" ", 1)[1])
    assert (backup / "clusterctl.toml").read_text() == "schema_version = 0\n"
    assert (backup / "calls" / "CALL-1.toml").read_text() == old_call
    assert (store / "clusterctl.toml").read_text() == "schema_version = 1\n"
    assert listing(store, "--all")["CALL-1"]["title"] == "Title of CALL-1"
    assert ok(invoke(store, "migrate")) == "schema version 1 is current; nothing to do\n"


def test_check_reports_duplicates_wrong_ids_and_broken_chains(store: Path) -> None:
    ok(invoke(store, "extend", "CALL-1", "--by", "7d", "--at", AT))
    calls = store / "calls"
    shutil.copy(calls / "CALL-1.toml", calls / "COPY-1.toml")
    text = (calls / "CALL-1.toml").read_text()
    (calls / "CALL-2.toml").write_text(
        text.replace('id = "CALL-1"', 'id = "CALL-2"').replace(
            "from = 2031-03-08 17:00:00+01:00", "from = 2031-03-01 17:00:00+01:00"
        )
    )
    (calls / "CALL-3.toml").write_text(call_text("OTHER-3"))
    result = invoke(store, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"problem: {calls / 'CALL-2.toml'}: CALL-2: extension 1 says it moved the deadline "
        "from 2031-03-01T17:00:00+01:00, but the deadline then was 2031-03-08T17:00:00+01:00",
        f"problem: {calls / 'CALL-3.toml'}: declares id 'OTHER-3' but the file name says 'CALL-3'",
        f"problem: {calls / 'COPY-1.toml'}: declares id 'CALL-1' but the file name says 'COPY-1'",
        f"problem: {calls / 'COPY-1.toml'}: duplicate id 'CALL-1' (also in "
        f"{calls / 'CALL-1.toml'})",
        f"error: 4 problems in {store}",
    ]


# --- check remembers what it found in each file --------------------------------------------------


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the call files check parses from now on."""
    return spy_on_files(monkeypatch, maintenance, "_file_problems")


def _later(seconds: float) -> int:
    """A clock reading ``seconds`` from now, in ns: files written now are then long settled."""
    return time.time_ns() + int(seconds * 1e9)


def test_check_parses_only_the_files_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    for n in range(5):
        Store(root).add(make_call(f"CALL-{n}"))
    parsed = _counting(monkeypatch)
    clock = lambda: _later(10)  # noqa: E731
    assert Store(root, clock=clock).check() == []
    assert sorted(parsed) == [f"CALL-{n}.toml" for n in range(5)]
    parsed.clear()
    assert Store(root, clock=clock).check() == []
    assert parsed == []
    # A problem written into one file is found, and only that file is parsed again; a file
    # edited to keep its size and mtime is caught by its ctime.
    path = root / "calls" / "CALL-3.toml"
    before = path.stat()
    path.write_text(path.read_text().replace('id = "CALL-3"', 'id = "CALL-9"'))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    problems = Store(root, clock=clock).check()
    assert parsed == ["CALL-3.toml"]
    assert problems == [f"{path}: declares id 'CALL-9' but the file name says 'CALL-3'"]
    # The problem between files is found on every run, from what is remembered.
    shutil.copy(root / "calls" / "CALL-1.toml", root / "calls" / "CALL-7.toml")
    parsed.clear()
    problems = Store(root, clock=clock).check()
    assert parsed == ["CALL-7.toml"]
    assert any("duplicate id 'CALL-1'" in p for p in problems)


def test_check_trusts_nothing_it_read_while_the_file_could_still_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read in the same instant it was written (the clock says so), a file could be changed
    # again without moving its timestamps: check compares its bytes, not its signature.
    root = tmp_path / "store"
    Store(root).add(make_call("CALL-1"))
    path = root / "calls" / "CALL-1.toml"
    written = path.stat()
    same_instant = lambda: max(written.st_mtime_ns, written.st_ctime_ns)  # noqa: E731
    assert Store(root, clock=same_instant).check() == []
    text = path.read_text()
    path.write_text(text.replace('id = "CALL-1"', 'id = "CALL-2"'))
    os.utime(path, ns=(written.st_atime_ns, written.st_mtime_ns))
    problems = Store(root, clock=same_instant).check()
    assert problems == [f"{path}: declares id 'CALL-2' but the file name says 'CALL-1'"]


def test_check_finds_again_what_other_rules_or_zone_data_would_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call("CALL-1"))
    clock = lambda: _later(10)  # noqa: E731
    Store(root, clock=clock).check()
    parsed = _counting(monkeypatch)
    Store(root, clock=clock).check()
    assert parsed == []
    monkeypatch.setattr(maintenance, "CHECK_RULES", maintenance.CHECK_RULES + 1)
    Store(root, clock=clock).check()
    assert parsed == ["CALL-1.toml"]
    monkeypatch.setattr(maintenance, "check_tag", lambda: "other zone data")
    monkeypatch.setattr(maintenance, "check_tag", lambda: "other zone data")
    Store(root, clock=clock).check()
    assert parsed == ["CALL-1.toml", "CALL-1.toml"]


def test_check_works_with_a_cache_directory_it_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call("CALL-1"))
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    assert Store(root, cache_dir=blocked).check() == []
    (root / "calls" / "CALL-1.toml").write_text("id = ")
    assert Store(root, cache_dir=blocked).check() != []


def test_survey_counts_the_calls_as_a_listing_does(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store(root)
    for n in range(5):
        store.add(make_call(f"CALL-{n}", title=f"Call {n}"))
    assert store.survey() == ([], 5) == (store.check(), len(Store(root).summaries()))
    (root / "calls" / "CALL-0.toml").unlink()
    assert Store(root).survey() == ([], 4)
    (root / "calls" / "CALL-1.toml").write_text("not = [toml")
    problems, _ = Store(root).survey()
    assert len(problems) == 1 and "CALL-1.toml" in problems[0]
