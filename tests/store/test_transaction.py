"""A store's transaction (store/transaction.py): what it reads before it writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clusterctl.model import Call
from clusterctl.store import Store
from tests.store.helpers import make_call


def test_a_transaction_into_an_empty_store_looks_for_one_call_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clusterctl.store import transaction

    opened: list[str] = []
    real_read = transaction.read_call

    def read_call(path: str) -> Call:
        opened.append(os.path.basename(path))
        return real_read(path)

    monkeypatch.setattr(transaction, "read_call", read_call)
    store = Store(tmp_path / "store")
    with store.transaction() as txn:  # as an import plans: is each call there already?
        assert [txn.find(f"NEW-{n}") for n in range(3)] == [None, None, None]
        txn.put(make_call("NEW-1", title="staged"))
        assert txn.get("NEW-1").title == "staged"
    assert opened == ["NEW-0.toml"]  # the first, then calls/ was found empty
    listed: list[str] = []
    real_has_entries = transaction.has_entries

    def has_entries(directory: str) -> bool:
        listed.append(directory)
        return real_has_entries(directory)

    monkeypatch.setattr(transaction, "has_entries", has_entries)
    opened.clear()
    with store.transaction() as txn:  # a change to a call that is there lists nothing
        assert txn.get("NEW-1").title == "staged"
    assert listed == []
    with store.transaction() as txn:  # no longer empty: each is looked for
        assert txn.find("NEW-1") is not None and txn.find("NEW-2") is None
        assert txn.find("NEW-3") is None
    assert opened == ["NEW-1.toml", "NEW-1.toml", "NEW-2.toml", "NEW-3.toml"]
    assert len(listed) == 1
