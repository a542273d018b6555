"""The members' page: one self-contained HTML5 file with countdowns, a timeline and filters.

``render_page`` is pure: calls and ``now`` in, the document out, the same bytes for the same
input. Everything the page needs is inline (style, script, SVG), so it works opened from disk
and on any static host; its Content-Security-Policy allows exactly that style and that script,
by hash. Without JavaScript the page is complete as of ``now``; the script only keeps the
countdowns live, adds the reader's local time and offers the tag and programme filters.

Jinja2 is imported here, and this module only by ``export html``: other commands never load it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from urllib.parse import urlsplit

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from clusterctl import __version__
from clusterctl.errors import UsageError
from clusterctl.history import Kind
from clusterctl.model import Call
from clusterctl.render import SOON, URGENT, urgency
from clusterctl.summary import Status, sort_key
from clusterctl.timefmt import format_moment, format_relative, format_time_left
from clusterctl.timeparse import to_iso, utc_stamp
from clusterctl.zones import DEFAULT_ZONE, get_zone

DEFAULT_TITLE = "Funding-call deadlines"
#: The timeline starts this many months before the current one and shows this many months.
MONTHS_BEFORE = 1
MONTHS_SHOWN = 7
#: A call whose opening is not recorded is drawn from this long before today (or its deadline).
UNKNOWN_OPENING = timedelta(weeks=4)
#: Timeline geometry in pixels: the first bar's top and the height of one row.
_FIRST_BAR = 44
_ROW = 36
_BAR = 10

#: The timeline's legend, in this order, for the kinds of bar drawn ('approx': dashed).
_LEGEND = (
    ("urgent", f"closes within {URGENT.days} days"),
    ("soon", f"closes within {SOON.days} days"),
    ("open", "open"),
    ("forthcoming", "forthcoming"),
    ("closed", "closed"),
    ("approx", "opening date not recorded"),
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Controls other than tab and line breaks are not allowed in HTML text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# No whitespace or controls anywhere: browsers drop tabs and newlines inside URLs, which is how
# 'java\tscript:' sneaks past a naive prefix check.
_WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f-\x9f]+", re.IGNORECASE)


def safe_href(url: str) -> str | None:
    """``url`` if it is an absolute http(s) address with a host, else None (never a link)."""
    url = url.strip()
    if not _WEB_URL.fullmatch(url):
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:  # a malformed port or IPv6 literal
        return None
    return url if host else None


def check_ics_url(url: str) -> str:
    """The address of the calendar to subscribe to, if it is an http(s) one (UsageError if not)."""
    href = safe_href(url)
    if href is None:
        raise UsageError(f"--ics-url must be an http(s) address, not {url!r}")
    return href


def csp_source(text: str) -> str:
    """The CSP source expression that allows exactly this inline script or style."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _resource(name: str) -> str:
    return (files("clusterctl") / "templates" / name).read_text(encoding="utf-8")


# --- one call -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageItem:
    label: str
    when: str  # in the call's zone
    also: str  # in the page's --tz zone, when that differs
    original: str  # the deadline before extensions, if extended
    iso: str  # for <time datetime>
    utc: str  # the instant the script counts down to
    left: str  # as of generation
    urgency: str


@dataclass(frozen=True)
class ExtensionItem:
    verb: str  # "Extended", "Brought forward", "Corrected"
    stage: str
    from_: str
    to: str
    reason: str
    source: str
    source_href: str | None
    recorded: str


@dataclass(frozen=True)
class CallItem:
    id: str
    title: str
    href: str | None
    url_text: str  # an address shown as text because it is not a web link
    programme: str
    tags: tuple[str, ...]
    tags_json: str
    status: str
    zone: str
    opens: str
    opens_iso: str
    opens_utc: str
    closes_utc: str
    stages: tuple[StageItem, ...]
    extensions: tuple[ExtensionItem, ...]
    note: str


_VERBS = {Kind.BROUGHT_FORWARD: "Brought forward", Kind.CORRECTION: "Corrected"}


