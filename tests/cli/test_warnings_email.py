"""``clusterctl warn`` e-mailing its digest (clusterctl/cli/warnings.py, actions/warnings.py,
mail.py): the message, recipients and SMTP settings from the options or the config file, and
what happens when delivery fails or runs overlap.

Every run passes ``--at`` so that nothing depends on the clock. E-mail goes to a real aiosmtpd
server on 127.0.0.1 (tests/smtp_server.py); the retry and overlap tests use real processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.cli.helpers import (
    AT,
    LEDGER,
    LINES_AT,
    Cli,
    add,
    ledger_keys,
    lines,
    warn,
    write_config,
)
from tests.conftest import clusterctl_exe
from tests.smtp_server import SmtpSink, _Handler, unused_port


@pytest.fixture
def store(warn_store: Path) -> Path:
    """The three-call store most tests here start from (conftest.py's ``warn_store``)."""
    return warn_store


# --- e-mail through a real SMTP server ---------------------------------------------------------


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A live SMTP server; CLUSTERCTL_SMTP_* point at it for the test."""
    with SmtpSink() as server:
        for key, value in server.env().items():
            os.environ[key] = value  # restored by the autouse monkeypatch (CLUSTERCTL_*)
        yield server


def body_of(message) -> str:
    """The plain-text body of a parsed message, with the wire's CRLF line ends as LF."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_email_digest(cli: Cli, store: Path, sink: SmtpSink) -> None:
    result = warn(cli, "--at", AT, "--email", "a@example.org", "-e", "b@example.net", "--print")
    assert result.exit_code == 0, result.stderr
    assert lines(result) == LINES_AT
    assert result.stderr == "e-mailed 3 warnings to a@example.org, b@example.net\n"
    assert len(sink.messages) == 1
    mail_from, rcpt_tos, message = sink.messages[0]
    assert mail_from == "clusterctl@example.org"
    assert rcpt_tos == ["a@example.org", "b@example.net"]
    assert message["From"] == "clusterctl@example.org"
    assert message["To"] == "a@example.org, b@example.net"
    subject = str(message["Subject"])
    assert subject.startswith("clusterctl: 3 deadlines due, nearest BETA-2 on 2027-04-01 17:00")
    assert parsedate_to_datetime(message["Date"]) == datetime(2027, 3, 30, 7, 0, tzinfo=UTC)
    msgid = message["Message-ID"]
    assert msgid.startswith("<") and msgid.endswith("@example.org>")
    assert message.get_content_type() == "text/plain"
    body = body_of(message)
    assert body.startswith("3 deadlines due:\n")
    for call_id, title in [("BETA-2", "Beta call"), ("ALPHA-1", "Alpha call")]:
        assert f"{call_id}: {title}\n" in body
    assert body.index("BETA-2:") < body.index("ALPHA-1:") < body.index("LIS-3:")
    assert "  Stage:     Stage 1\n" in body
    assert "  Deadline:  2027-04-20 17:00 WEST\n" in body
    # delivered means remembered: no second message
    again = warn(cli, "--at", AT, "--email", "a@example.org", "-e", "b@example.net")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    assert len(sink.messages) == 1


def test_email_one_warning_subject_is_singular(cli: Cli, store: Path, sink: SmtpSink) -> None:
    result = warn(cli, "--at", AT, "--thresholds", "3d", "--email", "a@example.org")
    assert result.exit_code == 0
    assert result.stderr == "e-mailed 1 warning to a@example.org\n"
    subject = str(sink.messages[0][2]["Subject"])
    assert subject.startswith("clusterctl: 1 deadline due, nearest BETA-2 on ")


def test_nothing_due_sends_nothing(cli: Cli, store: Path, sink: SmtpSink) -> None:
    result = warn(cli, "--at", "2027-01-01", "--email", "a@example.org")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert sink.messages == []


def test_title_cannot_inject_headers_or_recipients(
    cli: Cli, store_dir: Path, sink: SmtpSink
) -> None:
    add(cli, "EVIL-1", "Evil\r\nBcc: evil@example.org\r\n\r\nbody", "2027-04-08")
    result = warn(cli, "--at", AT, "--email", "a@example.org", "--print")
    assert result.exit_code == 0, result.stderr
    assert "\r" not in result.stdout
    assert len(lines(result)) == 1
    assert result.stdout.startswith("EVIL-1  Evil Bcc: evil@example.org body  deadline ")
    (_, rcpt_tos, message), *rest = sink.messages
    assert rest == []
    assert rcpt_tos == ["a@example.org"]
    assert message["Bcc"] is None
    assert "evil" not in str(message["Subject"]) + str(message["To"])
    assert {name.lower() for name in message} == {
        "date",
        "message-id",
        "from",
        "to",
        "subject",
        "auto-submitted",
        "content-type",
        "content-transfer-encoding",
        "mime-version",
    }
    raw = message.as_bytes()
    assert not any(line.lower().startswith(b"bcc") for line in raw.splitlines())
    # the title stays on its one line of the body
    assert re.search(r"^EVIL-1: Evil Bcc: evil@example\.org +body$", body_of(message), re.M)


@pytest.mark.parametrize("bad", ["not-an-address", "a@example.org, evil@example.org", "a@x\nb"])
def test_bad_recipient_is_a_usage_error(cli: Cli, store: Path, sink: SmtpSink, bad: str) -> None:
    result = warn(cli, "--at", AT, "--email", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: invalid e-mail address")
    assert sink.messages == []
    assert not (store / LEDGER).exists()


SMTP_TABLE = """
[smtp]
host = "127.0.0.1"
port = {port}
from = "bot@example.org"
tls = "none"
"""


def test_recipients_and_smtp_from_the_config_file(cli: Cli, store: Path, tmp_path: Path) -> None:
    with SmtpSink() as server:
        config = '[warn]\nemail = ["team@example.org", "boss@example.net"]\n'
        write_config(tmp_path, config + SMTP_TABLE.format(port=server.port), mode=0o644)
        off = warn(cli, "--at", AT, "--no-email", "--dry-run")
        assert lines(off) == LINES_AT
        result = warn(cli, "--at", AT)
        assert result.exit_code == 0, result.stderr
        assert len(server.messages) == 1
        mail_from, rcpt_tos, message = server.messages[0]
        assert mail_from == "bot@example.org"
        assert message["From"] == "bot@example.org"
        assert rcpt_tos == ["team@example.org", "boss@example.net"]
        # --email replaces the configured recipients
        result = warn(cli, "--at", "2027-03-31 09:00", "--email", "me@example.org")
        assert result.exit_code == 0, result.stderr
        assert server.messages[1][1] == ["me@example.org"]


def test_no_email_option_keeps_it_local(cli: Cli, store: Path, tmp_path: Path) -> None:
    with SmtpSink() as server:
        config = '[warn]\nemail = ["team@example.org"]\n'
        write_config(tmp_path, config + SMTP_TABLE.format(port=server.port), mode=0o644)
        result = warn(cli, "--at", AT, "--no-email")
        assert (result.exit_code, lines(result), result.stderr) == (0, LINES_AT, "")
        assert server.messages == []


@pytest.mark.parametrize(
    ("mode", "exit_code"), [(0o644, 8), (0o640, 8), (0o604, 8), (0o600, 0), (0o400, 0)]
)
def test_smtp_password_in_config_needs_a_private_file(
    cli: Cli, store: Path, tmp_path: Path, mode: int, exit_code: int
) -> None:
    password = "pw-Very$ecret-42"
    with SmtpSink(auth=("bot", password)) as server:
        config = SMTP_TABLE.format(port=server.port) + f'user = "bot"\npassword = "{password}"\n'
        path = write_config(tmp_path, config, mode=mode)
        assert stat.S_IMODE(path.stat().st_mode) == mode
        result = warn(cli, "--at", AT, "--email", "team@example.org")
        assert result.exit_code == exit_code
        assert password not in result.stdout + result.stderr
        if exit_code:
            assert result.stdout == ""
            assert result.stderr == (
                f"error: config file {path} holds an SMTP password but is readable by others; "
                f"run: chmod 600 {path}\n"
            )
            assert server.messages == []
            assert not (store / LEDGER).exists()
        else:
            assert server.logins == ["bot"]
            assert server.messages[0][1] == ["team@example.org"]


def test_refused_recipient_fails_and_is_retried(cli: Cli, store: Path) -> None:
    with SmtpSink(reject={"gone@example.org"}) as server:
        for key, value in server.env().items():
            os.environ[key] = value
        result = warn(cli, "--at", AT, "--email", "a@example.org", "--email", "gone@example.org")
        assert result.exit_code == 7
        assert result.stderr.startswith("error: could not send e-mail via 127.0.0.1:")
        assert "gone@example.org" in result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert ledger_keys(store) == set()


# --- failure and retry, overlapping runs: real processes --------------------------------------


def run_warn(store: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``clusterctl --store STORE warn ARGS`` as a real process."""
    return subprocess.Popen(
        [*clusterctl_exe(), "--store", str(store), "warn", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    """Wait for ``process``; return (exit code, stdout, stderr)."""
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def test_server_down_exits_7_and_the_next_run_sends(store: Path) -> None:
    port = unused_port()
    down = {
        "CLUSTERCTL_SMTP_HOST": "127.0.0.1",
        "CLUSTERCTL_SMTP_PORT": str(port),
        "CLUSTERCTL_SMTP_FROM": "clusterctl@example.org",
        "CLUSTERCTL_SMTP_TLS": "none",
    }
    code, stdout, stderr = finish(run_warn(store, "--at", AT, "--email", "a@example.org", env=down))
    assert code == 7
    assert stderr == (f"error: could not send e-mail via 127.0.0.1:{port}: connection refused\n")
    assert "Traceback" not in stdout + stderr
    assert ledger_keys(store) == set()
    with SmtpSink() as server:
        code, stdout, stderr = finish(
            run_warn(store, "--at", AT, "--email", "a@example.org", "--print", env=server.env())
        )
        assert code == 0, stderr
        assert stdout.splitlines() == LINES_AT
        assert len(server.messages) == 1
        assert "3 deadlines due" in str(server.messages[0][2]["Subject"])
        code, stdout, stderr = finish(
            run_warn(store, "--at", AT, "--email", "a@example.org", env=server.env())
        )
        assert (code, stdout, stderr) == (0, "", "")
        assert len(server.messages) == 1
    assert len(ledger_keys(store)) == 3


class _SlowHandler(_Handler):
    """Accepts messages like SmtpSink's handler, but answers DATA only once the test lets it."""

    sink: SlowSink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sink.data_started.set()
        await self.sink.reply_allowed.wait()
        return await super().handle_DATA(server, session, envelope)


class SlowSink(SmtpSink):
    """An SmtpSink that holds its DATA reply until ``release()``: the run that is sending stays
    there, holding the warnings lock, for as long as the test needs another run to overlap it."""

    def __init__(self) -> None:
        super().__init__()
        self.data_started = threading.Event()
        self.reply_allowed = asyncio.Event()  # set in the server's loop, by release()

    def __enter__(self) -> SlowSink:
        self.port = unused_port()
        self._controller = Controller(_SlowHandler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def release(self) -> None:
        """Let the held DATA reply, and any later one, go."""
        assert self._controller is not None
        self._controller.loop.call_soon_threadsafe(self.reply_allowed.set)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._controller is not None:
            self.release()  # a failed test must not leave a run waiting for its reply
        super().__exit__(kind, error, traceback)


def wait_until_open(process: subprocess.Popen, path: Path, timeout: float = 30.0) -> None:
    """Return once ``process`` has ``path`` open, as /proc/PID/fd shows on Linux; without
    /proc, after the second that the test used to allow instead."""
    if not Path("/proc/self/fd").is_dir():
        time.sleep(1.0)
        return
    target = str(path.resolve())
    fds = Path(f"/proc/{process.pid}/fd")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the run ended before opening {path}: {finish(process)}"
        with contextlib.suppress(OSError):  # a descriptor may be closed while it is read
            if any(os.readlink(fd) == target for fd in fds.iterdir()):
                return
        time.sleep(0.01)
    raise AssertionError(f"process {process.pid} did not open {path} in {timeout} s")


def test_overlapping_runs_deliver_each_warning_once(store: Path) -> None:
    with SlowSink() as server:
        args = ("--at", AT, "--email", "a@example.org", "--print")
        first = run_warn(store, *args, env=server.env())
        second = run_warn(store, *args, env=server.env())
        assert server.data_started.wait(timeout=30)  # one run is sending, lock held
        for run in (first, second):  # the sender holds the lock file open, the other waits on it
            wait_until_open(run, store / ".state" / "warn.lock")
        server.release()
        results = [finish(first), finish(second)]
    assert [code for code, _, _ in results] == [0, 0], results
    assert len(server.messages) == 1
    printed = [line for _, stdout, _ in results for line in stdout.splitlines()]
    assert printed == LINES_AT
    assert sorted(stderr for _, _, stderr in results) == [
        "",
        "e-mailed 3 warnings to a@example.org\n",
    ]


def test_overlapping_runs_without_email_print_each_warning_once(store: Path) -> None:
    processes = [run_warn(store, "--at", AT) for _ in range(3)]
    results = [finish(p) for p in processes]
    assert [code for code, _, _ in results] == [0, 0, 0], results
    printed = sorted(line for _, stdout, _ in results for line in stdout.splitlines())
    assert printed == sorted(LINES_AT)
    assert len(ledger_keys(store)) == 3


def test_a_run_that_cannot_get_the_lock_fails_cleanly(store: Path) -> None:
    with SlowSink() as server:
        args = ("--at", AT, "--email", "a@example.org", "--print")
        first = run_warn(store, *args, env=server.env())
        assert server.data_started.wait(timeout=30)  # the first run is sending, lock held
        second = subprocess.run(
            [*clusterctl_exe(), "--store", str(store), "--lock-timeout", "0.2", "warn", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **server.env()},
            timeout=60,
        )
        server.release()
        code, stdout, _ = finish(first)
    assert second.returncode == 6
    assert second.stdout == ""
    assert "warn.lock: the warnings ledger is locked by another clusterctl process" in (
        second.stderr
    )
    assert len(second.stderr.splitlines()) == 1
    assert (code, stdout.splitlines()) == (0, LINES_AT)
    assert len(server.messages) == 1


def test_dry_run_checks_the_addresses_too(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clusterctl.cli import app

    store = tmp_path / "store"
    runner = CliRunner()
    added = runner.invoke(
        app, ["--store", str(store), "add", "W-1", "--title", "t", "-d", "2030-01-10"]
    )
    assert added.exit_code == 0
    result = runner.invoke(
        app,
        [
            "--store",
            str(store),
            "warn",
            "--dry-run",
            "--email",
            "not-an-address",
            "--at",
            "2030-01-09",
        ],
    )
    assert result.exit_code == 2
    assert "not-an-address" in result.stderr


def test_with_email_the_digest_is_not_printed_unless_asked(
    cli: Cli, store: Path, sink: SmtpSink
) -> None:
    # Cron mails what a job prints: the digest e-mailed is not printed a second time (issue 15).
    result = warn(cli, "--at", AT, "--email", "a@example.org")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "e-mailed 3 warnings to a@example.org\n"
    assert len(sink.messages) == 1
