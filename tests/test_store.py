"""clusterctl.store.Store on real files: layout, atomic writes, locking, crash recovery, cache.

Everything here runs against real directories in tmp_path. Crashes are real: a forked child is
stopped with ``os._exit`` at a chosen step of a commit (no cleanup handlers run, exactly like
SIGKILL), and the parent then inspects the files the child left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clusterctl import store as store_mod
from clusterctl.errors import ConflictError, LockTimeoutError, NotFoundError, StoreError
from clusterctl.model import Call, Stage
from clusterctl.store import (
    GITIGNORE,
    MAX_CALL_FILE_BYTES,
    Store,
    atomic_write,
    journal,
    tomlfile,
)
from clusterctl.store import cache as cache_mod

BRU = ZoneInfo("Europe/Brussels")
DEADLINE = datetime(2031, 3, 8, 17, 0, tzinfo=BRU)
RECORDED = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
CRASHED = 99  # exit status of a child stopped at the injected crash point


def make_call(call_id: str = "CALL-1", *, title: str = "A call", **changes: object) -> Call:
    call = Call(
        id=call_id,
        title=title,
        timezone="Europe/Brussels",
        stages=(Stage("", DEADLINE),),
        programme="COSME",
    )
    return replace(call, **changes)  # type: ignore[arg-type]


def call_files(root: Path) -> dict[str, bytes]:
    """name -> bytes of every call file (what a reader of calls/ would consider)."""
    calls = root / "calls"
    if not calls.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(calls.iterdir()) if not p.name.startswith(".")}


def tree(root: Path) -> dict[str, bytes | str | None]:
    """Every path under ``root``, .state/ included: file bytes, None for a directory."""
    if not root.exists():
        return {}
    found: dict[str, bytes | str | None] = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            found[str(p.relative_to(root))] = f"-> {os.readlink(p)}"
        elif p.is_dir():
            found[str(p.relative_to(root))] = None
        elif p.is_file():
            found[str(p.relative_to(root))] = p.read_bytes()
        else:  # a FIFO or device: never read it
            found[str(p.relative_to(root))] = "special"
    return found


def temp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def view(root: Path) -> dict[str, tuple[str, list[str]]]:
    """What a reader sees: id -> (title, effective deadlines), through summaries and files."""
    store = Store(root)
    seen = {
        c.id: (c.title, [v.deadline.isoformat() for v in c.stage_views()])
        for c in store.all_calls()
    }
    assert sorted(seen) == store.ids()
    return seen


def in_child(action: Callable[[], None]) -> int:
    """Run ``action`` in a forked child; its exit status (0 ok, 70 exception, else its own)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            action()
        except BaseException:
            code = 70
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def crash_on_call(module: object, name: str, after: int) -> None:
    """In a child: replace ``module.name`` so that its call number ``after`` kills the process."""
    real = getattr(module, name)
    done = 0

    def crashing(*args: object, **kwargs: object) -> object:
        nonlocal done
        if done == after:
            os._exit(CRASHED)
        done += 1
        return real(*args, **kwargs)

    setattr(module, name, crashing)


# --- absent stores, creation, layout ---------------------------------------------------------


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


