"""``clusterctl import FILE --from eu-portal`` with the saved portal search page (cli/transfer.py).

Covers the first import, ``show``/JSON of imported calls, status computed from dates, re-imports
(unchanged, extended, conflicting, local edits kept), ``--dry-run``, pages and refusals.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from typer.testing import Result

from tests.cli.helpers import Cli, without_notices
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "eu-portal-search-page.json"
AT = "2026-06-01"  # --at for every command that looks at the clock
TWO_STAGE = "HORIZON-MISS-2027-05-SOIL-01-two-stage"
CL4 = "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10"  # single stage, 2027-03-18 17:00 CET
CL5 = "HORIZON-CL5-2027-03-D5-05"  # single stage, 2027-04-14 17:00 CEST
PORTAL_URL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"

# id -> (status at AT computed from the dates, the portal's own status)
TOPICS = {
    TWO_STAGE: ("forthcoming", "Forthcoming"),
    "HORIZON-CL2-2024-TRANSFORMATIONS-01-08": ("closed", "Forthcoming"),
    CL4: ("forthcoming", "Forthcoming"),
    CL5: ("forthcoming", "Forthcoming"),
    "HORIZON-CL6-2026-04-GOVERNANCE-01": ("forthcoming", "Forthcoming"),
    "HORIZON-CL3-2026-02-CS-ECCC-01": ("open", "Open"),
    "HORIZON-JU-CBE-2026-IAFlag-02": ("open", "Open"),
    "HORIZON-INFRA-2024-EOSC-01-03": ("closed", "Forthcoming"),
}
FIRST_SUMMARY = "imported: 8 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting\n"
SAME_SUMMARY = "imported: 0 new, 0 extended, 0 updated, 8 unchanged, 0 conflicting\n"


def per_call(**lines: list[str]) -> list[str]:
    """What ``import -v`` says of each topic, in the file's order: ``lines`` by id (with '-'
    for '_'), 'unchanged ID' for the others."""
    said = {key.replace("_", "-"): value for key, value in lines.items()}
    return [line for topic in TOPICS for line in said.get(topic, [f"unchanged {topic}"])]


def fixture_data() -> dict:
    """A fresh decoded copy of the saved search page."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def metadata_of(data: dict, topic_id: str) -> dict:
    """The metadata of the first result for ``topic_id`` in a decoded page."""
    for result in data["results"]:
        if result["metadata"]["identifier"][0] == topic_id:
            return result["metadata"]
    raise KeyError(topic_id)


def save(tmp_path: Path, data: object, name: str = "response.json") -> Path:
    """``data`` written as JSON into ``tmp_path``."""
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def modified(tmp_path: Path, changes: dict[str, dict], name: str = "newer.json") -> Path:
    """A copy of the fixture whose topics get metadata ``changes`` (id -> {field: list})."""
    data = fixture_data()
    for result in data["results"]:
        meta = result["metadata"]
        meta.update(changes.get(meta["identifier"][0], {}))
    return save(tmp_path, data, name)


def files(store: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every call file: (bytes, mtime_ns, inode), so that a rewrite shows even if identical."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
        for p in sorted((store / "calls").glob("*.toml"))
    }


def import_(cli: Cli, path: Path, *args: str) -> Result:
    """``clusterctl import PATH --from eu-portal --at AT ARGS``."""
    return cli("import", str(path), "--from", "eu-portal", "--at", AT, *args)


def as_json(cli: Cli, call_id: str) -> dict:
    """``show ID --format json`` decoded."""
    result = cli("show", call_id, "--format", "json", "--at", AT)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def imported(cli: Cli, store_dir: Path) -> Path:
    """A store holding the fixture's eight topics."""
    result = import_(cli, FIXTURE)
    assert (result.exit_code, result.stdout, without_notices(result.stderr)) == (
        0,
        FIRST_SUMMARY,
        "",
    )
    return store_dir


