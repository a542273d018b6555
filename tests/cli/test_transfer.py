"""``import`` of clusterctl JSON and CSV, and ``export ics``, through the real command line
(clusterctl/cli/transfer.py, actions/transfer.py); ``import --from eu-portal`` is in
test_transfer_portal.py.

Imports are all or nothing and round-trip byte for byte; calendars are parsed back with
icalendar.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.cli.helpers import (
    AT,
    ID_RULE,
    NOW,
    Cli,
    as_json,
    extend_alpha_twice,
    failed,
    ok,
    snapshot,
    succeeded,
)

# --- import -----------------------------------------------------------------------------------


def _exported(cli: Cli, store: Path, fmt: str) -> str:
    return ok(cli("calls", "--all", "--format", fmt, "--at", NOW, store=store))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_import_round_trip(cli: Cli, sample: Path, tmp_path: Path, fmt: str) -> None:
    extend_alpha_twice(cli)
    ok(cli("extend", "BETA-2", "--stage", "Stage 2", "--to", "2018-06-19", "--at", NOW))
    exported = _exported(cli, sample, fmt)
    path = tmp_path / f"x.{fmt}"
    path.write_text(exported)
    fresh = tmp_path / "fresh"
    assert ok(cli("import", str(path), store=fresh)) == ("imported: 4 new\n")
    assert _exported(cli, fresh, fmt) == exported
    assert _exported(cli, fresh, "json") == _exported(cli, sample, "json")
    # Every field survives: the stored files are identical, byte for byte.
    assert snapshot(fresh / "calls") == snapshot(sample / "calls")


def test_import_seed_store_round_trip(cli: Cli, seeded_store: Path, tmp_path: Path) -> None:
    exported = _exported(cli, seeded_store, "json")
    (tmp_path / "seed.json").write_text(exported)
    fresh = tmp_path / "fresh"
    ok(cli("import", str(tmp_path / "seed.json"), store=fresh))
    assert _exported(cli, fresh, "json") == exported
    assert snapshot(fresh / "calls") == snapshot(seeded_store / "calls")


def _records(cli: Cli, store: Path) -> list[dict[str, Any]]:
    return json.loads(_exported(cli, store, "json"))


def test_import_is_all_or_nothing(cli: Cli, sample: Path, tmp_path: Path) -> None:
    records = _records(cli, sample)
    target = tmp_path / "target"
    ok(cli("add", "KEEP", "--title", "Kept", "--deadline", "2018-05-01", store=target))
    before = snapshot(target)
    bad = [dict(r, id=f"NEW-{n}") for n, r in enumerate(records, start=1)]
    bad[2]["deadlines"] = [{"label": "", "deadline": "2018-02-31T17:00:00+01:00"}]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    line = failed(cli("import", str(tmp_path / "bad.json"), store=target), 2)
    assert line == (
        f"error: {tmp_path / 'bad.json'}: record 3 (NEW-3): 'deadlines[1].deadline': stored time "
        "'2018-02-31T17:00:00+01:00' is not ISO 8601 (expected e.g. 2018-03-08T17:00:00+01:00);"
        " nothing was imported"
    )
    assert snapshot(target) == before

    missing_title = [dict(r, id=f"NEW-{n}") for n, r in enumerate(records, start=1)]
    del missing_title[1]["title"]
    (tmp_path / "notitle.json").write_text(json.dumps(missing_title))
    line = failed(cli("import", str(tmp_path / "notitle.json"), store=target), 2)
    assert line == (
        f"error: {tmp_path / 'notitle.json'}: record 2 (NEW-2): 'title' is missing or empty; "
        "nothing was imported"
    )
    assert snapshot(target) == before


def test_csv_import_is_all_or_nothing(cli: Cli, sample: Path, tmp_path: Path) -> None:
    lines = _exported(cli, sample, "csv").splitlines(keepends=True)
    lines[3] = lines[3].replace("Europe/Brussels", "Europe/Atlantis")  # the third call
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines))
    target = tmp_path / "target"
    assert failed(cli("import", str(path), store=target), 2) == (
        f"error: {path}: record 3 (DELTA-4): unknown time zone 'Europe/Atlantis': use an IANA "
        "name such as Europe/Brussels; nothing was imported"
    )
    assert snapshot(target / "calls") == {}


def test_import_refuses_an_existing_id_unless_replace(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    records = _records(cli, sample)
    target = tmp_path / "target"
    ok(cli("add", "GAMMA-3", "--title", "Local", "--deadline", "2018-05-01", store=target))
    before = snapshot(target)
    path = tmp_path / "x.json"
    path.write_text(json.dumps(records))
    assert failed(cli("import", str(path), store=target), 4) == (
        f"error: {path}: record 4: a call with id 'GAMMA-3' already exists "
        "(use --replace to overwrite); nothing was imported"
    )
    assert snapshot(target) == before
    assert ok(cli("import", str(path), "--replace", store=target)) == (
        "imported: 3 new, 1 replaced\n"
    )
    assert _exported(cli, target, "json") == _exported(cli, sample, "json")


def test_import_refuses_a_duplicate_id_inside_the_file(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    records = _records(cli, sample)
    path = tmp_path / "dup.json"
    path.write_text(json.dumps([*records, records[1]]))
    target = tmp_path / "target"
    line = failed(cli("import", str(path), store=target), 4)
    assert line == f"error: {path}: record 5: id 'BETA-2' appears twice in the file"
    assert snapshot(target / "calls") == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"extensions": [{"from": "2018-03-09T17:00:00+01:00", "to": "2018-03-22T17:00:00+01:00",
                             "recorded": "2018-03-02T16:00:00+00:00"}]},
            "extension 1 says it moved the deadline from 2018-03-09T17:00:00+01:00, but the "
            "deadline then was 2018-03-08T17:00:00+01:00",
        ),
        (
            {"extensions": [{"stage": "Stage 9", "from": "2018-03-08T17:00:00+01:00",
                             "to": "2018-03-22T17:00:00+01:00",
                             "recorded": "2018-03-02T16:00:00+00:00"}]},
            "extension 1 names unknown stage 'Stage 9'",
        ),
        (
            {"opens": "2018-04-01T00:00:00+02:00"},
            "opens 2018-04-01T00:00:00+02:00 is not before its first deadline",
        ),
        (
            {"deadlines": [{"label": "A", "deadline": "2018-03-08T17:00:00+01:00"},
                           {"label": "A", "deadline": "2018-04-08T17:00:00+02:00"}]},
            "stage labels are not unique: ['A', 'A']",
        ),
        ({"id": "a/b"}, f"invalid id 'a/b': {ID_RULE}"),
        ({"timezone": "Mars/Olympus"},
         "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Brussels"),
        ({"deadlines": []}, "a call needs at least one deadline"),
    ],
)  # fmt: skip
def test_import_refuses_records_that_check_would_reject(
    cli: Cli, tmp_path: Path, store_dir: Path, change: dict[str, Any], message: str
) -> None:
    record = {
        "id": "IMP-1",
        "title": "T",
        "timezone": "Europe/Brussels",
        "deadlines": [{"label": "", "deadline": "2018-03-08T17:00:00+01:00"}],
        **change,
    }
    path = tmp_path / "one.json"
    path.write_text(json.dumps([record]))
    name = f" ({record['id']})"
    assert failed(cli("import", str(path)), 2) == (
        f"error: {path}: record 1{name}: {message}; nothing was imported"
    )
    assert snapshot(store_dir / "calls") == {}


def test_import_file_errors(cli: Cli, tmp_path: Path, store_dir: Path) -> None:
    (tmp_path / "broken.json").write_text('[{"id": "X",]')
    assert failed(cli("import", str(tmp_path / "broken.json")), 2) == (
        f"error: {tmp_path / 'broken.json'}: not valid JSON: Expecting property name enclosed "
        "in double quotes (line 1, column 13)"
    )
    assert failed(cli("import", str(tmp_path / "missing.json")), 2) == (
        f"error: {tmp_path / 'missing.json'}: cannot read: No such file or directory"
    )
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    assert failed(cli("import", str(tmp_path / "bad.csv")), 2) == (
        f"error: {tmp_path / 'bad.csv'}: not clusterctl CSV: missing columns "
        "deadlines, id, timezone, title"
    )
    assert not store_dir.exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-03-08T16:00:00Z", "2026-03-08T17:00:00+01:00"),
        ("2026-03-08T12:00:00-05:00", "2026-03-08T18:00:00+01:00"),
        ("2026-03-08T17:00:00+01:00", "2026-03-08T17:00:00+01:00"),
        ("2026-10-25T02:30:00+01:00", "2026-10-25T02:30:00+01:00"),  # the second 02:30
        ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+02:00"),  # the first 02:30
        ("2026-03-08T17:00:00", "2026-03-08T17:00:00+01:00"),  # no offset: wall time in zone
    ],
)
def test_json_import_reads_offsets_as_exact_instants(
    cli: Cli, tmp_path: Path, given: str, stored: str
) -> None:
    path = tmp_path / "other-tool.json"
    record = {"id": "EXT-1", "title": "From another tool", "timezone": "Europe/Brussels"}
    record["deadlines"] = [{"label": "", "deadline": given}]
    path.write_text(json.dumps([record]))
    ok(cli("import", str(path)))
    data = as_json(cli("show", "EXT-1", "--format", "json", "--at", "2026-01-01"))
    assert data["deadline"] == stored


def test_import_from_stdin_guesses_csv_or_json_from_the_content(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    for fmt in ("csv", "json"):
        exported = ok(cli("calls", "--all", "--format", fmt, "--at", NOW))
        fresh = tmp_path / f"fresh-{fmt}"
        assert ok(cli("import", "-", store=fresh, input=exported)) == "imported: 4 new\n"
        assert ok(cli("calls", "--all", "--format", fmt, "--at", NOW, store=fresh)) == exported


# --- export ics ---------------------------------------------------------------------------------

D = timedelta(days=1)
DEFAULT_TRIGGERS = [-30 * D, -14 * D, -7 * D, -2 * D, -D]
# uid -> deadline instant, for the store built by the ``store`` fixture
EXPECTED = {
    "ALPHA-1--deadline@clusterctl": datetime(2027, 4, 8, 15, 0, tzinfo=UTC),
    "BETA-2--stage-1@clusterctl": datetime(2027, 4, 1, 15, 0, tzinfo=UTC),
    "BETA-2--stage-2@clusterctl": datetime(2027, 6, 1, 15, 0, tzinfo=UTC),
    "LIS-3--deadline@clusterctl": datetime(2027, 4, 20, 16, 0, tzinfo=UTC),
    "OLD-4--deadline@clusterctl": datetime(2024, 2, 7, 16, 0, tzinfo=UTC),
}

BETA_UIDS = {"BETA-2--stage-1@clusterctl", "BETA-2--stage-2@clusterctl"}


@pytest.fixture
def store(export_store: Path) -> Path:
    """The store the export tests run on (conftest.py's ``export_store``)."""
    return export_store


def events(data: bytes) -> dict[str, object]:
    """The calendar's VEVENTs by UID (parsing it with icalendar)."""
    calendar = Calendar.from_ical(data)
    found = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "UIDs must be unique"
    return found


def export(cli: Cli, *args: str) -> bytes:
    """``export ics ARGS`` to stdout, as bytes."""
    return succeeded(cli("export", "ics", *args)).stdout_bytes


def test_export_all_to_a_file(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.ics"
    result = succeeded(cli("export", "ics", "--all", "-o", str(target), "--at", AT))
    assert result.stdout == ""
    assert result.stderr == f"Wrote 4 calls to {target}\n"
    data = target.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    found = events(data)
    assert set(found) == set(EXPECTED)  # one event per stage
    for uid, instant in EXPECTED.items():
        start = found[uid].decoded("dtstart")
        assert start == instant
        assert start.utcoffset() is not None
    assert str(found["LIS-3--deadline@clusterctl"]["dtstart"].params["TZID"]) == "Europe/Lisbon"
    assert str(found["ALPHA-1--deadline@clusterctl"]["dtstart"].params["TZID"]) == (
        "Europe/Brussels"
    )
    tzids = {str(tz["tzid"]) for tz in Calendar.from_ical(data).walk("VTIMEZONE")}
    assert tzids == {"Europe/Brussels", "Europe/Lisbon"}
    alpha = found["ALPHA-1--deadline@clusterctl"]
    assert str(alpha["summary"]) == "Deadline: ALPHA-1 Alpha call"
    assert str(alpha["url"]) == "https://example.eu/alpha"
    assert "Programme: COSME" in str(alpha["description"])
    assert str(found["BETA-2--stage-2@clusterctl"]["summary"]) == (
        "Deadline: BETA-2 Beta call – Stage 2"
    )
    assert found["ALPHA-1--deadline@clusterctl"].decoded("dtstamp") == datetime(
        2027, 3, 30, 7, 0, tzinfo=UTC
    )


def test_one_call_is_singular(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "one.ics"
    result = succeeded(cli("export", "ics", "--search", "Alpha", "-o", str(target), "--at", AT))
    assert result.stderr == f"Wrote 1 call to {target}\n"


def test_stdout_and_file_are_the_same_calendar(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.ics"
    succeeded(cli("export", "ics", "--all", "--output", str(target), "--at", AT))
    assert export(cli, "--all", "--at", AT) == target.read_bytes()


def test_overwrites_the_file_atomically_in_place(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.ics"
    target.write_text("old", encoding="utf-8")
    succeeded(cli("export", "ics", "--all", "-o", str(target), "--at", AT))
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unwritable_output_is_a_one_line_error(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "calls.ics"
    result = cli("export", "ics", "--all", "-o", str(target), "--at", AT)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {target}: cannot write")
    assert len(result.stderr.splitlines()) == 1


def test_uids_stable_and_sequence_raised_by_extend(cli: Cli, store: Path) -> None:
    first = events(export(cli, "--all", "--at", AT))
    later = events(export(cli, "--all", "--at", "2027-04-15 10:00"))
    assert set(first) == set(later) == set(EXPECTED)
    assert all(int(e["sequence"]) == 0 for e in first.values())
    succeeded(cli("extend", "BETA-2", "--stage", "Stage 2", "--to", "2027-06-15", "--at", AT))
    extended = events(export(cli, "--all", "--at", AT))
    assert set(extended) == set(EXPECTED)
    stage2 = extended["BETA-2--stage-2@clusterctl"]
    assert int(stage2["sequence"]) == 1
    assert stage2.decoded("dtstart") == datetime(2027, 6, 15, 15, 0, tzinfo=UTC)
    assert "Original deadline: 2027-06-01 17:00 CEST" in str(stage2["description"])
    assert int(extended["BETA-2--stage-1@clusterctl"]["sequence"]) == 0
    succeeded(cli("extend", "BETA-2", "--stage", "Stage 2", "--by", "7d", "--at", AT))
    again = events(export(cli, "--all", "--at", AT))
    assert int(again["BETA-2--stage-2@clusterctl"]["sequence"]) == 2
    assert again["BETA-2--stage-2@clusterctl"].decoded("dtstart") == datetime(
        2027, 6, 22, 15, 0, tzinfo=UTC
    )


def triggers(event) -> list[timedelta]:
    """The alarm triggers of one event, in file order."""
    alarms = event.walk("VALARM")
    assert all(str(a["action"]) == "DISPLAY" for a in alarms)
    return [a.decoded("trigger") for a in alarms]


def test_alarms_at_the_default_thresholds(cli: Cli, store: Path) -> None:
    for event in events(export(cli, "--all", "--at", AT)).values():
        assert triggers(event) == DEFAULT_TRIGGERS


def test_alarms_at_given_thresholds(cli: Cli, store: Path) -> None:
    found = events(export(cli, "--all", "--at", AT, "--thresholds", "12h,3d"))
    for event in found.values():
        assert triggers(event) == [-3 * D, -timedelta(hours=12)]


def test_alarms_at_the_config_thresholds(
    cli: Cli, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[warn]\nthresholds = "10d,1h"\n', encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    for event in events(export(cli, "--all", "--at", AT)).values():
        assert triggers(event) == [-10 * D, -timedelta(hours=1)]
    only = events(export(cli, "--all", "--at", AT, "--thresholds", "2d"))
    assert all(triggers(e) == [-2 * D] for e in only.values())


def test_bad_thresholds(cli: Cli, store: Path) -> None:
    result = cli("export", "ics", "--all", "--thresholds", "soon")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid thresholds 'soon'")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "uids"),
    [
        # default: open and forthcoming
        ((), set(EXPECTED) - {"OLD-4--deadline@clusterctl"}),
        (("--all",), set(EXPECTED)),
        (("--closed",), {"OLD-4--deadline@clusterctl"}),
        (("--forthcoming",), {"LIS-3--deadline@clusterctl"}),
        (
            ("--open",),
            {
                "ALPHA-1--deadline@clusterctl",
                "BETA-2--stage-1@clusterctl",
                "BETA-2--stage-2@clusterctl",
            },
        ),
        (("--open", "--within", "3d"), BETA_UIDS),
        (("--all", "--programme", "horizon"), BETA_UIDS),
        (("--tag", "sme"), {"ALPHA-1--deadline@clusterctl"}),
        (("--search", "lisbon"), {"LIS-3--deadline@clusterctl"}),
        (("--tag", "nothing-has-this"), set()),
    ],
)  # fmt: skip
def test_filters(cli: Cli, store: Path, args: tuple[str, ...], uids: set[str]) -> None:
    data = export(cli, *args, "--at", AT)
    assert set(events(data)) == uids
    calendar = Calendar.from_ical(data)
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]) == "-//clusterctl//EN"


def test_export_from_an_empty_store_is_an_empty_calendar(cli: Cli, store_dir: Path) -> None:
    store_dir.mkdir()  # a path that does not exist is an error (tests/cli/test_listing_input.py)
    data = export(cli, "--all", "--at", AT)
    calendar = Calendar.from_ical(data)
    assert calendar.walk("VEVENT") == []
    assert calendar.walk("VTIMEZONE") == []
