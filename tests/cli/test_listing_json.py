"""``calls --format json`` remembers each call's JSON between runs (Store.derive): a run after
any change, by clusterctl or by hand, still gives exactly the JSON of the files as they are."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

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