# --- first import ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", [["--from", "eu-portal"], ["--from", "auto"], []])
def test_import_adds_the_eight_unique_topics(cli: Cli, store_dir: Path, source: list) -> None:
    result = cli("import", str(FIXTURE), *source, "--at", AT)
    assert (result.exit_code, result.stdout, without_notices(result.stderr)) == (
        0,
        FIRST_SUMMARY,
        "",
    )
    assert sorted(p.stem for p in (store_dir / "calls").glob("*.toml")) == sorted(TOPICS)
    assert cli("check").exit_code == 0


def test_verbose_names_every_new_call(cli: Cli) -> None:
    result = import_(cli, FIXTURE, "--verbose")
    assert result.stdout.splitlines() == [*(f"new {i}" for i in TOPICS), FIRST_SUMMARY.strip()]


def test_show_two_stage_topic(cli: Cli, imported: Path) -> None:
    result = cli("show", TWO_STAGE, "--at", AT)
    assert result.exit_code == 0
    rows = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in result.stdout.splitlines())
    assert rows["Programme"] == "HORIZON-MISS-2027-05-two-stage"
    assert rows["URL"] == f"{PORTAL_URL}topic-details/{TWO_STAGE}"
    assert rows["Time zone"] == "Europe/Brussels"
    assert rows["Status"] == "forthcoming"
    assert rows["Opens"] == "2027-02-04 00:00 CET"
    assert rows["Deadline (Stage 1)"].startswith("2027-04-08 17:00 CEST, in ")
    assert rows["Deadline (Stage 2)"].startswith("2027-09-14 17:00 CEST, in ")
    assert rows["Tags"].startswith("Agriculture, Biogeographical region, Black Sea")
    assert "\x1b" not in result.stdout
    in_utc = cli("show", TWO_STAGE, "--at", AT, "--tz", "UTC").stdout
    assert "2027-04-08 15:00 UTC" in in_utc  # 17:00 Brussels in summer
    assert "2027-09-14 15:00 UTC" in in_utc


def test_json_of_two_stage_topic(cli: Cli, imported: Path) -> None:
    data = as_json(cli, TWO_STAGE)
    assert [(d["label"], d["deadline"]) for d in data["deadlines"]] == [
        ("Stage 1", "2027-04-08T17:00:00+02:00"),
        ("Stage 2", "2027-09-14T17:00:00+02:00"),
    ]
    assert data["deadline_label"] == "Stage 1"
    assert data["opens"] == "2027-02-04T00:00:00+01:00"
    assert data["extensions"] == []
    assert data["note"] == ""


def test_winter_deadline_is_16_utc(cli: Cli, imported: Path) -> None:
    data = as_json(cli, "HORIZON-CL2-2024-TRANSFORMATIONS-01-08")
    assert data["deadline"] == "2024-02-07T17:00:00+01:00"
    assert data["url"].endswith("/topicDetails/HORIZON-CL2-2024-TRANSFORMATIONS-01-08.json")


def test_status_is_computed_from_the_dates(cli: Cli, imported: Path) -> None:
    result = cli("calls", "--all", "--format", "json", "--at", AT)
    listed = {c["id"]: (c["status"], c["portal"]["status"]) for c in json.loads(result.stdout)}
    assert listed == TOPICS
    closed = cli("calls", "--closed", "--format", "json", "--at", AT)
    assert sorted(c["id"] for c in json.loads(closed.stdout)) == [
        "HORIZON-CL2-2024-TRANSFORMATIONS-01-08",
        "HORIZON-INFRA-2024-EOSC-01-03",
    ]


def test_json_array_of_pages(cli: Cli, store_dir: Path, tmp_path: Path) -> None:
    first = fixture_data()
    second = {"totalResults": 2, "results": [copy.deepcopy(first["results"][0])]}
    extra = copy.deepcopy(first["results"][2])
    extra["metadata"]["identifier"] = ["HORIZON-EXTRA-2027-01"]
    extra["url"] = f"{PORTAL_URL}topic-details/HORIZON-EXTRA-2027-01"
    second["results"].append(extra)
    path = save(tmp_path, [first, second], "pages.json")
    for source in (["--from", "eu-portal"], []):
        result = cli("import", str(path), *source, "--at", AT, "--dry-run")
        assert result.stdout.endswith(
            "dry run, nothing written: 9 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting\n"
        )
    result = import_(cli, path)
    assert result.stdout == "imported: 9 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting\n"
    assert len(list((store_dir / "calls").glob("*.toml"))) == 9


