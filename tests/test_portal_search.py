"""portal_search: saved searches from the config, the request shape, and fetching every page
from a real HTTP server on loopback (pytest-httpserver) that serves the real sample response
split into pages. No test reaches the internet or sleeps: ``sleep`` is a recorder."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import httpx
import pytest
import tomli
from pytest_httpserver import HTTPServer
from rich.console import Console
from werkzeug import Response

from clusterctl import __version__
from clusterctl.errors import ConfigError, UsageError
from clusterctl.portal_search import (  # _retry_after: a pure helper, its table below
    USER_AGENT,
    PortalAnswerError,
    PortalError,
    SavedSearch,
    _retry_after,
    adhoc_search,
    build_query,
    fetch_search,
    open_client,
    parse_filter,
    parse_statuses,
    request_url,
    rich_progress,
    saved_searches_from_config,
)
from tests.portal_server import IDS, TOPICS, Portal, json_response, page

CLUSTERS = SavedSearch(
    "clusters", "cluster", ("open", "forthcoming"), {"frameworkProgramme": ("43108390", "43252476")}
)


@pytest.fixture
def portal(httpserver: HTTPServer) -> Portal:
    return Portal(httpserver)


@pytest.fixture
def slept() -> list[float]:
    return []


def fetch(portal: Portal, slept: list[float], search: SavedSearch = CLUSTERS, **options):
    return fetch_search(search, endpoint=portal.url, sleep=slept.append, **options)


# --- the request -----------------------------------------------------------------------------


def test_each_page_is_a_post_with_json_parts_and_paging_in_the_url(portal, slept):
    portal.serve(TOPICS, size=4)
    fetch(portal, slept, page_size=4)
    assert portal.pages_asked() == [1, 2, 3]
    query = {
        "bool": {
            "must": [
                {"terms": {"type": ["1", "2", "8"]}},
                {"terms": {"status": ["31094502", "31094501"]}},
                {"terms": {"frameworkProgramme": ["43108390", "43252476"]}},
            ]
        }
    }
    for number, request in enumerate(portal.requests, start=1):
        assert request["method"] == "POST"
        assert request["args"] == {
            "apiKey": "SEDIA",
            "text": "cluster",
            "pageSize": "4",
            "pageNumber": str(number),
        }
        assert request["content_type"].startswith("multipart/form-data; boundary=")
        assert request["form"] == {}  # as plain form fields the API answers 500
        assert request["parts"] == {
            "query": ("blob", "application/json", query),
            "languages": ("blob", "application/json", ["en"]),
            "sort": ("blob", "application/json", {"order": "DESC", "field": "startDate"}),
        }
        assert request["user_agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"clusterctl/{__version__} (+https://")


def test_no_text_asks_for_everything_with_literal_stars(portal, slept):
    portal.serve(TOPICS, size=100)
    fetch(portal, slept, SavedSearch("all", statuses=("closed",)))
    assert portal.requests[0]["raw_query"] == "apiKey=SEDIA&text=***&pageSize=100&pageNumber=1"
    assert portal.requests[0]["parts"]["query"][2]["bool"]["must"][1:] == [
        {"terms": {"status": ["31094503"]}}
    ]


def test_text_is_percent_encoded_in_the_url():
    search = SavedSearch("x", "smart cities & AI+")
    url = request_url("https://example.org/s", search, page_size=50, page_number=2)
    assert (
        url
        == "https://example.org/s?apiKey=SEDIA&text=smart%20cities%20%26%20AI%2B&pageSize=50&pageNumber=2"
    )


@pytest.mark.parametrize("endpoint", ["ftp://example.org/s", "example.org/s", "http:///s"])
def test_an_endpoint_that_is_no_http_url_is_refused_before_any_request(endpoint, slept):
    with pytest.raises(UsageError) as caught:
        fetch_search(CLUSTERS, endpoint=endpoint, sleep=slept.append)
    assert str(caught.value) == f"portal endpoint {endpoint!r} is not an http:// or https:// URL"
    assert slept == []


def test_build_query_has_one_terms_clause_per_filter():
    search = adhoc_search("", "closed", ["typesOfAction=RIA", "programmePeriod=2021 - 2027"])
    assert build_query(search) == {
        "bool": {
            "must": [
                {"terms": {"type": ["1", "2", "8"]}},
                {"terms": {"status": ["31094503"]}},
                {"terms": {"typesOfAction": ["RIA"]}},
                {"terms": {"programmePeriod": ["2021 - 2027"]}},
            ]
        }
    }


def test_the_http_client_is_not_imported_with_the_module():
    code = (
        "import sys, clusterctl.portal_search; print('httpx' in sys.modules, 'rich' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- walking the pages -----------------------------------------------------------------------


def test_walk_stops_at_a_short_page_even_if_total_says_more(portal, slept):
    portal.serve(TOPICS, size=4, total=12)  # pages of 4, 4 and 1 topics
    seen: list[tuple[int, int | None]] = []
    result = fetch(
        portal, slept, page_size=4, progress=lambda done, total: seen.append((done, total))
    )
    assert portal.pages_asked() == [1, 2, 3]
    assert [len(p["results"]) for p in result.pages] == [4, 4, 1]
    assert (result.pages_fetched, result.total_results, result.capped) == (3, 12, False)
    assert seen == [(0, None), (1, 3), (2, 3), (3, 3)]
    assert [call.id for call in result.calls()] == IDS
    assert slept == []


def test_walk_stops_when_total_results_is_reached(portal, slept):
    portal.serve(TOPICS, size=3)  # three full pages: no fourth request
    result = fetch(portal, slept, page_size=3)
    assert portal.pages_asked() == [1, 2, 3]
    assert result.pages == [portal.pages[1], portal.pages[2], portal.pages[3]]
    assert [call.id for call in result.calls()] == IDS


def test_no_results_is_one_empty_page(portal, slept):
    portal.serve([], size=100)
    result = fetch(portal, slept)
    assert (result.pages_fetched, result.total_results, result.calls()) == (1, 0, [])


def test_a_topic_on_two_pages_is_kept_and_the_parser_keeps_its_first(portal, slept):
    # The index moved between two requests: page 2 repeats the last topic of page 1.
    portal.serve(TOPICS, size=5)
    portal.queue(2, json_response(page(2, TOPICS[4:], total=9, size=5)))
    result = fetch(portal, slept, page_size=5)
    assert [len(p["results"]) for p in result.pages] == [5, 5]
    assert [call.id for call in result.calls()] == IDS  # portal.parse_portal: first one seen


def test_the_portal_cap_of_10000_results_stops_the_walk_and_says_so(portal, slept):
    tiny = [{"reference": str(n)} for n in range(100)]  # results are not parsed while fetching
    portal.pages = {n: page(n, tiny, total=12_345, size=100) for n in range(1, 102)}
    seen: list[tuple[int, int | None]] = []
    result = fetch(portal, slept, progress=lambda done, total: seen.append((done, total)))
    assert portal.pages_asked() == list(range(1, 101))
    assert (result.pages_fetched, result.total_results, result.capped) == (100, 12_345, True)
    assert seen[1] == (1, 100) and seen[-1] == (100, 100)
    assert result.cap_warning() == (
        "search 'clusters': the portal found 12,345 topics but serves only the first 10,000; "
        "narrow the search to get them all"
    )


def test_a_smaller_cap(portal, slept):
    portal.serve(TOPICS, size=3)
    result = fetch(portal, slept, page_size=3, max_results=7)
    assert portal.pages_asked() == [1, 2]
    assert result.capped
    assert result.cap_warning() == (
        "search 'clusters': the portal found 9 topics but serves only the first 6; "
        "narrow the search to get them all"
    )


def test_a_search_that_gets_everything_has_no_warning(portal, slept):
    portal.serve(TOPICS, size=3)
    assert fetch(portal, slept, page_size=3, max_results=9).cap_warning() is None


def test_a_shared_client_is_left_open(portal, slept):
    portal.serve(TOPICS, size=100)
    with open_client() as client:
        fetch(portal, slept, session=client)
        fetch(portal, slept, session=client)
        assert not client.is_closed
    assert len(portal.requests) == 2


# --- answers that are refused ----------------------------------------------------------------


def test_a_page_with_the_wrong_page_number_is_refused(portal, slept):
    portal.serve(TOPICS, size=3)
    portal.queue(2, json_response(page(1, TOPICS[:3], total=9, size=3)))
    with pytest.raises(PortalAnswerError) as caught:
        fetch(portal, slept, page_size=3)
    assert str(caught.value) == "search 'clusters', page 2: the portal sent pageNumber 1 instead"
    assert caught.value.exit_code == 11
    assert portal.pages_asked() == [1, 2]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>Service down</html>", "not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"results": [', "not valid JSON: Expecting value (line 1, column 14)"),
        (b"[]", "not a search response (no 'results' list)"),
        (b'{"results": [], "pageNumber": 1}', "totalResults None is not a count"),
        (
            b'{"results": [], "pageNumber": "1", "totalResults": 0}',
            "the portal sent pageNumber '1' instead",
        ),
    ],
)
def test_an_answer_that_is_no_search_response_is_refused_at_once(portal, slept, body, problem):
    portal.queue(1, Response(body, content_type="application/json"))
    with pytest.raises(PortalAnswerError) as caught:
        fetch(portal, slept)
    assert str(caught.value) == f"search 'clusters', page 1: {problem}"
    assert len(portal.requests) == 1


def test_a_client_error_is_not_retried(portal, slept):
    portal.queue(1, Response("no", status=404))
    with pytest.raises(PortalAnswerError) as caught:
        fetch(portal, slept)
    assert str(caught.value) == "search 'clusters', page 1: the portal answered 404 Not Found"
    assert len(portal.requests) == 1


def test_a_50_mb_body_is_refused_at_the_cap_without_reading_it_all(portal, slept):
    sent: list[int] = []
    mib = b" " * (1 << 20)

    def fifty_mib() -> Iterator[bytes]:  # streamed, no Content-Length: the cap must act
        for n in range(50):
            sent.append(n)
            yield mib

    portal.queue(1, Response(fifty_mib(), content_type="application/json"))
    with pytest.raises(PortalAnswerError) as caught:
        fetch(portal, slept)
    assert (
        str(caught.value)
        == "search 'clusters', page 1: the portal's answer is over the 16,777,216-byte cap"
    )
    assert len(sent) < 50  # the server could not hand over the rest: the client had hung up
    assert len(portal.requests) == 1


def test_a_declared_length_over_the_cap_is_refused_unread(portal, slept):
    body = b'{"results": [], "pageNumber": 1, "totalResults": 0}'
    portal.queue(1, Response(body, content_type="application/json"))
    with pytest.raises(PortalAnswerError) as caught:
        fetch(portal, slept, max_bytes=len(body) - 1)
    assert (
        str(caught.value)
        == "search 'clusters', page 1: the portal's answer is over the 50-byte cap"
    )


# --- retries ---------------------------------------------------------------------------------


def test_503_then_success_waits_as_retry_after_asks(portal, slept):
    portal.serve(TOPICS, size=100)
    portal.queue(1, Response("busy", status=503, headers={"Retry-After": "7"}))
    result = fetch(portal, slept)
    assert slept == [7.0]
    assert portal.pages_asked() == [1, 1]
    assert [call.id for call in result.calls()] == IDS


def test_429_is_retried_after_the_wait_it_asks_for(portal, slept):
    portal.serve(TOPICS, size=100)
    portal.queue(1, Response("slow down", status=429, headers={"Retry-After": "0"}))
    portal.queue(1, Response("slow down", status=429, headers={"Retry-After": "12"}))
    fetch(portal, slept)
    assert slept == [0.0, 12.0]
    assert portal.pages_asked() == [1, 1, 1]


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": " 5 "}, 5.0),
        # A date is read against the answer's own Date, so the two clocks need not agree.
        (
            {
                "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
                "Retry-After": "Wed, 21 Oct 2026 07:28:05 GMT",
            },
            5.0,
        ),
        (
            {
                "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
                "Retry-After": "Wed, 21 Oct 2026 07:27:00 GMT",
            },
            0.0,
        ),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "1.5"}, None),
        ({"Retry-After": "soon"}, None),
        (
            {
                "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
                "Retry-After": "Wed, 21 Oct 2026 07:28:05 -0000",
            },
            None,
        ),
        ({}, None),
    ],
)
def test_retry_after_header(headers, seconds):
    assert _retry_after(httpx.Headers(headers)) == seconds


def test_without_retry_after_the_waits_double_and_the_tries_are_bounded(portal, slept):
    portal.queue(1, *[Response("busy", status=503)] * 5)
    with pytest.raises(PortalError) as caught:
        fetch(portal, slept)
    assert str(caught.value) == (
        "search 'clusters', page 1: the portal answered 503 Service Unavailable after 4 tries"
    )
    assert caught.value.exit_code == 10
    assert slept == [1.0, 2.0, 4.0]
    assert len(portal.requests) == 4


def test_an_unparseable_retry_after_falls_back_to_the_backoff(portal, slept):
    portal.serve(TOPICS, size=100)
    portal.queue(1, Response("", status=502, headers={"Retry-After": "soon"}))
    fetch(portal, slept)
    assert slept == [1.0]


def test_a_retry_after_beyond_the_limit_ends_the_run_without_waiting(portal, slept):
    portal.queue(1, Response("", status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(PortalError) as caught:
        fetch(portal, slept)
    assert str(caught.value) == (
        "search 'clusters', page 1: the portal answered 429 Too Many Requests "
        "and asked to wait 3600 s (more than 120 s); giving up"
    )
    assert slept == []


def test_a_later_page_failing_loses_the_earlier_ones(portal, slept):
    portal.serve(TOPICS, size=3)
    portal.queue(3, *[Response("", status=500)] * 2)
    with pytest.raises(PortalError) as caught:
        fetch(portal, slept, page_size=3, retries=1)
    assert str(caught.value) == (
        "search 'clusters', page 3: the portal answered 500 Internal Server Error after 2 tries"
    )


def test_a_server_that_stalls_times_out_after_bounded_tries(slept):
    with socket.create_server(("127.0.0.1", 0), backlog=8) as stalled:  # listens, never answers
        endpoint = f"http://127.0.0.1:{stalled.getsockname()[1]}/search"
        with pytest.raises(PortalError) as caught:
            fetch_search(CLUSTERS, endpoint=endpoint, timeout=0.2, retries=2, sleep=slept.append)
    assert str(caught.value) == (
        "search 'clusters', page 1: the portal did not answer within 0.2 s after 3 tries"
    )
    assert slept == [1.0, 2.0]


def test_an_unreachable_portal_fails_after_bounded_tries(slept):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(PortalError) as caught:
        fetch_search(CLUSTERS, endpoint=f"http://127.0.0.1:{port}/s", retries=1, sleep=slept.append)
    assert str(caught.value) == (
        f"search 'clusters', page 1: cannot reach 127.0.0.1:{port} "
        "([Errno 111] Connection refused) after 2 tries"
    )


def test_an_answer_that_trickles_in_past_its_deadline_is_given_up(portal, slept):
    portal.serve(TOPICS, size=100)
    ticks = iter(range(0, 1000, 5))  # every look at the clock: 5 s later
    with pytest.raises(PortalError) as caught:
        fetch(portal, slept, timeout=1, retries=0, clock=lambda: next(ticks))
    assert str(caught.value) == (
        "search 'clusters', page 1: the portal's answer took longer than 4 s after 1 try"
    )


# --- progress --------------------------------------------------------------------------------


def test_rich_progress_shows_pages_fetched_of_total():
    out = StringIO()
    console = Console(file=out, width=60, color_system=None)
    with rich_progress("search '[b]x'", console) as report:  # markup in a name stays literal
        report(0, None)
        report(1, 3)
        report(3, 3)
    assert out.getvalue().split()[:2] == ["search", "'[b]x'"]
    assert out.getvalue().split()[-1] == "3/3"


# --- saved searches in the config file -------------------------------------------------------


def searches(toml: str) -> list[SavedSearch]:
    return saved_searches_from_config(tomli.loads(toml)["portal"]["search"], path=Path("c.toml"))


def test_saved_searches_from_the_issue_example():
    assert searches(
        """
        [[portal.search]]
        name = "clusters"
        text = "cluster"
        status = ["open", "forthcoming"]
        filters = { frameworkProgramme = ["43108390", "43252476"] }

        [[portal.search]]
        name = "all-horizon"
        filters = { frameworkProgramme = 43108390, typesOfAction = "RIA" }
        """
    ) == [
        CLUSTERS,
        SavedSearch(
            "all-horizon",
            "",
            ("open", "forthcoming"),
            {"frameworkProgramme": ("43108390",), "typesOfAction": ("RIA",)},
        ),
    ]


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[portal.search]\nname = 'x'", "portal.search must be an array of tables, not a table"),
        ("[portal]\nsearch = [1]", "[[portal.search]] number 1 must be a table, not an integer"),
        (
            "[[portal.search]]\nname = 'a'\n[[portal.search]]",
            "[[portal.search]] number 2 has no name",
        ),
        (
            "\n".join(f"[[portal.search]]\nname = '{name}'" for name in "aba"),
            "[[portal.search]] number 3: duplicate name 'a' (also number 1)",
        ),
    ],
)
def test_a_badly_shaped_list_of_searches_is_one_config_error(toml, problem):
    with pytest.raises(ConfigError) as caught:
        searches(toml)
    assert str(caught.value) == f"config file c.toml: {problem}"
    assert caught.value.exit_code == 8


NAMES = "name must be letters, digits, '.', '_', '-'"
STATUS_ARRAY = 'status must be an array like ["open", "forthcoming"]'
FILTER_VALUES = "must be a string or a non-empty array of strings"
NOT_A_FIELD = "is not a portal field name (letters, digits, '_', '.')"


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("name = 3", f"number 1: {NAMES}, not an integer"),
        ("name = 'my search'", f"number 1: {NAMES}, not 'my search'"),
        (
            "name = 'a'\nstauts = ['open']",
            "'a': unknown key 'stauts' (expected: name, text, status, filters)",
        ),
        ("name = 'a'\ntext = 1", "'a': text must be a string, not an integer"),
        (
            "name = 'a'\nstatus = ['open', 'opne']",
            "'a': status 'opne' is not one of forthcoming, open, closed",
        ),
        ("name = 'a'\nstatus = 'open'", f"'a': {STATUS_ARRAY}, not a string"),
        ("name = 'a'\nstatus = []", f"'a': {STATUS_ARRAY}, not an empty array"),
        (
            "name = 'a'\nfilters = ['x']",
            "'a': filters must be a table like { type = ['1'] }, not an array",
        ),
        (
            "name = 'a'\nfilters = { status = ['1'] }",
            "'a': filters: statuses go in status = [...], not in filters",
        ),
        ("name = 'a'\nfilters = { 'a b' = '1' }", f"'a': filters: 'a b' {NOT_A_FIELD}"),
        ("name = 'a'\nfilters = { t = [] }", f"'a': filters.t {FILTER_VALUES}"),
        ("name = 'a'\nfilters = { t = ['1', true] }", f"'a': filters.t {FILTER_VALUES}"),
        ("name = 'a'\nfilters = { t = ' ' }", f"'a': filters.t {FILTER_VALUES}"),
    ],
)
def test_a_bad_saved_search_is_one_config_error_naming_file_search_and_key(toml, problem):
    with pytest.raises(ConfigError) as caught:
        searches(f"[[portal.search]]\n{toml}")
    assert str(caught.value) == f"config file c.toml: [[portal.search]] {problem}"


def test_without_a_path_the_message_starts_with_the_table():
    with pytest.raises(ConfigError, match=r"^\[\[portal.search\]\] number 1 has no name$"):
        saved_searches_from_config([{}])


# --- the ad-hoc search's options -------------------------------------------------------------


def test_repeated_filters_accumulate_values_per_key():
    search = adhoc_search(" cluster ", "open", ["a=1", "b=x=y", "a=2", "a=1"])
    assert search == SavedSearch("ad hoc", "cluster", ("open",), {"a": ("1", "2"), "b": ("x=y",)})
    assert adhoc_search("").statuses == ("open", "forthcoming")


def test_parse_statuses():
    assert parse_statuses("Open, forthcoming,open") == ("open", "forthcoming")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("opne", "--status 'opne': 'opne' is not one of forthcoming, open, closed"),
        ("open,,closed", "--status 'open,,closed': '' is not one of forthcoming, open, closed"),
    ],
)
def test_a_bad_status_option(text, message):
    with pytest.raises(UsageError) as caught:
        parse_statuses(text)
    assert str(caught.value) == message


def test_parse_filter():
    assert parse_filter("frameworkProgramme=43108390") == ("frameworkProgramme", "43108390")
    assert parse_filter("programmePeriod= 2021 - 2027 ") == ("programmePeriod", "2021 - 2027")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("43108390", "--filter '43108390': expected KEY=VALUE, like frameworkProgramme=43108390"),
        ("k=", "--filter 'k=': the value is empty"),
        ("=v", "--filter '=v': '' is not a portal field name (letters, digits, '_', '.')"),
        ("a b=1", "--filter 'a b=1': 'a b' is not a portal field name (letters, digits, '_', '.')"),
        ("status=open", "--filter 'status=open': statuses go in --status, not in --filter"),
    ],
)
def test_a_bad_filter_option(text, message):
    with pytest.raises(UsageError) as caught:
        parse_filter(text)
    assert str(caught.value) == message
    assert caught.value.exit_code == 2
