"""``add``, ``extend``, ``edit`` and ``remove`` through the real command line, in-process with
Typer's CliRunner (clusterctl/cli/changes.py, actions/changes.py).

Every test pins the clock with ``--at`` where it matters; output, exit codes and the one stderr
line are compared exactly, and a refused change must leave the store byte for byte unchanged.
CliRunner's stdin is not a terminal, so ``remove`` without ``--yes`` takes its non-terminal
refusal path (the interactive prompt is exercised on a real pseudo-terminal in test_e2e.py).
"""

from __future__ import annotations

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
    snapshot,
)

# --- add --------------------------------------------------------------------------------------


def test_add_with_every_option(cli: Cli, store_dir: Path) -> None:
    assert ok(
        cli(
            "add", "ALPHA-1", "--title", "Alpha digital call", "--programme", "COSME",
            "--tag", "digital", "--tag", "startups", "--tag", "digital", "--note", "lead: Anna",
            "--opens", "2018-01-10", "--url", "https://example.org/alpha",
            "--deadline", "2018-03-08 17:00", "--at", NOW,
        )
    ) == "Added ALPHA-1: deadline 2018-03-08 17:00 CET\n"  # fmt: skip
    # Deterministic, hand-editable TOML (repeated tags kept once, empty fields left out).
    assert (store_dir / "calls" / "ALPHA-1.toml").read_text() == (
        'id = "ALPHA-1"\n'
        'title = "Alpha digital call"\n'
        'programme = "COSME"\n'
        'url = "https://example.org/alpha"\n'
        "tags = [\n"
        '    "digital",\n'
        '    "startups",\n'
        "]\n"
        'note = "lead: Anna"\n'
        'timezone = "Europe/Brussels"\n'
        "opens = 2018-01-10 00:00:00+01:00\n"
        "\n"
        "[[deadlines]]\n"
        "deadline = 2018-03-08 17:00:00+01:00\n"
    )
    assert (store_dir / "clusterctl.toml").read_text() == "schema_version = 1\n"
    data = as_json(cli("show", "ALPHA-1", "--format", "json", "--at", NOW))
    assert data["opens"] == "2018-01-10T00:00:00+01:00"
    assert data["tags"] == ["digital", "startups"]


def test_add_stages_labelled_and_unlabelled(cli: Cli) -> None:
    assert ok(
        cli(
            "add", "TWO-STAGE", "--title", "T", "-d", "Full proposal=2018-09-12",
            "-d", "Stage 1 = 10 April 2018 12:00",
        )
    ) == (
        "Added TWO-STAGE: deadline Stage 1: 2018-04-10 12:00 CEST, "
        "Full proposal: 2018-09-12 17:00 CEST\n"
    )  # fmt: skip
    ok(cli("add", "CUTOFFS", "--title", "T", "-d", "2018-09-12", "-d", "2018-04-10"))
    data = as_json(cli("show", "CUTOFFS", "--format", "json", "--at", NOW))
    # Unlabelled deadlines are named Stage 1, Stage 2 in time order.
    assert [(s["label"], s["deadline"]) for s in data["deadlines"]] == [
        ("Stage 1", "2018-04-10T17:00:00+02:00"),
        ("Stage 2", "2018-09-12T17:00:00+02:00"),
    ]
    assert (data["deadline"], data["deadline_label"]) == ("2018-04-10T17:00:00+02:00", "Stage 1")
    later = as_json(cli("show", "CUTOFFS", "--format", "json", "--at", "2018-05-01"))
    assert (later["deadline"], later["deadline_label"], later["status"]) == (
        "2018-09-12T17:00:00+02:00",
        "Stage 2",
        "open",
    )
    line = failed(cli("add", "SAME", "--title", "T", "-d", "A=2018-04-10", "-d", "A=2018-05-10"), 2)
    assert line == "error: deadline labels must be unique: ['A', 'A']"


