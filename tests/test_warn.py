"""Tests for clusterctl.warn: which warnings are due, their keys, JSON and digest text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clusterctl.errors import UsageError
from clusterctl.history import Extension, Kind
from clusterctl.model import Call, Stage
from clusterctl.store import pickling
from clusterctl.warn import (
    DEFAULT_THRESHOLDS,
    DueWarning,
    digest_body,
    digest_subject,
    due_from_facts,
    due_warnings,
    to_json,
    warn_facts,
)

BRU = ZoneInfo("Europe/Brussels")
D = timedelta(days=1)
H = timedelta(hours=1)
DEADLINE = datetime(2018, 3, 8, 17, 0, tzinfo=BRU)  # 16:00Z


def make_call(
    call_id: str = "COS-CLUSTPARTNS-2017-3-02",
    deadline: datetime = DEADLINE,
    *,
    title: str = "Cluster go international",
    stages: tuple[Stage, ...] | None = None,
    opens: datetime | None = None,
) -> Call:
    return Call(
        id=call_id,
        title=title,
        timezone="Europe/Brussels",
        stages=stages if stages is not None else (Stage("", deadline),),
        programme="COSME",
        url="https://ec.europa.eu/info/funding-tenders/x",
        opens=opens,
    )


def run(calls, now, delivered=(), thresholds=DEFAULT_THRESHOLDS) -> list[DueWarning]:
    return due_warnings(calls, thresholds, now, set(delivered))


def test_default_thresholds() -> None:
    assert DEFAULT_THRESHOLDS == (30 * D, 14 * D, 7 * D, 2 * D, D)


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (40 * D, None),
        (30 * D + timedelta(seconds=1), None),
        (30 * D, 30 * D),
        (20 * D, 30 * D),
        (14 * D, 14 * D),
        (10 * D, 14 * D),
        (7 * D, 7 * D),  # exactly on the boundary: due
        (7 * D + timedelta(microseconds=1), 14 * D),
        (3 * D, 7 * D),
        (2 * D, 2 * D),
        (36 * H, 2 * D),
        (D, D),
        (H, D),
        (timedelta(seconds=1), D),
        (timedelta(0), None),  # at the deadline the stage is closed
        (-H, None),
    ],
)
def test_threshold_crossing(before: timedelta, expected: timedelta | None) -> None:
    warnings = run([make_call()], DEADLINE - before)
    if expected is None:
        assert warnings == []
    else:
        assert [w.threshold for w in warnings] == [expected]
        assert warnings[0].remaining == before


def test_warning_fields_and_key() -> None:
    (w,) = run([make_call()], datetime(2018, 3, 6, 13, 0, tzinfo=UTC))
    assert w.call_id == "COS-CLUSTPARTNS-2017-3-02"
    assert w.title == "Cluster go international"
    assert w.programme == "COSME"
    assert w.url.startswith("https://")
    assert w.stage == ""
    assert w.deadline == DEADLINE and w.deadline.tzinfo == BRU
    assert w.threshold == 7 * D  # 2d 3h left: 7d crossed, 2d not yet
    assert w.remaining == 2 * D + 3 * H
    assert w.extended is False
    assert w.key == "COS-CLUSTPARTNS-2017-3-02||2018-03-08T16:00:00Z|604800"


def test_key_uses_utc_instant_whatever_the_zone() -> None:
    w = DueWarning("X", "t", "", "", "full", DEADLINE.astimezone(UTC), D, H, False)
    assert w.key == "X|full|2018-03-08T16:00:00Z|86400"
    assert w.key == DueWarning("X", "t", "", "", "full", DEADLINE, D, H, False).key


def test_remaining_is_exact_across_dst_change() -> None:
    # Clocks go forward on 2018-03-25, so 7 days before 2018-03-28 12:00 CEST (10:00Z)
    # is 2018-03-21 11:00 CET (10:00Z). Same-tzinfo subtraction would count wall times.
    deadline = datetime(2018, 3, 28, 12, 0, tzinfo=BRU)
    (w,) = run([make_call(deadline=deadline)], datetime(2018, 3, 21, 11, 0, tzinfo=BRU))
    assert (w.remaining, w.threshold) == (7 * D, 7 * D)
    (w,) = run([make_call(deadline=deadline)], datetime(2018, 3, 21, 10, 59, tzinfo=BRU))
    assert (w.remaining, w.threshold) == (7 * D + timedelta(minutes=1), 14 * D)


def test_delivered_key_is_not_repeated() -> None:
    now = DEADLINE - 5 * D
    (w,) = run([make_call()], now)
    assert run([make_call()], now, delivered={w.key}) == []
    assert run([make_call()], now + H, delivered={w.key}) == []


def test_missed_days_give_only_the_tightest_threshold() -> None:
    # Last run at 20 days (30d delivered); the job then missed until 1.5 days before.
    first = run([make_call()], DEADLINE - 20 * D)
    assert [w.threshold for w in first] == [30 * D]
    (w,) = run([make_call()], DEADLINE - 36 * H, delivered={first[0].key})
    assert w.threshold == 2 * D


def test_later_run_after_delivery_gives_the_next_threshold() -> None:
    delivered: set[str] = set()
    sent = []
    # Run every 12 hours over the last 40 days, delivering what is due.
    now = DEADLINE - 40 * D
    while now < DEADLINE + D:
        for w in run([make_call()], now, delivered):
            delivered.add(w.key)
            sent.append(w.threshold)
        now += 12 * H
    assert sent == [30 * D, 14 * D, 7 * D, 2 * D, D]


def test_seven_day_delivered_then_two_day_crossing() -> None:
    (w7,) = run([make_call()], DEADLINE - 6 * D)
    assert w7.threshold == 7 * D
    assert run([make_call()], DEADLINE - 3 * D, delivered={w7.key}) == []
    (w2,) = run([make_call()], DEADLINE - 2 * D, delivered={w7.key})
    assert w2.threshold == 2 * D and w2.key != w7.key


def test_extension_rearms_with_new_key_and_extended_flag() -> None:
    call = make_call()
    now = DEADLINE - 20 * H
    (w1,) = run([call], now)
    assert w1.threshold == D and not w1.extended
    longer = call.extend(DEADLINE + 20 * D, recorded=now.astimezone(UTC), reason="portal")
    (w2,) = run([longer], now + H, delivered={w1.key})
    assert w2.extended is True
    assert w2.deadline == DEADLINE + 20 * D
    assert w2.threshold == 30 * D
    assert w2.key != w1.key
    assert "2018-03-28T15:00:00Z" in w2.key  # 17:00 CEST
    # And the extended deadline's own thresholds are given once each.
    assert run([longer], now + 2 * H, delivered={w1.key, w2.key}) == []


def test_multi_stage_each_stage_independently() -> None:
    stages = (
        Stage("stage 1", datetime(2018, 3, 8, 17, 0, tzinfo=BRU)),
        Stage("stage 2", datetime(2018, 5, 15, 17, 0, tzinfo=BRU)),
    )
    call = make_call(stages=stages)
    now = datetime(2018, 3, 1, 12, 0, tzinfo=BRU)
    (w,) = run([call], now)
    assert (w.stage, w.threshold) == ("stage 1", 14 * D)
    now = datetime(2018, 4, 20, 12, 0, tzinfo=BRU)  # stage 1 closed; stage 2 within 30d
    (w,) = run([call], now)
    assert (w.stage, w.threshold) == ("stage 2", 30 * D)
    stages = (Stage("a", DEADLINE), Stage("b", DEADLINE + 10 * D))
    warnings = run([make_call(stages=stages)], DEADLINE - 2 * D)
    assert [(w.stage, w.threshold) for w in warnings] == [("a", 2 * D), ("b", 14 * D)]
    # Delivering stage a's warning does not silence stage b.
    rest = run([make_call(stages=stages)], DEADLINE - 2 * D, delivered={warnings[0].key})
    assert [w.stage for w in rest] == ["b"]


def test_forthcoming_call_counts() -> None:
    call = make_call(opens=DEADLINE - 3 * D)
    now = DEADLINE - 10 * D
    assert call.status(now).value == "forthcoming"
    (w,) = run([call], now)
    assert w.threshold == 14 * D


def test_sorting_soonest_first_then_id_then_stage() -> None:
    later = datetime(2018, 3, 9, 9, 0, tzinfo=UTC)
    calls = [
        make_call("Z-LATE", later),
        make_call("B-SAME", DEADLINE),
        make_call("A-SAME", DEADLINE.astimezone(UTC)),
        make_call("C-TWO", stages=(Stage("y", DEADLINE), Stage("x", DEADLINE))),
    ]
    warnings = run(calls, DEADLINE - 3 * D)
    assert [(w.call_id, w.stage) for w in warnings] == [
        ("A-SAME", ""),
        ("B-SAME", ""),
        ("C-TWO", "x"),
        ("C-TWO", "y"),
        ("Z-LATE", ""),
    ]


@pytest.mark.parametrize(
    ("thresholds", "before", "expected"),
    [
        ((3 * D,), 5 * D, None),
        ((3 * D,), 3 * D, 3 * D),
        ((6 * H, 3 * D), 5 * H, 6 * H),  # order given does not matter
        ((90 * D, 30 * D), 60 * D, 90 * D),
        ((D, D, 2 * D), 20 * H, D),  # duplicates harmless
        ((), H, None),
    ],
)
def test_custom_thresholds(thresholds, before, expected) -> None:
    warnings = run([make_call()], DEADLINE - before, thresholds=thresholds)
    assert [w.threshold for w in warnings] == ([] if expected is None else [expected])


@pytest.mark.parametrize("bad", [timedelta(0), -D])
def test_non_positive_threshold_is_a_usage_error(bad: timedelta) -> None:
    with pytest.raises(UsageError, match="threshold"):
        run([make_call()], DEADLINE - D, thresholds=(D, bad))


def test_to_json() -> None:
    call = make_call(stages=(Stage("full proposal", DEADLINE),))
    now = datetime(2018, 3, 6, 13, 0, 0, 500000, tzinfo=UTC)
    (w,) = run([call], now)
    assert to_json(w) == {
        "id": "COS-CLUSTPARTNS-2017-3-02",
        "title": "Cluster go international",
        "programme": "COSME",
        "url": "https://ec.europa.eu/info/funding-tenders/x",
        "stage": "full proposal",
        "deadline": "2018-03-08T17:00:00+01:00",
        "deadline_utc": "2018-03-08T16:00:00Z",
        "threshold": "7d",
        "remaining_seconds": 2 * 86400 + 3 * 3600 - 1,
        "extended": False,
    }


def test_digest_subject() -> None:
    now = datetime(2018, 3, 6, 13, 0, tzinfo=UTC)
    calls = [
        make_call(),
        make_call("LATER-1", DEADLINE + 5 * D),
        make_call("LATER-2", DEADLINE + 6 * D),
    ]
    warnings = run(calls, now)
    assert len(warnings) == 3
    subject = digest_subject(warnings, now)
    assert subject == (
        "clusterctl: 3 deadlines due, nearest COS-CLUSTPARTNS-2017-3-02 "
        "on 2018-03-08 17:00 CET (in 2 days 3 h)"
    )
    # The nearest is found even if the list is not sorted.
    assert digest_subject(list(reversed(warnings)), now) == subject
    one = digest_subject(warnings[:1], now)
    assert one.startswith("clusterctl: 1 deadline due, nearest COS-CLUSTPARTNS-2017-3-02 ")


def test_digest_subject_uses_the_call_zone() -> None:
    now = datetime(2018, 7, 1, 12, 0, tzinfo=UTC)
    summer = make_call("SUMMER", datetime(2018, 7, 5, 17, 0, tzinfo=BRU))
    subject = digest_subject(run([summer], now), now)
    assert "on 2018-07-05 17:00 CEST" in subject


def test_digest_body_blocks() -> None:
    now = datetime(2018, 3, 6, 13, 0, tzinfo=UTC)
    staged = make_call("STAGED-1", stages=(Stage("full proposal", DEADLINE + 3 * D),))
    staged = staged.extend(DEADLINE + 4 * D, recorded=now - D, stage="full proposal")
    warnings = run([make_call(), staged], now)
    body = digest_body(warnings, now)
    assert body.startswith("2 deadlines due:\n")
    first, second = body.split("\n\n")[1:3]
    assert first.splitlines()[0] == "COS-CLUSTPARTNS-2017-3-02: Cluster go international"
    assert "Deadline:  2018-03-08 17:00 CET" in first
    assert "in 2 days 3 h" in first
    assert "EXTENDED" not in first
    assert "URL:       https://ec.europa.eu/info/funding-tenders/x" in first
    assert "Stage:" not in first
    assert "Stage:     full proposal" in second
    assert "2018-03-12 17:00 CET  EXTENDED" in second
    last = body.rstrip("\n").splitlines()[-1]
    assert last == "Sent by clusterctl warn at 2018-03-06T13:00:00+00:00"


def test_hostile_title_stays_on_one_line_in_body() -> None:
    hostile = "Evil\r\nBcc: victim@example.org\nSubject: spam\u2028more"
    now = datetime(2018, 3, 6, 13, 0, tzinfo=UTC)
    warnings = run([make_call(title=hostile)], now)
    assert warnings[0].title == hostile  # the warning itself keeps the text
    body = digest_body(warnings, now)
    line = next(x for x in body.splitlines() if x.startswith("COS-CLUSTPARTNS"))
    assert line == "COS-CLUSTPARTNS-2017-3-02: Evil Bcc: victim@example.org Subject: spam more"
    assert not any(x.startswith(("Bcc:", "Subject:")) for x in body.splitlines())
    assert "\r" not in body
    # The subject names the id, never the title.
    assert "Bcc" not in digest_subject(warnings, now)


def test_candidates_are_the_calls_with_a_deadline_inside_the_widest_threshold() -> None:
    from clusterctl.warn import candidate_ids

    now = DEADLINE - 20 * D
    calls = [
        make_call("IN-1", DEADLINE),  # 20 days ahead: inside 30d
        make_call("FAR-1", DEADLINE + 20 * D),  # 40 days ahead
        make_call("PAST-1", now - D),  # already closed
        make_call("EDGE-1", now + 30 * D),  # exactly at the widest threshold
    ]
    summaries = [c.summary() for c in calls]
    assert candidate_ids(summaries, DEFAULT_THRESHOLDS, now) == ["IN-1", "EDGE-1"]
    # Every warning due_warnings finds is among the candidates.
    due = {w.call_id for w in run(calls, now)}
    assert due <= set(candidate_ids(summaries, DEFAULT_THRESHOLDS, now))
    # A call of several stages is a candidate if any stage is inside, whichever it is.
    staged = [
        make_call("LATER-2", stages=(Stage("1", now - D), Stage("2", DEADLINE))),
        make_call("FIRST-2", stages=(Stage("1", DEADLINE), Stage("2", DEADLINE + 20 * D))),
        make_call("NONE-2", stages=(Stage("1", now - D), Stage("2", DEADLINE + 20 * D))),
    ]
    staged_summaries = [c.summary() for c in staged]
    assert candidate_ids(staged_summaries, DEFAULT_THRESHOLDS, now) == ["LATER-2", "FIRST-2"]


def test_a_digest_remembers_every_deadline_of_each_call() -> None:
    from clusterctl.warn import signatures

    one = make_call("ONE-1", datetime(2018, 3, 8, 17, 0, tzinfo=BRU))
    two = make_call("TWO-2", stages=(Stage("a", DEADLINE), Stage("b", DEADLINE + D)))
    first = int(DEADLINE.timestamp())
    assert signatures([one.summary(), two.summary()]) == {
        "ONE-1": "1520524800",
        "TWO-2": f"{first},{first + 86400}",
    }


def test_digest_body_names_the_files_it_could_not_read() -> None:
    now = datetime(2018, 3, 6, 13, 0, tzinfo=UTC)
    warnings = run([make_call()], now)
    unreadable = [
        "/s/calls/TYPO-1.toml: invalid TOML: Invalid value (at line 2, column 9)",
        "/s/calls/EVIL-1.toml: unknown time zone 'X\nBcc: victim@example.org'",
    ]
    body = digest_body(warnings, now, unreadable=unreadable)
    assert body.split("\n\n")[2:] == [
        "Could not read 2 call files; any deadlines they hold are missing above "
        "(run clusterctl check):\n"
        "  /s/calls/TYPO-1.toml: invalid TOML: Invalid value (at line 2, column 9)\n"
        "  /s/calls/EVIL-1.toml: unknown time zone 'X Bcc: victim@example.org'",
        "Sent by clusterctl warn at 2018-03-06T13:00:00+00:00\n",
    ]
    assert digest_body(warnings, now, []) == digest_body(warnings, now)
    assert "Could not read" not in digest_body(warnings, now)


# --- the facts the store remembers per file -----------------------------------------------------


def _history_calls() -> list[Call]:
    """Calls whose warnings depend on their history: extended (the 'extended' flag and a new
    deadline), corrected later (the key keeps the deadline as first typed), two stages, a zone
    other than the display's and a deadline with seconds."""
    recorded = datetime(2018, 1, 1, tzinfo=UTC)
    extended = Call(
        id="EXT-1",
        title="Extended",
        timezone="Europe/Brussels",
        stages=(Stage("", DEADLINE),),
        extensions=(Extension(stage="", from_=DEADLINE, to=DEADLINE + 2 * D, recorded=recorded),),
    )
    corrected = Call(
        id="COR-1",
        title="Corrected",
        timezone="America/New_York",
        stages=(Stage("Stage 1", DEADLINE - 3 * D), Stage("Stage 2", DEADLINE + 20 * D)),
        extensions=(
            Extension(
                stage="Stage 1",
                from_=DEADLINE - 3 * D,
                to=DEADLINE - 2 * D,
                recorded=recorded,
                kind=Kind.CORRECTION,
                corrects="deadline",
            ),
        ),
    )
    seconds = make_call("SEC-1", DEADLINE.replace(second=30, microsecond=250))
    return [extended, corrected, seconds, make_call()]


