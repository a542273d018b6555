"""Tests for clusterctl.portal: EU Funding & Tenders Portal search JSON -> Calls."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clusterctl.errors import UsageError
from clusterctl.model import Status
from clusterctl.portal import load_portal_file, parse_portal, portal_deadline, portal_start

FIXTURE = Path(__file__).parent / "fixtures" / "eu-portal-search-page.json"
BRUSSELS = ZoneInfo("Europe/Brussels")


def utc(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fixture_data() -> dict:
    """A fresh decoded copy of the saved search page."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def topic(
    identifier: object = "HORIZON-TEST-2027-01-01",
    deadlines: object = ("2027-04-08T17:00:00.000+0000",),
    **metadata: object,
) -> dict:
    """A minimal current-shape search result; ``None`` drops a field."""
    meta: dict = {
        "identifier": [identifier],
        "title": ["A test topic"],
        "callIdentifier": ["HORIZON-TEST-2027-01"],
        "deadlineDate": list(deadlines) if isinstance(deadlines, tuple) else deadlines,
        "startDate": ["2027-01-10T00:00:00.000+0000"],
        **metadata,
    }
    meta = {k: v for k, v in meta.items() if v is not None}
    return {"url": f"https://example.eu/topic-details/{identifier}", "metadata": meta}


def page(*results: dict) -> dict:
    """A search response holding ``results``."""
    return {"totalResults": len(results), "results": list(results)}


def write(tmp_path: Path, data: object, name: str = "portal.json") -> Path:
    """``data`` saved as a JSON file in ``tmp_path``."""
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- the saved page, as-is ----------------------------------------------------------------

FIXTURE_TOPICS = [
    # id, programme, [(label, deadline UTC)], opens UTC
    (
        "HORIZON-MISS-2027-05-SOIL-01-two-stage",
        "HORIZON-MISS-2027-05-two-stage",
        [("Stage 1", "2027-04-08T15:00"), ("Stage 2", "2027-09-14T15:00")],
        "2027-02-03T23:00",
    ),
    (
        "HORIZON-CL2-2024-TRANSFORMATIONS-01-08",
        "HORIZON-CL2-2024-TRANSFORMATIONS-01",
        [("", "2024-02-07T16:00")],
        "2023-10-03T22:00",
    ),
    (
        "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10",
        "HORIZON-CL4-2027-04",
        [("", "2027-03-18T16:00")],
        "2026-11-16T23:00",
    ),
    (
        "HORIZON-CL5-2027-03-D5-05",
        "HORIZON-CL5-2027-03",
        [("", "2027-04-14T15:00")],
        "2026-12-14T23:00",
    ),
    (
        "HORIZON-CL6-2026-04-GOVERNANCE-01",
        "HORIZON-CL6-2026-04",
        [("", "2026-11-26T16:00")],
        "2026-08-24T22:00",
    ),
    (
        "HORIZON-CL3-2026-02-CS-ECCC-01",
        "HORIZON-CL3-2026-02-CS-ECCC",
        [("", "2026-09-15T15:00")],
        "2026-03-02T23:00",
    ),
    (
        "HORIZON-JU-CBE-2026-IAFlag-02",
        "HORIZON-JU-CBE-2026",
        [("", "2026-09-22T15:00")],
        "2026-04-22T22:00",
    ),
    (
        "HORIZON-INFRA-2024-EOSC-01-03",
        "HORIZON-INFRA-2024-EOSC-01",
        [("", "2024-03-12T16:00")],
        "2023-12-05T23:00",
    ),
]


@pytest.fixture(scope="module")
def fixture_calls() -> dict:
    """The fixture's Calls by id (parsed once)."""
    return {c.id: c for c in load_portal_file(FIXTURE)}


def test_fixture_nine_results_make_eight_topics_in_order() -> None:
    data = fixture_data()
    assert len(data["results"]) == 9
    calls = load_portal_file(FIXTURE)
    assert [c.id for c in calls] == [t[0] for t in FIXTURE_TOPICS]


@pytest.mark.parametrize(("call_id", "programme", "stages", "opens"), FIXTURE_TOPICS)
def test_fixture_topic(
    fixture_calls: dict, call_id: str, programme: str, stages: list, opens: str
) -> None:
    call = fixture_calls[call_id]
    assert call.programme == programme
    assert [(s.label, s.original) for s in call.stages] == [(lb, utc(t)) for lb, t in stages]
    assert call.opens == utc(opens)
    assert call.timezone == "Europe/Brussels"
    for stage in call.stages:
        assert stage.original.tzinfo == BRUSSELS
        assert (stage.original.astimezone(BRUSSELS).hour, stage.original.minute) == (17, 0)
    assert call.opens.tzinfo == BRUSSELS
    assert call.extensions == ()
    assert call.note == ""
    assert call.url.endswith(call_id) or call.url.endswith(f"{call_id}.json")
    assert call.title