# --- re-import --------------------------------------------------------------------------------


def test_reimport_of_the_same_file_changes_nothing(cli: Cli, imported: Path) -> None:
    before = files(imported)
    result = import_(cli, FIXTURE)
    assert (result.exit_code, result.stdout, result.stderr) == (0, SAME_SUMMARY, "")
    assert files(imported) == before  # not even rewritten with the same bytes


def test_later_deadline_is_recorded_as_an_extension(
    cli: Cli, imported: Path, tmp_path: Path
) -> None:
    newer = modified(tmp_path, {CL4: {"deadlineDate": ["2027-04-15T00:00:00.000+0000"]}})
    before = files(imported)
    result = import_(cli, newer, "--verbose")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        *per_call(
            **{
                CL4: [
                    f"extended {CL4}: 2027-03-18 17:00 CET -> 2027-04-15 17:00 CEST (portal update)"
                ]
            }
        ),
        "imported: 0 new, 1 extended, 0 updated, 7 unchanged, 0 conflicting",
    ]
    data = as_json(cli, CL4)
    assert data["deadline"] == "2027-04-15T17:00:00+02:00"
    assert data["extended"] is True
    assert data["extensions"] == [
        {
            "kind": "extension",
            "stage": "",
            "from": "2027-03-18T17:00:00+01:00",
            "to": "2027-04-15T17:00:00+02:00",
            "reason": "portal update",
            "source": f"{PORTAL_URL}topic-details/{CL4}",
            "recorded": "2026-05-31T22:00:00+00:00",
        }
    ]
    assert data["deadlines"][0]["original_deadline"] == "2027-03-18T17:00:00+01:00"
    after = files(imported)
    assert {name for name in after if after[name] != before[name]} == {f"{CL4}.toml"}
    # the same newer file again: nothing more
    again = import_(cli, newer)
    assert again.stdout == SAME_SUMMARY
    assert len(as_json(cli, CL4)["extensions"]) == 1


def test_later_second_stage_extends_that_stage(cli: Cli, imported: Path, tmp_path: Path) -> None:
    newer = modified(
        tmp_path,
        {
            TWO_STAGE: {
                "deadlineDate": ["2027-04-08T00:00:00.000+0000", "2027-10-05T00:00:00.000+0000"]
            }
        },
    )
    result = import_(cli, newer, "--verbose")
    assert result.stdout.splitlines()[0] == (
        f"extended {TWO_STAGE} (Stage 2): 2027-09-14 17:00 CEST -> 2027-10-05 17:00 CEST "
        "(portal update)"
    )
    (ext,) = as_json(cli, TWO_STAGE)["extensions"]
    assert (ext["stage"], ext["from"], ext["to"]) == (
        "Stage 2",
        "2027-09-14T17:00:00+02:00",
        "2027-10-05T17:00:00+02:00",
    )
    show = cli("show", TWO_STAGE, "--at", AT).stdout
    assert "2027-10-05 17:00 CEST" in show
    assert "originally 2027-09-14 17:00 CEST" in show


