"""The one way a command reports the call files it could not read.

Commands that read many calls (``calls``, ``warn``, ``export ics``) read leniently: they process
every call they can read and collect the others as ``store.Unreadable`` records. Once a command
has written its output, it hands them to :func:`report_unreadable`: one ``warning:`` line each on
stderr, then the UnreadableCallsError that ``cli.handler.guarded`` turns into the final
``error:`` line and exit code 9. So one bad file never silences the others, and is never dropped
without a word either: cron mails the warnings, and scripts see the exit code.
"""

from __future__ import annotations

from collections.abc import Sequence

from clusterctl.errors import UnreadableCallsError
from clusterctl.render import echo
from clusterctl.store import Unreadable


def report_unreadable(unreadable: Sequence[Unreadable]) -> None:
    """Warn about each file of ``unreadable`` on stderr, then fail with exit code 9 if any."""
    if not unreadable:
        return
    for item in unreadable:
        echo(f"warning: {item}", err=True)
    n = len(unreadable)
    raise UnreadableCallsError(
        f"{n} call file{'s' if n != 1 else ''} could not be read; the other calls were read"
    )