def test_fixture_current_shape(fixture_calls: dict) -> None:
    call = fixture_calls["HORIZON-MISS-2027-05-SOIL-01-two-stage"]
    assert call.title == (
        "Living labs to enhance soil health in Continental, Black Sea, Pannonian and Steppic "
        "biogeographical regions"
    )
    assert call.url == (
        "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
        "topic-details/HORIZON-MISS-2027-05-SOIL-01-two-stage"
    )
    assert call.tags[:3] == ("Agriculture", "Biogeographical region", "Black Sea")
    portal = call.extra["portal"]
    assert portal["status"] == "Forthcoming"
    assert portal["deadline_model"] == "two-stage"
    assert (
        portal["call_title"] == "Supporting the implementation of the Soil Deal for Europe Mission"
    )
    # keywords are not kept (too noisy in git diffs); the snapshot for the three-way merge is
    assert "keywords" not in portal
    assert portal["title"] == call.title
    assert portal["programme"] == "HORIZON-MISS-2027-05-two-stage"
    assert portal["url"] == call.url
    assert portal["tags"] == list(call.tags)
    assert portal["opens"] == "2027-02-04T00:00:00+01:00"


def test_fixture_older_shape(fixture_calls: dict) -> None:
    call = fixture_calls["HORIZON-CL2-2024-TRANSFORMATIONS-01-08"]
    assert call.url == (
        "https://ec.europa.eu/info/funding-tenders/opportunities/data/topicDetails/"
        "HORIZON-CL2-2024-TRANSFORMATIONS-01-08.json"
    )
    assert call.title == "Arts and cultural awareness and expression in education and training"
    assert call.tags == ()
    portal = call.extra["portal"]
    assert "call_title" not in portal
    assert portal["status"] == "Forthcoming"
    assert portal["deadline_model"] == "single-stage"
    # keywords (one JSON-encoded string in this shape) are not kept
    assert "keywords" not in portal
    assert portal["tags"] == []
    assert portal["title"] == call.title
    assert portal["url"] == call.url


def test_fixture_tags_cleaned(fixture_calls: dict) -> None:
    tags = fixture_calls["HORIZON-CL3-2026-02-CS-ECCC-01"].tags
    assert "chip manufacturing processes" in tags
    assert "chip manufacturing  processes" not in tags
    assert len(tags) == 8
    assert fixture_calls["HORIZON-CL5-2027-03-D5-05"].tags == ()


def test_fixture_portal_status_is_informational_only(fixture_calls: dict) -> None:
    # The portal still says "Forthcoming" for a topic whose deadline passed in 2024.
    call = fixture_calls["HORIZON-CL2-2024-TRANSFORMATIONS-01-08"]
    assert call.extra["portal"]["status"] == "Forthcoming"
    assert call.status(utc("2025-06-01T12:00")) is Status.CLOSED
    assert fixture_calls["HORIZON-CL3-2026-02-CS-ECCC-01"].extra["portal"]["status"] == "Open"


def test_fixture_extra_has_no_none_values(fixture_calls: dict) -> None:
    for call in fixture_calls.values():
        assert set(call.extra) == {"portal"}
        assert all(isinstance(v, str | list) for v in call.extra["portal"].values())


def test_array_of_pages_deduplicates_across_pages(tmp_path: Path) -> None:
    path = write(tmp_path, [fixture_data(), fixture_data()], "pages.json")
    calls = load_portal_file(path)
    assert [c.id for c in calls] == [t[0] for t in FIXTURE_TOPICS]


def test_array_of_pages_keeps_order_of_first_appearance() -> None:
    calls = parse_portal(
        [page(topic("B-1"), topic("A-1")), page(topic("C-1"), topic("B-1"))], "p.json"
    )
    assert [c.id for c in calls] == ["B-1", "A-1", "C-1"]


def test_disagreeing_duplicates_keep_the_first() -> None:
    first = topic("T-1", ("2027-04-08T17:00:00.000+0000",), title=["First"])
    second = topic("T-1", ("2027-05-08T17:00:00.000+0000",), title=["Second"])
    (call,) = parse_portal(page(first, second), "p.json")
    assert call.title == "First"
    assert call.stages[0].original == utc("2027-04-08T15:00")


