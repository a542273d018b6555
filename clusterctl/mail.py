"""E-mail delivery over SMTP with the standard library (smtplib and email).

``smtp_settings`` turns the config's ``[smtp]`` values into the SmtpSettings of a delivery;
``build_message`` makes a plain-text RFC 5322 message into whose headers nothing can be
injected; ``send_message`` delivers it and turns every failure into a one-line DeliveryError.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from clusterctl.address import HEADER_CONTROLS, check_address
from clusterctl.config import Config, smtp_env_name, smtp_values
from clusterctl.errors import ConfigError, DeliveryError, UsageError

DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
# HEADER_CONTROLS minus tab and newline, for the body (carriage returns are normalised away first).
_BODY_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class SmtpSettings:
    """Everything needed to deliver mail; ``repr``/``str`` never show the password."""

    host: str
    port: int
    sender: str
    user: str | None
    password: str | None = field(repr=False)
    tls: str
    timeout: float = 30


def smtp_settings(config: Config, env: Mapping[str, str]) -> SmtpSettings:
    """Combine ``[smtp]`` with ``CLUSTERCTL_SMTP_*`` variables (which win) into SmtpSettings."""
    values = smtp_values(config, env)

    def missing(what: str, key: str) -> ConfigError:
        return ConfigError(f"no {what}: set {smtp_env_name(key)} or [smtp].{key} in {config.path}")

    host = values.get("host")
    if not isinstance(host, str):
        raise missing("SMTP host", "host")
    sender = values.get("from")
    if not isinstance(sender, str):
        raise missing("sender address", "from")
    user = values.get("user")
    password = values.get("password")
    if user is not None and password is None:
        raise missing("SMTP password for the SMTP user", "password")
    if password is not None and user is None:
        raise missing("SMTP user for the SMTP password", "user")
    port = values.get("port")
    tls = values.get("tls")
    if tls is None:
        tls = (
            {25: "none", 465: "ssl"}.get(port, "starttls") if isinstance(port, int) else "starttls"
        )
    if port is None:
        port = DEFAULT_PORTS[str(tls)]
    if user is not None and tls == "none" and not _is_loopback(host):
        raise ConfigError(
            f"refusing to send the SMTP password to {host} unencrypted: set tls to starttls or "
            f"ssl ({smtp_env_name('tls')} or [smtp].tls in {config.path})"
        )
    return SmtpSettings(
        host=host,
        port=int(port),  # type: ignore[call-overload]
        sender=sender,
        user=user,  # type: ignore[arg-type]
        password=password,  # type: ignore[arg-type]
        tls=str(tls),
    )


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def clean_subject(subject: str) -> str:
    """Return ``subject`` on one line: control characters become spaces, spaces collapse."""
    return " ".join(HEADER_CONTROLS.sub(" ", subject).split())


def clean_body(body: str) -> str:
    """Return ``body`` with ``\\n`` line ends and no control characters other than tab/newline."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    text = _BODY_CONTROLS.sub("", text)
    return text if text.endswith("\n") else text + "\n"


