"""Read EU Funding & Tenders Portal search-API responses into Calls: a pure parser, no network.

The input is a saved response of the portal's search API (an object with a ``results`` list)
or a JSON array of several such responses (pages). Each result is one topic; it becomes one
Call with the topic identifier as id, the call identifier as programme and one stage per
``deadlineDate``. Everything is parsed before anything is returned, so bad input yields a
UsageError and no Calls at all.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from clusterctl.errors import UsageError, describe_os_error
from clusterctl.interchange import NonFiniteNumberError, load_json
from clusterctl.limits import limit_problem
from clusterctl.model import Call, make_stages, validate_call, validate_id

#: The zone the portal's dates are meant in, and the zone of every imported Call.
PORTAL_TIMEZONE = "Europe/Brussels"

#: The portal's codes for a topic's status (``metadata.status``).
STATUS_CODES = {
    "31094501": "Forthcoming",
    "31094502": "Open",
    "31094503": "Closed",
}

# ASCII digits only: \d would also accept other scripts' digits.
_PORTAL_STAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3})\+0000"
)
_DEADLINE_TIMES = ("00:00:00.000", "17:00:00.000")
_DEADLINE_SHAPE = "YYYY-MM-DDT17:00:00.000+0000 or YYYY-MM-DDT00:00:00.000+0000"
_START_SHAPE = "YYYY-MM-DDT00:00:00.000+0000"


def portal_deadline(value: str) -> datetime:
    """The instant a portal ``deadlineDate`` stands for: 17:00 Brussels time on its date.

    Raise UsageError naming ``value`` for any other shape or time of day.
    """
    # The portal writes deadlines as "...T17:00:00.000+0000" or "...T00:00:00.000+0000", yet
    # its topic pages show both as "17:00:00 Brussels time" on that date. So the "+0000" is
    # not to be trusted: the date is the Brussels wall-clock date and the time is always 17:00
    # Brussels (15:00 UTC in summer, 16:00 UTC in winter). That rule is known only for these
    # two times of day, so any other time is refused rather than guessed at.
    day, clock = _portal_stamp(value, "deadline", _DEADLINE_SHAPE)
    if clock not in _DEADLINE_TIMES:
        raise UsageError(f"unrecognised portal deadline {value!r}: expected {_DEADLINE_SHAPE}")
    return datetime.combine(day, time(17, 0), tzinfo=ZoneInfo(PORTAL_TIMEZONE))


def portal_start(value: str) -> datetime:
    """The instant a portal ``startDate`` stands for: the start (00:00) of that Brussels day.

    Raise UsageError naming ``value`` for any other shape or time of day.
    """
    # Like deadlines, the date is the Brussels date whatever "+0000" says; the portal gives
    # only an opening day, so the call is taken to open when that day begins in Brussels.
    day, clock = _portal_stamp(value, "start date", _START_SHAPE)
    if clock != "00:00:00.000":
        raise UsageError(f"unrecognised portal start date {value!r}: expected {_START_SHAPE}")
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(PORTAL_TIMEZONE))


def _portal_stamp(value: object, what: str, shape: str) -> tuple[date, str]:
    """Split a portal time stamp into its date and its ``HH:MM:SS.fff`` part."""
    match = _PORTAL_STAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise UsageError(f"unrecognised portal {what} {value!r}: expected {shape}")
    year, month, day, clock = match.groups()
    try:
        return date(int(year), int(month), int(day)), clock
    except ValueError:
        raise UsageError(f"portal {what} {value!r} is not a real date") from None


def load_portal_file(path: Path) -> list[Call]:
    """Read and decode a saved portal search response (or array of pages) into Calls."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UsageError(f"{name}: cannot read: {describe_os_error(err)}") from None
    return parse_portal(decode_json(raw, name), name)


def decode_json(raw: bytes, name: str) -> object:
    """JSON from bytes (a UTF-8 BOM allowed); any malformation is one UsageError naming ``name``."""
    text = json_text(raw, name)
    with json_errors(name):
        return load_json(text)


