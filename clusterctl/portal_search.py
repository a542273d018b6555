"""Saved portal searches, and running one against the portal's search API page by page.

HTTP client: httpx. With ``Client.stream`` the size cap acts while the body arrives (the
connection is dropped at the cap: a 50 MB answer is never held), one ``Timeout`` covers connect,
send and each read, and multipart parts carry their own content type. Retries are a short loop,
not urllib3's ``Retry``: it honours ``Retry-After`` (seconds or a date, capped), counts tries for
the message and takes ``sleep`` as a parameter. httpx (~95 ms to import) is imported on first use.

Every page is fetched before anything is returned; a failed page raises PortalError, so the
caller writes nothing. Pages are returned as the portal sent them: ``portal.parse_portal``
reads them like a saved response and keeps the first of a topic listed twice.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit

from clusterctl import __version__
from clusterctl.errors import ClusterctlError, ConfigError, UsageError
from clusterctl.portal import STATUS_CODES, decode_json, parse_portal

if TYPE_CHECKING:
    import httpx
    from rich.console import Console

    from clusterctl.model import Call

DEFAULT_ENDPOINT = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
API_KEY = "SEDIA"
USER_AGENT = f"clusterctl/{__version__} (+https://github.com/clusterctl/clusterctl)"
_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}
#: Status names as the config and --status spell them -> the portal's codes.
STATUS_IDS = {label.lower(): code for code, label in STATUS_CODES.items()}
DEFAULT_STATUSES = ("open", "forthcoming")
ADHOC_NAME = "ad hoc"  # the name of a `sync --text` search; saved names cannot contain spaces
TOPIC_TYPES = ("1", "2", "8")  # what the portal's own search page asks for
SORT = {"order": "DESC", "field": "startDate"}
MAX_RESULTS = 10_000  # the API serves nothing past this many results
MAX_BYTES = 16 * 1024 * 1024  # a full page of 100 topics is a few hundred kB
MAX_WAIT = 120.0  # the longest Retry-After honoured; a longer one ends the run
MAX_BACKOFF = 30.0  # without Retry-After, waits are 1, 2, 4... seconds up to this

ProgressCallback = Callable[[int, int | None], None]
Sleep = Callable[[float], object]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")


class PortalError(ClusterctlError):
    """The portal could not be reached or kept failing (network, timeouts, 429, 5xx)."""

    exit_code = 10


class PortalAnswerError(PortalError):
    """The portal answered, but not with a usable page (4xx, not JSON, wrong page, too big)."""

    exit_code = 11


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


def saved_searches_from_config(
    table: object, *, path: str | Path | None = None
) -> list[SavedSearch]:
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
    """A page's URL: apiKey, text ('***' unescaped, as the portal has it), pageSize, pageNumber."""
    if urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).hostname:
        raise UsageError(f"portal endpoint {endpoint!r} is not an http:// or https:// URL")
    text = search.text or "***"
    params = {"apiKey": API_KEY, "text": text, "pageSize": page_size, "pageNumber": page_number}
    return f"{endpoint}?{urlencode(params, quote_via=quote, safe='*')}"


def request_parts(search: SavedSearch) -> dict[str, tuple[str, bytes, str]]:
    """The multipart parts: JSON documents sent as application/json files (as plain form fields
    the API answers 500; in the URL it ignores ``query``)."""
    docs = {"query": build_query(search), "languages": ["en"], "sort": SORT}
    return {
        key: ("blob", json.dumps(doc).encode(), "application/json") for key, doc in docs.items()
    }


@dataclass(frozen=True)
class FetchResult:
    """Every page of one search, as the portal sent them (``results`` may repeat a topic)."""

    search: SavedSearch
    pages: list[dict]
    total_results: int
    capped: bool  # the portal found more than it serves (MAX_RESULTS): some topics are missing

    @property
    def pages_fetched(self) -> int:
        return len(self.pages)

    def calls(self) -> list[Call]:
        """The pages' topics as Calls, each once (UsageError naming page and topic if bad)."""
        return parse_portal(self.pages, f"portal search {self.search.name!r}")

    def cap_warning(self) -> str | None:
        """A one-line warning when the portal found more topics than it would serve."""
        if not self.capped:
            return None
        served = sum(len(page["results"]) for page in self.pages)
        found = f"found {self.total_results:,} topics but serves only the first {served:,}"
        return f"search {self.search.name!r}: the portal {found}; narrow the search to get them all"


class _Retry(Exception):
    """One try failed in a way worth trying again: args (reason, delay in seconds or None)."""


def open_client() -> httpx.Client:
    """An HTTP client announcing clusterctl; share one across the searches of a run."""
    import httpx  # ~95 ms (with ssl): paid only by a run that sends requests

    return httpx.Client(headers=_HEADERS)


