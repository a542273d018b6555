"""The summary cache is a pickle in a directory other users may share: it must never run code,
never be trusted when someone else could have written it, and never write through a planted link.
"""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest

from clusterctl.store import Store
from clusterctl.store import cache as cache_module
from clusterctl.store.cache import CacheFile
from tests.cli.helpers import Cli, ok
from tests.store.helpers import make_call


class Planted:
    """What another user could plant: unpickling it creates ``marker`` (it could run anything)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    # Trust files written before the cache at once (the racy window is tested in test_cache.py).
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("CALL-1", title="The real title"))
    s.add(make_call("CALL-2", title="Another"))
    return s


def _fresh(s: Store) -> Store:
    return Store(s.root, cache_dir=s.cache_dir)


def _titles(s: Store) -> dict[str, str]:
    return {x.id: x.title for x in _fresh(s).summaries()}


def _cache_path(s: Store) -> Path:
    return Path(CacheFile.of(os.path.realpath(s.root), s.cache_dir).path)


def _doctored(s: Store, title: str) -> bytes:
    """The store's own valid cache with CALL-1's title changed: what a planter could write."""
    data = pickle.loads(_cache_path(s).read_bytes())
    fields = data["fields"]
    rows = [
        (row[0], title, *row[2:]) if row[0] == "CALL-1" else row
        for row in pickle.loads(fields["live_rows"])
    ]
    fields["live_rows"] = pickle.dumps(rows)
    return pickle.dumps(data)


def _plant(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.write_bytes(data)
    path.chmod(mode)


REAL = {"CALL-1": "The real title", "CALL-2": "Another"}


@pytest.mark.parametrize("where", ["whole file", "inside the rows"])
def test_a_planted_pickle_never_runs_and_the_listing_stays_right(
    store: Store, tmp_path: Path, where: str
) -> None:
    assert _titles(store) == REAL  # builds the cache
    marker = tmp_path / "pwned"
    path = _cache_path(store)
    if where == "whole file":
        _plant(path, pickle.dumps({"format": 4, "root": "x", "fields": Planted(marker)}))
    else:  # a cache that is valid in every respect but one of its pickled halves
        data = pickle.loads(path.read_bytes())
        data["fields"]["live_rows"] = pickle.dumps([Planted(marker)])
        _plant(path, pickle.dumps(data))
    assert _titles(store) == REAL
    assert _titles(store) == REAL  # and the rebuilt cache is sound
    assert not marker.exists()


def test_a_cache_file_we_did_not_write_alone_is_ignored(store: Store) -> None:
    assert _titles(store) == REAL
    path = _cache_path(store)
    doctored = _doctored(store, "PLANTED")
    _plant(path, doctored, 0o600)
    assert _titles(store)["CALL-1"] == "PLANTED"  # our own file is trusted, as it should be
    for mode in (0o620, 0o602, 0o666):  # writable by the group or by anyone
        _plant(path, doctored, mode)
        assert _titles(store) == REAL, oct(mode)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # rebuilt, for us alone


def test_a_cache_file_owned_by_another_user_is_ignored(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _titles(store) == REAL
    _plant(_cache_path(store), _doctored(store, "PLANTED"), 0o600)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(_cache_path(store)).st_uid + 1)
    assert _titles(store) == REAL


def test_the_cache_directory_and_file_are_private(store: Store) -> None:
    assert not Path(store.cache_dir).exists()  # type: ignore[arg-type]
    _titles(store)
    assert stat.S_IMODE(Path(store.cache_dir).stat().st_mode) == 0o700  # type: ignore[arg-type]
    assert stat.S_IMODE(_cache_path(store).stat().st_mode) == 0o600


def test_a_planted_link_is_replaced_not_written_through(store: Store, tmp_path: Path) -> None:
    victim = tmp_path / "precious"
    victim.write_text("keep me\n")
    Path(store.cache_dir).mkdir(mode=0o700)  # type: ignore[arg-type]
    _cache_path(store).symlink_to(victim)
    assert _titles(store) == REAL
    assert victim.read_text() == "keep me\n"
    assert not _cache_path(store).is_symlink()


def test_a_shared_cache_directory_from_the_command_line(
    cli: Cli, store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o1777)  # like /tmp: anyone may create files there
    monkeypatch.setenv("CLUSTERCTL_CACHE_DIR", str(shared))
    ok(cli("add", "CALL-1", "--title", "The real title", "-d", "2031-03-08"))
    marker = tmp_path / "pwned"
    path = Path(CacheFile.of(str(store_dir.resolve()), shared).path)
    _plant(path, pickle.dumps(Planted(marker)))
    assert ok(cli("calls", "--at", "2030-01-01")).splitlines()[1].startswith("CALL-1 ")
    assert not marker.exists()
