"""Every kind of deadline change, told apart, through the real command line (issue 15, §1):
extensions, deadlines brought forward, corrections (edit --deadline, --tz, --stage-label) and
extensions whose original deadline was not stated (add --extended). Also what ``edit`` prints,
``--dry-run`` on add, extend and edit, and old store files without ``kind``.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.cli.helpers import (
    AT,
    NOW,
    SEED_COS,
    SEED_EOI,
    Cli,
    add,
    as_json,
    failed,
    lines,
    ok,
    snapshot,
    warn,
)

RECORDED = "2026-11-25 10:00"  # Brussels: 09:00Z


def toml(store: Path, call_id: str) -> str:
    return (store / "calls" / f"{call_id}.toml").read_text(encoding="utf-8")


def events(cli: Cli, *args: str) -> dict[str, dict[str, str]]:
    """The exported calendar's events by UID: description lines, SEQUENCE and DTSTART."""
    result = cli("export", "ics", "--all", "--at", AT, *args)
    assert result.exit_code == 0, result.stderr
    found = {}
    for event in Calendar.from_ical(result.stdout_bytes).walk("VEVENT"):
        found[str(event["uid"])] = {
            "description": str(event["description"]),
            "sequence": str(event["sequence"]),
            "start": event.decoded("dtstart").isoformat(),
        }
    return found


# --- brought forward ----------------------------------------------------------------------------


def test_a_deadline_brought_forward_is_told_apart_from_an_extension(cli: Cli, sample: Path) -> None:
    assert ok(cli("extend", "ALPHA-1", "--to", "6 March 2018", "--allow-earlier", "--at", NOW)) == (
        "Brought forward ALPHA-1: 2018-03-08 17:00 CET -> 2018-03-06 17:00 CET\n"
    )
    shown = ok(cli("show", "ALPHA-1", "--at", NOW)).splitlines()
    assert shown[8] == (
        "Deadline           2018-03-06 17:00 CET, in 4 days "
        "(brought forward; originally 2018-03-08 17:00 CET)"
    )
    assert shown[10] == (
        "Brought forward 1  2018-03-08 17:00 CET -> 2018-03-06 17:00 CET, "
        "recorded 2018-03-02 16:00 UTC"
    )
    assert "extended" not in "\n".join(shown)
    data = as_json(cli("show", "ALPHA-1", "--format", "json", "--at", NOW))
    assert data["extensions"][0]["kind"] == "brought_forward"
    assert (data["extended"], data["deadlines"][0]["extended"]) == (False, False)
    assert data["deadlines"][0]["original_deadline"] == "2018-03-08T17:00:00+01:00"
    assert 'kind = "brought_forward"' in toml(sample, "ALPHA-1")
    listing = ok(cli("calls", "--search", "Alpha", "--at", NOW)).splitlines()
    assert not listing[1].rstrip().endswith("extended")
    description = events(cli)["ALPHA-1--deadline@clusterctl"]["description"]
    assert "Original deadline: 2018-03-08 17:00 CET" in description
    assert "Brought forward from 2018-03-08 17:00 CET to 2018-03-06 17:00 CET" in description
    assert "Extended" not in description
    assert ok(cli("check")).startswith("ok: 4 calls")


# --- extended, the original not stated ----------------------------------------------------------


