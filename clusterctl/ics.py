"""RFC 5545 calendar export: one event per stage deadline, with reminders per threshold.

Each event has a UID stable per call and stage and a SEQUENCE equal to the number of times
that stage's deadline history changed (extended, brought forward, corrected), so
re-importing a newer export updates events instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone

from clusterctl.errors import UsageError
from clusterctl.history import Extension, Kind
from clusterctl.model import URL_CONTROL, Call, StageView
from clusterctl.timefmt import format_duration, format_moment
from clusterctl.warn import check_thresholds
from clusterctl.zones import AOE_KEY

# C0 controls (but TAB and LF) and DEL are not allowed in iCalendar TEXT values.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value: str) -> str:
    """User text made valid for a TEXT property: CRLF/CR become LF, other controls go."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _uri(url: str) -> str:
    """``url`` made safe for a URI property: control characters %-escaped as UTF-8.

    ``add`` and ``import`` refuse such URLs, but a hand-edited file may still hold one; escaped,
    it can neither end the line nor break the export of the other calls.
    """
    return URL_CONTROL.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), url)


def _slug(label: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def _digest(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:8]


def event_uids(call: Call) -> dict[str, str]:
    """The UID of each stage's event, by stage label: ``<id>--<stage slug>@clusterctl``.

    The slug is of the stage's first label: a corrected label keeps the event it had. The
    unlabelled stage is ``deadline``. A label whose slug is empty or shared with another
    stage of the call gets a short hash of the label appended, so UIDs stay distinct.
    """
    origins = {v.label: v.origin for v in call.stage_views()}
    slugs = {label: (_slug(origin) if origin else "deadline") for label, origin in origins.items()}
    counts: dict[str, int] = {}
    for slug in slugs.values():
        counts[slug] = counts.get(slug, 0) + 1
    uids: dict[str, str] = {}
    for label, slug in slugs.items():
        if not slug or counts[slug] > 1:
            origin = origins[label]
            slug = f"{slug}-{_digest(origin)}" if slug else f"stage-{_digest(origin)}"
        uids[label] = f"{call.id}--{slug}@clusterctl"
    return uids


def _local(dt: datetime) -> datetime:
    """``dt`` if its wall time names it unambiguously, else the same instant in UTC.

    A TZID wall time in a DST fold means its first occurrence, and one in a gap means
    nothing sure; such a deadline is written as a UTC time instead.
    """
    naive = dt.replace(tzinfo=None)
    first = dt.replace(fold=0)
    back = first.astimezone(UTC).astimezone(dt.tzinfo).replace(tzinfo=None)
    if first.astimezone(UTC) == dt.astimezone(UTC) and back == naive:
        return dt
    return dt.astimezone(UTC)


def _description(call: Call, view: StageView) -> str:
    zone = ZoneInfo(call.timezone)

    def when(dt: datetime) -> str:
        return format_moment(dt.astimezone(zone))

    lines = []
    if call.programme:
        lines.append(f"Programme: {call.programme}")
    if view.label:
        lines.append(f"Stage: {view.label}")
    deadline = when(view.deadline)
    if view.aoe:
        deadline += f" ({format_moment(view.deadline, AOE_KEY)})"
    lines.append(f"Deadline: {deadline}")
    if view.moved:
        original = "not stated" if view.original is None else when(view.original)
        lines.append(f"Original deadline: {original}")
    for index in sorted({*view.entries, *_zone_corrections(call)}):
        lines.append(_entry_line(call.extensions[index], when))
    if call.url:
        lines.append(f"URL: {_uri(call.url)}")
    return "\n".join(lines)


def _zone_corrections(call: Call) -> list[int]:
    """Indices of the corrections of the call's zone: they concern every stage."""
    return [n for n, e in enumerate(call.extensions) if e.corrects == "timezone"]


def _entry_line(ext: Extension, when: Callable[[datetime], str]) -> str:
    """One history entry in an event's description (extended, brought forward, corrected)."""
    recorded = f"(recorded {format_moment(ext.recorded.astimezone(UTC))})"
    if ext.corrects == "timezone":
        line = f"Time zone corrected from {ext.old} to {ext.new}, wall times kept {recorded}"
    elif ext.corrects == "label":
        line = f"Stage label corrected from {ext.old!r} to {ext.new!r} {recorded}"
    else:
        after = "?" if ext.to is None else when(ext.to)
        verb = {
            Kind.EXTENSION: "Extended",
            Kind.BROUGHT_FORWARD: "Brought forward",
            Kind.CORRECTION: "Corrected",
        }[ext.kind]
        if ext.from_ is None:
            line = f"{verb} (original not stated) to {after} {recorded}"
        else:
            line = f"{verb} from {when(ext.from_)} to {after} {recorded}"
    if ext.reason:
        line += f": {ext.reason}"
    if ext.source:
        line += f" [source: {ext.source}]"
    return line


def calendar_bytes(
    calls: Sequence[Call],
    *,
    thresholds: Sequence[timedelta],
    now: datetime,
    prodid: str = "-//clusterctl//EN",
) -> bytes:
    """An iCalendar file with one zero-length event per stage deadline of ``calls``.

    Deadlines keep their call's zone (TZID plus a VTIMEZONE per zone; UTC ones are written
    with 'Z'). Each event carries one DISPLAY alarm per threshold before the deadline.
    DTSTAMP is ``now`` in UTC.
    """
    alarms = check_thresholds(thresholds)
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    stamp = now.astimezone(UTC)
    instants: list[datetime] = []
    for call in calls:
        zone = ZoneInfo(call.timezone)
        uids = event_uids(call)
        for view in call.stage_views():
            start = _local(view.deadline.astimezone(zone))
            instants.append(start)
            title = f"Deadline: {call.id} {call.title}"
            if view.label:
                title += f" – {view.label}"
            event = Event()
            event.add("uid", uids[view.label])
            event.add("dtstamp", stamp)
            # No DTEND/DURATION: RFC 5545 3.6.1 makes such an event end at its DTSTART, while
            # DTEND equal to DTSTART is not allowed (3.8.2.2 wants it later).
            event.add("dtstart", start)
            # Every entry about the stage changed its event (and a zone correction, all of them).
            event.add("sequence", len({*view.entries, *_zone_corrections(call)}))
            event.add("summary", _text(title))
            event.add("description", _text(_description(call, view)))
            if call.url:
                event.add("url", _uri(call.url))
            if call.tags:
                event.add("categories", [_text(t) for t in call.tags])
            event.add("status", "CONFIRMED")
            # A deadline is a moment, not a meeting: it must not make the user look busy.
            event.add("transp", "TRANSPARENT")
            for threshold in alarms:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add(
                    "description",
                    _text(f"{format_duration(threshold)} to deadline: {call.id} {call.title}"),
                )
                alarm.add("trigger", -threshold)
                event.add_component(alarm)
            cal.add_component(event)
    if instants:
        # VTIMEZONEs need only cover the deadlines; a year's margin each side is plenty.
        days = [i.date().toordinal() for i in instants]
        first = date.fromordinal(max(1, min(days) - 366))
        last = date.fromordinal(min(date.max.toordinal(), max(days) + 366))
        for position, tzid in enumerate(sorted(cal.get_used_tzids())):
            try:
                tz = Timezone.from_tzid(tzid, first_date=first, last_date=last)
            except ValueError as exc:
                raise UsageError(f"time zone {tzid!r} cannot be written to iCalendar") from exc
            cal.subcomponents.insert(position, tz)
    return cal.to_ical()