def test_earlier_deadline_is_a_visible_conflict_left_alone(
    cli: Cli, imported: Path, tmp_path: Path
) -> None:
    newer = modified(tmp_path, {CL5: {"deadlineDate": ["2027-04-01T00:00:00.000+0000"]}})
    before = files(imported)
    result = import_(cli, newer)
    assert result.exit_code == 12  # the other topics were imported; the conflict is reported
    assert result.stderr == (
        f"conflict {CL5}: the portal says 2027-04-01 17:00 CEST, earlier than the stored "
        "2027-04-14 17:00 CEST; left alone (use --allow-earlier to accept)\n"
    )
    assert result.stdout == ("imported: 0 new, 0 extended, 0 updated, 7 unchanged, 1 conflicting\n")
    assert files(imported) == before
    accepted = import_(cli, newer, "--allow-earlier")
    assert accepted.exit_code == 0
    assert accepted.stderr == ""
    assert accepted.stdout == (
        "imported: 0 new, 1 extended, 0 updated, 7 unchanged, 0 conflicting\n"
    )
    (ext,) = as_json(cli, CL5)["extensions"]
    assert (ext["from"], ext["to"], ext["reason"]) == (
        "2027-04-14T17:00:00+02:00",
        "2027-04-01T17:00:00+02:00",
        "portal update",
    )


def test_changed_stage_count_is_a_conflict(cli: Cli, imported: Path, tmp_path: Path) -> None:
    newer = modified(
        tmp_path,
        {CL4: {"deadlineDate": ["2027-03-18T00:00:00.000+0000", "2027-09-01T00:00:00.000+0000"]}},
    )
    before = files(imported)
    result = import_(cli, newer)
    assert result.exit_code == 12
    assert f"conflict {CL4}: the portal lists a stage 'Stage 1'" in result.stderr
    assert result.stdout.endswith("1 conflicting\n")
    assert files(imported) == before


def test_local_edits_survive_a_reimport(cli: Cli, imported: Path, tmp_path: Path) -> None:
    edit = cli("edit", CL4, "--note", "lead: Anna", "--add-tag", "ours", "--title", "My title")
    assert edit.exit_code == 0, edit.stderr
    newer = modified(
        tmp_path,
        {
            CL4: {
                "title": ["A new title on the portal"],
                "tags": ["foresight", "emerging tech"],
                "deadlineDate": ["2027-04-15T00:00:00.000+0000"],
            }
        },
    )
    result = import_(cli, newer)
    assert result.exit_code == 0
    assert result.stdout == (
        f"kept your title of {CL4}: My title; the portal now says: A new title on the portal\n"
        "imported: 0 new, 1 extended, 0 updated, 7 unchanged, 0 conflicting\n"
    )
    data = as_json(cli, CL4)
    assert data["title"] == "My title"
    assert data["note"] == "lead: Anna"
    assert data["tags"] == ["foresight", "ours", "emerging tech"]
    assert data["deadline"] == "2027-04-15T17:00:00+02:00"
    # a field the user never touched follows the portal
    newest = modified(
        tmp_path,
        {
            CL4: {
                "title": ["Yet another title"],
                "tags": ["emerging tech"],
                "callIdentifier": ["HORIZON-CL4-2027-04-RENAMED"],
                "deadlineDate": ["2027-04-15T00:00:00.000+0000"],
            }
        },
        "newest.json",
    )
    result = import_(cli, newest, "--verbose")
    assert result.stdout.splitlines() == [
        *per_call(
            **{
                CL4: [
                    f"updated {CL4} (details from the portal)",
                    "  programme: HORIZON-CL4-2027-04 -> HORIZON-CL4-2027-04-RENAMED",
                    "  tags: foresight, ours, emerging tech -> ours, emerging tech",
                    f"kept your title of {CL4}: My title; the portal now says: Yet another title",
                ]
            }
        ),
        "imported: 0 new, 0 extended, 1 updated, 7 unchanged, 0 conflicting",
    ]
    data = as_json(cli, CL4)
    assert (data["title"], data["note"], data["programme"]) == (
        "My title",
        "lead: Anna",
        "HORIZON-CL4-2027-04-RENAMED",
    )
    assert data["tags"] == ["ours", "emerging tech"]  # 'foresight' removed by the portal


def test_a_removed_local_tag_stays_removed(cli: Cli, imported: Path) -> None:
    tags = as_json(cli, "HORIZON-CL3-2026-02-CS-ECCC-01")["tags"]
    assert cli("edit", "HORIZON-CL3-2026-02-CS-ECCC-01", "--remove-tag", tags[0]).exit_code == 0
    result = import_(cli, FIXTURE)
    assert result.stdout == SAME_SUMMARY
    assert as_json(cli, "HORIZON-CL3-2026-02-CS-ECCC-01")["tags"] == tags[1:]


