"""A listing's JSON from templates is, byte for byte, the JSON of the calls made afresh."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clusterctl import jsontext, query
from clusterctl.codec import call_to_json
from clusterctl.errors import StoreError
from clusterctl.model import Call, Stage
from clusterctl.query import ALL_STATUSES, CallFilter
from clusterctl.store import Store
from clusterctl.summary import Status

ROOT = Path(__file__).resolve().parent.parent
BRU = ZoneInfo("Europe/Brussels")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def varied_calls() -> list[Call]:
    """Calls with every kind of history: the shipped ones, two stages, an extension, a bringing
    forward, corrections of deadline, zone and label, AoE, an opening date, unknown keys."""
    two = Call(
        id="TWO-STAGES",
        title='Zürich – Ελλάδα "quoted"',
        timezone="Europe/Brussels",
        stages=(
            Stage("Pre-proposal", datetime(2027, 2, 1, 17, tzinfo=BRU)),
            Stage("Full proposal", datetime(2027, 6, 1, 17, tzinfo=BRU), aoe=True),
        ),
        tags=("digital", "ai"),
        opens=datetime(2026, 10, 1, 0, tzinfo=BRU),
        extra={"contact": {"name": "Ana", "phones": ["+32 2", None]}},
    )
    two = two.extend(datetime(2027, 2, 15, 17, tzinfo=BRU), recorded=AT, reason="portal")
    two = two.extend(
        datetime(2027, 5, 20, 17, tzinfo=BRU),
        recorded=AT,
        stage="Full proposal",
        allow_earlier=True,
    )
    two = two.correct_label("Pre-proposal", "Stage 1", recorded=AT)
    one = Call(
        id="ONE",
        title="One",
        timezone="Europe/Brussels",
        stages=(Stage("", datetime(2026, 3, 8, 17, tzinfo=BRU)),),
        note="line 1\nline 2",
    )
    one = one.correct_deadline(datetime(2026, 3, 9, 17, tzinfo=BRU), recorded=AT)
    one = one.correct_timezone("Asia/Tokyo", recorded=AT)
    return [*Store(ROOT / "data").all_calls(), two, one]


def opens_later() -> Call:
    """One stage, labelled, with an opening: forthcoming, open and closed by fill's short way."""
    return Call(
        id="OPENS-LATER",
        title="Opens later",
        timezone="Europe/Brussels",
        stages=(Stage('Single "stage"', datetime(2026, 12, 1, 17, tzinfo=BRU)),),
        opens=datetime(2026, 9, 1, 9, tzinfo=BRU),
    )


def sharing_deadlines() -> list[Call]:
    """Calls of several stages, some at one deadline: the first of them is the one shown."""
    early, late = datetime(2026, 4, 1, 17, tzinfo=BRU), datetime(2026, 9, 1, 17, tzinfo=BRU)
    plans = {
        "TIED-FIRST": (("A", early), ("B", early), ("C", late)),
        "TIED-LAST": (("A", late), ("B", early), ("C", late)),
        "ALL-TIED": (("Z", early), ("Y", early)),
    }
    return [
        Call(
            id=call_id,
            title=call_id,
            timezone="Europe/Brussels",
            stages=tuple(Stage(label, deadline) for label, deadline in plan),
            opens=datetime(2026, 2, 1, 9, tzinfo=BRU) if call_id == "ALL-TIED" else None,
        )
        for call_id, plan in plans.items()
    ]


def moments(calls) -> list[datetime]:
    """Before, between and after every deadline and opening of ``calls``."""
    found = {datetime(2000, 1, 1, tzinfo=UTC), datetime(2999, 1, 1, tzinfo=UTC)}
    for call in calls:
        points = [v.deadline for v in call.stage_views()]
        points += [call.opens] if call.opens else []
        for point in points:
            found.update({point - timedelta(seconds=1), point, point + timedelta(seconds=1)})
    return sorted(found)


def test_templates_give_exactly_the_json_of_the_calls_at_every_moment() -> None:
    calls = [*varied_calls(), opens_later(), *sharing_deadlines()]
    templates = [jsontext.call_template(c) for c in calls]
    for now in moments(calls):
        expected = json.dumps([call_to_json(c, now) for c in calls], indent=2, ensure_ascii=False)
        assert jsontext.listing_text(templates, now.timestamp()) == expected, now


def test_a_listing_written_in_chunks_is_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = varied_calls() * 3
    now = datetime(2017, 3, 1, tzinfo=UTC)
    expected = json.dumps([call_to_json(c, now) for c in calls], indent=2, ensure_ascii=False)
    for chunk in (1, 2, len(calls) - 1, len(calls), 1000):
        monkeypatch.setattr(jsontext, "CHUNK", chunk)
        out = io.StringIO()
        templates = [jsontext.call_template(c) for c in calls]
        jsontext.write_listing(jsontext.in_order(templates, now.timestamp()), out)
        assert out.getvalue() == expected, chunk


