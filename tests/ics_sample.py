"""The calls tests/test_ics.py exports, in a module without pytest: a fresh interpreter that
exports them (to compare the bytes across processes) then skips pytest's import (~0.17 s)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from clusterctl.ics import calendar_bytes
from clusterctl.model import Call, Stage
from clusterctl.warn import DEFAULT_THRESHOLDS

BRU = ZoneInfo("Europe/Brussels")
AOE = ZoneInfo("Etc/GMT+12")
NOW = datetime(2018, 1, 15, 9, 30, tzinfo=UTC)
D = timedelta(days=1)


def call(call_id: str, zone: str, *stages: Stage, **kw) -> Call:
    title = kw.pop("title", f"Title of {call_id}")
    return Call(id=call_id, title=title, timezone=zone, stages=stages, **kw)


def two_stage() -> Call:
    c = call(
        "EU-TWO",
        "Europe/Brussels",
        Stage("Stage 1", datetime(2018, 4, 10, 17, 0, tzinfo=BRU)),
        Stage("Full proposal", datetime(2018, 9, 12, 17, 0, tzinfo=BRU)),
        programme="Horizon 2020",
        url="https://example.org/two",
        tags=("h2020", "innovation"),
    )
    c = c.extend(
        datetime(2018, 9, 19, 17, 0, tzinfo=BRU),
        recorded=datetime(2018, 8, 1, 10, 0, tzinfo=UTC),
        stage="Full proposal",
        reason="portal outage",
        source="https://example.org/news/1",
    )
    return c.extend(
        datetime(2018, 9, 26, 17, 0, tzinfo=BRU),
        recorded=datetime(2018, 9, 2, 8, 0, tzinfo=UTC),
        stage="Full proposal",
        reason="second outage",
    )


def sample_calls() -> list[Call]:
    return [
        call("WINTER-1", "Europe/Brussels", Stage("", datetime(2018, 3, 8, 17, 0, tzinfo=BRU))),
        call("SUMMER-1", "Europe/Brussels", Stage("", datetime(2018, 7, 5, 17, 0, tzinfo=BRU))),
        call("UTC-1", "UTC", Stage("", datetime(2018, 9, 1, 12, 0, tzinfo=ZoneInfo("UTC")))),
        call("AOE-1", "Etc/GMT+12", Stage("", datetime(2018, 10, 1, 23, 59, tzinfo=AOE))),
        two_stage(),
    ]


def export(calls=None, thresholds=DEFAULT_THRESHOLDS, now=NOW) -> bytes:
    return calendar_bytes(
        sample_calls() if calls is None else calls, thresholds=thresholds, now=now
    )
