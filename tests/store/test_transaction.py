"""A store's transaction (store/transaction.py): what it reads before it writes, and how it
encodes what it writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from clusterctl.model import Call
from clusterctl.store import Store, forkmap, transaction
from tests.store.helpers import call_files, make_call


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


def _import_into_empty(root: Path, calls: list[Call]) -> tuple[dict[str, bytes], dict]:
    """Write ``calls`` in one transaction into a new store: its files, and what the transaction
    knows of each for the cache (summary and digest: the signatures differ by store)."""
    store = Store(root, cache_dir=root.parent / f"{root.name}-cache")
    with store.transaction() as txn:
        for call in calls:
            txn.put(call)
    txn_written = {name: (summary, digest) for name, (summary, digest, _) in _taken(txn).items()}
    return call_files(store.root), txn_written


def _taken(txn: object) -> dict:
    return getattr(txn, "_taken", {})


@pytest.fixture
def remember_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep what each transaction handed to the cache on it, for the tests to compare."""
    real = transaction.Transaction.take_written

    def take_written(self: transaction.Transaction) -> dict:
        self._taken = real(self)  # type: ignore[attr-defined]
        return self._taken  # type: ignore[attr-defined]

    monkeypatch.setattr(transaction.Transaction, "take_written", take_written)
    monkeypatch.setattr("clusterctl.store.BULK_WRITE", 1)


def _calls(count: int) -> list[Call]:
    return [
        make_call(f"CALL-{n:04d}", title=f"Title {n}", note="é\n" * (n % 3)) for n in range(count)
    ]


def test_calls_encoded_by_a_worker_are_the_files_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remember_taken: None
) -> None:
    from clusterctl.store import journal

    threaded: list[int] = []
    real_threaded = journal._write_in_thread

    def write_in_thread(*args: Any) -> Any:
        threaded.append(len(threaded))
        return real_threaded(*args)

    monkeypatch.setattr(journal, "_write_in_thread", write_in_thread)
    calls = _calls(450)  # more than two batches of a worker, the last one short
    monkeypatch.setattr(forkmap, "workers", lambda: 1)
    alone = _import_into_empty(tmp_path / "alone", calls)
    assert threaded == [0]  # encoded here: written on a thread meanwhile
    monkeypatch.setattr(forkmap, "workers", lambda: 2)
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    encoded_by: set[int] = set()
    real = transaction._encoded

    def encoded(call: Call) -> tuple[bytes, bytes]:
        encoded_by.add(os.getpid())
        return real(call)

    monkeypatch.setattr(transaction, "_encoded", encoded)
    forked = _import_into_empty(tmp_path / "forked", calls)
    assert forked == alone and len(alone[0]) == 450 and len(alone[1]) == 450
    assert encoded_by == set()  # nothing was encoded in this process: all by the worker
    assert threaded == [0]  # and this thread wrote, the pipe bounding how far ahead it got


def test_a_worker_that_dies_while_encoding_leaves_the_rest_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remember_taken: None
) -> None:
    calls = _calls(450)
    monkeypatch.setattr(forkmap, "workers", lambda: 1)
    alone = _import_into_empty(tmp_path / "alone", calls)
    monkeypatch.setattr(forkmap, "workers", lambda: 2)
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    parent = os.getpid()
    real = transaction._encoded

    def encoded(call: Call) -> tuple[bytes, bytes]:
        if os.getpid() != parent and call.id == "CALL-0300":
            os._exit(9)  # killed mid-batch, as by the OOM killer
        return real(call)

    monkeypatch.setattr(transaction, "_encoded", encoded)
    assert _import_into_empty(tmp_path / "forked", calls) == alone


def test_a_call_too_large_found_by_the_worker_is_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clusterctl.errors import UsageError

    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    monkeypatch.setattr(forkmap, "workers", lambda: 2)
    monkeypatch.setattr("clusterctl.store.tomlfile.MAX_CALL_FILE_BYTES", 400)
    calls = _calls(300)
    calls[250] = calls[250].replace(note="n" * 300)
    store = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with (
        pytest.raises(UsageError, match=r"^call CALL-0250: too large to store \("),
        store.transaction() as txn,
    ):
        for call in calls:
            txn.put(call)
    assert not (tmp_path / "store").exists() or call_files(store.root) == {}
    assert not any(".tmp" in p.name for p in (tmp_path / "store").rglob("*"))
