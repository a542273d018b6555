"""What ``add``, ``extend``, ``edit`` and ``remove`` do once their options are parsed.

Each function takes the run's AppContext and the command's values (keyword names are the Typer
parameter names) and returns the confirmation to print (``edit``: a line per changed field).
With ``dry_run`` they print the same and write nothing. Nothing here imports the
command-line framework, so both routes (``clusterctl.cli``) run the very same code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time

from clusterctl.actions.context import AppContext
from clusterctl.diff import change_lines
from clusterctl.errors import ConflictError, UsageError
from clusterctl.fileread import exists
from clusterctl.model import (
    Call,
    Extension,
    Kind,
    Stage,
    StageView,
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
from clusterctl.timeparse import names_aoe, parse_duration, parse_moment, shift_by
from clusterctl.zones import AOE_KEY, canonical_zone_name, place_for_abbreviation


def split_label(spec: str) -> tuple[str, str]:
    """'Stage 1=8 March 2018' -> ('Stage 1', '8 March 2018'); no '=' means no label.

    An empty label ('=8 March 2018') is refused: a label was meant and went missing.
    """
    label, sep, when = spec.partition("=")
    if not sep:
        return "", spec
    if not label.strip():
        raise UsageError(
            f"--deadline {spec!r}: the label before '=' is empty; write LABEL=WHEN, or WHEN alone"
        )
    return label, when


def warn_input(message: str) -> None:
    """Say on stderr that an input is probably a mistake (it is accepted all the same)."""
    echo(f"warning: {message}", err=True)


def stored_zone(tz: str) -> str:
    """The canonical zone for ``--tz`` of a call; warn when it is an abbreviation (CET)."""
    zone = canonical_zone_name(tz)
    place = place_for_abbreviation(zone)
    if place is not None:
        warn_input(
            f"--tz {tz}: {zone} is an abbreviation, not a place, and follows no country's "
            f"rules; use a place such as {place}"
        )
    return zone


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
    extended: bool = False,
    reason: str = "",
    source: str = "",
    replace_: bool = False,
    dry_run: bool = False,
    at: str | None = None,
) -> str | None:
    """Add a call from the ``add`` options; return the confirmation line."""
    validate_id(call_id)
    check_text(
        title=title,
        deadline=deadline,
        programme=programme,
        url=url,
        tag=tag,
        note=note,
        reason=reason,
        source=source,
    )
    if (reason or source) and not extended:
        raise UsageError(
            "--reason and --source describe an extension: add --extended, or record one "
            "later with clusterctl extend"
        )
    given = [split_label(spec) for spec in deadline]
    zone = canonical_zone_name(tz)
    moments = [parse_moment(when, zone) for _, when in given]
    stages = make_stages(
        [(label.strip(), when) for (label, _), when in zip(given, moments, strict=True)],
        aoe=[names_aoe(when) for _, when in given],
    )
    first = min(s.original.timestamp() for s in stages if s.original is not None)
    opens_at = parse_moment(opens, zone, default_time=time(0, 0)) if opens else None
    if opens_at is not None and opens_at.timestamp() >= first:
        earliest = min((s for s in stages if s.original is not None), key=_instant)
        raise UsageError(
            f"--opens {opens!r} is not before the first deadline {_moment_text(earliest)}"
        )
    now = app_ctx.now(at)  # validated even when adding does not depend on it
    call = Call(
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
    if extended:
        call = _extended_from_unstated(call, now, reason, validate_url(source))
    validate_call(call)
    store = app_ctx.store()
    if dry_run:
        if not replace_ and store.find(call.id) is not None:
            raise ConflictError(f"a call with id {call.id!r} already exists")
    else:
        created = not exists(store.root)
        store.add(call, replace=replace_)
        if created:
            echo(f"Created a new store in {store.root}", err=True)
    # Said once the call is accepted: a refused one gets its one error line only.
    instants = [when.timestamp() for when in moments]
    if instants != sorted(instants):
        warn_input("the deadlines were not given in date order (they are kept in date order)")
    for view in call.stage_views():
        if view.deadline.timestamp() <= now.timestamp():
            label = f" ({view.label})" if view.label else ""
            warn_input(f"the deadline{label} {_moment_text(view)} is already past")
    stored_zone(tz)  # warns of an abbreviation
    deadlines = ", ".join(
        (f"{v.label}: " if v.label else "") + _moment_text(v) for v in call.stage_views()
    )
    if extended:
        deadlines += ", extended (original deadline not stated)"
    return _said(f"Added {call.id}: deadline {deadlines}", dry_run)


def _instant(stage: Stage) -> float:
    return stage.original.timestamp() if stage.original is not None else 0.0


def _moment_text(view: Stage | StageView) -> str:
    """A stage's deadline for a confirmation line, with AoE beside it if it was given so."""
    when = view.deadline if isinstance(view, StageView) else view.original
    assert when is not None
    text = format_moment(when)
    return f"{text} ({format_moment(when, AOE_KEY)})" if view.aoe else text


def _extended_from_unstated(call: Call, now: datetime, reason: str, source: str) -> Call:
    """``call`` whose every deadline is an extension from an original the notice did not state
    (``add --extended``: 'the deadline is extended until 31 March 2017')."""
    entries = tuple(
        Extension(
            stage=s.label,
            from_=None,
            to=s.original,
            recorded=now.astimezone(UTC),
            reason=reason,
            source=source,
            kind=Kind.EXTENSION,
            aoe=s.aoe,
        )
        for s in call.stages
    )
    stages = tuple(s.replace(original=None, aoe=False) for s in call.stages)
    return call.replace(stages=stages, extensions=entries)


