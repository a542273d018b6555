"""A store's transaction (store/transaction.py): what it reads before it writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clusterctl.model import Call
from clusterctl.store import Store
from tests.store.helpers import make_call


def test_a_transaction_into_an_empty_store_looks_for_no_call_file(
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
    assert opened == []
    with store.transaction() as txn:  # no longer empty: each is looked for
        assert txn.find("NEW-1") is not None and txn.find("NEW-2") is None
    assert opened == ["NEW-1.toml", "NEW-2.toml"]
