"""Each warning delivered exactly once (issue 14): the delivery is recorded the moment the SMTP
server accepts the digest, so nothing that fails afterwards can make the next run resend it.

The reproducers: stdout failing after the send, a kill while a slow server says goodbye, and a
full disk under the ledger. Real aiosmtpd servers on 127.0.0.1; real processes where the
reproducer needs real streams or a real kill.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from clusterctl import mail
from clusterctl.store import ledger as ledger_module
from tests.cli.helpers import AT, LEDGER, Cli, ledger_keys, warn
from tests.conftest import clusterctl_exe
from tests.smtp_server import SmtpSink, _Handler, unused_port


@pytest.fixture
def store(warn_store: Path) -> Path:
    """Three calls, three warnings due at AT (conftest.py's ``warn_store``)."""
    return warn_store


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        for key, value in server.env().items():
            os.environ[key] = value  # restored by the autouse monkeypatch (CLUSTERCTL_*)
        yield server


def _run(store: Path, env: dict[str, str], stdout: Any = subprocess.PIPE) -> tuple[int, str]:
    done = subprocess.run(
        [
            *clusterctl_exe(),
            "--store",
            str(store),
            "warn",
            "--at",
            AT,
            "-e",
            "a@example.org",
            "--print",
        ],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    return done.returncode, done.stderr


def _many_due(store: Path, count: int) -> None:
    """``count`` more calls closing the day after AT: more output than a pipe's buffer holds."""
    for n in range(count):
        (store / "calls" / f"BULK-{n:03d}.toml").write_text(
            f'id = "BULK-{n:03d}"\ntitle = "A call with a title long enough to fill lines {n}"\n'
            'timezone = "Europe/Brussels"\n\n[[deadlines]]\n'
            "deadline = 2027-03-31 17:00:00+02:00\n",
            encoding="utf-8",
        )


def test_output_that_fails_after_the_send_never_causes_a_resend(store: Path) -> None:
    _many_due(store, 150)
    with SmtpSink() as server, open("/dev/full", "w") as full:
        code, stderr = _run(store, server.env(), stdout=full)
        assert code == 1
        assert stderr.splitlines()[-1] == "error: cannot write the output: No space left on device"
        assert "e-mailed 153 warnings to a@example.org" in stderr
        assert len(server.messages) == 1
        assert len(ledger_keys(store)) == 153
        code, stderr = _run(store, server.env())  # the next morning's run: nothing new
        assert (code, stderr) == (0, "")
        assert len(server.messages) == 1


class _NoGoodbyeHandler(_Handler):
    """Accepts messages, then never answers QUIT until the test lets it."""

    sink: NoGoodbyeSink

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self.sink.goodbye_allowed.wait()
        return "221 Bye"


class NoGoodbyeSink(SmtpSink):
    """An SmtpSink whose QUIT hangs: the window between acceptance and the end of a session."""

    def __init__(self) -> None:
        super().__init__()
        self.goodbye_allowed = asyncio.Event()

    def __enter__(self) -> NoGoodbyeSink:
        self.port = unused_port()
        self._controller = Controller(_NoGoodbyeHandler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.loop.call_soon_threadsafe(self.goodbye_allowed.set)
        super().__exit__(*exc)  # type: ignore[arg-type]


def _wait_for_ledger(store: Path, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Return once the ledger holds the deliveries (polled: the run records them itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (store / LEDGER).exists() and len(ledger_keys(store)) == 3:
            return
        assert process.poll() is None, "the run ended before recording its deliveries"
        time.sleep(0.01)
    raise AssertionError("the deliveries were not recorded while the server said goodbye")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_kill_while_the_server_says_goodbye_never_causes_a_resend(
    store: Path, how: signal.Signals
) -> None:
    with NoGoodbyeSink() as server:
        env = {**os.environ, **server.env()}
        process = subprocess.Popen(
            [*clusterctl_exe(), "--store", str(store), "warn", "--at", AT, "-e", "a@example.org"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            _wait_for_ledger(store, process)
        finally:
            process.send_signal(how)
            process.communicate(timeout=30)
        assert len(server.messages) == 1
    with SmtpSink() as server:
        code, stderr = _run(store, server.env())
        assert (code, stderr) == (0, "")
        assert server.messages == []


def test_a_server_slow_to_say_goodbye_does_not_hold_the_run(
    cli: Cli, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "QUIT_TIMEOUT", 0.2)  # 2 s in real life
    with NoGoodbyeSink() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        started = time.monotonic()
        result = warn(cli, "--at", AT, "-e", "a@example.org")
        assert time.monotonic() - started < 5  # not the 30 s SMTP timeout
        assert result.exit_code == 0, result.stderr
        assert len(server.messages) == 1
        assert len(ledger_keys(store)) == 3


def _full_disk_for(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing ``target`` fails as on a full disk; every other file is written as usual."""
    real = ledger_module.atomic_write

    def atomic_write(path: Path, data: bytes) -> None:
        if os.fspath(path) == os.fspath(target):  # the store passes strings
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(ledger_module, "atomic_write", atomic_write)


def _fallbacks(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "xdg-state" / "clusterctl").glob("undelivered-ledger-*.json"))


def test_a_full_disk_under_the_ledger_keeps_the_deliveries_elsewhere(
    cli: Cli, store: Path, sink: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as full:
        _full_disk_for(store / LEDGER, full)
        result = warn(cli, "--at", AT, "-e", "a@example.org")
    assert result.exit_code == 5
    [fallback] = _fallbacks(tmp_path)
    assert result.stderr.splitlines()[-1] == (
        f"error: {store / LEDGER}: cannot record delivered warnings: No space left on device; "
        f"kept them in {fallback}, so the next run will not send them again"
    )
    assert len(sink.messages) == 1
    assert len(json.loads(fallback.read_text())["sent"]) == 3
    # The next run, with room again: nothing is sent, and the ledger takes the kept entries.
    again = warn(cli, "--at", AT, "-e", "a@example.org")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    assert len(sink.messages) == 1
    assert len(ledger_keys(store)) == 3
    assert _fallbacks(tmp_path) == []


def test_a_dry_run_counts_what_a_full_disk_kept_elsewhere(
    cli: Cli, store: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as full:
        _full_disk_for(store / LEDGER, full)
        assert warn(cli, "--at", AT, "-e", "a@example.org").exit_code == 5
    dry = warn(cli, "--at", AT, "--dry-run")
    assert (dry.exit_code, dry.stdout) == (0, "")


def test_when_nothing_can_be_written_the_message_says_a_resend_may_follow(
    cli: Cli, store: Path, sink: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_room(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(ledger_module, "atomic_write", no_room)
    result = warn(cli, "--at", AT, "-e", "a@example.org")
    assert result.exit_code == 5
    fallback = tmp_path / "xdg-state" / "clusterctl"
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"error: {store / LEDGER}: cannot record delivered warnings: ")
    assert f"; nor in {fallback}/undelivered-ledger-" in last
    assert last.endswith(": No space left on device; the next run may send them again")
    assert len(sink.messages) == 1


def test_without_email_a_failed_output_is_not_recorded_as_delivered(store: Path) -> None:
    _many_due(store, 150)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*clusterctl_exe(), "--store", str(store), "warn", "--at", AT, "--no-email"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == "error: cannot write the output: No space left on device\n"
    assert not (store / LEDGER).exists() or ledger_keys(store) == set()
