"""``calls`` and ``show`` through the real command line, in-process with Typer's CliRunner:
tables, filters, JSON and CSV, time zones (clusterctl/cli/listing.py, actions/listing.py).

Every test pins the clock with ``--at``, so statuses, times left and filters are deterministic.
Output is compared exactly: whole lines, whole JSON values, exit codes and stderr text.
CliRunner's stdout is not a terminal, so listings come out as plain aligned columns.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.helpers import (
    ALPHA_EXTENDED_JSON,
    HOSTILE,
    HOSTILE_SHOWN,
    ID_RULE,
    NOW,
    SEED_COS,
    SEED_EOI,
    Cli,
    as_json,
    extend_alpha_twice,
    failed,
    first_column,
    ok,
)

# The same instant as NOW for runs with --tz, where a zone-less --at is read in the viewer's zone.
NOW_EXACT = "2018-03-02T17:00+01:00"
COS_TITLE = "European Strategic Cluster Partnerships for Smart Specialisation Investments (ESCP-S3)"
EOI_TITLE = (
    "Call for Expression of Interest for the European Strategic Cluster Partnerships for "
    "Smart Specialisation Investments"
)
EOI_NOTE = (
    "clusterctl's own id: the notice gives none. The notice says only that the deadline is "
    "extended until 31 March 2017: it states neither the original deadline nor a time of day, "
    "so 17:00 Brussels time (the EU portal's convention) is assumed."
)
HEADER = "ID       Title               Programme     Deadline                        Time left"


# --- calls: filters and sorting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        ((), ["ALPHA-1", "BETA-2", "DELTA-4"]),
        (("--open",), ["ALPHA-1", "BETA-2"]),
        (("--closed",), ["GAMMA-3"]),
        (("--forthcoming",), ["DELTA-4"]),
        (("--open", "--forthcoming"), ["ALPHA-1", "BETA-2", "DELTA-4"]),
        (("--open", "--closed"), ["ALPHA-1", "BETA-2", "GAMMA-3"]),
        (("--all",), ["ALPHA-1", "BETA-2", "DELTA-4", "GAMMA-3"]),
        (("-a",), ["ALPHA-1", "BETA-2", "DELTA-4", "GAMMA-3"]),
        (("--within", "14d"), ["ALPHA-1"]),
        (("--within", "2w"), ["ALPHA-1"]),
        (("--within", "18d"), ["ALPHA-1", "BETA-2"]),  # BETA-2 Stage 1 is exactly 18 days away
        (("--within", "17d23h"), ["ALPHA-1"]),
        (("--within", "144h"), ["ALPHA-1"]),  # exactly 6 days: included
        (("--within", "90d"), ["ALPHA-1", "BETA-2", "DELTA-4"]),
        (("--all", "--within", "90d"), ["ALPHA-1", "BETA-2", "DELTA-4"]),
        (("--programme", "cosme"), ["ALPHA-1", "DELTA-4"]),
        (("-p", "HORIZON"), ["BETA-2"]),
        (("--all", "--programme", "Interreg"), ["GAMMA-3"]),
        (("--tag", "digital"), ["ALPHA-1", "DELTA-4"]),
        (("--all", "--tag", "DIGITAL"), ["ALPHA-1", "DELTA-4", "GAMMA-3"]),
        (("--tag", "digital", "--tag", "green"), ["DELTA-4"]),
        (("-t", "green", "-t", "startups"), []),
        (("--search", "beta-2"), ["BETA-2"]),  # id
        (("--search", "GREEN CALL"), ["BETA-2"]),  # title
        (("--search", "horizon"), ["BETA-2"]),  # programme
        (("--search", "StartUps"), ["ALPHA-1"]),  # tag
        (("--search", "ANNA"), ["ALPHA-1"]),  # note
        (("--all", "-s", "interreg"), ["GAMMA-3"]),
        (("--programme", "cosme", "--tag", "green", "--open"), []),
        (("--programme", "cosme", "--within", "7d"), ["ALPHA-1"]),
    ],
)
def test_calls_filters(cli: Cli, sample: Path, args: tuple[str, ...], ids: list[str]) -> None:
    result = cli("calls", "--at", NOW, *args)
    if ids:
        assert first_column(ok(result)) == ids
    else:
        assert ok(result).startswith("No calls match.")


def test_calls_default_listing_exact(cli: Cli, sample: Path) -> None:
    # Nothing is extended: the Extended column, empty in every row, is left out.
    assert ok(cli("calls", "--at", NOW)).splitlines() == [
        HEADER + "             Status",
        "ALPHA-1  Alpha digital call  COSME         2018-03-08 17:00 CET            "
        "in 6 days ! soon      open",
        "BETA-2   Beta green call     Horizon 2020  2018-03-20 17:00 CET (Stage 1)  "
        "in 18 days            open",
        "DELTA-4  Delta call          COSME         2018-05-31 17:00 CEST           "
        "opens in 29 days 6 h  forthcoming",
    ]


def test_calls_all_puts_closed_calls_last_most_recent_first(cli: Cli, sample: Path) -> None:
    # At 20:00 on 8 March ALPHA-1 closed 3 hours ago, GAMMA-3 three weeks ago.
    out = ok(cli("calls", "--all", "--at", "2018-03-08 20:00"))
    assert out.splitlines() == [
        "ID       Title               Programme     Deadline                        "
        "Time left               Status",
        "BETA-2   Beta green call     Horizon 2020  2018-03-20 17:00 CET (Stage 1)  "
        "in 11 days 21 h         open",
        "DELTA-4  Delta call          COSME         2018-05-31 17:00 CEST           "
        "opens in 23 days 3 h    forthcoming",
        "ALPHA-1  Alpha digital call  COSME         2018-03-08 17:00 CET            "
        "closed 3 h ago          closed",
        "GAMMA-3  Gamma call          Interreg      2018-02-15 17:00 CET            "
        "closed 21 days 3 h ago  closed",
    ]


def test_calls_urgency_markers_read_without_colour(cli: Cli, sample: Path) -> None:
    out = ok(cli("calls", "--open", "--at", "2018-03-07 09:00"))
    assert "in 1 day 8 h !! urgent" in out.splitlines()[1]
    out = ok(cli("calls", "--open", "--at", "2018-03-01 17:00"))
    assert "in 7 days ! soon" in out.splitlines()[1]
    # A minute more than 7 days: no marker (the time left is rounded down for display).
    out = ok(cli("calls", "--open", "--at", "2018-03-01 16:59"))
    assert out.splitlines()[1].endswith("in 7 days   open")


def test_calls_status_at_the_exact_deadline_instant_is_closed(cli: Cli, sample: Path) -> None:
    before = as_json(cli("calls", "--all", "--format", "json", "--at", "2018-03-08T16:59:59+01:00"))
    assert (before[0]["id"], before[0]["status"]) == ("ALPHA-1", "open")
    line = ok(cli("calls", "--open", "--at", "2018-03-08T16:59:59+01:00")).splitlines()[1]
    assert "in under a minute !! urgent" in line
    at = as_json(cli("calls", "--all", "--format", "json", "--at", "8 March 2018 16:00 UTC"))
    assert {c["id"]: c["status"] for c in at}["ALPHA-1"] == "closed"
    out = ok(cli("calls", "--closed", "--at", "2018-03-08T17:00:00+01:00"))
    assert re.split(r"  +", out.splitlines()[1]) == [
        "ALPHA-1", "Alpha digital call", "COSME", "2018-03-08 17:00 CET", "closed just now",
        "closed",
    ]  # fmt: skip


def test_calls_forthcoming_until_opens(cli: Cli, sample: Path) -> None:
    def status(at: str) -> str:
        data = as_json(cli("calls", "--all", "--format", "json", "--at", at))
        return {c["id"]: c["status"] for c in data}["DELTA-4"]

    assert status("2018-03-31 23:59") == "forthcoming"
    assert status("2018-04-01 00:00") == "open"
    assert status("2018-05-31 16:59") == "open"
    assert status("2018-05-31 17:00") == "closed"


def test_calls_extended_mark_and_stage_label(cli: Cli, sample: Path) -> None:
    ok(cli("extend", "BETA-2", "--to", "2018-03-27 17:00", "--at", NOW))
    out = ok(cli("calls", "--open", "--at", NOW))
    assert out.splitlines()[0].endswith("Status  Extended")
    assert out.splitlines()[2].endswith("open    extended")
    assert "2018-03-27 17:00 CEST (Stage 1)" in out.splitlines()[2]
    assert out.splitlines()[1].endswith("open")  # ALPHA-1 was never extended


def test_calls_display_zone(cli: Cli, sample: Path) -> None:
    out = ok(cli("calls", "--open", "--tz", "UTC", "--at", NOW_EXACT))
    assert "2018-03-08 16:00 UTC" in out.splitlines()[1]
    out = ok(cli("calls", "--open", "--tz", "America/New_York", "--at", NOW))
    assert "2018-03-08 11:00 EST" in out.splitlines()[1]
    line = failed(cli("calls", "--tz", "Mars/Olympus", "--at", NOW), 2)
    assert (
        line == "error: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Brussels"
    )


def test_calls_empty_results(cli: Cli, store_dir: Path, sample: Path) -> None:
    assert ok(cli("calls", "--search", "interreg", "--at", NOW)) == (
        "No calls match. 1 closed call hidden; use --all or --closed to see them.\n"
    )
    assert ok(cli("calls", "--at", "2019-01-01")) == (
        "No calls match. 4 closed calls hidden; use --all or --closed to see them.\n"
    )
    # No hint when nothing closed matches, or when --all would not help (--within).
    assert ok(cli("calls", "--search", "nothing-like-this", "--at", NOW)) == "No calls match.\n"
    assert ok(cli("calls", "--within", "36h", "--at", NOW)) == "No calls match.\n"
    assert ok(cli("calls", "--closed", "--programme", "horizon", "--at", NOW)) == (
        "No calls match.\n"
    )


def test_calls_on_an_empty_store(cli: Cli, store_dir: Path) -> None:
    store_dir.mkdir()  # a path that does not exist is an error (tests/cli/test_listing_input.py)
    assert ok(cli("calls", "--at", NOW)) == f"No calls yet in {store_dir}.\n"
    assert as_json(cli("calls", "--all", "--format", "json", "--at", NOW)) == []
    assert list(store_dir.iterdir()) == [], "reading must never create the store"


@pytest.mark.parametrize("bad", ["3x", "-2d", "0h", "14", "d"])
def test_calls_bad_within(cli: Cli, sample: Path, bad: str) -> None:
    assert failed(cli("calls", "--within", bad, "--at", NOW), 2).startswith(
        f"error: invalid duration {bad!r}: "
    )


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("8 March", "error: '8 March' gives no year; write the full date, e.g. 8 March 2018"),
        (
            "31 February 2018",
            "error: '31 February 2018' is not a valid date: day is out of range for month",
        ),
    ],
)
def test_calls_bad_at(cli: Cli, sample: Path, at: str, message: str) -> None:
    assert failed(cli("calls", "--at", at), 2) == message


def test_all_cannot_be_combined_with_a_status_flag(cli: Cli, sample: Path) -> None:
    assert failed(cli("calls", "--all", "--open", "--at", NOW), 2) == (
        "error: --all already shows every status; drop --open/--closed/--forthcoming"
    )


# --- calls: the JSON and CSV contract ------------------------------------------------------


def test_calls_json_contract(cli: Cli, sample: Path) -> None:
    extend_alpha_twice(cli)
    data = as_json(cli("calls", "--all", "--format", "json", "--at", NOW))
    assert [c["id"] for c in data] == ["BETA-2", "ALPHA-1", "DELTA-4", "GAMMA-3"]
    assert data[1] == ALPHA_EXTENDED_JSON
    assert data[0] == {
        "id": "BETA-2",
        "title": "Beta green call",
        "programme": "Horizon 2020",
        "url": "",
        "tags": ["green"],
        "note": "",
        "status": "open",
        "timezone": "Europe/Brussels",
        "opens": None,
        "deadline": "2018-03-20T17:00:00+01:00",
        "deadline_label": "Stage 1",
        "extended": False,
        "deadlines": [
            {
                "label": "Stage 1",
                "deadline": "2018-03-20T17:00:00+01:00",
                "original_deadline": "2018-03-20T17:00:00+01:00",
                "extended": False,
            },
            {
                "label": "Stage 2",
                "deadline": "2018-06-12T17:00:00+02:00",
                "original_deadline": "2018-06-12T17:00:00+02:00",
                "extended": False,
            },
        ],
        "extensions": [],
    }
    documented = {
        "id", "title", "programme", "url", "tags", "status", "timezone", "opens", "deadline",
        "deadlines", "extensions",
    }  # fmt: skip
    for call in data:
        assert documented <= call.keys()
        for stage in call["deadlines"]:
            assert {"label", "deadline", "original_deadline"} <= stage.keys()
        for ext in call["extensions"]:
            assert {"from", "to", "reason", "source", "recorded"} <= ext.keys()
    # Once a stage has passed, the effective deadline is the next stage's.
    later = as_json(cli("calls", "--open", "--format", "json", "--at", "2018-03-21"))
    assert [(c["id"], c["deadline"], c["deadline_label"]) for c in later] == [
        ("ALPHA-1", "2018-04-05T17:00:00+02:00", ""),
        ("BETA-2", "2018-06-12T17:00:00+02:00", "Stage 2"),
    ]


def test_calls_csv(cli: Cli, sample: Path) -> None:
    out = ok(cli("calls", "--open", "--format", "csv", "--at", NOW))
    assert out.splitlines() == [
        "id,title,programme,url,tags,note,status,timezone,opens,deadline,deadline_label,"
        "extended,deadlines,extensions",
        'ALPHA-1,Alpha digital call,COSME,https://example.org/alpha,"[""digital"", ""startups""]",'
        "lead: Anna,open,Europe/Brussels,2018-01-10T00:00:00+01:00,2018-03-08T17:00:00+01:00,,"
        'false,"[{""label"": """", ""deadline"": ""2018-03-08T17:00:00+01:00"", '
        '""original_deadline"": ""2018-03-08T17:00:00+01:00"", ""extended"": false}]",[]',
        'BETA-2,Beta green call,Horizon 2020,,"[""green""]",,open,Europe/Brussels,,'
        "2018-03-20T17:00:00+01:00,Stage 1,false,"
        '"[{""label"": ""Stage 1"", ""deadline"": ""2018-03-20T17:00:00+01:00"", '
        '""original_deadline"": ""2018-03-20T17:00:00+01:00"", ""extended"": false}, '
        '{""label"": ""Stage 2"", ""deadline"": ""2018-06-12T17:00:00+02:00"", '
        '""original_deadline"": ""2018-06-12T17:00:00+02:00"", ""extended"": false}]",[]',
    ]
    assert ok(cli("calls", "--within", "1h", "--format", "csv", "--at", NOW)) == (
        "id,title,programme,url,tags,note,status,timezone,opens,deadline,deadline_label,"
        "extended,deadlines,extensions\n"
    )


