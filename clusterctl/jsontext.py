"""The JSON text of a listing (``calls --format json``) from per-call templates.

A call's JSON (``codec.call_to_json``) depends on "now" in three keys only: ``status``,
``deadline`` and ``deadline_label``. A template holds the rest as text, cut where those go, with
what fills them: the call's summary and the ISO text of each stage's deadline. The store keeps
templates across runs (``Store.derive``), so an export parses no file that did not change.
``listing_text(templates, now)`` is exactly ``json.dumps([call_to_json(c, now) ...], indent=2,
ensure_ascii=False)``.
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any

from clusterctl import prettyjson
from clusterctl.codec import call_to_json
from clusterctl.model import Call
from clusterctl.summary import CallSummary
from clusterctl.timeparse import to_iso

#: What the store remembers templates as (``Store.derive``): bump it when their text changes.
KIND = "json1"

#: The keys of a call's JSON that depend on "now", in their order in it.
HOLES = ("status", "deadline", "deadline_label")

#: (summary row, text pieces around the holes, ISO deadline of each stage)
Template = tuple[tuple[Any, ...], tuple[str, ...], tuple[str, ...]]


def call_template(call: Call) -> Template:
    """The template of ``call`` (StoreError as ``call_to_json`` for data JSON cannot hold)."""
    views = call.stage_views()
    record = call_to_json(call, views[0].deadline)  # any moment: its holes are cut out
    pieces = prettyjson.template(record, HOLES, "  ")
    return tuple(call.summary()), tuple(pieces), tuple(to_iso(v.deadline) for v in views)


def fill(template: Template, now: float) -> str:
    """The JSON text of the call of ``template`` at ``now`` (a POSIX time), as a list item."""
    row, pieces, isos = template
    summary = CallSummary._make(row)
    stage = summary.relevant_deadline(now)
    values = (str(summary.status(now)), isos[summary.stages.index(stage)], stage[0])
    parts = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        parts.append(encode_basestring(value))
        parts.append(piece)
    return "".join(parts)


def listing_text(templates: list[Template], now: float) -> str:
    """The JSON array of the calls of ``templates`` at ``now`` (no trailing newline)."""
    if not templates:
        return "[]"
    return "[\n  " + ",\n  ".join(fill(t, now) for t in templates) + "\n]"