def test_calls_directory_without_a_marker_is_refused_not_adopted(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    (root / "clusterctl.toml").unlink()
    shutil.rmtree(root / ".state")
    before = tree(root)
    for action in (
        lambda: Store(root).add(make_call("CALL-2")),
        lambda: Store(root).update("CALL-1", lambda c: replace(c, note="x")),
        lambda: Store(root).summaries(),
        lambda: Store(root).get("CALL-1"),
    ):
        with pytest.raises(StoreError, match=r"clusterctl.toml: missing, but .*calls exists"):
            action()
    assert tree(root) == before  # no marker invented, not even .state/ created


def test_a_file_where_the_store_should_be(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.write_text("not a directory\n")
    for action in (lambda: Store(root).add(make_call()), lambda: Store(root).summaries()):
        with pytest.raises(StoreError, match="is a file; a clusterctl store is a directory"):
            action()
    assert Store(root).check() == [f"{root}: is a file; a clusterctl store is a directory"]
    assert root.read_text() == "not a directory\n"


def test_add_refuses_a_duplicate_and_replace_overwrites(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.add(make_call())
    with pytest.raises(ConflictError, match="already exists"):
        store.add(make_call(title="Other"))
    store.add(make_call(title="Other"), replace=True)
    assert store.get("CALL-1").title == "Other"


# --- atomic writes -----------------------------------------------------------------------------


def test_atomic_write_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "file.toml"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    inode = path.stat().st_ino
    atomic_write(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert path.stat().st_mode & 0o7777 == 0o640
    assert path.stat().st_ino != inode  # renamed over, never rewritten in place
    assert temp_files(tmp_path) == []


def test_atomic_write_of_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.toml", b"x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "new.toml").stat().st_mode & 0o7777 == 0o640


def test_writes_go_through_a_symlinked_call_file_and_keep_its_mode(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store(root)
    store.add(make_call())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "CALL-1.toml"
    shutil.move(root / "calls" / "CALL-1.toml", target)
    target.chmod(0o640)
    (root / "calls" / "CALL-1.toml").symlink_to(target)
    store.update("CALL-1", lambda c: replace(c, note="through the link"))
    link = root / "calls" / "CALL-1.toml"
    assert link.is_symlink() and link.resolve() == target
    assert tomllib.loads(target.read_text())["note"] == "through the link"
    assert target.stat().st_mode & 0o7777 == 0o640
    assert temp_files(tmp_path) == []


def test_a_symlinked_store_directory_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real"
    Store(real).add(make_call())
    link = tmp_path / "link"
    link.symlink_to(real)
    (real / "calls" / "CALL-1.toml").chmod(0o640)
    Store(link).update("CALL-1", lambda c: replace(c, note="via link"))
    Store(link).add(make_call("CALL-2"))
    assert link.is_symlink()
    assert sorted(call_files(real)) == ["CALL-1.toml", "CALL-2.toml"]
    assert Store(real).get("CALL-1").note == "via link"
    assert (real / "calls" / "CALL-1.toml").stat().st_mode & 0o7777 == 0o640


# --- deterministic output and hand edits --------------------------------------------------------

FULL = make_call(
    "FULL-1",
    title="Full",
    url="https://example.org/full",
    tags=("ours", "cluster"),
    note="a note",
    opens=datetime(2030, 11, 1, 0, 0, tzinfo=BRU),
    extensions=(),
).extend(datetime(2031, 3, 15, 17, 0, tzinfo=BRU), recorded=RECORDED, reason="why", source="")


def test_the_same_call_gives_the_same_bytes(tmp_path: Path) -> None:
    one, two = Store(tmp_path / "one"), Store(tmp_path / "two")
    one.add(FULL)
    two.add(FULL)
    first = (tmp_path / "one" / "calls" / "FULL-1.toml").read_bytes()
    assert (tmp_path / "two" / "calls" / "FULL-1.toml").read_bytes() == first
    one.add(FULL, replace=True)
    one.update("FULL-1", lambda c: c)
    assert (tmp_path / "one" / "calls" / "FULL-1.toml").read_bytes() == first


def test_key_order_is_stable(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.add(FULL)
    text = (tmp_path / "store" / "calls" / "FULL-1.toml").read_text()
    assert text == (
        'id = "FULL-1"\n'
        'title = "Full"\n'
        'programme = "COSME"\n'
        'url = "https://example.org/full"\n'
        'tags = [\n    "ours",\n    "cluster",\n]\n'
        'note = "a note"\n'
        'timezone = "Europe/Brussels"\n'
        "opens = 2030-11-01 00:00:00+01:00\n"
        "\n[[deadlines]]\n"
        "deadline = 2031-03-08 17:00:00+01:00\n"
        "\n[[extensions]]\n"
        "from = 2031-03-08 17:00:00+01:00\n"
        "to = 2031-03-15 17:00:00+01:00\n"
        'reason = "why"\n'
        "recorded = 2030-01-02 03:04:00+00:00\n"
    )


HAND_EDITED = """\
id = "HAND-1"
title = "Hand edited"
owner = "anna"
timezone = "Europe/Brussels"
priority = 3

[[deadlines]]
deadline = 2031-03-08T17:00:00+01:00
room = "B.12"

[[extensions]]
from = 2031-03-08T17:00:00+01:00
to = 2031-03-15T17:00:00+01:00
recorded = 2030-01-01T00:00:00Z
ticket = "EXT-7"
meta = { checked = true }

[review]
by = "board"

[review.meta]
round = 2
"""


def test_unknown_keys_survive_every_rewrite(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    path = root / "calls" / "HAND-1.toml"
    path.write_text(HAND_EDITED)
    store = Store(root)
    later = datetime(2031, 3, 22, 17, 0, tzinfo=BRU)
    store.update("HAND-1", lambda c: c.extend(later, recorded=RECORDED, reason="again"))
    store.update("HAND-1", lambda c: replace(c, note="edited", tags=("x",)))
    record = tomllib.loads(path.read_text())
    assert record["owner"] == "anna"
    assert record["priority"] == 3
    assert record["review"] == {"by": "board", "meta": {"round": 2}}
    assert record["deadlines"][0]["room"] == "B.12"
    assert record["extensions"][0]["ticket"] == "EXT-7"
    assert record["extensions"][0]["meta"] == {"checked": True}
    assert [e["reason"] for e in record["extensions"] if "reason" in e] == ["again"]
    assert record["note"] == "edited"
    assert Store(root).check() == []


# --- hostile values -------------------------------------------------------------------------

ODD_TEXT = [
    "Ünïcödé — ŝtrange “quotes” ½",
    "مرحبا بالعالم (right to left) שלום",
    "emoji 🇪🇺🚀👩‍🔬 and a ZWJ",
    "x" * 5000,
    "line one\nline two\r\nline three\rend",
    'quotes " and \' and \\ backslash and """ triple',
    "NUL \x00 BEL \x07 ESC \x1b[31m DEL \x7f",
    "[bold]markup[/bold] [link=http://evil]x[/link]",
]


@pytest.mark.parametrize("text", ODD_TEXT, ids=range(len(ODD_TEXT)))
def test_odd_text_round_trips_exactly(tmp_path: Path, text: str) -> None:
    root = tmp_path / "store"
    call = make_call(title=text, note=text, programme=text, tags=(text,))
    call = call.extend(DEADLINE + timedelta(days=1), recorded=RECORDED, reason=text, source=text)
    Store(root).add(call)
    raw = (root / "calls" / "CALL-1.toml").read_bytes()
    assert b"\r" not in raw  # line breaks in values are escaped: one key, one line
    got = Store(root).get("CALL-1")
    assert (got.title, got.note, got.programme, got.tags) == (text, text, text, (text,))
    assert (got.extensions[0].reason, got.extensions[0].source) == (text, text)
    assert Store(root).summaries()[0].title == text
    assert Store(root).check() == []


# --- files that cannot be read are refused and left alone -----------------------------------

BROKEN = [
    pytest.param(
        b'id = "CALL-1"\ntitle = \n',
        r"invalid TOML: Invalid value \(at line 2, column 9\)",
        id="toml",
    ),
    pytest.param(
        b'id = "CALL-1"\n<<<<<<< HEAD\ntitle = "a"\n=======\ntitle = "b"\n>>>>>>> other\n',
        r"unresolved git merge conflict at line 2, column 1",
        id="conflict",
    ),
    pytest.param(
        b'id = "CALL-1"\ntitle = "caf\xe9"\n',
        r"not UTF-8 text \(at line 2, column 13\)",
        id="latin1",
    ),
    pytest.param(b"", r"'id' is missing or empty", id="empty"),
    pytest.param(bytes(range(256)) * 4, r"CALL-1.toml: (not UTF-8|invalid TOML)", id="binary"),
    pytest.param(
        b"a = " + b"[" * 2000 + b"]" * 2000 + b"\n", r"nested too deeply", id="deep-nesting"
    ),
    pytest.param(
        b'id = "CALL-1"\ntitle = "t"\ntimezone = "Europe/Brussels"\n'
        b"[[deadlines]]\ndeadline = 0001-01-01T00:00:00\n",
        r"CALL-1.toml: .*(range|overflow)",
        id="year-1",
    ),
    pytest.param(
        b'id = "CALL-1"\ntitle = "t"\ntimezone = "Mars/Olympus"\n'
        b"[[deadlines]]\ndeadline = 2031-01-01T17:00:00+01:00\n",
        r"CALL-1.toml: unknown time zone 'Mars/Olympus'",
        id="zone",
    ),
    pytest.param(
        b'id = "CALL-2"\ntitle = "t"\ntimezone = "Europe/Brussels"\n'
        b"[[deadlines]]\ndeadline = 2031-01-01T17:00:00+01:00\n",
        r"declares id 'CALL-2' but the file name says 'CALL-1'",
        id="id-mismatch",
    ),
    pytest.param(
        b"# " + b"x" * MAX_CALL_FILE_BYTES + b"\n",
        rf"too large \({MAX_CALL_FILE_BYTES + 3} bytes; at most {MAX_CALL_FILE_BYTES}\)",
        id="huge",
    ),
]


def refusals(store: Store) -> list[Callable[[], object]]:
    return [
        store.summaries,
        lambda: store.get("CALL-1"),
        lambda: store.update("CALL-1", lambda c: replace(c, note="x")),
        lambda: store.add(make_call(), replace=True),
        lambda: store.add(make_call()),
        lambda: store.remove("CALL-1"),
    ]


@pytest.mark.parametrize(("content", "message"), BROKEN)
def test_a_broken_call_file_is_refused_and_never_overwritten(
    tmp_path: Path, content: bytes, message: str
) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call("OTHER-1"))
    path = root / "calls" / "CALL-1.toml"
    path.write_bytes(content)
    before = tree(root)
    for action in refusals(Store(root)):
        with pytest.raises(StoreError, match=message) as info:
            action()
        assert str(path) in str(info.value)
        assert "\n" not in str(info.value)
    assert tree(root) == before
    problems = Store(root).check()
    assert len(problems) == 1 and str(path) in problems[0]
    # Other calls stay readable one by one.
    assert Store(root).get("OTHER-1").id == "OTHER-1"


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling-symlink"])
def test_call_paths_that_are_not_files(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call("OTHER-1"))
    path = root / "calls" / "CALL-1.toml"
    if kind == "directory":
        path.mkdir()
        message = "is a directory, not a TOML file"
    elif kind == "fifo":
        os.mkfifo(path)
        message = "not a regular file"
    else:
        path.symlink_to(tmp_path / "nowhere.toml")
        message = "a symbolic link to a file that does not exist"
    before = tree(root)
    started = time.monotonic()
    problems = Store(root).check()
    assert problems == [f"{path}: {message}"]
    if kind != "dangling-symlink":
        for action in refusals(Store(root)):
            with pytest.raises(StoreError, match=message):
                action()
    assert time.monotonic() - started < 5  # a FIFO must never block a read
    assert tree(root) == before


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (b"schema_version = 99\n", r"schema version 99 is newer than this clusterctl"),
        # No migration from 0 exists (the first schema is 1): no dead-end advice to migrate.
        (b"schema_version = 0\n", r"schema version 0 was never written by clusterctl"),
        (b'schema_version = "1"\n', r"'schema_version' must be a whole number"),
        (b"schema_version = true\n", r"'schema_version' must be a whole number"),
        (b"schema_version = 1\nx = \n", r"invalid TOML: Invalid value \(at line 2, column 5\)"),
        (
            b"<<<<<<< ours\nschema_version = 1\n=======\nschema_version = 2\n>>>>>>> theirs\n",
            r"unresolved git merge conflict at line 1, column 1",
        ),
    ],
)
def test_a_marker_this_program_cannot_use_is_refused(
    tmp_path: Path, marker: bytes, message: str
) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    shutil.rmtree(root / ".state")
    (root / "clusterctl.toml").write_bytes(marker)
    before = tree(root)
    store = Store(root)
    for action in [*refusals(store), lambda: store.add(make_call("NEW-1"))]:
        with pytest.raises(StoreError, match=message):
            action()
    problems = Store(root).check()
    assert len(problems) == 1 and problems[0].startswith(f"{root / 'clusterctl.toml'}: ")
    assert tree(root) == before  # nothing written, not even the lock file


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


def rename_name_to_title(root: Path) -> None:
    for path in (root / "calls").glob("*.toml"):
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
    assert backup == root / ".state" / "backups" / "schema-0-20300506T070809Z"
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
    def broken(root: Path) -> None:
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


# --- locking ----------------------------------------------------------------------------------


def test_a_held_lock_makes_writers_time_out_but_not_readers(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    with Store(root).transaction() as txn:
        txn.put(make_call("HELD-1"))
        waiting = Store(root, lock_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            waiting.add(make_call("CALL-2"))
        elapsed = time.monotonic() - started
        assert 0.3 <= elapsed < 3
        assert f"(pid {os.getpid()})" in str(info.value)
        assert "for more than 0.3 s; try again or raise --lock-timeout" in str(info.value)
        assert Store(root).ids() == ["CALL-1"]  # reads never wait for the lock
    assert Store(root).ids() == ["CALL-1", "HELD-1"]
    Store(root, lock_timeout=0.3).add(make_call("CALL-2"))
    assert Store(root).ids() == ["CALL-1", "CALL-2", "HELD-1"]


def test_a_failed_change_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    before = tree(root)
    with pytest.raises(ZeroDivisionError), Store(root).transaction() as txn:
        txn.put(make_call("NEW-1"))
        txn.delete("CALL-1")
        raise ZeroDivisionError
    assert tree(root) == before


# --- crashes in the middle of a multi-file change -----------------------------------------------


def crash_store(tmp_path: Path) -> tuple[Path, dict, dict]:
    """A store with three calls, and the views before and after the change ``big_change``."""
    root = tmp_path / "base"
    for n in (1, 2, 3):
        Store(root).add(make_call(f"OLD-{n}", title=f"old {n}"))
    before = view(root)
    scratch = tmp_path / "scratch"
    shutil.copytree(root, scratch)
    big_change(scratch)
    after = view(scratch)
    assert before != after
    return root, before, after


def big_change(root: Path) -> None:
    """Replace two calls, add two, remove one: six files in one commit."""
    with Store(root).transaction() as txn:
        txn.put(make_call("OLD-1", title="new 1"))
        txn.put(make_call("OLD-2", title="new 2"))
        txn.put(make_call("NEW-4", title="new 4"))
        txn.put(make_call("NEW-5", title="new 5"))
        txn.delete("OLD-3")


@pytest.mark.parametrize(
    ("function", "after", "expected"),
    [
        # os.replace: 1st call installs the journal (the commit point), then one per call file.
        ("replace", 0, "before"),
        ("replace", 1, "after"),
        ("replace", 2, "after"),
        ("replace", 4, "after"),
        # os.unlink: the removal of OLD-3, then the journal itself.
        ("unlink", 0, "after"),
        ("unlink", 1, "after"),
        # os.sync: before the temporary files are durable, nothing is committed.
        ("sync", 0, "before"),
    ],
)
def test_a_crash_at_any_step_leaves_the_state_before_or_after(
    tmp_path: Path, function: str, after: int, expected: str
) -> None:
    base, before_view, after_view = crash_store(tmp_path)
    root = tmp_path / "crashed"
    shutil.copytree(base, root)

    def crash() -> None:
        crash_on_call(os, function, after)
        big_change(root)

    assert in_child(crash) == CRASHED
    if temp_files(root / "calls"):  # what the crash left, the next change is told to sweep
        assert (root / ".state" / "writing").exists()
    journal = root / ".state" / "commit.json"
    # What the files hold right now is one of the two states, file by file ...
    assert journal.exists() == (expected == "after" and function != "sync")
    # ... and every reader sees the whole change or none of it (it finishes the journal).
    assert view(root) == (before_view if expected == "before" else after_view)
    assert Store(root).check() == []
    assert not journal.exists()
    Store(root).add(make_call("LATER-1"))  # the next change sweeps what the crash left
    assert temp_files(root / "calls") == []
    assert set(view(root)) - {"LATER-1"} == set(before_view if expected == "before" else after_view)


def test_leftover_temporary_files_are_ignored_and_swept(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    assert not (root / ".state" / "writing").exists()  # a finished change leaves no marker
    # What a writer killed while writing leaves: a temporary file and the marker.
    leftover = root / "calls" / ".CALL-1.toml.a1b2c3d4.tmp"
    leftover.write_bytes(b"\x00torn half of a fi")
    (root / ".state" / "writing").touch()
    unrelated = root / "calls" / ".CALL-1.toml.swp"
    unrelated.write_bytes(b"an editor's file")
    assert Store(root).ids() == ["CALL-1"]
    Store(root).add(make_call("CALL-2"))
    assert not leftover.exists()
    assert unrelated.exists()
    assert not (root / ".state" / "writing").exists()


def test_an_interrupt_while_writing_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C right after a temporary file was created, before the writer recorded its name.
    root = tmp_path / "store"
    Store(root).add(make_call())
    real_write_temp = journal.write_temp

    def interrupted(path: Path, data: bytes) -> object:
        real_write_temp(path, data)
        raise KeyboardInterrupt

    monkeypatch.setattr(journal, "write_temp", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Store(root).update("CALL-1", lambda call: replace(call, note="changed"))
    assert temp_files(root / "calls") == []
    assert not (root / ".state" / "writing").exists()
    assert Store(root).get("CALL-1").note == ""


def test_a_change_lists_calls_only_when_a_writer_may_have_left_files(tmp_path: Path) -> None:
    # Listing 100,000 names costs a write 60 ms, so without the marker a change does not look.
    # After a power failure the (unsynced) marker may be lost: check sees the file and re-arms.
    root = tmp_path / "store"
    Store(root).add(make_call())
    leftover = root / "calls" / ".CALL-1.toml.a1b2c3d4.tmp"
    leftover.write_bytes(b"\x00torn half of a fi")
    Store(root).add(make_call("CALL-2"))
    assert leftover.exists()
    assert Store(root).check() == []
    assert (root / ".state" / "writing").exists()
    Store(root).add(make_call("CALL-3"))
    assert not leftover.exists()


@pytest.mark.parametrize(
    "journal",
    [
        b"{not json",
        json.dumps({"version": 1, "renames": [["../x", "calls/A.toml"]], "removals": []}).encode(),
        json.dumps({"version": 1, "renames": [], "removals": ["clusterctl.toml"]}).encode(),
        json.dumps({"version": 1}).encode(),
    ],
)
def test_a_malformed_journal_is_refused_untouched(tmp_path: Path, journal: bytes) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    (root / ".state" / "commit.json").write_bytes(journal)
    before = tree(root)
    for action in refusals(Store(root)):
        with pytest.raises(StoreError, match=r"commit\.json: (unreadable|malformed) journal"):
            action()
    assert tree(root) == before


# --- the cache --------------------------------------------------------------------------------


@pytest.fixture
def counted_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the call files parsed by summaries() (the rest came from the cache)."""
    parsed: list[str] = []
    real = tomlfile.read_call

    def spy(path: Path) -> Call:
        parsed.append(path.name)
        return real(path)

    monkeypatch.setattr(tomlfile, "read_call", spy)
    # Trust cache entries after 50 ms instead of 3 s (still far above a timestamp tick).
    monkeypatch.setattr(cache_mod, "RACY_SECONDS", 0.05)
    return parsed


def titles(root: Path) -> dict[str, str]:
    return {s.id: s.title for s in Store(root).summaries()}


def test_the_cache_sees_an_in_place_edit_that_restored_the_mtime(
    tmp_path: Path, counted_parses: list[str]
) -> None:
    root = tmp_path / "store"
    for n in (1, 2):
        Store(root).add(make_call(f"CALL-{n}", title=f"Title {n}111"))
    time.sleep(0.1)
    assert titles(root) == {"CALL-1": "Title 1111", "CALL-2": "Title 2111"}
    time.sleep(0.1)
    counted_parses.clear()
    assert titles(root) == {"CALL-1": "Title 1111", "CALL-2": "Title 2111"}
    assert counted_parses == []  # both entries came from the cache
    path = root / "calls" / "CALL-1.toml"
    old = path.stat()
    with open(path, "r+b") as handle:  # same size, same inode, same mtime afterwards
        data = handle.read()
        handle.seek(data.index(b"Title 1111") + len("Title "))
        handle.write(b"9")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    new = path.stat()
    assert (new.st_size, new.st_ino, new.st_mtime_ns) == (old.st_size, old.st_ino, old.st_mtime_ns)
    assert titles(root) == {"CALL-1": "Title 9111", "CALL-2": "Title 2111"}
    assert counted_parses == ["CALL-1.toml"]


def test_the_cache_sees_files_removed_and_added_by_hand(
    tmp_path: Path, counted_parses: list[str]
) -> None:
    root = tmp_path / "store"
    for n in (1, 2):
        Store(root).add(make_call(f"CALL-{n}", title=f"Title {n}"))
    time.sleep(0.1)
    titles(root)
    (root / "calls" / "CALL-1.toml").unlink()
    assert titles(root) == {"CALL-2": "Title 2"}
    text = (root / "calls" / "CALL-2.toml").read_text()
    (root / "calls" / "CALL-3.toml").write_text(
        text.replace("CALL-2", "CALL-3").replace("Title 2", "Title 3")
    )
    assert titles(root) == {"CALL-2": "Title 2", "CALL-3": "Title 3"}
    # Put a file back under the removed name with new content: never the cached summary.
    (root / "calls" / "CALL-1.toml").write_text(
        text.replace("CALL-2", "CALL-1").replace("Title 2", "Title X")
    )
    assert titles(root) == {"CALL-1": "Title X", "CALL-2": "Title 2", "CALL-3": "Title 3"}


@pytest.mark.parametrize("garbage", [b"", b"\x80\x04torn", b"not a pickle at all"])
def test_a_torn_or_foreign_cache_is_rebuilt(tmp_path: Path, garbage: bytes) -> None:
    root = tmp_path / "store"
    cache = tmp_path / "cache"
    Store(root, cache_dir=cache).add(make_call())
    Store(root, cache_dir=cache).summaries()
    (entry,) = cache.iterdir()
    entry.write_bytes(garbage)
    assert [s.id for s in Store(root, cache_dir=cache).summaries()] == ["CALL-1"]


def test_an_unusable_cache_directory_is_not_an_error(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache cannot live under a file\n")
    assert [s.id for s in Store(root, cache_dir=blocker / "cache").summaries()] == ["CALL-1"]


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


def test_a_commit_reports_progress_while_writing_many_calls(tmp_path: Path) -> None:
    from clusterctl.model import make_stages
    from clusterctl.timeparse import parse_moment

    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    seen: list[tuple[int, int]] = []
    with store.transaction() as txn:
        for n in range(250):
            txn.put(
                Call(
                    id=f"C-{n:03d}",
                    title="t",
                    timezone="Europe/Brussels",
                    stages=make_stages([("", parse_moment("2030-01-01", "Europe/Brussels"))]),
                )
            )
        txn.progress = lambda done, total: seen.append((done, total))
    assert seen == [(100, 250), (200, 250), (250, 250)]
    assert len(store.ids()) == 250


def test_the_ledger_forgets_warnings_for_long_past_deadlines(tmp_path: Path) -> None:
    from clusterctl.store import Ledger

    ledger = Ledger(path=tmp_path / "warnings-sent.json", sent={})
    old = "OLD-1||2020-03-08T16:00:00Z|86400"
    recent = "NEW-1|Stage 1|2026-03-08T16:00:00Z|86400"
    odd = "hand-written entry"
    ledger.sent.update({old: "2020-03-07T16:00:00Z", recent: "2026-03-07T16:00:00Z", odd: "x"})
    now = datetime(2026, 11, 25, tzinfo=UTC)
    ledger.record(["A-1|a|b|c|2026-12-01T16:00:00Z|604800"], now)
    assert set(ledger.sent) == {recent, "A-1|a|b|c|2026-12-01T16:00:00Z|604800"}
    ledger.save()
    assert set(Ledger.load(ledger.path).sent) == set(ledger.sent)


def test_a_store_this_user_cannot_read_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads everything, so the refusal is simulated at os.access (what the check asks).
    root = tmp_path / "store"
    Store(root).add(make_call())
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if Path(path) == root else real_access(path, mode)
    )
    for attempt in (Store(root).ids, lambda: Store(root).add(make_call("CALL-2"))):
        with pytest.raises(StoreError) as info:
            attempt()
        assert str(info.value) == f"{root}: permission denied: this user cannot read the store"


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