@pytest.mark.parametrize(
    ("args", "timezone", "deadline", "shown"),
    [
        ((), "Europe/Brussels", "2018-03-08T17:00:00+01:00", "2018-03-08 17:00 CET"),
        (("--tz", "America/New_York"), "America/New_York", "2018-03-08T17:00:00-05:00",
         "2018-03-08 17:00 EST"),
        (("--tz", "america/new_york"), "America/New_York", "2018-03-08T17:00:00-05:00",
         "2018-03-08 17:00 EST"),
        (("--tz", "AoE"), "Etc/GMT+12", "2018-03-08T17:00:00-12:00", "2018-03-08 17:00 AoE"),
        (("--tz", "UTC"), "UTC", "2018-03-08T17:00:00+00:00", "2018-03-08 17:00 UTC"),
    ],
)  # fmt: skip
def test_add_bare_date_is_17_00_in_the_calls_zone(
    cli: Cli, args: tuple[str, ...], timezone: str, deadline: str, shown: str
) -> None:
    assert ok(cli("add", "Z-1", "--title", "T", "--deadline", "2018-03-08", *args)) == (
        f"Added Z-1: deadline {shown}\n"
    )
    data = as_json(cli("show", "Z-1", "--format", "json", "--at", NOW))
    assert (data["timezone"], data["deadline"]) == (timezone, deadline)


def test_add_aoe_end_of_day(cli: Cli) -> None:
    ok(cli("add", "AOE-1", "--title", "T", "--tz", "AoE", "--deadline", "2018-03-08 23:59"))
    ok(cli("add", "AOE-2", "--title", "T", "--deadline", "8 March 2018 23:59 AoE"))
    one = as_json(cli("show", "AOE-1", "--format", "json", "--at", NOW))
    two = as_json(cli("show", "AOE-2", "--format", "json", "--at", NOW))
    assert one["deadline"] == "2018-03-08T23:59:00-12:00"
    assert two["deadline"] == "2018-03-09T12:59:00+01:00"  # the same instant, in Brussels
    out = ok(cli("calls", "--at", NOW))
    assert "2018-03-08 23:59 AoE" in out and "2018-03-09 12:59 CET" in out


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("8 March 2018, 17:00h Brussels time", "2018-03-08T17:00:00+01:00"),
        ("08/03/2018 17:00", "2018-03-08T17:00:00+01:00"),
        ("2018-03-08T17:00+01:00", "2018-03-08T17:00:00+01:00"),
        ("2018-03-08 17:00", "2018-03-08T17:00:00+01:00"),
        ("8 March 2018 17:00 CET", "2018-03-08T17:00:00+01:00"),
        ("8 March 2018 16:00 UTC", "2018-03-08T17:00:00+01:00"),
        ("Thursday 8 March 2018, 17:00", "2018-03-08T17:00:00+01:00"),
        ("31 March 2017", "2017-03-31T17:00:00+02:00"),
        ("31 March 2017 17:00 CEST", "2017-03-31T17:00:00+02:00"),
        ("2026-07-01", "2026-07-01T17:00:00+02:00"),  # 1 July, not 7 January
        ("01/07/2026", "2026-07-01T17:00:00+02:00"),  # day first
        ("13/03/2018", "2018-03-13T17:00:00+01:00"),
    ],
)
def test_add_human_date_forms(cli: Cli, text: str, deadline: str) -> None:
    ok(cli("add", "H-1", "--title", "T", "--deadline", text))
    assert as_json(cli("show", "H-1", "--format", "json", "--at", NOW))["deadline"] == deadline


def test_add_human_date_with_a_zone_on_a_call_in_another_zone(cli: Cli) -> None:
    ok(
        cli(
            "add", "NY-1", "--title", "T", "--tz", "America/New_York",
            "--deadline", "8 March 2018, 17:00h Brussels time",
        )
    )  # fmt: skip
    data = as_json(cli("show", "NY-1", "--format", "json", "--at", NOW))
    assert (data["timezone"], data["deadline"]) == ("America/New_York", "2018-03-08T11:00:00-05:00")


