"""Moving calls in and out: ``import``, ``export ics`` and ``export html``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clusterctl.cli.base import (
    AllFlag,
    AtOption,
    ClosedFlag,
    ForthcomingFlag,
    OpenFlag,
    ProgrammeOption,
    SearchOption,
    TagOption,
    WithinOption,
    command,
)

#: The page's heading unless --title says otherwise (``clusterctl.page.DEFAULT_TITLE``, which
#: is not imported here: it would load Jinja2 for every command).
PAGE_TITLE = "Funding-call deadlines"

#: Sub-command groups of this module and their help.
GROUPS = {"export": "Export calls to other tools."}


class ImportFormat(StrEnum):
    """What an import file holds (``clusterctl.importer.FORMATS``)."""

    auto = "auto"
    json = "json"
    csv = "csv"
    eu_portal = "eu-portal"


@command("import", action="clusterctl.actions.transfer:import_file")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="File to read ('-' for stdin).")],
    source: Annotated[
        ImportFormat,
        typer.Option(
            "--from",
            help="json / csv as `calls --format` writes them, or eu-portal (a saved search-API "
            "response); auto guesses from the content.",
        ),
    ] = ImportFormat.auto,
    replace_: Annotated[
        bool, typer.Option("--replace", help="json/csv: overwrite calls whose id exists.")
    ] = False,
    allow_earlier: Annotated[
        bool,
        typer.Option("--allow-earlier", help="eu-portal: accept deadlines brought forward."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Show what would change; write nothing.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="One line per call (unchanged ones too), and its changed fields.",
        ),
    ] = False,
    at: AtOption = None,
) -> None:
    """Import calls, all or nothing (eu-portal: what is safe; conflicts exit 12).

    Example: clusterctl import search-response.json --from eu-portal --dry-run
    """


@command("ics", action="clusterctl.actions.transfer:export_ics", group="export")
def export_ics_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here (atomically) instead of stdout.",
            show_default=False,
        ),
    ] = None,
    thresholds: Annotated[
        str | None,
        typer.Option(
            "--thresholds",
            metavar="LIST",
            help="Reminder alarms, e.g. 14d,3d,12h (default: the warn thresholds).",
            show_default=False,
        ),
    ] = None,
    open_: OpenFlag = False,
    closed: ClosedFlag = False,
    forthcoming: ForthcomingFlag = False,
    all_: AllFlag = False,
    within: WithinOption = None,
    programme: ProgrammeOption = None,
    tag: TagOption = None,
    search: SearchOption = None,
    at: AtOption = None,
) -> None:
    """Write an iCalendar (RFC 5545) file: one event per deadline, alarms at the thresholds.

    Example: clusterctl export ics --all -o ~/calendars/calls.ics
    """


@command("html", action="clusterctl.actions.transfer:export_html", group="export")
def export_html_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here (atomically) instead of stdout.",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str, typer.Option("--title", metavar="TEXT", help="The page's heading.")
    ] = PAGE_TITLE,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            metavar="ZONE",
            help="IANA zone of the generated-at line and the timeline, also shown beside each "
            "deadline in another zone (default: the zone most calls use).",
            show_default=False,
        ),
    ] = None,
    ics_url: Annotated[
        str | None,
        typer.Option(
            "--ics-url",
            metavar="URL",
            help="Link to this calendar (http or https) so that members can subscribe.",
            show_default=False,
        ),
    ] = None,
    open_: OpenFlag = False,
    closed: ClosedFlag = False,
    forthcoming: ForthcomingFlag = False,
    all_: AllFlag = False,
    within: WithinOption = None,
    programme: ProgrammeOption = None,
    tag: TagOption = None,
    search: SearchOption = None,
    at: AtOption = None,
) -> None:
    """Write the members' page: one self-contained HTML file with countdowns and a timeline.

    Example: clusterctl export html -o /var/www/html/calls.html --ics-url https://example.org/calls.ics
    """