# --- show -------------------------------------------------------------------------------------


def test_show_seed_call(cli: Cli, seeded_store: Path) -> None:
    out = ok(cli("show", SEED_COS, "--at", NOW, store=seeded_store))
    assert out.splitlines() == [
        f"ID         {SEED_COS}",
        f"Title      {COS_TITLE}",
        "Programme  COSME",
        "URL        -",
        "Tags       -",
        "Status     open",
        "Time zone  Europe/Brussels",
        "Opens      -",
        "Deadline   2018-03-08 17:00 CET, in 6 days",
    ]
    out = ok(cli("show", SEED_COS, "--tz", "UTC", "--at", NOW_EXACT, store=seeded_store))
    assert out.splitlines()[-1] == "Deadline   2018-03-08 16:00 UTC, in 6 days"
    data = as_json(cli("show", SEED_COS, "--format", "json", "--at", NOW, store=seeded_store))
    assert data == {
        "id": SEED_COS,
        "title": COS_TITLE,
        "programme": "COSME",
        "url": "",
        "tags": [],
        "note": "",
        "status": "open",
        "timezone": "Europe/Brussels",
        "opens": None,
        "deadline": "2018-03-08T17:00:00+01:00",
        "deadline_label": "",
        "extended": False,
        "deadlines": [
            {
                "label": "",
                "deadline": "2018-03-08T17:00:00+01:00",
                "original_deadline": "2018-03-08T17:00:00+01:00",
                "extended": False,
            }
        ],
        "extensions": [],
    }


