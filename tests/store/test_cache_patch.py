"""A listing reads the few files changed since the summary cache was saved on top of it, and
leaves the cache as it is: the first listing after a single ``extend`` or ``add`` at 100,000
calls no longer re-pickles the live half. More changes than ``cache.patch_limit`` rebuild it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clusterctl.store import Store, Unreadable, tomlfile
from clusterctl.store import cache as cache_module
from tests.store.helpers import make_call


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = tomlfile.read_call

    def spy(path: str):  # the store's paths are strings
        parsed.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(tomlfile, "read_call", spy)
    return parsed


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Twenty calls, every file older than the cache (no racy entries), the cache saved."""
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0.0)
    # One per thousand calls; a limit of 16 lets twenty calls stand for 16,000.
    monkeypatch.setattr(cache_module, "patch_limit", lambda files: 16)
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    with s.transaction() as txn:
        for n in range(20):
            txn.put(make_call(f"CALL-{n:02d}", title=f"Title {n}"))
    fresh(s).summaries()
    return s


def fresh(s: Store) -> Store:
    return Store(s.root, cache_dir=s.cache_dir)


def cache_bytes(s: Store) -> bytes:
    (path,) = Path(s.cache_dir).glob("summaries-*.pickle")
    return path.read_bytes()


def titles(s: Store, unreadable: list[Unreadable] | None = None) -> dict[str, str]:
    return {x.id: x.title for x in fresh(s).summaries(unreadable=unreadable)}


def test_single_writes_are_read_on_top_of_the_cache_which_is_left_alone(
    saved: Store, parses: list[str]
) -> None:
    before = cache_bytes(saved)
    saved.update("CALL-03", lambda c: c.replace(title="Changed"))
    saved.add(make_call("NEW-1", title="New"))
    saved.remove("CALL-07")
    parses.clear()
    for _ in range(2):  # every listing reads them until the cache is saved again
        seen = titles(saved)
        assert seen["CALL-03"] == "Changed" and seen["NEW-1"] == "New" and "CALL-07" not in seen
        assert len(seen) == 20
    assert sorted(parses) == ["CALL-03.toml", "CALL-03.toml", "NEW-1.toml", "NEW-1.toml"]
    assert cache_bytes(saved) == before


def test_more_changes_than_the_limit_rebuild_and_save_the_cache(
    saved: Store, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "patch_limit", lambda files: 2)
    before = cache_bytes(saved)
    for n in (1, 2, 3):
        saved.update(f"CALL-0{n}", lambda c: c.replace(title="Changed"))
    parses.clear()
    assert [t for t in titles(saved).values() if t == "Changed"] == ["Changed"] * 3
    assert sorted(parses) == ["CALL-01.toml", "CALL-02.toml", "CALL-03.toml"]
    assert cache_bytes(saved) != before
    parses.clear()
    titles(saved)
    assert parses == []  # the rebuilt cache holds them


def test_a_file_broken_and_mended_by_hand_is_reported_then_read(saved: Store) -> None:
    path = Path(saved.call_path("CALL-05"))
    good = path.read_text()
    path.write_text("id = 'CALL-05'\ntitle = \n")
    unreadable: list[Unreadable] = []
    seen = titles(saved, unreadable)
    assert "CALL-05" not in seen and len(seen) == 19
    assert [os.path.basename(u.path) for u in unreadable] == ["CALL-05.toml"]
    path.write_text(good.replace("Title 5", "Mended"))
    unreadable.clear()
    assert titles(saved, unreadable)["CALL-05"] == "Mended" and unreadable == []


def test_a_file_removed_by_hand_is_not_read(saved: Store, parses: list[str]) -> None:
    Path(saved.call_path("CALL-11")).unlink()
    parses.clear()
    assert "CALL-11" not in titles(saved) and parses == []


def test_a_writer_takes_in_what_listings_read_on_top_of_the_cache(
    saved: Store, parses: list[str]
) -> None:
    saved.update("CALL-03", lambda c: c.replace(title="Changed"))
    titles(saved)  # read on top of the cache, which still holds the old CALL-03
    with saved.transaction() as txn:  # a bulk write updates the cache, CALL-03 read again
        for n in range(100):
            txn.put(make_call(f"BULK-{n:03d}", title=f"Bulk {n}"))
    parses.clear()
    seen = titles(saved)
    assert seen["CALL-03"] == "Changed" and len(seen) == 120 and parses == []


@pytest.mark.parametrize(
    ("changed", "limit", "expected"),
    [
        ([], 5, []),
        ([0, 511, 512, 99_999], 5, [0, 511, 512, 99_999]),
        ([3, 4, 5], 2, None),
    ],
)
def test_differing_finds_each_changed_signature(
    changed: list[int], limit: int, expected: list[int] | None
) -> None:
    old = bytearray(os.urandom(32 * 100_000))
    new = bytearray(old)
    for n in changed:
        new[32 * n + 31] ^= 0xFF
    assert cache_module._differing(bytes(old), bytes(new), limit) == expected


def test_differing_counts_signatures_past_the_old_end_as_changed() -> None:
    old = os.urandom(32 * 10)
    assert cache_module._differing(old, old + os.urandom(64), 5) == [10, 11]
    assert cache_module._differing(old, old + os.urandom(32 * 6), 5) is None


def test_the_limit_is_one_changed_file_per_thousand_calls() -> None:
    assert [cache_module.patch_limit(n) for n in (999, 1000, 10_000, 100_000)] == [0, 1, 10, 100]
