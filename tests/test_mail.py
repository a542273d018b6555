"""Tests for clusterctl.mail against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest

from clusterctl.errors import DeliveryError, UsageError
from clusterctl.mail import (
    SmtpSettings,
    build_message,
    check_address,
    clean_body,
    clean_subject,
    send_message,
)
from tests.smtp_server import SilentListener, SmtpSink, unused_port

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=ZoneInfo("Europe/Brussels"))
SENDER = "clusterctl@example.org"
TO = ["team@example.org", "boss@example.net"]
PASSWORD = "pw-Very$ecret-42"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def auth_sink() -> Iterator[SmtpSink]:
    with SmtpSink(auth=("bot", PASSWORD)) as server:
        yield server


def message(subject: str = "Deadlines this week", body: str = "Nothing due.\n"):
    return build_message(sender=SENDER, recipients=TO, subject=subject, body=body, now=NOW)


def body_text(parsed) -> str:
    return parsed.get_content().replace("\r\n", "\n")


# --- build_message ------------------------------------------------------------------------


def test_headers_present_and_parseable() -> None:
    msg = message()
    assert msg["From"] == SENDER
    assert [parseaddr(a.strip())[1] for a in msg["To"].split(",")] == TO
    assert msg["Subject"] == "Deadlines this week"
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.org>")
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content() == "Nothing due.\n"


def test_message_ids_are_unique() -> None:
    assert message()["Message-ID"] != message()["Message-ID"]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("plain", "plain"),
        ("a\r\nBcc: evil@x", "a Bcc: evil@x"),
        ("a\nb\rc", "a b c"),
        ("nul\x00byte", "nul byte"),
        ("\x1b[31mred\x1b[0m", "[31mred [0m"),
        ("c1\x85next\x9bline", "c1 next line"),
        ("sep\u2028and\u2029more", "sep and more"),
        ("  many \t  spaces  ", "many spaces"),
        ("Zürich – Ελλάδα", "Zürich – Ελλάδα"),
    ],
)
def test_clean_subject(subject: str, expected: str) -> None:
    assert clean_subject(subject) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("a\r\nb\rc\n", "a\nb\nc\n"),
        ("no newline", "no newline\n"),
        ("tab\tkept\n", "tab\tkept\n"),
        ("nul\x00 esc\x1b[1m bell\x07 del\x7f c1\x9b\n", "nul esc[1m bell del c1\n"),
        ("Zürich – Ελλάδα\n", "Zürich – Ελλάδα\n"),
    ],
)
def test_clean_body(body: str, expected: str) -> None:
    assert clean_body(body) == expected


@pytest.mark.parametrize(
    "address",
    [
        "",
        "nobody",
        "a@b.org, c@d.org",
        "a@b.org\r\nBcc: evil@x",
        "a@b.org\n",
        "a@b.org\x00",
        "Team <team@example.org>",
        "<team@example.org>",
        "a@@b.org",
        "a@b@c.org",
        "@b.org",
        "a@",
        "a b@c.org",
        "a@b..org",
        ".a@b.org",
        "zürich@example.org",
        "a@b.org;c@d.org",
    ],
)
def test_bad_addresses_are_usage_errors(address: str) -> None:
    with pytest.raises(UsageError) as info:
        check_address(address)
    text = str(info.value)
    assert repr(address) in text
    assert "\n" not in text and "\r" not in text


@pytest.mark.parametrize("address", ["a@b.org", "first.last+tag@sub.example.eu", "x@localhost"])
def test_good_addresses(address: str) -> None:
    assert check_address(f" {address} ") == address


def test_bad_recipient_or_sender_is_named() -> None:
    with pytest.raises(UsageError, match=re.escape("'evil@x.org, other@y.org'")):
        build_message(
            sender=SENDER, recipients=["ok@x.org", "evil@x.org, other@y.org"], subject="s",
            body="b", now=NOW,
        )  # fmt: skip
    with pytest.raises(UsageError, match="'bot'"):
        build_message(sender="bot", recipients=TO, subject="s", body="b", now=NOW)
    with pytest.raises(UsageError, match="no e-mail recipients"):
        build_message(sender=SENDER, recipients=[], subject="s", body="b", now=NOW)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_message(sender=SENDER, recipients=TO, subject="s", body="b", now=datetime(2025, 1, 1))


# --- send_message -------------------------------------------------------------------------


def test_delivery(sink: SmtpSink) -> None:
    send_message(sink.settings(sender=SENDER), message(body="Line 1\nLine 2\n"), TO)
    [(mail_from, rcpt_tos, parsed)] = sink.messages
    assert mail_from == SENDER
    assert rcpt_tos == TO
    assert parsed["From"] == SENDER
    assert [a.addr_spec for a in parsed["To"].addresses] == TO
    assert parsed["Subject"] == "Deadlines this week"
    assert parsedate_to_datetime(parsed["Date"]) == NOW
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert body_text(parsed) == "Line 1\nLine 2\n"


def test_envelope_recipients_are_the_explicit_ones(sink: SmtpSink) -> None:
    send_message(sink.settings(), message(), ["team@example.org"])
    assert sink.messages[0][1] == ["team@example.org"]


def test_injection_attempt_stays_in_subject_and_body(sink: SmtpSink) -> None:
    title = "Horizon call\r\nBcc: evil@x.org\r\n\r\nfake body"
    send_message(sink.settings(), message(subject=title, body=f"Title: {title}\n"), TO)
    [(_, rcpt_tos, parsed)] = sink.messages
    assert rcpt_tos == TO
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Horizon call Bcc: evil@x.org fake body"
    assert set(parsed.keys()) == {
        "Date", "Message-ID", "From", "To", "Subject", "Auto-Submitted", "Content-Type",
        "Content-Transfer-Encoding", "MIME-Version",
    }  # fmt: skip
    assert body_text(parsed) == "Title: Horizon call\nBcc: evil@x.org\n\nfake body\n"


def test_non_ascii_subject_and_body_survive(sink: SmtpSink) -> None:
    subject = "Zürich – Ελλάδα: 3 deadlines"
    body = "Ελλάδα — Zürich ✓\n" + "ß" * 200 + "\n"
    send_message(sink.settings(), message(subject=subject, body=body), TO)
    [(_, _, parsed)] = sink.messages
    assert parsed["Subject"] == subject
    assert body_text(parsed) == body


def test_login_succeeds(auth_sink: SmtpSink) -> None:
    send_message(auth_sink.settings(), message(), TO)
    assert auth_sink.logins == ["bot"]
    assert len(auth_sink.messages) == 1


def test_auth_rejected(auth_sink: SmtpSink) -> None:
    wrong = "wrong-Pa$$word-99"
    with pytest.raises(DeliveryError) as info:
        send_message(auth_sink.settings(password=wrong), message(), TO)
    text = str(info.value)
    assert text.startswith(f"could not send e-mail via 127.0.0.1:{auth_sink.port}: ")
    assert "authentication as 'bot' failed: 535" in text
    assert wrong not in text and PASSWORD not in text
    assert "\n" not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert auth_sink.messages == []


def test_no_login_when_server_requires_it(auth_sink: SmtpSink) -> None:
    settings = SmtpSettings(auth_sink.host, auth_sink.port, SENDER, None, None, "none")
    with pytest.raises(DeliveryError, match="530"):
        send_message(settings, message(), TO)


def test_server_down() -> None:
    port = unused_port()
    settings = SmtpSettings("127.0.0.1", port, SENDER, "bot", PASSWORD, "none", timeout=5)
    with pytest.raises(DeliveryError) as info:
        send_message(settings, message(), TO)
    assert str(info.value) == f"could not send e-mail via 127.0.0.1:{port}: connection refused"


def test_server_silent_times_out() -> None:
    with SilentListener() as listener:
        settings = SmtpSettings(listener.host, listener.port, SENDER, None, None, "none", 0.3)
        with pytest.raises(DeliveryError, match=r"timed out after 0\.3 s") as info:
            send_message(settings, message(), TO)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("tls", "reason"),
    [("starttls", "STARTTLS extension not supported"), ("ssl", "TLS error")],
)
def test_tls_against_plain_server_fails_closed(sink: SmtpSink, tls: str, reason: str) -> None:
    with pytest.raises(DeliveryError, match=reason) as info:
        send_message(sink.settings(tls=tls), message(), TO)
    assert "\n" not in str(info.value)
    assert sink.messages == []


def test_some_recipients_refused(sink: SmtpSink) -> None:
    sink.reject = {"boss@example.net"}
    with pytest.raises(DeliveryError) as info:
        send_message(sink.settings(), message(), TO)
    assert "recipients refused: boss@example.net (550" in str(info.value)
    assert [rcpt for _, rcpt, _ in sink.messages] == [["team@example.org"]]


def test_all_recipients_refused(sink: SmtpSink) -> None:
    sink.reject = set(TO)
    with pytest.raises(DeliveryError, match=re.escape("all recipients refused: team@example.org")):
        send_message(sink.settings(), message(), TO)
    assert sink.messages == []


def test_unresolvable_host() -> None:
    settings = SmtpSettings("no-such-host.invalid", 25, SENDER, None, None, "none", 5)
    with pytest.raises(DeliveryError, match=r"via no-such-host\.invalid:25: "):
        send_message(settings, message(), TO)


def test_bad_envelope_recipient_is_usage_error(sink: SmtpSink) -> None:
    with pytest.raises(UsageError, match="evil"):
        send_message(sink.settings(), message(), ["a@b.org\r\nRCPT TO:<evil@x.org>"])
    assert sink.messages == []


def test_settings_repr_hides_password() -> None:
    settings = SmtpSettings("smtp.example.org", 587, SENDER, "bot", PASSWORD, "starttls")
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
    assert "host='smtp.example.org'" in repr(settings)


def test_now_in_utc_is_fine(sink: SmtpSink) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    msg = build_message(sender=SENDER, recipients=TO, subject="s", body="b", now=now)
    send_message(sink.settings(), msg, TO)
    assert parsedate_to_datetime(sink.messages[0][2]["Date"]) == now
