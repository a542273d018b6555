"""Parsing TOML text: the form clusterctl writes read directly, anything else by tomli.

A listing or JSON export answered from the cache, with no config file, parses no TOML at all:
importing the parser costs such a run 2 ms of its ~60 ms at 1,000 calls. A call file as
clusterctl writes it (``store/tomlfile.dump_toml``) is read without the parser: 8.5-10 us a file
against tomli's 19-24 (so a ``show`` or ``extend`` does not import it), and never a different
answer than tomli's: ``tests/test_tomlparse.py`` checks the two against each other.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from clusterctl.lazyre import LazyPattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any


class TomlSyntaxError(ValueError):
    """The text is not valid TOML; the message is the parser's, with line and column."""


def parse_toml_text(text: str) -> dict[str, Any]:
    """The TOML document ``text`` as a dict; TomlSyntaxError if it is not TOML (and
    RecursionError, as the parser raises it, for nesting too deep)."""
    document = read_written_form(text)
    if document is not None:
        return document
    parser = _parser()
    try:
        return parser.loads(text)
    except parser.TOMLDecodeError as exc:
        raise TomlSyntaxError(str(exc)) from None


@cache
def _parser() -> ModuleType:
    try:  # the compiled tomli wheel parses about 2.5x faster than the standard library's tomllib
        import tomli  # ~2 ms, see the module's docstring

        return tomli
    except ImportError:  # pragma: no cover - tomli is a declared dependency
        import tomllib

        return tomllib


# --- the form clusterctl writes ----------------------------------------------------------------
# Only what dump_toml's own writer gives: bare keys, " = ", basic strings with no escape but the
# short ones, integers, booleans, datetimes as str() writes them, arrays one item a line and
# [[name]] blocks. Each pattern is TOML's own rule narrowed to that form ([0-9], not \d, which
# matches other scripts' digits too, unless re.ASCII), so whatever matches means the same to tomli.

_BARE_KEY = LazyPattern(r"[A-Za-z0-9_-]+")
_STRING = LazyPattern(r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[btnfr"\\])*"')
_ESCAPE = LazyPattern(r'\\[btnfr"\\]')
_ESCAPED = {
    "\\b": "\b",
    "\\t": "\t",
    "\\n": "\n",
    "\\f": "\f",
    "\\r": "\r",
    '\\"': '"',
    "\\\\": "\\",
}
_INTEGER = LazyPattern(r"-?(?:0|[1-9][0-9]{0,18})")  # any int64; a longer one is for tomli
# The shape only (\d is [0-9] under re.ASCII): fromisoformat checks each field's range as tomli
# does, except an offset's minutes (it reads +12:75 as +13:15). A pattern of every range took
# 0.17 ms to compile, 0.07 ms this way, in every run that reads a call file.
_DATETIME = LazyPattern(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{6})?(?:[+-]\d\d:[0-5]\d)?", re.ASCII
)
#: Keys that matched _BARE_KEY: the same dozen in every call file, looked up rather than
#: matched (a set lookup, not a regular expression, for each line).
_BARE_KEYS: set[str] = set()


def read_written_form(text: str) -> dict[str, Any] | None:
    """The document ``text`` when it is in the form clusterctl writes; None for anything else
    (a comment, a float, another layout: valid or not), which tomli then reads."""
    document: dict[str, Any] = {}
    table = document
    blocks: set[str] = set()  # the names of [[name]] blocks
    items: list[Any] | None = None  # the array whose items the lines now give
    for line in text.split("\n"):
        if items is not None:
            if line == "]":
                items = None
            elif line[:4] == "    " and line[-1:] == ",":
                item = _scalar(line[4:-1])
                if item is None:
                    return None
                items.append(item)
            else:
                return None
        elif not line:
            continue
        elif line[0] == "[":
            name = line[2:-2]
            if line[:2] != "[[" or line[-2:] != "]]" or not _bare(name):
                return None
            if name in document and name not in blocks:  # a plain value of that name: an error
                return None
            blocks.add(name)
            table = {}
            document.setdefault(name, []).append(table)
        else:
            key, equals, value = line.partition(" = ")
            if not equals or key in table or not (key in _BARE_KEYS or _bare(key)):
                return None
            if value == "[":
                table[key] = items = []
            elif value == "[]":
                table[key] = []
            else:
                table[key] = _scalar(value)
                if table[key] is None:
                    return None
    return document if items is None else None


def _bare(key: str) -> bool:
    if _BARE_KEY.fullmatch(key) is None:
        return False
    if len(_BARE_KEYS) < 256:  # hand-made keys must not grow it without end
        _BARE_KEYS.add(key)
    return True


def _scalar(text: str) -> Any:
    """The value ``text`` writes in the form above, or None."""
    if text[:1] == '"':
        inner = text[1:-1]
        # isprintable: no control character (nor any other TOML forbids in a string).
        if text[-1:] == '"' and inner.isprintable() and '"' not in inner and "\\" not in inner:
            return inner if len(text) > 1 else None
        if _STRING.fullmatch(text) is None:
            return None
        return _ESCAPE.sub(lambda match: _ESCAPED[match.group()], inner)
    if _DATETIME.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:  # a day the month does not have, hour 24, year 0: tomli says which
            return None
    if text == "true" or text == "false":
        return text == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    return None
