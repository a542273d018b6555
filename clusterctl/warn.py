"""Which deadline warnings are due: pure logic from calls, thresholds, now and a ledger.

A warning is identified by (call, stage, deadline instant, threshold). Putting the deadline
instant in the key means an extension re-arms every threshold for the new deadline. A
correction does not, unless it moved the deadline later: the key then keeps the stage's label
and deadline as they were (``StageView.warn_key``), so a warning delivered before is not sent
again for a deadline that was only typed wrong.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from clusterctl.errors import UsageError
from clusterctl.history import Kind
from clusterctl.model import Call, CallSummary
from clusterctl.records import NamedTuple
from clusterctl.timefmt import format_duration, format_moment, format_time_left
from clusterctl.timeparse import utc_stamp

DEFAULT_THRESHOLDS: tuple[timedelta, ...] = (
    timedelta(days=30),
    timedelta(days=14),
    timedelta(days=7),
    timedelta(days=2),
    timedelta(days=1),
)


def check_thresholds(thresholds: Iterable[timedelta]) -> tuple[timedelta, ...]:
    """The distinct thresholds, largest first; raise UsageError for one that is not positive."""
    result = set()
    for t in thresholds:
        if t <= timedelta(0):
            raise UsageError(f"warning threshold {t} must be positive")
        result.add(t)
    return tuple(sorted(result, reverse=True))


def one_line(text: str) -> str:
    """``text`` with every line break (CR, LF, U+2028...) replaced by a space."""
    return " ".join(text.splitlines()) if text else ""


class DueWarning(NamedTuple):
    """One warning to send: a stage's deadline has come within ``threshold`` of now."""

    call_id: str
    title: str
    programme: str
    url: str
    stage: str
    deadline: datetime
    threshold: timedelta
    remaining: timedelta
    extended: bool
    #: (stage label, deadline) the key names, when not ``stage`` and ``deadline`` (corrections).
    anchor: tuple[str, datetime] | None = None

    @property
    def key(self) -> str:
        """Stable ledger key: call, stage, deadline instant (UTC) and threshold in seconds."""
        seconds = int(self.threshold.total_seconds())
        stage, deadline = self.anchor or (self.stage, self.deadline)
        return f"{self.call_id}|{stage}|{utc_stamp(deadline)}|{seconds}"


def candidate_ids(
    summaries: Iterable[CallSummary], thresholds: Sequence[timedelta], now: datetime
) -> list[str]:
    """Ids of the calls with a deadline inside the widest threshold: only those can warn, so
    only those need to be read in full."""
    now_ts = now.timestamp()
    horizon = now_ts + max(thresholds).total_seconds()
    # Most calls have one stage: read it directly, not through any() (at 100,000 calls 0.02 s,
    # not 0.05 s, of every warn run).
    return [
        s.id
        for s in summaries
        if (
            now_ts < s.stages[0][1] <= horizon
            if len(s.stages) == 1
            else any(now_ts < d <= horizon for _, d, _ in s.stages)
        )
    ]


#: Bump when ``warn_facts`` changes what it gives: the remembered facts of another kind are
#: never used (``Store.derive`` keys them by this name, and by the program's version and the
#: time zone data, ``store/zonetag.py``).
FACTS_KIND = "warn-facts-1"


def warn_facts(call: Call) -> tuple:
    """What ``due_warnings`` needs of ``call``, in plain values the store can remember per file
    (``Store.derive``), so that a warn run parses only the files changed since the last:
    (id, title, programme, url, zone, ((label, deadline, extended, anchor), ...)) with each
    moment an ISO text keeping its offset, and anchor None or (label, moment)."""
    stages = []
    for view in call.stage_views():
        anchor = view.warn_key
        stages.append(
            (
                view.label,
                view.deadline.isoformat(),
                view.extended,
                None if anchor is None else (anchor[0], anchor[1].isoformat()),
            )
        )
    return (call.id, call.title, call.programme, call.url, call.timezone, tuple(stages))


def due_warnings(
    calls: Iterable[Call],
    thresholds: Sequence[timedelta],
    now: datetime,
    delivered: Container[str],
) -> list[DueWarning]:
    """``due_from_facts`` for the calls themselves."""
    return due_from_facts([warn_facts(call) for call in calls], thresholds, now, delivered)


