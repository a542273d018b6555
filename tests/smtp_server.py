"""Real SMTP servers on 127.0.0.1 for tests (aiosmtpd), reusable by any test module.

Usage::

    from tests.smtp_server import SmtpSink

    with SmtpSink() as sink:
        send_message(sink.settings(), message, ["a@example.org"])
        mail_from, rcpt_tos, parsed = sink.messages[0]

``SmtpSink(auth=("bot", "secret"))`` requires AUTH with those credentials (over plain SMTP);
``SmtpSink(reject={"nobody@example.org"})`` refuses those recipients with 550.
``sink.env()`` gives the CLUSTERCTL_SMTP_* variables that point the CLI at the sink.
"""

from __future__ import annotations

import logging
import socket
from email import policy
from email.message import Message
from email.parser import BytesParser
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from clusterctl.mail import SmtpSettings

# aiosmtpd logs every session at INFO/WARNING; tests only care about errors.
logging.getLogger("mail.log").setLevel(logging.ERROR)


def unused_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (connecting is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    """Collects every accepted message; refuses the recipients in ``reject``."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        # Enforced here rather than with aiosmtpd's auth_required, which warns on every
        # connection when TLS is not required too.
        if self.sink.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.lower() in self.sink.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        self.sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class SmtpSink:
    """Context manager running an aiosmtpd server on 127.0.0.1 that keeps what it receives.

    ``messages`` holds ``(mail_from, rcpt_tos, message)`` per delivery, the message parsed with
    ``email.policy.default``; ``logins`` holds the user names of successful logins.
    """

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        reject: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.auth = auth
        self.reject = {address.lower() for address in reject}
        self.messages: list[tuple[str, list[str], Message]] = []
        self.logins: list[str] = []
        self._controller: Controller | None = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        assert self.auth is not None
        user, password = self.auth
        ok = (
            isinstance(data, LoginPassword)
            and data.login == user.encode()
            and data.password == password.encode()
        )
        if ok:
            self.logins.append(user)
        return AuthResult(success=ok, handled=False)

    def __enter__(self) -> SmtpSink:
        options: dict[str, object] = {}
        if self.auth is not None:
            options = {
                "authenticator": self._authenticate,
                "auth_require_tls": False,
            }
        self.port = unused_port()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **options)
        self._controller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(
        self,
        *,
        sender: str = "clusterctl@example.org",
        user: str | None = None,
        password: str | None = None,
        tls: str = "none",
        timeout: float = 5.0,
    ) -> SmtpSettings:
        """SmtpSettings pointing at this sink (user/password default to the sink's own)."""
        if self.auth is not None:
            user = self.auth[0] if user is None else user
            password = self.auth[1] if password is None else password
        return SmtpSettings(
            host=self.host,
            port=self.port,
            sender=sender,
            user=user,
            password=password,
            tls=tls,
            timeout=timeout,
        )

    def env(self, *, sender: str = "clusterctl@example.org") -> dict[str, str]:
        """CLUSTERCTL_SMTP_* environment variables pointing at this sink."""
        env = {
            "CLUSTERCTL_SMTP_HOST": self.host,
            "CLUSTERCTL_SMTP_PORT": str(self.port),
            "CLUSTERCTL_SMTP_TLS": "none",
            "CLUSTERCTL_SMTP_FROM": sender,
        }
        if self.auth is not None:
            env["CLUSTERCTL_SMTP_USER"], env["CLUSTERCTL_SMTP_PASSWORD"] = self.auth
        return env


class SilentListener:
    """Context manager: a port on 127.0.0.1 that accepts connections but never says a word.

    Connecting succeeds (the kernel queues it), so a client waits for the greeting: use it
    to test time-outs.
    """

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self._socket: socket.socket | None = None

    def __enter__(self) -> SilentListener:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((self.host, 0))
        self._socket.listen(8)
        self.port = self._socket.getsockname()[1]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
