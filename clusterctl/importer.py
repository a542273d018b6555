"""Planning imports: what a file holds, and which of its calls are new, extended or in conflict.

Pure functions: they decode bytes into calls, read existing calls through a lookup and return a
plan; the store writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, BinaryIO

from clusterctl.codec import RecordError, call_from_json, call_to_record
from clusterctl.diff import change_lines, detail_text
from clusterctl.errors import ConflictError, UsageError
from clusterctl.interchange import json_array_items, load_json, read_calls_csv
from clusterctl.model import Call
from clusterctl.portal import json_errors, json_text, parse_portal
from clusterctl.store.forkmap import fork_turns
from clusterctl.timefmt import format_moment

Lookup = Callable[[str], Call | None]
PORTAL_REASON = "portal update"


#: How the lines of ``ImportPlan.messages`` that are printed without ``--verbose`` start:
#: conflicts (on stderr) and local edits kept although the portal changed the field.
ALWAYS_SAID = ("conflict", "kept your")


@dataclass
class ImportPlan:
    """What an import will write, and what it has to say about each call.

    ``messages`` holds one line per call ('new X', 'updated X ...', 'unchanged X'), each
    followed by its changed fields ('  title: A -> B'); conflicts and kept local edits (see
    ALWAYS_SAID) are said even without ``--verbose``.
    """

    writes: list[Call] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "new": 0,
            "replaced": 0,
            "extended": 0,
            "updated": 0,
            "unchanged": 0,
            "conflicting": 0,
        }
    )
    messages: list[str] = field(default_factory=list)

    def note(self, kind: str, message: str | None = None) -> None:
        """Count one call as ``kind`` and remember a per-call message."""
        self.counts[kind] += 1
        if message:
            self.messages.append(message)

    #: The categories the summary line always names (others only when they occurred).
    always: tuple[str, ...] = ("new", "extended", "updated", "unchanged", "conflicting")

    def summary(self) -> str:
        """One line: how many calls fell in each category."""
        order = ("new", "replaced", "extended", "updated", "unchanged", "conflicting")
        parts = [f"{self.counts[k]} {k}" for k in order if self.counts[k] or k in self.always]
        return ", ".join(parts)


#: The formats ``import --from`` names; "auto" guesses from the name and the content.
FORMATS = ("auto", "json", "csv", "eu-portal")

#: The most an import file may hold. ``calls --all --format json`` writes about 850 bytes a call
#: (85 MB for 100,000 calls, the scale the store is built for), so a backup of a large store
#: fits several times over; and reading stops there, so ``import /dev/zero`` cannot exhaust
#: memory.
MAX_IMPORT_BYTES = 256 * 1024 * 1024
_CHUNK = 1024 * 1024


def read_import(stream: BinaryIO, name: str) -> bytes:
    """All of ``stream``, at most ``MAX_IMPORT_BYTES``; raise UsageError if it holds more.

    Read in chunks, never more than one byte past the cap.
    """
    limit = MAX_IMPORT_BYTES
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise UsageError(
        f"{name}: larger than {_size(limit)}, the most an import file may be; nothing was imported"
    )


def _size(n: int) -> str:
    mib, rest = divmod(n, 1024 * 1024)
    return f"{n} bytes" if rest else f"{mib} MiB"


def decode_calls(raw: bytes, name: str, kind: str = "auto") -> tuple[str, list[Call]]:
    """The calls an import file holds, and its format ('json', 'csv' or 'eu-portal')."""
    if kind == "csv" or (kind == "auto" and _looks_like_csv(name, raw)):
        try:
            records = read_calls_csv(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"{name}: {exc}") from None
        return "csv", _records_to_calls(records, name)
    text = json_text(raw, name)
    if kind != "eu-portal":
        items = json_array_items(text)
        if items is not None:
            with json_errors(name):
                first = next(items, _NONE)
            # A list of portal pages is read whole; clusterctl's own array, record by record.
            if kind == "json" or not _looks_like_portal([first]):
                head = [] if first is _NONE else [first]
                each = _checked(head, items, name)
                if len(text) < _FORKED_TEXT:
                    return "json", _records_to_calls(each, name)
                # Decoding a record is CPU work (45 µs; 4.5 s of 100,000): half of them are
                # decoded by a forked worker, which reads the same text (forkmap.fork_turns).
                again = partial(_worker_records, text)
                return "json", _calls_of(fork_turns(call_from_json, each, again), name)
    with json_errors(name):
        data = load_json(text)
    if kind == "auto":
        kind = "eu-portal" if _looks_like_portal(data) else "json"
    if kind == "eu-portal":
        return kind, parse_portal(data, name)
    return "json", _records_to_calls(data, name)


_NONE = object()

#: From how long a JSON array of records on a worker decodes half of them (about 1,200 calls).
_FORKED_TEXT = 1024 * 1024


def _worker_records(text: str) -> Iterator[Any]:
    """The records of a JSON array ``text`` (for ``fork_turns``; its own errors end it)."""
    items = json_array_items(text)
    return items if items is not None else iter(())


def _checked(head: list[Any], items: Iterator[Any], name: str) -> Iterator[Any]:
    yield from head
    with json_errors(name):
        yield from items


def _records_to_calls(records: object, source: str) -> list[Call]:
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, Iterable) or isinstance(records, str):
        raise UsageError(
            f"{source}: expected a JSON array of calls, as `calls --format json` writes"
        )
    return _calls_of(((record, None) for record in records), source)


def _calls_of(pairs: Iterator[tuple[Any, Call | None]], source: str) -> list[Call]:
    """The call of each record, paired with it if a worker made it already (``fork_turns``),
    else with None; UsageError naming the first record that is not a call."""
    calls = []
    for n, (record, made) in enumerate(pairs, start=1):
        try:
            # (A worker's call for another record would be a fault of this program.)
            if made is None or made.id != record.get("id"):
                made = call_from_json(record)
            calls.append(made)
        except RecordError as exc:
            # Read record by record, the rest of the file is still to be read: malformed JSON
            # further on is said first, as when the whole file was decoded before any record.
            for _ in pairs:
                pass
            rid = record.get("id") if isinstance(record, dict) else None
            named = f" ({rid})" if isinstance(rid, str) and rid else ""
            raise UsageError(f"{source}: record {n}{named}: {exc}; nothing was imported") from None
    return calls


def _looks_like_csv(name: str, raw: bytes) -> bool:
    """By the file's extension when it has a telling one, else by content (stdin, .txt):
    JSON starts with an array or an object, clusterctl CSV with its header line."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("csv", "json"):
        return suffix == "csv"
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"[", b"{")


