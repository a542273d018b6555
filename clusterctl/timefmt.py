"""Moments and durations as people read them: '2018-03-08 17:00 CET', 'in 2 days 3 h'."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from clusterctl.zones import (
    AOE_KEY,
    MINUTE,
    get_zone,
    offset_text,
    require_aware,
    wall_text,
    zone_key,
)


def format_duration(td: timedelta) -> str:
    """The inverse of parse_duration, in days/hours/minutes: 36h -> '1d12h', 2 weeks -> '14d'."""
    if td < timedelta(0) or td % MINUTE:
        raise ValueError(f"only whole, non-negative minutes can be formatted: {td!r}")
    if not td:
        return "0m"
    days, rest = divmod(td // MINUTE, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n)


# --- display ----------------------------------------------------------------------------------


def _abbreviation(dt: datetime) -> str:
    if zone_key(dt.tzinfo) == AOE_KEY:
        return "AoE"
    name = dt.tzname()
    # Zones without an abbreviation have numeric tznames ('+03', '-0330'); fixed offsets have
    # 'UTC+03:00'.  Both are shown in one style: 'UTC+03', 'UTC+05:45'.
    if name and not re.fullmatch(r"(?:UTC)?[+-][0-9]{2}(?::?[0-9]{2})*", name):
        return name
    offset = offset_text(dt.utcoffset())
    return "UTC" + (offset[:3] if offset.endswith(":00") else offset)


def format_moment(dt: datetime, zone: str | None = None) -> str:
    """'2018-03-08 17:00 CET'; with ``zone``, shown in that (viewer's) zone instead."""
    require_aware(dt)
    if zone is not None:
        dt = dt.astimezone(get_zone(zone))
    return f"{wall_text(dt)} {_abbreviation(dt)}"


def _span(delta: timedelta) -> str:
    """Two most significant units, rounded down: '2 days 3 h', '1 h 5 min', '45 min'."""
    days, rest = divmod(delta // MINUTE, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = f"{days} day" if days == 1 else f"{days} days"
        return f"{text} {hours} h" if hours else text
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _elapsed(target: datetime, now: datetime) -> timedelta:
    require_aware(target)
    require_aware(now)
    return target.astimezone(UTC) - now.astimezone(UTC)


def format_time_left(deadline: datetime, now: datetime) -> str:
    """'in 2 days 3 h', 'in under a minute', 'closed just now', 'closed 1 day ago'."""
    delta = _elapsed(deadline, now)
    if delta > timedelta(0):
        return "in under a minute" if delta < MINUTE else f"in {_span(delta)}"
    return "closed just now" if -delta < MINUTE else f"closed {_span(-delta)} ago"


def format_relative(target: datetime, now: datetime) -> str:
    """'in 3 days', '3 days ago', 'in under a minute', 'just now'."""
    delta = _elapsed(target, now)
    if delta > timedelta(0):
        return "in under a minute" if delta < MINUTE else f"in {_span(delta)}"
    return "just now" if -delta < MINUTE else f"{_span(-delta)} ago"