ADD_ERRORS = [
    (
        ["NEW-1", "--title", "T", "--deadline", "31 February 2018"],
        2,
        "error: '31 February 2018' is not a valid date: day is out of range for month",
    ),
    (
        ["NEW-1", "--title", "T", "--deadline", "8 March"],
        2,
        "error: '8 March' gives no year; write the full date, e.g. 8 March 2018",
    ),
    (
        ["NEW-1", "--title", "T", "--deadline", "2018-03-08", "--tz", "Mars/Olympus"],
        2,
        "error: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Brussels",
    ),
    (
        ["NEW-1", "--title", "T", "--deadline", "8 March 2018 17:00 Atlantis time"],
        2,
        "error: unknown time zone 'Atlantis time' in '8 March 2018 17:00 Atlantis time': "
        "use e.g. 'Brussels time', CET, CEST, UTC, AoE or an offset such as +01:00",
    ),
    (
        [SEED_EOI, "--title", "T", "--deadline", "2018-03-08"],
        4,
        f"error: a call with id {SEED_EOI!r} already exists",
    ),
    (["a b", "--title", "T", "--deadline", "2018-03-08"], 2, f"error: invalid id 'a b': {ID_RULE}"),
    (["a/b", "--title", "T", "--deadline", "2018-03-08"], 2, f"error: invalid id 'a/b': {ID_RULE}"),
    (["..", "--title", "T", "--deadline", "2018-03-08"], 2, f"error: invalid id '..': {ID_RULE}"),
    (
        ["a..b", "--title", "T", "--deadline", "2018-03-08"],
        2,
        f"error: invalid id 'a..b': {ID_RULE}",
    ),
    (
        ["../calls/x", "--title", "T", "--deadline", "2018-03-08"],
        2,
        f"error: invalid id '../calls/x': {ID_RULE}",
    ),
    (["NEW-1", "--title", "", "--deadline", "2018-03-08"], 2, "error: the title must not be empty"),
    (
        ["NEW-1", "--title", "   ", "--deadline", "2018-03-08"],
        2,
        "error: the title must not be empty",
    ),
    (
        ["NEW-1", "--title", "T", "--deadline", "2018-03-08", "--url", "ftp://example.org/x"],
        2,
        "error: invalid URL 'ftp://example.org/x': it must start with http:// or https://",
    ),
    (
        ["NEW-1", "--title", "T", "--deadline", "2018-03-08", "--url", "example.org"],
        2,
        "error: invalid URL 'example.org': it must start with http:// or https://",
    ),
    (
        ["NEW-1", "--title", "T", "--deadline", "2018-03-01", "--opens", "2018-04-01"],
        2,
        "error: --opens '2018-04-01' is not before the first deadline 2018-03-01 17:00 CET",
    ),
    (
        ["NEW-1", "--title", "T", "--deadline", "2018-03-01 17:00", "--opens", "2018-03-01 17:00"],
        2,
        "error: --opens '2018-03-01 17:00' is not before the first deadline 2018-03-01 17:00 CET",
    ),
]


@pytest.mark.parametrize(("args", "code", "message"), ADD_ERRORS)
def test_add_errors_leave_the_store_byte_for_byte_unchanged(
    cli: Cli, seeded_store: Path, args: list[str], code: int, message: str
) -> None:
    # Make sure the store's state directory exists, as after any earlier change.
    ok(cli("extend", SEED_COS, "--to", "9 March 2018", "--at", NOW, store=seeded_store))
    before = snapshot(seeded_store)
    assert failed(cli("add", *args, store=seeded_store), code) == message
    assert snapshot(seeded_store) == before


@pytest.mark.parametrize(("args", "code", "message"), ADD_ERRORS[:4] + ADD_ERRORS[5:])
def test_add_errors_never_create_a_store(
    cli: Cli, store_dir: Path, args: list[str], code: int, message: str
) -> None:
    assert failed(cli("add", *args), code) == message
    assert not store_dir.exists()


def test_add_replace(cli: Cli, seeded_store: Path) -> None:
    ok(
        cli(
            "add", SEED_EOI, "--title", "Replaced", "--deadline", "2017-04-30", "--replace",
            store=seeded_store,
        )
    )  # fmt: skip
    data = as_json(cli("show", SEED_EOI, "--format", "json", "--at", NOW, store=seeded_store))
    assert (data["title"], data["deadline"], data["note"]) == (
        "Replaced",
        "2017-04-30T17:00:00+02:00",
        "",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-d", "2030-01-01", "--tag", " "], "error: a tag must not be empty"),
        (["-d", "2030-01-01", "-d", "2030-01-01T17:00+01:00"], "error: two deadlines of one call"),
    ],
)
def test_add_refuses_empty_tags_and_repeated_deadlines(
    cli: Cli, store_dir: Path, args: list[str], message: str
) -> None:
    assert failed(cli("add", "X-1", "--title", "t", *args), 2).startswith(message)
    assert not store_dir.exists()


# --- extend -----------------------------------------------------------------------------------