def test_empty_results_is_no_calls() -> None:
    assert parse_portal(page(), "p.json") == []


# --- field by field -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadlines", "expected"),
    [
        (["2027-04-08T17:00:00.000+0000"], [("", "2027-04-08T15:00")]),
        # out of order on the portal: sorted by date, then labelled
        (
            [
                "2027-09-14T00:00:00.000+0000",
                "2027-04-08T00:00:00.000+0000",
                "2027-12-01T17:00:00.000+0000",
            ],
            [
                ("Stage 1", "2027-04-08T15:00"),
                ("Stage 2", "2027-09-14T15:00"),
                ("Stage 3", "2027-12-01T16:00"),
            ],
        ),
        # the same instant written both ways is one deadline
        (
            ["2027-04-08T00:00:00.000+0000", "2027-04-08T17:00:00.000+0000"],
            [("", "2027-04-08T15:00")],
        ),
        # a bare string instead of a one-element list
        ("2026-11-26T00:00:00.000+0000", [("", "2026-11-26T16:00")]),
    ],
)
def test_stages(deadlines: object, expected: list) -> None:
    (call,) = parse_portal(page(topic(deadlines=deadlines)), "p.json")
    assert [(s.label, s.original) for s in call.stages] == [(lb, utc(t)) for lb, t in expected]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            [" Digital ", "chip  manufacturing\tprocesses", "", "   "],
            ("Digital", "chip manufacturing processes"),
        ),
        (["AI", "Data", "AI ", " Data", "AI"], ("AI", "Data")),
        (["ok", 5, None, ["x"]], ("ok",)),
        ([], ()),
        (None, ()),
    ],
)
def test_tags_cleaned(tags: object, expected: tuple) -> None:
    (call,) = parse_portal(page(topic(tags=tags)), "p.json")
    assert call.tags == expected


def test_title_falls_back_to_summary_then_id() -> None:
    with_summary = topic("T-1", title=None)
    with_summary["summary"] = "  From the   summary "
    bare = topic("T-2", title=[])
    calls = parse_portal(page(with_summary, bare), "p.json")
    assert [c.title for c in calls] == ["From the summary", "T-2"]


def test_url_falls_back_to_metadata_url() -> None:
    result = topic("T-1", url=["https://example.eu/meta/T-1"])
    del result["url"]
    (call,) = parse_portal(page(result), "p.json")
    assert call.url == "https://example.eu/meta/T-1"


def test_missing_optional_fields() -> None:
    result = {"metadata": {"identifier": ["T-1"], "deadlineDate": ["2027-04-08T17:00:00.000+0000"]}}
    (call,) = parse_portal(page(result), "p.json")
    assert (call.title, call.programme, call.url, call.tags, call.opens) == (
        "T-1",
        "",
        "",
        (),
        None,
    )
    # only the merge snapshot, with the fallbacks actually used (no opens: there is none)
    assert call.extra == {"portal": {"title": "T-1", "programme": "", "url": "", "tags": []}}


ACTIONS_OPEN = json.dumps(
    [
        {
            "status": {"id": 31094502, "abbreviation": "Open"},
            "submissionProcedure": {"abbreviation": "two-stage"},
        }
    ]
)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"status": ["31094503"]}, {"status": "Closed"}),
        ({"status": ["31094502"]}, {"status": "Open"}),
        ({"status": [31094501]}, {"status": "Forthcoming"}),
        # no metadata.status or deadlineModel: taken from the embedded actions JSON
        ({"actions": [ACTIONS_OPEN]}, {"status": "Open", "deadline_model": "two-stage"}),
        # metadata wins over actions
        (
            {"status": ["31094503"], "deadlineModel": ["single-stage"], "actions": [ACTIONS_OPEN]},
            {"status": "Closed", "deadline_model": "single-stage"},
        ),
        # unknown code kept as it is; broken embedded JSON is ignored
        ({"status": ["99"], "actions": ['[{"status": {']}, {"status": "99"}),
        # keywords are not stored, whatever their shape
        ({"keywords": ['["broken', "plain  one", '["a", " b "]']}, {}),
        ({"callTitle": ["  Call  04 "]}, {"call_title": "Call 04"}),
        ({"tags": [" b ", "a"]}, {"tags": ["b", "a"]}),
    ],
)
def test_portal_extra(metadata: dict, expected: dict) -> None:
    (call,) = parse_portal(page(topic(**metadata)), "p.json")
    snapshot = {
        "title": "A test topic",
        "programme": "HORIZON-TEST-2027-01",
        "url": "https://example.eu/topic-details/HORIZON-TEST-2027-01-01",
        "tags": [],
        "opens": "2027-01-10T00:00:00+01:00",
    }
    assert call.extra == {"portal": {**snapshot, **expected}}


