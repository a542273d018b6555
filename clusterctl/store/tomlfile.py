"""The TOML of a call file: read with every failure named, written the same way every time.

A call file is UTF-8 TOML of at most ``MAX_CALL_FILE_BYTES``, without git conflict markers, that
declares the id its name gives (``layout.id_mismatch``). A file that is not is refused with a
``TomlFileError`` naming it (with line and column where there are any); a lenient read records it
as an ``Unreadable`` instead and goes on with the other calls.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import datetime

from clusterctl.errors import StoreError, UsageError
from clusterctl.fileread import UnreadableFile, read_bounded
from clusterctl.lazyre import LazyPattern
from clusterctl.limits import MAX_CALL_FILE_BYTES, check_limits
from clusterctl.model import Call, CallSummary
from clusterctl.records import NamedTuple
from clusterctl.store.layout import id_mismatch
from clusterctl.tomlparse import BARE_KEY, SHORT_ESCAPES, TomlSyntaxError, parse_toml_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from clusterctl.store.files import StrPath

_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")
CONFLICT_MARKER = LazyPattern(
    rb"^(" + b"|".join(map(re.escape, _MARKERS)) + rb")( |$)", re.MULTILINE
)


class TomlFileError(StoreError):
    """A TOML file of the store that cannot be read: ``display`` names it, ``reason`` says why;
    ``info``, when ``read_toml_file`` refuses a file it opened, is that file's ``fstat``."""

    def __init__(self, display: str, reason: str, info: os.stat_result | None = None) -> None:
        super().__init__(f"{display}: {reason}")
        self.display = display
        self.reason = reason
        self.info = info


