"""Reading commands: ``calls`` and ``show``."""

from __future__ import annotations

from typing import Annotated

import typer

from clusterctl.cli.base import (
    AllFlag,
    AtOption,
    ClosedFlag,
    DisplayTzOption,
    FormatOption,
    ForthcomingFlag,
    IdArgument,
    OpenFlag,
    OutputFormat,
    ProgrammeOption,
    SearchOption,
    TagOption,
    WithinOption,
    command,
)


@command("calls", action="clusterctl.actions.listing:list_calls")
def calls_command(
    ctx: typer.Context,
    open_: OpenFlag = False,
    closed: ClosedFlag = False,
    forthcoming: ForthcomingFlag = False,
    all_: AllFlag = False,
    within: WithinOption = None,
    programme: ProgrammeOption = None,
    tag: TagOption = None,
    search: SearchOption = None,
    at: AtOption = None,
    tz: DisplayTzOption = None,
    fmt: FormatOption = OutputFormat.table,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            metavar="LIST",
            help="Show these columns, in this order: id, title, programme, tags, deadline, "
            "left (time left), status, extended; e.g. --columns id,deadline,title.",
            show_default=False,
        ),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Show every column (programme and tags even on a narrow terminal)."
        ),
    ] = False,
) -> None:
    """List calls, soonest deadline first.

    On a terminal the table fits its width: the id, deadline, time left and status stay whole,
    the title takes the width left (at least 20 characters, else a line of its own), and
    programme and tags are shown when there is room. Piped output is plain columns. Columns
    empty in every row (e.g. extended) are left out unless named in --columns.

    Example: clusterctl calls --open --within 14d
    """


@command("show", action="clusterctl.actions.listing:show_call")
def show_command(
    ctx: typer.Context,
    call_id: IdArgument,
    at: AtOption = None,
    tz: DisplayTzOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table (people), json or csv.")
    ] = OutputFormat.table,
) -> None:
    """Show one call with its full deadline and extension history.

    Example: clusterctl show COS-CLUSTPARTNS-2017-3-02
    """