def test_show_multi_stage(cli: Cli, sample: Path) -> None:
    ok(cli("extend", "BETA-2", "--to", "2018-03-27", "--reason", "outage", "--at", NOW))
    assert ok(cli("show", "BETA-2", "--at", NOW)).splitlines() == [
        "ID                  BETA-2",
        "Title               Beta green call",
        "Programme           Horizon 2020",
        "URL                 -",
        "Tags                green",
        "Status              open",
        "Time zone           Europe/Brussels",
        "Opens               -",
        "Deadline (Stage 1)  2018-03-27 17:00 CEST, in 24 days 23 h "
        "(extended; originally 2018-03-20 17:00 CET)",
        "Deadline (Stage 2)  2018-06-12 17:00 CEST, in 101 days 23 h",
        "Extension 1         2018-03-20 17:00 CET -> 2018-03-27 17:00 CEST [Stage 1], "
        "recorded 2018-03-02 16:00 UTC; reason: outage",
    ]


def test_show_unknown_id(cli: Cli, seeded_store: Path, store_dir: Path) -> None:
    assert failed(cli("show", "NOPE", store=seeded_store), 3) == (
        f"error: no call 'NOPE' in {seeded_store}"
    )
    assert failed(cli("show", "NOPE"), 3) == (
        f"error: no call 'NOPE': there is no store at {store_dir} yet"
    )
    assert failed(cli("show", "../clusterctl", store=seeded_store), 2) == (
        f"error: invalid id '../clusterctl': {ID_RULE}"
    )


