"""clusterctl.store.Store on real files: absent stores, the first change, staged changes.

Everything in tests/store/ runs against real directories in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterctl.errors import ConflictError, NotFoundError, StoreError
from clusterctl.store import GITIGNORE, Store
from tests.store.helpers import call_files, make_call, temp_files, tree


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