def test_an_extension_whose_original_deadline_is_not_stated(cli: Cli, store_dir: Path) -> None:
    assert ok(
        cli(
            "add",
            "EOI-1",
            "--title",
            "Expression of interest",
            "--deadline",
            "31 March 2017",
            "--extended",
            "--reason",
            "notice of DG GROW",
            "--source",
            "https://example.org/n",
            "--at",
            RECORDED,
        )
    ) == ("Added EOI-1: deadline 2017-03-31 17:00 CEST, extended (original deadline not stated)\n")
    data = as_json(cli("show", "EOI-1", "--format", "json", "--at", NOW))
    assert data["extended"] is True
    assert data["deadlines"] == [
        {
            "label": "",
            "deadline": "2017-03-31T17:00:00+02:00",
            "original_deadline": None,
            "extended": True,
        }
    ]
    assert data["extensions"] == [
        {
            "kind": "extension",
            "stage": "",
            "from": None,
            "to": "2017-03-31T17:00:00+02:00",
            "reason": "notice of DG GROW",
            "source": "https://example.org/n",
            "recorded": "2026-11-25T09:00:00+00:00",
        }
    ]
    shown = ok(cli("show", "EOI-1", "--at", NOW)).splitlines()
    assert shown[8] == (
        "Deadline     2017-03-31 17:00 CEST, closed 336 days 1 h ago, "
        "extended (original deadline not stated)"
    )
    assert shown[9] == (
        "Extension 1  not stated -> 2017-03-31 17:00 CEST, recorded 2026-11-25 09:00 UTC; "
        "reason: notice of DG GROW; source: https://example.org/n"
    )
    assert toml(store_dir, "EOI-1").endswith(
        "\n[[deadlines]]\n"
        "\n[[extensions]]\n"
        'kind = "extension"\n'
        "to = 2017-03-31 17:00:00+02:00\n"
        'reason = "notice of DG GROW"\n'
        'source = "https://example.org/n"\n'
        "recorded = 2026-11-25 09:00:00+00:00\n"
    )
    assert ok(cli("check")) == f"ok: 1 call in {store_dir}, no problems\n"
    description = events(cli)["EOI-1--deadline@clusterctl"]["description"]
    assert "Original deadline: not stated" in description
    assert "Extended (original not stated) to 2017-03-31 17:00 CEST" in description
    # A later extension chains from the stated deadline.
    assert ok(cli("extend", "EOI-1", "--by", "7d", "--at", RECORDED)) == (
        "Extended EOI-1: 2017-03-31 17:00 CEST -> 2017-04-07 17:00 CEST\n"
    )
    assert ok(cli("check")) == f"ok: 1 call in {store_dir}, no problems\n"


def test_reason_and_source_on_add_need_extended(cli: Cli, store_dir: Path) -> None:
    assert failed(cli("add", "X-1", "--title", "T", "-d", "2027-05-01", "--reason", "r"), 2) == (
        "error: --reason and --source describe an extension: add --extended, or record one "
        "later with clusterctl extend"
    )
    assert not store_dir.exists()


def test_the_shipped_eoi_is_an_extension_whose_original_is_not_stated(seeded_store: Path) -> None:
    text = toml(seeded_store, SEED_EOI)
    assert "\n[[deadlines]]\n\n[[extensions]]\n" in text
    assert 'kind = "extension"\nto = 2017-03-31 17:00:00+02:00\n' in text
    assert "from =" not in text
    assert "clusterctl's own" in text  # the note says the notice gives no id


# --- corrections --------------------------------------------------------------------------------


