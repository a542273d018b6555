"""Nothing remembered outlives the time zone data it was computed with (store/zonetag.py).

A call file keeps a deadline as a wall time and its zone. When the zone's rules change (new
zone data), the instant changes with them; the summary cache, warn's facts and the JSON
templates must follow, or warn would count down to an hour that is no longer the deadline.
"""

from __future__ import annotations

import os
import shutil
import zoneinfo
from pathlib import Path

import pytest

from clusterctl.store import zonetag
from tests.conftest import run


def _zone_file(key: str) -> Path:
    for base in zoneinfo.TZPATH:
        if (Path(base) / key).is_file():
            return Path(base) / key
    pytest.skip(f"no system zone data for {key} (zoneinfo.TZPATH {zoneinfo.TZPATH})")


def _zone_data(root: Path, brussels_from: str) -> Path:
    """A zone-data directory whose Europe/Brussels has the rules of ``brussels_from``."""
    (root / "Europe").mkdir(parents=True)
    shutil.copy(_zone_file(brussels_from), root / "Europe" / "Brussels")
    shutil.copy(_zone_file("UTC"), root / "UTC")
    return root


def test_the_tag_names_the_zone_data_in_use(tmp_path: Path) -> None:
    first = _zone_data(tmp_path / "a", "Europe/Brussels")
    second = _zone_data(tmp_path / "b", "Asia/Dubai")
    try:
        zoneinfo.reset_tzpath(to=[str(first)])
        tag = zonetag.zone_tag()
        assert tag == zonetag.zone_tag()
        zoneinfo.reset_tzpath(to=[str(second)])
        assert zonetag.zone_tag() != tag
    finally:
        zoneinfo.reset_tzpath()


def test_new_zone_data_moves_every_remembered_deadline(tmp_path: Path) -> None:
    old = _zone_data(tmp_path / "old", "Europe/Brussels")
    new = _zone_data(tmp_path / "new", "Asia/Dubai")  # Brussels at +04:00 from now on
    store = tmp_path / "store"
    env = {**os.environ, "CLUSTERCTL_CACHE_DIR": str(tmp_path / "cache")}

    def clusterctl(zones: Path, *args: str) -> str:
        done = run(store, *args, env={**env, "PYTHONTZPATH": str(zones)})
        assert done.returncode == 0, done.stderr
        return done.stdout

    clusterctl(old, "add", "X-1", "--title", "T", "-d", "2030-06-20 17:00", "--at", "2030-06-01")
    # Everything that is remembered is made with the old data: summaries, warn's facts, JSON.
    assert "17:00 CEST  in 1 day 6 h" in clusterctl(old, "warn", "-n", "--at", "2030-06-19T09:00Z")
    assert "17:00 CEST" in clusterctl(old, "calls", "--at", "2030-06-19T09:00Z")
    assert "+02:00" in clusterctl(old, "calls", "-f", "json", "--at", "2030-06-19T09:00Z")
    # 17:00 at +04:00 is 13:00 UTC: at 14:30 UTC the call has closed. Remembered from the old
    # data, it would still be open until 15:00 UTC, "in 30 min".
    at = "2030-06-20T14:30Z"
    assert clusterctl(new, "warn", "-n", "--thresholds", "2h,1h", "--at", at) == ""
    listed = clusterctl(new, "calls", "--all", "--at", at)
    assert "2030-06-20 17:00 UTC+04" in listed and "closed 1 h 30 min ago" in listed
    assert '"deadline": "2030-06-20T17:00:00+04:00"' in clusterctl(
        new, "calls", "--all", "-f", "json", "--at", at
    )