class Unreadable(NamedTuple):
    """A call file that a lenient read could not read, and why (as ``TomlFileError`` says).

    ``path`` is a string, as the store's paths are."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    def error(self) -> TomlFileError:
        """The error a strict read raises for this file."""
        return TomlFileError(str(self.path), self.reason)


def read_toml_bytes(path: StrPath, display: str) -> bytes:
    """The bytes of a call or marker file; FileNotFoundError if absent, else TomlFileError."""
    return read_toml_file(path, display)[0]


def read_toml_file(path: StrPath, display: str) -> tuple[bytes, os.stat_result]:
    """``read_toml_bytes``, with the ``fstat`` of the file those bytes were read from."""
    try:
        return read_bounded(path, MAX_CALL_FILE_BYTES)
    except UnreadableFile as exc:
        reason = {
            "directory": "is a directory, not a TOML file",
            "special": "not a regular file",
            "too large": f"too large ({exc.size} bytes; at most {MAX_CALL_FILE_BYTES})",
        }.get(exc.kind, f"cannot read: {exc.detail}")
        raise TomlFileError(display, reason, exc.info) from None


def parse_toml(raw: bytes, display: str) -> dict[str, Any]:
    """Parse the bytes of a TOML file; every failure is a TomlFileError naming the file (and
    line and column)."""
    # The pattern only where a marker is: compiling it took 0.15 ms of every `show`.
    conflict = CONFLICT_MARKER.search(raw) if any(m in raw for m in _MARKERS) else None
    if conflict:
        line = raw.count(b"\n", 0, conflict.start()) + 1
        raise TomlFileError(
            display,
            f"unresolved git merge conflict at line {line}, column 1; "
            "resolve it by hand, then run clusterctl check",
        )
    try:
        # utf-8-sig: editors on Windows like to prepend a byte order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text_bytes = exc.object  # without the byte order mark: that is what exc.start counts in
        line = text_bytes.count(b"\n", 0, exc.start) + 1
        column = exc.start - (text_bytes.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TomlFileError(display, f"not UTF-8 text (at line {line}, column {column})") from None
    try:
        return parse_toml_text(text)
    except TomlSyntaxError as exc:
        raise TomlFileError(display, f"invalid TOML: {exc}") from None
    except RecursionError:  # tomli refuses deep nesting this way, not with TOMLDecodeError
        raise TomlFileError(display, "invalid TOML: arrays or tables nested too deeply") from None


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dump_toml(record: dict[str, Any]) -> bytes:
    """Deterministic TOML: plain keys first, then every list of tables as ``[[name]]`` blocks.

    tomli-w alone inlines short tables and switches style as they grow, which rewrites whole
    blocks in git diffs; one ``[[extensions]]`` block per entry keeps each change to new lines.
    """
    head, lists = _split_tables(record)
    fast = _fast_toml(head, lists)
    if fast is not None:
        return fast.encode("utf-8")
    import tomli_w  # here, not at the top: 0.6 ms that only a hand-made value needs

    blocks = [tomli_w.dumps(head)]
    for key, tables in lists:
        for table in tables:
            if any(isinstance(v, dict) or _is_table_list(v) for v in table.values()):
                return tomli_w.dumps(record).encode(
                    "utf-8"
                )  # nested hand-made data: let tomli-w lay it out
            blocks.append(f"\n[[{_key(key)}]]\n{tomli_w.dumps(table)}")
    return "".join(blocks).encode("utf-8")


# --- the same bytes as tomli-w for what clusterctl itself writes, 8x faster ------------------
# tomli-w was 13 of the 49 s of importing 100,000 calls. Anything but strings, booleans,
# integers, datetimes and flat arrays of those (a hand-made float or table) goes to tomli-w;
# tests/store/test_tomlfile.py checks the two agree.

_NEEDS_ESCAPE = LazyPattern(r'[\x00-\x08\x0a-\x1f\x7f"\\]')


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _string(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'
    return f'"{_NEEDS_ESCAPE.sub(_escape, text)}"'


@functools.lru_cache(maxsize=256)  # the same few keys in every file: 8 % of encoding a call
def _key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else _string(key)


def _scalar(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is datetime:
        return str(value)
    return None


def _literal(value: Any) -> str | None:
    if type(value) is list:
        if not value:
            return "[]"
        items = [_scalar(item) for item in value]
        if None in items:
            return None
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    return _scalar(value)


def _fast_table(table: dict[str, Any], out: list[str]) -> bool:
    for key, value in table.items():
        text = _literal(value)
        if text is None:
            return False
        out.append(f"{_key(key)} = {text}\n")
    return True


def _split_tables(
    record: dict[str, Any],
) -> tuple[dict[str, Any], list[tuple[str, list[dict[str, Any]]]]]:
    """The plain keys of ``record``, and its lists of tables (written as ``[[name]]`` blocks)."""
    head: dict[str, Any] = {}
    lists: list[tuple[str, list[dict[str, Any]]]] = []
    for key, value in record.items():
        if _is_table_list(value):
            lists.append((key, value))
        else:
            head[key] = value
    return head, lists


def _fast_toml(head: dict[str, Any], lists: list[tuple[str, list[dict[str, Any]]]]) -> str | None:
    """``dump_toml``'s text of ``head`` and the table ``lists`` when every value is one it
    writes itself, else None."""
    out: list[str] = []
    if not _fast_table(head, out):
        return None
    for key, tables in lists:
        name = _key(key)
        for table in tables:
            out.append(f"\n[[{name}]]\n")
            if not _fast_table(table, out):
                return None
    return "".join(out)


def read_call(path: StrPath) -> Call:
    """The call in the file ``path``; FileNotFoundError if absent, else TomlFileError naming it."""
    return parse_call(read_toml_bytes(path, os.fspath(path)), path)


def parse_call(raw: bytes, path: StrPath) -> Call:
    """The call in ``raw``, the bytes of the file ``path`` (errors as ``read_call``)."""
    # Not at the top: codec imports timeparse and zoneinfo (9 ms), which a listing served from
    # the cache never needs.
    from clusterctl.codec import call_from_record

    display = os.fspath(path)
    record = parse_toml(raw, display)
    try:
        call = call_from_record(record)
    # RecordError is a ValueError; out-of-range moments (year 1 at +14:00) overflow, and an
    # unknown zone is a UsageError: all are faults of this file, so they name it.
    except (ValueError, OverflowError, UsageError) as exc:
        raise TomlFileError(display, str(exc)) from None
    problem = id_mismatch(call.id, os.path.basename(display))
    if problem:
        raise TomlFileError(display, f"{problem}; rename the file or fix the id")
    return call


def parse_summary(raw: bytes, path: StrPath) -> CallSummary:
    """The summary of the call in ``raw``, the bytes of the file ``path`` (errors as
    ``read_call``)."""
    call = parse_call(raw, path)
    try:
        return call.summary()
    except (ValueError, OverflowError) as exc:
        raise TomlFileError(os.fspath(path), str(exc)) from None


def call_bytes(call: Call) -> bytes:
    """The content of the file of ``call``.

    UsageError if the call is beyond the limits (clusterctl/limits.py) or its file would be
    larger than a read accepts: nothing is ever written that could not be read back.
    """
    return checked_call_bytes(check_limits(call))


def checked_call_bytes(call: Call) -> bytes:
    """``call_bytes`` of a call already within the limits (``limits.check_limits``): only the
    file's size is checked. For a store's transaction, which checks the limits when a call is
    staged and encodes it when it writes."""
    from clusterctl.codec import call_to_record  # see read_call

    data = dump_toml(call_to_record(call))
    if len(data) > MAX_CALL_FILE_BYTES:
        raise UsageError(
            f"call {call.id}: too large to store ({len(data)} bytes; at most "
            f"{MAX_CALL_FILE_BYTES}); nothing was written"
        )
    return data


def read_call_bytes(path: StrPath) -> bytes:
    """The bytes of the call file ``path``, unparsed: FileNotFoundError if absent, else
    TomlFileError naming it (the summary cache compares their digest, cache.py)."""
    return read_toml_bytes(path, str(path))
