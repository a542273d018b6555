"""CLI tests for ``clusterctl warn``: cron-friendly output, the ledger, e-mail through real SMTP.

Every run passes ``--at`` so that nothing depends on the clock. E-mail goes to a real aiosmtpd
server on 127.0.0.1 (tests/smtp_server.py); the retry and overlap tests use real processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from typer.testing import Result

from tests.conftest import clusterctl_exe
from tests.smtp_server import SmtpSink, _Handler, unused_port

Cli = Callable[..., Result]

LEDGER = Path(".state") / "warnings-sent.json"

# The store used by most tests (all deadlines 17:00 in the call's zone):
#   ALPHA-1  single stage   2027-04-08 17:00 CEST (15:00Z)
#   BETA-2   Stage 1        2027-04-01 17:00 CEST (15:00Z), Stage 2 2027-06-01 17:00 CEST
#   LIS-3    Europe/Lisbon  2027-04-20 17:00 WEST (16:00Z)
# At AT (2027-03-30 09:00 Brussels = 07:00Z) three warnings are due:
AT = "2027-03-30 09:00"
LINES_AT = [
    "BETA-2  Beta call  deadline 2027-04-01 17:00 CEST (Stage 1)  in 2 days 8 h (under 7d)",
    "ALPHA-1  Alpha call  deadline 2027-04-08 17:00 CEST  in 9 days 8 h (under 14d)",
    "LIS-3  Lisbon call  deadline 2027-04-20 17:00 WEST  in 21 days 9 h (under 30d)",
]


def add(cli: Cli, call_id: str, title: str, *deadlines: str, tz: str = "Europe/Brussels") -> None:
    """Add a call through the CLI (each deadline may be 'Label=WHEN')."""
    args = ["add", call_id, "--title", title, "--tz", tz]
    for deadline in deadlines:
        args += ["--deadline", deadline]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def store(cli: Cli, store_dir: Path) -> Path:
    """The three-call store described at the top of this module."""
    add(cli, "ALPHA-1", "Alpha call", "2027-04-08 17:00")
    add(cli, "BETA-2", "Beta call", "Stage 1=2027-04-01", "Stage 2=2027-06-01")
    add(cli, "LIS-3", "Lisbon call", "2027-04-20 17:00", tz="Europe/Lisbon")
    return store_dir


def warn(cli: Cli, *args: str) -> Result:
    """Run ``clusterctl warn`` with ``args``."""
    return cli("warn", *args)


def lines(result: Result) -> list[str]:
    """The non-empty stdout lines of a run."""
    return [line for line in result.stdout.splitlines() if line]


def ledger_keys(store: Path) -> set[str]:
    """The keys of the delivered-warnings ledger (empty when it does not exist)."""
    path = store / LEDGER
    if not path.exists():
        return set()
    return set(json.loads(path.read_text(encoding="utf-8"))["sent"])


def tracked_files(store: Path) -> dict[str, bytes]:
    """Every file of the store outside .state/, by relative path, with its bytes."""
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and ".state" not in p.relative_to(store).parts
    }


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    """A config file with ``text`` and ``mode``, named by CLUSTERCTL_CONFIG from now on."""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    os.environ["CLUSTERCTL_CONFIG"] = str(path)  # restored by the autouse monkeypatch
    return path


# --- silence and plain output ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_silent_when_nothing_is_due(cli: Cli, store: Path, fmt: str) -> None:
    result = warn(cli, "--at", "2027-01-01", "--format", fmt)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert not (store / LEDGER).exists()


def test_silent_on_an_empty_store(cli: Cli, store_dir: Path) -> None:
    add(cli, "ONLY-1", "Only", "2027-04-08")
    assert cli("remove", "ONLY-1", "--yes").exit_code == 0
    result = warn(cli, "--at", "2027-04-08 09:00")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_missing_store_is_an_error_not_silence(cli: Cli, tmp_path: Path) -> None:
    # cron mails only output: a mistyped store path must not look like "nothing due"
    missing = tmp_path / "no-such-store"
    result = cli("warn", "--at", AT, store=missing)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {missing}: no clusterctl store")
    assert not missing.exists()


def test_due_warnings_one_plain_line_each_soonest_first(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == "".join(line + "\n" for line in LINES_AT)
    # plain text for pipes and cron mail: no colour, no table borders
    assert "\x1b" not in result.stdout
    assert not set(result.stdout) & set("│┃─━┏┓┗┛╭╮╰╯|")


@pytest.mark.parametrize("no_color", ["flag", "env"])
def test_no_color_output_is_plain(
    cli: Cli, store: Path, no_color: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color == "env":
        monkeypatch.setenv("NO_COLOR", "1")
        result = cli("warn", "--at", AT)
    else:
        from typer.testing import CliRunner

        from clusterctl.cli import app

        result = CliRunner().invoke(app, ["--no-color", "--store", str(store), "warn", "--at", AT])
    assert result.exit_code == 0
    assert lines(result) == LINES_AT
    assert "\x1b" not in result.stdout


def test_tz_shows_deadlines_in_the_viewers_zone(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT, "--tz", "UTC", "--dry-run")
    assert [line.split("  deadline ")[1].split("  ")[0] for line in lines(result)] == [
        "2027-04-01 15:00 UTC (Stage 1)",
        "2027-04-08 15:00 UTC",
        "2027-04-20 16:00 UTC",
    ]


# --- each warning once -----------------------------------------------------------------------


def test_each_warning_is_given_once(cli: Cli, store: Path) -> None:
    assert lines(warn(cli, "--at", AT)) == LINES_AT
    again = warn(cli, "--at", AT)
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    # later, but no new threshold crossed: still nothing
    later = warn(cli, "--at", "2027-03-30 16:00")
    assert (later.exit_code, later.stdout, later.stderr) == (0, "", "")
    # the next day BETA-2 Stage 1 crosses 2d: only that
    nxt = warn(cli, "--at", "2027-03-31 09:00")
    assert lines(nxt) == [
        "BETA-2  Beta call  deadline 2027-04-01 17:00 CEST (Stage 1)  in 1 day 8 h (under 2d)"
    ]
    assert ledger_keys(store) == {
        "BETA-2|Stage 1|2027-04-01T15:00:00Z|604800",
        "BETA-2|Stage 1|2027-04-01T15:00:00Z|172800",
        "ALPHA-1||2027-04-08T15:00:00Z|1209600",
        "LIS-3||2027-04-20T16:00:00Z|2592000",
    }


def test_a_missed_day_gives_one_warning_for_the_tightest_threshold(cli: Cli, store: Path) -> None:
    # first run ever 1 day 12 h before ALPHA-1: 30d, 14d, 7d and 2d are all crossed
    result = warn(cli, "--at", "2027-04-07 05:00", "--format", "json")
    alpha = [w for w in json.loads(result.stdout) if w["id"] == "ALPHA-1"]
    assert [w["threshold"] for w in alpha] == ["2d"]
    assert {k for k in ledger_keys(store) if k.startswith("ALPHA-1")} == {
        "ALPHA-1||2027-04-08T15:00:00Z|172800"
    }
    # the 1d warning still comes, once
    later = warn(cli, "--at", "2027-04-08 09:00")
    assert lines(later) == [
        "ALPHA-1  Alpha call  deadline 2027-04-08 17:00 CEST  in 8 h (under 1d)"
    ]
    assert warn(cli, "--at", "2027-04-08 16:59").stdout == ""


def test_a_passed_deadline_gives_no_warning(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", "2027-04-08 17:00", "--format", "json")
    assert "ALPHA-1" not in {w["id"] for w in json.loads(result.stdout)}


def test_an_extension_rearms_and_says_extended(cli: Cli, store: Path) -> None:
    assert len(lines(warn(cli, "--at", "2027-04-07 12:00"))) == 2  # ALPHA-1 2d, LIS-3 14d
    assert warn(cli, "--at", "2027-04-07 12:00").stdout == ""
    extended = cli("extend", "ALPHA-1", "--to", "2027-04-10", "--at", "2027-04-07 12:00")
    assert extended.exit_code == 0, extended.stderr
    result = warn(cli, "--at", "2027-04-07 12:00")
    assert lines(result) == [
        "ALPHA-1  Alpha call  deadline 2027-04-10 17:00 CEST  in 3 days 5 h (under 7d)  EXTENDED"
    ]
    assert warn(cli, "--at", "2027-04-07 12:00").stdout == ""


# --- thresholds ---------------------------------------------------------------------------------


def test_thresholds_option(cli: Cli, store: Path) -> None:
    result = warn(cli, "--at", AT, "--thresholds", "14d,3d,12h")
    assert [(line.split()[0], line.split("(under ")[1]) for line in lines(result)] == [
        ("BETA-2", "3d)"),
        ("ALPHA-1", "14d)"),
    ]
    result = warn(cli, "--at", "2027-04-01 06:00", "--thresholds", "14d,3d,12h")
    assert lines(result) == [
        "BETA-2  Beta call  deadline 2027-04-01 17:00 CEST (Stage 1)  in 11 h (under 12h)"
    ]


@pytest.mark.parametrize("bad", ["", "0d", "3x", "14d,,3d", "-1d", "30s"])
def test_bad_thresholds_are_a_usage_error(cli: Cli, store: Path, bad: str) -> None:
    result = warn(cli, "--at", AT, "--thresholds", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: invalid thresholds")
    assert len(result.stderr.splitlines()) == 1
    assert not (store / LEDGER).exists()


def test_thresholds_from_the_config_file(cli: Cli, store: Path, tmp_path: Path) -> None:
    write_config(tmp_path, '[warn]\nthresholds = "3d"\n', mode=0o644)
    dry = warn(cli, "--at", AT, "--dry-run")
    assert [line.split()[0] for line in lines(dry)] == ["BETA-2"]
    assert "(under 3d)" in dry.stdout
    # the option wins over the file
    assert len(lines(warn(cli, "--at", AT, "--dry-run", "--thresholds", "30d"))) == 3


# --- dry run, JSON, where the ledger lives -----------------------------------------------------


def test_dry_run_prints_but_remembers_nothing(cli: Cli, store: Path) -> None:
    before = tracked_files(store)
    for _ in range(2):
        dry = warn(cli, "--at", AT, "--dry-run")
        assert (dry.exit_code, lines(dry), dry.stderr) == (0, LINES_AT, "")
    assert not (store / LEDGER).exists()
    assert lines(warn(cli, "--at", AT)) == LINES_AT
    # after a real run, a dry run knows what was delivered
    assert warn(cli, "--at", AT, "--dry-run").stdout == ""
    assert tracked_files(store) == before


def test_dry_run_with_email_sends_nothing(cli: Cli, store: Path) -> None:
    with SmtpSink() as sink:
        for key, value in sink.env().items():
            os.environ[key] = value
        result = warn(cli, "--at", AT, "--dry-run", "--email", "team@example.org")
        assert result.exit_code == 0
        assert lines(result) == LINES_AT
        assert sink.messages == []
    assert not (store / LEDGER).exists()


def test_json_format_has_stable_keys(cli: Cli, store: Path) -> None:
    cli("edit", "ALPHA-1", "--programme", "HORIZON", "--url", "https://example.eu/alpha")
    result = warn(cli, "--at", AT, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [w["id"] for w in data] == ["BETA-2", "ALPHA-1", "LIS-3"]
    assert data[1] == {
        "id": "ALPHA-1",
        "title": "Alpha call",
        "programme": "HORIZON",
        "url": "https://example.eu/alpha",
        "stage": "",
        "deadline": "2027-04-08T17:00:00+02:00",
        "deadline_utc": "2027-04-08T15:00:00Z",
        "threshold": "14d",
        "remaining_seconds": 9 * 86400 + 8 * 3600,
        "extended": False,
    }
    assert data[0]["stage"] == "Stage 1"
    assert data[2]["deadline"] == "2027-04-20T17:00:00+01:00"
    # JSON runs are deliveries too
    assert warn(cli, "--at", AT, "--format", "json").stdout == ""


def test_ledger_lives_in_state_and_call_files_are_untouched(cli: Cli, store: Path) -> None:
    before = tracked_files(store)
    assert warn(cli, "--at", AT).exit_code == 0
    assert warn(cli, "--at", "2027-04-07 12:00").exit_code == 0
    assert tracked_files(store) == before  # bytes identical, nothing added outside .state/
    assert len(ledger_keys(store)) == 5
    data = json.loads((store / LEDGER).read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["sent"]["ALPHA-1||2027-04-08T15:00:00Z|1209600"] == "2027-03-30T07:00:00Z"
    assert "/.state/" in (store / ".gitignore").read_text(encoding="utf-8")


def test_broken_ledger_is_an_error(cli: Cli, store: Path) -> None:
    (store / LEDGER).parent.mkdir(exist_ok=True)
    (store / LEDGER).write_text("{not json", encoding="utf-8")
    result = warn(cli, "--at", AT)
    assert result.exit_code == 5
    assert "unreadable warnings ledger" in result.stderr
    assert result.stdout == ""


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
    result = warn(cli, "--at", AT, "--email", "a@example.org", "-e", "b@example.net")
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
    result = warn(cli, "--at", AT, "--email", "a@example.org")
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
            run_warn(store, "--at", AT, "--email", "a@example.org", env=server.env())
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
    """Accepts messages like SmtpSink's handler, but answers DATA only after a second."""

    sink: SlowSink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sink.data_started.set()
        await asyncio.sleep(1.0)
        return await super().handle_DATA(server, session, envelope)


class SlowSink(SmtpSink):
    """An SmtpSink whose DATA reply is delayed, so that a second run overlaps the first."""

    def __init__(self) -> None:
        super().__init__()
        self.data_started = threading.Event()

    def __enter__(self) -> SlowSink:
        self.port = unused_port()
        self._controller = Controller(_SlowHandler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self


def test_overlapping_runs_deliver_each_warning_once(store: Path) -> None:
    with SlowSink() as server:
        args = ("--at", AT, "--email", "a@example.org")
        first = run_warn(store, *args, env=server.env())
        second = run_warn(store, *args, env=server.env())
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
        args = ("--at", AT, "--email", "a@example.org")
        first = run_warn(store, *args, env=server.env())
        assert server.data_started.wait(timeout=30)  # the first run is sending, lock held
        second = subprocess.run(
            [*clusterctl_exe(), "--store", str(store), "--lock-timeout", "0.2", "warn", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **server.env()},
            timeout=60,
        )
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