def test_a_zoneless_at_is_read_in_the_viewers_zone(cli: Cli, seeded_store: Path) -> None:
    lisbon = ok(cli("show", SEED_COS, "--tz", "Europe/Lisbon", "--at", NOW, store=seeded_store))
    # 17:00 in Lisbon (WET, UTC+0) is 16:00 UTC: one hour later than 17:00 in Brussels.
    assert lisbon.splitlines()[-1] == "Deadline   2018-03-08 16:00 WET, in 5 days 23 h"


# --- user text is data, never markup -------------------------------------------------------


def test_hostile_title_is_shown_literally(cli: Cli) -> None:
    ok(
        cli(
            "add", "EVIL-1", "--title", HOSTILE, "--programme", "[i]P[/i]", "--note",
            "line one\nline two \u202eevil", "--deadline", "Stage \x1b[2J=2018-03-08",
            "--deadline", "2018-04-08", "--tag", "[blink]t",
        )
    )  # fmt: skip
    out = ok(cli("calls", "--at", NOW))
    assert "\x1b" not in out and "\x07" not in out
    assert out.splitlines()[1].split("  ")[:3] == ["EVIL-1", HOSTILE_SHOWN, "[i]P[/i]"]
    assert "2018-03-08 17:00 CET (Stage \\x1b[2J)" in out
    shown = ok(cli("show", "EVIL-1", "--at", NOW))
    assert "\x1b" not in shown and "\u202e" not in shown
    pairs = [tuple(re.split(r"  +", line, maxsplit=1)) for line in shown.splitlines()]
    assert ("Title", HOSTILE_SHOWN) in pairs
    assert ("Programme", "[i]P[/i]") in pairs
    assert ("Note", "line one line two \\u202eevil") in pairs
    assert ("Tags", "[blink]t") in pairs
    assert ("Deadline (Stage \\x1b[2J)", "2018-03-08 17:00 CET, in 6 days") in pairs
    data = as_json(cli("show", "EVIL-1", "--format", "json", "--at", NOW))
    assert data["title"] == HOSTILE
    assert data["note"] == "line one\nline two \u202eevil"
    assert data["deadlines"][0]["label"] == "Stage \x1b[2J"
    listed = as_json(cli("calls", "--format", "json", "--at", NOW))
    assert listed[0]["title"] == HOSTILE
    # The raw JSON text escapes the control characters too.
    assert "\x1b" not in ok(cli("calls", "--format", "json", "--at", NOW))


