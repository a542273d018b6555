"""Parsing TOML text: the form clusterctl writes read directly, anything else by tomli.

A listing or JSON export answered from the cache, with no config file, parses no TOML at all:
importing the parser costs such a run 2 ms of its ~60 ms at 1,000 calls. Text in the form
clusterctl writes (``store/tomlfile.dump_toml``: every call file it wrote, and any config file
laid out the same way) is read without the parser, in half tomli's time, so a ``show`` or
``extend`` does not import it. It never gives another answer than tomli's:
``tests/test_tomlparse.py`` checks the two against each other.
"""

from __future__ import annotations

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
# Only what dump_toml's own writer gives: bare keys, " = ", basic strings with no escape but its
# short ones (``SHORT_ESCAPES``), integers, booleans, datetimes as str() writes them, arrays one
# item a line and [[name]] blocks. Each pattern is TOML's own rule narrowed to that form ([0-9],
# not \d, which matches other scripts' digits too), so whatever matches means the same to tomli.

#: A key written bare, without quotes; the writer quotes any other.
BARE_KEY = LazyPattern(r"[A-Za-z0-9_-]+")
#: The characters the writer writes as a short escape (any other control character as \uXXXX),
#: and so the only escapes read here.
SHORT_ESCAPES = {"\b": "\\b", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_UNESCAPED = {escape: char for char, escape in SHORT_ESCAPES.items()}
_STRING = LazyPattern(r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[bnfr"\\])*"')
_ESCAPE = LazyPattern(r'\\[bnfr"\\]')
_INTEGER = LazyPattern(r"-?(?:0|[1-9][0-9]{0,18})")  # 19 digits hold every int64; longer: tomli
# The ranges of the date and of minutes and seconds are fromisoformat's to check (as tomli's own
# datetime() checks the day of the month), but not the hour, which newer Pythons (3.14, gh-102450)
# take as 24, the next midnight, nor an offset's minutes, which 3.11 reads past 59 (+12:75 as
# +13:15). Every range in the pattern took 0.17 ms to compile, in every run that reads a call
# file; this 0.11.
_DATETIME = LazyPattern(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} (?:[01][0-9]|2[0-3])(?::[0-9]{2}){2}(?:\.[0-9]{6})?"
    r"(?:[+-][0-9]{2}:[0-5][0-9])?"
)


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
            if line[:2] != "[[" or line[-2:] != "]]" or not _is_bare(name):
                return None
            if name in document and name not in blocks:  # a plain value of that name: an error
                return None
            blocks.add(name)
            table = {}
            document.setdefault(name, []).append(table)
        else:
            key, equals, text_value = line.partition(" = ")
            if not equals or key in table or not (key in _BARE_KEYS or _is_bare(key)):
                return None
            if text_value == "[":
                table[key] = items = []
            elif text_value == "[]":
                table[key] = []
            else:
                value = _scalar(text_value)
                if value is None:
                    return None
                table[key] = value
    return document if items is None else None


#: Keys known to be bare (``BARE_KEY``): the same dozen on every line of every call file, looked
#: up in a set rather than matched (kept to the first 256, so that hand-made keys cannot grow it).
_BARE_KEYS: set[str] = set()


def _is_bare(key: str) -> bool:
    if BARE_KEY.fullmatch(key) is None:
        return False
    if len(_BARE_KEYS) < 256:
        _BARE_KEYS.add(key)
    return True


def _scalar(text: str) -> Any:
    """The value ``text`` writes in the form above, or None."""
    if text[:1] == '"':
        inner = text[1:-1]
        # isprintable: no control character (nor any other TOML forbids in a string).
        closed = len(text) >= 2 and text[-1] == '"'
        if closed and inner.isprintable() and '"' not in inner and "\\" not in inner:
            return inner
        if _STRING.fullmatch(text) is None:
            return None
        return _ESCAPE.sub(lambda match: _UNESCAPED[match.group()], inner)
    if _DATETIME.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:  # a day the month does not have, year 0: tomli says which
            return None
    if text == "true" or text == "false":
        return text == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    return None