def fetch_search(
    search: SavedSearch,
    *,
    endpoint: str = DEFAULT_ENDPOINT,
    page_size: int = 100,
    session: httpx.Client | None = None,
    timeout: float = 30.0,
    max_bytes: int = MAX_BYTES,
    max_results: int = MAX_RESULTS,
    retries: int = 3,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: ProgressCallback | None = None,
) -> FetchResult:
    """Fetch every page of ``search``, one request at a time, or raise PortalError.

    The walk stops at a short page, at ``totalResults`` or before passing ``max_results``
    (then ``capped``). ``timeout`` bounds connecting and each read, 4 x ``timeout`` a whole answer
    (by ``clock``). A timeout, lost connection, 429 or 5xx is tried again up to ``retries`` times,
    after ``Retry-After`` or 1, 2, 4... s (by ``sleep``). ``progress(pages_fetched, total_pages or
    None)`` is called before and after each page."""
    client = session or open_client()
    post = partial(_post, client, request_parts(search), timeout, max_bytes, clock)
    report = progress or (lambda fetched, total: None)
    max_pages = max(1, max_results // page_size)
    pages: list[dict] = []
    report(0, None)
    try:
        while True:
            number = len(pages) + 1
            where = f"search {search.name!r}, page {number}"
            url = request_url(endpoint, search, page_size=page_size, page_number=number)
            raw = _retrying(partial(post, url, where), where, retries, sleep)
            pages.append(page := _checked_page(raw, number, where))
            total = page["totalResults"]
            finished = len(page["results"]) < page_size or number * page_size >= total
            if finished or number >= max_pages:
                report(number, number)
                return FetchResult(search, pages, total, capped=not finished)
            report(number, min(math.ceil(total / page_size), max_pages))
    finally:
        if session is None:
            client.close()


def _retrying(attempt: Callable[[], bytes], where: str, retries: int, sleep: Sleep) -> bytes:
    """What ``attempt`` returns, trying again after a _Retry; PortalError when it gives up."""
    tries = 1
    while True:
        try:
            return attempt()
        except _Retry as failure:
            reason, delay = failure.args
            if tries > retries:
                times = f"{tries} {'try' if tries == 1 else 'tries'}"
                raise PortalError(f"{where}: {reason} after {times}") from None
        if delay is None:
            delay = min(2.0 ** (tries - 1), MAX_BACKOFF)
        elif delay > MAX_WAIT:
            wait = f"asked to wait {delay:g} s (more than {MAX_WAIT:g} s)"
            raise PortalError(f"{where}: {reason} and {wait}; giving up")
        sleep(delay)
        tries += 1


def _post(
    client: httpx.Client,
    parts: dict[str, tuple[str, bytes, str]],
    timeout: float,
    max_bytes: int,
    clock: Callable[[], float],
    url: str,
    where: str,
) -> bytes:
    """One request's body; _Retry for what may pass, PortalAnswerError for what will not."""
    import httpx

    too_big = PortalAnswerError(f"{where}: the portal's answer is over the {max_bytes:,}-byte cap")
    try:
        with client.stream("POST", url, files=parts, headers=_HEADERS, timeout=timeout) as answer:
            status = answer.status_code
            # The standard phrase: a server's own may be in capitals, and HTTP/2 sends none.
            reason = f"the portal answered {status} {httpx.codes.get_reason_phrase(status)}"
            if status == 429 or status >= 500:
                raise _Retry(reason, _retry_after(answer.headers))
            if status != 200:
                raise PortalAnswerError(f"{where}: {reason}")
            declared = answer.headers.get("content-length", "")
            if re.fullmatch(r"[0-9]+", declared) and int(declared) > max_bytes:
                raise too_big  # refused unread
            body, started = bytearray(), clock()
            for chunk in answer.iter_bytes():  # the cap acts while the body arrives
                body += chunk
                if len(body) > max_bytes:
                    raise too_big
                if clock() - started > 4 * timeout:  # a trickle that no read timeout catches
                    raise _Retry(f"the portal's answer took longer than {4 * timeout:g} s", None)
            return bytes(body)
    except httpx.DecodingError as exc:
        raise PortalAnswerError(f"{where}: the portal's answer cannot be decoded ({exc})") from None
    except httpx.TimeoutException:
        raise _Retry(f"the portal did not answer within {timeout:g} s", None) from None
    except httpx.TransportError as exc:
        reason = f"cannot reach {urlsplit(url).netloc} ({exc or type(exc).__name__})"
        raise _Retry(reason, None) from None


def _checked_page(raw: bytes, number: int, where: str) -> dict:
    try:
        data = decode_json(raw, where)
    except UsageError as exc:
        raise PortalAnswerError(str(exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise PortalAnswerError(f"{where}: not a search response (no 'results' list)")
    sent = data.get("pageNumber")
    if type(sent) is not int or sent != number:
        raise PortalAnswerError(f"{where}: the portal sent pageNumber {sent!r} instead")
    total = data.get("totalResults")
    if type(total) is not int or total < 0:
        raise PortalAnswerError(f"{where}: totalResults {total!r} is not a count")
    return data


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds a Retry-After header asks for (a date is read against the answer's Date)."""
    value = headers.get("retry-after", "").strip()
    if re.fullmatch(r"[0-9]{1,9}", value):
        return float(value)
    try:  # a date without a zone ("-0000") cannot be compared: TypeError, then backoff
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(headers["date"]) if "date" in headers else datetime.now(UTC)
        return max(0.0, (when - now).total_seconds())
    except (TypeError, ValueError, IndexError):
        return None


@contextmanager
def rich_progress(description: str, console: Console | None = None) -> Iterator[ProgressCallback]:
    """A progress callback drawing Rich's bar (pages fetched / total) on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console or Console(stderr=True)) as bar:
        task = bar.add_task(description, total=None)
        yield lambda fetched, total: bar.update(task, completed=fetched, total=total)
