"""Tests for clusterctl.importer: what an import file decodes to, and what it refuses."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from clusterctl import importer
from clusterctl.errors import UsageError
from clusterctl.importer import MAX_IMPORT_BYTES, decode_calls, read_import


def record(**change: Any) -> dict[str, Any]:
    """A valid JSON record of one call, with ``change`` applied."""
    return {
        "id": "IMP-1",
        "title": "T",
        "timezone": "Europe/Brussels",
        "deadlines": [{"label": "", "deadline": "2030-03-08T17:00:00+01:00"}],
        **change,
    }


def raw(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def refusal(data: bytes, name: str = "in.json", kind: str = "auto") -> str:
    """The message of the UsageError that decoding ``data`` raises."""
    with pytest.raises(UsageError) as caught:
        decode_calls(data, name, kind)
    return str(caught.value)


def test_json_records_are_decoded() -> None:
    kind, calls = decode_calls(raw([record(), record(id="IMP-2")]), "in.json")
    assert (kind, [c.id for c in calls]) == ("json", ["IMP-1", "IMP-2"])


# --- import refuses what `add` refuses ---------------------------------------------------------


def test_a_portal_topic_that_add_would_refuse_is_refused() -> None:
    topic = {
        "url": "javascript:alert(1)",
        "metadata": {"identifier": ["T-1"], "deadlineDate": ["2027-04-08T17:00:00.000+0000"]},
    }
    assert refusal(raw({"results": [topic]}), kind="eu-portal") == (
        "in.json: result 1 (T-1): invalid URL 'javascript:alert(1)': it must start with "
        "http:// or https://"
    )


# --- JSON is always valid JSON: no NaN, no Infinity ------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'[{"id": "A", "n": NaN}]', "in.json: not valid JSON: NaN is not a JSON number"),
        (b'{"results": [Infinity]}', "in.json: not valid JSON: Infinity is not a JSON number"),
        (b"[1e999]", "in.json: not valid JSON: the number 1e999 is too large"),
    ],
)
def test_json_with_nan_or_infinity_is_refused(text: bytes, message: str) -> None:
    assert refusal(text) == message


# --- import files are read bounded -------------------------------------------------------------


def test_the_cap_is_256_mib() -> None:
    assert MAX_IMPORT_BYTES == 256 * 1024 * 1024


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024, 3 * 1024 * 1024 - 1, 3 * 1024 * 1024])
def test_a_file_up_to_the_cap_is_read_whole(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 3 * 1024 * 1024)
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert read_import(io.BytesIO(data), "in.json") == data


def test_a_file_past_the_cap_is_refused_after_reading_one_byte_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 1024 * 1024)
    stream = io.BytesIO(b"x" * (3 * 1024 * 1024))
    with pytest.raises(UsageError) as caught:
        read_import(stream, "in.json")
    assert str(caught.value) == (
        "in.json: larger than 1 MiB, the most an import file may be; nothing was imported"
    )
    assert stream.tell() == 1024 * 1024 + 1


# --- clusterctl's own JSON array is decoded record by record ----------------------------------


def _one_record() -> str:
    from datetime import UTC, datetime

    from clusterctl.codec import call_to_json
    from tests.store.helpers import make_call

    return json.dumps(call_to_json(make_call("ONE-1"), datetime(2030, 1, 1, tzinfo=UTC)))


@pytest.mark.parametrize("tail", [", ]", " x", "]]", "", ', {"id": ', "] [", ",", "]\n\n  }"])
def test_a_malformed_array_is_refused_as_the_whole_document_would_be(tail: str) -> None:
    text = "[" + _one_record() + tail
    with pytest.raises(json.JSONDecodeError) as whole:
        json.loads(text)
    err = whole.value
    expected = f"in.json: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
    assert refusal(text.encode()) == expected


@pytest.mark.parametrize(
    "text", ["[]", " [ ] ", "\ufeff[\n]\n", "[{record}]", " \t\r\n[ {record} ,\n {record2} ]\n"]
)
def test_a_well_formed_array_gives_its_records(text: str) -> None:
    record = _one_record()
    text = text.replace("{record}", record).replace("{record2}", record.replace("ONE-1", "TWO-2"))
    kind, calls = decode_calls(text.encode(), "in.json")
    assert kind == "json"
    assert [c.id for c in calls] == [c["id"] for c in json.loads(text.lstrip("\ufeff"))]


@pytest.mark.parametrize(
    "text",
    ['[{"id":"A-1"}, 1 2]', '[{"id":"A-1"}, NaN]', '[{"id":"A-1"}] x', "[3, {", '[{"id":"A-1"},'],
)
def test_malformed_json_after_a_bad_record_is_said_first(text: str) -> None:
    # As when the whole file was decoded before any record was looked at: the first record is
    # no call, but that the file is not JSON is what is said.
    assert refusal(text.encode()).startswith("in.json: not valid JSON: ")


# --- a large JSON array: half of its records are decoded by a forked worker -------------------


def _many(count: int) -> list[dict[str, Any]]:
    return [
        record(
            id=f"IMP-{n}",
            title=f"Title {n}",
            tags=["a"] * (n % 3),
            extensions=[
                {
                    "kind": "extension",
                    "stage": "",
                    "from": "2030-03-08T17:00:00+01:00",
                    "to": "2030-04-08T17:00:00+02:00",
                    "recorded": "2029-01-01T00:00:00Z",
                }
            ]
            * (n % 2),
        )
        for n in range(count)
    ]


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decode on a worker from a small text on, and with a worker whatever the cores."""
    from clusterctl.store import forkmap

    monkeypatch.setattr(importer, "_FORKED_TEXT", 1)
    monkeypatch.setattr(forkmap, "workers", lambda: 2)