def test_extend_history_is_kept_oldest_first(cli: Cli, sample: Path) -> None:
    extend_alpha_twice(cli)
    assert as_json(cli("show", "ALPHA-1", "--format", "json", "--at", NOW)) == ALPHA_EXTENDED_JSON
    assert ok(cli("show", "ALPHA-1", "--at", NOW)).splitlines() == [
        "ID           ALPHA-1",
        "Title        Alpha digital call",
        "Programme    COSME",
        "URL          https://example.org/alpha",
        "Tags         digital, startups",
        "Status       open",
        "Time zone    Europe/Brussels",
        "Opens        2018-01-10 00:00 CET",
        "Deadline     2018-04-05 17:00 CEST, in 33 days 23 h "
        "(extended; originally 2018-03-08 17:00 CET)",
        "Note         lead: Anna",
        "Extension 1  2018-03-08 17:00 CET -> 2018-03-22 17:00 CET, recorded 2018-03-02 16:00 UTC;"
        " reason: portal outage; source: https://example.org/news/1",
        "Extension 2  2018-03-22 17:00 CET -> 2018-04-05 17:00 CEST, recorded 2018-03-20 08:00 UTC",
    ]
    toml = (sample / "calls" / "ALPHA-1.toml").read_text()
    assert toml.endswith(
        "[[deadlines]]\n"
        "deadline = 2018-03-08 17:00:00+01:00\n"
        "\n"
        "[[extensions]]\n"
        'kind = "extension"\n'
        "from = 2018-03-08 17:00:00+01:00\n"
        "to = 2018-03-22 17:00:00+01:00\n"
        'reason = "portal outage"\n'
        'source = "https://example.org/news/1"\n'
        "recorded = 2018-03-02 16:00:00+00:00\n"
        "\n"
        "[[extensions]]\n"
        'kind = "extension"\n'
        "from = 2018-03-22 17:00:00+01:00\n"
        "to = 2018-04-05 17:00:00+02:00\n"
        "recorded = 2018-03-20 08:00:00+00:00\n"
    )
    assert ok(cli("check")) == f"ok: 4 calls in {sample}, no problems\n"


def test_extend_by_days_keeps_the_wall_time_across_dst(cli: Cli) -> None:
    ok(cli("add", "DST-1", "--title", "T", "--deadline", "2018-03-20 17:00"))
    assert ok(cli("extend", "DST-1", "--by", "2w", "--at", NOW)) == (
        "Extended DST-1: 2018-03-20 17:00 CET -> 2018-04-03 17:00 CEST\n"
    )
    ok(cli("add", "DST-2", "--title", "T", "--deadline", "2018-10-20 17:00"))
    assert ok(cli("extend", "DST-2", "--by", "14d", "--at", NOW)) == (
        "Extended DST-2: 2018-10-20 17:00 CEST -> 2018-11-03 17:00 CET\n"
    )
    # Whole days are calendar days, the rest exact time: 1 day to 25 March 17:00 CEST, + 12 h.
    ok(cli("add", "DST-3", "--title", "T", "--deadline", "2018-03-24 17:00"))
    assert ok(cli("extend", "DST-3", "--by", "1d12h", "--at", NOW)) == (
        "Extended DST-3: 2018-03-24 17:00 CET -> 2018-03-26 05:00 CEST\n"
    )


def test_extend_earlier_is_refused_unless_allowed(cli: Cli, sample: Path) -> None:
    ok(cli("extend", "ALPHA-1", "--to", "22 March 2018", "--at", NOW))
    before = snapshot(sample)
    assert failed(cli("extend", "ALPHA-1", "--to", "15 March 2018", "--at", NOW), 4) == (
        "error: call ALPHA-1: 2018-03-15T17:00:00+01:00 is earlier than the current deadline "
        "2018-03-22T17:00:00+01:00; use --allow-earlier if it was brought forward"
    )
    assert failed(cli("extend", "ALPHA-1", "--to", "22 March 2018 17:00", "--at", NOW), 4) == (
        "error: call ALPHA-1: the deadline is already 2018-03-22T17:00:00+01:00; nothing to extend"
    )
    assert snapshot(sample) == before
    assert ok(
        cli("extend", "ALPHA-1", "--to", "15 March 2018", "--allow-earlier", "--at", NOW)
    ) == ("Brought forward ALPHA-1: 2018-03-22 17:00 CET -> 2018-03-15 17:00 CET\n")
    data = as_json(cli("show", "ALPHA-1", "--format", "json", "--at", NOW))
    assert [(e["from"], e["to"]) for e in data["extensions"]] == [
        ("2018-03-08T17:00:00+01:00", "2018-03-22T17:00:00+01:00"),
        ("2018-03-22T17:00:00+01:00", "2018-03-15T17:00:00+01:00"),
    ]
    assert data["deadline"] == "2018-03-15T17:00:00+01:00"


