"""``clusterctl sync`` through the real CLI against the portal's search API on 127.0.0.1
(tests/portal_server.py, serving the real sample response): what reaches the store, what is
said, and that a failed fetch leaves the store byte for byte as it was. No test reaches the
internet; the HTTP details (request shape, retries, caps) are tested in test_portal_search.py."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.cli.helpers import Cli, snapshot
from tests.portal_server import PATH, TOPICS, Portal, json_response, page

AT = "2026-11-25 09:00"
FIRST = "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10"


@pytest.fixture
def portal(httpserver: HTTPServer) -> Portal:
    return Portal(httpserver)


@pytest.fixture
def config(tmp_path: Path, portal: Portal, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file with two saved searches pointed at the loopback portal."""
    path = tmp_path / "config.toml"
    path.write_text(
        f'[portal]\nendpoint = "{portal.url}"\n\n'
        '[[portal.search]]\nname = "clusters"\ntext = "cluster"\n\n'
        '[[portal.search]]\nname = "soil"\ntext = "soil"\nstatus = ["forthcoming"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(path))
    return path


def _topic_with_deadline(topic: dict, deadline: str) -> dict:
    changed = copy.deepcopy(topic)
    changed["metadata"]["deadlineDate"] = [deadline]
    return changed


def _first_topic() -> dict:
    return next(t for t in TOPICS if t["metadata"]["identifier"][0] == FIRST)


def test_a_first_sync_adds_every_topic_once_tagged_with_its_search(
    cli: Cli, store_dir: Path, portal: Portal, config: Path
) -> None:
    portal.serve(TOPICS, size=100)
    result = cli("sync", "--at", AT)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "synced: 8 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting"
    assert sorted(line.split()[1] for line in lines[:-1]) == sorted(
        dict.fromkeys(t["metadata"]["identifier"][0] for t in TOPICS)
    )
    shown = json.loads(cli("show", FIRST, "--format", "json", "--at", AT).stdout)
    assert {"portal", "clusters"} <= set(shown["tags"])
    # Both searches asked the portal, each with its own text; the second found the same topics.
    assert [r["args"]["text"] for r in portal.requests] == ["cluster", "soil"]
    [clusters, soil] = json.loads((store_dir / ".state" / "sync-history.json").read_text())["runs"]
    assert (clusters["search"], clusters["topics"], clusters["total_results"]) == ("clusters", 9, 9)
    assert soil["search"] == "soil"


def test_a_second_sync_with_nothing_new_is_silent(cli: Cli, portal: Portal, config: Path) -> None:
    portal.serve(TOPICS, size=100)
    assert cli("sync", "--at", AT).exit_code == 0
    again = cli("sync", "--at", AT)
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")


def test_a_later_deadline_is_recorded_as_an_extension_with_its_source(
    cli: Cli, portal: Portal, config: Path
) -> None:
    portal.serve(TOPICS, size=100)
    assert cli("sync", "--at", AT).exit_code == 0
    later = [
        _topic_with_deadline(t, "2027-04-01T00:00:00.000+0000")
        if t["metadata"]["identifier"][0] == FIRST
        else t
        for t in TOPICS
    ]
    portal.serve(later, size=100)
    result = cli("sync", "--search", "clusters", "--at", "2026-11-26 09:00")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"extended {FIRST}: 2027-03-18 17:00 CET -> 2027-04-01 17:00 CEST (portal update)",
        "synced: 0 new, 1 extended, 0 updated, 7 unchanged, 0 conflicting",
    ]
    shown = json.loads(cli("show", FIRST, "--format", "json", "--at", AT).stdout)
    [extension] = shown["extensions"]
    assert extension["reason"] == "portal update"
    assert extension["source"] == _first_topic()["url"]


def test_an_earlier_deadline_is_a_conflict_left_alone(
    cli: Cli, store_dir: Path, portal: Portal, config: Path
) -> None:
    portal.serve(TOPICS, size=100)
    assert cli("sync", "--at", AT).exit_code == 0
    before = snapshot(store_dir / "calls")
    earlier = [
        _topic_with_deadline(t, "2027-03-01T00:00:00.000+0000")
        if t["metadata"]["identifier"][0] == FIRST
        else t
        for t in TOPICS
    ]
    portal.serve(earlier, size=100)
    result = cli("sync", "--search", "clusters", "--at", AT)
    assert result.exit_code == 12  # as import: the rest was written, the conflict left alone
    assert result.stderr.splitlines() == [
        f"conflict {FIRST}: the portal says 2027-03-01 17:00 CET, earlier than the stored "
        "2027-03-18 17:00 CET; left alone (use --allow-earlier to accept)",
    ]
    assert snapshot(store_dir / "calls") == before


def test_many_topics_over_several_pages(cli: Cli, portal: Portal, config: Path) -> None:
    many = []
    for n in range(150):
        topic = copy.deepcopy(_first_topic())
        topic["metadata"]["identifier"] = [f"TOPIC-{n:03d}"]
        many.append(topic)
    portal.serve(many, size=100)
    result = cli("sync", "--search", "clusters", "--at", AT)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("synced: 150 new,")
    assert portal.pages_asked() == [1, 2]


