"""Commands that change calls: ``add``, ``extend``, ``edit``, ``remove``."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import time
from typing import Annotated

import typer

from clusterctl.app import AtOption, IdArgument, app, context
from clusterctl.errors import UsageError


def _echo_change(message: str) -> None:
    from clusterctl.render import printable

    typer.echo(printable(message))


def check_url(url: str | None) -> str | None:
    """A URL must be http(s); anything else is most likely a mistyped option."""
    if url and not url.startswith(("http://", "https://")):
        raise UsageError(f"invalid URL {url!r}: it must start with http:// or https://")
    return url


def split_label(spec: str) -> tuple[str, str]:
    """'Stage 1=8 March 2018' -> ('Stage 1', '8 March 2018'); no '=' means no label."""
    label, sep, when = spec.partition("=")
    return (label, when) if sep else ("", spec)


def check_tag(tag: str) -> str:
    """A tag must have some text (an empty one usually comes from an unset shell variable)."""
    if not tag.strip():
        raise UsageError("a tag must not be empty")
    return tag


def check_title(title: str) -> str:
    """A title must say something."""
    if not title.strip():
        raise UsageError("the title must not be empty")
    return title


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
    from clusterctl.model import Call, make_stages, validate_id
    from clusterctl.timeparse import canonical_zone_name, format_moment, parse_moment

    app_ctx = context(ctx)
    validate_id(call_id)
    zone = canonical_zone_name(tz)
    stages = make_stages(
        [(label.strip(), parse_moment(when, zone)) for label, when in map(split_label, deadline)]
    )
    opens_at = parse_moment(opens, zone, default_time=time(0, 0)) if opens else None
    if opens_at is not None and opens_at.timestamp() >= stages[0].original.timestamp():
        raise UsageError(
            f"--opens {opens!r} is not before the first deadline "
            f"{format_moment(stages[0].original)}"
        )
    call = Call(
        id=call_id,
        title=check_title(title),
        timezone=zone,
        stages=stages,
        programme=programme,
        url=check_url(url) or "",
        tags=tuple(dict.fromkeys(check_tag(t) for t in tag or ())),
        note=note,
        opens=opens_at,
    )
    app_ctx.now(at)  # validates --at even though adding does not depend on it
    app_ctx.store().add(call, replace=replace_)
    deadlines = ", ".join(
        (f"{s.label}: " if s.label else "") + format_moment(s.original) for s in stages
    )
    _echo_change(f"Added {call.id}: deadline {deadlines}")


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
    from clusterctl.model import Call
    from clusterctl.timeparse import format_moment, parse_duration, parse_moment, shift_by

    if (to is None) == (by is None):
        raise UsageError("give exactly one of --to WHEN or --by DURATION")
    app_ctx = context(ctx)
    now = app_ctx.now(at)
    if by:
        parse_duration(by)  # reject a malformed --by before taking the lock

    def change(call: Call) -> Call:
        if by:
            view = call.target_stage(stage, now)
            new = shift_by(view.deadline, by)
            label: str | None = view.label
        else:
            new = parse_moment(to or "", call.timezone)
            label = stage
        return call.extend(
            new,
            recorded=now,
            stage=label,
            reason=reason,
            source=check_url(source) or "",
            allow_earlier=allow_earlier,
        )

    updated = app_ctx.store().update(call_id, change)
    ext = updated.extensions[-1]
    where = f" ({ext.stage})" if ext.stage else ""
    _echo_change(
        f"Extended {updated.id}{where}: {format_moment(ext.from_)} -> {format_moment(ext.to)}"
    )


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
    from clusterctl.model import Call
    from clusterctl.timeparse import parse_moment

    options = (title, programme, url, opens, note, add_tag, remove_tag)
    if all(o is None for o in options):
        raise UsageError("nothing to change: give at least one option (see --help)")
    app_ctx = context(ctx)

    def change(call: Call) -> Call:
        tags = list(call.tags)
        for t in remove_tag or ():
            if t not in tags:
                raise UsageError(f"call {call.id} has no tag {t!r}")
            tags.remove(t)
        tags.extend(check_tag(t) for t in add_tag or () if t not in tags)
        new_opens = call.opens
        if opens is not None:
            new_opens = (
                parse_moment(opens, call.timezone, default_time=time(0, 0)) if opens else None
            )
        updated = replace(
            call,
            title=check_title(title) if title is not None else call.title,
            programme=programme if programme is not None else call.programme,
            url=(check_url(url) or "") if url is not None else call.url,
            note=note if note is not None else call.note,
            opens=new_opens,
            tags=tuple(tags),
        )
        first = min(s.original.timestamp() for s in call.stages)
        if new_opens is not None and new_opens.timestamp() >= first:
            raise UsageError(f"--opens {opens!r} is not before the call's first deadline")
        return updated

    updated = app_ctx.store().update(call_id, change)
    _echo_change(f"Updated {updated.id}")


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
            typer.echo("Nothing removed.")
            raise typer.Exit(1)
    store.remove(call_id)
    _echo_change(f"Removed {call.id}")
