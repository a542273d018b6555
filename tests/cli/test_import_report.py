"""What ``import`` says (issue 15, §2), through the real command line: per call, which fields
changed (``-v``), the local edits it kept although the portal changed them (always), unchanged
calls (``-v``), conflicts with exit code 12 after writing what was safe, and a re-import of an
identical JSON backup as a no-op.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import Cli, failed, ok, snapshot
from tests.conftest import FIXTURES

PORTAL = FIXTURES / "eu-portal-search-page.json"
AT = "2026-06-01"
CL4 = "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10"  # single stage, 2027-03-18 17:00 CET
CL5 = "HORIZON-CL5-2027-03-D5-05"  # single stage, 2027-04-14 17:00 CEST
CL6 = "HORIZON-CL6-2026-04-GOVERNANCE-01"


def changed_portal(tmp_path: Path, changes: dict[str, dict]) -> Path:
    """The saved portal page with ``changes`` (topic id -> metadata lists) applied."""
    data = json.loads(PORTAL.read_text(encoding="utf-8"))
    for result in data["results"]:
        meta = result["metadata"]
        meta.update(changes.get(meta["identifier"][0], {}))
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def portal_import(cli: Cli, path: Path, *args: str):
    return cli("import", str(path), "--from", "eu-portal", "--at", AT, *args)


def test_reimporting_an_identical_json_backup_changes_nothing(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    ok(cli("extend", "ALPHA-1", "--by", "7d", "--at", "2018-03-02"))
    ok(cli("edit", "BETA-2", "--deadline", "21 March 2018", "--stage", "Stage 1"))
    ok(cli("add", "EOI-1", "--title", "E", "-d", "31 March 2017", "--extended", "--at", AT))
    backup = tmp_path / "backup.json"
    backup.write_text(ok(cli("calls", "--all", "--format", "json", "--at", AT)))
    before = {p.name: p.stat().st_mtime_ns for p in (sample / "calls").iterdir()}
    assert ok(cli("import", str(backup))) == "imported: 0 new, 5 unchanged\n"
    assert {p.name: p.stat().st_mtime_ns for p in (sample / "calls").iterdir()} == before
    verbose = ok(cli("import", str(backup), "-v")).splitlines()
    assert sorted(verbose[:-1]) == [
        f"unchanged {i}" for i in ("ALPHA-1", "BETA-2", "DELTA-4", "EOI-1", "GAMMA-3")
    ]
    assert verbose[-1] == "imported: 0 new, 5 unchanged"


def test_an_identical_backup_of_a_portal_store_changes_nothing(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    assert portal_import(cli, PORTAL).exit_code == 0
    backup = tmp_path / "backup.json"
    backup.write_text(ok(cli("calls", "--all", "--format", "json", "--at", AT)))
    before = snapshot(store_dir / "calls")
    assert ok(cli("import", str(backup))) == "imported: 0 new, 8 unchanged\n"
    assert snapshot(store_dir / "calls") == before


def test_an_old_file_without_kinds_is_the_same_as_its_backup(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    ok(cli("extend", "ALPHA-1", "--by", "7d", "--at", "2018-03-02"))
    path = sample / "calls" / "ALPHA-1.toml"
    path.write_text(path.read_text().replace('kind = "extension"\n', ""))  # as 0.1.0 wrote it
    backup = tmp_path / "backup.json"
    backup.write_text(ok(cli("calls", "--all", "--format", "json", "--at", AT)))
    assert ok(cli("import", str(backup))) == "imported: 0 new, 4 unchanged\n"


def test_a_different_call_is_still_refused_and_replace_says_what_changed(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    records = json.loads(ok(cli("calls", "--all", "--format", "json", "--at", AT)))
    alpha = next(r for r in records if r["id"] == "ALPHA-1")
    alpha["title"] = "Alpha, renamed"
    alpha["tags"] = ["digital"]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(records))
    before = snapshot(sample)
    n = records.index(alpha) + 1
    assert failed(cli("import", str(path)), 4) == (
        f"error: {path}: record {n}: a call with id 'ALPHA-1' already exists "
        "(use --replace to overwrite); nothing was imported"
    )
    assert snapshot(sample) == before
    lines = ok(cli("import", str(path), "--replace", "-v")).splitlines()
    at = lines.index("replaced ALPHA-1")
    assert lines[at : at + 3] == [
        "replaced ALPHA-1",
        "  title: Alpha digital call -> Alpha, renamed",
        "  tags: digital, startups -> digital",
    ]
    assert lines[-1] == "imported: 0 new, 1 replaced, 3 unchanged"


def test_verbose_says_which_fields_the_portal_changed(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    assert portal_import(cli, PORTAL).exit_code == 0
    newer = changed_portal(
        tmp_path,
        {
            CL4: {
                "title": ["Horizon scanning, revised"],
                "startDate": ["2026-12-01T00:00:00.000+0000"],
                "deadlineDate": ["2027-04-15T00:00:00.000+0000"],
            }
        },
    )
    result = portal_import(cli, newer, "-v")
    assert (result.exit_code, result.stderr) == (0, "")
    said = result.stdout.splitlines()
    at = said.index(
        f"extended {CL4}: 2027-03-18 17:00 CET -> 2027-04-15 17:00 CEST (portal update)"
    )
    assert said[at + 1 : at + 3] == [
        "  title: Horizon scanning and foresight in future enabling digital technologies (CSA)"
        " -> Horizon scanning, revised",
        "  opens: 2026-11-17 00:00 CET -> 2026-12-01 00:00 CET",
    ]
    assert f"unchanged {CL5}" in said
    assert said[-1] == "imported: 0 new, 1 extended, 0 updated, 7 unchanged, 0 conflicting"
    # without -v: only the summary
    third = {"title": ["Third title"], "deadlineDate": ["2027-04-15T00:00:00.000+0000"]}
    again = portal_import(cli, changed_portal(tmp_path, {CL4: third}))
    assert again.stdout == "imported: 0 new, 0 extended, 1 updated, 7 unchanged, 0 conflicting\n"


def test_a_local_edit_the_portal_also_changed_is_kept_and_both_values_said(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    assert portal_import(cli, PORTAL).exit_code == 0
    ok(cli("edit", CL4, "--title", "Our name for it", "--url", "https://example.org/ours"))
    newer = changed_portal(tmp_path, {CL4: {"title": ["The portal's new name"]}})
    result = portal_import(cli, newer)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"kept your title of {CL4}: Our name for it; the portal now says: The portal's new name\n"
        "imported: 0 new, 0 extended, 1 updated, 7 unchanged, 0 conflicting\n"
    )  # the url: edited locally, unchanged on the portal: nothing to say
    assert json.loads(ok(cli("show", CL4, "-f", "json", "--at", AT)))["title"] == "Our name for it"
    # said once: the portal's value is now the base of the next merge
    assert portal_import(cli, newer).stdout == (
        "imported: 0 new, 0 extended, 0 updated, 8 unchanged, 0 conflicting\n"
    )


def test_conflicts_exit_12_after_writing_what_was_safe(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    assert portal_import(cli, PORTAL).exit_code == 0
    newer = changed_portal(
        tmp_path,
        {
            CL4: {"deadlineDate": ["2027-04-15T00:00:00.000+0000"]},  # later: safe
            CL5: {"deadlineDate": ["2027-04-01T00:00:00.000+0000"]},  # earlier: conflict
        },
    )
    before = snapshot(store_dir / "calls")
    dry = portal_import(cli, newer, "--dry-run")
    assert dry.exit_code == 12
    assert snapshot(store_dir / "calls") == before
    result = portal_import(cli, newer)
    assert result.exit_code == 12
    assert result.stdout == "imported: 0 new, 1 extended, 0 updated, 6 unchanged, 1 conflicting\n"
    assert result.stderr == (
        f"conflict {CL5}: the portal says 2027-04-01 17:00 CEST, earlier than the stored "
        "2027-04-14 17:00 CEST; left alone (use --allow-earlier to accept)\n"
    )
    after = snapshot(store_dir / "calls")
    assert {name for name in after if after[name] != before[name]} == {f"{CL4}.toml"}
    # Accepted, the earlier deadline is recorded as brought forward, not extended.
    accepted = portal_import(cli, newer, "--allow-earlier", "-v")
    assert accepted.exit_code == 0
    assert (
        f"brought forward {CL5}: 2027-04-14 17:00 CEST -> 2027-04-01 17:00 CEST (portal update)"
        in accepted.stdout.splitlines()
    )
    data = json.loads(ok(cli("show", CL5, "-f", "json", "--at", AT)))
    assert [e["kind"] for e in data["extensions"]] == ["brought_forward"]
    assert data["extended"] is False


def test_the_exit_codes_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "12 `import` or `sync` left conflicts alone (the rest was written)" in readme
