"""The limits on a call (clusterctl/limits.py): the quick check that a call is within them
agrees with the pass that names what is not, field by field, at and just past each limit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from clusterctl import limits
from clusterctl.errors import UsageError
from clusterctl.history import Extension, Kind
from clusterctl.limits import MAX_CHARS, YEAR_RANGE, check_limits, limit_problem
from clusterctl.model import Call, Stage

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def full_call() -> Call:
    """A call with a value in every field the limits look at: two stages (one whose original
    deadline was not stated), an opening, tags, an extension and a label correction."""
    return Call(
        id="FULL",
        title="Title",
        timezone="Europe/Brussels",
        stages=(
            Stage("Stage 1", datetime(2027, 2, 1, 16, tzinfo=UTC)),
            Stage("Stage 2", None),
        ),
        extensions=(
            Extension(
                "Stage 2", None, datetime(2027, 6, 1, 15, tzinfo=UTC), AT, "reason", "source"
            ),
            Extension(
                "Stage 1",
                None,
                None,
                AT,
                kind=Kind.CORRECTION,
                corrects="label",
                old="Old",
                new="Stage 1",
            ),
        ),
        programme="Programme",
        url="https://example.org/call",
        tags=("digital", "ai"),
        note="A note",
        opens=datetime(2026, 10, 1, 7, tzinfo=UTC),
    )


def with_stage(call: Call, n: int, **changes: object) -> Call:
    stages = list(call.stages)
    stages[n] = stages[n].replace(**changes)
    return call.replace(stages=tuple(stages))


def with_extension(call: Call, n: int, **changes: object) -> Call:
    extensions = list(call.extensions)
    extensions[n] = extensions[n].replace(**changes)
    return call.replace(extensions=tuple(extensions))


Change = Callable[[Call, object], Call]

#: Each text the limits look at: its limit's key and how to set it.
TEXTS: dict[str, tuple[str, Change]] = {
    "title": ("title", lambda c, v: c.replace(title=v)),
    "programme": ("programme", lambda c, v: c.replace(programme=v)),
    "url": ("url", lambda c, v: c.replace(url=v)),
    "note": ("note", lambda c, v: c.replace(note=v)),
    "tag": ("tag", lambda c, v: c.replace(tags=("digital", v))),
    "label": ("label", lambda c, v: with_stage(c, 1, label=v)),
    "extension stage": ("label", lambda c, v: with_extension(c, 0, stage=v)),
    "reason": ("reason", lambda c, v: with_extension(c, 0, reason=v)),
    "source": ("source", lambda c, v: with_extension(c, 0, source=v)),
    "old": ("label", lambda c, v: with_extension(c, 1, old=v)),
    "new": ("label", lambda c, v: with_extension(c, 1, new=v)),
}

#: Each moment the limits look at, and how to set it.
MOMENTS: dict[str, Change] = {
    "opens": lambda c, v: c.replace(opens=v),
    "deadline": lambda c, v: with_stage(c, 0, original=v),
    "extension from": lambda c, v: with_extension(c, 0, from_=v),
    "extension to": lambda c, v: with_extension(c, 0, to=v),
    "recorded": lambda c, v: with_extension(c, 1, recorded=v),
}


def test_a_call_within_every_limit_has_no_problem() -> None:
    call = full_call()
    assert limits._within_limits(call)
    assert limits._first_problem(call) is None
    assert limit_problem(call) is None
    assert check_limits(call) is call


@pytest.mark.parametrize("field", TEXTS)
def test_each_text_is_allowed_at_its_limit_and_named_one_character_past_it(field: str) -> None:
    key, change = TEXTS[field]
    at_limit = change(full_call(), "x" * MAX_CHARS[key])
    assert limits._within_limits(at_limit)
    assert limit_problem(at_limit) is None
    over = change(full_call(), "x" * (MAX_CHARS[key] + 1))
    assert not limits._within_limits(over)
    problem = limit_problem(over)
    assert problem == limits._first_problem(over)
    assert problem is not None and f"too long ({MAX_CHARS[key] + 1} characters" in problem
    with pytest.raises(UsageError, match="too long"):
        check_limits(over)


@pytest.mark.parametrize("field", MOMENTS)
@pytest.mark.parametrize("year", [YEAR_RANGE[0] - 1, YEAR_RANGE[1] + 1])
def test_each_moment_is_named_outside_the_supported_years(field: str, year: int) -> None:
    change = MOMENTS[field]
    low, high = YEAR_RANGE
    for inside in (low, high):
        call = change(full_call(), datetime(inside, 6, 1, 12, tzinfo=UTC))
        assert limits._within_limits(call)
        assert limit_problem(call) is None
    outside = change(full_call(), datetime(year, 6, 1, 12, tzinfo=UTC))
    assert not limits._within_limits(outside)
    problem = limit_problem(outside)
    assert problem == limits._first_problem(outside)
    assert problem is not None and "outside the supported years" in problem
