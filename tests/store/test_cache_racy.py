"""Racy cache entries (files changed close to the cache's stamp) are checked by content, one by
one, and writers keep the cache warm: a listing right after a change parses no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterctl.model import Call
from clusterctl.store import Store, tomlfile
from clusterctl.store import cache as cache_module
from tests.store.helpers import make_call


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = tomlfile.read_call

    def spy(path: Path) -> Call:
        parsed.append(path.name)
        return real(path)

    monkeypatch.setattr(tomlfile, "read_call", spy)
    return parsed


def fresh(s: Store) -> Store:
    return Store(s.root, cache_dir=s.cache_dir)


def test_racy_entries_are_checked_by_content_not_parsed(tmp_path: Path, parses: list[str]) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    for n in (1, 2, 3):
        s.add(make_call(f"CALL-{n}", title=f"Title {n}"))
    fresh(s).summaries()
    parses.clear()
    # Every file is within RACY_SECONDS of the cache's stamp: racy, yet none is parsed.
    assert sorted(x.title for x in fresh(s).summaries()) == ["Title 1", "Title 2", "Title 3"]
    assert parses == []
    # A racy file that changed is parsed again, and only that one.
    path = s.call_path("CALL-2")
    path.write_text(path.read_text().replace("Title 2", "Title X"))
    assert sorted(x.title for x in fresh(s).summaries()) == ["Title 1", "Title 3", "Title X"]
    assert parses == ["CALL-2.toml"]


def test_a_racy_entry_becomes_trusted_once_a_later_run_restamps_the_cache(
    tmp_path: Path, parses: list[str]
) -> None:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    s.add(make_call("CALL-1"))
    fresh(s).summaries()
    parses.clear()
    later = Store(s.root, cache_dir=s.cache_dir, clock=lambda: 2**62)
    later.summaries()  # checked by content, then saved stamped later: no longer racy
    (entry,) = (tmp_path / "cache").glob("summaries-*.pickle")
    cache = cache_module.CacheFile(entry, str(s.root.resolve())).load()
    assert cache is not None and cache.digests == {} and cache.built_ns == 2**62
    assert parses == []