def test_a_503_is_retried_and_the_sync_completes(cli: Cli, portal: Portal, config: Path) -> None:
    portal.serve(TOPICS, size=100)
    portal.queue(1, Response("busy", status=503, headers={"Retry-After": "0"}))
    result = cli("sync", "--search", "clusters", "--at", AT)
    assert result.exit_code == 0, result.stderr
    assert portal.pages_asked() == [1, 1]


@pytest.fixture
def stalled() -> Iterator[str]:
    """A search API that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{PATH}"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            Response("<html>maintenance</html>", status=200, content_type="text/html"),
            "error: search 'clusters', page 1: not valid JSON: Expecting value (line 1, column 1)",
        ),
        (
            json_response(page(2, TOPICS, total=9, size=100)),
            "error: search 'clusters', page 1: the portal sent pageNumber 2 instead",
        ),
        (
            Response(b"x" * (50 * 1024 * 1024), status=200, content_type="application/json"),
            "error: search 'clusters', page 1: the portal's answer is over the 16,777,216-byte cap",
        ),
    ],
    ids=["not-json", "wrong-page", "50-mb"],
)
def test_a_failed_fetch_writes_nothing(
    cli: Cli,
    store_dir: Path,
    portal: Portal,
    config: Path,
    answer: Response,
    message: str,
) -> None:
    portal.serve(TOPICS, size=100)
    assert cli("sync", "--search", "soil", "--at", AT).exit_code == 0
    before = snapshot(store_dir)
    portal.queue(1, answer)
    result = cli("sync", "--search", "clusters", "--at", AT)
    assert result.exit_code == 11
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(message), result.stderr
    assert snapshot(store_dir) == before


def test_a_portal_that_never_answers_gives_up_after_the_timeout(
    cli: Cli, store_dir: Path, stalled: str, tmp_path: Path
) -> None:
    result = cli(
        "sync", "--text", "cluster", "--endpoint", stalled, "--timeout", "0.2", "--retries", "0"
    )
    assert result.exit_code == 10
    assert result.stderr == (
        "error: search 'ad hoc', page 1: the portal did not answer within 0.2 s after 1 try\n"
    )
    assert not store_dir.exists()


def test_the_endpoint_comes_from_the_environment(
    cli: Cli, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal.serve(TOPICS, size=100)
    monkeypatch.setenv("CLUSTERCTL_PORTAL_URL", portal.url)
    result = cli("sync", "--text", "soil", "--status", "forthcoming", "--at", AT)
    assert result.exit_code == 0, result.stderr
    [request] = portal.requests
    assert request["args"]["text"] == "soil"
    assert request["parts"]["query"][2]["bool"]["must"][1] == {"terms": {"status": ["31094501"]}}


def test_a_dry_run_fetches_and_writes_nothing(
    cli: Cli, store_dir: Path, portal: Portal, config: Path
) -> None:
    portal.serve(TOPICS, size=100)
    result = cli("sync", "--dry-run", "--at", AT)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "dry run, nothing written: 8 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting"
    )
    assert not store_dir.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--search", "nope"], "error: no saved search 'nope' in {config} (saved: clusters, soil)"),
        (["--search", "soil", "--text", "x"], "error: give --search NAME or --text TEXT, not both"),
        (
            ["--status", "open"],
            "error: --status and --filter go with --text (a saved search has its own)",
        ),
        (
            ["--text", "x", "--status", "shut"],
            "error: --status 'shut': 'shut' is not one of forthcoming, open, closed",
        ),
        (
            ["--text", "x", "--filter", "nokey"],
            "error: --filter 'nokey': expected KEY=VALUE, like frameworkProgramme=43108390",
        ),
    ],
)
def test_bad_choices_are_one_line(cli: Cli, config: Path, args: list[str], message: str) -> None:
    result = cli("sync", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == message.format(config=config) + "\n"


def test_without_saved_searches_it_says_how_to_add_one(cli: Cli, tmp_path: Path) -> None:
    result = cli("sync")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no saved searches: add [[portal.search]] to {tmp_path / 'no-config.toml'}, "
        "or use --text TEXT\n"
    )


def test_the_history_says_when_each_search_ran(cli: Cli, portal: Portal, config: Path) -> None:
    assert cli("sync", "--history").stdout == "No syncs yet.\n"
    portal.serve(TOPICS, size=100)
    assert cli("sync", "--at", AT).exit_code == 0
    history = cli("sync", "--history").stdout.splitlines()
    assert history == [
        "2026-11-25T08:00:00Z  clusters: 9 topics of 9; "
        "8 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting",
        "2026-11-25T08:00:00Z  soil: 9 topics of 9; "
        "8 new, 0 extended, 0 updated, 0 unchanged, 0 conflicting",
    ]


def test_config_show_lists_the_saved_searches(cli: Cli, config: Path, portal: Portal) -> None:
    shown = json.loads(cli("config", "show").stdout)
    assert [s["name"] for s in shown["portal"]["search"]] == ["clusters", "soil"]
    assert shown["portal"]["endpoint"] == portal.url
