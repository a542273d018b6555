"""Every limit on what a call may hold, in one place.

Every input path (``add``, ``extend``, ``edit``, JSON, CSV and portal import, a hand-edited call
file) and every read and write of the store enforce the same limits: nothing is written that a
read would then refuse, and a call that was accepted never vanishes from a listing.
``model.limit_problem`` applies them to a call; ``timeparse.check_year_range`` to text as it is
read; the store refuses to write a file larger than it would read.
"""

from __future__ import annotations

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
