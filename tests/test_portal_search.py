"""portal_search: saved searches from the config and the sync options, and the request."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli

from clusterctl.errors import ConfigError, UsageError
from clusterctl.portal_search import (
    SavedSearch,
    adhoc_search,
    build_query,
    parse_filter,
    parse_statuses,
    request_url,
    saved_searches_from_config,
)

CLUSTERS = SavedSearch(
    "clusters", "cluster", ("open", "forthcoming"), {"frameworkProgramme": ("43108390", "43252476")}
)


# --- the request -----------------------------------------------------------------------------


def test_text_is_percent_encoded_in_the_url():
    search = SavedSearch("x", "smart cities & AI+")
    url = request_url("https://example.org/s", search, page_size=50, page_number=2)
    assert (
        url
        == "https://example.org/s?apiKey=SEDIA&text=smart%20cities%20%26%20AI%2B&pageSize=50&pageNumber=2"
    )


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
