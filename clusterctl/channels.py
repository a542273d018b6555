"""Chat channels as Apprise URLs: how they are shown (secrets masked) and named in the ledger.

Pure string work, no Apprise: the config file, ``config show`` and every message use it, and
only a run that really notifies imports Apprise (``clusterctl.notify``).

A channel's ledger key is a hash of its URL without its secrets (the password and the last
token-like path segment, where Apprise URLs keep a webhook's secret, and secret query values):
renewing a token keeps the key, so nothing is sent again, while two different channels never
share one.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

MASK = "****"
_SECRET_QUERY = re.compile(r"(?i)^(token|pass|password|key|apikey|api_key|secret|signature)$")
_NAME_LIKE = re.compile(r"^(localhost|[0-9.]+|\[[0-9a-fA-F:.]+\]|[^/:]*\.[A-Za-z]{2,})(:[0-9]+)?$")


def _token_like(text: str) -> bool:
    """A path segment that looks like a credential rather than a name (a room, a topic)."""
    return len(text) >= 8 and bool(re.search(r"[0-9]", text)) and bool(re.search(r"[A-Za-z]", text))


class _Url:
    """The pieces of an Apprise URL, split by hand: its "host" and "port" are often tokens."""

    def __init__(self, url: str) -> None:
        scheme, sep, rest = url.strip().partition("://")
        if not sep or not scheme:
            raise ValueError("not a channel URL (scheme://...)")
        self.scheme = scheme
        netloc, _, tail = rest.partition("/")
        tail, _, self.fragment = tail.partition("#")
        path, _, query = tail.partition("?")
        userinfo, _, self.host = netloc.rpartition("@")
        self.user, _, self.password = userinfo.partition(":")
        self.segments = [s for s in path.split("/") if s]
        self.query = parse_qsl(query)


def _shown(text: str) -> str:
    return text[0] + "…" if _token_like(text) else text


def mask_url(url: str) -> str:
    """``url`` fit to show: password and tokens masked (``slack://T…/B…/****``)."""
    try:
        parts = _Url(url)
    except ValueError:
        return MASK
    host = parts.host if _NAME_LIKE.match(parts.host) else _shown(parts.host)
    userinfo = (
        f"{parts.user}:{MASK}@" if parts.password else (f"{parts.user}@" if parts.user else "")
    )
    shown = [_shown(s) for s in parts.segments]
    if parts.segments and _token_like(parts.segments[-1]):
        shown[-1] = MASK
    text = f"{parts.scheme}://{userinfo}{host}" + ("/" + "/".join(shown) if shown else "")
    if parts.query:
        text += "?" + "&".join(
            f"{k}={MASK if _SECRET_QUERY.match(k) else v}" for k, v in parts.query
        )
    return text + (f"#{_shown(parts.fragment)}" if parts.fragment else "")


def channel_key(url: str) -> str:
    """A stable name for the channel in the ledger: its URL without secrets, hashed."""
    # Not at the top: hashlib loads OpenSSL, ~3 ms that only a run that notifies needs.
    import hashlib

    parts = _Url(url)
    segments = parts.segments
    if segments and _token_like(segments[-1]):
        segments = segments[:-1]
    kept = sorted((k, v) for k, v in parts.query if not _SECRET_QUERY.match(k))
    identity = f"{parts.scheme}://{parts.user}@{parts.host}/{'/'.join(segments)}?{kept}"
    identity += f"#{parts.fragment}"
    return "notify:" + hashlib.sha256(identity.encode()).hexdigest()[:16]
