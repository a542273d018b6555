"""The syntax of one plain e-mail address, checked alike in the config file and before sending.

It lives apart from ``mail`` so that the config can check addresses without importing mail
delivery, which depends on the config.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from clusterctl.errors import UsageError

# C0 controls, DEL, C1 controls (ESC and CSI start terminal escape sequences) and the Unicode
# line/paragraph separators: none of them belongs in a header.
HEADER_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A plain address: dot-atom local part, '@', dot-separated host labels (ASCII only).
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*")


def check_address(address: str) -> str:
    """Return ``address`` without surrounding spaces if it is one plain address, else UsageError.

    Accepted: exactly one ``local@domain`` (ASCII; write an international domain in its xn--
    form), no display name, no control characters, commas or angle brackets.
    """
    candidate = address.strip()
    name, parsed = parseaddr(candidate)
    if (
        HEADER_CONTROLS.search(address)
        or name
        or parsed != candidate
        or len(candidate) > 254
        or not _ADDRESS.fullmatch(candidate)
    ):
        raise UsageError(
            f"invalid e-mail address {address!r}: expected one plain address like name@example.org"
        )
    return candidate
