"""query.select: the calls a filter matches, in the order of ``summary.sort_key``."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from clusterctl.query import ALL_STATUSES, DEFAULT_STATUSES, CallFilter, select
from clusterctl.summary import CallSummary, Status, sort_key

NOW = 1_800_000_000.0
moments = st.sampled_from([NOW - 86_400, NOW - 1, NOW, NOW + 1, NOW + 3_600, NOW + 86_400 * 20])
stages = st.lists(
    st.tuples(st.sampled_from(["", "Stage 1", "Stage 2"]), moments, st.booleans()),
    min_size=1,
    max_size=3,
)
summaries = st.builds(
    lambda n, stages, opens, programme: CallSummary(
        f"CALL-{n}", "Title", programme, ("ours",), "UTC", opens, tuple(stages), "", False
    ),
    st.integers(0, 30),
    stages,
    st.none() | moments,
    st.sampled_from(["Horizon", "COSME"]),
)
filters = st.builds(
    CallFilter,
    statuses=st.sampled_from(
        [DEFAULT_STATUSES, ALL_STATUSES, frozenset({Status.CLOSED}), frozenset({Status.OPEN})]
    ),
    within=st.none() | st.sampled_from([timedelta(hours=2), timedelta(days=30)]),
    programme=st.none() | st.just("hori"),
)


@settings(max_examples=150)
@given(st.lists(summaries, unique_by=lambda s: s.id, max_size=12), filters)
def test_select_is_the_matching_calls_by_sort_key(
    calls: list[CallSummary], flt: CallFilter
) -> None:
    expected = sorted((s for s in calls if flt.matches(s, NOW)), key=lambda s: sort_key(s, NOW))
    assert select(calls, flt, NOW) == expected
    assert select(reversed(calls), flt, NOW) == expected  # whatever order they come in
