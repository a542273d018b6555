"""Tests for clusterctl.timeparse: reading and storing moments, and durations."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tomllib
import warnings
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterctl.errors import TimeParseError, UsageError
from clusterctl.limits import YEAR_RANGE
from clusterctl.timefmt import format_duration, format_moment, format_time_left
from clusterctl.timeparse import (
    add_calendar,
    from_storage,
    offset_mismatch,
    parse_duration,
    parse_moment,
    parse_now,
    parse_thresholds,
    to_iso,
    to_storage,
)
from clusterctl.zones import get_zone

BXL = "Europe/Brussels"
BRUSSELS = ZoneInfo(BXL)


def utc(text: str) -> datetime:
    """'2018-03-08T16:00' -> that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def in_zone(text: str, zone: str = BXL) -> datetime:
    """A moment given as an unambiguous ISO string with offset, shown in ``zone``."""
    return datetime.fromisoformat(text).astimezone(ZoneInfo(zone))


# --- parse_moment: accepted forms -------------------------------------------------------------

# (text, call zone, exact instant in UTC, wall time + offset in the call's zone)
ACCEPTED = [
    # The ESCP-S3 deadline as the call text gives it.
    ("8 March 2018, 17:00h Brussels time", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    (
        "8 March 2018, 17:00:00 (Brussels time)",
        BXL,
        "2018-03-08T16:00",
        "2018-03-08T17:00:00+01:00",
    ),
    ("8 March 2018 17:00 brussels TIME", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("08/03/2018 17:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8.3.2018 17:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8-3-2018 17:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17:00 CET", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17:00 (CET)", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17:00 cet", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17:00 CET time", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    (
        "8 March 2018 17:00 Central European Time",
        BXL,
        "2018-03-08T16:00",
        "2018-03-08T17:00:00+01:00",
    ),
    ("Thursday 8 March 2018 17:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8th of March 2018 at 17:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("March 8, 2018 5:00 pm", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 5pm", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 5 p.m.", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17h", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17h00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17.00h", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 Mar 2018 17:00 +01:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 18:00+0200", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 18:00 UTC+2", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 17:00:30", BXL, "2018-03-08T16:00:30", "2018-03-08T17:00:30+01:00"),
    ("8 March 2018 17:00:30.75", BXL, "2018-03-08T16:00:30", "2018-03-08T17:00:30+01:00"),
    # A bare written-out date closes at 17:00 in the call's zone (summer time from 26 March 2017).
    ("31 March 2017", BXL, "2017-03-31T15:00", "2017-03-31T17:00:00+02:00"),
    ("8 March 2018", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("17:00 CEST 8 July 2026", BXL, "2026-07-08T15:00", "2026-07-08T17:00:00+02:00"),
    (
        "8 July 2026 17:00 Central European Summer Time",
        BXL,
        "2026-07-08T15:00",
        "2026-07-08T17:00:00+02:00",
    ),
    ("1 Feb 2027 12:00 UTC", BXL, "2027-02-01T12:00", "2027-02-01T13:00:00+01:00"),
    ("1 Feb 2027 12:00 GMT", BXL, "2027-02-01T12:00", "2027-02-01T13:00:00+01:00"),
    ("1 Feb 2027 12:00Z", BXL, "2027-02-01T12:00", "2027-02-01T13:00:00+01:00"),
    ("12 March 2027 23:59 AoE", BXL, "2027-03-13T11:59", "2027-03-13T12:59:00+01:00"),
    (
        "12 March 2027 23:59 (Anywhere on Earth)",
        BXL,
        "2027-03-13T11:59",
        "2027-03-13T12:59:00+01:00",
    ),
    ("8 March 2018 17:00 Lisbon time", BXL, "2018-03-08T17:00", "2018-03-08T18:00:00+01:00"),
    ("8 March 2018 12:00 New York time", BXL, "2018-03-08T17:00", "2018-03-08T18:00:00+01:00"),
    ("8 March 2018 17:00 Zurich time", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("8 March 2018 23:00 Ho Chi Minh time", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    # The fall-back fold is resolved by the abbreviation.
    ("25 October 2026 02:30 CEST", BXL, "2026-10-25T00:30", "2026-10-25T02:30:00+02:00"),
    ("25 October 2026 02:30 CET", BXL, "2026-10-25T01:30", "2026-10-25T02:30:00+01:00"),
    # ISO 8601, read strictly: '2026-07-01' is 1 July, never 7 January.
    ("2026-07-01", BXL, "2026-07-01T15:00", "2026-07-01T17:00:00+02:00"),
    ("2018-03-08", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("  2018-03-08  ", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08T17:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08 17:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08T17:00:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08T17:00:45.123456", BXL, "2018-03-08T16:00:45", "2018-03-08T17:00:45+01:00"),
    ("2018-03-08T17:00+01:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08T17:00:00+01:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08T16:00Z", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08 16:00Z", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    ("2018-03-08T12:00-04:00", BXL, "2018-03-08T16:00", "2018-03-08T17:00:00+01:00"),
    # An offset given with an ISO time is an exact instant, converted into the call's zone.
    ("2026-07-01T17:00+01:00", BXL, "2026-07-01T16:00", "2026-07-01T18:00:00+02:00"),
    ("2026-10-25T02:30+01:00", BXL, "2026-10-25T01:30", "2026-10-25T02:30:00+01:00"),
    ("2026-10-25T02:30+02:00", BXL, "2026-10-25T00:30", "2026-10-25T02:30:00+02:00"),
    # Other call zones.
    ("2027-03-12", "AoE", "2027-03-13T05:00", "2027-03-12T17:00:00-12:00"),
    ("12 March 2027 23:59", "aoe", "2027-03-13T11:59", "2027-03-12T23:59:00-12:00"),
    ("8 March 2018 17:00 CET", "Europe/Lisbon", "2018-03-08T16:00", "2018-03-08T16:00:00+00:00"),
    ("2026-07-01", "America/St_Johns", "2026-07-01T19:30", "2026-07-01T17:00:00-02:30"),
    ("2026-07-01", "Asia/Kathmandu", "2026-07-01T11:15", "2026-07-01T17:00:00+05:45"),
    ("2026-07-01", "UTC", "2026-07-01T17:00", "2026-07-01T17:00:00+00:00"),
    ("8 March 2018, 17:00h Brussels time", "UTC", "2018-03-08T16:00", "2018-03-08T16:00:00+00:00"),
]


@pytest.mark.parametrize(("text", "zone", "instant", "wall"), ACCEPTED)
def test_parse_moment_accepts(text: str, zone: str, instant: str, wall: str) -> None:
    result = parse_moment(text, zone)
    assert result.astimezone(UTC) == utc(instant)
    assert to_iso(result) == wall
    assert result.tzinfo is get_zone(zone)
    assert result.microsecond == 0


def test_escp_s3_deadline_exactly() -> None:
    deadline = parse_moment("8 March 2018, 17:00h Brussels time", BXL)
    assert deadline == datetime(2018, 3, 8, 16, 0, tzinfo=UTC)
    assert format_moment(deadline) == "2018-03-08 17:00 CET"


@pytest.mark.parametrize(
    ("text", "zone", "instant"),
    [
        ("2018-03-08", BXL, "2018-03-08T16:00"),  # winter: UTC+1
        ("2026-07-01", BXL, "2026-07-01T15:00"),  # summer: UTC+2
        ("8 March 2018", BXL, "2018-03-08T16:00"),
        ("1 July 2026", BXL, "2026-07-01T15:00"),
    ],
)
def test_bare_date_is_1700_in_the_call_zone(text: str, zone: str, instant: str) -> None:
    assert parse_moment(text, zone).astimezone(UTC) == utc(instant)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01", date(2026, 7, 1)),  # dateutil with dayfirst would say 7 January
        ("2026-01-07", date(2026, 1, 7)),
        ("08/03/2018", date(2018, 3, 8)),  # day first: 8 March, not 3 August
        ("03/08/2018", date(2018, 8, 3)),
        ("13/03/2018", date(2018, 3, 13)),
    ],
)
def test_dayfirst_trap(text: str, expected: date) -> None:
    assert parse_moment(text, BXL).date() == expected


def test_default_time() -> None:
    noon = parse_moment("2018-03-08", BXL, default_time=time(12, 0))
    assert to_iso(noon) == "2018-03-08T12:00:00+01:00"
    with pytest.raises(TimeParseError, match="gives no time of day"):
        parse_moment("2018-03-08", BXL, default_time=None)
    with pytest.raises(TimeParseError, match="gives no time of day"):
        parse_moment("8 March 2018", BXL, default_time=None)
    assert to_iso(parse_moment("2018-03-08T09:00", BXL, default_time=None)) == (
        "2018-03-08T09:00:00+01:00"
    )


# --- parse_moment: refusals -------------------------------------------------------------------

REFUSED = [
    ("", "empty date/time"),
    ("   ", "empty date/time"),
    # impossible dates
    ("31 February 2018", "is not a valid date: day is out of range for month"),
    ("2018-02-31", "is not a valid date: day is out of range for month"),
    ("2018-02-29", "is not a valid date"),
    ("30/02/2020", "is not a valid date"),
    ("8 March 2018 25:00", "is not a valid time: hour must be in 0..23"),
    ("8 March 2018 17:61", "is not a valid time: minute must be in 0..59"),
    ("2018-03-08T24:00", "is not a valid date"),
    # two-digit years
    ("08/03/18", "two-digit year"),
    ("8 March 18", "two-digit year"),
    ("8 March 18 17:00", "two-digit year"),
    # no date at all
    ("17:00", "gives no date"),
    ("tomorrow", "cannot read"),
    ("now", "cannot read"),
    ("hello", "cannot read"),
    ("next Friday", "cannot read"),
    ("Deadline is 8 March 2018", "cannot read"),  # no fuzzy parsing
    # parts dateutil would fill in from today
    ("March 2018", "gives no day"),
    ("8 March", "gives no year"),
    ("8 March 17:00", "gives no year"),
    ("Friday March 2018", "gives no day"),
    ("2018", "gives no month or day"),
    ("8 March 2018 30m", "minutes but no hour"),
    ("March Friday 2026", "gives no day"),
    ("8 March 2018 12", "write the time with a colon"),
    ("March 2026 CET7", "cannot read"),
    # spring-forward gap and fall-back fold in Brussels
    ("2026-03-29 02:30", "2026-03-29 02:30 does not exist in Europe/Brussels (clocks go forward)"),
    ("29 March 2026 02:30", "does not exist in Europe/Brussels (clocks go forward)"),
    (
        "2026-10-25 02:30",
        "2026-10-25 02:30 is ambiguous in Europe/Brussels (clocks go back); "
        "add the offset, e.g. +01:00 or +02:00",
    ),
    ("25 October 2026 02:30", "is ambiguous in Europe/Brussels (clocks go back)"),
    ("25 October 2026 02:30 Brussels time", "is ambiguous in Europe/Brussels"),
    # CET/CEST checked against the date
    ("15 January 2027 17:00 CEST", "CEST is not in force on 2027-01-15 17:00 in Brussels; use CET"),
    ("8 July 2026 17:00 CET", "CET is not in force on 2026-07-08 17:00 in Brussels; use CEST"),
    ("29 March 2026 02:30 CET", "CET is not in force on 2026-03-29 02:30 in Brussels"),
    ("15 January 2027 CEST", "CEST is not in force on 2027-01-15 17:00 in Brussels; use CET"),
    # zones other than the ones we know
    ("8 March 2018 17:00 EST", "unknown time zone 'EST'"),
    ("8 March 2018 17:00 PST", "unknown time zone 'PST'"),
    ("8 March 2018 17:00 Pacific time", "unknown time zone 'Pacific time'"),
    ("8 March 2018 17:00 local time", "unknown time zone 'local time'"),
    ("8 March 2018 17:00 Europe/Brussels", "cannot read"),
    ("8 March 2018 17:00 -1", "cannot read the UTC offset"),
    ("8 March 2018 17:00 CET Brussels time", "more than one time zone"),
    ("8 March 2018 17:00 UTC CET", "more than one time zone"),
    ("8 March 2018 17:00 UTC+25", "impossible UTC offset"),
    # ISO-looking text is never handed to dateutil
    ("2018-03-08 17:00 CET", "zone names are not read after an ISO date"),
    ("2018-03-08T17:00 Brussels time", "zone names are not read after an ISO date"),
    ("2026/07/01", "is not a valid ISO 8601 date-time"),
    ("2026-7-1", "is not a valid ISO 8601 date-time"),
    ("2026.07.01", "is not a valid ISO 8601 date-time"),
    ("20180308", "is not a valid ISO 8601 date-time"),
    ("2018-03-08T", "is not a valid ISO 8601 date-time"),
    ("8 March 2018 17:00 Zürich time", "unknown time zone 'Zürich time'"),
    ("2018-03-08T17:00+01:00 extra", "is not a valid ISO 8601 date-time"),
    # numeric dates must be day/month/year
    ("3/13/2018", "write numeric dates as day/month/year"),
    ("8 3 2018", "write numeric dates as day/month/year"),
    # a weekday that contradicts the date
    ("Friday 8 March 2018", "2018-03-08 is a Thursday, not a Friday"),
    # offsets that cannot be stored
    ("1850-01-01T17:00", "local mean time (+00:17:30)"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_parse_moment_refuses(text: str, message: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_moment(text, BXL)
    text_of_error = str(info.value)
    assert message in text_of_error
    assert repr(text) in text_of_error
    assert "\n" not in text_of_error
    assert isinstance(info.value, UsageError)
    assert info.value.exit_code == 2


def test_refusals_never_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in ("8 March 2018 17:00 EST", "8 March 2018 17:00 XYZT", "8 March 2018"):
            with contextlib.suppress(TimeParseError):
                parse_moment(text, BXL)


def test_machine_zone_does_not_leak_into_parsing() -> None:
    # dateutil reads a zone name matching the machine's own zone as local time; not here.
    code = (
        "from clusterctl.timeparse import parse_moment\n"
        "from clusterctl.errors import TimeParseError\n"
        "try:\n"
        "    parse_moment('8 March 2018 17:00 EST', 'Europe/Brussels')\n"
        "except TimeParseError as e:\n"
        "    print('refused', e)\n"
    )
    env = {"TZ": "America/New_York", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.startswith("refused")


def test_fold_is_resolved_by_an_explicit_offset() -> None:
    first = parse_moment("2026-10-25T02:30+02:00", BXL)
    second = parse_moment("2026-10-25T02:30+01:00", BXL)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert (first.fold, second.fold) == (0, 1)
    assert format_moment(first) == "2026-10-25 02:30 CEST"
    assert format_moment(second) == "2026-10-25 02:30 CET"


# --- parse_now --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2018-03-08", BXL, "2018-03-08T00:00:00+01:00"),
        ("8 March 2018", BXL, "2018-03-08T00:00:00+01:00"),
        ("2026-07-01", BXL, "2026-07-01T00:00:00+02:00"),
        ("2018-03-08T10:15", BXL, "2018-03-08T10:15:00+01:00"),
        ("2018-03-08T10:15Z", BXL, "2018-03-08T11:15:00+01:00"),
        ("8 March 2018 17:00 CET", BXL, "2018-03-08T17:00:00+01:00"),
        ("2018-03-08", "UTC", "2018-03-08T00:00:00+00:00"),
        # Chile springs forward at midnight: the day starts at 01:00.
        ("2026-09-06", "America/Santiago", "2026-09-06T01:00:00-03:00"),
    ],
)
def test_parse_now(text: str, zone: str, expected: str) -> None:
    assert to_iso(parse_now(text, zone)) == expected


def test_parse_now_defaults_to_brussels_and_still_refuses() -> None:
    assert to_iso(parse_now("2018-03-08")) == "2018-03-08T00:00:00+01:00"
    with pytest.raises(TimeParseError, match="ambiguous"):
        parse_now("2026-10-25 02:30")
    with pytest.raises(TimeParseError, match="gives no year"):
        parse_now("8 March")


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("36h", timedelta(hours=36)),
        ("14d", timedelta(days=14)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("45m", timedelta(minutes=45)),
        ("45min", timedelta(minutes=45)),
        ("1w2d", timedelta(days=9)),
        ("1h1d", timedelta(days=1, hours=1)),
        ("14D", timedelta(days=14)),
        ("2W 3D 4H 5M", timedelta(weeks=2, days=3, hours=4, minutes=5)),
        (" 14d ", timedelta(days=14)),
        ("14 d", timedelta(days=14)),
        ("2 weeks", timedelta(weeks=2)),
        ("0d12h", timedelta(hours=12)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "use e.g. 36h, 14d"),
        ("  ", "use e.g. 36h, 14d"),
        ("14", "use e.g. 36h, 14d"),
        ("d", "use e.g. 36h, 14d"),
        ("1.5d", "use e.g. 36h, 14d"),
        ("3x", "use e.g. 36h, 14d"),
        ("14s", "use e.g. 36h, 14d"),
        ("1y", "use e.g. 36h, 14d"),
        ("1d-2h", "use e.g. 36h, 14d"),
        ("1d,2h", "use e.g. 36h, 14d"),
        ("1d1d", "a unit is given twice"),
        ("1m 2min", "a unit is given twice"),
        ("0d", "must be more than zero"),
        ("0h0m", "must be more than zero"),
        ("-1d", "must be positive"),
        ("99999999999w", "too long"),
    ],
)
def test_parse_duration_refuses(text: str, message: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_duration(text)
    assert message in str(info.value)
    assert f"invalid duration {text!r}" in str(info.value)


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(days=14), "14d"),
        (timedelta(hours=36), "1d12h"),
        (timedelta(weeks=2), "14d"),
        (timedelta(minutes=45), "45m"),
        (timedelta(hours=12), "12h"),
        (timedelta(days=1, minutes=5), "1d5m"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(0), "0m"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


@pytest.mark.parametrize("td", [timedelta(seconds=30), timedelta(days=-1)])
def test_format_duration_refuses(td: timedelta) -> None:
    with pytest.raises(ValueError):
        format_duration(td)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14d,3d,12h", [timedelta(days=14), timedelta(days=3), timedelta(hours=12)]),
        ("12h,14d,3d", [timedelta(days=14), timedelta(days=3), timedelta(hours=12)]),
        ("14d, 2w, 3d", [timedelta(days=14), timedelta(days=3)]),
        ("36h", [timedelta(hours=36)]),
    ],
)
def test_parse_thresholds(text: str, expected: list[timedelta]) -> None:
    assert parse_thresholds(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty item"),
        ("14d,,3d", "empty item"),
        ("14d,", "empty item"),
        (",", "empty item"),
        ("14d,3x", "invalid duration '3x'"),
        ("14d,0h", "must be more than zero"),
    ],
)
def test_parse_thresholds_refuses(text: str, message: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_thresholds(text)
    assert message in str(info.value)
    assert f"invalid thresholds {text!r}" in str(info.value)


# --- add_calendar -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "by", "wall", "elapsed"),
    [
        # Spring forward (29 March 2026): 17:00 stays 17:00, an hour less passes.
        (
            "2026-03-20T17:00+01:00",
            "14d",
            "2026-04-03T17:00:00+02:00",
            timedelta(days=13, hours=23),
        ),
        # Fall back (25 October 2026): an hour more passes.
        ("2026-10-20T17:00+02:00", "14d", "2026-11-03T17:00:00+01:00", timedelta(days=14, hours=1)),
        ("2026-03-28T17:00+01:00", "1d", "2026-03-29T17:00:00+02:00", timedelta(hours=23)),
        ("2026-10-24T17:00+02:00", "1w", "2026-10-31T17:00:00+01:00", timedelta(days=7, hours=1)),
        # Hours and minutes are exact elapsed time, added after the calendar days.
        ("2026-03-28T12:00+01:00", "1d12h", "2026-03-30T00:00:00+02:00", timedelta(hours=35)),
        ("2026-03-29T00:00+01:00", "12h", "2026-03-29T13:00:00+02:00", timedelta(hours=12)),
        # 36h is 1 day + 12h: the day is a calendar day, so 37 hours pass across the fall-back.
        ("2026-10-25T00:00+02:00", "36h", "2026-10-26T12:00:00+01:00", timedelta(hours=37)),
        ("2026-10-25T00:00+02:00", "23h", "2026-10-25T22:00:00+01:00", timedelta(hours=23)),
        ("2026-01-10T17:00+01:00", "45m", "2026-01-10T17:45:00+01:00", timedelta(minutes=45)),
    ],
)
def test_add_calendar(start: str, by: str, wall: str, elapsed: timedelta) -> None:
    before = in_zone(start)
    after = add_calendar(before, parse_duration(by))
    assert to_iso(after) == wall
    assert after.tzinfo is BRUSSELS
    assert after.astimezone(UTC) - before.astimezone(UTC) == elapsed


def test_add_calendar_negative_and_fixed_offsets() -> None:
    back = add_calendar(in_zone("2026-04-03T17:00+02:00"), -timedelta(days=14))
    assert to_iso(back) == "2026-03-20T17:00:00+01:00"
    fixed = datetime(2026, 3, 20, 17, 0, tzinfo=timezone(timedelta(hours=1)))
    assert add_calendar(fixed, timedelta(days=14)) == fixed + timedelta(days=14)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (
            "2026-03-28T02:30+01:00",
            "lands on 2026-03-29 02:30, which does not exist in Europe/Brussels",
        ),
        (
            "2026-10-24T02:30+02:00",
            "lands on 2026-10-25 02:30, which is ambiguous in Europe/Brussels",
        ),
    ],
)
def test_add_calendar_refuses_gap_and_fold(start: str, message: str) -> None:
    with pytest.raises(TimeParseError, match=message):
        add_calendar(in_zone(start), timedelta(days=1))


# --- storage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (in_zone("2018-03-08T17:00+01:00"), "2018-03-08T17:00:00+01:00"),
        (in_zone("2026-10-25T02:30+01:00"), "2026-10-25T02:30:00+01:00"),
        (in_zone("2026-10-25T02:30+02:00"), "2026-10-25T02:30:00+02:00"),
        (utc("2018-03-08T16:00"), "2018-03-08T16:00:00+00:00"),
        (in_zone("2018-03-08T16:00:00.9Z"), "2018-03-08T17:00:00+01:00"),
        (in_zone("2027-03-12T23:59-12:00", "Etc/GMT+12"), "2027-03-12T23:59:00-12:00"),
    ],
)
def test_to_iso(moment: datetime, expected: str) -> None:
    assert to_iso(moment) == expected


def test_to_storage() -> None:
    moment = in_zone("2026-10-25T02:30:15.5+01:00")
    stored = to_storage(moment)
    assert type(stored.tzinfo) is timezone
    assert stored.utcoffset() == timedelta(hours=1)
    assert stored.replace(tzinfo=None) == datetime(2026, 10, 25, 2, 30, 15)
    assert stored.astimezone(UTC) == moment.replace(microsecond=0).astimezone(UTC)


def test_to_storage_refuses_local_mean_time() -> None:
    with pytest.raises(TimeParseError, match="local mean time"):
        to_storage(datetime(1850, 1, 1, 17, 0, tzinfo=BRUSSELS))


def test_toml_round_trip_in_the_fold() -> None:
    moment = parse_moment("2026-10-25T02:30+01:00", BXL)
    document = tomli_w.dumps({"deadline": to_storage(moment)})
    assert document == "deadline = 2026-10-25 02:30:00+01:00\n"
    back = from_storage(tomllib.loads(document)["deadline"], BXL)
    assert back.astimezone(UTC) == utc("2026-10-25T01:30")
    assert (back.replace(tzinfo=None), back.fold, back.tzinfo) == (
        datetime(2026, 10, 25, 2, 30),
        1,
        BRUSSELS,
    )


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2018-03-08T17:00:00+01:00", BXL, "2018-03-08T17:00:00+01:00"),
        ("2018-03-08T17:00+01:00", BXL, "2018-03-08T17:00:00+01:00"),
        ("2018-03-08 17:00:00+01:00", BXL, "2018-03-08T17:00:00+01:00"),
        ("2026-10-25T02:30:00+02:00", BXL, "2026-10-25T02:30:00+02:00"),
        ("2026-10-25T02:30:00+01:00", BXL, "2026-10-25T02:30:00+01:00"),
        # offset matches neither reading (the rules changed): the wall time wins, fold=0
        ("2026-10-25T02:30:00+05:00", BXL, "2026-10-25T02:30:00+02:00"),
        ("2026-07-01T17:00:00+01:00", BXL, "2026-07-01T17:00:00+02:00"),
        # naive: wall time in the zone (fold=0 when ambiguous)
        ("2026-10-25T02:30:00", BXL, "2026-10-25T02:30:00+02:00"),
        ("2018-03-08T17:00", BXL, "2018-03-08T17:00:00+01:00"),
        (datetime(2018, 3, 8, 17, 0), BXL, "2018-03-08T17:00:00+01:00"),
        # a date: 17:00 in the zone
        (date(2018, 3, 8), BXL, "2018-03-08T17:00:00+01:00"),
        (date(2026, 7, 1), "AoE", "2026-07-01T17:00:00-12:00"),
        ("2018-03-08", BXL, "2018-03-08T17:00:00+01:00"),
        # a wall time the zone skips is moved to one that exists
        ("2026-03-29T02:30:00+01:00", BXL, "2026-03-29T03:30:00+02:00"),
        # an aware datetime in a named zone is an exact instant
        (in_zone("2018-03-08T17:00+01:00", "Europe/Lisbon"), BXL, "2018-03-08T17:00:00+01:00"),
        # an instant beyond the years a datetime holds, in the zone: the wall time wins
        (
            datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
            "Pacific/Kiritimati",
            "9999-12-31T23:00:00+14:00",
        ),
        (
            datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))),
            "UTC",
            "0001-01-01T01:00:00+00:00",
        ),
    ],
)
def test_from_storage(value: datetime | date | str, zone: str, expected: str) -> None:
    result = from_storage(value, zone)
    assert to_iso(result) == expected
    assert result.tzinfo is get_zone(zone)


