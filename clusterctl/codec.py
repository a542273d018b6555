"""Calls to and from plain records: the shape shared by the TOML store and the JSON contract.

A record is a dict of TOML/JSON-friendly values. Datetimes go out as aware fixed-offset datetimes
(wall time in the call's zone); ``json_ready`` turns them into ISO 8601 strings. Keys the program
does not know are kept in ``extra`` and written back unchanged, so hand edits survive rewrites.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time

from clusterctl.errors import StoreError, UsageError
from clusterctl.history import CORRECTS, Kind, infer_kind
from clusterctl.limits import limit_problem
from clusterctl.model import (
    Call,
    Extension,
    Stage,
    StageView,
    consistency_problems,
    is_utf8,
    validate_call,
    validate_id,
)
from clusterctl.timeparse import (
    check_year_range,
    from_storage,
    to_iso,
    to_storage,
)
from clusterctl.zones import canonical_zone_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CALL_KEYS = ("id", "title", "programme", "url", "tags", "note", "timezone", "opens")
STAGE_KEYS = ("label", "deadline", "aoe")
EXTENSION_KEYS = (
    "kind", "corrects", "stage", "from", "to", "old", "new", "reason", "source", "recorded", "aoe",
)  # fmt: skip
#: Keys that the JSON contract adds and that import ignores (they are derived, not stored).
DERIVED_KEYS = frozenset({"status", "deadline", "deadline_label", "extended", "time_left"})
DERIVED_STAGE_KEYS = frozenset({"original_deadline", "extended"})
#: The keys of a record and of a stage that are not kept as extra keys.
_RECORD_KEYS = frozenset(CALL_KEYS) | {"deadlines", "extensions"}
_STAGE_KNOWN = frozenset(STAGE_KEYS) | DERIVED_STAGE_KEYS
#: How deep a value under a key the program does not know may nest (arrays and objects): deep
#: enough for any real data, shallow enough for the TOML writer's recursion.
MAX_NESTING = 100


class RecordError(ValueError):
    """A record that cannot become a Call; the message says which field and why."""


def _text(record: dict, key: str, *, required: bool = False) -> str:
    value = record.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise RecordError(f"{key!r} is missing or empty")
    return value


def _moment(value: Any, zone: str, key: str, *, exact: bool = False) -> datetime:
    """A stored moment in ``zone`` (``from_storage``; ``exact`` for JSON and CSV from other
    tools, where a time with an offset or ``Z`` is that exact instant)."""
    if not isinstance(value, datetime | date | str):
        raise RecordError(f"{key!r} must be a date-time, not {type(value).__name__}")
    try:
        return check_year_range(from_storage(value, zone, exact=exact), value)
    except (ValueError, OverflowError) as exc:
        raise RecordError(f"{key!r}: {exc}") from None


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise RecordError("'tags' must be a list of strings")
    return tuple(value)


def _table_list(record: dict, key: str) -> list[dict]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise RecordError(f"{key!r} must be a list of tables")
    return value


def call_from_record(
    record: Any, *, ignore: frozenset[str] = frozenset(), exact: bool = False
) -> Call:
    """Build a Call from a record (TOML table or JSON object); raise RecordError if invalid.

    ``exact``: read times with an offset as exact instants (see ``_moment``).
    """
    if not isinstance(record, dict):
        raise RecordError(f"a call must be a table/object, not {type(record).__name__}")
    call_id = _text(record, "id", required=True)
    # validate_id and canonical_zone_name raise UsageError, which is not a ValueError.
    try:
        validate_id(call_id)
    except (ValueError, UsageError) as exc:
        raise RecordError(str(exc)) from None
    zone_name = _text(record, "timezone", required=True)
    try:
        zone = canonical_zone_name(zone_name)
    except (ValueError, UsageError) as exc:
        raise RecordError(str(exc)) from None
    stages = []
    for n, table in enumerate(_table_list(record, "deadlines"), start=1):
        # No deadline: the original was not stated, and an extension must give one (below).
        stages.append(
            Stage(
                label=_text(table, "label"),
                original=_moment(table["deadline"], zone, f"deadlines[{n}].deadline", exact=exact)
                if "deadline" in table
                else None,
                aoe=_flag(table, "aoe", "deadlines", n),
                extra=_extra(table, _STAGE_KNOWN),
            )
        )
    if not stages:
        raise RecordError("a call needs at least one deadline")
    extensions = [
        _entry(table, n, zone, exact)
        for n, table in enumerate(_table_list(record, "extensions"), start=1)
    ]
    opens = record.get("opens")
    known = _RECORD_KEYS | ignore if ignore else _RECORD_KEYS
    call = Call(
        id=call_id,
        title=_text(record, "title", required=True),
        timezone=zone,
        stages=tuple(stages),
        extensions=tuple(extensions),
        programme=_text(record, "programme"),
        url=_text(record, "url"),
        tags=_tags(record.get("tags")),
        note=_text(record, "note"),
        opens=None if opens in (None, "") else _moment(opens, zone, "opens", exact=exact),
        extra=_extra(record, known),
    )
    if any(stage.original is None for stage in call.stages):
        try:
            call.stage_views()  # every stage has a deadline, stated or given by its history
        except ValueError as exc:
            raise RecordError(str(exc)) from None
    problem = limit_problem(call)  # the limits of every input path and every read
    if problem:
        raise RecordError(problem)
    return call


def _extra(table: dict, known: frozenset[str]) -> dict:
    """The keys of ``table`` that are not ``known``, with their values, in their order."""
    # Most records have none: one check of every key in C, not a comprehension.
    if known.issuperset(table):
        return {}
    return {k: v for k, v in table.items() if k not in known}


def _flag(table: dict, key: str, where: str, n: int) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise RecordError(f"'{where}[{n}].{key}' must be true or false, not {type(value).__name__}")
    return value


_KINDS = frozenset(k.value for k in Kind)


def _entry(table: dict, n: int, zone: str, exact: bool) -> Extension:
    """The ``n``-th history entry of a record (see ``history.Extension``)."""
    where = f"extensions[{n}]"
    if "recorded" not in table:
        raise RecordError(f"extension {n} has no 'recorded'")
    kind_text = table.get("kind")
    if kind_text is not None and (not isinstance(kind_text, str) or kind_text not in _KINDS):
        kinds = ", ".join(k.value for k in Kind)
        raise RecordError(f"'{where}.kind' is {kind_text!r}, not one of {kinds}")
    kind = Kind(kind_text) if kind_text is not None else None
    corrects = _text(table, "corrects")
    if kind is Kind.CORRECTION:
        corrects = corrects or "deadline"
        if corrects not in CORRECTS:
            raise RecordError(
                f"'{where}.corrects' is {corrects!r}, not one of {', '.join(CORRECTS)}"
            )
    elif corrects:
        raise RecordError(f"'{where}.corrects' is only for a correction")
    old, new = _text(table, "old"), _text(table, "new")
    moments: dict[str, datetime | None] = {"from": None, "to": None}
    if corrects in ("timezone", "label"):
        if not new.strip() or (corrects == "timezone" and not old.strip()):
            raise RecordError(f"correction {n} of the {corrects} needs 'old' and 'new'")
    else:
        if "to" not in table:
            raise RecordError(f"extension {n} has no 'to'")
        moments["to"] = _moment(table["to"], zone, f"{where}.to", exact=exact)
        if table.get("from") is not None:  # absent or null: the notice did not state it
            moments["from"] = _moment(table["from"], zone, f"{where}.from", exact=exact)
    return Extension(
        stage=_text(table, "stage"),
        from_=moments["from"],
        to=moments["to"],
        recorded=_moment(table["recorded"], "UTC", f"{where}.recorded", exact=exact),
        reason=_text(table, "reason"),
        source=_text(table, "source"),
        kind=kind or infer_kind(moments["from"], moments["to"]),
        corrects=corrects,
        old=old,
        new=new,
        aoe=_flag(table, "aoe", "extensions", n),
        kind_stated=kind is not None,
        extra={k: v for k, v in table.items() if k not in EXTENSION_KEYS},
    )


def call_to_record(call: Call, *, every_kind: bool = False) -> dict[str, Any]:
    """The stored record of a call: deterministic key order, empty optional fields left out.

    The ``kind`` of a history entry read from an older file without one is left out, unless
    ``every_kind`` (to compare two calls whatever files they came from).
    """
    record: dict[str, Any] = {"id": call.id, "title": call.title}
    for key in ("programme", "url"):
        if getattr(call, key):
            record[key] = getattr(call, key)
    if call.tags:
        record["tags"] = list(call.tags)
    if call.note:
        record["note"] = call.note
    record["timezone"] = call.timezone
    if call.opens is not None:
        record["opens"] = to_storage(call.opens)
    record.update(call.extra)
    deadlines = []
    for stage in call.stages:
        table: dict[str, Any] = {"label": stage.label} if stage.label else {}
        if stage.original is not None:
            table["deadline"] = to_storage(stage.original)
        if stage.aoe:
            table["aoe"] = True
        table.update(stage.extra)
        deadlines.append(table)
    record["deadlines"] = deadlines
    if call.extensions:
        record["extensions"] = [_extension_record(ext, every_kind) for ext in call.extensions]
    return record


def _extension_record(ext: Extension, every_kind: bool = False) -> dict[str, Any]:
    table: dict[str, Any] = {}
    if ext.kind_stated or every_kind:
        table["kind"] = str(ext.kind)
    if ext.corrects:
        table["corrects"] = ext.corrects
    if ext.stage:
        table["stage"] = ext.stage
    for key, value in (("from", ext.from_), ("to", ext.to)):
        if value is not None:
            table[key] = to_storage(value)
    for key, text in (("old", ext.old), ("new", ext.new), ("reason", ext.reason)):
        if text:
            table[key] = text
    if ext.source:
        table["source"] = ext.source
    table["recorded"] = to_storage(ext.recorded)
    if ext.aoe:
        table["aoe"] = True
    table.update(ext.extra)
    return table


def _stage_json(view: StageView, stage: Stage) -> dict[str, Any]:
    table: dict[str, Any] = {
        "label": view.label,
        "deadline": to_iso(view.deadline),
        "original_deadline": None if view.original is None else to_iso(view.original),
        "extended": view.extended,
    }
    if stage.aoe:
        table["aoe"] = True
    return table


def _entry_json(ext: Extension) -> dict[str, Any]:
    table: dict[str, Any] = {"kind": str(ext.kind)}
    if ext.corrects:
        table["corrects"] = ext.corrects
    table.update(
        {
            "stage": ext.stage,
            "from": None if ext.from_ is None else to_iso(ext.from_),
            "to": None if ext.to is None else to_iso(ext.to),
        }
    )
    if ext.corrects in ("timezone", "label"):
        table.update({"old": ext.old, "new": ext.new})
    table.update({"reason": ext.reason, "source": ext.source, "recorded": to_iso(ext.recorded)})
    if ext.aoe:
        table["aoe"] = True
    return table


def call_to_json(call: Call, now: datetime) -> dict[str, Any]:
    """The stable JSON contract of one call as seen at ``now`` (every documented key present)."""
    view = call.relevant_stage(now)
    record: dict[str, Any] = {
        "id": call.id,
        "title": call.title,
        "programme": call.programme,
        "url": call.url,
        "tags": list(call.tags),
        "note": call.note,
        "status": str(call.status(now)),
        "timezone": call.timezone,
        "opens": to_iso(call.opens) if call.opens else None,
        "deadline": to_iso(view.deadline),
        "deadline_label": view.label,
        "extended": call.is_extended(),
        "deadlines": [
            _stage_json(v, s) for v, s in zip(call.stage_views(), call.stages, strict=True)
        ],
        "extensions": [_entry_json(ext) for ext in call.extensions],
    }
    for key, value in call.extra.items():
        try:
            record.setdefault(key, json_ready(value))
        except ValueError as exc:  # a hand edit: TOML has nan and inf, JSON has not
            raise StoreError(f"call {call.id}: key {key!r} holds {exc}; edit its file") from None
    return record


def call_from_json(record: Any) -> Call:
    """Inverse of ``call_to_json``: stage deadlines are the originals, extensions are replayed."""
    if isinstance(record, dict) and isinstance(record.get("deadlines"), list):
        record = dict(record)
        stages = []
        for table in record["deadlines"]:
            if isinstance(table, dict) and "original_deadline" in table:
                table = {**table, "deadline": table["original_deadline"]}
                if table["deadline"] is None:  # not stated: the history gives the deadline
                    del table["deadline"]
            stages.append(table)
        record["deadlines"] = stages
    call = call_from_record(record, ignore=DERIVED_KEYS, exact=True)
    # An import must not write a call that `check` would then report as broken, nor one that
    # `add` would have refused.
    problems = consistency_problems(call)
    if problems:
        raise RecordError(problems[0].removeprefix(f"{call.id}: "))
    try:
        validate_call(call)
    except UsageError as exc:
        raise RecordError(str(exc)) from None
    # Keys it does not know are kept as they are: each value must be one the store can write.
    _check_storable(call.extra, "")
    for n, stage in enumerate(call.stages, start=1):
        _check_storable(stage.extra, f"deadlines[{n}]")
    for n, ext in enumerate(call.extensions, start=1):
        _check_storable(ext.extra, f"extensions[{n}]")
    return call


def _check_storable(value: Any, where: str, depth: int = 0, top: str = "") -> None:
    """Raise RecordError unless the TOML store can hold ``value`` (named ``where``) as it is.

    TOML has no null; text must be UTF-8; nesting below the key ``top`` is capped at
    ``MAX_NESTING`` levels.
    """
    if value is None:
        raise RecordError(f"{where!r} is null, which the store cannot hold (leave the key out)")
    if isinstance(value, str):
        if not is_utf8(value):
            raise RecordError(f"{where!r}: not valid UTF-8 text")
        return
    if isinstance(value, dict | list) and depth > MAX_NESTING:
        raise RecordError(f"{top!r} is nested more than {MAX_NESTING} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not is_utf8(key):
                named = f"in {where!r}" if where else "of the record"
                raise RecordError(f"a key {named}: not valid UTF-8 text")
            inner = f"{where}.{key}" if where else key
            _check_storable(item, inner, depth + 1, top or inner)
    elif isinstance(value, list):
        for n, item in enumerate(value, start=1):
            _check_storable(item, f"{where}[{n}]", depth + 1, top or where)


def json_ready(value: Any) -> Any:
    """Turn datetimes, dates and times (also nested) into ISO 8601 strings for JSON output.

    Raise ValueError for a float that is not finite: JSON has no NaN or infinity.
    """
    if isinstance(value, datetime):
        return to_iso(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value}, which JSON cannot hold")
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value