def _said(line: str, dry_run: bool) -> str | None:
    """The confirmation to print; a dry run prints it itself, then says nothing was written."""
    if not dry_run:
        return line
    echo(line)
    echo("dry run: nothing was written", err=True)
    return None


def _change(
    app_ctx: AppContext, call_id: str, change: Callable[[Call], Call], dry_run: bool
) -> tuple[Call, Call]:
    """Apply ``change`` to the stored call (under the lock, unless a dry run, which writes
    nothing); return the call before and after."""
    before: list[Call] = []

    def remembered(call: Call) -> Call:
        before.append(call)
        return change(call)

    store = app_ctx.store()
    after = remembered(store.get(call_id)) if dry_run else store.update(call_id, remembered)
    return before[-1], after


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
    dry_run: bool = False,
    at: str | None = None,
) -> str | None:
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
            aoe=bool(to) and names_aoe(to or ""),
        )

    _, updated = _change(app_ctx, call_id, change, dry_run)
    ext = updated.extensions[-1]
    assert ext.from_ is not None and ext.to is not None  # extend always knows both
    verb = "Brought forward" if ext.kind is Kind.BROUGHT_FORWARD else "Extended"
    where = f" ({ext.stage})" if ext.stage else ""
    after = format_moment(ext.to)
    if ext.aoe:
        after += f" ({format_moment(ext.to, AOE_KEY)})"
    return _said(f"{verb} {updated.id}{where}: {format_moment(ext.from_)} -> {after}", dry_run)


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
    deadline: str | None = None,
    stage: str | None = None,
    tz: str | None = None,
    stage_label: str | None = None,
    dry_run: bool = False,
    at: str | None = None,
) -> str | None:
    """Change a call's details, or correct a deadline, its zone or a stage label, from the
    ``edit`` options; print the confirmation and one line per changed field."""
    options = (title, programme, url, opens, note, add_tag, remove_tag, deadline, tz, stage_label)
    if all(o is None for o in options):
        raise UsageError("nothing to change: give at least one option (see --help)")
    if stage is not None and deadline is None:
        raise UsageError("--stage names the stage whose --deadline is corrected; give --deadline")
    check_text(
        title=title,
        programme=programme,
        url=url,
        note=note,
        add_tag=add_tag,
        deadline=deadline,
        stage=stage,
        stage_label=stage_label,
    )
    zone = canonical_zone_name(tz) if tz is not None else None
    relabel = _relabelling(stage_label) if stage_label is not None else None
    now = app_ctx.now(at)

    def change(call: Call) -> Call:
        tags = list(call.tags)
        for t in remove_tag or ():
            if t not in tags:
                raise UsageError(f"call {call.id} has no tag {t!r}")
            tags.remove(t)
        tags.extend(validate_tag(t) for t in add_tag or () if t not in tags)
        updated = call.replace(
            title=validate_title(title) if title is not None else call.title,
            programme=programme if programme is not None else call.programme,
            url=validate_url(url) if url is not None else call.url,
            note=note if note is not None else call.note,
            tags=tuple(tags),
        )
        # Corrections, in this order: the zone first, so that --deadline is read in the
        # corrected one; --stage names a stage by its label before this edit.
        if zone is not None:
            updated = updated.correct_timezone(zone, recorded=now)
        if deadline is not None:
            updated = updated.correct_deadline(
                parse_moment(deadline, updated.timezone),
                recorded=now,
                stage=stage,
                aoe=names_aoe(deadline),
            )
        if relabel is not None:
            updated = updated.correct_label(*relabel, recorded=now)
        if opens is not None:
            updated = updated.replace(
                opens=parse_moment(opens, updated.timezone, default_time=time(0, 0))
                if opens
                else None,
            )
        first = min(v.first.timestamp() for v in updated.stage_views())
        if updated.opens is not None and updated.opens.timestamp() >= first:
            if opens:
                raise UsageError(f"--opens {opens!r} is not before the call's first deadline")
            raise UsageError(
                f"call {call.id} opens {format_moment(updated.opens)}, which would not be "
                "before its first deadline; correct --opens too"
            )
        return validate_call(updated)

    before, after = _change(app_ctx, call_id, change, dry_run)
    if tz is not None:
        stored_zone(tz)  # warns of an abbreviation, once the correction is accepted
    lines = change_lines(before, after)
    if not lines:
        return _said(f"Unchanged {after.id}: it already has every value given", dry_run)
    echo(f"Updated {after.id}")
    for line in lines[:-1]:
        echo(f"  {line}")
    return _said(f"  {lines[-1]}", dry_run)


def _relabelling(spec: str) -> tuple[str, str]:
    """``--stage-label OLD=NEW`` as (old, new)."""
    old, sep, new = spec.partition("=")
    if not sep:
        raise UsageError(f"--stage-label {spec!r}: write OLD=NEW, e.g. 'Stage 1=Full proposal'")
    if not new.strip():
        raise UsageError(f"--stage-label {spec!r}: a stage label must not be empty")
    return old, new.strip()


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
