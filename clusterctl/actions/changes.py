"""What ``add``, ``extend``, ``edit`` and ``remove`` do once their options are parsed.

Each function takes the run's AppContext and the command's values (keyword names are the Typer
parameter names) and returns the one-line confirmation to print. Nothing here imports the
command-line framework, so both routes (``clusterctl.cli``) run the very same code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import time

from clusterctl.actions.context import AppContext
from clusterctl.errors import UsageError
from clusterctl.model import (
    Call,
    is_utf8,
    make_stages,
    validate_call,
    validate_id,
    validate_tag,
    validate_title,
    validate_url,
)
from clusterctl.render import echo, printable
from clusterctl.store import TomlFileError
from clusterctl.timefmt import format_moment
from clusterctl.timeparse import parse_duration, parse_moment, shift_by
from clusterctl.zones import canonical_zone_name


def split_label(spec: str) -> tuple[str, str]:
    """'Stage 1=8 March 2018' -> ('Stage 1', '8 March 2018'); no '=' means no label."""
    label, sep, when = spec.partition("=")
    return (label, when) if sep else ("", spec)


def check_text(**options: str | Sequence[str] | None) -> None:
    """Refuse text that cannot be stored (``model.is_utf8``), naming the option it came in.

    Keyword names are option names without the dashes (``add_tag`` for --add-tag).
    """
    for name, value in options.items():
        for text in [value] if isinstance(value, str) else value or ():
            if not is_utf8(text):
                option = "--" + name.rstrip("_").replace("_", "-")
                raise UsageError(
                    f"{option}: not valid UTF-8 text (is the terminal or script in another "
                    "encoding?)"
                )


def add_call(
    app_ctx: AppContext,
    call_id: str,
    *,
    title: str,
    deadline: Sequence[str],
    tz: str = "Europe/Brussels",
    opens: str | None = None,
    programme: str = "",
    url: str = "",
    tag: Sequence[str] | None = None,
    note: str = "",
    replace_: bool = False,
    at: str | None = None,
) -> str:
    """Add a call from the ``add`` options; return the confirmation line."""
    validate_id(call_id)
    check_text(title=title, deadline=deadline, programme=programme, url=url, tag=tag, note=note)
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
    call = validate_call(
        Call(
            id=call_id,
            title=title,
            timezone=zone,
            stages=stages,
            programme=programme,
            url=url,
            tags=tuple(dict.fromkeys(tag or ())),
            note=note,
            opens=opens_at,
        )
    )
    app_ctx.now(at)  # validates --at even though adding does not depend on it
    app_ctx.store().add(call, replace=replace_)
    deadlines = ", ".join(
        (f"{s.label}: " if s.label else "") + format_moment(s.original) for s in stages
    )
    return f"Added {call.id}: deadline {deadlines}"


def extend_call(
    app_ctx: AppContext,
    call_id: str,
    *,
    to: str | None = None,
    by: str | None = None,
    stage: str | None = None,
    reason: str = "",
    source: str = "",
    allow_earlier: bool = False,
    at: str | None = None,
) -> str:
    """Record an extension from the ``extend`` options; return the confirmation line."""
    if (to is None) == (by is None):
        raise UsageError("give exactly one of --to WHEN or --by DURATION")
    check_text(stage=stage, reason=reason, source=source)
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
            source=validate_url(source),
            allow_earlier=allow_earlier,
        )

    updated = app_ctx.store().update(call_id, change)
    ext = updated.extensions[-1]
    where = f" ({ext.stage})" if ext.stage else ""
    return f"Extended {updated.id}{where}: {format_moment(ext.from_)} -> {format_moment(ext.to)}"


def edit_call(
    app_ctx: AppContext,
    call_id: str,
    *,
    title: str | None = None,
    programme: str | None = None,
    url: str | None = None,
    opens: str | None = None,
    note: str | None = None,
    add_tag: Sequence[str] | None = None,
    remove_tag: Sequence[str] | None = None,
) -> str:
    """Change a call's details from the ``edit`` options; return the confirmation line."""
    options = (title, programme, url, opens, note, add_tag, remove_tag)
    if all(o is None for o in options):
        raise UsageError("nothing to change: give at least one option (see --help)")
    check_text(title=title, programme=programme, url=url, note=note, add_tag=add_tag)

    def change(call: Call) -> Call:
        tags = list(call.tags)
        for t in remove_tag or ():
            if t not in tags:
                raise UsageError(f"call {call.id} has no tag {t!r}")
            tags.remove(t)
        tags.extend(validate_tag(t) for t in add_tag or () if t not in tags)
        new_opens = call.opens
        if opens is not None:
            new_opens = (
                parse_moment(opens, call.timezone, default_time=time(0, 0)) if opens else None
            )
        updated = replace(
            call,
            title=validate_title(title) if title is not None else call.title,
            programme=programme if programme is not None else call.programme,
            url=validate_url(url) if url is not None else call.url,
            note=note if note is not None else call.note,
            opens=new_opens,
            tags=tuple(tags),
        )
        first = min(s.original.timestamp() for s in call.stages)
        if new_opens is not None and new_opens.timestamp() >= first:
            raise UsageError(f"--opens {opens!r} is not before the call's first deadline")
        return updated

    updated = app_ctx.store().update(call_id, change)
    return f"Updated {updated.id}"


def remove_call(
    app_ctx: AppContext,
    call_id: str,
    *,
    yes: bool = False,
    confirm: Callable[[str], bool] | None = None,
) -> str | int:
    """Remove a call; without ``yes``, ask ``confirm`` (a terminal's yes/no question) first."""
    store = app_ctx.store()
    try:
        what = printable(store.get(call_id).title)
    except TomlFileError as exc:  # removing a file that cannot be read is how it gets cleaned up
        what = f"unreadable: {printable(exc.reason)}"
    if not yes:
        if confirm is None or sys.stdin is None or not sys.stdin.isatty():
            raise UsageError(f"not removing {call_id} without confirmation: add --yes")
        if not confirm(f"Remove {call_id} ({what})?"):
            echo("Nothing removed.")
            return 1
    store.remove(call_id)
    return f"Removed {call_id}"
