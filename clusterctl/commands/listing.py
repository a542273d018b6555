"""Reading commands: ``calls`` and ``show``."""

from __future__ import annotations

import sys
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


def filter_options(
    open_: bool,
    closed: bool,
    forthcoming: bool,
    all_: bool,
    within: str | None,
    programme: str | None,
    tag: list[str] | None,
    search: str | None,
):
    """Build a CallFilter from the listing flags shared by ``calls`` and ``export ics``."""
    from clusterctl.query import CallFilter, status_filter
    from clusterctl.timeparse import parse_duration

    return CallFilter(
        statuses=status_filter(open_=open_, closed=closed, forthcoming=forthcoming, all_=all_),
        within=parse_duration(within) if within else None,
        programme=programme,
        tags=tuple(tag or ()),
        search=search,
    )


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
    from clusterctl import query, render
    from clusterctl.model import Status

    app_ctx = context(ctx)
    now = app_ctx.now(at, tz)
    flt = filter_options(open_, closed, forthcoming, all_, within, programme, tag, search)
    zone = app_ctx.display_zone(tz)
    store = app_ctx.store()
    now_ts = now.timestamp()
    wants_closed = Status.CLOSED in flt.statuses
    chosen = query.select(store.summaries(open_at=None if wants_closed else now_ts), flt, now_ts)
    if fmt is OutputFormat.json:
        from clusterctl.codec import call_to_json

        calls = store.get_many(s.id for s in chosen)
        render.write_json([call_to_json(c, now) for c in calls], sys.stdout)
        return
    if fmt is OutputFormat.csv:
        render.write_calls_csv(store.get_many(s.id for s in chosen), now, sys.stdout)
        return
    if not chosen:
        summaries = store.summaries()  # all of them, closed ones too, for the hint
        message = "No calls match." if summaries else f"No calls yet in {store.root}."
        hidden = query.hidden_closed(summaries, flt, now_ts)
        if hidden:
            plural = "s" if hidden != 1 else ""
            message += f" {hidden} closed call{plural} hidden; use --all or --closed to see them."
        render.echo(message)
        return
    rows = render.make_rows(chosen, now, zone)
    console = app_ctx.console()
    if console is None:
        render.print_rows_plain(rows, sys.stdout)
    else:
        render.print_rows_table(rows, console)


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
    from clusterctl import render

    app_ctx = context(ctx)
    now = app_ctx.now(at, tz)
    call = app_ctx.store().get(call_id)
    if fmt is OutputFormat.json:
        from clusterctl.codec import call_to_json

        render.write_json(call_to_json(call, now), sys.stdout)
        return
    if fmt is OutputFormat.csv:
        render.write_calls_csv([call], now, sys.stdout)
        return
    lines = render.call_detail_lines(call, now, app_ctx.display_zone(tz))
    render.print_detail(lines, app_ctx.console(), sys.stdout)