def json_text(raw: bytes, name: str) -> str:
    """The text of a JSON file (a UTF-8 BOM allowed); UsageError naming ``name`` if not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line, column = _line_column(raw, err.start)
        raise UsageError(
            f"{name}: not valid JSON: not UTF-8, byte 0x{raw[err.start]:02x} "
            f"(line {line}, column {column})"
        ) from None


@contextlib.contextmanager
def json_errors(name: str) -> Iterator[None]:
    """Turn any malformation of the JSON being read into one UsageError naming ``name``."""
    try:
        yield
    except json.JSONDecodeError as err:
        raise UsageError(
            f"{name}: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        ) from None
    except NonFiniteNumberError as err:
        raise UsageError(f"{name}: not valid JSON: {err}") from None
    except RecursionError:
        raise UsageError(f"{name}: not valid JSON: nested too deeply") from None
    except ValueError:  # the only other one: an integer beyond Python's digit limit
        raise UsageError(f"{name}: not valid JSON: a number is too long to read") from None


def _line_column(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``offset`` in ``raw``."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def parse_portal(data: object, source: str) -> list[Call]:
    """Calls from decoded portal JSON, one per distinct topic, in order of first appearance.

    ``data`` is one search response (an object with a ``results`` list) or a list of them;
    ``source`` names the file in messages. A topic listed more than once is imported once, as
    first seen. Raise UsageError naming the file and the topic on any bad input.
    """
    if isinstance(data, dict):
        pages = [("", data)]
    elif isinstance(data, list) and data:
        pages = [(f"page {n}", page) for n, page in enumerate(data, start=1)]
    else:
        raise UsageError(
            f"{source}: not a portal search response: expected an object with a 'results' "
            f"list, or a non-empty array of them"
        )
    calls: dict[str, Call] = {}
    for page_name, page in pages:
        results = page.get("results") if isinstance(page, dict) else None
        if not isinstance(results, list):
            named = f" {page_name}" if page_name else ""
            raise UsageError(f"{source}:{named} not a portal search response: no 'results' list")
        for n, result in enumerate(results, start=1):
            where = f"{page_name}, result {n}" if page_name else f"result {n}"
            call = _parse_result(result, source, where)
            calls.setdefault(call.id, call)  # a repeated topic: the first one seen is kept
    return list(calls.values())


@dataclass(frozen=True)
class _Topic:
    """One result being parsed: where it is, for messages, and its metadata."""

    source: str
    where: str
    metadata: dict

    def fail(self, problem: str, topic_id: str = "") -> UsageError:
        """A UsageError naming the file and the topic."""
        named = f" ({topic_id})" if topic_id else ""
        return UsageError(f"{self.source}: {self.where}{named}: {problem}")

    def values(self, key: str) -> list:
        """A metadata field as a list (the portal wraps every value in one)."""
        value = self.metadata.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def text(self, key: str) -> str:
        """The first value of a metadata field as clean text, or '' if there is none."""
        values = self.values(key)
        return _clean(values[0]) if values and isinstance(values[0], str) else ""


def _parse_result(result: object, source: str, where: str) -> Call:
    """One search result as a Call (see ``parse_portal``)."""
    if not isinstance(result, dict):
        raise UsageError(f"{source}: {where}: not an object")
    metadata = result.get("metadata")
    if not isinstance(metadata, dict):
        raise UsageError(f"{source}: {where}: no 'metadata' object")
    topic = _Topic(source, where, metadata)

    identifiers = topic.values("identifier")
    if not identifiers or not isinstance(identifiers[0], str) or not identifiers[0].strip():
        raise topic.fail("no topic identifier (metadata.identifier)")
    topic_id = identifiers[0].strip()
    try:
        validate_id(topic_id)
    except UsageError as err:
        raise topic.fail(str(err)) from None

    deadlines: list[datetime] = []
    for value in topic.values("deadlineDate"):
        try:
            deadline = portal_deadline(value)
        except UsageError as err:
            raise topic.fail(str(err), topic_id) from None
        # One instant listed twice is still one deadline (17:00 is never in a DST fold).
        if deadline not in deadlines:
            deadlines.append(deadline)
    if not deadlines:
        raise topic.fail("no deadline (metadata.deadlineDate)", topic_id)

    opens = None
    starts = topic.values("startDate")
    if starts:
        try:
            opens = portal_start(starts[0])
        except UsageError as err:
            raise topic.fail(str(err), topic_id) from None

    url = result.get("url")
    if not isinstance(url, str) or not url.strip():
        url = topic.text("url")
    url = _clean(url)
    summary = result.get("summary")
    title = topic.text("title") or (_clean(summary) if isinstance(summary, str) else "")

    title = title or topic_id
    programme = topic.text("callIdentifier")
    tags = _clean_all(topic.values("tags"))
    info = _portal_info(topic)
    # What the portal said, as the base of a three-way merge on re-import: a field the user has
    # changed since (clusterctl edit) differs from this and is kept.
    info.update(title=title, programme=programme, url=url, tags=list(tags))
    if opens is not None:
        info["opens"] = opens.isoformat()
    call = Call(
        id=topic_id,
        title=title,
        timezone=PORTAL_TIMEZONE,
        stages=make_stages([("", deadline) for deadline in deadlines]),
        programme=programme,
        url=url,
        tags=tags,
        opens=opens,
        extra={"portal": info},
    )
    problem = limit_problem(call)  # the limits of every input path (clusterctl/limits.py)
    if problem:
        raise topic.fail(problem, topic_id)
    try:
        return validate_call(call)  # what `add` would refuse (a javascript: url...)
    except UsageError as err:
        raise topic.fail(str(err), topic_id) from None


def _portal_info(topic: _Topic) -> dict:
    """What the portal says about the topic, kept for information only (never None values)."""
    actions = [a for a in _decode_embedded(topic.values("actions")) if isinstance(a, dict)]
    info: dict = {}
    codes = topic.values("status")
    code = _clean(str(codes[0])) if codes and isinstance(codes[0], str | int) else ""
    status = STATUS_CODES.get(code) or _first_abbreviation(actions, "status") or code
    if status:
        info["status"] = status
    model = topic.text("deadlineModel") or _first_abbreviation(actions, "submissionProcedure")
    if model:
        info["deadline_model"] = model
    call_title = topic.text("callTitle")
    if call_title:
        info["call_title"] = call_title
    return info


def _decode_embedded(values: list) -> list:
    """Values with JSON-encoded strings ('[...]' or '{...}') decoded; broken ones are dropped."""
    decoded: list = []
    for value in values:
        if not isinstance(value, str) or value.strip()[:1] not in ("[", "{"):
            decoded.append(value)
            continue
        try:
            inner = json.loads(value)
        except (ValueError, RecursionError):
            continue  # informational only: a broken embedded value is ignored
        decoded.extend(inner if isinstance(inner, list) else [inner])
    return decoded


def _first_abbreviation(actions: list[dict], key: str) -> str:
    """The first ``action[key]["abbreviation"]`` among the decoded ``actions``, or ''."""
    for action in actions:
        part = action.get(key)
        if isinstance(part, dict) and isinstance(part.get("abbreviation"), str):
            cleaned = _clean(part["abbreviation"])
            if cleaned:
                return cleaned
    return ""


def _clean(text: str) -> str:
    """Trim and collapse every inner run of whitespace to one space."""
    # JSON may carry lone surrogates ("\ud800"); they could never be written out as UTF-8.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(text.split())


def _clean_all(values: list) -> tuple[str, ...]:
    """The string values cleaned, empty ones and repeats dropped, first order kept."""
    cleaned = (_clean(v) for v in values if isinstance(v, str))
    return tuple(dict.fromkeys(c for c in cleaned if c))