def _by_readings(value: datetime, zone: str) -> datetime:
    """from_storage's rule for a fixed-offset value, stated through both readings of its wall
    time: the one whose offset the value carries, else the first; then normalised."""
    wall = value.replace(tzinfo=None)
    first = wall.replace(tzinfo=get_zone(zone), fold=0)
    second = wall.replace(tzinfo=get_zone(zone), fold=1)
    offset = value.utcoffset()
    chosen = second if offset == second.utcoffset() != first.utcoffset() else first
    return chosen.astimezone(UTC).astimezone(get_zone(zone))


@pytest.mark.parametrize(
    "zone", [BXL, "America/New_York", "Australia/Lord_Howe", "Europe/Dublin", "UTC", "AoE"]
)
def test_from_storage_shortcut_agrees_with_the_readings(zone: str) -> None:
    # Every quarter hour of the days around both of 2026's changes of the clocks, stored with
    # each offset the zone uses that year and with one it never uses: the shortcut taken for
    # a wall time that exists with its offset gives the same instant, wall time and fold.
    start = datetime(2026, 1, 1)
    offsets = {
        (start + timedelta(days=d)).replace(tzinfo=get_zone(zone)).utcoffset() for d in range(366)
    } | {timedelta(hours=5, minutes=45)}
    days = [
        d
        for d in range(366)
        if len(
            {
                (start + timedelta(days=d, hours=h)).replace(tzinfo=get_zone(zone)).utcoffset()
                for h in range(25)
            }
        )
        > 1
    ] or [0]
    for day in days:
        for quarter in range(-4 * 24, 2 * 4 * 24):
            wall = start + timedelta(days=day, minutes=15 * quarter)
            for offset in offsets:
                assert offset is not None
                value = wall.replace(tzinfo=timezone(offset))
                got, expected = from_storage(value, zone), _by_readings(value, zone)
                assert (got, got.utcoffset(), got.fold) == (
                    expected,
                    expected.utcoffset(),
                    expected.fold,
                ), value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "8 March 2018",
        "2018-3-8",
        "20180308",
        "2018-03-08 17:00 CET",
        "08/03/2018",
        "2018-02-31",
        "now",
    ],
)
def test_from_storage_refuses_non_iso(value: str) -> None:
    with pytest.raises(TimeParseError, match="is not ISO 8601"):
        from_storage(value, BXL)


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        (datetime(2018, 3, 8, 17, 0, tzinfo=timezone(timedelta(hours=1))), BXL, False),
        (datetime(2018, 3, 8, 17, 0, tzinfo=timezone(timedelta(hours=2))), BXL, True),
        (datetime(2018, 3, 8, 16, 0, tzinfo=UTC), BXL, True),
        (datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=1))), BXL, False),
        (datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=2))), BXL, False),
        (datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=3))), BXL, True),
        (datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=1))), BXL, True),
        ("2026-07-01T17:00:00+02:00", BXL, False),
        ("2026-07-01T17:00:00+01:00", BXL, True),
        (datetime(2018, 3, 8, 17, 0), BXL, False),
        (datetime(2018, 3, 8, 17, 0, tzinfo=timezone(timedelta(hours=-12))), "AoE", False),
    ],
)
def test_offset_mismatch(value: datetime | str, zone: str, expected: bool) -> None:
    assert offset_mismatch(value, zone) is expected