def test_dry_run_prints_changes_and_writes_nothing(
    cli: Cli, imported: Path, tmp_path: Path
) -> None:
    newer = modified(
        tmp_path,
        {
            CL4: {"deadlineDate": ["2027-04-15T00:00:00.000+0000"]},
            CL5: {"deadlineDate": ["2027-04-01T00:00:00.000+0000"]},
            TWO_STAGE: {"callIdentifier": ["HORIZON-MISS-2027-05-RENAMED"]},
        },
    )
    before = files(imported)
    result = import_(cli, newer, "--dry-run")
    assert result.exit_code == 12
    assert result.stdout.splitlines() == [
        *per_call(
            **{
                TWO_STAGE: [
                    f"updated {TWO_STAGE} (details from the portal)",
                    "  programme: HORIZON-MISS-2027-05-two-stage -> HORIZON-MISS-2027-05-RENAMED",
                ],
                CL4: [
                    f"extended {CL4}: 2027-03-18 17:00 CET -> 2027-04-15 17:00 CEST (portal update)"
                ],
                CL5: [],  # the conflict, on stderr
            }
        ),
        "dry run, nothing written: 0 new, 1 extended, 1 updated, 5 unchanged, 1 conflicting",
    ]
    assert result.stderr.startswith(f"conflict {CL5}: the portal says 2027-04-01 17:00 CEST")
    assert files(imported) == before


def test_dry_run_into_a_new_store_creates_nothing(cli: Cli, store_dir: Path) -> None:
    result = import_(cli, FIXTURE, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        "dry run, nothing written: 8 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting"
    )
    assert [line for line in result.stdout.splitlines() if line.startswith("new ")] == [
        f"new {i}" for i in TOPICS
    ]
    assert not store_dir.exists()


# --- refusals ---------------------------------------------------------------------------------


def good_topic(topic_id: str = "HORIZON-GOOD-2027-01") -> dict:
    """A valid current-shape result."""
    return {
        "url": f"{PORTAL_URL}topic-details/{topic_id}",
        "metadata": {
            "identifier": [topic_id],
            "title": ["Good"],
            "deadlineDate": ["2027-04-08T17:00:00.000+0000"],
        },
    }


@pytest.mark.parametrize(
    ("data", "source", "message"),
    [
        ({"items": []}, "eu-portal", "not a portal search response: no 'results' list"),
        ([], "eu-portal", "not a portal search response: expected an object"),
        (42, "eu-portal", "not a portal search response"),
        (
            {
                "results": [
                    good_topic(),
                    {"metadata": {"deadlineDate": ["2027-04-08T17:00:00.000+0000"]}},
                ]
            },
            "auto",
            "result 2: no topic identifier (metadata.identifier)",
        ),
        (
            {"results": [good_topic(), {"metadata": {"identifier": ["HORIZON-NO-DEADLINE-1"]}}]},
            "eu-portal",
            "result 2 (HORIZON-NO-DEADLINE-1): no deadline (metadata.deadlineDate)",
        ),
        (
            [
                {"results": [good_topic()]},
                {
                    "results": [
                        good_topic("HORIZON-T-2"),
                        {
                            "metadata": {
                                "identifier": ["X-1"],
                                "deadlineDate": ["2027-04-08T12:00:00.000+0000"],
                            }
                        },
                    ]
                },
            ],
            "auto",
            "page 2, result 2 (X-1): unrecognised portal deadline '2027-04-08T12:00:00.000+0000'",
        ),
    ],
)
def test_refusals_name_file_and_topic_and_write_nothing(
    cli: Cli, imported: Path, tmp_path: Path, data: object, source: str, message: str
) -> None:
    path = save(tmp_path, data, "bad.json")
    before = files(imported)
    result = cli("import", str(path), "--from", source, "--at", AT)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert files(imported) == before
    assert "HORIZON-GOOD-2027-01.toml" not in before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"results": [', "not valid JSON: Expecting value (line 1, column 14)"),
        (b"<html>Service unavailable</html>", "not valid JSON: Expecting value"),
        (b'{"results": ["caf\xe9"]}', "not UTF-8"),
        (b"[" * 100_000, "not valid JSON: nested too deeply"),
        (b"1" * 5000, "not valid JSON: a number is too long to read"),
        (b'{"results": [{"metadata": {"identifier": [' + b"9" * 5000 + b"]}}]}", "not valid JSON"),
    ],
)
@pytest.mark.parametrize("source", ["eu-portal", "auto"])
def test_malformed_json_is_one_line_never_a_traceback(
    cli: Cli, store_dir: Path, tmp_path: Path, content: bytes, message: str, source: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    result = cli("import", str(path), "--from", source, "--at", AT)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not store_dir.exists()


def test_missing_file(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "nope.json"), "--from", "eu-portal")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'nope.json'}: cannot read")


