"""The store directory and its marker (store/schema.py): refused when unusable, and untouched."""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from clusterctl.errors import StoreError
from clusterctl.store import Store
from clusterctl.store.layout import Layout
from clusterctl.store.schema import marker_version
from tests.store.helpers import (
    every_command,
    invoke,
    listing,
    make_call,
    one_error,
    refusals,
    stat_tree,
    tree,
)


def test_calls_directory_without_a_marker_is_refused_not_adopted(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store(root).add(make_call())
    (root / "clusterctl.toml").unlink()
    shutil.rmtree(root / ".state")
    before = tree(root)
    for action in (
        lambda: Store(root).add(make_call("CALL-2")),
        lambda: Store(root).update("CALL-1", lambda c: c.replace(note="x")),
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


# --- through the command line: a newer schema -----------------------------------------------------


def test_a_newer_schema_is_refused_everywhere_and_left_alone(store: Path, tmp_path: Path) -> None:
    source = tmp_path / "replacement.json"
    source.write_text(json.dumps([{**listing(store, "--all")["CALL-1"], "title": "new"}]))
    marker = store / "clusterctl.toml"
    marker.write_text("schema_version = 99\n")
    message = (
        f"error: {marker}: schema version 99 is newer than this clusterctl understands (1); "
        "upgrade clusterctl. Nothing was changed."
    )
    before = stat_tree(store)
    for args in [*every_command(source), ("add", "NEW-1", "--title", "T", "-d", "2031-03-08")]:
        assert one_error(invoke(store, *args), 5) == message, args
    assert one_error(invoke(store, "migrate"), 5) == message
    result = invoke(store, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == message.replace("error: ", "problem: ")
    assert stat_tree(store) == before


@pytest.mark.parametrize(
    "marker",
    [
        b"schema_version = 1\n",
        b"schema_version = 1",
        b"schema_version=1\n",
        b"schema_version = 1  # written by hand\n",
        b"\xef\xbb\xbfschema_version = 1\n",
        b"schema_version = 1\r\n",
        b"schema_version = 01\n",
        b"schema_version = 1_0\n",
        b"schema_version = 1\nschema_version = 1\n",
        b"schema_version = 99\n",
    ],
)
def test_the_marker_as_written_reads_as_toml_reads_it(tmp_path: Path, marker: bytes) -> None:
    # The marker clusterctl writes is read without the TOML parser: it must say what TOML says.
    root = tmp_path / "store"
    Store(root).add(make_call())
    (root / "clusterctl.toml").write_bytes(marker)
    try:
        expected: object = tomllib.loads(marker.decode("utf-8-sig"))["schema_version"]
    except tomllib.TOMLDecodeError:
        expected = StoreError
    try:
        got: object = marker_version(Layout(str(root)))
    except StoreError:
        got = StoreError
    assert got == expected