@pytest.mark.parametrize("stages", [1, 2])
def test_labels_and_text_with_control_characters_keep_their_place(stages: int) -> None:
    # A template is one string cut by NUL and \x01-\x04 (and marked by \x05): text holding
    # them must not cut it.
    call = next(c for c in varied_calls() if len(c.stages) == 2).replace(extensions=())
    odd = '\x00\x01\x02\x03\x04\x05 \u2028 "quoted" \\'
    labelled = tuple(s.replace(label=f"{odd}{n}") for n, s in enumerate(call.stages))
    call = call.replace(title=odd, note=odd, stages=labelled[:stages])
    for now in moments([call]):
        expected = json.dumps([call_to_json(call, now)], indent=2, ensure_ascii=False)
        assert jsontext.listing_text([jsontext.call_template(call)], now.timestamp()) == expected


@pytest.mark.parametrize("stages", [1, 2])
def test_a_call_json_cannot_hold_stops_a_listing_that_selects_it(stages: int) -> None:
    call = next(c for c in varied_calls() if len(c.stages) == 2)
    broken = call.replace(id="NAN", stages=call.stages[:stages], extra={"yy": float("nan")})
    named = [(c.id, jsontext.call_template(c)) for c in (call, broken)]
    now = AT.timestamp()
    chosen = jsontext.select(named, CallFilter(statuses=ALL_STATUSES), now)
    out = io.StringIO()
    with pytest.raises(StoreError, match=r"^call NAN: key 'yy' holds nan, which JSON cannot"):
        jsontext.write_listing(chosen, out)
    assert out.getvalue() == ""  # nothing written
    # A listing that leaves it out is not stopped by it.
    only = [item for item in chosen if item[0] == named[0][1]]
    jsontext.write_listing(only, out)
    assert json.loads(out.getvalue()) == [call_to_json(call, AT)]


def test_an_empty_listing_is_an_empty_array() -> None:
    assert jsontext.listing_text([], 0.0) == json.dumps([], indent=2)


@pytest.mark.parametrize("extra", [{"note2": "x"}, {"nested": {"a": [1, {"b": None}]}}, {}])
def test_keys_the_program_does_not_know_are_in_the_template_too(extra: dict) -> None:
    call = varied_calls()[0]
    call = call.replace(extra=extra)
    now = datetime(2017, 1, 1, tzinfo=UTC)
    expected = json.dumps([call_to_json(call, now)], indent=2, ensure_ascii=False)
    assert jsontext.listing_text([jsontext.call_template(call)], now.timestamp()) == expected


@pytest.mark.parametrize(
    "flt",
    [
        CallFilter(),
        CallFilter(statuses=ALL_STATUSES),
        CallFilter(statuses=frozenset({Status.CLOSED})),
        CallFilter(statuses=frozenset({Status.FORTHCOMING})),
        CallFilter(within=timedelta(days=30)),
        CallFilter(statuses=ALL_STATUSES, within=timedelta(days=200)),
    ],
)
def test_templates_select_and_order_as_the_calls_summaries_do(flt: CallFilter) -> None:
    calls = [*varied_calls(), opens_later(), *sharing_deadlines()]
    named = [(c.id, jsontext.call_template(c)) for c in calls]
    by_id = dict(named)
    for now in moments(calls):
        expected = [
            by_id[s.id] for s in query.select([c.summary() for c in calls], flt, now.timestamp())
        ]
        chosen = jsontext.select(named, flt, now.timestamp())
        assert [template for template, _, _ in chosen] == expected, now
        assert chosen == jsontext.in_order(expected, now.timestamp()), now


@pytest.mark.parametrize(
    "flt", [CallFilter(programme="x"), CallFilter(tags=("ai",)), CallFilter(search="x")]
)
def test_templates_cannot_select_by_a_calls_text(flt: CallFilter) -> None:
    assert not flt.by_moments()
    with pytest.raises(ValueError, match="no text"):
        jsontext.select([], flt, 0.0)


# The store keeps templates across runs under jsontext.KIND: when the JSON of a call changes, a
# template made by an earlier version must not be served. This digest of the JSON of the calls
# above fails the test until KIND is bumped with it (or, if varied_calls changed, re-recorded).
JSON_DIGESTS = {
    "json1": "d1d80b09f78f8e50",
    "json2": "d1d80b09f78f8e50",
    "json3": "d1d80b09f78f8e50",
    "json4": "d1d80b09f78f8e50",
}


def test_the_template_kind_changes_whenever_the_json_does() -> None:
    now = datetime(2017, 3, 1, tzinfo=UTC)
    text = json.dumps([call_to_json(c, now) for c in varied_calls()], indent=2)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    assert JSON_DIGESTS.get(jsontext.KIND) == digest, (
        f"the JSON of a call changed: bump jsontext.KIND and record {digest!r} for it here"
    )
