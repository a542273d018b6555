"""Every limit on what a call may hold, in one place.

Every input path (``add``, ``extend``, ``edit``, JSON, CSV and portal import, a hand-edited call
file) and every read and write of the store enforce the same limits: nothing is written that a
read would then refuse, and a call that was accepted never vanishes from a listing.
``limit_problem`` applies them to a call; ``timeparse.check_year_range`` to text as it is
read; the store refuses to write a file larger than it would read.
"""

from __future__ import annotations

from clusterctl.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime

    from clusterctl.model import Call

#: Years a moment of a call (a deadline, an extension, ``opens``) may fall in. Far outside,
#: Python's datetime overflows when a deadline is moved or converted (year 9999 + 1 day).
#: Years before 1970 are inside: their POSIX time stamps are negative, and nothing may assume
#: that a time stamp is positive.
YEAR_RANGE = (1900, 2999)

#: The largest call file a read accepts, so the largest one a write may produce.
MAX_CALL_FILE_BYTES = 1 << 20

#: The longest text of each field, in characters. ``label`` is a deadline's (stage's) label,
#: ``tag`` each tag; ``reason`` and ``source`` are an extension's.
MAX_CHARS = {
    "title": 1_000,
    "programme": 1_000,
    "url": 2_000,
    "note": 65_536,
    "tag": 1_000,
    "label": 1_000,
    "reason": 65_536,
    "source": 2_000,
}


def limit_problem(call: Call) -> str | None:
    """What of ``call`` is beyond the limits of clusterctl/limits.py (a text too long, a moment
    outside the supported years), or None. Every input path and every read of a call file checks
    this, and the store again before it writes: a call is never written that cannot be read."""
    # The usual call is within them: told without naming each field (with a name made for every
    # text and moment this took a call of the benchmark store 3.3 us, now 1.4 us); what is over
    # is then named by the full pass.
    return None if _within_limits(call) else _first_problem(call)


def _within_limits(call: Call) -> bool:
    """True if every text and moment ``_first_problem`` looks at is within its limit."""
    chars = MAX_CHARS
    if (
        len(call.title) > chars["title"]
        or len(call.programme) > chars["programme"]
        or len(call.url) > chars["url"]
        or len(call.note) > chars["note"]
    ):
        return False
    tag, label, reason, source = chars["tag"], chars["label"], chars["reason"], chars["source"]
    if any(len(text) > tag for text in call.tags):
        return False
    low, high = YEAR_RANGE
    for stage in call.stages:
        if len(stage.label) > label:
            return False
        if stage.original is not None and not low <= stage.original.year <= high:
            return False
    if call.opens is not None and not low <= call.opens.year <= high:
        return False
    for ext in call.extensions:
        if (
            len(ext.stage) > label
            or len(ext.reason) > reason
            or len(ext.source) > source
            or len(ext.old) > label
            or len(ext.new) > label
        ):
            return False
        for moment in (ext.from_, ext.to, ext.recorded):
            if moment is not None and not low <= moment.year <= high:
                return False
    return True


def _first_problem(call: Call) -> str | None:
    """``limit_problem``, each text and moment named as it is looked at."""
    texts: list[tuple[str, str, str]] = [
        ("title", "title", call.title),
        ("programme", "programme", call.programme),
        ("url", "url", call.url),
        ("note", "note", call.note),
    ]
    texts += [(f"tag {n}", "tag", tag) for n, tag in enumerate(call.tags, start=1)]
    texts += [(f"label of deadline {n}", "label", s.label) for n, s in enumerate(call.stages, 1)]
    for n, ext in enumerate(call.extensions, start=1):
        texts += [
            (f"stage of extension {n}", "label", ext.stage),
            (f"reason of extension {n}", "reason", ext.reason),
            (f"source of extension {n}", "source", ext.source),
            (f"old value of correction {n}", "label", ext.old),
            (f"new value of correction {n}", "label", ext.new),
        ]
    for what, key, text in texts:
        if len(text) > MAX_CHARS[key]:
            return f"{what} too long ({len(text)} characters; at most {MAX_CHARS[key]})"
    moments: list[tuple[str, datetime | None]] = [("opens", call.opens)]
    moments += [(f"deadline {n}", s.original) for n, s in enumerate(call.stages, start=1)]
    for n, ext in enumerate(call.extensions, start=1):
        moments += [
            (f"extension {n} from", ext.from_),
            (f"extension {n} to", ext.to),
            (f"extension {n} recorded", ext.recorded),
        ]
    low, high = YEAR_RANGE
    for what, moment in moments:
        if moment is not None and not low <= moment.year <= high:
            return f"{what} {moment.isoformat()} is outside the supported years {low}-{high}"
    return None


def check_limits(call: Call) -> Call:
    """Return ``call`` if it is within the limits, else raise UsageError naming it and the field."""
    problem = limit_problem(call)
    if problem:
        raise UsageError(f"call {call.id}: {problem}")
    return call
