"""The cron job: ``warn``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from clusterctl.cli.base import (
    AtOption,
    DisplayTzOption,
    ProgrammeOption,
    SearchOption,
    TagOption,
    command,
)


class WarnFormat(StrEnum):
    """Output of ``warn``."""

    text = "text"
    json = "json"


@command("warn", action="clusterctl.actions.warnings:warn_calls")
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
    notify: Annotated[
        list[str] | None,
        typer.Option(
            "--notify",
            metavar="URL",
            help="Also post the digest to this chat channel, an Apprise URL such as "
            "slack://..., workflows://... (Teams), matrix://..., ntfy://... (repeatable; default: "
            "warn.notify in the config file; needs pip install 'clusterctl[notify]').",
            show_default=False,
        ),
    ] = None,
    no_notify: Annotated[
        bool, typer.Option("--no-notify", help="Post to no chat, even if the config names some.")
    ] = False,
    tag: TagOption = None,
    programme: ProgrammeOption = None,
    search: SearchOption = None,
    print_: Annotated[
        bool,
        typer.Option(
            "--print",
            help="With --email, also print the digest (by default only what went where is said, "
            "on stderr, so that cron does not mail it a second time).",
        ),
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

    Each (call, stage, deadline, threshold) warning is delivered once to each channel (the
    output or e-mail, and every chat); a deadline extension re-arms them. --tag, --programme
    and --search (default: [warn] in the config file) keep it to the calls you follow.
    Example crontab line: 0 7 * * * clusterctl warn --email team@example.org
    """
