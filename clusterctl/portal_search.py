"""Saved portal searches: checked from the config file or the sync options, and turned into
the requests the portal's search API understands. Fetching comes with the HTTP client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from clusterctl.errors import ConfigError, UsageError
from clusterctl.portal import STATUS_CODES

DEFAULT_ENDPOINT = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
API_KEY = "SEDIA"
#: Status names as the config and --status spell them -> the portal's codes.
STATUS_IDS = {label.lower(): code for code, label in STATUS_CODES.items()}
DEFAULT_STATUSES = ("open", "forthcoming")
ADHOC_NAME = "ad hoc"  # the name of a `sync --text` search; saved names cannot contain spaces
TOPIC_TYPES = ("1", "2", "8")  # what the portal's own search page asks for
SORT = {"order": "DESC", "field": "startDate"}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")


@dataclass(frozen=True)
class SavedSearch:
    """One search of the portal: free text ('' for everything), statuses and raw portal terms."""

    name: str
    text: str = ""
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)


class _Invalid(ValueError):
    """A value failed validation; the argument says what is wrong with it."""


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    return (names | {list: "an array", dict: "a table"}).get(type(value), "a date/time")


def _status(word: str, where: str = "") -> str:
    if word not in STATUS_IDS:
        raise _Invalid(f"{where}{word!r} is not one of {', '.join(STATUS_IDS)}")
    return word


def _field(key: str, where: str, statuses_go_in: str) -> str:
    if key == "status":
        raise _Invalid(f"{where}statuses go in {statuses_go_in}")
    if not _FIELD.fullmatch(key):
        raise _Invalid(f"{where}{key!r} is not a portal field name (letters, digits, '_', '.')")
    return key


def _search(name: str, entry: dict) -> SavedSearch:
    """One ``[[portal.search]]`` table (its name already checked) as a SavedSearch."""
    if unknown := sorted(set(entry) - {"name", "text", "status", "filters"}):
        raise _Invalid(f"unknown key {unknown[0]!r} (expected: name, text, status, filters)")
    text = entry.get("text", "")
    if not isinstance(text, str):
        raise _Invalid(f"text must be a string, not {_kind(text)}")
    status = entry.get("status", list(DEFAULT_STATUSES))
    if not isinstance(status, list) or not status or not all(isinstance(s, str) for s in status):
        shown = "an empty array" if status == [] else _kind(status)
        raise _Invalid(f'status must be an array like ["open", "forthcoming"], not {shown}')
    filters = entry.get("filters", {})
    if not isinstance(filters, dict):
        raise _Invalid(f"filters must be a table like {{ type = ['1'] }}, not {_kind(filters)}")
    terms: dict[str, tuple[str, ...]] = {}
    for key, value in filters.items():
        _field(key, "filters: ", "status = [...], not in filters")
        items = value if isinstance(value, list) else [value]
        # Portal codes are digits: 43108390 unquoted means the same as "43108390".
        words = [str(v).strip() for v in items if type(v) is int or isinstance(v, str)]
        if not words or len(words) < len(items) or not all(words):
            raise _Invalid(f"filters.{key} must be a string or a non-empty array of strings")
        terms[key] = tuple(dict.fromkeys(words))
    statuses = tuple(dict.fromkeys(_status(s, "status ") for s in status))
    return SavedSearch(name, text.strip(), statuses, terms)


def saved_searches_from_config(table: object, *, path: Path | None = None) -> list[SavedSearch]:
    """The searches of a config file's raw ``[[portal.search]]`` value, checked: ConfigError
    with one line naming the file (``path``), the search and the key otherwise."""
    prefix = f"config file {path}: " if path is not None else ""
    if not isinstance(table, list):
        raise ConfigError(f"{prefix}portal.search must be an array of tables, not {_kind(table)}")
    searches: list[SavedSearch] = []
    for number, entry in enumerate(table, start=1):
        where = f"{prefix}[[portal.search]] number {number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table, not {_kind(entry)}")
        name = entry.get("name")
        if name is None:
            raise ConfigError(f"{where} has no name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            shown = repr(name) if isinstance(name, str) else _kind(name)
            raise ConfigError(f"{where}: name must be letters, digits, '.', '_', '-', not {shown}")
        if name in (names := [search.name for search in searches]):
            raise ConfigError(
                f"{where}: duplicate name {name!r} (also number {names.index(name) + 1})"
            )
        try:
            searches.append(_search(name, entry))
        except _Invalid as exc:
            raise ConfigError(f"{prefix}[[portal.search]] {name!r}: {exc}") from None
    return searches


def parse_statuses(text: str) -> tuple[str, ...]:
    """``--status open,forthcoming`` as status names; UsageError on an unknown one."""
    try:
        return tuple(dict.fromkeys(_status(word.strip().lower()) for word in text.split(",")))
    except _Invalid as exc:
        raise UsageError(f"--status {text!r}: {exc}") from None


def parse_filter(text: str) -> tuple[str, str]:
    """``--filter KEY=VALUE`` as (key, value), a raw portal term; UsageError on bad input."""
    key, equals, value = text.partition("=")
    try:
        if not equals:
            raise _Invalid("expected KEY=VALUE, like frameworkProgramme=43108390")
        if not value.strip():
            raise _Invalid("the value is empty")
        return _field(key, "", "--status, not in --filter"), value.strip()
    except _Invalid as exc:
        raise UsageError(f"--filter {text!r}: {exc}") from None


def adhoc_search(text: str, status: str | None = None, filters: Sequence[str] = ()) -> SavedSearch:
    """The search of ``sync --text T [--status S] [--filter K=V]...``; repeated keys accumulate."""
    terms: dict[str, tuple[str, ...]] = {}
    for key, value in map(parse_filter, filters):
        terms[key] = tuple(dict.fromkeys((*terms.get(key, ()), value)))
    statuses = parse_statuses(status) if status is not None else DEFAULT_STATUSES
    return SavedSearch(ADHOC_NAME, text.strip(), statuses, terms)


def build_query(search: SavedSearch) -> dict:
    """The ``query`` document: topic types, statuses and filters, all ``bool``/``terms``."""
    statuses = [STATUS_IDS[status] for status in search.statuses]
    must = [{"terms": {"type": list(TOPIC_TYPES)}}, {"terms": {"status": statuses}}]
    must += [{"terms": {key: list(values)}} for key, values in search.filters.items()]
    return {"bool": {"must": must}}


def request_url(endpoint: str, search: SavedSearch, *, page_size: int, page_number: int) -> str:
    """The URL of one page: apiKey, text ('***': everything), pageSize and pageNumber."""
    text = search.text or "***"
    params = {"apiKey": API_KEY, "text": text, "pageSize": page_size, "pageNumber": page_number}
    # '*' stays literal, as the portal's own page sends it.
    return f"{endpoint}?{urlencode(params, quote_via=quote, safe='*')}"


def request_parts(search: SavedSearch) -> dict[str, tuple[str, bytes, str]]:
    """The multipart parts: JSON documents sent as application/json files (as plain form fields
    the API answers 500; in the URL it ignores ``query``)."""
    docs = {"query": build_query(search), "languages": ["en"], "sort": SORT}
    return {
        key: ("blob", json.dumps(doc).encode(), "application/json") for key, doc in docs.items()
    }