def test_a_corrected_deadline_is_recorded_and_later_extensions_chain(
    cli: Cli, store_dir: Path
) -> None:
    add(cli, "C-1", "Call", "2027-05-01")
    assert ok(cli("edit", "C-1", "--deadline", "2 May 2027", "--at", RECORDED)) == (
        "Updated C-1\n  deadline: 2027-05-01 17:00 CEST -> 2027-05-02 17:00 CEST (corrected)\n"
    )
    data = as_json(cli("show", "C-1", "--format", "json", "--at", AT))
    assert data["extensions"] == [
        {
            "kind": "correction",
            "corrects": "deadline",
            "stage": "",
            "from": "2027-05-01T17:00:00+02:00",
            "to": "2027-05-02T17:00:00+02:00",
            "reason": "",
            "source": "",
            "recorded": "2026-11-25T09:00:00+00:00",
        }
    ]
    assert data["deadlines"][0]["original_deadline"] == "2027-05-02T17:00:00+02:00"
    assert (data["extended"], data["deadlines"][0]["extended"]) == (False, False)
    shown = ok(cli("show", "C-1", "--at", AT)).splitlines()
    assert shown[8] == "Deadline      2027-05-02 17:00 CEST, in 33 days 8 h"
    assert shown[9] == (
        "Correction 1  deadline 2027-05-01 17:00 CEST -> 2027-05-02 17:00 CEST, "
        "recorded 2026-11-25 09:00 UTC"
    )
    assert "deadline = 2027-05-02 17:00:00+02:00" in toml(store_dir, "C-1")
    assert ok(cli("extend", "C-1", "--by", "7d", "--at", RECORDED)) == (
        "Extended C-1: 2027-05-02 17:00 CEST -> 2027-05-09 17:00 CEST\n"
    )
    # Correcting the original of an extended stage leaves the extended deadline alone.
    assert ok(cli("edit", "C-1", "--deadline", "3 May 2027", "--at", RECORDED)) == (
        "Updated C-1\n  original deadline: 2027-05-02 17:00 CEST -> 2027-05-03 17:00 CEST "
        "(corrected; the deadline stays 2027-05-09 17:00 CEST, as announced)\n"
    )
    assert as_json(cli("show", "C-1", "--format", "json", "--at", AT))["deadline"] == (
        "2027-05-09T17:00:00+02:00"
    )
    assert ok(cli("check")) == f"ok: 1 call in {store_dir}, no problems\n"
    description = events(cli)["C-1--deadline@clusterctl"]["description"]
    assert "Corrected from 2027-05-01 17:00 CEST to 2027-05-02 17:00 CEST" in description
    assert "Corrected from 2027-05-02 17:00 CEST to 2027-05-03 17:00 CEST" in description
    assert "Extended from 2027-05-02 17:00 CEST to 2027-05-09 17:00 CEST" in description


def test_a_correction_of_one_stage_names_it(cli: Cli, sample: Path) -> None:
    before = snapshot(sample)
    assert failed(cli("edit", "BETA-2", "--deadline", "21 March 2018"), 2) == (
        "error: call BETA-2 has several stages ('Stage 1', 'Stage 2'); name one with --stage"
    )
    assert failed(cli("edit", "BETA-2", "--stage", "Stage 1", "--note", "n"), 2) == (
        "error: --stage names the stage whose --deadline is corrected; give --deadline"
    )
    assert failed(
        cli("edit", "BETA-2", "--deadline", "20 March 2018", "--stage", "Stage 1"), 4
    ) == (
        "error: call BETA-2: the deadline is already 2018-03-20T17:00:00+01:00; nothing to correct"
    )
    assert snapshot(sample) == before
    assert ok(cli("edit", "BETA-2", "-d", "21 March 2018", "--stage", "Stage 1", "--at", NOW)) == (
        "Updated BETA-2\n"
        "  deadline (Stage 1): 2018-03-20 17:00 CET -> 2018-03-21 17:00 CET (corrected)\n"
    )


def test_a_zone_correction_keeps_the_wall_time(cli: Cli, store_dir: Path) -> None:
    add(cli, "Z-1", "Zoned", "2027-05-01 17:00", tz="Europe/London")
    assert ok(cli("edit", "Z-1", "--tz", "Europe/Brussels", "--at", RECORDED)) == (
        "Updated Z-1\n  time zone: Europe/London -> Europe/Brussels (wall times kept)\n"
    )
    data = as_json(cli("show", "Z-1", "--format", "json", "--at", AT))
    assert (data["timezone"], data["deadline"]) == ("Europe/Brussels", "2027-05-01T17:00:00+02:00")
    assert data["extensions"] == [
        {
            "kind": "correction",
            "corrects": "timezone",
            "stage": "",
            "from": None,
            "to": None,
            "old": "Europe/London",
            "new": "Europe/Brussels",
            "reason": "",
            "source": "",
            "recorded": "2026-11-25T09:00:00+00:00",
        }
    ]
    shown = ok(cli("show", "Z-1", "--at", AT)).splitlines()
    assert shown[9] == (
        "Correction 1  time zone Europe/London -> Europe/Brussels (wall times kept), "
        "recorded 2026-11-25 09:00 UTC"
    )
    event = events(cli)["Z-1--deadline@clusterctl"]
    assert event["start"] == "2027-05-01T17:00:00+02:00"
    assert "Time zone corrected from Europe/London to Europe/Brussels" in event["description"]
    assert event["sequence"] == "1"
    assert failed(cli("edit", "Z-1", "--tz", "Europe/Brussels"), 4) == (
        "error: call Z-1: the time zone is already Europe/Brussels; nothing to correct"
    )


