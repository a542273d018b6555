"""``calls --format json`` remembers each call's JSON between runs (Store.derive): a run after
any change, by clusterctl or by hand, still gives exactly the JSON of the files as they are."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from clusterctl.store import tomlfile
from tests.cli.helpers import Cli, ok
from tests.conftest import clusterctl_exe

AT = ("--at", "2027-01-10")


def listing(cli: Cli, *args: str) -> str:
    result = cli("calls", "--all", "--format", "json", *AT, *args)
    ok(result)
    return result.stdout


def test_a_second_run_gives_the_same_json_and_reflects_every_change(cli: Cli, store_dir: Path):
    ok(cli("add", "A-1", "--title", "First", "-d", "2027-03-01", "--tag", "x"))
    ok(cli("add", "B-2", "--title", "Second", "-d", "Stage 1=2027-01-05", "-d", "2027-04-01"))
    first = listing(cli)
    assert listing(cli) == first
    ok(cli("extend", "A-1", "--by", "14d", "--reason", "portal"))
    ok(cli("edit", "B-2", "--title", "Second, renamed"))
    after = json.loads(listing(cli))
    by_id = {c["id"]: c for c in after}
    assert by_id["A-1"]["deadline"] == "2027-03-15T17:00:00+01:00"
    assert by_id["A-1"]["extended"] is True
    assert by_id["B-2"]["title"] == "Second, renamed"
    assert by_id["B-2"]["deadline_label"] == "Stage 2"  # Stage 1 has passed at --at
    ok(cli("remove", "A-1", "--yes"))
    assert [c["id"] for c in json.loads(listing(cli))] == ["B-2"]


def test_a_hand_edit_that_keeps_size_and_mtime_is_in_the_next_json(cli: Cli, store_dir: Path):
    ok(cli("add", "A-1", "--title", "Title 1", "-d", "2027-03-01"))
    assert json.loads(listing(cli))[0]["title"] == "Title 1"
    path = store_dir / "calls" / "A-1.toml"
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"Title 1", b"Title 9"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert json.loads(listing(cli))[0]["title"] == "Title 9"


def test_the_status_and_deadline_follow_the_moment_not_the_remembered_run(cli: Cli) -> None:
    ok(cli("add", "A-1", "--title", "T", "-d", "One=2027-01-05", "-d", "Two=2027-04-01"))
    ok(cli("edit", "A-1", "--opens", "2026-12-01"))
    seen = []
    for at in ("2026-11-01", "2027-01-01", "2027-02-01", "2027-05-01"):
        (call,) = json.loads(cli("calls", "--all", "-f", "json", "--at", at).stdout)
        seen.append((call["status"], call["deadline_label"], call["deadline"][:10]))
    assert seen == [
        ("forthcoming", "One", "2027-01-05"),
        ("open", "One", "2027-01-05"),
        ("open", "Two", "2027-04-01"),
        ("closed", "Two", "2027-04-01"),
    ]


def test_a_stream_that_is_not_utf8_gets_the_same_calls_as_escapes(
    cli: Cli, store_dir: Path
) -> None:
    ok(cli("add", "A-1", "--title", "Zürich – Ελλάδα", "-d", "2027-03-01"))
    utf8 = listing(cli)
    done = subprocess.run(
        [*clusterctl_exe(), "--store", str(store_dir), "calls", "--all", "-f", "json", *AT],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "latin-1"},
        check=True,
    )
    text = done.stdout.decode("ascii")  # every non-ASCII character is a \\u escape
    assert "\\u00fcrich" in text
    assert json.loads(text) == json.loads(utf8)


def test_json_selects_and_orders_the_calls_as_every_other_format(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Closed calls too and only by moments, the calls are selected by the moments their JSON
    # templates hold (jsontext.select); else by their summaries, with or without a cache:
    # either way the calls and their order are the listing's.
    ok(cli("add", "A-1", "--title", "Alpha", "-d", "2027-03-01", "--programme", "Horizon"))
    ok(cli("add", "B-2", "--title", "Beta", "-d", "S1=2027-01-05", "-d", "S2=2027-02-01"))
    ok(cli("add", "C-3", "--title", "Gamma", "-d", "2026-12-01", "--tag", "ai"))
    ok(cli("add", "D-4", "--title", "Delta", "-d", "2027-03-01", "--tag", "ai"))
    ok(cli("add", "E-5", "--title", "Epsilon", "-d", "2027-06-01", "--opens", "2027-02-01"))
    ok(cli("add", "F-6", "--title", "Zeta", "-d", "2026-11-01", "--programme", "Horizon"))
    filters = [
        (),
        ("--all",),
        ("--open",),
        ("--closed",),
        ("--forthcoming",),
        ("--within", "30d"),
        ("--all", "--within", "60d"),
        ("--programme", "horizon", "--all"),
        ("--tag", "AI"),
        ("--search", "ta", "--all"),
    ]
    for at in ("2026-10-01", "2027-01-10", "2027-02-15", "2027-07-01"):
        for flt in filters:
            args = ("calls", *flt, "--at", at)
            rows = ok(cli(*args, "--format", "csv")).splitlines()[1:]
            from_csv = [row.split(",")[0] for row in rows]
            from_json = [c["id"] for c in json.loads(ok(cli(*args, "--format", "json")))]
            with monkeypatch.context() as m:
                m.setenv("CLUSTERCTL_CACHE_DIR", str(tmp_path / f"cache-{at}-{'_'.join(flt)}"))
                fresh = [c["id"] for c in json.loads(ok(cli(*args, "--format", "json")))]
            assert from_json == fresh == from_csv, (at, flt)


def test_an_export_with_no_cache_parses_each_call_file_once(
    cli: Cli, store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 6):
        ok(cli("add", f"C-{n}", "--title", f"Call {n}", "-d", f"2027-0{n}-01"))
    parsed: list[str] = []
    real = tomlfile.parse_toml

    def counting(raw: bytes, display: str) -> dict:
        parsed.append(Path(display).name)
        return real(raw, display)

    monkeypatch.setattr(tomlfile, "parse_toml", counting)
    monkeypatch.setenv("CLUSTERCTL_CACHE_DIR", str(tmp_path / "no-cache-yet"))
    assert len(json.loads(listing(cli))) == 5
    assert sorted(parsed) == [f"C-{n}.toml" for n in range(1, 6)]  # once each, not twice
    parsed.clear()
    assert len(json.loads(listing(cli))) == 5
    assert parsed == []  # then all from the remembered JSON


def test_a_file_that_cannot_be_read_is_reported_after_the_json_of_the_others(
    cli: Cli, store_dir: Path
) -> None:
    ok(cli("add", "A-1", "--title", "Readable", "-d", "2027-03-01"))
    (store_dir / "calls" / "B-2.toml").write_text('id = "B-2"\ntitle = \n')
    for flt in ((), ("--tag", "x", "--all")):
        result = cli("calls", "--all", "--format", "json", *AT, *flt)
        assert result.exit_code != 0
        calls = json.loads(result.stdout)
        assert [c["id"] for c in calls] == ([] if flt else ["A-1"])
        assert "B-2.toml" in result.stderr
