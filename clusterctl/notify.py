"""Chat notifications through Apprise: the optional extra ``clusterctl[notify]``.

Apprise knows how to reach Slack, Microsoft Teams (workflows), Matrix, ntfy, Telegram, any JSON
webhook and dozens more, and is kept up to date as those services change; clusterctl only hands
it a title and a Markdown body per channel. It is imported only by a run that notifies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import ModuleType

from clusterctl.channels import channel_key, mask_url
from clusterctl.errors import DeliveryError, UsageError

INSTALL_HINT = "chat notifications need Apprise: pip install 'clusterctl[notify]'"
#: Seconds Apprise may take per channel.
TIMEOUT = 30


class Channel:
    """One chat channel: its URL (secret), how it is shown, and its key in the ledger."""

    __slots__ = ("key", "shown", "url")

    def __init__(self, url: str) -> None:
        self.url = url
        self.shown = mask_url(url)
        try:
            self.key = channel_key(url)
        except ValueError as exc:
            raise UsageError(f"--notify {self.shown}: {exc}") from None


def apprise_module() -> ModuleType:
    """Apprise, or a one-line UsageError saying how to install it."""
    try:
        # Not at the top: Apprise loads its plugins, ~200 ms that only a notifying run pays.
        import apprise
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return apprise


def channels(urls: Sequence[str]) -> list[Channel]:
    """The channels of ``urls`` (each once), checked by Apprise: an unknown or malformed URL
    is a UsageError naming it, secrets masked."""
    if not urls:
        return []
    apprise = apprise_module()
    found: dict[str, Channel] = {}
    for url in urls:
        channel = Channel(url)
        if not apprise.Apprise().add(url):
            raise UsageError(
                f"--notify {channel.shown}: not a URL Apprise can use "
                "(see https://github.com/caronc/apprise/wiki)"
            )
        found.setdefault(channel.key, channel)
    return list(found.values())


def send(channel: Channel, title: str, body: str) -> None:
    """Deliver one message to ``channel``; DeliveryError with a one-line, masked reason."""
    apprise = apprise_module()
    client = apprise.Apprise()
    client.add(channel.url)
    with apprise.LogCapture(level=apprise.logging.WARNING, fmt="%(message)s") as log:
        result = client.notify(
            body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN, timeout=TIMEOUT
        )
    if result:
        return
    said = [line for line in log.getvalue().splitlines() if line.strip()]
    reason = _masked(said[-1] if said else "the service did not accept the message", channel)
    raise DeliveryError(f"could not notify {channel.shown}: {reason}")


def _masked(text: str, channel: Channel) -> str:
    """``text`` with every secret-looking piece of the channel's URL masked, on one line."""
    for piece in re.split(r"[/:@?&=#]+", channel.url.partition("://")[2]):
        if len(piece) >= 4 and piece not in channel.shown:
            text = text.replace(piece, "****")
    return " ".join(text.split())
