"""The index of the names in calls/ that spares ``add`` a listing of calls/ when it looks for an
id that differs only in case (clusterctl/store/idindex.py): used only while it is provably the
listing of calls/ as it is, and only when it is ours alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clusterctl.errors import ConflictError
from clusterctl.store import Store
from clusterctl.store import cache as cache_module
from clusterctl.store.idindex import IdIndex
from clusterctl.store.layout import Layout
from tests.store.helpers import make_call


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    # calls/ counts as settled at once (the racy window is tested below with its real length).
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("OK"))
    s.add(make_call("OTHER-1"))
    return s


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every listing of calls/ from now on, by the store's path."""
    seen: list[str] = []
    real = Layout.call_names

    def counted(layout: Layout) -> list[str]:
        seen.append(str(layout.root))
        return real(layout)

    monkeypatch.setattr(Layout, "call_names", counted)
    return seen


def fresh(s: Store) -> Store:
    return Store(s.root, cache_dir=s.cache_dir)


def index_path(s: Store) -> Path:
    return Path(IdIndex.of(os.path.realpath(s.root), s.cache_dir).path)


def test_after_a_listing_add_finds_a_twin_without_listing_calls(
    store: Store, listings: list[str]
) -> None:
    fresh(store).summaries()
    del listings[:]
    with pytest.raises(ConflictError, match=r"^a call with id 'OK' already exists; 'Ok' differs"):
        fresh(store).add(make_call("Ok"))
    fresh(store).add(make_call("NEW-1"))
    assert listings == []


def test_a_changed_calls_directory_is_listed_again(store: Store, listings: list[str]) -> None:
    fresh(store).summaries()
    (Path(store.calls_dir) / "ok.toml").write_bytes(
        Path(store.call_path("OK")).read_bytes().replace(b'"OK"', b'"ok"')
    )  # a git pull
    del listings[:]
    with pytest.raises(ConflictError, match=r"^a call with id 'OK' already exists; 'oK'"):
        fresh(store).add(make_call("oK"))
    assert listings == [str(store.root)]


def test_a_listing_right_after_a_change_is_not_trusted(
    store: Store, listings: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 3.0)
    fresh(store).summaries()  # calls/ changed less than 3 s ago (the adds of the fixture)
    del listings[:]
    fresh(store).add(make_call("NEW-1"))
    assert listings == [str(store.root)]


@pytest.mark.parametrize("how", ["group-writable", "another owner"])
def test_an_index_we_did_not_write_alone_is_ignored(
    store: Store, listings: list[str], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    fresh(store).summaries()
    path = index_path(store)
    path.write_bytes(path.read_bytes().replace(b"\nOK.toml\n", b"\nXX.toml\n"))  # hides OK
    if how == "group-writable":
        path.chmod(0o620)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: path.stat().st_uid + 1)
    del listings[:]
    with pytest.raises(ConflictError, match=r"^a call with id 'OK' already exists"):
        fresh(store).add(make_call("Ok"))
    assert listings == [str(store.root)]


def test_the_index_is_rewritten_only_when_calls_changed(store: Store) -> None:
    fresh(store).summaries()
    path = index_path(store)
    written = path.stat().st_mtime_ns, path.stat().st_ino
    fresh(store).summaries()
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == written
    store.add(make_call("NEW-1"))
    fresh(store).summaries()
    assert path.stat().st_ino != written[1]
    assert b"\nNEW-1.toml\n" in path.read_bytes()


def test_a_change_to_an_existing_call_never_lists_calls(
    store: Store, listings: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 3.0)  # no index to be trusted
    store.update("OK", lambda call: call)
    store.add(make_call("OTHER-1", title="Replaced"), replace=True)
    assert listings == []


def test_a_listing_reads_the_index_while_calls_is_unchanged(
    store: Store, listings: list[str]
) -> None:
    fresh(store).summaries()
    del listings[:]
    assert sorted(s.id for s in fresh(store).summaries()) == ["OK", "OTHER-1"]
    assert listings == []
    # A file put there by hand (git pull, cp) changes calls/: it is listed, and found.
    text = Path(store.call_path("OK")).read_text()
    Path(store.call_path("HAND-1")).write_text(text.replace('"OK"', '"HAND-1"'))
    assert sorted(s.id for s in fresh(store).summaries()) == ["HAND-1", "OK", "OTHER-1"]
    assert listings == [str(store.root)]
    # A file removed by hand likewise.
    Path(store.call_path("OTHER-1")).unlink()
    assert sorted(s.id for s in fresh(store).summaries()) == ["HAND-1", "OK"]


def test_an_export_lists_calls_once_and_leaves_the_names_for_the_next(
    store: Store, listings: list[str]
) -> None:
    from clusterctl.jsontext import KIND, call_template

    def export(s: Store) -> list[str]:
        return sorted(call_id for call_id, _ in s.derive_every(KIND, call_template, unreadable=[]))

    index_path(store).unlink(missing_ok=True)
    assert export(fresh(store)) == ["OK", "OTHER-1"]
    assert listings == [str(store.root)]
    assert export(fresh(store)) == ["OK", "OTHER-1"]  # an export, or anything else, after it
    assert sorted(s.id for s in fresh(store).summaries()) == ["OK", "OTHER-1"]
    assert listings == [str(store.root)]
    text = Path(store.call_path("OK")).read_text()  # a file put there by hand: listed again
    Path(store.call_path("HAND-1")).write_text(text.replace('"OK"', '"HAND-1"'))
    assert export(fresh(store)) == ["HAND-1", "OK", "OTHER-1"]
    assert listings == [str(store.root)] * 2


def test_a_name_with_a_line_break_keeps_calls_from_being_indexed(
    store: Store, listings: list[str]
) -> None:
    # Not an id, and never to be dropped from a listing by an index that cannot hold it.
    odd = Path(store.root) / "calls" / "TWO\nLINES.toml"
    odd.write_text("not a call")
    unreadable: list = []
    assert [s.id for s in fresh(store).summaries(unreadable=unreadable)] != []
    assert [os.path.basename(u.path) for u in unreadable] == ["TWO\nLINES.toml"]
    again: list = []
    fresh(store).summaries(unreadable=again)
    assert [os.path.basename(u.path) for u in again] == ["TWO\nLINES.toml"]
    assert len(listings) == 2  # listed both times: nothing was indexed


def test_an_index_of_the_earlier_format_is_not_trusted(store: Store) -> None:
    # Version 1 left out names with a line break; a listing now reads the index.
    fresh(store).summaries()
    path = index_path(store)
    raw = path.read_bytes()
    assert raw.startswith(b"clusterctl-ids 2 ")
    path.write_bytes(raw.replace(b"clusterctl-ids 2 ", b"clusterctl-ids 1 ", 1))
    index = IdIndex.of(os.path.realpath(store.root), store.cache_dir)
    from clusterctl.store.idindex import signature

    assert index.name_list(signature(Path(store.root) / "calls")) is None
