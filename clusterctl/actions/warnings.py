"""What ``warn`` does once its options are parsed: select due warnings, deliver, remember.

The selection is pure (``clusterctl.warn``); this module adds the store's ledger, the e-mail
digest and the output, in the order that keeps the once-only promise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta

from clusterctl import render, warn
from clusterctl.actions.context import AppContext
from clusterctl.actions.unreadable import report_unreadable
from clusterctl.errors import StoreError
from clusterctl.store import Unreadable
from clusterctl.timeparse import parse_thresholds
from clusterctl.warn import DueWarning


def warn_calls(
    app_ctx: AppContext,
    *,
    thresholds: str | None = None,
    email: Sequence[str] | None = None,
    no_email: bool = False,
    dry_run: bool = False,
    fmt: str = "text",
    at: str | None = None,
    tz: str | None = None,
) -> None:
    """Print (and e-mail) the warnings that are due and not delivered before."""
    now = app_ctx.now(at, tz)
    limits = thresholds_of(app_ctx, thresholds)
    zone = app_ctx.display_zone(tz)
    recipients = [] if no_email else list(email or app_ctx.config.warn_email)
    settings = None
    if recipients:
        # email.utils: ~15 ms, only when there are recipients
        from clusterctl.address import check_address

        recipients = [check_address(r) for r in recipients]
    if recipients and not dry_run:
        from clusterctl.mail import smtp_settings  # smtplib, ssl, email: ~20 ms, only to send

        settings = smtp_settings(app_ctx.config, os.environ)
    store = app_ctx.store()
    if not store.exists():
        # Silence means "nothing due" to cron: a mistyped store path must not look like that.
        raise StoreError(
            f"{store.root}: no clusterctl store there (check --store, $CLUSTERCTL_STORE "
            "or the config file)"
        )
    # A file that cannot be read must not silence the warnings of every other call: they go out,
    # then each such file is reported and the run exits 9 (report_unreadable).
    unreadable: list[Unreadable] = []
    summaries = store.summaries(open_at=now.timestamp(), unreadable=unreadable)
    candidates = warn.candidate_ids(summaries, limits, now)
    if dry_run:
        delivered = store.delivered_warnings()
        calls = store.get_many(candidates, unreadable=unreadable)
        due = warn.due_warnings(calls, limits, now, delivered)
        _print_warnings(due, now, zone, fmt, app_ctx)
        if due and recipients:
            render.echo(f"dry run: would e-mail {_count(due)} to {', '.join(recipients)}", err=True)
        report_unreadable(unreadable)
        return
    with store.warning_ledger() as ledger:
        calls = store.get_many(candidates, unreadable=unreadable)
        due = warn.due_warnings(calls, limits, now, ledger.sent)
        if not due:
            report_unreadable(unreadable)  # nothing recorded: the ledger need not be saved
            return
        if settings is not None:
            from clusterctl.mail import build_message, send_message  # see smtp_settings

            message = build_message(
                sender=settings.sender,
                recipients=recipients,
                subject=warn.digest_subject(due, now),
                body=warn.digest_body(due, now, [str(u) for u in unreadable]),
                now=now,
            )
            send_message(settings, message, recipients)
        _print_warnings(due, now, zone, fmt, app_ctx)
        ledger.record((w.key for w in due), now)
        if settings is not None:
            render.echo(f"e-mailed {_count(due)} to {', '.join(recipients)}", err=True)
    report_unreadable(unreadable)


def thresholds_of(app_ctx: AppContext, option: str | None) -> list[timedelta]:
    """The warning thresholds from --thresholds, else the config file, else the defaults."""
    # An explicit but empty --thresholds (e.g. from an unset shell variable) is an error,
    # not a silent fallback to the defaults.
    text = option if option is not None else app_ctx.config.warn_thresholds
    return parse_thresholds(text) if text is not None else list(warn.DEFAULT_THRESHOLDS)


def _count(due: Sequence[DueWarning]) -> str:
    return f"{len(due)} warning{'s' if len(due) != 1 else ''}"


def _print_warnings(
    due: Sequence[DueWarning], now: datetime, zone: str | None, fmt: str, app_ctx: AppContext
) -> None:
    if fmt == "json":
        if due:
            render.write_json([warn.to_json(w) for w in due], sys.stdout)
        return
    lines = render.warning_lines(due, now, zone)
    console = app_ctx.console()
    if console is None:
        sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        render.print_warnings_table(due, now, zone, console)
