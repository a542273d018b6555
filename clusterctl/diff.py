"""What changed between two versions of a call, as lines for people: ``title: A -> B``.

Pure. ``edit`` prints these lines after its confirmation, ``import -v`` after each call it
updated; a correction of a deadline, a zone or a stage label is one line each.
"""

from __future__ import annotations

from datetime import datetime

from clusterctl.model import Call, StageView
from clusterctl.timefmt import format_moment

#: The details a user edits and the portal may change, in the order ``show`` lists them.
DETAILS = ("title", "programme", "url", "tags", "note", "opens")


def detail_text(call: Call, name: str) -> str:
    """The value of one detail as ``show`` writes it ('-' for none)."""
    value = getattr(call, name)
    if name == "tags":
        return ", ".join(value) or "-"
    if name == "opens":
        return "-" if value is None else format_moment(value)
    return value or "-"


def changed_details(old: Call, new: Call) -> list[str]:
    """The names of the details that differ (see DETAILS)."""
    return [name for name in DETAILS if getattr(old, name) != getattr(new, name)]


def change_lines(old: Call, new: Call) -> list[str]:
    """One line per changed detail, corrected zone, stage label or original deadline.

    Text is returned as stored; the caller makes it printable.
    """
    lines = [
        f"{name}: {detail_text(old, name)} -> {detail_text(new, name)}"
        for name in changed_details(old, new)
        if name != "opens" or _wall(old.opens) != _wall(new.opens)
    ]
    if old.timezone != new.timezone:
        lines.append(f"time zone: {old.timezone} -> {new.timezone} (wall times kept)")
    for before, after in zip(old.stage_views(), new.stage_views(), strict=False):
        if before.label != after.label:
            lines.append(f"stage label: {before.label!r} -> {after.label!r}")
        if _wall(before.original) != _wall(after.original):
            lines.append(_deadline_line(before, after))
    return lines


def _deadline_line(before: StageView, after: StageView) -> str:
    name = f"deadline ({after.label})" if after.label else "deadline"
    was = "not stated" if before.original is None else format_moment(before.original)
    now = "not stated" if after.original is None else format_moment(after.original)
    if after.moved:
        # The effective deadline is the latest announcement's, which a correction leaves alone.
        return (
            f"original {name}: {was} -> {now} (corrected; the deadline stays "
            f"{format_moment(after.deadline)}, as announced)"
        )
    return f"{name}: {was} -> {now} (corrected)"


def _wall(dt: datetime | None) -> str | None:
    """Wall time only: after a zone correction, the same wall time is no change of deadline."""
    return None if dt is None else dt.replace(tzinfo=None).isoformat()
