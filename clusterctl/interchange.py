"""Calls in the formats other tools read and write: JSON text and CSV.

Kept apart from ``codec`` (calls <-> records), which every read of a call file needs: the json
and csv modules and their decoders are paid only by the runs that read or write these formats.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from clusterctl.codec import call_to_json
from clusterctl.model import Call

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn


class NonFiniteNumberError(ValueError):
    """``NaN``, ``Infinity`` or a number beyond a float in JSON input: not JSON, or not a number
    any other reader would take; written back, it would make the output invalid JSON."""


def _refuse_constant(token: str) -> NoReturn:
    raise NonFiniteNumberError(f"{token} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumberError(f"the number {text} is too large")
    return value


# One decoder: json.loads with options builds a new one per call, a third of reading a CSV.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def load_json(text: str) -> Any:
    """``json.loads`` refusing what is not a finite number (raise NonFiniteNumberError).

    Python's reader accepts ``NaN``, ``Infinity`` and ``1e999`` (as infinity), which are not
    JSON; the program's output is always valid JSON, so they are refused at the door.
    """
    return _DECODER.decode(text)


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, at: int) -> int:
    match = _SPACE.match(text, at)  # always matches, if only the empty string
    return match.end() if match else at


def json_array_items(text: str) -> Iterator[Any] | None:
    """The items of ``text`` one by one if it is a JSON array, else None (use ``load_json``).

    Decoding item by item, each converted before the next is read, keeps an import's memory to
    one record's objects instead of all of them: json.loads of 100,000 calls peaked at 270 MB.
    Malformed text raises what ``load_json`` raises, once the items before it were given.
    """
    start = _skip_space(text, 0)
    return _items(text, start + 1) if text.startswith("[", start) else None


def _items(text: str, at: int) -> Iterator[Any]:
    at = _skip_space(text, at)
    if text.startswith("]", at):
        at += 1
    else:
        while True:
            item, at = _DECODER.raw_decode(text, at)
            yield item
            at = _skip_space(text, at)
            if text.startswith(",", at):
                at = _skip_space(text, at + 1)
            elif text.startswith("]", at):
                at += 1
                break
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
    at = _skip_space(text, at)
    if at != len(text):
        raise json.JSONDecodeError("Extra data", text, at)


CSV_COLUMNS = (
    "id",
    "title",
    "programme",
    "url",
    "tags",
    "note",
    "status",
    "timezone",
    "opens",
    "deadline",
    "deadline_label",
    "extended",
    "deadlines",
    "extensions",
)
CSV_JSON_COLUMNS = ("tags", "deadlines", "extensions")


# Spreadsheets run a cell that starts with one of = + - @ TAB CR as a formula (CSV injection);
# a leading ' makes them show it as text (OWASP). To keep import exact, every cell that starts
# with quotes and then one of those characters gets one more quote on export and loses one on
# import: "=1+1" is written "'=1+1", and "'=1+1" itself "''=1+1".
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


_FORMULA_FIRST = frozenset("'=+-@\t\r")  # most cells start otherwise: no regex for them


def escape_formula(text: str) -> str:
    """``text`` as a CSV cell that spreadsheets show as text, never run (see ``_FORMULA``)."""
    if text[:1] in _FORMULA_FIRST and _FORMULA.match(text):
        return "'" + text
    return text


def unescape_formula(cell: str) -> str:
    """The text ``escape_formula`` made ``cell`` from: exact for every string."""
    return cell[1:] if cell[:1] == "'" and _ESCAPED_FORMULA.match(cell) else cell


def calls_to_csv(calls: Iterable[Call], now: datetime) -> str:
    """CSV text with one row per call; list-valued columns hold JSON so that import is lossless.

    Every cell goes through ``escape_formula``, so that no spreadsheet runs a title as a formula.
    """
    text = io.StringIO()
    writer = csv.DictWriter(
        text, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n"
    )
    # The csv module quotes a field with a line break only if the break is in the line
    # terminator: a lone CR would end the row for every reader. Such rows are quoted whole.
    quoting_writer = csv.DictWriter(
        text,
        fieldnames=CSV_COLUMNS,
        extrasaction="ignore",
        lineterminator="\n",
        quoting=csv.QUOTE_ALL,
    )
    writer.writeheader()
    for call in calls:
        record = call_to_json(call, now)
        row = {key: record[key] for key in CSV_COLUMNS}
        for key in CSV_JSON_COLUMNS:
            row[key] = json.dumps(record[key], ensure_ascii=False, allow_nan=False)
        row["extended"] = "true" if record["extended"] else "false"
        row["opens"] = record["opens"] or ""
        row = {key: escape_formula(value) for key, value in row.items()}
        has_cr = any("\r" in value for value in row.values())
        (quoting_writer if has_cr else writer).writerow(row)
    return text.getvalue()


def read_calls_csv(text: str) -> list[dict[str, Any]]:
    """Records from CSV written by ``write_calls_csv`` (JSON columns decoded).

    Raise ValueError naming the line for anything that is not clusterctl CSV.
    """
    # A field may be as long as the whole text (a long title, a long history): the csv module's
    # default limit of 128 KiB would refuse clusterctl's own export. It is process-wide: restore.
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text)))
    # newline="": only the CSV's own quoting decides where a row ends, so a title holding CR,
    # VT, FF, U+001C-U+001E, NEL or U+2028 (line breaks to str.splitlines) comes back whole.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _csv_records(reader)
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: not valid CSV: {exc}") from None
    finally:
        csv.field_size_limit(previous)


def _csv_records(reader: csv.DictReader) -> list[dict[str, Any]]:
    missing = {"id", "title", "timezone", "deadlines"} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"not clusterctl CSV: missing columns {', '.join(sorted(missing))}")
    records = []
    for n, row in enumerate(reader, start=2):
        if None in row:  # DictReader's place for cells past the header's: they would be lost
            extra = len(row[None])
            plural = "s" if extra != 1 else ""
            raise ValueError(f"line {n}: {extra} more field{plural} than the header names")
        # A short row (DictReader fills None): its missing cells are absent, not null.
        record: dict[str, Any] = {k: unescape_formula(v) for k, v in row.items() if v is not None}
        for key in CSV_JSON_COLUMNS:
            if record.get(key):
                try:
                    record[key] = load_json(record[key])
                except ValueError as exc:  # JSONDecodeError, NonFiniteNumberError, digit limit
                    raise ValueError(f"line {n}: column {key!r} is not JSON: {exc}") from None
                except RecursionError:
                    raise ValueError(f"line {n}: column {key!r} is nested too deeply") from None
            else:
                record[key] = []
        records.append(record)
    return records