def test_a_label_correction_keeps_the_stage_and_its_calendar_event(cli: Cli, sample: Path) -> None:
    uids_before = set(events(cli))
    ok(cli("extend", "BETA-2", "--stage", "Stage 1", "--by", "1d", "--at", NOW))
    assert ok(cli("edit", "BETA-2", "--stage-label", "Stage 1=Outline", "--at", NOW)) == (
        "Updated BETA-2\n  stage label: 'Stage 1' -> 'Outline'\n"
    )
    data = as_json(cli("show", "BETA-2", "--format", "json", "--at", NOW))
    assert [d["label"] for d in data["deadlines"]] == ["Outline", "Stage 2"]
    assert [(e["kind"], e["stage"]) for e in data["extensions"]] == [
        ("extension", "Stage 1"),
        ("correction", "Stage 1"),
    ]
    assert (data["extensions"][1]["old"], data["extensions"][1]["new"]) == ("Stage 1", "Outline")
    assert set(events(cli)) == uids_before  # the event keeps its UID
    assert ok(cli("extend", "BETA-2", "--stage", "Outline", "--by", "1d", "--at", NOW)).startswith(
        "Extended BETA-2 (Outline): 2018-03-21 17:00 CET -> 2018-03-22"
    )
    assert ok(cli("check")).startswith("ok: 4 calls")
    for spec, message in [
        ("Stage 2", "error: --stage-label 'Stage 2': write OLD=NEW, e.g. 'Stage 1=Full proposal'"),
        ("Stage 2= ", "error: --stage-label 'Stage 2= ': a stage label must not be empty"),
        ("Stage 9=X", "error: call BETA-2 has no stage 'Stage 9' (stages: 'Outline', 'Stage 2')"),
        ("Stage 2=Outline", "error: call BETA-2 already has a stage 'Outline'"),
    ]:
        assert failed(cli("edit", "BETA-2", "--stage-label", spec), 2) == message


# --- warnings after corrections -----------------------------------------------------------------


def test_a_correction_re_arms_warnings_only_when_the_deadline_moved_later(
    cli: Cli, store_dir: Path
) -> None:
    add(cli, "W-1", "Warned", "Stage 1=2027-04-08 17:00", "Stage 2=2027-09-01")
    first = lines(warn(cli, "--at", AT))
    assert first == [
        "W-1  Warned  deadline 2027-04-08 17:00 CEST (Stage 1)  in 9 days 8 h (under 14d)"
    ]
    # Typed a day too late: corrected earlier, still within 14 days: not warned again.
    ok(cli("edit", "W-1", "-d", "2027-04-07 17:00", "--stage", "Stage 1", "--at", AT))
    assert warn(cli, "--at", AT).stdout == ""
    # A stage renamed is the same deadline: not warned again.
    ok(cli("edit", "W-1", "--stage-label", "Stage 1=Outline", "--at", AT))
    assert warn(cli, "--at", AT).stdout == ""
    # A tighter threshold crossed is news, as always.
    assert lines(warn(cli, "--at", "2027-04-01 09:00")) == [
        "W-1  Warned  deadline 2027-04-07 17:00 CEST (Outline)  in 6 days 8 h (under 7d)"
    ]
    # Corrected later: the warnings are re-armed for the new deadline.
    ok(cli("edit", "W-1", "-d", "2027-04-12 17:00", "--stage", "Outline", "--at", AT))
    assert lines(warn(cli, "--at", "2027-04-01 09:00")) == [
        "W-1  Warned  deadline 2027-04-12 17:00 CEST (Outline)  in 11 days 8 h (under 14d)"
    ]
    # An extension re-arms them too, and says so.
    ok(cli("extend", "W-1", "--stage", "Outline", "--to", "2027-04-13", "--at", AT))
    assert lines(warn(cli, "--at", "2027-04-01 09:00")) == [
        "W-1  Warned  deadline 2027-04-13 17:00 CEST (Outline)  in 12 days 8 h (under 14d)  "
        "EXTENDED",
        # The digest's section of what moved (issue 17): the extension, not the corrections.
        "Changed since the last digest:",
        "  extended W-1 (Outline): 2027-04-12 17:00 CEST -> 2027-04-13 17:00 CEST",
    ]