# --- the shipped data/ store -----------------------------------------------------------------


def test_seed_store_lists_both_calls(cli: Cli, seeded_store: Path) -> None:
    out = ok(cli("calls", "--all", "--at", NOW, store=seeded_store))
    rows = [re.split(r"  +", line) for line in out.splitlines()]
    assert rows == [
        ["ID", "Title", "Programme", "Deadline", "Time left", "Status", "Extended"],
        [SEED_COS, COS_TITLE, "COSME", "2018-03-08 17:00 CET", "in 6 days ! soon", "open"],
        [
            SEED_EOI,
            EOI_TITLE,
            "2017-03-31 17:00 CEST",
            "closed 336 days 1 h ago",
            "closed",
            "extended",
        ],
    ]
    default = ok(cli("calls", "--at", NOW, store=seeded_store))
    # Without the EOI, nothing listed is extended: the Extended column is left out.
    assert [re.split(r"  +", line) for line in default.splitlines()] == [rows[0][:-1], rows[1]]
    data = as_json(cli("calls", "--all", "--format", "json", "--at", NOW, store=seeded_store))
    assert [
        (c["id"], c["title"], c["programme"], c["deadline"], c["status"], c["extended"])
        for c in data
    ] == [
        (SEED_COS, COS_TITLE, "COSME", "2018-03-08T17:00:00+01:00", "open", False),
        (SEED_EOI, EOI_TITLE, "", "2017-03-31T17:00:00+02:00", "closed", True),
    ]
    assert data[1]["note"] == EOI_NOTE
    utc = ok(cli("calls", "--all", "--tz", "UTC", "--at", NOW_EXACT, store=seeded_store))
    assert "2018-03-08 16:00 UTC" in utc.splitlines()[1]
    assert "2017-03-31 15:00 UTC" in utc.splitlines()[2]