def due_from_facts(
    facts: Iterable[tuple],
    thresholds: Sequence[timedelta],
    now: datetime,
    delivered: Container[str],
) -> list[DueWarning]:
    """Warnings due at ``now`` for calls given by ``warn_facts``: per stage ahead of now, the
    tightest threshold crossed, once.

    A stage whose deadline is exactly ``now`` is closed and gets none. A warning whose key is
    in ``delivered`` is left out. Sorted soonest deadline first, then call id, then stage.
    """
    tights = check_thresholds(thresholds)
    now_utc = now.astimezone(UTC)
    found: list[DueWarning] = []
    for call_id, title, programme, url, timezone, stages in facts:
        zone = ZoneInfo(timezone)
        for label, deadline_text, extended, anchor in stages:
            deadline = datetime.fromisoformat(deadline_text)
            # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall times.
            remaining = deadline.astimezone(UTC) - now_utc
            if remaining <= timedelta(0):
                continue
            crossed = [t for t in tights if remaining <= t]
            if not crossed:
                continue
            warning = DueWarning(
                call_id=call_id,
                title=title,
                programme=programme,
                url=url,
                stage=label,
                deadline=deadline.astimezone(zone),
                threshold=min(crossed),
                remaining=remaining,
                extended=extended,
                anchor=None if anchor is None else (anchor[0], datetime.fromisoformat(anchor[1])),
            )
            if warning.key not in delivered:
                found.append(warning)
    found.sort(key=lambda w: (w.deadline.astimezone(UTC), w.call_id, w.stage))
    return found


def to_json(w: DueWarning) -> dict:
    """A JSON-ready dict with stable keys for ``clusterctl warn --json``."""
    return {
        "id": w.call_id,
        "title": w.title,
        "programme": w.programme,
        "url": w.url,
        "stage": w.stage,
        "deadline": w.deadline.isoformat(timespec="seconds"),
        "deadline_utc": utc_stamp(w.deadline),
        "threshold": format_duration(w.threshold),
        "remaining_seconds": int(w.remaining.total_seconds()),
        "extended": w.extended,
    }


def _nearest(warnings: Sequence[DueWarning]) -> DueWarning:
    return min(warnings, key=lambda w: (w.deadline.astimezone(UTC), w.call_id, w.stage))


def digest_subject(
    warnings: Sequence[DueWarning], now: datetime, changes: Sequence[str] = ()
) -> str:
    """One-line mail subject naming the count and the nearest deadline (or the changes)."""

    if not warnings:
        if changes:
            n = len(changes)
            return f"clusterctl: {n} {'change' if n == 1 else 'changes'} since the last digest"
        return "clusterctl: no deadlines due"
    n = len(warnings)
    noun = "deadline" if n == 1 else "deadlines"
    w = _nearest(warnings)
    return (
        f"clusterctl: {n} {noun} due, nearest {w.call_id} on {format_moment(w.deadline)} "
        f"({format_time_left(w.deadline, now)})"
    )


def digest_body(
    warnings: Sequence[DueWarning],
    now: datetime,
    changes: Sequence[str] = (),
    unreadable: Sequence[str] = (),
) -> str:
    """Plain-text mail body: one block per warning, the changes, a 'Could not read' block naming
    each call file in ``unreadable`` ('FILE: REASON') if any, then a 'Sent by' line.

    User text (title, stage, programme, url, and file names and reasons) is flattened to one
    line so that every warning keeps its block shape whatever the text contains.
    """

    n = len(warnings)
    lines = [f"{n} {'deadline' if n == 1 else 'deadlines'} due:", ""] if warnings else []
    for w in warnings:
        lines.append(f"{w.call_id}: {one_line(w.title)}")
        if w.stage:
            lines.append(f"  Stage:     {one_line(w.stage)}")
        if w.programme:
            lines.append(f"  Programme: {one_line(w.programme)}")
        marker = "  EXTENDED" if w.extended else ""
        lines.append(f"  Deadline:  {format_moment(w.deadline)}{marker}")
        lines.append(
            f"  Time left: {format_time_left(w.deadline, now)} "
            f"(warning at {format_duration(w.threshold)})"
        )
        if w.url:
            lines.append(f"  URL:       {one_line(w.url)}")
        lines.append("")
    if changes:
        lines += [CHANGES_HEADING, "", *(f"  {line}" for line in changes), ""]
    if unreadable:
        # The people who get the mail must learn of it too, not only whoever reads cron's mail.
        n = len(unreadable)
        lines.append(
            f"Could not read {n} call file{'s' if n != 1 else ''}; any deadlines they hold are "
            "missing above (run clusterctl check):"
        )
        lines.extend(f"  {one_line(item)}" for item in unreadable)
        lines.append("")
    lines.append(f"Sent by clusterctl warn at {now.isoformat(timespec='seconds')}")
    return "\n".join(lines) + "\n"


