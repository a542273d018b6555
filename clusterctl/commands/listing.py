"""Reading commands: ``calls`` and ``show``."""

from __future__ import annotations

from typing import Annotated

import typer

from clusterctl.app import (
    AtOption,
    DisplayTzOption,
    FormatOption,
    IdArgument,
    OutputFormat,
    app,
    context,
)
from clusterctl.views import list_calls, show_call

OpenFlag = Annotated[bool, typer.Option("--open", help="Only open calls.")]
ClosedFlag = Annotated[bool, typer.Option("--closed", help="Only closed calls.")]
ForthcomingFlag = Annotated[
    bool, typer.Option("--forthcoming", help="Only calls that have not opened yet.")
]
AllFlag = Annotated[
    bool, typer.Option("--all", "-a", help="Every call (default: open and forthcoming).")
]
WithinOption = Annotated[
    str | None,
    typer.Option(
        "--within",
        metavar="DURATION",
        help="Next deadline within this from now: 36h, 14d, 2w, 1d12h.",
        show_default=False,
    ),
]
ProgrammeOption = Annotated[
    str | None,
    typer.Option("--programme", "-p", help="Programme contains this text.", show_default=False),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", help="Has this tag (repeat: has all).", show_default=False),
]
SearchOption = Annotated[
    str | None,
    typer.Option(
        "--search", "-s", help="Text in id, title, programme, tags or note.", show_default=False
    ),
]


@app.command("calls")
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
) -> None:
    """List calls, soonest deadline first.

    Example: clusterctl calls --open --within 14d
    """
    list_calls(
        context(ctx),
        open_=open_,
        closed=closed,
        forthcoming=forthcoming,
        all_=all_,
        within=within,
        programme=programme,
        tag=tag,
        search=search,
        at=at,
        tz=tz,
        fmt=fmt,
    )


@app.command("show")
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
    show_call(context(ctx), call_id, at=at, tz=tz, fmt=fmt)
