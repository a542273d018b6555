"""Commands that change calls: ``add``, ``extend``, ``edit``, ``remove``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from clusterctl.app import AtOption, IdArgument, app, context
from clusterctl.edits import add_call, edit_call, extend_call
from clusterctl.errors import UsageError


def _echo_change(message: str) -> None:
    from clusterctl.render import echo

    echo(message)


@app.command("add")
def add_command(
    ctx: typer.Context,
    call_id: Annotated[
        str, typer.Argument(metavar="ID", help="Topic identifier, e.g. COS-CLUSTPARTNS-2017-3-02.")
    ],
    title: Annotated[str, typer.Option("--title", help="The call's title.")],
    deadline: Annotated[
        list[str],
        typer.Option(
            "--deadline",
            "-d",
            metavar="[LABEL=]WHEN",
            help="Deadline; repeat for stages, optionally labelled 'Stage 1=8 March 2018 17:00'. "
            "A date without a time means 17:00 in the call's zone.",
        ),
    ],
    tz: Annotated[
        str, typer.Option("--tz", metavar="ZONE", help="The call's IANA time zone.")
    ] = "Europe/Brussels",
    opens: Annotated[
        str | None,
        typer.Option(
            "--opens",
            metavar="WHEN",
            help="Opening date (a bare date is 00:00).",
            show_default=False,
        ),
    ] = None,
    programme: Annotated[
        str, typer.Option("--programme", "-p", help="Programme, e.g. COSME.")
    ] = "",
    url: Annotated[str, typer.Option("--url", help="Page of the call (http or https).")] = "",
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Tag (repeatable).", show_default=False)
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Free-text note.")] = "",
    replace_: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Overwrite an existing call with this id, dropping its extension history.",
        ),
    ] = False,
    at: AtOption = None,
) -> None:
    """Add a call.

    Example: clusterctl add ESCP-S3 --title ESCP-S3 --deadline "8 March 2018, 17:00h Brussels time"
    """
    message = add_call(
        context(ctx),
        call_id,
        title=title,
        deadline=deadline,
        tz=tz,
        opens=opens,
        programme=programme,
        url=url,
        tag=tag,
        note=note,
        replace_=replace_,
        at=at,
    )
    _echo_change(message)


@app.command("extend")
def extend_command(
    ctx: typer.Context,
    call_id: IdArgument,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="WHEN",
            help="The new deadline (bare date = 17:00 in the call's zone).",
            show_default=False,
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar="DURATION",
            help="Move the deadline later by this, e.g. 14d (calendar days in the call's zone).",
            show_default=False,
        ),
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage",
            metavar="LABEL",
            help="Stage to extend (default: the next open one).",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it was extended.")] = "",
    source: Annotated[
        str, typer.Option("--source", metavar="URL", help="Where the extension was announced.")
    ] = "",
    allow_earlier: Annotated[
        bool, typer.Option("--allow-earlier", help="Accept a deadline brought forward.")
    ] = False,
    at: AtOption = None,
) -> None:
    """Record a deadline extension; the history is kept, never overwritten.

    Example: clusterctl extend ESCP-S3-EOI --to "31 March 2017" --reason "extended by DG GROW"
    """
    message = extend_call(
        context(ctx),
        call_id,
        to=to,
        by=by,
        stage=stage,
        reason=reason,
        source=source,
        allow_earlier=allow_earlier,
        at=at,
    )
    _echo_change(message)


@app.command("edit")
def edit_command(
    ctx: typer.Context,
    call_id: IdArgument,
    title: Annotated[
        str | None, typer.Option("--title", help="New title.", show_default=False)
    ] = None,
    programme: Annotated[
        str | None, typer.Option("--programme", "-p", help="New programme.", show_default=False)
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="New URL ('' clears it).", show_default=False)
    ] = None,
    opens: Annotated[
        str | None,
        typer.Option(
            "--opens", metavar="WHEN", help="New opening date ('' clears it).", show_default=False
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="New note ('' clears it).", show_default=False)
    ] = None,
    add_tag: Annotated[
        list[str] | None,
        typer.Option("--add-tag", help="Add a tag (repeatable).", show_default=False),
    ] = None,
    remove_tag: Annotated[
        list[str] | None,
        typer.Option("--remove-tag", help="Remove a tag (repeatable).", show_default=False),
    ] = None,
) -> None:
    """Change a call's details; its deadline history is never touched (use extend).

    Example: clusterctl edit ESCP-S3-EOI --note "lead: Anna" --add-tag ours
    """
    message = edit_call(
        context(ctx),
        call_id,
        title=title,
        programme=programme,
        url=url,
        opens=opens,
        note=note,
        add_tag=add_tag,
        remove_tag=remove_tag,
    )
    _echo_change(message)


@app.command("remove")
def remove_command(
    ctx: typer.Context,
    call_id: IdArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (for scripts).")] = False,
) -> None:
    """Remove a call and its history (asks first on a terminal).

    Example: clusterctl remove OLD-CALL-ID --yes
    """
    app_ctx = context(ctx)
    store = app_ctx.store()
    call = store.get(call_id)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not removing {call.id} without confirmation: add --yes")
        from clusterctl.render import printable

        if not typer.confirm(f"Remove {call.id} ({printable(call.title)})?", default=False):
            _echo_change("Nothing removed.")
            raise typer.Exit(1)
    store.remove(call_id)
    _echo_change(f"Removed {call.id}")
