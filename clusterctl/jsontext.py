"""The JSON text of a listing (``calls --format json``) from per-call templates.

A call's JSON (``codec.call_to_json``) depends on "now" in three keys only: ``status``,
``deadline`` and ``deadline_label``. A template holds the rest as text, cut where those go, with
what fills them: the call's summary and the ISO text of each stage's deadline. The store keeps
templates across runs (``Store.derive``), so an export parses no file that did not change.
``listing_text(templates, now)`` is exactly ``json.dumps([call_to_json(c, now) ...], indent=2,
ensure_ascii=False)``.
"""

from __future__ import annotations

import io
from functools import cache

from clusterctl import query
from clusterctl.errors import StoreError
from clusterctl.summary import CallSummary, Status, one_stage_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import IO, Any

    from clusterctl.model import Call

#: What the store remembers templates as (``Store.derive``): bump it when their text or their
#: form changes.
KIND = "json3"  # 2: a template is one string; 3: a call JSON cannot hold has one too

#: The keys of a call's JSON that depend on "now", in their order in it.
HOLES = ("status", "deadline", "deadline_label")

#: One string: the JSON text with a NUL where each hole goes, then, after \x01 each, when the
#: call opens (repr of the POSIX time, or "") and each stage as its deadline (repr), the ISO
#: text of it and its label as JSON, apart by \x02. Neither can occur in JSON text (control
#: characters are escaped), and one string instead of tuples of them keeps 100,000 templates in
#: 100 MB instead of 150, which an export holds all at once.
Template = str

#: In place of the JSON text of a call that JSON cannot hold (a hand-edited ``nan``): this
#: mark, then why (``call_to_json``'s StoreError). A listing that selects the call fails with
#: it before it writes anything (``write_listing``); one that does not (a closed call in a
#: listing of the open ones) is not stopped by it. \x03 cannot occur in JSON text either.
UNEXPORTABLE = "\x03"


def call_template(call: Call) -> Template:
    """The template of ``call``."""
    encode_basestring, template, call_to_json, to_iso = _makers()
    views = call.stage_views()
    try:
        record = call_to_json(call, views[0].deadline)  # any moment: its holes are cut out
    except StoreError as exc:
        parts = [UNEXPORTABLE + str(exc)]
    else:
        parts = ["\x00".join(template(record, HOLES, "  "))]
    summary = call.summary()
    parts.append("" if summary.opens is None else repr(summary.opens))
    for (label, deadline, _), view in zip(summary.stages, views, strict=True):
        parts.append(f"{deadline!r}\x02{to_iso(view.deadline)}\x02{encode_basestring(label)}")
    return "\x01".join(parts)


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


def fill(template: Template, now: float) -> str:
    """The JSON text of the call of ``template`` at ``now`` (a POSIX time), as a list item."""
    text, opens, *stages = template.split("\x01")
    if len(stages) == 1:  # most calls: no summary to build (100,000 took 0.1 s less)
        deadline, iso, label = stages[0].split("\x02")
        status = one_stage_status(float(opens) if opens else None, float(deadline), now)
    else:
        status, iso, label = _standing(opens, stages, now)
    # The three HOLES filled in one f-string: 100,000 calls took 0.1 s less than with a loop.
    head, before_deadline, before_label, tail = text.split("\x00")
    status_json = _STATUS_JSON[status]
    return f'{head}{status_json}{before_deadline}"{iso}"{before_label}{label}{tail}'


def _standing(opens: str, stages: list[str], now: float) -> tuple[Status, str, str]:
    """The status, and the ISO text and JSON label of the relevant stage, of a call of several
    stages at ``now``: only what status and the relevant deadline look at."""
    fields = [stage.split("\x02") for stage in stages]
    summary = _moments("", opens, fields)
    status, stage = summary.standing(now)
    return status, fields[summary.stages.index(stage)][1], stage[0]


def _moments(call_id: str, opens: str, fields: list[list[str]]) -> CallSummary:
    """A summary of ``call_id`` that holds only its moments: its opening and each stage's
    deadline (``fields``: each stage's three fields of a template), labelled with the JSON text
    of its label. Enough for status, order and --within; nothing that needs a call's text."""
    return CallSummary(
        call_id,
        "",
        "",
        (),
        "",
        float(opens) if opens else None,
        tuple((label, float(deadline), False) for deadline, _, label in fields),
        "",
        False,
    )


def select(
    named: Iterable[tuple[str, Template]], flt: query.CallFilter, now: float
) -> list[Template]:
    """The templates of the calls (id, template) that ``flt`` selects at ``now``, in the order
    of a listing (``query.select``). ``flt`` must select by moments only (``by_moments``)."""
    if not flt.by_moments():
        raise ValueError("a template holds no text of its call to select by")
    statuses = flt.statuses
    within = None if flt.within is None else flt.within.total_seconds()
    # (next deadline, id, template) of each call with one ahead, then (-last deadline, id,
    # template) of the others: the order of query.select's sort_key, sorted as plain tuples
    # (ids are unique, so templates are never compared). Without a CallSummary and a key
    # function per call, 100,000 calls took 0.35 s instead of 0.65 s (phases.py --export);
    # with the two apart, each sorted on a float first, 0.46 s instead of 0.57 (in-process).
    ahead: list[tuple[float, str, Template]] = []
    past: list[tuple[float, str, Template]] = []
    for call_id, template in named:
        # Only the part after the JSON text: its ~900 characters are not copied.
        opens, _, stages = template[template.index("\x01") + 1 :].partition("\x01")
        if "\x01" not in stages:  # most calls: one stage
            last = float(stages[: stages.index("\x02")])
            status = one_stage_status(float(opens) if opens else None, last, now)
            upcoming = last if last > now else None
        else:
            summary = _moments(call_id, opens, [s.split("\x02") for s in stages.split("\x01")])
            status, last = summary.status(now), summary.last_deadline()[1]
            next_one = summary.next_deadline(now)
            upcoming = None if next_one is None else next_one[1]
        if status not in statuses:
            continue
        if upcoming is not None:
            if within is None or upcoming - now <= within:  # as CallFilter.matches says
                ahead.append((upcoming, call_id, template))
        elif within is None:  # --within asks for a deadline ahead
            past.append((-last, call_id, template))
    ahead.sort()
    past.sort()
    return [item[2] for item in ahead] + [item[2] for item in past]


def listing_text(templates: list[Template], now: float) -> str:
    """The JSON array of the calls of ``templates`` at ``now`` (no trailing newline)."""
    out = io.StringIO()
    write_listing(templates, now, out)
    return out.getvalue()


#: Calls written at once: the text of 100,000 (60 MB, twice over once encoded) is never held.
CHUNK = 1000


def write_listing(templates: list[Template], now: float, out: IO[str]) -> None:
    """Write ``listing_text(templates, now)`` to ``out``, a thousand calls a write; nothing,
    and StoreError, if one of them is of a call JSON cannot hold (``UNEXPORTABLE``)."""
    for template in templates:
        if template.startswith(UNEXPORTABLE):
            raise StoreError(template[1 : template.index("\x01")])
    if not templates:
        out.write("[]")
        return
    for start in range(0, len(templates), CHUNK):
        items = ",\n  ".join(fill(t, now) for t in templates[start : start + CHUNK])
        out.write(("[\n  " if start == 0 else ",\n  ") + items)
    out.write("\n]")