def _looks_like_portal(data: object) -> bool:
    pages = data if isinstance(data, list) else [data]
    return bool(pages) and all(isinstance(p, dict) and "results" in p for p in pages)


def unique_by_id(calls: Sequence[Call], source: str) -> None:
    """Refuse a file that holds the same id twice (JSON/CSV import)."""
    seen: set[str] = set()
    for n, call in enumerate(calls, start=1):
        if call.id in seen:
            raise ConflictError(f"{source}: record {n}: id {call.id!r} appears twice in the file")
        seen.add(call.id)


def plan_records(
    calls: Sequence[Call], lookup: Lookup, *, replace_existing: bool, source: str
) -> ImportPlan:
    """All-or-nothing plan for JSON/CSV import: an existing id is an error unless replacing."""
    unique_by_id(calls, source)
    plan = ImportPlan(always=("new",))  # 'replaced' and 'unchanged' appear when they occur
    for n, call in enumerate(calls, start=1):
        existing = lookup(call.id)  # a file read and parse: once per record
        if existing is not None:
            # An identical call is no conflict: re-importing a backup changes nothing.
            if _same(existing, call):
                plan.note("unchanged", f"unchanged {call.id}")
                continue
            if not replace_existing:
                raise ConflictError(
                    f"{source}: record {n}: a call with id {call.id!r} already exists "
                    "(use --replace to overwrite); nothing was imported"
                )
            plan.note("replaced", f"replaced {call.id}")
            plan.messages.extend(_field_lines(existing, call))
        else:
            plan.note("new", f"new {call.id}")
        plan.writes.append(call)
    return plan


def _same(stored: Call | None, incoming: Call) -> bool:
    """True when ``incoming`` holds exactly what the stored call holds (an entry's kind
    counts the same whether its file states it or not)."""
    return stored is not None and call_to_record(stored, every_kind=True) == call_to_record(
        incoming, every_kind=True
    )


def _field_lines(old: Call, new: Call) -> list[str]:
    """The changed fields of a call, indented under its line."""
    lines = change_lines(old, new)
    if len(old.extensions) != len(new.extensions):
        lines.append(f"history: {len(old.extensions)} -> {len(new.extensions)} entries")
    return [f"  {line}" for line in lines]


def _kept_edits(existing: Call, base: dict[str, Any], incoming: Call) -> list[str]:
    """A line per field the user changed locally (or set by hand before the first import) that
    the portal changed too: the local value is kept, and both are said."""
    lines = []
    for name in ("title", "programme", "url", "opens"):
        mine, theirs = getattr(existing, name), getattr(incoming, name)
        if name == "opens":
            mine, theirs = _iso(mine), _iso(theirs)
        if mine == theirs or (name in base and base[name] in (mine, theirs)):
            continue  # the same, not edited locally, or not changed on the portal
        lines.append(
            f"kept your {name} of {existing.id}: {detail_text(existing, name)}; "
            f"the portal now says: {detail_text(incoming, name)}"
        )
    return lines