# --- properties -------------------------------------------------------------------------------

SAMPLE_ZONES = [
    "Europe/Brussels",
    "Europe/Lisbon",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Etc/GMT+12",
    "UTC",
]


@cache
def fold_instants(zone: str) -> tuple[datetime, ...]:
    """Every UTC instant (15-minute steps, 2025-2027) whose wall time in ``zone`` occurs twice.

    A wall time occurs twice only within two days of a change of the zone's UTC offset (Python
    bounds an offset to a day either way), and no zone changes its offset twice within a day:
    the offset at each midnight UTC finds the days with a change, and every 15-minute step from
    two days before such a day to two days after it is checked, as a scan of all three years
    would (the same instants; 2.8 s less per process).
    """
    tz = ZoneInfo(zone)
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    day, step = timedelta(days=1), timedelta(minutes=15)
    midnights = [start + n * day for n in range((end - start) // day + 1)]
    offsets = [m.astimezone(tz).utcoffset() for m in midnights]
    near = set()
    for n in range(len(midnights) - 1):
        if offsets[n] != offsets[n + 1]:  # a change within this day
            first = max(start, midnights[n] - 2 * day)
            near.update(first + k * step for k in range(5 * 96))  # 5 days of 15 minutes
    found = []
    for moment in sorted(m for m in near if m < end):
        local = moment.astimezone(tz)
        other = local.replace(fold=1 - local.fold)
        if other.utcoffset() != local.utcoffset():
            found.append(moment)
    return tuple(found)


def test_fold_sample_is_not_empty() -> None:
    assert len(fold_instants("Australia/Lord_Howe")) >= 2  # a 30-minute fold
    assert len(fold_instants("Europe/Brussels")) >= 8


instants = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@st.composite
def moments(draw: st.DrawFn) -> tuple[datetime, str]:
    zone = draw(st.sampled_from(SAMPLE_ZONES))
    folds = fold_instants(zone)
    if folds and draw(st.booleans()):
        instant = draw(st.sampled_from(folds)) + draw(st.integers(0, 3)) * timedelta(minutes=15)
    else:
        instant = draw(instants)
    return instant.astimezone(ZoneInfo(zone)), zone


def same_moment(a: datetime, b: datetime) -> bool:
    return (
        a.astimezone(UTC) == b.astimezone(UTC)
        and a.replace(tzinfo=None) == b.replace(tzinfo=None)
        and a.utcoffset() == b.utcoffset()
    )


@settings(max_examples=400, deadline=None)
@given(moments())
def test_storage_round_trip(case: tuple[datetime, str]) -> None:
    moment, zone = case
    moment = moment.replace(microsecond=0)
    # via the ISO string (JSON)
    assert same_moment(from_storage(to_iso(moment), zone), moment)
    assert not offset_mismatch(to_iso(moment), zone)
    offset = moment.utcoffset()
    assert offset is not None
    if offset % timedelta(minutes=1):
        with pytest.raises(TimeParseError, match="local mean time"):
            to_storage(moment)
        return
    stored = to_storage(moment)
    assert type(stored.tzinfo) is timezone
    assert same_moment(from_storage(stored, zone), moment)
    # and through a real TOML file
    loaded = tomllib.loads(tomli_w.dumps({"at": stored}))["at"]
    assert same_moment(from_storage(loaded, zone), moment)


@settings(max_examples=300, deadline=None)
@given(moments())
def test_iso_text_parses_back_to_the_same_moment(case: tuple[datetime, str]) -> None:
    moment, zone = case
    moment = moment.replace(microsecond=0)
    if moment.utcoffset() % timedelta(minutes=1):  # type: ignore[operator]
        return
    if not YEAR_RANGE[0] <= moment.year <= YEAR_RANGE[1]:  # 1900-01-01 UTC is 1899 at -12:00
        with pytest.raises(TimeParseError, match="outside the supported years"):
            parse_moment(to_iso(moment), zone)
        return
    assert same_moment(parse_moment(to_iso(moment), zone), moment)


@given(st.integers(min_value=1, max_value=10_000_000))
def test_duration_round_trip(minutes: int) -> None:
    td = timedelta(minutes=minutes)
    assert parse_duration(format_duration(td)) == td


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_time_left_is_exact_elapsed_time(seconds: int, start: int) -> None:
    now = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=start)).astimezone(BRUSSELS)
    deadline = (now.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(BRUSSELS)
    text = format_time_left(deadline, now)
    days, rest = divmod(seconds, 86400)
    if days:
        assert text.startswith(f"in {days} day")
    elif seconds >= 3600:
        assert text.startswith(f"in {rest // 3600} h")
    assert format_time_left(now, deadline).startswith("closed")


# --- import cost ------------------------------------------------------------------------------


def test_iso_work_never_imports_dateutil() -> None:
    code = (
        "import sys\n"
        "import clusterctl.timeparse as t\n"
        "import clusterctl.timefmt as f\n"
        "d = t.parse_moment('2018-03-08T17:00+01:00', 'Europe/Brussels')\n"
        "t.parse_moment('2018-03-08', 'AoE')\n"
        "t.parse_now('2018-03-08')\n"
        "t.from_storage(t.to_iso(d), 'Europe/Brussels')\n"
        "f.format_moment(t.to_storage(d), 'Europe/Lisbon')\n"
        "t.parse_duration('1d12h')\n"
        "assert 'dateutil' not in sys.modules, 'dateutil imported'\n"
        "t.parse_moment('8 March 2018', 'Europe/Brussels')\n"
        "assert 'dateutil' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        # 2026-10-24 17:00 CEST (15:00Z); clocks go back on 2026-10-25.
        ("36h", "2026-10-26T03:00:00Z"),  # exactly 36 elapsed hours
        ("1d12h", "2026-10-26T04:00:00Z"),  # one calendar day (25 h) plus 12 h
        ("2d", "2026-10-26T16:00:00Z"),  # 17:00 stays 17:00 (now CET)
        ("1w", "2026-10-31T16:00:00Z"),
    ],
)
def test_shift_by_keeps_the_units_the_user_wrote(text: str, expected_utc: str) -> None:
    from clusterctl.timeparse import shift_by

    start = parse_moment("2026-10-24 17:00", "Europe/Brussels")
    moved = shift_by(start, text)
    assert moved.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == expected_utc
    assert moved.tzinfo is start.tzinfo


@pytest.mark.parametrize(
    "text", ["9999-12-31 23:00", "31 December 1899 12:00 UTC", "0001-01-01T00:00Z"]
)
def test_moments_outside_the_supported_years_are_refused(text: str) -> None:
    with pytest.raises(TimeParseError, match="outside the supported"):
        parse_moment(text, "America/New_York")


def test_shifting_past_the_supported_years_is_refused() -> None:
    from clusterctl.timeparse import shift_by

    start = parse_moment("2999-12-01", "Europe/Brussels")
    with pytest.raises(TimeParseError, match="outside the supported years"):
        shift_by(start, "5w")
    with pytest.raises(TimeParseError):
        shift_by(start, "99999999w")


@pytest.mark.parametrize(
    "text", ["8 March 2018 17:00 CET 18:00", "8 March 2018 17:00 18:30", "17:00 8 March 2018 9:30"]
)
def test_two_times_of_day_are_refused(text: str) -> None:
    with pytest.raises(TimeParseError, match="more than one time of day"):
        parse_moment(text, "Europe/Brussels")