def test_a_portal_only_change_is_reported_as_an_update(
    cli: Cli, imported: Path, tmp_path: Path
) -> None:
    # the portal's own status is informational, but a file that is rewritten is not "unchanged"
    newer = modified(tmp_path, {CL4: {"status": ["31094502"]}})
    before = files(imported)
    result = import_(cli, newer, "--verbose")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        *per_call(**{CL4: [f"updated {CL4} (portal information)"]}),
        "imported: 0 new, 0 extended, 1 updated, 7 unchanged, 0 conflicting",
    ]
    after = files(imported)
    assert {name for name in after if after[name] != before[name]} == {f"{CL4}.toml"}
    assert as_json(cli, CL4)["portal"]["status"] == "Open"
    assert import_(cli, newer).stdout == SAME_SUMMARY


def test_a_stored_call_without_a_snapshot_keeps_its_details(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    # added by hand before the first import: the user's details stand, the deadline merges
    add = cli("add", CL4, "--title", "Typed by hand", "-d", "2027-03-18", "-t", "mine")
    assert add.exit_code == 0, add.stderr
    result = import_(cli, FIXTURE)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith(
        f"kept your title of {CL4}: Typed by hand; the portal now says: Horizon scanning"
    )
    assert result.stdout.splitlines()[-1].startswith(
        "imported: 7 new, 0 extended, 1 updated, 0 unchanged"
    )
    data = as_json(cli, CL4)
    assert (data["title"], data["tags"], data["url"]) == ("Typed by hand", ["mine"], "")
    assert data["portal"]["title"].startswith("Horizon scanning")
    assert import_(cli, FIXTURE).stdout == SAME_SUMMARY


def test_opening_date_follows_the_portal_unless_edited(
    cli: Cli, imported: Path, tmp_path: Path
) -> None:
    later_start = {"startDate": ["2026-12-01T00:00:00.000+0000"]}
    newer = modified(tmp_path, {CL4: later_start, CL5: later_start})
    assert cli("edit", CL5, "--opens", "2026-10-01").exit_code == 0
    result = import_(cli, newer, "--verbose")
    assert result.stdout.splitlines() == [
        *per_call(
            **{
                CL4: [
                    f"updated {CL4} (details from the portal)",
                    "  opens: 2026-11-17 00:00 CET -> 2026-12-01 00:00 CET",
                ],
                CL5: [
                    f"updated {CL5} (portal information)",
                    f"kept your opens of {CL5}: 2026-10-01 00:00 CEST; "
                    "the portal now says: 2026-12-01 00:00 CET",
                ],
            }
        ),
        "imported: 0 new, 0 extended, 2 updated, 6 unchanged, 0 conflicting",
    ]
    assert as_json(cli, CL4)["opens"] == "2026-12-01T00:00:00+01:00"
    assert as_json(cli, CL5)["opens"] == "2026-10-01T00:00:00+02:00"
