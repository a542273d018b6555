"""The JSON text of a listing (``calls --format json``) from per-call templates.

A call's JSON (``codec.call_to_json``) depends on "now" in three keys only: ``status``,
``deadline`` and ``deadline_label``; of a call of one stage, in ``status`` alone. A template
holds the call's moments, then its JSON text cut where those keys' values go. The store keeps
templates across runs (``Store.derive``), so an export parses no file that did not change.
``listing_text(templates, now)`` is exactly ``json.dumps([call_to_json(c, now) ...], indent=2,
ensure_ascii=False)``.
"""

from __future__ import annotations

import io
from functools import cache
from operator import itemgetter

from clusterctl import query
from clusterctl.errors import StoreError
from clusterctl.summary import Status, status_at

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import IO, Any

    from clusterctl.model import Call

#: What the store remembers templates as (``Store.derive``): bump it when their text or their
#: form changes.
KIND = "json4"  # 2: one string; 3: a call JSON cannot hold has one too; 4: moments first

#: The keys of a call's JSON that depend on "now", in their order in it.
HOLES = ("status", "deadline", "deadline_label")

#: One string: the call's moments, \x01, then its JSON text with a NUL where each hole goes.
#: A call of one stage: its opening (repr of the POSIX time, or "") and, after \x02, its
#: deadline (repr); its text has the deadline and label filled in, and one hole, ``status``.
#: A call of several: its opening, then after \x02 each stage apart by \x04, as its deadline,
#: the ISO text of it and its label as JSON apart by \x03; its text has the three HOLES. None
#: of these characters can occur in JSON text (control characters are escaped). One string,
#: not a tuple of them, keeps 100,000 templates in 100 MB instead of 150, which an export holds
#: all at once; the moments first, so that choosing calls reads only those.
Template = str

#: In place of the JSON text of a call that JSON cannot hold (a hand-edited ``nan``): this
#: mark, then why (``call_to_json``'s StoreError). A listing that selects the call fails with
#: it before it writes anything (``write_listing``); one that does not (a closed call in a
#: listing of the open ones) is not stopped by it. \x05 cannot occur in JSON text either.
UNEXPORTABLE = "\x05"

#: A call as a listing writes it: its template, its status and the place of the stage whose
#: deadline it shows (``ONE_STAGE`` for a call of one, whose text holds it already).
Chosen = tuple[Template, Status, int]
ONE_STAGE = -1


def call_template(call: Call) -> Template:
    """The template of ``call``."""
    encode_basestring, template, call_to_json, to_iso = _makers()
    views = call.stage_views()
    summary = call.summary()
    opens = "" if summary.opens is None else repr(summary.opens)
    if len(views) == 1:
        moments = f"{opens}\x02{summary.stages[0][1]!r}"
        holes: tuple[str, ...] = ("status",)  # its one stage is the relevant one at any moment
    else:
        moments = (
            opens
            + "\x02"
            + "\x04".join(
                f"{deadline!r}\x03{to_iso(view.deadline)}\x03{encode_basestring(label)}"
                for (label, deadline, _), view in zip(summary.stages, views, strict=True)
            )
        )
        holes = HOLES
    try:
        record = call_to_json(call, views[0].deadline)  # any moment: its holes are cut out
    except StoreError as exc:
        return f"{moments}\x01{UNEXPORTABLE}{exc}"
    return f"{moments}\x01" + "\x00".join(template(record, holes, "  "))


@cache
def _makers() -> tuple[Callable[[str], str], Any, Any, Callable[[Any], str]]:
    """What making a template takes, imported on the first file changed since the last export:
    json, codec and prettyjson are 3.5 ms that an export of remembered templates never needs."""
    from json.encoder import encode_basestring  # see _makers

    from clusterctl import prettyjson  # see _makers
    from clusterctl.codec import call_to_json  # see _makers
    from clusterctl.timeparse import to_iso  # see _makers

    return encode_basestring, prettyjson.template, call_to_json, to_iso


_STATUS_JSON = {status: f'"{status.value}"' for status in Status}  # plain words, nothing to escape


def _stages(moments: str) -> list[list[str]]:
    """Each stage of a template's ``moments`` of several stages, as its three fields."""
    return [stage.split("\x03") for stage in moments.partition("\x02")[2].split("\x04")]


def _standing(moments: str, now: float) -> tuple[Status, int, float | None, float]:
    """Of the call of a template's ``moments`` at ``now``: its status, the place of the stage it
    shows (``Chosen``), its next deadline (None once past them all) and its last deadline."""
    opens, _, stages = moments.partition("\x02")
    if "\x03" not in stages:  # most calls: one stage
        last = float(stages)
        status = status_at(float(opens) if opens else None, last, now)
        return status, ONE_STAGE, (last if last > now else None), last
    return _several(opens, stages, now)