# --- the deadline rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected_utc"),
    [
        ("2024-02-07T17:00:00.000+0000", "2024-02-07T16:00"),  # winter: CET
        ("2024-02-07T00:00:00.000+0000", "2024-02-07T16:00"),
        ("2027-09-14T00:00:00.000+0000", "2027-09-14T15:00"),  # summer: CEST
        ("2027-09-14T17:00:00.000+0000", "2027-09-14T15:00"),
        ("2027-03-28T00:00:00.000+0000", "2027-03-28T15:00"),  # the day summer time begins
        ("2026-10-25T17:00:00.000+0000", "2026-10-25T16:00"),  # the day it ends
        ("2028-02-29T00:00:00.000+0000", "2028-02-29T16:00"),
    ],
)
def test_portal_deadline(value: str, expected_utc: str) -> None:
    deadline = portal_deadline(value)
    assert deadline == utc(expected_utc)
    assert deadline.tzinfo == BRUSSELS
    assert (deadline.hour, deadline.minute) == (17, 0)


BAD_DEADLINES = [
    "2027-04-08T12:00:00.000+0000",  # a time the rule says nothing about
    "2027-04-08T16:00:00.000+0000",
    "2027-04-08T17:00:00.001+0000",
    "2027-04-08T17:00:00.000+0100",
    "2027-04-08T17:00:00.000Z",
    "2027-04-08T17:00:00+0000",
    "2027-04-08T17:00:00.000+00:00",
    "2027-04-08",
    "2027-04-08T17:00:00.000+0000 ",
    "２０２７-04-08T17:00:00.000+0000",  # non-ASCII digits
    "",
]


@pytest.mark.parametrize("value", BAD_DEADLINES)
def test_portal_deadline_refuses(value: str) -> None:
    with pytest.raises(UsageError, match="unrecognised portal deadline") as info:
        portal_deadline(value)
    assert repr(value) in str(info.value)


def test_portal_deadline_refuses_impossible_date() -> None:
    with pytest.raises(UsageError, match=r"'2027-02-30T17:00:00.000\+0000' is not a real date"):
        portal_deadline("2027-02-30T17:00:00.000+0000")