def test_extend_multi_stage(cli: Cli, sample: Path) -> None:
    # Default: the next open stage at --at.
    assert ok(cli("extend", "BETA-2", "--by", "7d", "--at", NOW)) == (
        "Extended BETA-2 (Stage 1): 2018-03-20 17:00 CET -> 2018-03-27 17:00 CEST\n"
    )
    assert ok(cli("extend", "BETA-2", "--to", "2018-07-01", "--at", "2018-04-01")) == (
        "Extended BETA-2 (Stage 2): 2018-06-12 17:00 CEST -> 2018-07-01 17:00 CEST\n"
    )
    assert ok(
        cli("extend", "BETA-2", "--stage", "Stage 1", "--to", "2018-03-29 12:00", "--at", NOW)
    ) == ("Extended BETA-2 (Stage 1): 2018-03-27 17:00 CEST -> 2018-03-29 12:00 CEST\n")
    data = as_json(cli("show", "BETA-2", "--format", "json", "--at", NOW))
    assert data["deadlines"] == [
        {
            "label": "Stage 1",
            "deadline": "2018-03-29T12:00:00+02:00",
            "original_deadline": "2018-03-20T17:00:00+01:00",
            "extended": True,
        },
        {
            "label": "Stage 2",
            "deadline": "2018-07-01T17:00:00+02:00",
            "original_deadline": "2018-06-12T17:00:00+02:00",
            "extended": True,
        },
    ]
    assert [(e["stage"], e["from"], e["to"]) for e in data["extensions"]] == [
        ("Stage 1", "2018-03-20T17:00:00+01:00", "2018-03-27T17:00:00+02:00"),
        ("Stage 2", "2018-06-12T17:00:00+02:00", "2018-07-01T17:00:00+02:00"),
        ("Stage 1", "2018-03-27T17:00:00+02:00", "2018-03-29T12:00:00+02:00"),
    ]
    before = snapshot(sample)
    assert failed(cli("extend", "BETA-2", "--stage", "Stage 3", "--by", "1d", "--at", NOW), 2) == (
        "error: call BETA-2 has no stage 'Stage 3' (stages: 'Stage 1', 'Stage 2')"
    )
    assert failed(cli("extend", "BETA-2", "--by", "1d", "--at", "2019-01-01"), 2) == (
        "error: call BETA-2 has no open stage; name one with --stage"
    )
    assert snapshot(sample) == before


def test_extend_a_closed_single_stage_call(cli: Cli, sample: Path) -> None:
    # A call re-opened after its deadline passed: the only stage is the one extended.
    assert ok(cli("extend", "GAMMA-3", "--to", "2018-03-15", "--at", NOW)) == (
        "Extended GAMMA-3: 2018-02-15 17:00 CET -> 2018-03-15 17:00 CET\n"
    )
    assert first_column(ok(cli("calls", "--open", "--at", NOW))) == ["ALPHA-1", "GAMMA-3", "BETA-2"]


def test_extend_reason_and_source_are_stored(cli: Cli, seeded_store: Path) -> None:
    ok(
        cli(
            "extend", SEED_COS, "--to", "22 March 2018, 17:00h Brussels time",
            "--reason", "Extended by DG GROW", "--source", "https://ec.europa.eu/news/1",
            "--at", NOW, store=seeded_store,
        )
    )  # fmt: skip
    data = as_json(cli("show", SEED_COS, "--format", "json", "--at", NOW, store=seeded_store))
    assert data["extensions"] == [
        {
            "kind": "extension",
            "stage": "",
            "from": "2018-03-08T17:00:00+01:00",
            "to": "2018-03-22T17:00:00+01:00",
            "reason": "Extended by DG GROW",
            "source": "https://ec.europa.eu/news/1",
            "recorded": "2018-03-02T16:00:00+00:00",
        }
    ]
    assert data["extended"] is True


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["NOPE", "--to", "2018-04-01"], 3, "error: no call 'NOPE' in {store}"),
        ([SEED_COS], 2, "error: give exactly one of --to WHEN or --by DURATION"),
        (
            [SEED_COS, "--to", "2018-04-01", "--by", "1d"],
            2,
            "error: give exactly one of --to WHEN or --by DURATION",
        ),
        (
            [SEED_COS, "--to", "31 February 2018"],
            2,
            "error: '31 February 2018' is not a valid date: day is out of range for month",
        ),
        (
            [SEED_COS, "--by", "soon"],
            2,
            "error: invalid duration 'soon': use e.g. 36h, 14d, 2w, 1d12h or 45m "
            "(weeks, days, hours, minutes)",
        ),
        (
            [SEED_COS, "--to", "2018-04-01", "--source", "not a url"],
            2,
            "error: invalid URL 'not a url': it must start with http:// or https://",
        ),
        (["bad/id", "--to", "2018-04-01"], 2, f"error: invalid id 'bad/id': {ID_RULE}"),
    ],
)
def test_extend_errors_leave_the_store_unchanged(
    cli: Cli, seeded_store: Path, args: list[str], code: int, message: str
) -> None:
    ok(cli("extend", SEED_COS, "--to", "9 March 2018", "--at", NOW, store=seeded_store))
    before = snapshot(seeded_store)
    line = failed(cli("extend", *args, "--at", NOW, store=seeded_store), code)
    assert line == message.format(store=seeded_store)
    assert snapshot(seeded_store) == before