def _call_item(call: Call, now: datetime, display_zone: str | None) -> CallItem:
    status = call.status(now)
    other_zone = display_zone is not None and get_zone(display_zone).key != call.timezone
    stages = []
    for view in call.stage_views():
        remaining = view.deadline.timestamp() - now.timestamp()
        stages.append(
            StageItem(
                label=_clean(view.label) or "Deadline",
                when=format_moment(view.deadline, call.timezone),
                also=f"= {format_moment(view.deadline, display_zone)}" if other_zone else "",
                original=(
                    format_moment(view.original, call.timezone)
                    if view.extended and view.original is not None
                    else ""
                ),
                iso=to_iso(view.deadline),
                utc=utc_stamp(view.deadline),
                left=format_time_left(view.deadline, now),
                urgency=urgency(remaining),
            )
        )
    extensions = tuple(
        ExtensionItem(
            verb=_VERBS.get(ext.kind, "Extended"),
            stage=_clean(ext.stage),
            from_=(
                format_moment(ext.from_, call.timezone)
                if ext.from_ is not None
                else _clean(ext.old) or "a deadline not stated"
            ),
            to=format_moment(ext.to, call.timezone) if ext.to is not None else _clean(ext.new),
            reason=_clean(ext.reason),
            source=_clean(ext.source),
            source_href=safe_href(ext.source),
            recorded=format_moment(ext.recorded, call.timezone),
        )
        for ext in call.extensions
    )
    opens = ""
    if call.opens is not None:
        opens = format_moment(call.opens, call.timezone)
        if status is Status.FORTHCOMING:
            opens += f" ({format_relative(call.opens, now)})"
    href = safe_href(call.url)
    tags = tuple(_clean(t) for t in call.tags)
    return CallItem(
        id=call.id,
        title=_clean(call.title),
        href=href,
        url_text="" if href else _clean(call.url),
        programme=_clean(call.programme),
        tags=tags,
        tags_json=json.dumps(list(tags), ensure_ascii=False),
        status=str(status),
        zone=call.timezone,
        opens=opens,
        opens_iso=to_iso(call.opens) if call.opens else "",
        opens_utc=utc_stamp(call.opens) if call.opens else "",
        closes_utc=utc_stamp(call.last_stage().deadline),
        stages=tuple(stages),
        extensions=extensions,
        note=_clean(call.note),
    )


# --- the timeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    title: str  # the tooltip
    css: str  # status, and urgency for an open call
    y: int
    x0: str
    width: str
    label_x: str
    anchor: str
    when: str
    approx: bool  # the opening is not recorded
    stages: tuple[str, ...]  # x of each deadline inside the window


@dataclass(frozen=True)
class Timeline:
    span: str
    desc: str
    caption: str
    legend: tuple[tuple[str, str], ...]
    ticks: tuple[tuple[str, str], ...]  # (x, month label)
    rows: tuple[Row, ...]
    plot_bottom: int
    height: int
    today_x: str
    today_anchor: str
    today: str


def _month_start(moment: datetime, offset: int) -> datetime:
    """Midnight on the first of the month ``offset`` months from ``moment``'s, in its zone."""
    year, month = divmod(moment.year * 12 + moment.month - 1 + offset, 12)
    return datetime(year, month + 1, 1, tzinfo=moment.tzinfo)