def test_portal_start() -> None:
    assert portal_start("2027-02-04T00:00:00.000+0000") == datetime(2027, 2, 4, tzinfo=BRUSSELS)
    assert portal_start("2026-08-25T00:00:00.000+0000") == utc("2026-08-24T22:00")
    for bad in ["2027-02-04T17:00:00.000+0000", "2027-02-04", "2027-13-01T00:00:00.000+0000"]:
        with pytest.raises(UsageError, match="portal start date"):
            portal_start(bad)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON: Expecting value (line 1, column 1)"),
        (
            b'{"results": [\n  {"metadata": }\n]}',
            "not valid JSON: Expecting value (line 2, column 16)",
        ),
        (b'{"results": []', "not valid JSON: Expecting ',' delimiter (line 1, column 15)"),
        (b"<html>Service unavailable</html>", "not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"results": [\n"caf\xe9"]}', "not valid JSON: not UTF-8, byte 0xe9 (line 2, column 5)"),
        (b"\xff\xfe{\x00}\x00", "not valid JSON: not UTF-8, byte 0xff (line 1, column 1)"),
        (b"[" * 100_000, "not valid JSON: nested too deeply"),
        (b"1" * 5000, "not valid JSON: a number is too long to read"),
    ],
)
def test_not_json(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(UsageError) as info:
        load_portal_file(path)
    assert str(info.value) == f"{path}: {message}"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(page(topic())).encode())
    assert [c.id for c in load_portal_file(path)] == ["HORIZON-TEST-2027-01-01"]


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(UsageError, match=r"missing\.json: cannot read: No such file"):
        load_portal_file(missing)
    with pytest.raises(UsageError, match="cannot read"):
        load_portal_file(tmp_path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (42, "not a portal search response: expected an object with a 'results' list"),
        ("results", "not a portal search response"),
        (None, "not a portal search response"),
        ([], "not a portal search response"),
        ({"foo": 1}, "not a portal search response: no 'results' list"),
        ({"results": {"a": 1}}, "not a portal search response: no 'results' list"),
        ([page(topic()), 5], "page 2 not a portal search response: no 'results' list"),
        ([page(topic()), {"items": []}], "page 2 not a portal search response"),
        (page(topic(), "a topic"), "result 2: not an object"),
        (page(topic(), None), "result 2: not an object"),
        (page({"url": "https://x"}), "result 1: no 'metadata' object"),
        (page({"metadata": ["identifier"]}), "result 1: no 'metadata' object"),
        ([page(), page(topic(), {})], "page 2, result 2: no 'metadata' object"),
    ],
)
def test_wrong_shape(tmp_path: Path, data: object, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(UsageError) as info:
        load_portal_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (topic(identifier=None), "result 2: no topic identifier (metadata.identifier)"),
        (topic(identifier="   "), "result 2: no topic identifier"),
        (topic(identifier=17), "result 2: no topic identifier"),
        (topic(identifier=[]), "result 2: no topic identifier"),
        ({"metadata": {"deadlineDate": ["2027-04-08T17:00:00.000+0000"]}}, "result 2: no topic"),
        (topic("T-9", deadlines=None), "result 2 (T-9): no deadline (metadata.deadlineDate)"),
        (topic("T-9", deadlines=[]), "result 2 (T-9): no deadline"),
        (
            topic("bad id/../x"),
            "result 2: invalid id 'bad id/../x': an id is 1-120 characters",
        ),
        (topic("-starts-with-dash"), "result 2: invalid id '-starts-with-dash'"),
        (
            topic(
                "T-9", deadlines=("2027-04-08T00:00:00.000+0000", "2027-09-14T12:00:00.000+0000")
            ),
            "result 2 (T-9): unrecognised portal deadline '2027-09-14T12:00:00.000+0000'",
        ),
        (
            topic("T-9", deadlines=("2027-04-08",)),
            "result 2 (T-9): unrecognised portal deadline '2027-04-08'",
        ),
        (
            topic("T-9", deadlines=(1807372800000,)),
            "result 2 (T-9): unrecognised portal deadline 1807372800000",
        ),
        (
            topic("T-9", deadlines=("2027-02-30T17:00:00.000+0000",)),
            "result 2 (T-9): portal deadline '2027-02-30T17:00:00.000+0000' is not a real date",
        ),
        (
            topic("T-9", startDate=["2027-01-10T09:30:00.000+0000"]),
            "result 2 (T-9): unrecognised portal start date '2027-01-10T09:30:00.000+0000'",
        ),
    ],
)
def test_bad_topic_refuses_whole_file(tmp_path: Path, result: dict, message: str) -> None:
    # a good topic first: nothing at all is returned when a later one is bad
    path = write(tmp_path, page(topic("GOOD-1"), result))
    with pytest.raises(UsageError) as info:
        load_portal_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_bad_duplicate_still_refused() -> None:
    # a repeated topic is dropped only after it has been parsed: bad input is never hidden
    bad = topic("T-1", deadlines=("2027-04-08T08:00:00.000+0000",))
    with pytest.raises(UsageError, match=r"p\.json: result 2 \(T-1\): unrecognised"):
        parse_portal(page(topic("T-1"), bad), "p.json")


def test_bad_topic_in_fixture_copy_names_index_and_id(tmp_path: Path) -> None:
    data = fixture_data()
    broken = copy.deepcopy(data["results"][4])
    broken["metadata"]["deadlineDate"] = ["2026-11-26T23:59:59.000+0000"]
    data["results"].append(broken)
    path = write(tmp_path, data)
    with pytest.raises(UsageError) as info:
        load_portal_file(path)
    assert str(info.value) == (
        f"{path}: result 10 (HORIZON-CL6-2026-04-GOVERNANCE-01): unrecognised portal deadline "
        "'2026-11-26T23:59:59.000+0000': expected YYYY-MM-DDT17:00:00.000+0000 or "
        "YYYY-MM-DDT00:00:00.000+0000"
    )


def test_lone_surrogates_do_not_leak() -> None:
    result = topic("T-1", title=["bad \ud800 title"], tags=["x\udfffy"])
    (call,) = parse_portal(page(result), "p.json")
    call.title.encode("utf-8")
    assert all(t.encode("utf-8") for t in call.tags)
