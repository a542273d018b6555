"""Keeping up with the EU Funding & Tenders Portal: ``sync``."""

from __future__ import annotations

from typing import Annotated

import typer

from clusterctl.cli.base import AtOption, command


@command("sync", action="clusterctl.actions.sync:sync_portal")
def sync_command(
    ctx: typer.Context,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="NAME",
            help="Run only this saved search ([[portal.search]] in the config file).",
            show_default=False,
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            metavar="TEXT",
            help="An ad-hoc search for this text instead of the saved ones ('' for all topics).",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="LIST",
            help="With --text: open, forthcoming, closed, comma-separated [default: open,"
            "forthcoming].",
            show_default=False,
        ),
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="KEY=VALUE",
            help="With --text: a raw portal term, e.g. frameworkProgramme=43108390 (repeatable).",
            show_default=False,
        ),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            metavar="URL",
            envvar="CLUSTERCTL_PORTAL_URL",
            help="The portal's search API (else [portal] endpoint in the config file, else the "
            "EU portal's).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            min=0.01,
            help="Give up on a request after this long (else [portal] timeout, else 30).",
            show_default=False,
        ),
    ] = None,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            min=0,
            max=10,
            help="Tries again after a timeout, 429 or 5xx, waiting as the portal asks (or 1, 2, "
            "4... s).",
        ),
    ] = 3,
    allow_earlier: Annotated[
        bool, typer.Option("--allow-earlier", help="Accept deadlines brought forward.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", "-n", help="Fetch and show what would change; write nothing."),
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Show when each search ran and what it brought.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="One line per topic, unchanged ones too.")
    ] = False,
    at: AtOption = None,
) -> None:
    """Fetch the saved portal searches and record new calls and extensions (for cron).

    Silent when nothing changed (for cron, before warn). Calls it adds are tagged 'portal' and
    the search's name. Example: clusterctl sync --search clusters --dry-run
    """