def _merged_field(local: Any, base: Any, incoming: Any) -> Any:
    """Three-way merge of one field: keep a local change, else take the portal's value."""
    if base is None:  # never imported before (added by hand): the user's value stands
        return local
    return incoming if local == base else local


def _merged_tags(
    local: tuple[str, ...], base: list[str] | None, incoming: tuple[str, ...]
) -> tuple[str, ...]:
    """Apply the portal's tag changes to the local tags, keeping tags the user added or removed."""
    if base is None:
        return local
    removed = set(base) - set(incoming)
    added = [t for t in incoming if t not in base]
    kept = [t for t in local if t not in removed]
    return tuple(dict.fromkeys([*kept, *added]))


def plan_portal(
    calls: Sequence[Call], lookup: Lookup, *, now: datetime, allow_earlier: bool
) -> ImportPlan:
    """Merge portal topics into the store without losing local data.

    A later deadline becomes an extension (reason 'portal update', source the topic url); an
    earlier one is a conflict left alone unless ``allow_earlier``; local edits are kept.
    """
    plan = ImportPlan()
    for incoming in calls:
        existing = lookup(incoming.id)
        if existing is None:
            plan.writes.append(incoming)
            plan.note("new", f"new {incoming.id}")
            continue
        merged, extended, conflicts = _merge_deadlines(existing, incoming, now, allow_earlier)
        said = existing.extra.get("portal")  # what the portal said last time
        base: dict[str, Any] = said if isinstance(said, dict) else {}
        details = merged.replace(
            title=_merged_field(existing.title, base.get("title"), incoming.title),
            programme=_merged_field(existing.programme, base.get("programme"), incoming.programme),
            url=_merged_field(existing.url, base.get("url"), incoming.url),
            opens=incoming.opens
            if "opens" in base and _iso(existing.opens) == base["opens"]
            else existing.opens,
            tags=_merged_tags(existing.tags, base.get("tags"), incoming.tags),
            extra={**existing.extra, "portal": incoming.extra.get("portal", {})},
        )
        plan.messages.extend(conflicts)
        changed_details = _details(details) != _details(existing)
        # Only what the portal said changed (its status, the merge snapshot): the file is
        # rewritten, so the topic is not reported as unchanged.
        changed_info = details.extra != existing.extra
        if conflicts:
            plan.counts["conflicting"] += 1
        if extended:
            plan.note("extended", "; ".join(extended))
        elif changed_details:
            plan.note("updated", f"updated {incoming.id} (details from the portal)")
        elif changed_info:
            plan.note("updated", f"updated {incoming.id} (portal information)")
        elif not conflicts:
            plan.note("unchanged", f"unchanged {incoming.id}")
        if changed_details:
            plan.messages.extend(f"  {line}" for line in change_lines(existing, details))
        plan.messages.extend(_kept_edits(existing, base, incoming))
        if details != existing or changed_info:
            plan.writes.append(details)
    return plan


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _details(call: Call) -> tuple:
    return (call.title, call.programme, call.url, call.opens, call.tags)


def _merge_deadlines(
    existing: Call, incoming: Call, now: datetime, allow_earlier: bool
) -> tuple[Call, list[str], list[str]]:
    merged = existing
    extended: list[str] = []
    conflicts: list[str] = []
    current = {v.label: v for v in existing.stage_views()}
    for stage in incoming.stages:
        view = current.get(stage.label)
        if view is None:
            conflicts.append(
                f"conflict {existing.id}: the portal lists a stage {stage.label or '(single)'!r} "
                "that the stored call does not have; left alone"
            )
            continue
        said = stage.original
        # Instants: datetimes sharing one ZoneInfo compare by wall time (wrong in the fold hour).
        if said is None or said.timestamp() == view.deadline.timestamp():
            continue  # (the portal always states its deadlines)
        earlier = said.timestamp() < view.deadline.timestamp()
        where = f" ({stage.label})" if stage.label else ""
        if earlier and not allow_earlier:
            conflicts.append(
                f"conflict {existing.id}{where}: the portal says {format_moment(said)}, "
                f"earlier than the stored {format_moment(view.deadline)}; left alone "
                "(use --allow-earlier to accept)"
            )
            continue
        merged = merged.extend(
            said,
            recorded=now,
            stage=stage.label,
            reason=PORTAL_REASON,
            source=incoming.url,
            allow_earlier=True,
        )
        verb = "brought forward" if earlier else "extended"
        extended.append(
            f"{verb} {existing.id}{where}: {format_moment(view.deadline)} -> {format_moment(said)}"
            f" ({PORTAL_REASON})"
        )
    return merged, extended, conflicts
