"""Tests for clusterctl.ics: export calendars, parse them back with icalendar, check them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from clusterctl.errors import UsageError
from clusterctl.ics import calendar_bytes, event_uids
from clusterctl.model import Stage
from clusterctl.warn import DEFAULT_THRESHOLDS
from tests.ics_sample import BRU, NOW, D, call, export, sample_calls


def events(data: bytes) -> dict[str, object]:
    parsed = Calendar.from_ical(data)
    return {str(e["uid"]): e for e in parsed.walk("VEVENT")}


EXPECTED_UTC = {
    "WINTER-1--deadline@clusterctl": datetime(2018, 3, 8, 16, 0, tzinfo=UTC),
    "SUMMER-1--deadline@clusterctl": datetime(2018, 7, 5, 15, 0, tzinfo=UTC),
    "UTC-1--deadline@clusterctl": datetime(2018, 9, 1, 12, 0, tzinfo=UTC),
    "AOE-1--deadline@clusterctl": datetime(2018, 10, 2, 11, 59, tzinfo=UTC),
    "EU-TWO--stage-1@clusterctl": datetime(2018, 4, 10, 15, 0, tzinfo=UTC),
    "EU-TWO--full-proposal@clusterctl": datetime(2018, 9, 26, 15, 0, tzinfo=UTC),
}


def test_one_event_per_stage_at_the_exact_instant() -> None:
    evs = events(export())
    assert set(evs) == set(EXPECTED_UTC)
    for uid, instant in EXPECTED_UTC.items():
        assert evs[uid].decoded("dtstart").astimezone(UTC) == instant, uid


@pytest.mark.parametrize(
    "line",
    [
        b"DTSTART;TZID=Europe/Brussels:20180308T170000\r\n",
        b"DTSTART;TZID=Europe/Brussels:20180705T170000\r\n",
        b"DTSTART:20180901T120000Z\r\n",
        b"DTSTART;TZID=Etc/GMT+12:20181001T235900\r\n",
        b"DTSTART;TZID=Europe/Brussels:20180926T170000\r\n",
        b"DTSTAMP:20180115T093000Z\r\n",
    ],
)
def test_wall_times_keep_the_call_zone(line: bytes) -> None:
    assert line in export()


def test_one_vtimezone_per_zone_used_and_it_is_right() -> None:
    data = export()
    parsed = Calendar.from_ical(data)
    tzids = [str(tz["tzid"]) for tz in parsed.walk("VTIMEZONE")]
    assert tzids == ["Etc/GMT+12", "Europe/Brussels"]  # sorted, none for UTC
    assert parsed.get_missing_tzids() == set()
    assert data.index(b"BEGIN:VTIMEZONE") < data.index(b"BEGIN:VEVENT")
    # The VTIMEZONE definitions themselves (not the tz database) give the right instants.
    defined = {str(tz["tzid"]): tz.to_tz(lookup_tzid=False) for tz in parsed.walk("VTIMEZONE")}
    for uid, ev in events(data).items():
        prop = ev["dtstart"]
        if "TZID" in prop.params:
            wall = prop.dt.replace(tzinfo=defined[prop.params["TZID"]])
            assert wall.astimezone(UTC) == EXPECTED_UTC[uid], uid


def test_no_end_so_the_event_ends_at_its_start() -> None:
    data = export()
    assert b"DTEND" not in data
    assert b"\r\nDURATION" not in data
    for ev in events(data).values():
        assert ev.end == ev.start


def test_uids_stable_across_exports_and_distinct_per_stage() -> None:
    first = events(export(now=NOW))
    later = events(export(now=NOW + 30 * D))
    assert set(first) == set(later)
    assert len(first) == 6
    assert first["EU-TWO--stage-1@clusterctl"] is not first["EU-TWO--full-proposal@clusterctl"]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([""], ["X-1--deadline@clusterctl"]),
        (["Stage 1", "Stage 2"], ["X-1--stage-1@clusterctl", "X-1--stage-2@clusterctl"]),
        (["Éligibilité"], ["X-1--eligibilite@clusterctl"]),
    ],
)
def test_uid_form(labels: list[str], expected: list[str]) -> None:
    base = datetime(2018, 3, 8, 17, 0, tzinfo=BRU)
    c = call("X-1", "Europe/Brussels", *(Stage(lb, base + n * D) for n, lb in enumerate(labels)))
    assert [event_uids(c)[lb] for lb in labels] == expected


@pytest.mark.parametrize(
    "labels",
    [["Stage 1", "stage-1", "STAGE  1"], ["", "deadline"], ["🎉", "✨", "x"]],
)
def test_uids_distinct_even_when_slugs_collide(labels: list[str]) -> None:
    base = datetime(2018, 3, 8, 17, 0, tzinfo=BRU)
    c = call("X-1", "Europe/Brussels", *(Stage(lb, base + n * D) for n, lb in enumerate(labels)))
    uids = event_uids(c)
    assert len(set(uids.values())) == len(labels)
    assert all(u.startswith("X-1--") and u.endswith("@clusterctl") for u in uids.values())
    assert all(u.isascii() and " " not in u for u in uids.values())
    assert event_uids(c) == uids


def test_sequence_counts_extensions_of_that_stage() -> None:
    evs = events(export())
    assert evs["EU-TWO--full-proposal@clusterctl"]["sequence"] == 2
    assert evs["EU-TWO--stage-1@clusterctl"]["sequence"] == 0
    assert evs["WINTER-1--deadline@clusterctl"]["sequence"] == 0


def test_summary_url_categories_status() -> None:
    evs = events(export())
    full = evs["EU-TWO--full-proposal@clusterctl"]
    assert str(full["summary"]) == "Deadline: EU-TWO Title of EU-TWO – Full proposal"
    assert (
        str(evs["WINTER-1--deadline@clusterctl"]["summary"])
        == "Deadline: WINTER-1 Title of WINTER-1"
    )
    assert str(full["url"]) == "https://example.org/two"
    assert "URL" not in evs["WINTER-1--deadline@clusterctl"]
    assert [str(c) for c in full["categories"].cats] == ["h2020", "innovation"]
    assert "CATEGORIES" not in evs["UTC-1--deadline@clusterctl"]
    assert str(full["status"]) == "CONFIRMED"
    assert str(full["transp"]) == "TRANSPARENT"


def test_description_has_programme_stage_original_and_history() -> None:
    desc = str(events(export())["EU-TWO--full-proposal@clusterctl"]["description"])
    lines = desc.split("\n")
    assert "Programme: Horizon 2020" in lines
    assert "Stage: Full proposal" in lines
    assert "Deadline: 2018-09-26 17:00 CEST" in lines
    assert "Original deadline: 2018-09-12 17:00 CEST" in lines
    history = [x for x in lines if x.startswith("Extended from")]
    assert len(history) == 2
    assert history[0].startswith("Extended from 2018-09-12 17:00 CEST to 2018-09-19 17:00 CEST")
    assert "portal outage" in history[0] and "https://example.org/news/1" in history[0]
    assert history[1].startswith("Extended from 2018-09-19 17:00 CEST to 2018-09-26 17:00 CEST")
    assert "second outage" in history[1]
    assert "URL: https://example.org/two" in lines
    plain = str(events(export())["WINTER-1--deadline@clusterctl"]["description"])
    assert plain == "Deadline: 2018-03-08 17:00 CET"
    aoe = str(events(export())["AOE-1--deadline@clusterctl"]["description"])
    assert aoe == "Deadline: 2018-10-01 23:59 AoE"


def test_one_display_alarm_per_threshold() -> None:
    for ev in events(export()).values():
        alarms = ev.walk("VALARM")
        assert len(alarms) == len(DEFAULT_THRESHOLDS)
        assert [a.decoded("trigger") for a in alarms] == [-t for t in DEFAULT_THRESHOLDS]
        assert {str(a["action"]) for a in alarms} == {"DISPLAY"}
        assert all(str(a["description"]) for a in alarms)
    assert export().count(b"TRIGGER:-P14D\r\n") == 6


def test_custom_thresholds_give_custom_triggers() -> None:
    thresholds = (timedelta(hours=6), timedelta(days=1, hours=12), timedelta(hours=6))
    data = export(thresholds=thresholds)
    (ev,) = [e for e in events(data).values() if str(e["uid"]).startswith("WINTER")]
    assert [a.decoded("trigger") for a in ev.walk("VALARM")] == [
        -timedelta(days=1, hours=12),
        -timedelta(hours=6),
    ]
    assert b"TRIGGER:-P1DT12H\r\n" in data and b"TRIGGER:-PT6H\r\n" in data
    assert "1d12h" in str(ev.walk("VALARM")[0]["description"])
    assert b"BEGIN:VALARM" not in export(thresholds=())


def test_non_positive_threshold_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        export(thresholds=(timedelta(0),))


def test_hostile_text_round_trips() -> None:
    title = 'Evil, title; with\r\nBcc: x@example.org\\n "quoted" 🎉 \u2028 end'
    c = call(
        "HOSTILE-1",
        "Europe/Brussels",
        Stage("A; B, C\nD", datetime(2018, 3, 8, 17, 0, tzinfo=BRU)),
        title=title,
        programme="Prog;ramme,\r\nX",
        tags=("a,b", "c;d", "é🎉"),
        url="https://example.org/a,b;c",
    )
    data = export([c])
    (ev,) = events(data).values()
    assert str(ev["summary"]) == (
        'Deadline: HOSTILE-1 Evil, title; with\nBcc: x@example.org\\n "quoted" 🎉 \u2028 end'
        " – A; B, C\nD"
    )
    assert "Programme: Prog;ramme,\nX" in str(ev["description"])
    assert [str(t) for t in ev["categories"].cats] == ["a,b", "c;d", "é🎉"]
    assert str(ev["url"]) == "https://example.org/a,b;c"
    # The escaping kept every property on its own (folded) content lines.
    assert not any(line.startswith(b"Bcc") for line in data.split(b"\r\n"))


def test_control_characters_are_dropped_and_lines_folded() -> None:
    c = call(
        "CTRL-1",
        "Europe/Brussels",
        Stage("", datetime(2018, 3, 8, 17, 0, tzinfo=BRU)),
        title="bell\x07 nul\x00 esc\x1b tab\tok lone\rcr " + "long " * 40,
    )
    data = export([c])
    assert not any(b in data for b in (b"\x00", b"\x07", b"\x1b"))
    (ev,) = events(data).values()
    assert str(ev["summary"]).startswith("Deadline: CTRL-1 bell nul esc tab\tok lone\ncr long")
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_url_with_control_characters_is_escaped_and_the_other_calls_are_exported() -> None:
    # add and import refuse such a URL; a hand-edited store file may still hold one.
    hostile = call(
        "URL-1",
        "Europe/Brussels",
        Stage("", datetime(2018, 3, 8, 17, 0, tzinfo=BRU)),
        url="http://x\r\nBEGIN:VALARM\nACTION:AUDIO\x00\x85\u2028",
    )
    data = export([hostile, *sample_calls()])
    evs = events(data)
    assert set(evs) == {"URL-1--deadline@clusterctl", *EXPECTED_UTC}
    escaped = "http://x%0D%0ABEGIN:VALARM%0AACTION:AUDIO%00%C2%85%E2%80%A8"
    assert str(evs["URL-1--deadline@clusterctl"]["url"]) == escaped
    assert f"URL: {escaped}" in str(evs["URL-1--deadline@clusterctl"]["description"])
    assert b"\r\nURL:http://x%0D%0ABEGIN:VALARM%0AACTION:AUDIO%00%C2%85%E2%80%A8" in data.replace(
        b"\r\n ", b""
    )
    assert b"ACTION:AUDIO" not in data.replace(b"%0AACTION:AUDIO", b"")
    alarms = [a for e in evs.values() for a in e.walk("VALARM")]
    assert len(alarms) == len(evs) * len(DEFAULT_THRESHOLDS)


def test_deadline_in_dst_fold_is_written_in_utc() -> None:
    second = datetime(2018, 10, 28, 2, 30, fold=1, tzinfo=BRU)  # 01:30Z, the CET 02:30
    first = datetime(2018, 10, 28, 2, 30, fold=0, tzinfo=BRU)  # 00:30Z, the CEST 02:30
    calls = [
        call("FOLD-1", "Europe/Brussels", Stage("", second)),
        call("FOLD-0", "Europe/Brussels", Stage("", first)),
    ]
    data = export(calls)
    assert b"DTSTART:20181028T013000Z\r\n" in data
    assert b"DTSTART;TZID=Europe/Brussels:20181028T023000\r\n" in data
    evs = events(data)
    # (PEP 495: an aware time in a fold never equals one in another zone, so compare in UTC.)
    got = {uid: ev.decoded("dtstart").astimezone(UTC) for uid, ev in evs.items()}
    assert got["FOLD-1--deadline@clusterctl"] == second.astimezone(UTC)
    assert got["FOLD-0--deadline@clusterctl"] == first.astimezone(UTC)


def test_deadline_in_dst_gap_is_written_in_utc() -> None:
    gap = datetime(2018, 3, 25, 2, 30, tzinfo=BRU)  # no such wall time; zoneinfo reads 01:30Z
    data = export([call("GAP-1", "Europe/Brussels", Stage("", gap))])
    assert b"DTSTART:20180325T013000Z\r\n" in data


def test_header_and_empty_calendar() -> None:
    data = export([])
    parsed = Calendar.from_ical(data)
    assert str(parsed["version"]) == "2.0"
    assert str(parsed["prodid"]) == "-//clusterctl//EN"
    assert parsed.walk("VEVENT") == [] and parsed.walk("VTIMEZONE") == []
    custom = calendar_bytes([], thresholds=(), now=NOW, prodid="-//acme//deadlines//EN")
    assert b"PRODID:-//acme//deadlines//EN\r\n" in custom


SCRIPT = """
import sys
from tests.ics_sample import export
sys.stdout.buffer.write(export())
"""


def test_output_is_byte_identical_across_processes() -> None:
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            capture_output=True,
            check=True,
            env=env,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        outputs.add(result.stdout)
    assert outputs == {export()}
