"""``warn --notify``: the digest posted to chat channels through Apprise (issue 18), against
real HTTP servers on 127.0.0.1 (Apprise's json:// and ntfy:// reach them; no test reaches the
internet). Each warning is delivered once to each channel; a failing channel is retried next
run without sending again to the others; secrets never show."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.cli.helpers import AT, LEDGER, Cli, ledger_keys, warn
from tests.conftest import run

pytest.importorskip("apprise", reason="the notify extra: pip install -e '.[notify]'")


@pytest.fixture
def store(warn_store: Path) -> Path:
    """Three calls, three warnings due at AT (conftest.py's ``warn_store``)."""
    return warn_store


class Chat:
    """Webhook endpoints on one loopback server: records what each path receives; a path in
    ``failing`` answers 500."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.received: dict[str, list[str]] = {}
        self.failing: set[str] = set()
        server.expect_request("/", method="POST").respond_with_handler(self.handle)
        for path in ("/hook", "/ops"):
            server.expect_request(path, method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        # ntfy:// posts to the server's root with the topic in the JSON body.
        body = request.get_data(as_text=True)
        where = request.path
        if where == "/":
            where = "/" + json.loads(body).get("topic", "")
        self.received.setdefault(where, []).append(body)
        if where in self.failing:
            return Response("down", status=500)
        return Response("{}", status=200, content_type="application/json")

    def url(self, scheme: str, path: str, userinfo: str = "") -> str:
        return f"{scheme}://{userinfo}{self.server.host}:{self.server.port}{path}"

    def count(self, path: str) -> int:
        return len(self.received.get(path, []))


@pytest.fixture
def chat(httpserver: HTTPServer) -> Chat:
    return Chat(httpserver)


def test_one_delivery_per_channel_then_silence(cli: Cli, store: Path, chat: Chat) -> None:
    hook, topic = chat.url("json", "/hook"), chat.url("ntfy", "/team-calls")
    result = warn(cli, "--at", AT, "--notify", hook, "--notify", topic)
    assert result.exit_code == 0, result.stderr
    assert (chat.count("/hook"), chat.count("/team-calls")) == (1, 1)
    posted = json.loads(chat.received["/hook"][0])
    assert posted["title"].startswith("clusterctl: 3 deadlines due, nearest BETA-2")
    assert "- **ALPHA-1**: Alpha call\n  deadline 2027-04-08 17:00 CEST" in posted["message"]
    assert "warning at 14d" in posted["message"]
    assert "**BETA-2**" in json.loads(chat.received["/team-calls"][0])["message"]
    assert result.stderr.splitlines() == [
        f"notified {hook}: 3 warnings",
        f"notified {topic}: 3 warnings",
    ]
    again = warn(cli, "--at", AT, "--notify", hook, "--notify", topic)
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    assert (chat.count("/hook"), chat.count("/team-calls")) == (1, 1)


def test_a_failing_channel_is_retried_without_resending_to_the_others(
    cli: Cli, store: Path, chat: Chat
) -> None:
    hook, ops = chat.url("json", "/hook"), chat.url("json", "/ops")
    chat.failing.add("/ops")
    first = warn(cli, "--at", AT, "--notify", hook, "--notify", ops)
    assert first.exit_code == 7
    assert first.stderr.splitlines()[-1].startswith(f"error: could not notify {ops}: ")
    assert (chat.count("/hook"), chat.count("/ops")) == (1, 1)
    chat.failing.clear()
    second = warn(cli, "--at", AT, "--notify", hook, "--notify", ops)
    assert second.exit_code == 0, second.stderr
    assert second.stderr == f"notified {ops}: 3 warnings\n"
    assert (chat.count("/hook"), chat.count("/ops")) == (1, 2)


def test_an_extension_rearms_every_channel(cli: Cli, store: Path, chat: Chat) -> None:
    hook, topic = chat.url("json", "/hook"), chat.url("ntfy", "/team-calls")
    assert warn(cli, "--at", AT, "--notify", hook, "--notify", topic).exit_code == 0
    extended = cli("extend", "ALPHA-1", "--to", "2027-04-10 17:00", "--at", AT)
    assert extended.exit_code == 0, extended.stderr
    again = warn(cli, "--at", AT, "--notify", hook, "--notify", topic)
    assert again.exit_code == 0, again.stderr
    assert (chat.count("/hook"), chat.count("/team-calls")) == (2, 2)
    assert "EXTENDED" in json.loads(chat.received["/hook"][1])["message"]


def test_the_output_and_each_channel_have_their_own_record(
    cli: Cli, store: Path, chat: Chat
) -> None:
    hook = chat.url("json", "/hook")
    printed = warn(cli, "--at", AT)  # cron's output first: the chat has not had them yet
    assert len(printed.stdout.splitlines()) == 3
    result = warn(cli, "--at", AT, "--notify", hook)
    assert (result.exit_code, result.stdout) == (0, "")
    assert chat.count("/hook") == 1
    assert len(ledger_keys(store)) == 6


def test_secrets_never_show(
    cli: Cli, store: Path, chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cretPassw0rd"
    hook = chat.url("json", "/hook", f"bot:{secret}@")
    chat.failing.add("/hook")
    failed = warn(cli, "--at", AT, "--notify", hook)
    assert failed.exit_code == 7
    shown = hook.replace(secret, "****")
    assert failed.stderr.splitlines()[-1].startswith(f"error: could not notify {shown}: ")
    dry = warn(cli, "--at", AT, "--notify", hook, "--dry-run")
    assert dry.stderr.splitlines()[-1] == f"dry run: would notify {shown}: 3 warnings"
    config = tmp_path / "config.toml"
    config.write_text(f'[warn]\nnotify = ["{hook}"]\n', encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    shown_config = cli("config", "show")
    everything = failed.stdout + failed.stderr + dry.stdout + dry.stderr + shown_config.stdout
    assert secret not in everything
    assert secret not in (store / LEDGER).read_text()


def test_renewing_a_token_sends_nothing_again(cli: Cli, store: Path, chat: Chat) -> None:
    first = chat.url("json", "/hook", "bot:oldtoken123@")
    assert warn(cli, "--at", AT, "--notify", first).exit_code == 0
    renewed = chat.url("json", "/hook", "bot:newtoken456@")
    again = warn(cli, "--at", AT, "--notify", renewed)
    assert (again.exit_code, again.stderr) == (0, "")
    assert chat.count("/hook") == 1


def test_channels_from_the_config_file_and_no_notify(
    cli: Cli, store: Path, chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[warn]\nnotify = ["{chat.url("json", "/hook")}"]\n', encoding="utf-8")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    quiet = cli("warn", "--at", AT, "--no-notify")
    assert quiet.exit_code == 0 and chat.count("/hook") == 0
    result = cli("warn", "--at", AT)
    assert result.exit_code == 0, result.stderr
    assert chat.count("/hook") == 1


def test_a_url_apprise_cannot_use_is_one_line(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT, "--notify", "nosuchservice://x/y")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --notify nosuchservice://x/y: not a URL Apprise can use "
        "(see https://github.com/caronc/apprise/wiki)\n"
    )


def test_without_the_extra_the_error_says_what_to_install(store: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['apprise'] = None  # as if clusterctl[notify] were not installed\n"
        f"sys.argv = ['clusterctl', '--store', {str(store)!r}, 'warn', '--at', {AT!r},\n"
        "            '--notify', 'json://127.0.0.1:9/hook']\n"
        "from clusterctl.__main__ import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "error: chat notifications need Apprise: pip install 'clusterctl[notify]'\n"
    )


def test_a_failed_matrix_delivery_still_logs_its_session_out(
    store: Path, httpserver: HTTPServer
) -> None:
    # A homeserver on loopback that lets the channel log in and join, then refuses the
    # message. Apprise logs out only when the failed channel is freed, which the script's
    # end must still allow (__main__.CLEANS_UP_AT_EXIT): else each failed cron run leaves
    # one more session on the server.
    seen: list[str] = []
    session = {
        "access_token": "token",
        "user_id": "@clusterctl:localhost",
        "home_server": "localhost",
        "device_id": "DEVICE",
        "room_id": "!room:localhost",
        "joined_rooms": ["!room:localhost"],
    }

    def homeserver(request: Request) -> Response:
        seen.append(f"{request.method} {request.path}")
        status = 500 if request.method == "PUT" else 200
        return Response(json.dumps(session), status=status, content_type="application/json")

    httpserver.expect_request(re.compile(".*")).respond_with_handler(homeserver)
    url = f"matrix://clusterctl:secret@{httpserver.host}:{httpserver.port}/#room"
    failed = run(store, "warn", "--at", AT, "--notify", url)  # the installed script
    assert failed.returncode == 7, failed.stderr
    assert "error: could not notify matrix://" in failed.stderr
    assert "secret" not in failed.stderr
    assert any(line.startswith("PUT ") for line in seen), seen
    assert seen[-1].endswith("/logout"), seen