def test_records_decoded_by_a_worker_are_the_calls_decoded_here(
    forked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clusterctl.store import forkmap

    data = raw(_many(450))  # more than two turns each, the last one short
    made_here: list[str] = []
    real = importer.call_from_json

    def call_from_json(value: Any) -> Any:
        made_here.append(value["id"])  # in a worker, appended to the worker's copy
        return real(value)

    monkeypatch.setattr(importer, "call_from_json", call_from_json)
    kind, calls = decode_calls(data, "in.json")
    turn = forkmap.TURN_BATCH  # this process takes the first turn, the worker the second...
    assert made_here == [f"IMP-{n}" for n in range(450) if (n // turn) % 2 == 0]
    monkeypatch.setattr(forkmap, "workers", lambda: 1)
    assert (kind, calls) == decode_calls(data, "in.json")
    assert [c.id for c in calls] == [f"IMP-{n}" for n in range(450)]


@pytest.mark.parametrize("bad", [150, 449])  # in a worker's turn, in this process's last one
def test_a_bad_record_is_named_as_without_a_worker(forked: None, bad: int) -> None:
    records = _many(450)
    records[bad]["deadlines"] = []
    assert refusal(raw(records)) == (
        f"in.json: record {bad + 1} (IMP-{bad}): a call needs at least one deadline; "
        "nothing was imported"
    )
    # Malformed JSON further on is still said first.
    assert refusal(raw(records)[:-1]).startswith("in.json: not valid JSON: ")


def test_a_worker_that_dies_leaves_its_records_to_this_process(
    forked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    parent = os.getpid()
    real = importer.call_from_json

    def call_from_json(value: Any) -> Any:
        if os.getpid() != parent and value["id"] == "IMP-350":
            os._exit(9)  # killed mid-turn, as by the OOM killer
        return real(value)

    monkeypatch.setattr(importer, "call_from_json", call_from_json)
    _, calls = decode_calls(raw(_many(450)), "in.json")
    assert [c.id for c in calls] == [f"IMP-{n}" for n in range(450)]
