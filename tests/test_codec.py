"""Tests for clusterctl.codec: records from import files, and the JSON and CSV it writes."""

from __future__ import annotations

from typing import Any

import pytest

from clusterctl.codec import RecordError, call_from_json

ID_RULE = (
    "an id is 1-120 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
)


def record(**change: Any) -> dict[str, Any]:
    """A valid JSON record of one call, with ``change`` applied."""
    return {
        "id": "IMP-1",
        "title": "T",
        "timezone": "Europe/Brussels",
        "deadlines": [{"label": "", "deadline": "2030-03-08T17:00:00+01:00"}],
        **change,
    }


EXTENSION = {
    "from": "2030-03-08T17:00:00+01:00",
    "to": "2030-03-22T17:00:00+01:00",
    "recorded": "2030-03-02T16:00:00+00:00",
}


def test_a_valid_record_is_read() -> None:
    call = call_from_json(record(url="https://example.org", tags=["a", "b"]))
    assert (call.id, call.url, call.tags) == ("IMP-1", "https://example.org", ("a", "b"))


# --- import refuses what `add` refuses ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"url": "javascript:alert(1)"},
            "invalid URL 'javascript:alert(1)': it must start with http:// or https://",
        ),
        ({"url": "ftp://x"}, "invalid URL 'ftp://x': it must start with http:// or https://"),
        ({"title": " "}, "'title' is missing or empty"),
        ({"title": "\ud800"}, "'title': not valid UTF-8 text"),
        ({"note": "caf\udce9"}, "'note': not valid UTF-8 text"),
        ({"programme": "\udfff"}, "'programme': not valid UTF-8 text"),
        ({"tags": ["ok", "\ud800"]}, "'tags': not valid UTF-8 text"),
        ({"tags": [""]}, "a tag must not be empty"),
        ({"tags": ["ok", "  "]}, "a tag must not be empty"),
        ({"id": "A\x01"}, f"invalid id 'A\\x01': {ID_RULE}"),
        ({"id": "A\n"}, f"invalid id 'A\\n': {ID_RULE}"),
        (
            {"deadlines": [{"label": "\ud800", "deadline": "2030-03-08T17:00:00+01:00"}]},
            "'deadlines[1].label': not valid UTF-8 text",
        ),
        (
            {
                "deadlines": [
                    {"label": "A", "deadline": "2030-03-08T17:00:00+01:00"},
                    {"label": "B", "deadline": "2030-03-08T16:00:00+00:00"},
                ]
            },
            "two deadlines of one call are the same moment",
        ),
        (
            {"extensions": [{**EXTENSION, "reason": "\ud800"}]},
            "'extensions[1].reason': not valid UTF-8 text",
        ),
        (
            {"extensions": [{**EXTENSION, "source": "javascript:x"}]},
            "invalid URL 'javascript:x': it must start with http:// or https://",
        ),
    ],
)
def test_import_refuses_what_add_refuses(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError) as caught:
        call_from_json(record(**change))
    assert str(caught.value) == message
