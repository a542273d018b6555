"""Input to ``add`` and ``edit`` that is probably a mistake (issue 15, §4), through the real
command line: warned on stderr and accepted (a deadline already past, stages out of date
order, a zone abbreviation), or refused (an empty stage label); and a deadline given in AoE,
shown in AoE beside the converted time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import AT, Cli, as_json, failed, ok

ADDED = "Added X-1: deadline 2027-05-01 17:00 CEST\n"


def added(cli: Cli, *args: str):
    """``add X-1 --title T ARGS --at AT`` into a store that exists already (so that the only
    thing on stderr is what the input deserves)."""
    ok(cli("add", "SEED-1", "--title", "Makes the store", "-d", "2027-12-01", "--at", AT))
    return cli("add", "X-1", "--title", "T", *args, "--at", AT)


def test_a_deadline_already_past_is_warned_of_and_accepted(cli: Cli, store_dir: Path) -> None:
    result = added(cli, "-d", "2027-03-01")
    assert (result.exit_code, result.stdout) == (0, "Added X-1: deadline 2027-03-01 17:00 CET\n")
    assert result.stderr == "warning: the deadline 2027-03-01 17:00 CET is already past\n"
    assert (store_dir / "calls" / "X-1.toml").exists()


def test_each_past_stage_is_named(cli: Cli) -> None:
    result = added(
        cli, "-d", "Outline=2027-03-01", "-d", "Full=2027-03-29 17:00", "-d", "2027-06-01"
    )
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: the deadline (Outline) 2027-03-01 17:00 CET is already past",
        "warning: the deadline (Full) 2027-03-29 17:00 CEST is already past",
    ]


def test_a_future_deadline_in_order_says_nothing(cli: Cli) -> None:
    result = added(cli, "-d", "Stage 1=2027-05-01", "-d", "Stage 2=2027-09-01")
    assert (result.exit_code, result.stderr) == (0, "")


def test_stages_out_of_date_order_are_warned_of_and_kept_in_date_order(cli: Cli) -> None:
    result = added(cli, "-d", "Stage 1=2027-09-01", "-d", "Stage 2=2027-05-01")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: the deadlines were not given in date order (they are kept in date order)\n"
    )
    assert result.stdout == (
        "Added X-1: deadline Stage 2: 2027-05-01 17:00 CEST, Stage 1: 2027-09-01 17:00 CEST\n"
    )


@pytest.mark.parametrize(
    ("tz", "zone", "place"),
    [
        ("CET", "CET", "Europe/Brussels"),
        ("cet", "CET", "Europe/Brussels"),
        ("EET", "EET", "Europe/Athens"),
        ("EST5EDT", "EST5EDT", "America/New_York"),
    ],
)
def test_a_zone_abbreviation_is_warned_of_and_accepted(
    cli: Cli, tz: str, zone: str, place: str
) -> None:
    result = added(cli, "-d", "2027-05-01", "--tz", tz)
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: --tz {tz}: {zone} is an abbreviation, not a place, and follows no country's "
        f"rules; use a place such as {place}\n"
    )
    assert as_json(cli("show", "X-1", "--format", "json", "--at", AT))["timezone"] == zone
    corrected = cli("edit", "X-1", "--tz", place, "--at", AT)
    assert (corrected.exit_code, corrected.stderr) == (0, "")
    again = cli("edit", "X-1", "--tz", tz, "--at", AT)
    assert again.stderr.startswith(f"warning: --tz {tz}: {zone} is an abbreviation")


@pytest.mark.parametrize("tz", ["Europe/Brussels", "UTC", "AoE", "Etc/GMT-3", "Europe/Lisbon"])
def test_a_place_utc_or_aoe_is_no_abbreviation(cli: Cli, tz: str) -> None:
    result = added(cli, "-d", "2027-05-01", "--tz", tz)
    assert (result.exit_code, result.stderr) == (0, "")


@pytest.mark.parametrize("spec", ["=2027-05-01", " =2027-05-01"])
def test_an_empty_stage_label_is_refused(cli: Cli, store_dir: Path, spec: str) -> None:
    assert failed(cli("add", "X-1", "--title", "T", "-d", spec), 2) == (
        f"error: --deadline {spec!r}: the label before '=' is empty; write LABEL=WHEN, "
        "or WHEN alone"
    )
    assert not store_dir.exists()


def test_a_deadline_given_in_aoe_is_shown_in_aoe_beside_it(cli: Cli, store_dir: Path) -> None:
    result = added(cli, "-d", "30 April 2027 23:59 AoE")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "Added X-1: deadline 2027-05-01 13:59 CEST (2027-04-30 23:59 AoE)\n"
    shown = ok(cli("show", "X-1", "--at", AT)).splitlines()
    assert shown[8] == "Deadline   2027-05-01 13:59 CEST (2027-04-30 23:59 AoE), in 32 days 4 h"
    data = as_json(cli("show", "X-1", "--format", "json", "--at", AT))
    assert data["deadline"] == "2027-05-01T13:59:00+02:00"
    assert data["deadlines"][0]["aoe"] is True
    assert "aoe = true" in (store_dir / "calls" / "X-1.toml").read_text()
    # A deadline in the call's own zone says nothing more.
    assert "AoE" not in ok(cli("show", "SEED-1", "--at", AT))
    # extend --to ... AoE, and an edit, show it the same way.
    assert ok(cli("extend", "X-1", "--to", "7 May 2027 23:59 AoE", "--at", AT)) == (
        "Extended X-1: 2027-05-01 13:59 CEST -> 2027-05-08 13:59 CEST (2027-05-07 23:59 AoE)\n"
    )
    shown = ok(cli("show", "X-1", "--at", AT)).splitlines()
    assert shown[8].startswith("Deadline     2027-05-08 13:59 CEST (2027-05-07 23:59 AoE), in ")
    assert shown[9].startswith(
        "Extension 1  2027-05-01 13:59 CEST -> 2027-05-08 13:59 CEST (2027-05-07 23:59 AoE), "
    )
    calendar = cli("export", "ics", "--all", "--at", AT).stdout
    assert "Deadline: 2027-05-08 13:59 CEST (2027-05-07 23:59 AoE)" in calendar.replace("\r\n ", "")


def test_warnings_are_said_only_once_the_change_is_accepted(cli: Cli) -> None:
    ok(cli("add", "X-1", "--title", "T", "-d", "2027-05-01", "--at", AT))
    assert failed(cli("add", "X-1", "--title", "T", "-d", "2017-05-01", "--tz", "CET"), 4) == (
        "error: a call with id 'X-1' already exists"
    )
