"""CallSummary: status and the relevant deadline, and ``standing``, which gives both at once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clusterctl.summary import CallSummary, Status

NOW = 1_800_000_000.0


def summary(stages: tuple[tuple[str, float, bool], ...], opens: float | None = None) -> CallSummary:
    return CallSummary("ID", "Title", "Prog", (), "Europe/Brussels", opens, stages, "", False)


def test_standing_of_a_single_stage_call_before_at_and_after_its_deadline() -> None:
    stage = ("", NOW, False)
    one = summary((stage,))
    assert one.standing(NOW - 1) == (Status.OPEN, stage)
    assert one.standing(NOW) == (Status.CLOSED, stage)  # closed at the deadline itself
    assert one.standing(NOW + 1) == (Status.CLOSED, stage)
    assert summary((stage,), opens=NOW - 10).standing(NOW - 20) == (Status.FORTHCOMING, stage)


def test_standing_of_a_two_stage_call_follows_the_next_deadline_then_the_last() -> None:
    first, second = ("Stage 1", NOW, False), ("Stage 2", NOW + 100, True)
    two = summary((second, first))  # stages need not be in order
    assert two.standing(NOW - 1) == (Status.OPEN, first)
    assert two.standing(NOW + 1) == (Status.OPEN, second)
    assert two.standing(NOW + 100) == (Status.CLOSED, second)


moments = st.sampled_from([NOW - 100, NOW - 1, NOW, NOW + 1, NOW + 100])
stages = st.tuples(st.sampled_from(["", "Stage 1", "Stage 2"]), moments, st.booleans())


@given(
    st.lists(stages, min_size=1, max_size=3).map(tuple),
    st.none() | moments,
    moments,
)
def test_standing_is_status_and_relevant_deadline(
    staged: tuple[tuple[str, float, bool], ...], opens: float | None, now: float
) -> None:
    call = summary(staged, opens)
    assert call.standing(now) == (call.status(now), call.relevant_deadline(now))
