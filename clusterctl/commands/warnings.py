"""The cron job: ``warn``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from clusterctl.app import AtOption, DisplayTzOption, app, context
from clusterctl.context import AppContext

if TYPE_CHECKING:
    from clusterctl.warn import DueWarning


class WarnFormat(StrEnum):
    """Output of ``warn``."""

    text = "text"
    json = "json"


@app.command("warn")
def warn_command(
    ctx: typer.Context,
    thresholds: Annotated[
        str | None,
        typer.Option(
            "--thresholds",
            metavar="LIST",
            help="Warn this long before each deadline, e.g. 14d,3d,12h "
            "(default: warn.thresholds in the config file, else 30d,14d,7d,2d,1d).",
            show_default=False,
        ),
    ] = None,
    email: Annotated[
        list[str] | None,
        typer.Option(
            "--email",
            "-e",
            metavar="ADDR",
            help="Send one digest e-mail here "
            "(repeatable; default: warn.email in the config file).",
            show_default=False,
        ),
    ] = None,
    no_email: Annotated[
        bool, typer.Option("--no-email", help="Do not e-mail, even if the config names recipients.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", "-n", help="Show what would be sent; send and remember nothing."),
    ] = False,
    fmt: Annotated[
        WarnFormat, typer.Option("--format", "-f", help="text (people, cron mail) or json.")
    ] = WarnFormat.text,
    at: AtOption = None,
    tz: DisplayTzOption = None,
) -> None:
    """Warn about deadlines crossing a threshold; silent when nothing is due (for cron).

    Each (call, stage, deadline, threshold) warning is delivered once; a deadline extension
    re-arms them. Example crontab line: 0 7 * * * clusterctl warn --email team@example.org
    """
    from clusterctl import render, warn
    from clusterctl.commands.transfer import thresholds_option

    app_ctx = context(ctx)
    now = app_ctx.now(at, tz)
    limits = thresholds_option(app_ctx, thresholds)
    zone = app_ctx.display_zone(tz)
    recipients = [] if no_email else list(email or app_ctx.config.warn_email)
    settings = None
    if recipients:
        from clusterctl.mail import check_address

        recipients = [check_address(r) for r in recipients]
    if recipients and not dry_run:
        from clusterctl.mail import smtp_settings

        settings = smtp_settings(app_ctx.config, os.environ)
    store = app_ctx.store()
    if not store.exists():
        # Silence means "nothing due" to cron: a mistyped store path must not look like that.
        from clusterctl.errors import StoreError

        raise StoreError(
            f"{store.root}: no clusterctl store there (check --store, $CLUSTERCTL_STORE "
            "or the config file)"
        )
    candidates = warn.candidate_ids(store.summaries(open_at=now.timestamp()), limits, now)
    if dry_run:
        delivered = store.delivered_warnings()
        due = warn.due_warnings(store.get_many(candidates), limits, now, delivered)
        _print_warnings(due, now, zone, fmt, app_ctx)
        if due and recipients:
            render.echo(f"dry run: would e-mail {_count(due)} to {', '.join(recipients)}", err=True)
        return
    with store.warning_ledger() as ledger:
        due = warn.due_warnings(store.get_many(candidates), limits, now, ledger.sent)
        if not due:
            return
        if settings is not None:
            from clusterctl.mail import build_message, send_message

            message = build_message(
                sender=settings.sender,
                recipients=recipients,
                subject=warn.digest_subject(due, now),
                body=warn.digest_body(due, now),
                now=now,
            )
            send_message(settings, message, recipients)
        _print_warnings(due, now, zone, fmt, app_ctx)
        ledger.record((w.key for w in due), now)
        if settings is not None:
            render.echo(f"e-mailed {_count(due)} to {', '.join(recipients)}", err=True)


def _count(due: Sequence[DueWarning]) -> str:
    return f"{len(due)} warning{'s' if len(due) != 1 else ''}"


def _print_warnings(
    due: Sequence[DueWarning],
    now: datetime,
    zone: str | None,
    fmt: WarnFormat,
    app_ctx: AppContext,
) -> None:
    from clusterctl import render, warn

    if fmt is WarnFormat.json:
        if due:
            render.write_json([warn.to_json(w) for w in due], sys.stdout)
        return
    lines = render.warning_lines(due, now, zone)
    console = app_ctx.console()
    if console is None:
        sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        render.print_warnings_table(due, now, zone, console)
