"""Tests for clusterctl.timefmt: moments and time left as people read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from clusterctl.timefmt import format_moment, format_relative, format_time_left
from clusterctl.timeparse import add_calendar, to_iso, to_storage

BXL = "Europe/Brussels"
BRUSSELS = ZoneInfo(BXL)


def utc(text: str) -> datetime:
    """'2018-03-08T16:00' -> that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def in_zone(text: str, zone: str = BXL) -> datetime:
    """A moment given as an unambiguous ISO string with offset, shown in ``zone``."""
    return datetime.fromisoformat(text).astimezone(ZoneInfo(zone))


# --- time left --------------------------------------------------------------------------------

DEADLINE = in_zone("2026-03-29T17:00+02:00")  # the day Brussels springs forward


def before(delta: timedelta) -> datetime:
    """The Brussels moment exactly ``delta`` of elapsed time before DEADLINE.

    (``DEADLINE - delta`` would be wall-clock arithmetic: Python ignores DST when both sides
    share a tzinfo, which is the very mistake these tests guard against.)
    """
    return (DEADLINE.astimezone(UTC) - delta).astimezone(BRUSSELS)


def after(delta: timedelta) -> datetime:
    """The Brussels moment exactly ``delta`` of elapsed time after DEADLINE."""
    return (DEADLINE.astimezone(UTC) + delta).astimezone(BRUSSELS)


TIME_LEFT = [
    # (now, expected)
    (DEADLINE, "closed just now"),
    (after(timedelta(seconds=59)), "closed just now"),
    (after(timedelta(minutes=1)), "closed 1 min ago"),
    (after(timedelta(hours=3, minutes=10)), "closed 3 h 10 min ago"),
    (after(timedelta(hours=3)), "closed 3 h ago"),
    (after(timedelta(days=1)), "closed 1 day ago"),
    (after(timedelta(days=2, hours=4, minutes=59)), "closed 2 days 4 h ago"),
    (before(timedelta(seconds=1)), "in under a minute"),
    (before(timedelta(seconds=59)), "in under a minute"),
    (before(timedelta(minutes=45)), "in 45 min"),
    (before(timedelta(minutes=45, seconds=59)), "in 45 min"),
    (before(timedelta(hours=1, minutes=5)), "in 1 h 5 min"),
    (before(timedelta(hours=1)), "in 1 h"),
    (before(timedelta(days=1)), "in 1 day"),
    (before(timedelta(days=2, hours=3)), "in 2 days 3 h"),
    (before(timedelta(days=6, minutes=30)), "in 6 days"),
    (before(timedelta(days=30)), "in 30 days"),
    # Across the change, with both moments in Brussels: 17:00 the day before is 23 h earlier.
    (in_zone("2026-03-28T17:00+01:00"), "in 23 h"),
    (in_zone("2026-03-28T17:00+01:00").astimezone(UTC), "in 23 h"),
    (in_zone("2026-03-22T17:00+01:00"), "in 6 days 23 h"),
]


@pytest.mark.parametrize(("now", "expected"), TIME_LEFT)
def test_format_time_left(now: datetime, expected: str) -> None:
    assert format_time_left(DEADLINE, now) == expected


def test_format_time_left_across_fall_back() -> None:
    deadline = in_zone("2026-10-25T17:00+01:00")
    assert format_time_left(deadline, in_zone("2026-10-24T17:00+02:00")) == "in 1 day 1 h"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (before(timedelta(days=3)), "in 3 days"),
        (after(timedelta(days=3)), "3 days ago"),
        (after(timedelta(days=1, hours=1)), "1 day 1 h ago"),
        (before(timedelta(seconds=10)), "in under a minute"),
        (DEADLINE, "just now"),
        (after(timedelta(seconds=30)), "just now"),
        (after(timedelta(minutes=2)), "2 min ago"),
        (in_zone("2026-03-28T17:00+01:00"), "in 23 h"),
    ],
)
def test_format_relative(now: datetime, expected: str) -> None:
    assert format_relative(DEADLINE, now) == expected


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 1, 1)
    for call in (
        lambda: format_time_left(naive, DEADLINE),
        lambda: format_relative(DEADLINE, naive),
        lambda: format_moment(naive),
        lambda: to_iso(naive),
        lambda: to_storage(naive),
        lambda: add_calendar(naive, timedelta(days=1)),
    ):
        with pytest.raises(ValueError):
            call()


# --- format_moment ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (in_zone("2018-03-08T17:00+01:00"), None, "2018-03-08 17:00 CET"),
        (in_zone("2026-07-08T17:00+02:00"), None, "2026-07-08 17:00 CEST"),
        (in_zone("2018-03-08T17:00:30+01:00"), None, "2018-03-08 17:00:30 CET"),
        (utc("2027-02-01T12:00"), None, "2027-02-01 12:00 UTC"),
        (in_zone("2027-02-01T12:00Z", "UTC"), None, "2027-02-01 12:00 UTC"),
        (in_zone("2027-03-12T23:59-12:00", "Etc/GMT+12"), None, "2027-03-12 23:59 AoE"),
        (in_zone("2018-03-08T17:00+01:00"), "AoE", "2018-03-08 04:00 AoE"),
        (in_zone("2018-03-08T17:00+01:00"), "UTC", "2018-03-08 16:00 UTC"),
        # the viewer's zone
        (in_zone("2018-03-08T17:00+01:00"), "Europe/Lisbon", "2018-03-08 16:00 WET"),
        (in_zone("2026-07-08T17:00+02:00"), "Europe/Lisbon", "2026-07-08 16:00 WEST"),
        (in_zone("2018-03-08T17:00+01:00"), "Europe/Helsinki", "2018-03-08 18:00 EET"),
        (in_zone("2026-07-08T17:00+02:00"), "Europe/Helsinki", "2026-07-08 18:00 EEST"),
        (in_zone("2026-07-08T17:00+02:00"), "America/St_Johns", "2026-07-08 12:30 NDT"),
        # zones without an abbreviation
        (in_zone("2026-07-08T17:00+02:00"), "Asia/Dubai", "2026-07-08 19:00 UTC+04"),
        (in_zone("2026-07-08T17:00+02:00"), "Asia/Kathmandu", "2026-07-08 20:45 UTC+05:45"),
        (in_zone("2026-07-08T17:00+02:00"), "America/Sao_Paulo", "2026-07-08 12:00 UTC-03"),
        (
            datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=3))),
            None,
            "2026-01-01 00:00 UTC+03",
        ),
    ],
)
def test_format_moment(moment: datetime, zone: str | None, expected: str) -> None:
    assert format_moment(moment, zone) == expected