def build_message(
    *, sender: str, recipients: Sequence[str], subject: str, body: str, now: datetime
) -> EmailMessage:
    """Build a plain-text UTF-8 message from ``sender`` to every recipient, dated ``now``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if isinstance(recipients, str):
        raise TypeError("recipients must be a sequence of addresses, not one string")
    sender = check_address(sender)
    to = [check_address(recipient) for recipient in recipients]
    if not to:
        raise UsageError("no e-mail recipients given")
    message = EmailMessage()
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = clean_subject(subject)
    # RFC 3834: machine-generated, so vacation responders and the like stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(clean_body(body), subtype="plain", charset="utf-8")
    return message


#: How long to wait for the server's answer to QUIT: the message is accepted by then, and a
#: server slow to say goodbye must not keep the run (and its lock) for the full timeout.
QUIT_TIMEOUT = 2.0


def send_message(
    settings: SmtpSettings,
    message: EmailMessage,
    recipients: Sequence[str],
    *,
    on_accepted: Callable[[], None] | None = None,
) -> None:
    """Deliver ``message`` to ``recipients`` via the SMTP server in ``settings``.

    ``on_accepted`` runs the moment the server has accepted the message for every recipient
    (its reply to DATA), before QUIT: that is where a delivery must be recorded, so that
    nothing after it (a slow goodbye, a kill, a full disk for the output) can cause a resend.
    Raises DeliveryError with a one-line reason on any failure, including recipients the
    server refused while accepting others.
    """
    if isinstance(recipients, str):
        raise TypeError("recipients must be a sequence of addresses, not one string")
    to = [check_address(recipient) for recipient in recipients]
    if not to:
        raise UsageError("no e-mail recipients given")
    where = f"{settings.host}:{settings.port}"
    client: smtplib.SMTP | None = None
    sent = False
    try:
        context = ssl.create_default_context()
        if settings.tls == "ssl":
            client = smtplib.SMTP_SSL(timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(timeout=settings.timeout)
        # connect() separately: the constructor would leak the socket if the greeting fails.
        # TLS takes the name to verify from _host, which only the constructor sets (3.11).
        client._host = settings.host  # type: ignore[attr-defined]
        code, reply = client.connect(settings.host, settings.port)
        if code != 220:
            raise smtplib.SMTPConnectError(code, reply)
        if settings.tls == "starttls":
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        refused = client.send_message(message, from_addr=settings.sender, to_addrs=to)
        sent = True
    except (smtplib.SMTPException, OSError, UnicodeError) as exc:
        reason = _reason(exc, settings)
        raise DeliveryError(f"could not send e-mail via {where}: {reason}") from None
    finally:
        if client is not None and not sent:
            client.close()
    assert client is not None
    try:
        if not refused and on_accepted is not None:
            on_accepted()
    finally:
        _quit(client)
    if refused:
        listed = "; ".join(f"{addr} ({_reply(*answer)})" for addr, answer in refused.items())
        reason = _one_line(f"recipients refused: {listed}; the others were accepted", settings)
        raise DeliveryError(f"could not send e-mail via {where}: {reason}")


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye after success, briefly; errors are ignored: the message is accepted."""
    try:
        if client.sock is not None:
            client.sock.settimeout(QUIT_TIMEOUT)
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _one_line(text: str, settings: SmtpSettings) -> str:
    """Collapse ``text`` to one short line that cannot contain the password."""
    text = clean_subject(text)
    if settings.password:
        text = text.replace(settings.password, "********")
    return text if len(text) <= 300 else text[:297] + "..."


def _reason(exc: BaseException, settings: SmtpSettings) -> str:
    """Say in a few words why delivery failed, from the exception smtplib/ssl/socket raised."""
    # SMTPException and SSLError are OSErrors: test the specific classes first.
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        answer = _reply(exc.smtp_code, exc.smtp_error)
        reason = f"authentication as {settings.user!r} failed: {answer}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        listed = "; ".join(f"{addr} ({_reply(*answer)})" for addr, answer in exc.recipients.items())
        reason = f"all recipients refused: {listed}"
    elif isinstance(exc, smtplib.SMTPSenderRefused):
        reason = f"sender {exc.sender} refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        reason = f"server replied {_reply(exc.smtp_code, exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):
        # smtplib reports a reply that never came as a disconnection.
        reason = f"timed out after {settings.timeout:g} s waiting for the server"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        reason = f"server closed the connection ({exc})" if str(exc) else "server disconnected"
    elif isinstance(exc, smtplib.SMTPException):
        reason = str(exc) or type(exc).__name__
    elif isinstance(exc, ssl.SSLCertVerificationError):
        reason = f"TLS certificate verification failed: {exc.verify_message}"
    elif isinstance(exc, ssl.SSLError):
        reason = f"TLS error: {exc.reason or exc}"
    elif isinstance(exc, TimeoutError):
        reason = f"timed out after {settings.timeout:g} s"
    elif isinstance(exc, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(exc, socket.gaierror):
        reason = f"cannot resolve host name: {exc.strerror}"
    elif isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
    else:
        reason = f"cannot encode a value for SMTP ({type(exc).__name__})"
    return _one_line(reason, settings)