# --- what edit prints; --dry-run ----------------------------------------------------------------


def test_edit_prints_each_changed_field(cli: Cli, sample: Path) -> None:
    assert ok(
        cli(
            "edit", "ALPHA-1", "--title", "Alpha", "-p", "SMP", "--url", "",
            "--note", "lead: Ben", "--add-tag", "ours", "--opens", "2018-01-15",
        )
    ) == (
        "Updated ALPHA-1\n"
        "  title: Alpha digital call -> Alpha\n"
        "  programme: COSME -> SMP\n"
        "  url: https://example.org/alpha -> -\n"
        "  tags: digital, startups -> digital, startups, ours\n"
        "  note: lead: Anna -> lead: Ben\n"
        "  opens: 2018-01-10 00:00 CET -> 2018-01-15 00:00 CET\n"
    )  # fmt: skip
    assert ok(cli("edit", "ALPHA-1", "--title", "Alpha")) == (
        "Unchanged ALPHA-1: it already has every value given\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["add", "NEW-1", "--title", "New", "-d", "2018-05-01", "--at", NOW],
        ["add", "ALPHA-1", "--title", "Again", "-d", "2018-05-01", "--replace", "--at", NOW],
        ["extend", "ALPHA-1", "--by", "7d", "--at", NOW],
        ["extend", "ALPHA-1", "--to", "2018-03-01", "--allow-earlier", "--at", NOW],
        ["edit", "ALPHA-1", "--title", "Alpha", "--add-tag", "ours", "--at", NOW],
        ["edit", "ALPHA-1", "--deadline", "9 March 2018", "--at", NOW],
        ["edit", "BETA-2", "--tz", "Europe/Lisbon", "--stage-label", "Stage 2=Full", "--at", NOW],
    ],
)
def test_dry_run_prints_the_same_lines_and_writes_nothing(
    cli: Cli, sample: Path, tmp_path: Path, args: list[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(sample, copy)
    before = snapshot(sample)
    dry = cli(*args, "--dry-run")
    assert (dry.exit_code, dry.stderr) == (0, "dry run: nothing was written\n")
    assert snapshot(sample) == before
    real = cli(*args, store=copy)
    assert (real.exit_code, real.stdout) == (0, dry.stdout)
    assert snapshot(copy) != snapshot(sample)


def test_dry_run_refuses_what_the_real_run_refuses(cli: Cli, sample: Path) -> None:
    assert failed(cli("add", "ALPHA-1", "--title", "T", "-d", "2018-05-01", "-n"), 4) == (
        "error: a call with id 'ALPHA-1' already exists"
    )
    assert failed(cli("extend", "NOPE", "--by", "1d", "-n"), 3) == (
        f"error: no call 'NOPE' in {sample}"
    )


def test_a_dry_run_add_creates_no_store(cli: Cli, store_dir: Path) -> None:
    result = cli("add", "NEW-1", "--title", "New", "-d", "2027-05-01", "-n", "--at", AT)
    assert result.stdout == "Added NEW-1: deadline 2027-05-01 17:00 CEST\n"
    assert not store_dir.exists()


# --- old stores ---------------------------------------------------------------------------------

OLD_FILE = """\
id = "OLD-1"
title = "Written before history entries had a kind"
timezone = "Europe/Brussels"

[[deadlines]]
deadline = 2027-05-01 17:00:00+02:00

[[extensions]]
from = 2027-05-01 17:00:00+02:00
to = 2027-05-15 17:00:00+02:00
recorded = 2026-11-01 09:00:00+00:00

[[extensions]]
from = 2027-05-15 17:00:00+02:00
to = 2027-05-10 17:00:00+02:00
recorded = 2026-11-02 09:00:00+00:00
"""


def test_an_old_file_reads_as_before_and_keeps_its_shape(cli: Cli, store_dir: Path) -> None:
    add(cli, "X-1", "Makes the store", "2027-05-01")
    (store_dir / "calls" / "OLD-1.toml").write_text(OLD_FILE, encoding="utf-8")
    data = as_json(cli("show", "OLD-1", "--format", "json", "--at", AT))
    assert [e["kind"] for e in data["extensions"]] == ["extension", "brought_forward"]
    assert data["extended"] is True
    assert ok(cli("show", "OLD-1", "--at", AT)).splitlines()[8] == (
        "Deadline           2027-05-10 17:00 CEST, in 41 days 8 h "
        "(brought forward; originally 2027-05-01 17:00 CEST)"
    )
    assert ok(cli("check")) == f"ok: 2 calls in {store_dir}, no problems\n"
    ok(cli("edit", "OLD-1", "--note", "kept as it was"))
    assert toml(store_dir, "OLD-1") == OLD_FILE.replace(
        'timezone = "Europe/Brussels"\n', 'note = "kept as it was"\ntimezone = "Europe/Brussels"\n'
    )


def test_a_json_backup_round_trips_every_kind(cli: Cli, sample: Path, tmp_path: Path) -> None:
    ok(cli("extend", "ALPHA-1", "--by", "7d", "--at", NOW))
    ok(cli("extend", "ALPHA-1", "--to", "2018-03-10", "--allow-earlier", "--at", NOW))
    ok(cli("edit", "ALPHA-1", "--deadline", "2018-03-07", "--at", NOW))
    ok(cli("edit", "BETA-2", "--tz", "Europe/Lisbon", "--stage-label", "Stage 1=A", "--at", NOW))
    ok(cli("add", "EOI-1", "--title", "E", "-d", "31 March 2017", "--extended", "--at", NOW))
    (sample / "calls" / "OLD-1.toml").write_text(OLD_FILE, encoding="utf-8")
    for fmt in ("json", "csv"):
        backup = tmp_path / f"backup.{fmt}"
        backup.write_text(ok(cli("calls", "--all", "--format", fmt, "--at", NOW)))
        fresh = tmp_path / f"fresh-{fmt}"
        result = cli("import", str(backup), store=fresh)
        assert result.exit_code == 0, result.stderr
        for name in ("ALPHA-1", "BETA-2", "EOI-1"):
            assert toml(fresh, name) == toml(sample, name), (fmt, name)
        # the old entries come back with their kind, which they now state
        assert toml(fresh, "OLD-1").count("kind =") == 2
        assert ok(cli("check", store=fresh)).startswith("ok: 6 calls")


# --- the help's example -------------------------------------------------------------------------


def test_the_extend_help_example_works_on_the_shipped_store(cli: Cli, seeded_store: Path) -> None:
    text = ok(cli("extend", "--help"))
    example = re.search(r"Example: clusterctl (extend .*)", text)
    assert example is not None
    args = shlex.split(example.group(1))
    assert args[1] == SEED_COS
    assert ok(cli(*args, "--at", NOW, store=seeded_store)).startswith(f"Extended {SEED_COS}: ")