def _several(opens: str, stages: str, now: float) -> tuple[Status, int, float | None, float]:
    """``_standing`` of a call of several ``stages`` (a template's, after its opening): as its
    ``CallSummary`` says, without making one (12,000 such calls of 100,000 took 0.145 s so).
    Of stages of the same deadline, the first is the one shown, as ``CallSummary`` shows it."""
    deadlines = [float(stage[: stage.index("\x03")]) for stage in stages.split("\x04")]
    last = max(deadlines)
    ahead = [deadline for deadline in deadlines if deadline > now]
    upcoming = min(ahead) if ahead else None
    place = deadlines.index(last if upcoming is None else upcoming)
    return status_at(float(opens) if opens else None, last, now), place, upcoming, last


def select(
    named: Iterable[tuple[str, Template]], flt: query.CallFilter, now: float
) -> list[Chosen]:
    """The calls (id, template) that ``flt`` selects at ``now``, in the order of a listing
    (``query.select``). ``flt`` must select by moments only (``by_moments``)."""
    if not flt.by_moments():
        raise ValueError("a template holds no text of its call to select by")
    statuses = flt.statuses
    within = None if flt.within is None else flt.within.total_seconds()
    # (next deadline, id, chosen) of each call with one ahead, then (-last deadline, id,
    # chosen) of the others, each sorted by (deadline, id): the order of query.select's
    # sort_key. Without a CallSummary and a key function per call, 100,000 calls took 0.35 s
    # instead of 0.65 s (phases.py --export); with the two apart, 0.46 s instead of 0.57.
    ahead: list[tuple[float, str, Chosen]] = []
    past: list[tuple[float, str, Chosen]] = []
    for call_id, template in named:
        # Only the moments: the ~900 characters of JSON text after them are not copied.
        status, place, upcoming, last = _standing(template[: template.index("\x01")], now)
        if status not in statuses:
            continue
        if upcoming is not None:
            if within is None or upcoming - now <= within:  # as CallFilter.matches says
                ahead.append((upcoming, call_id, (template, status, place)))
        elif within is None:  # --within asks for a deadline ahead
            past.append((-last, call_id, (template, status, place)))
    for chosen in (ahead, past):
        # By id, then (stably) by deadline alone: two sorts on one key each took 100,000 calls
        # 0.067 s instead of 0.106 for one on (deadline, id) (16,926 distinct deadlines).
        chosen.sort(key=_ID)
        chosen.sort(key=_DEADLINE)
    return [item[2] for item in ahead] + [item[2] for item in past]


_DEADLINE, _ID = itemgetter(0), itemgetter(1)


def in_order(templates: list[Template], now: float) -> list[Chosen]:
    """``templates`` as a listing at ``now`` writes them, in their order."""
    chosen = []
    for template in templates:
        status, place, _, _ = _standing(template[: template.index("\x01")], now)
        chosen.append((template, status, place))
    return chosen


def listing_text(templates: list[Template], now: float) -> str:
    """The JSON array of the calls of ``templates`` at ``now`` (no trailing newline)."""
    out = io.StringIO()
    write_listing(in_order(templates, now), out)
    return out.getvalue()


#: Calls written at once: the text of 100,000 (60 MB, twice over once encoded) is never held.
CHUNK = 1000


def write_listing(chosen: list[Chosen], out: IO[str]) -> None:
    """Write the JSON array of the ``chosen`` calls to ``out``, a thousand calls a write;
    nothing, and StoreError, if one of them is of a call JSON cannot hold (``UNEXPORTABLE``)."""
    for template, _, _ in chosen:
        if UNEXPORTABLE in template:
            raise StoreError(template[template.index(UNEXPORTABLE) + 1 :])
    if not chosen:
        out.write("[]")
        return
    status_json = _STATUS_JSON
    for start in range(0, len(chosen), CHUNK):
        pieces = ["[\n  " if start == 0 else ",\n  "]
        add = pieces.append
        for template, status, place in chosen[start : start + CHUNK]:
            text = template.index("\x01") + 1
            if place == ONE_STAGE:
                # The pieces joined once a chunk, not each call's text made first: 100,000
                # calls took 0.10 s instead of 0.40 (in-process, median of 5).
                hole = template.index("\x00", text)
                add(template[text:hole])
                add(status_json[status])
                add(template[hole + 1 :])
            else:
                _, iso, label = _stages(template[: text - 1])[place]
                head, before_deadline, before_label, tail = template[text:].split("\x00")
                add(
                    f'{head}{status_json[status]}{before_deadline}"{iso}"{before_label}{label}{tail}'
                )
            add(",\n  ")
        pieces.pop()
        out.write("".join(pieces))
    out.write("\n]")