# --- edit, remove ---------------------------------------------------------------------------------


def test_edit_changes_details_but_not_history(cli: Cli, sample: Path) -> None:
    extend_alpha_twice(cli)
    assert ok(
        cli("edit", "ALPHA-1", "--title", "Alpha", "--add-tag", "ours", "--remove-tag", "startups")
    ) == (
        "Updated ALPHA-1\n"
        "  title: Alpha digital call -> Alpha\n"
        "  tags: digital, startups -> digital, ours\n"
    )
    data = as_json(cli("show", "ALPHA-1", "--format", "json", "--at", NOW))
    assert (data["title"], data["tags"]) == ("Alpha", ["digital", "ours"])
    assert data["extensions"] == ALPHA_EXTENDED_JSON["extensions"]
    before = snapshot(sample)
    assert failed(cli("edit", "ALPHA-1"), 2) == (
        "error: nothing to change: give at least one option (see --help)"
    )
    assert failed(cli("edit", "ALPHA-1", "--remove-tag", "nope"), 2) == (
        "error: call ALPHA-1 has no tag 'nope'"
    )
    assert snapshot(sample) == before


def test_remove_with_yes(cli: Cli, seeded_store: Path) -> None:
    assert ok(cli("remove", SEED_EOI, "--yes", store=seeded_store)) == f"Removed {SEED_EOI}\n"
    assert not (seeded_store / "calls" / f"{SEED_EOI}.toml").exists()
    assert first_column(ok(cli("calls", "--all", "--at", NOW, store=seeded_store))) == [SEED_COS]
    assert failed(cli("remove", SEED_EOI, "-y", store=seeded_store), 3) == (
        f"error: no call {SEED_EOI!r} in {seeded_store}"
    )


@pytest.mark.parametrize("answer", [None, "y\n", "n\n"])
def test_remove_without_yes_off_a_terminal_is_refused(
    cli: Cli, seeded_store: Path, answer: str | None
) -> None:
    # CliRunner's stdin is never a terminal, so even a typed 'y' is not taken as confirmation.
    before = snapshot(seeded_store)
    assert failed(cli("remove", SEED_EOI, store=seeded_store, input=answer), 2) == (
        f"error: not removing {SEED_EOI} without confirmation: add --yes"
    )
    assert snapshot(seeded_store) == before


# --- user text is data, never markup -------------------------------------------------------


def test_hostile_text_in_changes_and_errors(cli: Cli) -> None:
    ok(cli("add", "EVIL-2", "--title", "T", "--deadline", "A\x1b[31m=2018-03-08"))
    result = cli("extend", "EVIL-2", "--by", "1d", "--reason", HOSTILE, "--at", NOW)
    assert ok(result) == (
        "Extended EVIL-2 (A\\x1b[31m): 2018-03-08 17:00 CET -> 2018-03-09 17:00 CET\n"
    )
    shown = ok(cli("show", "EVIL-2", "--at", NOW))
    assert "\x1b" not in shown
    assert shown.splitlines()[-1] == (
        "Extension 1           2018-03-08 17:00 CET -> 2018-03-09 17:00 CET [A\\x1b[31m], "
        f"recorded 2018-03-02 16:00 UTC; reason: {HOSTILE_SHOWN}"
    )
    line = failed(cli("add", "EVIL-3", "--title", "T", "--deadline", "\x1b[31m2018"), 2)
    assert "\x1b" not in line
