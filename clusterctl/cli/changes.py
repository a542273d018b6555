"""Commands that change calls: ``add``, ``extend``, ``edit``, ``remove``."""

from __future__ import annotations

from typing import Annotated

import typer

from clusterctl.cli.base import AtOption, IdArgument, command, context

DryRunFlag = Annotated[
    bool, typer.Option("--dry-run", "-n", help="Print what would change; write nothing.")
]


@command("add", action="clusterctl.actions.changes:add_call")
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
    extended: Annotated[
        bool,
        typer.Option(
            "--extended",
            help="The notice gives only the extended deadline ('extended until 31 March 2017'): "
            "record each --deadline as an extension from an original that is not stated.",
        ),
    ] = False,
    reason: Annotated[
        str, typer.Option("--reason", help="With --extended: why it was extended.")
    ] = "",
    source: Annotated[
        str,
        typer.Option(
            "--source", metavar="URL", help="With --extended: where the extension was announced."
        ),
    ] = "",
    replace_: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Overwrite an existing call with this id, dropping its extension history.",
        ),
    ] = False,
    dry_run: DryRunFlag = False,
    at: AtOption = None,
) -> None:
    """Add a call.

    Example: clusterctl add ESCP-S3 --title ESCP-S3 --deadline "8 March 2018, 17:00h Brussels time"
    """


@command("extend", action="clusterctl.actions.changes:extend_call")
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
        bool,
        typer.Option(
            "--allow-earlier",
            help="Accept an earlier deadline: recorded as brought forward. (A deadline typed "
            "wrong is corrected with edit --deadline.)",
        ),
    ] = False,
    dry_run: DryRunFlag = False,
    at: AtOption = None,
) -> None:
    """Record a deadline extension; the history is kept, never overwritten.

    Example: clusterctl extend COS-CLUSTPARTNS-2017-3-02 --to "15 March 2018" --reason "DG GROW"
    """


@command("edit", action="clusterctl.actions.changes:edit_call")
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
    deadline: Annotated[
        str | None,
        typer.Option(
            "--deadline",
            "-d",
            metavar="WHEN",
            help="Correct a deadline typed wrong (its original; recorded as a correction). "
            "An announced change is `extend`.",
            show_default=False,
        ),
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage",
            metavar="LABEL",
            help="With --deadline: the stage to correct (needed when there are several).",
            show_default=False,
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            metavar="ZONE",
            help="Correct the call's IANA zone, keeping every wall time (17:00 stays 17:00).",
            show_default=False,
        ),
    ] = None,
    stage_label: Annotated[
        str | None,
        typer.Option(
            "--stage-label",
            metavar="OLD=NEW",
            help="Correct a stage's label.",
            show_default=False,
        ),
    ] = None,
    dry_run: DryRunFlag = False,
    at: AtOption = None,
) -> None:
    """Change a call's details, or correct a deadline, its zone or a stage label typed wrong.

    Prints each changed field, old -> new. Corrections are kept in the history; an announced
    change of deadline is `extend`.

    Example: clusterctl edit ESCP-S3-EOI --note "lead: Anna" --add-tag ours
    """


@command("remove")
def remove_command(
    ctx: typer.Context,
    call_id: IdArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (for scripts).")] = False,
) -> str | int:
    """Remove a call and its history (asks first on a terminal).

    Example: clusterctl remove OLD-CALL-ID --yes
    """
    from clusterctl.actions.changes import remove_call  # see clusterctl.cli.base

    return remove_call(context(ctx), call_id, yes=yes, confirm=_confirm)


def _confirm(question: str) -> bool:
    return typer.confirm(question, default=False)