def test_facts_are_plain_values_that_give_the_same_warnings() -> None:
    calls = _history_calls()
    now = DEADLINE - 10 * D
    facts = [warn_facts(c) for c in calls]
    # Plain values only: what the store's derived file can hold (it refuses every class).
    remembered = pickling.PlainUnpickler(io.BytesIO(pickling.dumps_without_memo(facts))).load()
    assert remembered == facts
    due = due_from_facts(remembered, DEFAULT_THRESHOLDS, now, set())
    assert {w.call_id for w in due} == {"EXT-1", "COR-1", "SEC-1", "COS-CLUSTPARTNS-2017-3-02"}
    assert due == due_warnings(calls, DEFAULT_THRESHOLDS, now, set())
    by_id = {(w.call_id, w.stage): w for w in due}
    assert by_id["EXT-1", ""].extended and by_id["EXT-1", ""].deadline == DEADLINE + 2 * D
    assert by_id["SEC-1", ""].deadline == DEADLINE.replace(second=30, microsecond=250)
    corrected = by_id["COR-1", "Stage 1"]
    assert str(corrected.deadline.tzinfo) == "America/New_York"
    # The corrected stage is keyed by the model's anchor, not by its deadline: through the
    # facts too, or a warning delivered before the correction would be sent again.
    label, anchor = calls[1].stage_views()[0].warn_key or ("", DEADLINE)
    assert anchor != corrected.deadline
    assert corrected.anchor == (label, anchor)
    anchor_utc = anchor.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert corrected.key == f"COR-1|Stage 1|{anchor_utc}|{14 * 86400}"