# What can start emphasis, code, a link or HTML inside a line (user text never starts a line
# here, so list and heading markers need no escape, and dates stay readable where the service
# shows Markdown as plain text).
CHANGES_HEADING = "Changed since the last digest:"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(text: str) -> str:
    """User text made inert in Markdown: one line, the inline special characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def digest_markdown(
    warnings: Sequence[DueWarning],
    now: datetime,
    changes: Sequence[str] = (),
    unreadable: Sequence[str] = (),
) -> str:
    """The digest for chat (Markdown; Apprise converts it for services that want another
    format): one item per warning with its deadline in the call's zone, the time left and the
    threshold."""
    n = len(warnings)
    lines = [f"**{n} {'deadline' if n == 1 else 'deadlines'} due**", ""] if warnings else []
    for w in warnings:
        lines.append(f"- **{_md(w.call_id)}**: {_md(w.title)}")
        details = [
            f"deadline {format_moment(w.deadline)}",
            format_time_left(w.deadline, now),
            f"warning at {format_duration(w.threshold)}",
        ]
        if w.extended:
            details.append("**EXTENDED**")
        if w.stage:
            details.insert(0, f"stage {_md(w.stage)}")
        lines.append("  " + ", ".join(details))
        if w.programme:
            lines.append(f"  programme {_md(w.programme)}")
        if w.url.startswith(("http://", "https://")):
            lines.append(f"  <{w.url}>")
    if changes:
        lines += ["", f"**{CHANGES_HEADING}**", "", *(f"- {_md(line)}" for line in changes)]
    if unreadable:
        n = len(unreadable)
        lines += [
            "",
            f"**Could not read {n} call file{'s' if n != 1 else ''}** (run clusterctl check):",
        ]
        lines += [f"- {_md(item)}" for item in unreadable]
    return "\n".join(lines) + "\n"


# --- what changed since the last digest -------------------------------------------------------


def signatures(summaries: Iterable[CallSummary]) -> dict[str, str]:
    """Each call's effective deadlines in one string: what a digest remembers to spot changes."""
    # One stage formatted directly, not through a join (at 100,000 calls 0.03 s, not 0.06 s).
    return {
        s.id: (
            f"{s.stages[0][1]:.0f}"
            if len(s.stages) == 1
            else ",".join(f"{ts:.0f}" for _, ts, _ in s.stages)
        )
        for s in summaries
    }


def changed_since(
    current: Mapping[str, str], known: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(ids new since ``known`` was remembered, ids whose deadlines moved), each sorted."""
    new = sorted(i for i in current if i not in known)
    moved = sorted(i for i in current if i in known and current[i] != known[i])
    return new, moved


def describe_changes(new: Iterable[Call], moved: Iterable[Call], since: datetime) -> list[str]:
    """One line per change: new calls, extensions and deadlines brought forward (recorded after
    ``since``), and deadlines that moved without a recorded reason (a hand edit)."""
    lines = []
    for call in new:
        view = call.last_stage()
        lines.append(
            f"new {call.id}: {one_line(call.title)}, deadline {format_moment(view.deadline)}"
        )
    for call in moved:
        # The entries recorded since; if their clocks say none (an entry made with an earlier
        # --at, a git pull of an older one), the latest entry is what moved the deadline.
        since_then = [e for e in call.extensions if e.recorded >= since] or call.extensions[-1:]
        # A correction fixes what the user had typed: not news for the people who get the digest.
        recent = [e for e in since_then if e.kind is not Kind.CORRECTION]
        if since_then and not recent:
            continue
        if not recent:
            lines.append(
                f"deadline changed {call.id}: now {format_moment(call.last_stage().deadline)}"
            )
        for ext in recent:
            where = f" ({one_line(ext.stage)})" if ext.stage else ""
            why = f" ({one_line(ext.reason)})" if ext.reason else ""
            verb = "brought forward" if ext.kind is Kind.BROUGHT_FORWARD else "extended"
            was = format_moment(ext.from_) if ext.from_ is not None else "(not stated)"
            to = format_moment(ext.to) if ext.to is not None else "?"
            lines.append(f"{verb} {call.id}{where}: {was} -> {to}{why}")
    return lines