def _day_month(moment: datetime, this_year: int) -> str:
    text = f"{moment.day} {_MONTHS[moment.month - 1]}"
    return text if moment.year == this_year else f"{text} {moment.year}"


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _timeline(calls: Sequence[Call], now: datetime, zone: str) -> Timeline:
    """Bars from opening to last deadline, placed in percent of the width so that the text keeps
    its size on any screen; months from one before today's to ``MONTHS_SHOWN`` later."""
    local_now = now.astimezone(get_zone(zone))
    months = [_month_start(local_now, n - MONTHS_BEFORE) for n in range(MONTHS_SHOWN + 1)]
    t0, t1 = months[0].timestamp(), months[-1].timestamp()

    def x(ts: float) -> float:
        return min(max((ts - t0) / (t1 - t0) * 100, 0.0), 100.0)

    now_ts = now.timestamp()
    rows: list[Row] = []
    descriptions: list[str] = []
    outside = 0
    for call in calls:
        views = call.stage_views()
        first = min(v.deadline.timestamp() for v in views)
        last = max(v.deadline.timestamp() for v in views)
        if call.opens is not None:
            begin = call.opens.timestamp()
        else:
            begin = min(now_ts, first) - UNKNOWN_OPENING.total_seconds()
        if last < t0 or begin > t1:
            outside += 1
            continue
        status = call.status(now)
        view = call.relevant_stage(now)
        level = urgency(view.deadline.timestamp() - now_ts) if status is Status.OPEN else ""
        x0, x1 = x(begin), x(last)
        when = _day_month(view.deadline, local_now.year) + (" →" if last > t1 else "")
        rows.append(
            Row(
                id=call.id,
                title=f"{call.id}: {_clean(call.title)}",
                css=f"{status} {level}".strip(),
                y=_FIRST_BAR + len(rows) * _ROW,
                x0=_pct(x0),
                width=_pct(x1 - x0),
                label_x=_pct(x0 if x0 <= 50 else x1),
                anchor="start" if x0 <= 50 else "end",
                when=when,
                approx=call.opens is None,
                stages=tuple(
                    _pct(x(v.deadline.timestamp()))
                    for v in views
                    if t0 <= v.deadline.timestamp() <= t1
                ),
            )
        )
        deadline = format_moment(view.deadline, call.timezone)
        descriptions.append(f"{call.id}, {status}, deadline {deadline}")
    today = x(now_ts)
    plot_bottom = _FIRST_BAR + max(len(rows) - 1, 0) * _ROW + _BAR + 12
    span = f"{_MONTHS[months[0].month - 1]} {months[0].year} to "
    span += f"{_MONTHS[months[-2].month - 1]} {months[-2].year}"
    caption = f"{span}: each bar runs from a call's opening to its last deadline (the dots)."
    kinds = {kind for row in rows for kind in row.css.split()}
    kinds |= {"approx"} if any(row.approx for row in rows) else set()
    if outside:
        caption += f" {outside} call{'s' if outside > 1 else ''} outside this window not shown."
    return Timeline(
        span=span,
        desc="; ".join(descriptions) or "No call falls in this window.",
        caption=caption,
        legend=tuple(entry for entry in _LEGEND if entry[0] in kinds),
        # The year is in the caption: a month label must fit 1/7 of a phone's width.
        ticks=tuple(
            (_pct(x(m.timestamp())), str(m.year) if m.month == 1 else _MONTHS[m.month - 1])
            for m in months[:-1]
        ),
        rows=tuple(rows),
        plot_bottom=plot_bottom,
        height=plot_bottom + 22,
        today_x=_pct(today),
        today_anchor="start" if today < 15 else "end" if today > 85 else "middle",
        today=_day_month(local_now, local_now.year),
    )


# --- the page -----------------------------------------------------------------------------------


def _page_zone(calls: Sequence[Call], display_zone: str | None) -> str:
    """The zone of the page's own times: --tz, else the one most calls use, else Brussels."""
    if display_zone is not None:
        return get_zone(display_zone).key
    counts = Counter(call.timezone for call in calls)
    return min(counts, key=lambda z: (-counts[z], z)) if counts else DEFAULT_ZONE


def _choices(values: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The filter choices: every value some call has, but not one that every call has."""
    everywhere = set.intersection(*(set(v) for v in values)) if values else set()
    found = {v for own in values for v in own if v and v not in everywhere}
    return tuple(sorted(found, key=lambda v: (v.casefold(), v)))


def render_page(
    calls: Sequence[Call],
    *,
    now: datetime,
    title: str = DEFAULT_TITLE,
    display_zone: str | None = None,
    ics_url: str | None = None,
) -> str:
    """The complete HTML document for ``calls`` as seen at ``now``, soonest deadline first.

    ``display_zone``: the zone of the generated-at line and the timeline's months, also shown
    beside each deadline that is in another zone. ``ics_url``: a calendar to subscribe to; it
    must be an http(s) address (UsageError otherwise).
    """
    ics_href = check_ics_url(ics_url) if ics_url is not None else None
    zone = _page_zone(calls, display_zone)
    now_ts = now.timestamp()
    ordered = sorted(calls, key=lambda call: sort_key(call.summary(), now_ts))
    items = [_call_item(call, now, display_zone) for call in ordered]
    style, script = _resource("page.css"), _resource("page.js")
    csp = (
        f"default-src 'none'; script-src {csp_source(script)}; style-src {csp_source(style)}; "
        "base-uri 'none'; form-action 'none'"
    )
    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    template = env.from_string(_resource("page.html.j2"))
    return template.render(
        title=_clean(title).strip() or DEFAULT_TITLE,
        version=__version__,
        csp=csp,
        style=Markup(style),
        script=Markup(script),
        generated=format_moment(now, zone),
        generated_iso=to_iso(now.astimezone(get_zone(zone))),
        ics_url=ics_href,
        urgent_seconds=int(URGENT.total_seconds()),
        soon_seconds=int(SOON.total_seconds()),
        filter_tags=_choices([item.tags for item in items]),
        filter_programmes=_choices([(item.programme,) for item in items]),
        timeline=_timeline(ordered, now, zone) if ordered else None,
        calls=items,
    )
