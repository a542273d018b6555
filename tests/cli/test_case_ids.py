"""Ids that differ only in case (``OK``, ``Ok``) through the real command line: refused by
``add`` and ``import`` (they are one file on a case-insensitive file system, and one call in
people's heads), suggested by ``show`` (clusterctl/store/idindex.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import Cli, failed, ok, snapshot
from tests.conftest import FIXTURES

TWIN = "error: a call with id 'OK' already exists; 'Ok' differs from it only in case"


def _record(call_id: str) -> dict[str, object]:
    return {
        "id": call_id,
        "title": f"Call {call_id}",
        "timezone": "Europe/Brussels",
        "deadlines": [{"deadline": "2031-03-08T17:00:00+01:00"}],
    }


@pytest.fixture
def store(cli: Cli, store_dir: Path) -> Path:
    ok(cli("add", "OK", "--title", "The call", "-d", "2031-03-08"))
    return store_dir


@pytest.mark.parametrize("listed", [False, True], ids=["from-a-listing", "from-the-index"])
def test_add_refuses_an_id_that_differs_only_in_case(cli: Cli, store: Path, listed: bool) -> None:
    if listed:
        ok(cli("calls"))
    before = snapshot(store / "calls")
    assert failed(cli("add", "Ok", "--title", "Twin", "-d", "2031-03-08"), 4) == TWIN
    assert failed(cli("add", "Ok", "--title", "Twin", "-d", "2031-03-08", "--replace"), 4) == TWIN
    assert snapshot(store / "calls") == before
    ok(cli("add", "OK-2", "--title", "Not a twin", "-d", "2031-03-08"))
    ok(cli("add", "OK", "--title", "Replaced", "-d", "2031-03-08", "--replace"))


def test_add_refuses_a_twin_that_arrived_by_git_pull(cli: Cli, store: Path) -> None:
    ok(cli("calls"))  # the names are recorded...
    pulled = (store / "calls" / "OK.toml").read_text().replace('"OK"', '"ok"')
    (store / "calls" / "ok.toml").write_text(pulled)  # ...and then calls/ changes behind them
    assert failed(cli("add", "oK", "--title", "Twin", "-d", "2031-03-08"), 4) == (
        "error: a call with id 'OK' already exists; 'oK' differs from it only in case"
    )


@pytest.mark.parametrize("count", [1, 20], ids=["one", "many"])
def test_import_refuses_an_id_that_differs_only_in_case(
    cli: Cli, store: Path, tmp_path: Path, count: int
) -> None:
    source = tmp_path / "calls.json"
    records = [_record(f"NEW-{n}") for n in range(count - 1)] + [_record("Ok")]
    source.write_text(json.dumps(records))
    before = snapshot(store)
    assert failed(cli("import", str(source)), 4) == TWIN
    assert snapshot(store) == before


def test_import_refuses_two_records_that_differ_only_in_case(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "calls.json"
    source.write_text(json.dumps([_record("X-1"), _record("x-1")]))
    assert failed(cli("import", str(source)), 4) == (
        "error: ids 'X-1' and 'x-1' differ only in case; nothing was written"
    )
    assert not (store_dir / "calls").exists()


def test_a_portal_import_refuses_an_id_that_differs_only_in_case(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    data = json.loads((FIXTURES / "eu-portal-search-page.json").read_text(encoding="utf-8"))
    topic = data["results"][0]["metadata"]["identifier"][0]
    ok(cli("add", topic.lower(), "--title", "Ours", "-d", "2031-03-08"))
    source = tmp_path / "portal.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    assert failed(cli("import", str(source), "--from", "eu-portal", "--at", "2026-06-01"), 4) == (
        f"error: a call with id {topic.lower()!r} already exists; {topic!r} differs from it "
        "only in case"
    )


def test_show_suggests_the_id_that_differs_only_in_case(cli: Cli, store: Path) -> None:
    assert failed(cli("show", "ok"), 3) == f"error: no call 'ok' in {store}; did you mean 'OK'?"
    assert failed(cli("show", "NO"), 3) == f"error: no call 'NO' in {store}"
