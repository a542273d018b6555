"""Signatures (mtime, size, inode, ctime) packed 32 bytes each, and finding those that changed."""

from __future__ import annotations

import os
from array import array

import pytest

from clusterctl.store.signature import Recorded, differing


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
    assert differing(bytes(old), bytes(new), limit) == expected


def test_differing_counts_signatures_past_the_old_end_as_changed() -> None:
    old = os.urandom(32 * 10)
    assert differing(old, old + os.urandom(64), 5) == [10, 11]
    assert differing(old, old + os.urandom(32 * 6), 5) is None


def test_recorded_signatures_are_found_by_position_or_by_name() -> None:
    packed = array("q", [1, 2, 3, 4, 5, 6, 7, 8]).tobytes()
    same = Recorded(["A.toml", "B.toml"], packed, ["A.toml", "B.toml"])
    assert same.by_name == {} and same.get(1, "B.toml") == (5, 6, 7, 8)
    moved = Recorded(["A.toml", "B.toml"], packed, ["B.toml", "C.toml", "A.toml"])
    assert moved.get(0, "B.toml") == (5, 6, 7, 8) and moved.get(2, "A.toml") == (1, 2, 3, 4)
    assert moved.get(1, "C.toml") is None
    assert Recorded([], b"", ["A.toml"]).get(0, "A.toml") is None
